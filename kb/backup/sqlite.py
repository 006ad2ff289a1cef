"""SQLite: online backup and restore with the SQLite backup API.

The copy is made in one backup step, that is inside one read transaction on the source, so it
is a consistent snapshot even while the app writes. In WAL mode writers go on during the copy;
in the default rollback-journal mode they wait for it (within their busy timeout). The copy is
switched to journal_mode=DELETE so the backup is one self-contained file, never a -wal pair.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import Engine

from kb.backup.services import (
    BackupError,
    BackupSummary,
    disk_message,
    human_size,
    publish,
    temporary_beside,
)

SUMMARY_TABLES = ("organisations", "users", "suppliers", "experiences", "findings")
REQUIRED_TABLES = frozenset({"organisations", "users", "experiences", "audit_records"})
BUSY_TIMEOUT_SECONDS = 60


def database_path(engine: Engine) -> Path:
    """The configured database file; an in-memory database cannot be backed up."""
    database = engine.url.database
    if not database or database == ":memory:" or engine.url.query.get("mode") == "memory":
        raise BackupError("Databasen finns bara i minnet och kan inte säkerhetskopieras.")
    return Path(database).resolve()


def _uri(path: Path, mode: str) -> str:
    return f"{path.as_uri()}?mode={mode}"


def _revisions(connection: sqlite3.Connection) -> list[str]:
    tables = _table_names(connection)
    if "alembic_version" not in tables:
        return []
    rows = connection.execute("SELECT version_num FROM alembic_version ORDER BY 1")
    return [row[0] for row in rows]


def _table_names(connection: sqlite3.Connection) -> set[str]:
    rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {row[0] for row in rows}


def _summary(connection: sqlite3.Connection) -> list[str]:
    tables = _table_names(connection)
    counts = [
        f"{name}: {connection.execute(f'SELECT count(*) FROM {name}').fetchone()[0]}"
        for name in SUMMARY_TABLES
        if name in tables
    ]
    return [f"{len(tables)} tabeller", ", ".join(counts)]


def backup_sqlite(engine: Engine, target: Path) -> BackupSummary:
    """Copy the live database file to target through a temporary file and an atomic rename."""
    source_path = database_path(engine)
    if not source_path.is_file():
        raise BackupError(f"Databasfilen {source_path} finns inte.")
    with temporary_beside(target) as temporary:
        try:
            with (
                closing(
                    sqlite3.connect(_uri(source_path, "rw"), uri=True, timeout=BUSY_TIMEOUT_SECONDS)
                ) as source,
                closing(sqlite3.connect(temporary)) as copy,
            ):
                source.backup(copy)  # pages=-1: one step, one read transaction, one snapshot
                copy.execute("PRAGMA journal_mode=DELETE")
                revisions = _revisions(copy)
                details = _summary(copy)
        except sqlite3.Error as error:
            if "full" in str(error):
                raise BackupError(disk_message(target, error)) from error
            raise BackupError(
                f"Databasen {source_path} gick inte att läsa: {error}. Ingen säkerhetskopia skrevs."
            ) from error
        size = publish(temporary, target)
    return BackupSummary(target, size, "sqlite", ", ".join(revisions) or None, details)


def read_sqlite_backup(path: Path) -> list[str]:
    """Check that path is an intact SQLite backup of this app; return its schema revisions."""
    try:
        with closing(sqlite3.connect(_uri(path.resolve(), "ro") + "&immutable=1", uri=True)) as db:
            problems = [row[0] for row in db.execute("PRAGMA quick_check")]
            if problems != ["ok"]:
                raise BackupError(
                    f"Säkerhetskopian {path} är skadad ({'; '.join(problems[:3])}). "
                    "Databasen har inte ändrats."
                )
            missing = REQUIRED_TABLES - _table_names(db)
            if missing:
                raise BackupError(
                    f"Filen {path} är en SQLite-databas men ingen säkerhetskopia av "
                    f"Kunskapsbanken (tabeller saknas: {', '.join(sorted(missing))}). "
                    "Databasen har inte ändrats."
                )
            return _revisions(db)
    except sqlite3.Error as error:
        raise BackupError(
            f"Säkerhetskopian {path} är skadad eller ofullständig: {error}. "
            "Databasen har inte ändrats."
        ) from error


def restore_sqlite(engine: Engine, path: Path) -> str:
    """Replace the configured database's content with the backup's, in one write transaction."""
    target = database_path(engine)
    engine.dispose()  # no pooled connection of ours keeps a stale view or a lock
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            closing(sqlite3.connect(_uri(path.resolve(), "ro") + "&immutable=1", uri=True)) as src,
            closing(sqlite3.connect(target, timeout=BUSY_TIMEOUT_SECONDS)) as destination,
        ):
            src.backup(destination)
    except sqlite3.Error as error:
        raise BackupError(
            f"Återställningen till {target} misslyckades: {error}. SQLite skriver kopian i en "
            "transaktion, så databasen är oförändrad."
        ) from error
    return f"{human_size(target.stat().st_size)} återställt till {target}."
