"""The route × role matrix's vocabulary: a Route says how to call one endpoint and who may.

Each feature area keeps its rows in its own `tests/web/routes_<area>.py` (a `ROUTES` dict);
test_route_policies.py gathers them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from equiplan.models import User
from tests.web.conftest import World

ROLES = ("admin", "planner", "technician", "officer", "viewer")
EVERYONE = frozenset(ROLES)
EDITORS = frozenset({"admin", "officer"})
WORK_ORDER_WRITERS = frozenset({"admin", "technician", "officer"})


@dataclass(frozen=True)
class Route:
    method: str
    path: Callable[[World], str]
    allowed: frozenset[str] | str
    # For routes about one agency's object: the path to another agency's object, which
    # officers and viewers must get as 404.
    foreign_path: Callable[[World], str] | None = None
    form: Callable[[World], dict[str, str]] | None = None
    # For routes about the signed-in user's own object (their API tokens): the path to one of
    # theirs, used instead of `path` when somebody is signed in.
    own_path: Callable[[World, User], str] | None = None
    # What an allowed role may get. A route whose matrix request is deliberately incomplete
    # (an import commit without a previewed upload) answers 400: the policy let it through.
    ok_statuses: tuple[int, ...] = (200, 302)
    # For JSON API writes: the body, sent as JSON with the CSRF token in a header (the matrix
    # signs in with a browser session; bearer tokens need none, see tests/api).
    json: Callable[[World], dict[str, object]] | None = None
