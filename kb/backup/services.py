"""Backup and restore of the whole database: checks shared by SQLite and PostgreSQL.

A backup is the database engine's own format: a SQLite database file made with the SQLite
backup API, or a ``pg_dump`` custom-format archive. Either carries the schema revision in its
``alembic_version`` table, so a restore can refuse a backup made by newer code.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from flask import current_app
from sqlalchemy import inspect, literal, select
from sqlalchemy.engine import Engine

from kb.database import Base

# Derived from the other tables and rebuilt after every restore, so rows here alone do not
# make a database "in use".
DERIVED_TABLES = frozenset({"search_outbox", "search_documents", "search_facet_sets"})
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore failed; the message is Swedish and meant for the operator."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    size: int
    backend: str
    revision: str | None
    details: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RevisionState:
    revision: str | None
    head: str
    current: bool  # equal to the code's head (or unknown but assumed equal: no version table)
    note: str


def human_size(size: int) -> str:
    """Format a byte count the Swedish way, e.g. 1,5 MB."""
    value = float(size)
    for unit in ("byte", "kB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            text = f"{value:.0f}" if unit == "byte" else f"{value:.1f}".replace(".", ",")
            return f"{text} {unit}"
        value /= 1024
    return f"{size} byte"  # pragma: no cover


def file_kind(path: Path) -> str:
    """Say which engine wrote a backup file: 'sqlite' or 'postgresql'."""
    try:
        with path.open("rb") as handle:
            start = handle.read(len(SQLITE_MAGIC))
    except FileNotFoundError as error:
        raise BackupError(f"Filen {path} finns inte.") from error
    except OSError as error:
        raise BackupError(f"Filen {path} går inte att läsa: {error.strerror}.") from error
    if start.startswith(SQLITE_MAGIC):
        return "sqlite"
    if start.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(
        f"Filen {path} är ingen säkerhetskopia från Kunskapsbanken: den är varken en "
        "SQLite-databas eller ett arkiv från pg_dump (-Fc). Databasen har inte ändrats."
    )


def _scripts() -> ScriptDirectory:
    return ScriptDirectory(current_app.extensions["migrate"].directory)


def check_revision(revisions: list[str]) -> RevisionState:
    """Refuse a backup whose schema revision the code does not know (made by newer code)."""
    scripts = _scripts()
    heads = scripts.get_heads()
    head = ", ".join(heads)
    if not revisions:
        note = "Säkerhetskopian saknar schemaversion (ingen alembic_version); den antas stämma."
        return RevisionState(None, head, True, note)
    revision = ", ".join(revisions)
    for one in revisions:
        try:
            known = scripts.get_revision(one)
        except CommandError:
            known = None
        if known is None:
            raise BackupError(
                f"Säkerhetskopian har schemaversion {one}, som är nyare än den här versionen "
                f"av Kunskapsbanken (senaste migreringen: {head}). Uppdatera Kunskapsbanken "
                "först och återställ sedan. Databasen har inte ändrats."
            )
    if set(revisions) == set(heads):
        return RevisionState(revision, head, True, f"Schemaversion {revision} (aktuell).")
    note = (
        f"Schemaversion {revision} är äldre än kodens ({head}). Kör `flask db upgrade` och "
        "sedan `flask kb search rebuild`."
    )
    return RevisionState(revision, head, False, note)


def tables_with_rows(engine: Engine) -> list[str]:
    """The app's tables that hold at least one row; derived search tables do not count."""
    existing = set(inspect(engine).get_table_names())
    tables = [
        table
        for table in Base.metadata.sorted_tables
        if table.name in existing and table.name not in DERIVED_TABLES
    ]
    with engine.connect() as connection:
        return [
            table.name
            for table in tables
            if connection.execute(select(literal(1)).select_from(table).limit(1)).first()
        ]


def refuse_unless_empty(engine: Engine, force: bool) -> None:
    """Stop a restore over a database in use, unless the operator said --force."""
    if force:
        return
    used = tables_with_rows(engine)
    if used:
        shown = ", ".join(used[:8]) + (" med flera" if len(used) > 8 else "")
        raise BackupError(
            f"Databasen är inte tom: det finns rader i {shown}. En återställning skriver över "
            "allt. Använd --force om det är meningen. Databasen har inte ändrats."
        )


@contextmanager
def temporary_beside(target: Path) -> Iterator[Path]:
    """A private (0600) temporary file next to target, removed unless it was renamed."""
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except FileNotFoundError as error:
        raise BackupError(f"Katalogen {target.parent} finns inte.") from error
    except OSError as error:
        raise BackupError(disk_message(target, error)) from error
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
    finally:
        temporary.unlink(missing_ok=True)


def publish(temporary: Path, target: Path) -> int:
    """Flush the finished file to disk and rename it over target atomically; return its size."""
    try:
        with temporary.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except OSError as error:
        raise BackupError(disk_message(target, error)) from error
    return target.stat().st_size


def disk_message(target: Path, error: OSError | Exception) -> str:
    """A Swedish explanation of a write failure, naming a full disk when that is the cause."""
    text = str(error)
    if getattr(error, "errno", None) == 28 or "full" in text or "No space" in text:
        return f"Disken är full: säkerhetskopian {target} kunde inte skrivas."
    return f"Säkerhetskopian {target} kunde inte skrivas: {text}"
