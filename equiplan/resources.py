"""Where the non-Python parts of equiplan live (templates, migrations, seeds).

In a source checkout (and an editable install) they are top-level folders beside the package; in a
wheel they are shipped inside the package. One function finds them in both cases.
"""

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_path(name: str) -> Path:
    """Return the folder `name` (templates, migrations, seeds) for this installation."""
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"equiplan resource folder {name!r} is missing from this installation")
