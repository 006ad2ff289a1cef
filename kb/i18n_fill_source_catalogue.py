"""Fill the Swedish catalogue: Swedish is the source language, so each msgstr is its msgid.

Run by ``make i18n-update`` after extracting. A later English catalogue is created with
``pybabel init -i kb/translations/messages.pot -d kb/translations -l en`` and translated.
"""

from __future__ import annotations

import sys

from babel.messages.pofile import read_po, write_po


def fill(path: str) -> int:
    with open(path, "rb") as handle:
        catalogue = read_po(handle, locale="sv")
    filled = 0
    for message in catalogue:
        if not message.id:
            continue
        if isinstance(message.id, tuple | list):  # plural: singular and plural forms
            if not all(message.string):
                message.string = tuple(message.id)
                filled += 1
        elif not message.string:
            message.string = message.id
            filled += 1
        message.flags.discard("fuzzy")
    with open(path, "wb") as handle:
        write_po(handle, catalogue, width=100, sort_by_file=True)
    return filled


if __name__ == "__main__":
    print(f"{fill(sys.argv[1])} meddelanden fyllda.")
