"""Every marked string is in the Swedish catalogue, so an English one can follow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "kb" / "translations" / "sv" / "LC_MESSAGES" / "messages.po"


def test_swedish_catalogue_covers_every_marked_string(tmp_path):
    template = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-o", str(template), "."],
        cwd=ROOT,
        check=True,
    )
    with template.open("rb") as handle:
        extracted = {_key(message.id) for message in read_po(handle) if message.id}
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="sv")
    translated = {_key(m.id) for m in catalogue if m.id and _filled(m.string)}
    missing = extracted - translated
    assert not missing, f"Kör `make i18n-update`; saknas i sv-katalogen: {sorted(missing)[:10]}"
    assert len(extracted) > 150


def _key(message_id: str | tuple) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def _filled(string: str | tuple) -> bool:
    return all(string) if isinstance(string, tuple | list) else bool(string)
