"""The one privacy guard for every free-text field in Kunskapsbanken.

Kunskapsbanken holds knowledge about care suppliers, never case files, so free text must not
hold a Swedish personal identity number. :func:`check_text` and :func:`check_fields` return a
:class:`PrivacyReport`: *errors* (a valid personnummer or samordningsnummer) block saving,
*warnings* (e-mail addresses, phone numbers) ask the writer to check the text.

Identity numbers (blocking). A candidate is ``[CC]YYMMDD[sep]NNNN`` where:

* ``CC`` is an optional century 18, 19 or 20 (12-digit form);
* the date digits may be split into pairs by single spaces ("19 81 12 18", "8112 18");
* ``sep`` is ``-``, ``+`` (aged 100 or over) or nothing, with up to three spaces around it
  ("811218-9876", "811218 - 9876", "19811218 9876", "8112189876");
* the last four digits are written together, and no digit touches either end of the
  candidate, so letters and punctuation around it do not matter ("(811218-9876)",
  "pnr:811218-9876,").

Not recognised: the last four split ("811218-98 76"), dots as separators ("81.12.18-9876")
and masked numbers ("811218-XXXX").

The text is checked as a reader sees it (:mod:`kb.privacy.reading`): a look-alike dash or
space, digits of another script, invisible characters between the digits and Markdown that
renders away ("811218&#45;9876", "8112**18**-9876") count as what they look like. Positions
and excerpts are those of the text as typed.

A candidate is refused only when it is valid: a real date and a correct Luhn check digit.
``stdnum.se.personnummer.is_valid`` decides for personnummer. It rejects samordningsnummer
(day + 60) as an impossible date, so for days 61-91 the date is checked with
``personnummer.get_birth_date`` on the number with the day minus 60, and the check digit with
``stdnum.luhn.is_valid`` on the ten digits as written. Every position is tried, so an invalid
candidate never hides a valid number that overlaps it. Organisation numbers are never refused:
their third digit is 2 or more, so their "month" is 20 or more and no date is valid.

Phone numbers (warning): ``0`` or ``+46``/``0046`` (optionally "(0)"), then a non-zero digit
and 6-8 more digits with single spaces or hyphens between them ("070-123 45 67",
"08-123 456 78", "031-12 34 56", "+46 70 123 45 67", "0046 8 123 456", "0701234567").
Nothing may come straight before it that makes it part of another token (a letter, digit,
"+", "-", "/", "." or ","), which keeps out diarienummer such as "SN 2023/0456-2.4".

Precedence: identity numbers are checked first, and a phone candidate that overlaps a
refused identity number or an e-mail address is not reported again. So "0504121234" is a
personnummer when its check digit holds and otherwise a phone number, while "070-123 45 69"
(grouped like a phone) is always a phone. A phone candidate in identity-number shape with a
separator ("050412-1234", bad check digit) or in date shape ("01-03-2024") is not reported:
nobody writes phone numbers like that.

E-mail addresses (warning): a local part, "@", and a domain with a top-level label of letters.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import accumulate

from flask_babel import gettext as _
from stdnum import luhn
from stdnum.exceptions import ValidationError
from stdnum.se import personnummer

from kb.privacy.reading import as_read, mask_last_digits

PERSONNUMMER = "personnummer"
SAMORDNINGSNUMMER = "samordningsnummer"
EMAIL = "email"
PHONE = "phone"
BLOCKING_KINDS = frozenset({PERSONNUMMER, SAMORDNINGSNUMMER})

_SPACE = "[ \u00a0]"
_IDENTITY = re.compile(
    rf"(?<![0-9])(?=(?P<all>(?P<century>(?:1[89]|20){_SPACE}?)?"
    rf"(?P<date>[0-9]{{2}}{_SPACE}?[0-9]{{2}}{_SPACE}?[0-9]{{2}})"
    rf"{_SPACE}{{0,3}}(?P<sep>[-+]?){_SPACE}{{0,3}}(?P<serial>[0-9]{{4}}))(?![0-9]))"
)
_GAP = rf"(?:{_SPACE}?-{_SPACE}?|{_SPACE})?"
_PHONE = re.compile(
    rf"(?<![\w+\-/.,])(?:(?:\+|00)46{_GAP}(?:\(0\){_GAP})?|0)[1-9](?:{_GAP}[0-9]){{6,8}}(?![0-9])"
)
_EMAIL = re.compile(
    r"(?<![\w.%+\-])[\w.%+\-]{1,64}@(?:[\w\-]{1,63}\.){1,8}[^\W\d_]{2,24}(?![\w\-])"
)
_NOT_PHONE = re.compile(r"[0-9]{6}[-+][0-9]{4}|[0-9]{2}-[0-9]{2}-[0-9]{4}")


@dataclass(frozen=True)
class PrivacyIssue:
    """Something in one field that may point out a person."""

    field: str
    field_label: str
    kind: str
    start: int
    end: int
    excerpt: str
    line: int
    column: int

    @property
    def blocking(self) -> bool:
        return self.kind in BLOCKING_KINDS

    def message(self) -> str:
        where = {"label": self.field_label, "line": self.line, "column": self.column}
        if self.kind == PERSONNUMMER:
            return _(
                "%(label)s innehåller något som ser ut som ett personnummer "
                "(rad %(line)d, tecken %(column)d: %(excerpt)s). "
                "Ta bort det – Kunskapsbanken får inte innehålla personnummer.",
                excerpt=self.excerpt,
                **where,
            )
        if self.kind == SAMORDNINGSNUMMER:
            return _(
                "%(label)s innehåller något som ser ut som ett samordningsnummer "
                "(rad %(line)d, tecken %(column)d: %(excerpt)s). "
                "Ta bort det – Kunskapsbanken får inte innehålla samordningsnummer.",
                excerpt=self.excerpt,
                **where,
            )
        if self.kind == EMAIL:
            return _(
                "%(label)s innehåller en e-postadress (rad %(line)d, tecken %(column)d). "
                "Kontrollera att den inte pekar ut en person.",
                **where,
            )
        return _(
            "%(label)s innehåller ett telefonnummer (rad %(line)d, tecken %(column)d). "
            "Kontrollera att det inte pekar ut en person.",
            **where,
        )


@dataclass(frozen=True)
class PrivacyReport:
    """All issues found, in field order and then text order."""

    issues: tuple[PrivacyIssue, ...] = ()

    @property
    def errors(self) -> tuple[PrivacyIssue, ...]:
        return tuple(issue for issue in self.issues if issue.blocking)

    @property
    def warnings(self) -> tuple[PrivacyIssue, ...]:
        return tuple(issue for issue in self.issues if not issue.blocking)

    @property
    def ok(self) -> bool:
        return not self.issues


def check_text(text: str | None, field: str, field_label: str) -> PrivacyReport:
    """Check one free-text field."""
    if not text:
        return PrivacyReport()
    reading = as_read(text)
    spans = sorted(_find_spans(reading.text))
    if not spans:
        return PrivacyReport()
    line_starts = [0, *(match.end() for match in re.finditer("\n", text))]
    issues = tuple(
        _issue(text, field, field_label, kind, *reading.span(start, end), line_starts)
        for start, end, kind in spans
    )
    return PrivacyReport(issues)


def check_fields(fields: Mapping[str, tuple[str, str | None]]) -> PrivacyReport:
    """Check several fields, given as name -> (label, text), keeping their order."""
    issues: list[PrivacyIssue] = []
    for field, (label, text) in fields.items():
        issues.extend(check_text(text, field, label).issues)
    return PrivacyReport(tuple(issues))


def _find_spans(text: str) -> list[tuple[int, int, str]]:
    spans = list(_identity_spans(text))
    spans += [(*match.span(), EMAIL) for match in _EMAIL.finditer(text)]
    spans.sort()
    starts = [start for start, _, _ in spans]
    reach = list(accumulate((end for _, end, _ in spans), max))
    for match in _PHONE.finditer(text):
        start, end = match.span()
        before = bisect_left(starts, end)
        overlaps = before > 0 and reach[before - 1] > start
        if not overlaps and not _NOT_PHONE.fullmatch(re.sub(_SPACE, "", match.group())):
            spans.append((start, end, PHONE))
    return spans


def _identity_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """Valid identity numbers; a valid one is skipped past, an invalid one is not."""
    after = 0
    for match in _IDENTITY.finditer(text):
        start, end = match.span("all")
        if start < after:
            continue
        date = re.sub("[^0-9]", "", (match["century"] or "") + match["date"])
        kind = _identity_kind(date, match["sep"] or "-", match["serial"])
        if kind:
            after = end
            yield start, end, kind


def _identity_kind(date: str, separator: str, serial: str) -> str | None:
    """Return the kind of a valid personnummer or samordningsnummer, else None."""
    day = int(date[-2:])
    if day <= 60:
        return PERSONNUMMER if personnummer.is_valid(date + separator + serial) else None
    real_date = f"{date[:-2]}{day - 60:02d}"
    try:
        personnummer.get_birth_date(real_date + separator + serial)
    except ValidationError:
        return None
    return SAMORDNINGSNUMMER if luhn.is_valid((date + serial)[-10:]) else None


def _issue(
    text: str,
    field: str,
    label: str,
    kind: str,
    start: int,
    end: int,
    line_starts: list[int],
) -> PrivacyIssue:
    excerpt = text[start:end]
    if kind in BLOCKING_KINDS:
        excerpt = mask_last_digits(excerpt)
    line = bisect_right(line_starts, start)
    column = start - line_starts[line - 1] + 1
    return PrivacyIssue(field, label, kind, start, end, excerpt, line, column)
