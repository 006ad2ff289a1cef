"""What every import kind shares: the context it runs in, progress, and writing helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select

from kb.extensions import db
from kb.imports.rows import ParsedRow, ParsedTable
from kb.organisations.models import Organisation
from kb.suppliers.models import AgreementArea

FLUSH_EVERY = 1000
IN_CHUNK = 5000


class Progress(Protocol):
    def start(self, stage: str, total: int) -> None: ...

    def advance(self, count: int) -> None: ...


class NoProgress:
    def start(self, stage: str, total: int) -> None:
        return None

    def advance(self, count: int) -> None:
        return None


@dataclass
class ImportContext:
    """Who imports, for which organisation, and when; counts are filled in while writing."""

    organisation_id: int | None
    user_id: int | None
    filename: str
    now: datetime
    progress: Progress = field(default_factory=NoProgress)
    created: int = 0
    updated: int = 0


def assign(obj: Any, values: dict[str, Any]) -> bool:
    """Set the attributes that differ; return whether any did."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def name_key(text: str) -> str:
    """Compare names case- and space-insensitively."""
    return " ".join(text.casefold().split())


def chunks(items: list[Any], size: int = IN_CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def load_in(model: Any, column: Any, keys: Iterable[Any]) -> list[Any]:
    """Load rows whose column is in keys, one query per few thousand keys."""
    found: list[Any] = []
    for part in chunks(sorted(set(keys))):
        found += db.session.scalars(select(model).where(column.in_(part)))
    return found


def area_ids_by_name() -> dict[str, int]:
    rows = db.session.execute(select(AgreementArea.name, AgreementArea.id))
    return {name_key(name): area_id for name, area_id in rows}


def organisation_ids_by_name() -> dict[str, int]:
    rows = db.session.execute(select(Organisation.name, Organisation.id))
    return {name_key(name): organisation_id for name, organisation_id in rows}


def resolve_names(
    parsed: ParsedTable, row: ParsedRow, key: str, ids: dict[str, int], message: str
) -> list[int]:
    """Return the ids for a list cell of names, reporting each unknown name."""
    found = []
    for name in row.values.get(key, []):  # type: ignore[union-attr]
        if name_key(name) in ids:
            found.append(ids[name_key(name)])
        else:
            parsed.problem(row, key, message % {"name": name})
    return found


def write_rows(
    parsed: ParsedTable,
    context: ImportContext,
    write_one: Callable[[ParsedRow], str | None],
    total: int | None = None,
) -> None:
    """Call write_one per row ('created', 'updated' or None), flushing in chunks."""
    context.progress.start("write", total or len(parsed.rows))
    for index, row in enumerate(parsed.rows, start=1):
        outcome = write_one(row)
        if outcome == "created":
            context.created += 1
        elif outcome == "updated":
            context.updated += 1
        if index % FLUSH_EVERY == 0:
            db.session.flush()
            context.progress.advance(FLUSH_EVERY)
    db.session.flush()
    context.progress.advance(len(parsed.rows) % FLUSH_EVERY)
