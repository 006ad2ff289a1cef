"""Choose the engine's backup and restore, and run the checks a restore needs first."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from kb.backup.postgres import backup_postgres, read_archive, restore_postgres
from kb.backup.services import (
    BackupError,
    BackupSummary,
    RevisionState,
    check_revision,
    file_kind,
    refuse_unless_empty,
)
from kb.backup.sqlite import backup_sqlite, database_path, read_sqlite_backup, restore_sqlite

ENGINE_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass(frozen=True)
class RestoreOutcome:
    message: str
    revision: RevisionState


def _dialect(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in ENGINE_LABELS:
        raise BackupError(f"Databastypen {name} stöds inte; bara SQLite och PostgreSQL.")
    return name


def _refuse_the_live_file(engine: Engine, path: Path) -> None:
    if engine.dialect.name == "sqlite" and path.resolve() == database_path(engine):
        raise BackupError(f"{path} är själva databasfilen; välj en annan fil.")


def make_backup(engine: Engine, target: Path) -> BackupSummary:
    """Write a consistent backup of the configured database to target."""
    dialect = _dialect(engine)
    _refuse_the_live_file(engine, target)
    if target.is_dir():
        raise BackupError(f"{target} är en katalog; ange ett filnamn.")
    if dialect == "sqlite":
        return backup_sqlite(engine, target)
    return backup_postgres(engine, target)


def restore_backup(engine: Engine, path: Path, force: bool) -> RestoreOutcome:
    """Check the backup, its schema revision and the target, then restore it."""
    dialect = _dialect(engine)
    _refuse_the_live_file(engine, path)
    kind = file_kind(path)
    if kind != dialect:
        raise BackupError(
            f"{path} är en säkerhetskopia från {ENGINE_LABELS[kind]}, men databasen är "
            f"{ENGINE_LABELS[dialect]}. Databasen har inte ändrats."
        )
    revisions = read_sqlite_backup(path) if kind == "sqlite" else read_archive(path)[1]
    revision = check_revision(revisions)
    refuse_unless_empty(engine, force)
    if kind == "sqlite":
        return RestoreOutcome(restore_sqlite(engine, path), revision)
    return RestoreOutcome(restore_postgres(engine, path), revision)
