"""Every text of the interface exists in Lithuanian (English is the source language)."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "equiplan" / "translations" / "lt" / "LC_MESSAGES" / "messages.po"


def test_lithuanian_catalogue_covers_every_message(tmp_path: Path) -> None:
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(template),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    with template.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    assert len(wanted) > 50
    assert sorted(str(m) for m in wanted - translated) == [], (
        "messages without a Lithuanian translation"
    )


def test_placeholders_survive_translation() -> None:
    import re

    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    placeholders = re.compile(r"%\(\w+\)[sd]")
    for message in catalogue:
        if not (message.id and message.string):
            continue
        if message.pluralizable:
            # Lithuanian has three plural forms for English's two: every form must keep the
            # placeholders of the English forms.
            expected = set(placeholders.findall(" ".join(message.id)))
            for form in message.string:
                assert set(placeholders.findall(form)) == expected, (message.id, form)
        else:
            assert sorted(placeholders.findall(str(message.id))) == sorted(
                placeholders.findall(str(message.string))
            ), message.id
