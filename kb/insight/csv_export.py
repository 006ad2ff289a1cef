"""Tables as CSV files that open correctly in Swedish Excel.

Swedish Excel expects a semicolon between fields (the comma is the decimal sign) and only
recognises UTF-8 when the file starts with a byte-order mark. Numbers get a decimal comma and
no thousands separator, dates are ISO 8601, None is an empty cell.

Text cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a
carriage return) get a leading apostrophe (OWASP "CSV injection"). Numbers are never
changed, and neither is text that is just a negative number such as "-12,5".
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from urllib.parse import quote

from flask import Response
from flask_babel import lazy_gettext as _l

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NEGATIVE_NUMBER = re.compile(r"-\d+([.,]\d+)?\Z")
_UNSAFE_FILENAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
YES, NO = _l("Ja"), _l("Nej")

Cell = str | int | float | Decimal | date | bool | Enum | None


def format_cell(value: Cell) -> str:
    """Return one cell as Swedish Excel reads it; text is guarded against formulas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(YES if value else NO)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return _decimal_comma(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return guard_formula(str(getattr(value, "label", value.value)))
    return guard_formula(str(value))


def _decimal_comma(value: float | Decimal) -> str:
    """Write the number in full, without exponent or thousands separator: 1234,5."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""  # Excel has no NaN or infinity
        value = Decimal(repr(value))  # the shortest text that reads back as the same float
    if not value.is_finite():
        return ""
    if value == 0:
        value = abs(value)  # no "-0"
    return format(value, "f").replace(".", ",")


def guard_formula(text: str) -> str:
    """Prefix an apostrophe when a spreadsheet would read the text as a formula."""
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NEGATIVE_NUMBER.match(text):
        return "'" + text
    return text


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """Return the table as UTF-8 CSV with a byte-order mark, semicolons and CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([guard_formula(str(header)) for header in headers])
    for row in rows:
        if len(row) != len(headers):
            raise ValueError("every row needs one cell per header")
        writer.writerow([format_cell(cell) for cell in row])
    return (BOM + buffer.getvalue()).encode("utf-8")


def content_disposition(filename: str) -> str:
    """Return an attachment header with an ASCII fallback name and the RFC 5987 UTF-8 name.

    "Avvikelser Björkhagen.csv" becomes: attachment; filename="Avvikelser_Bjorkhagen.csv";
    filename*=UTF-8''Avvikelser%20Bj%C3%B6rkhagen.csv
    """
    name = _clean_filename(filename)
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = _UNSAFE_FILENAME_CHARS.sub("_", ascii_name).strip("._") or "export"
    if not ascii_name.lower().endswith(".csv"):
        ascii_name += ".csv"
    encoded = quote(name, safe="!#$&+-.^_`|~")  # RFC 5987 attr-char
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}"


def _clean_filename(filename: str) -> str:
    """Drop paths, control characters and quotes; make sure the name ends in .csv."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and ch != '"')
    name = name.strip().strip(".") or "export"
    return name if name.lower().endswith(".csv") else f"{name}.csv"


def csv_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Response:
    """Return the table as a CSV download; needs no request context.

    The figures may be permission-filtered, so the response must not be stored by caches.
    """
    response = Response(csv_bytes(headers, rows), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "no-store"
    return response
