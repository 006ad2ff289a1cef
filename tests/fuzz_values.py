"""Hypothesis strategies for hostile input: text, numbers, dates, identity numbers, payloads.

Identity numbers are generated valid (a real date and a correct Luhn check digit) and checked
with python-stdnum before use, in the written forms ÅÅMMDD-NNNN, ÅÅMMDDNNNN, ÅÅMMDD+NNNN,
ÅÅÅÅMMDDNNNN and ÅÅÅÅMMDD-NNNN, as personnummer and as samordningsnummer (day + 60).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

from hypothesis import strategies as st
from stdnum import luhn
from stdnum.exceptions import ValidationError
from stdnum.se import personnummer

PAYLOAD_FILE = Path(__file__).parent / "data" / "xss_payloads.txt"

# Characters that have broken text handling somewhere: direction marks and overrides,
# zero-width joiners and spaces, combining marks, a BOM, line and paragraph separators,
# astral characters and emoji (never a lone surrogate: those cannot be sent as UTF-8).
TRICKY = [
    "\u200f",  # right-to-left mark
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u200d",  # zero-width joiner
    "\u200b",  # zero-width space
    "\u00ad",  # soft hyphen
    "\u0301",  # combining acute accent
    "e\u0301\u0327\u0308",  # stacked combining marks
    "\ufeff",  # byte order mark
    "\u2028",  # line separator
    "\u2029",  # paragraph separator
    "\U0001d518",  # mathematical fraktur U
    "\U0001f600",  # grinning face
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # family, joined
    "\U0001f1f8\U0001f1ea",  # flag of Sweden
    "\uffff",  # a noncharacter
    "\ufffd",  # replacement character
    "ÅÄÖåäö",
    "\u0634\u0643\u0631\u0627",  # Arabic
    "\u05e9\u05dc\u05d5\u05dd",  # Hebrew
]
CONTROL = ["\x00", "\r", "\n", "\r\n", "\x1b[31m", "\x07", "\x08", "\x0b", "\x0c", "\x7f", "\t"]
EDGE_NUMBERS = [
    "0",
    "-0",
    "-1",
    "1",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "1e309",
    "-1e309",
    "1e-400",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "4,5",
    "4 500,50",
    "1.000.000,00",
    "0x10",
    "1_000",
    "+5",
    "٣",  # Arabic-Indic three
    "²",  # superscript two
    "１２",  # full-width twelve
    "0" * 400,
    "9" * 40,
]
EDGE_DATES = [
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-02-30",
    "2024-02-29",
    "2023-02-29",
    "2024-13-01",
    "2024-00-10",
    "1899-12-31",
    "1970-01-01",
    "2024-1-5",
    "2024/03/15",
    "15.03.2024",
    "2024-03-15T25:00",
    "2024-03",
    "0000-00",
    "9999-99",
    "2024-W10",
    "-2024-01-01",
    "२०२४-०३-१५",  # Devanagari digits
]
# Separators a person might type inside an identity number instead of a plain hyphen or space.
LOOKALIKE_HYPHENS = ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212", "\ufe63", "\uff0d"]
LOOKALIKE_SPACES = ["\u00a0", "\u2009", "\u202f", "\u2007", "\u3000"]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff"]


@cache
def xss_payloads() -> tuple[str, ...]:
    """The payload list: one per line; blank lines and lines starting with '# ' are skipped.
    In the file, the two characters \\0 stand for a NUL byte and \\n for a line break."""
    lines = PAYLOAD_FILE.read_text(encoding="utf-8").splitlines()
    payloads = [line for line in lines if line.strip() and not line.startswith("# ")]
    return tuple(p.replace("\\0", "\x00").replace("\\n", "\n") for p in payloads)


def valid_identity_number(kind: str, birth: date, serial: int) -> str:
    """The 12 digits of a valid personnummer or samordningsnummer (day + 60)."""
    day = birth.day + (60 if kind == "samordningsnummer" else 0)
    first_nine = f"{birth:%y%m}{day:02d}{serial:03d}"
    return f"{birth:%Y}{first_nine[2:]}" + luhn.calc_check_digit(first_nine)


def is_valid_identity_number(written: str) -> bool:
    """True when stdnum accepts the number, or accepts it with the day of a samordningsnummer
    lowered by 60 and the Luhn digit checked as written (stdnum rejects day 61-91)."""
    if personnummer.is_valid(written):
        return True
    digits = "".join(c for c in written if c.isdigit())
    separator = "+" if "+" in written else "-"
    day = int(digits[-6:-4]) if len(digits) in (10, 12) else 0
    if not 61 <= day <= 91 or not luhn.is_valid(digits[-10:]):
        return False
    real = f"{digits[:-6]}{day - 60:02d}"
    try:
        personnummer.get_birth_date(f"{real}{separator}{digits[-4:]}")
    except ValidationError:
        return False
    return True


def _written(full: str, layout: str) -> str:
    short, last = full[2:8], full[-4:]
    return {
        "short-dash": f"{short}-{last}",
        "short": f"{short}{last}",
        "short-plus": f"{short}+{last}",
        "long": f"{full[:8]}{last}",
        "long-dash": f"{full[:8]}-{last}",
    }[layout]


@st.composite
def identity_numbers(draw: st.DrawFn) -> str:
    """A valid personnummer or samordningsnummer in one of the common written forms."""
    kind = draw(st.sampled_from(["personnummer", "samordningsnummer"]))
    layout = draw(st.sampled_from(["short-dash", "short", "short-plus", "long", "long-dash"]))
    today = date.today()
    if layout == "short-plus":  # "+" means aged 100 or more
        latest = date(today.year - 100, 12, 31)
        birth = draw(st.dates(date(today.year - 199, 1, 1), latest))
    elif layout in ("short-dash", "short"):  # the century is implied: within the last 100 years
        birth = draw(st.dates(date(today.year - 99, 1, 1), today))
    else:
        birth = draw(st.dates(date(1850, 1, 1), today))
    written = _written(valid_identity_number(kind, birth, draw(st.integers(0, 999))), layout)
    assert is_valid_identity_number(written), written
    return written


@st.composite
def disguised_identity_numbers(draw: st.DrawFn) -> str:
    """A valid number as a person might paste it: with a look-alike hyphen or space, or with
    invisible characters between the digits."""
    written = draw(identity_numbers())
    how = draw(st.sampled_from(["plain", "hyphen", "space", "invisible"]))
    if how == "hyphen" and "-" in written:
        return written.replace("-", draw(st.sampled_from(LOOKALIKE_HYPHENS)))
    if how == "space":
        digits = written.replace("-", "").replace("+", "")
        return f"{digits[:-4]}{draw(st.sampled_from(LOOKALIKE_SPACES))}{digits[-4:]}"
    if how == "invisible":
        at = draw(st.integers(1, len(written) - 1))
        return written[:at] + draw(st.sampled_from(INVISIBLE)) + written[at:]
    return written


def plain_text(max_size: int = 60) -> st.SearchStrategy[str]:
    """Ordinary unicode text without surrogates (which cannot travel as UTF-8)."""
    return st.text(st.characters(codec="utf-8"), max_size=max_size)


def _joined(parts: st.SearchStrategy[list[str]]) -> st.SearchStrategy[str]:
    return parts.map("".join)


def tricky_text() -> st.SearchStrategy[str]:
    piece = st.one_of(plain_text(12), st.sampled_from(TRICKY), st.sampled_from(CONTROL))
    return _joined(st.lists(piece, max_size=8))


def overlong_text() -> st.SearchStrategy[str]:
    """Far above every field's maximum (the longest allowed is 20,000 characters)."""
    return st.builds(
        lambda unit, n: unit * n,
        st.sampled_from(["a", "å", "🙂", "x\n"]),
        st.sampled_from([301, 2_001, 20_001, 60_000]),
    )


def text_with_identity_number() -> st.SearchStrategy[str]:
    around = st.one_of(plain_text(20), st.sampled_from(["", " ", "pnr: ", "(", "\n", "x"]))
    return st.tuples(around, disguised_identity_numbers(), around).map("".join)


def xss_text() -> st.SearchStrategy[str]:
    payload = st.sampled_from(xss_payloads())
    return _joined(st.lists(st.one_of(payload, plain_text(8)), min_size=1, max_size=4))


def hostile_text() -> st.SearchStrategy[str]:
    """Anything a person, a paste or an attacker might put in a text box."""
    return st.one_of(
        plain_text(),
        tricky_text(),
        overlong_text(),
        st.sampled_from(EDGE_NUMBERS),
        st.sampled_from(EDGE_DATES),
        text_with_identity_number(),
        xss_text(),
    )


def hostile_scalar() -> st.SearchStrategy[str]:
    """A value for a choice, number or date field that is probably not one of its values."""
    return st.one_of(
        st.sampled_from(EDGE_NUMBERS),
        st.sampled_from(EDGE_DATES),
        st.sampled_from(["", " ", "true", "on", "y", "None", "null", "[]", "{}", "-", "ej"]),
        tricky_text(),
        overlong_text(),
    )
