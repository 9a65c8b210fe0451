"""Build hook: compile the translation catalogues into the wheel (.mo files are never committed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileCatalogues(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po_path in Path(self.root, "equiplan", "translations").glob("*/LC_MESSAGES/*.po"):
            with po_path.open("rb") as source:
                catalogue = read_po(source)
            with po_path.with_suffix(".mo").open("wb") as target:
                write_mo(target, catalogue)
