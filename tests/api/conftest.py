from tests.web.conftest import World, world  # noqa: F401  (same fixtures as the web tests)
