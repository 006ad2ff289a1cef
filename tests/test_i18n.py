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
        extracted = {message.id for message in read_po(handle) if message.id}
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="sv")
    translated = {message.id for message in catalogue if message.id and message.string}
    missing = extracted - translated
    assert not missing, f"Kör `make i18n-update`; saknas i sv-katalogen: {sorted(missing)[:10]}"
    assert len(extracted) > 150
