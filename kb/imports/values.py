"""Parse one cell's text into a value, or raise CellError with a Swedish message."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache

from flask_babel import gettext as _
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.se import orgnr

from kb.experiences.periods import YearMonth
from kb.imports.columns import (
    BOOLEAN,
    DATE,
    DECIMAL,
    INTEGER,
    LIST,
    LIST_SEPARATOR,
    LONG_TEXT,
    MONTH,
    ORG_NUMBER,
    RATING,
    ImportColumn,
    normalise_header,
)

TRUE_WORDS = {"ja", "j", "yes", "y", "true", "sant", "1", "x"}
FALSE_WORDS = {"nej", "n", "no", "false", "falskt", "0"}
NOT_APPLICABLE = {"ej_aktuellt", "ea", "-", "n/a", "na", "not_applicable", "ej_tillampligt"}


class CellError(ValueError):
    """The cell's text is not a valid value; the message says why, in Swedish."""


def parse_cell(column: ImportColumn, text: str) -> object:
    """Return the typed value of non-empty text for a column (choices are left as text)."""
    text = text.strip() if column.kind != LONG_TEXT else text.strip("\r\n\t ")
    if column.max_length and len(text) > column.max_length:
        raise CellError(_("Högst %(n)d tecken.", n=column.max_length))
    if column.choices is not None:
        return parse_choice(column.choices, text)
    if column.kind == RATING:
        return parse_rating(text)
    parser = _PARSERS.get(column.kind)
    return parser(text) if parser else text


def parse_org_number(text: str) -> str:
    try:
        return orgnr.format(orgnr.validate(text))
    except InvalidChecksum:
        raise CellError(_("Organisationsnumret %(n)s har fel kontrollsiffra.", n=text)) from None
    except ValidationError:
        raise CellError(
            _("%(n)s är inte ett organisationsnummer (tio siffror, NNNNNN-NNNN).", n=text)
        ) from None


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text[:10]) if len(text) in (10, 19) else date.fromisoformat("x")
    except ValueError:
        raise CellError(
            _("%(v)s är inte ett datum. Skriv ÅÅÅÅ-MM-DD, till exempel 2024-03-01.", v=text)
        ) from None


def parse_month(text: str) -> YearMonth:
    try:
        if len(text) >= 10:
            day = parse_date(text)
            return YearMonth(day.year, day.month)
        month = YearMonth.parse(text)
    except (ValueError, CellError):
        raise CellError(
            _("%(v)s är inte en månad. Skriv ÅÅÅÅ-MM, till exempel 2024-03.", v=text)
        ) from None
    assert month is not None
    return month


def parse_integer(text: str) -> int:
    cleaned = text.replace(" ", "").replace("\u00a0", "")
    if cleaned.endswith((",0", ".0")):
        cleaned = cleaned[:-2]
    try:
        return int(cleaned)
    except ValueError:
        raise CellError(_("%(v)s är inte ett heltal.", v=text)) from None


def parse_decimal(text: str) -> Decimal:
    """Read '3 450,50', '3450.50' and '3.450,50' alike."""
    cleaned = text.replace(" ", "").replace("\u00a0", "")
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise CellError(_("%(v)s är inte ett tal.", v=text)) from None
    if not value.is_finite():
        raise CellError(_("%(v)s är inte ett tal.", v=text))
    return value


def parse_boolean(text: str) -> bool:
    word = text.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(_("Skriv ja eller nej, inte %(v)s.", v=text))


def parse_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]


E = type[enum.Enum]


@cache
def _choices(enum_class: E) -> dict[str, enum.Enum]:
    table: dict[str, enum.Enum] = {}
    for member in enum_class:
        label = str(getattr(member, "label", member.value))
        table[normalise_header(label)] = member
        table[normalise_header(str(member.value))] = member
        table[str(member.value)] = member
    return table


def parse_choice(enum_class: E, text: str) -> enum.Enum:
    """Accept a member's value or its Swedish label, case- and accent-insensitively."""
    table = _choices(enum_class)
    member = table.get(text) or table.get(normalise_header(text))
    if member is not None:
        return member
    allowed = ", ".join(str(member.value) for member in enum_class)
    raise CellError(
        _("%(v)s är inget giltigt värde. Tillåtna: %(allowed)s.", v=text, allowed=allowed)
    )


def parse_rating(text: str) -> int | None:
    """Return 1-5, or None for 'ej aktuellt'."""
    if text in {"1", "2", "3", "4", "5"}:
        return int(text)
    if text == "-" or normalise_header(text) in NOT_APPLICABLE:
        return None
    raise CellError(_("Betyget ska vara 1–5 eller ”ej aktuellt”, inte %(v)s.", v=text))


_PARSERS = {
    ORG_NUMBER: parse_org_number,
    DATE: parse_date,
    MONTH: parse_month,
    INTEGER: parse_integer,
    DECIMAL: parse_decimal,
    BOOLEAN: parse_boolean,
    LIST: parse_list,
}
