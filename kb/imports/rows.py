"""Map a table's headers to a kind's columns and parse every cell, collecting problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from kb.imports.columns import ImportColumn, ImportKind, normalise_header
from kb.imports.problems import ImportRejected, Problem
from kb.imports.readers import Table
from kb.imports.values import CellError, parse_cell
from kb.privacy.guard import check_text

HEADER_ROW = 1
MAX_PROBLEMS = 1000


@dataclass
class ParsedRow:
    """One row's typed values by column key (absent = empty cell) and where it came from."""

    number: int
    values: dict[str, object]
    resolved: dict[str, object] = field(default_factory=dict)


@dataclass
class ParsedTable:
    kind: ImportKind
    rows: list[ParsedRow]
    headers: dict[str, str]  # column key -> header as written in the file
    problems: list[Problem]
    warnings: list[Problem]

    def header(self, key: str) -> str:
        column = next(c for c in self.kind.columns if c.key == key)
        return self.headers.get(key, column.swedish)

    def problem(self, row: ParsedRow | int | None, key: str | None, message: str) -> None:
        number = row.number if isinstance(row, ParsedRow) else row
        self.problems.append(Problem(number, self.header(key) if key else None, message))


def map_headers(kind: ImportKind, headers: list[str]) -> list[ImportColumn | None]:
    """Return the column for each header; raise ImportRejected for unknown or missing ones."""
    by_name = kind.column_by_header()
    problems: list[Problem] = []
    columns: list[ImportColumn | None] = []
    seen: dict[str, str] = {}
    for header in headers:
        name = normalise_header(header)
        column = by_name.get(name)
        if not name:
            columns.append(None)
            continue
        if column is None:
            problems.append(Problem(HEADER_ROW, header, _unknown_column(kind, header)))
        elif column.key in seen:
            problems.append(
                Problem(
                    HEADER_ROW,
                    header,
                    _("Kolumnen finns två gånger (även %(o)s).", o=seen[column.key]),
                )
            )
        else:
            seen[column.key] = header
        columns.append(column)
    for column in kind.columns:
        if column.required and column.key not in seen:
            problems.append(
                Problem(HEADER_ROW, column.swedish, _("Kolumnen saknas men är obligatorisk."))
            )
    if problems:
        raise ImportRejected(problems)
    return columns


def _unknown_column(kind: ImportKind, header: str) -> str:
    allowed = ", ".join(column.swedish for column in kind.columns)
    return _(
        "Okänd kolumn ”%(header)s” för %(kind)s. Tillåtna kolumner: %(allowed)s.",
        header=header,
        kind=str(kind.label).lower(),
        allowed=allowed,
    )


def parse_table(kind: ImportKind, table: Table, progress: Any = None) -> ParsedTable:
    """Parse every cell of every row; problems and privacy findings are collected, not raised."""
    columns = map_headers(kind, table.headers)
    headers = {c.key: h for c, h in zip(columns, table.headers, strict=True) if c is not None}
    parsed = ParsedTable(kind, [], headers, [], [])
    required = [c for c in kind.columns if c.required]
    for number, cells in table.rows:
        if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
            parsed.problems.append(Problem(number, None, _("Raden har fler celler än rubriker.")))
        row = ParsedRow(number, {})
        for column, text in zip(columns, cells, strict=False):
            if column is not None and text.strip():
                _parse_one(parsed, row, column, text)
        for column in required:
            if column.key not in row.values:
                parsed.problem(row, column.key, _("Värde saknas."))
        parsed.rows.append(row)
        if len(parsed.problems) > MAX_PROBLEMS:
            break
        if progress is not None and len(parsed.rows) % 1000 == 0:
            progress.advance(1000)
    if progress is not None:
        progress.advance(len(parsed.rows) % 1000)
    return parsed


def _parse_one(parsed: ParsedTable, row: ParsedRow, column: ImportColumn, text: str) -> None:
    try:
        value = parse_cell(column, text)
    except CellError as error:
        parsed.problem(row, column.key, str(error))
        return
    if column.is_text:
        report = check_text(text, column.key, parsed.header(column.key))
        for issue in report.issues:
            target = parsed.problems if issue.blocking else parsed.warnings
            target.append(Problem(row.number, parsed.header(column.key), issue.message()))
    row.values[column.key] = value


def duplicates(parsed: ParsedTable, key_of: object, key_column: str, message: str) -> None:
    """Report rows whose key repeats an earlier row's key in the same file."""
    first: dict[object, int] = {}
    for row in parsed.rows:
        key = key_of(row)  # type: ignore[operator]
        if key is None:
            continue
        if key in first:
            parsed.problem(row, key_column, message % {"row": first[key]})
        else:
            first[key] = row.number
