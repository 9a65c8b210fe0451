"""The domain layer stays pure: no web framework, no ORM (style.md)."""

import ast
from pathlib import Path

import equiplan.domain

FORBIDDEN = {
    "flask",
    "flask_babel",
    "flask_login",
    "sqlmodel",
    "sqlalchemy",
    "werkzeug",
    "equiplan.models",
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _forbidden(name: str) -> bool:
    return any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)


def test_domain_imports_neither_flask_nor_the_orm() -> None:
    domain_dir = Path(equiplan.domain.__file__).parent
    files = sorted(domain_dir.rglob("*.py"))
    assert files, "the domain package has no modules"
    offenders = {
        str(f.relative_to(domain_dir)): sorted(n for n in _imports(f) if _forbidden(n))
        for f in files
    }
    assert {f: names for f, names in offenders.items() if names} == {}


def test_the_checker_would_catch_an_orm_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from sqlalchemy import select\nimport flask.json\n")
    assert {n for n in _imports(bad) if _forbidden(n)} == {"sqlalchemy", "flask.json"}
