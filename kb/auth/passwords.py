"""Password rules and hashing.

A new password must be long enough (PASSWORD_MIN_LENGTH), not absurdly long, not a run of a
few characters or only digits (a date, a phone or personal identity number), not a common or
breached password (common_passwords.txt, also with digits and punctuation around it) and not
contain the user's name or e-mail address. Hashes are werkzeug's scrypt; a stored hash made
with another method or other parameters is replaced at the next successful sign-in.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

from flask_babel import gettext as _
from werkzeug.security import generate_password_hash

MAX_LENGTH = 256
MIN_DISTINCT_CHARACTERS = 5
MIN_PERSONAL_PART = 3
# scrypt with werkzeug's default cost (N=2**15, r=8, p=1), named in full so that a change of
# parameters is noticed by needs_rehash.
HASH_METHOD = "scrypt:32768:8:1"
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
_AROUND = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_PARTS = re.compile(r"[\s.\-_+@]+")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


def needs_rehash(stored_hash: str) -> bool:
    return not stored_hash.startswith(HASH_METHOD + "$")


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        _normalise(line) for line in lines if line.strip() and not line.startswith("#")
    )


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def _personal_parts(email: str, name: str) -> set[str]:
    local_part = _normalise(email).partition("@")[0]
    parts = {local_part, *_PARTS.split(local_part), *_PARTS.split(_normalise(name))}
    return {part for part in parts if len(part) >= MIN_PERSONAL_PART}


def password_problems(password: str, min_length: int, email: str = "", name: str = "") -> list[str]:
    """Return what is wrong with a new password, in Swedish; empty when it may be used."""
    if len(password) < min_length:
        return [_("Lösenordet måste ha minst %(count)d tecken.", count=min_length)]
    if len(password) > MAX_LENGTH:
        return [_("Lösenordet får ha högst %(count)d tecken.", count=MAX_LENGTH)]
    problems = []
    normalised = _normalise(password)
    if len(set(normalised)) < MIN_DISTINCT_CHARACTERS:
        problems.append(_("Lösenordet upprepar för få olika tecken. Blanda fler tecken eller ord."))
    elif normalised.isdigit():
        problems.append(
            _("Lösenordet får inte bara vara siffror, som ett datum eller ett telefonnummer.")
        )
    common = common_passwords()
    if normalised in common or _AROUND.sub("", normalised) in common:
        problems.append(
            _("Lösenordet är för vanligt och finns i listor som angripare provar. Välj ett annat.")
        )
    if any(part in normalised for part in _personal_parts(email, name)):
        problems.append(_("Lösenordet får inte innehålla ditt namn eller din e-postadress."))
    return problems
