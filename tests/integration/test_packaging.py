"""`pip install .` (not only editable) ships templates, migrations, seeds and catalogues."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_contains_everything_the_app_needs(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("equiplan-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "equiplan/templates/base.html",
        "equiplan/templates/errors/404.html",
        "equiplan/migrations/env.py",
        "equiplan/migrations/versions/0001_initial_schema.py",
        "equiplan/seeds/demo/agencies.json",
        "equiplan/seeds/demo/types.json",
        "equiplan/translations/lt/LC_MESSAGES/messages.mo",
        "equiplan/static/equiplan.css",
    ):
        assert required in names, required
    assert not any("/tests/" in name or name.startswith("tests/") for name in names)
