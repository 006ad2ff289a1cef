"""Every row of every table, compared and put back cheaply; and a scan for identity numbers.

A snapshot reads all tables (the world is small; on PostgreSQL in one query, each table as
JSON). Restoring after an accepted request copies
the SQLite file back with the backup API, or on PostgreSQL rewrites only the tables that
changed, with triggers off (``session_replication_role = replica``) so the append-only audit
table and the rating-total triggers let the rows be put back exactly as they were.
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from kb.database import Base
from tests.fuzz_values import is_valid_identity_number

# Machine-made values no person types: hashes of passwords and API tokens. And a supplier's
# organisation number: a sole trader's (enskild firma) is by law the owner's personnummer, so
# the register must be able to hold one there, and only there.
NOT_TEXT = {
    ("users", "password_hash"),
    ("api_tokens", "token_hash"),
    ("suppliers", "org_number"),
}
NOT_TEXT_IN_LOG = {"password_hash", "token_hash"}
SUPPLIER_ENTITY = "Supplier"


@dataclass(frozen=True)
class Snapshot:
    rows: dict[str, list[dict[str, Any]]]

    @classmethod
    def take(cls, engine: Engine) -> Snapshot:
        tables = Base.metadata.sorted_tables
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":  # one round trip: each table as JSON
                parts = ", ".join(f"(SELECT json_agg(t) FROM {table.name} t)" for table in tables)
                values = connection.execute(text(f"SELECT {parts}")).one()
                return cls({t.name: list(v or []) for t, v in zip(tables, values, strict=True)})
            return cls(
                {
                    table.name: [dict(row._mapping) for row in connection.execute(select(table))]
                    for table in tables
                }
            )

    def canonical(self, table: str) -> list[str]:
        return sorted(repr(sorted(row.items())) for row in self.rows[table])

    def changed_tables(self, other: Snapshot) -> list[str]:
        return [name for name in self.rows if self.canonical(name) != other.canonical(name)]

    def describe_changes(self, other: Snapshot) -> str:
        """What ``other`` has that this snapshot has not, and the other way round."""
        lines = []
        for name in self.changed_tables(other):
            before, after = set(self.canonical(name)), set(other.canonical(name))
            lines.append(f"{name}: +{sorted(after - before)[:2]} -{sorted(before - after)[:2]}")
        return "\n".join(lines)[:3000]

    def new_rows(self, other: Snapshot) -> Iterator[tuple[str, dict[str, Any]]]:
        """Rows of ``other`` that this snapshot does not hold (added or changed)."""
        for name in self.changed_tables(other):
            before = set(self.canonical(name))
            for row in other.rows[name]:
                if repr(sorted(row.items())) not in before:
                    yield name, row


def restore(engine: Engine, baseline: Snapshot, current: Snapshot, sqlite_copy: str | None):
    """Put the database back to ``baseline``; ``current`` says which tables changed."""
    engine.dispose()
    if sqlite_copy is not None:
        live = engine.url.database
        with sqlite3.connect(sqlite_copy) as source, sqlite3.connect(live) as target:
            source.backup(target)
        return
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for name in baseline.changed_tables(current):
            connection.execute(text(f"DELETE FROM {name}"))
            if baseline.rows[name]:
                connection.execute(
                    text(
                        f"INSERT INTO {name} SELECT * FROM "
                        f"json_populate_recordset(NULL::{name}, CAST(:rows AS json))"
                    ),
                    {"rows": json.dumps(baseline.rows[name])},
                )


# --- Identity numbers in stored text ----------------------------------------------------------

_GAP = re.compile(r" {0,3}[-+]? {0,3}")
_TAG = re.compile(r"<[^>]*>")


def visible(value: str) -> str:
    """What a reader sees: HTML tags dropped, entities decoded (for the *_html columns)."""
    return html.unescape(_TAG.sub("", value))


def _as_typed(value: str) -> str:
    """Digits as digits, dashes as '-', spaces as ' ', invisible and combining marks dropped:
    how the number reads on screen, whatever characters were used to write it."""
    out = []
    for char in value:
        category = unicodedata.category(char)
        if category in ("Cf", "Mn", "Me"):
            continue
        if category == "Nd":
            out.append(str(unicodedata.digit(char)))
        elif category == "Pd" or char == "\u2212":
            out.append("-")
        elif category == "Zs" or char == "\t":
            out.append(" ")
        elif char == "\uff0b":
            out.append("+")
        else:
            out.append(char)
    return "".join(out)


def identity_numbers_in(value: str) -> list[str]:
    """Valid personnummer and samordningsnummer: any run of digit groups joined by a hyphen,
    plus or up to three spaces, read as 10 or 12 digits whose last four are written together."""
    typed = _as_typed(value)
    groups = [(m.start(), m.end()) for m in re.finditer(r"[0-9]+", typed)]
    found = []
    for first in range(len(groups)):
        digits, separator = "", "-"
        for index in range(first, len(groups)):
            start, end = groups[index]
            if index > first:
                gap = typed[groups[index - 1][1] : start]
                if not gap or not _GAP.fullmatch(gap):
                    break
                separator = "+" if "+" in gap else separator
            digits += typed[start:end]
            if len(digits) > 12:
                break
            if len(digits) in (10, 12) and end - start >= 4 and _plausible(digits):
                written = f"{digits[:-4]}{separator}{digits[-4:]}"
                if is_valid_identity_number(written):
                    found.append(typed[groups[first][0] : end])
    return found


def _plausible(digits: str) -> bool:
    """A 12-digit number starts with a century a living person or a recent record has."""
    return len(digits) == 10 or digits[:2] in ("18", "19", "20")


def _strings(value: Any, name: str, skipped: set[str]) -> Iterator[str]:
    """The texts in a column value (JSON included), as a reader sees them."""
    if isinstance(value, str):
        yield visible(value) if name.endswith("_html") else value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in skipped:
                yield from _strings(item, str(key), skipped)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item, name, skipped)


def identity_numbers_stored(rows: Iterator[tuple[str, dict[str, Any]]]) -> list[str]:
    """Each identity number found, as 'table.column: number'."""
    found = []
    for table, row in rows:
        for column, value in row.items():
            if (table, column) in NOT_TEXT:
                continue
            skipped = set(NOT_TEXT_IN_LOG)
            if table == "audit_records" and row.get("entity") == SUPPLIER_ENTITY:
                skipped.add("org_number")  # the supplier's number, as logged
            for string in _strings(value, column, skipped):
                found += [f"{table}.{column}: {n!r}" for n in identity_numbers_in(string)]
    return found
