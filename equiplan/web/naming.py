"""Names of reference data in the reader's language: agencies, sites and types have an English
and a Lithuanian name; pages and choice lists show the one of the interface language."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale


def local_name(obj: Any, field: str = "name") -> str:
    """obj.name_lt or obj.name_en, whichever fits the interface language (English when the
    Lithuanian one is empty)."""
    language = "lt" if str(get_locale() or "lt") == "lt" else "en"
    return str(getattr(obj, f"{field}_{language}", "") or getattr(obj, f"{field}_en", "") or "")
