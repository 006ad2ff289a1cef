"""``flask kb backup`` and ``flask kb restore`` on SQLite and PostgreSQL.

The central test backs up while writer threads keep committing experiences. Each transaction
writes one experience, its nine theme ratings and ten audit records; a torn copy would hold an
experience without all its ratings, or audit records without their experience (or the other
way round). The backup is restored into a fresh database, compared with the source and the
search index checked.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from click.testing import Result
from flask import Flask
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from config import TestConfig
from kb import create_app
from kb.audit.context import Actor, acting_as
from kb.audit.models import AuditRecord
from kb.database import Base
from kb.experiences.models import Experience, ExperienceRating, ExperienceStatus
from kb.extensions import db
from kb.themes import Theme
from tests.factories import Factory
from tests.test_rating_totals import assert_agree

WRITERS = 3
FUTURE_REVISION = "9999_from_a_newer_version"
# Narrow the conftest's engine parameter for tests about one engine only.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
POSTGRES_ONLY = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
# Rows are compared as sets; the rating totals are sums that change in place, so a consistent
# copy holds totals the source has since updated. They are checked against their ratings instead.
UPDATED_IN_PLACE = {"search_documents", "search_facet_sets", "rating_totals"}
# The restore records its own search check (kb.search.cli) in the restored database.
WRITTEN_BY_RESTORE = {"consistency_checks"}
COMPARED_TABLES = [
    t for t in Base.metadata.sorted_tables if t.name not in UPDATED_IN_PLACE | WRITTEN_BY_RESTORE
]


def kb(app: Flask, *arguments: str) -> Result:
    return app.test_cli_runner().invoke(args=["kb", *(str(a) for a in arguments)])


def is_postgres(app: Flask) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def migrations_head(app: Flask) -> str:
    return ScriptDirectory(app.extensions["migrate"].directory).get_current_head()


def set_revision(app: Flask, revision: str | None) -> None:
    """Give the database an alembic_version row (the test schema is made by create_all)."""
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        if revision:
            connection.execute(
                text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
            )
            connection.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": revision})


@pytest.fixture
def source(app: Flask) -> Iterator[Flask]:
    """The app whose database is backed up, stamped with the migrations' head."""
    set_revision(app, migrations_head(app))
    yield app
    set_revision(app, None)  # the PostgreSQL test database is shared by the whole run


@pytest.fixture
def fresh_url(app: Flask, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same engine: a new SQLite file, or <db>_restore recreated."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not is_postgres(app):
        yield f"sqlite:///{tmp_path / 'restored.sqlite'}"
        return
    name = f"{make_url(url).database}_restore"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    yield make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def restored(app: Flask, fresh_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on the fresh database; on PostgreSQL it searches with the postgres backend."""
    overrides = {
        "SQLALCHEMY_DATABASE_URI": fresh_url,
        "INSTANCE_PATH": tmp_path / "restored-instance",
        "SEARCH_BACKEND": "postgres" if is_postgres(app) else "whoosh",
    }
    application = create_app(TestConfig, overrides)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def world(make: Factory) -> dict[str, int]:
    return {
        "organisation_id": make.organisation(),
        "unit_id": make.unit(),
        "agreement_area_id": make.agreement_area(),
    }


def add_experience(world: dict[str, int]) -> None:
    """One transaction: an experience, its nine ratings and (by the recorder) ten audit rows."""
    ratings = [ExperienceRating(theme=theme, rating=1 + n % 5) for n, theme in enumerate(Theme)]
    db.session.add(
        Experience(
            **world,
            start_year=2024,
            start_month=3,
            status=ExperienceStatus.SUBMITTED,
            worked_md="Tydlig genomförandeplan. " * 40,
            ratings=ratings,
        )
    )
    db.session.commit()


class Writers:
    """Threads that commit experiences until stopped, counting the commits and their times."""

    def __init__(self, app: Flask, world: dict[str, int]) -> None:
        self.app, self.world = app, world
        self.commits: list[float] = []
        self.errors: list[BaseException] = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._write) for _ in range(WRITERS)]

    def _write(self) -> None:
        with self.app.app_context(), acting_as(Actor(None, "skrivtest", None)):
            while not self.stopping.is_set():
                try:
                    add_experience(self.world)
                    self.commits.append(time.monotonic())
                except OperationalError:  # SQLite: busy while another writer commits
                    db.session.rollback()
                except BaseException as error:  # pragma: no cover  (reported by the test)
                    self.errors.append(error)
                    return
            db.session.remove()

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.commits) < count and not self.errors:
            assert time.monotonic() < deadline, "the writers stalled"
            time.sleep(0.01)

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join()


def assert_consistent(app: Flask) -> int:
    """Every experience has its nine ratings and its audit trail, and nothing else is there."""
    with app.app_context():
        session = db.session
        experience_ids = set(session.scalars(select(Experience.id)))
        per_experience = session.execute(
            select(ExperienceRating.experience_id, func.count()).group_by(
                ExperienceRating.experience_id
            )
        ).all()
        assert {row[0] for row in per_experience} == experience_ids
        assert {row[1] for row in per_experience} <= {len(Theme)}
        audited = session.scalars(
            select(AuditRecord.entity_id).where(
                AuditRecord.entity == "Experience", AuditRecord.action == "create"
            )
        ).all()
        assert sorted(audited) == sorted(str(i) for i in experience_ids)
        rating_audits = session.scalar(
            select(func.count()).where(
                AuditRecord.entity == "ExperienceRating", AuditRecord.action == "create"
            )
        )
        assert rating_audits == len(experience_ids) * len(Theme)
        if not is_postgres(app):  # PostgreSQL checked every foreign key when pg_restore ran
            with db.engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        return len(experience_ids)


def table_rows(app: Flask) -> dict[str, set[str]]:
    with app.app_context(), db.engine.connect() as connection:
        return {
            table.name: {repr(tuple(row)) for row in connection.execute(select(table))}
            for table in COMPARED_TABLES
        }


def count_experiences(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Experience.id)))


def test_backup_during_concurrent_writes_restores_a_consistent_copy(
    source: Flask, restored: Flask, world: dict[str, int], tmp_path: Path
) -> None:
    backup_file = tmp_path / "kb.backup"
    with Writers(source, world) as writers:
        writers.wait_for(40)
        before = count_experiences(source)
        started = time.monotonic()
        result = kb(source, "backup", backup_file)
        finished = time.monotonic()
        writers.wait_for(len(writers.commits) + 40)
    assert not writers.errors, writers.errors
    assert result.exit_code == 0, result.output
    assert "Säkerhetskopian är klar" in result.output
    assert migrations_head(source) in result.output
    if is_postgres(source):  # pg_dump takes long enough for commits to land meanwhile
        assert any(started < moment < finished for moment in writers.commits)

    result = kb(restored, "restore", backup_file)
    assert result.exit_code == 0, result.output
    assert "Indexet stämmer med databasen." in result.output

    in_backup = assert_consistent(restored)
    after = assert_consistent(source)
    assert before <= in_backup < after
    source_rows, restored_rows = table_rows(source), table_rows(restored)
    for table, rows in restored_rows.items():
        assert rows <= source_rows[table], f"{table}: rows the source never had"
    with restored.app_context():
        assert_agree(db.session)  # the copy's rating totals are those of its ratings
    check = kb(restored, "search", "check")
    assert check.exit_code == 0, check.output
    with restored.app_context(), db.engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == migrations_head(source)


@SQLITE_ONLY
def test_sqlite_backup_of_a_wal_database_is_one_consistent_file(
    source: Flask, restored: Flask, world: dict[str, int], tmp_path: Path
) -> None:
    database = make_url(source.config["SQLALCHEMY_DATABASE_URI"]).database
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    backup_file = tmp_path / "wal.backup"
    with Writers(source, world) as writers:
        writers.wait_for(40)
        result = kb(source, "backup", backup_file)
        writers.wait_for(len(writers.commits) + 20)
    assert result.exit_code == 0, result.output
    assert backup_file.read_bytes()[18:20] == b"\x01\x01"  # rollback journal, not WAL
    assert not Path(f"{backup_file}-wal").exists()
    assert kb(restored, "restore", backup_file).exit_code == 0
    assert 40 <= assert_consistent(restored) < assert_consistent(source)


@pytest.fixture
def backup_file(source: Flask, world: dict[str, int], tmp_path: Path) -> Path:
    with source.app_context(), acting_as(Actor(None, "test", None)):
        for _ in range(3):
            add_experience(world)
    path = tmp_path / "three.backup"
    result = kb(source, "backup", path)
    assert result.exit_code == 0, result.output
    return path


def test_restore_refuses_a_database_in_use_without_force(
    source: Flask, backup_file: Path, world: dict[str, int]
) -> None:
    with source.app_context(), acting_as(Actor(None, "test", None)):
        add_experience(world)
    result = kb(source, "restore", backup_file)
    assert result.exit_code == 1
    assert "Databasen är inte tom" in result.output
    assert "experiences" in result.output and "--force" in result.output
    assert count_experiences(source) == 4

    result = kb(source, "restore", backup_file, "--force")
    assert result.exit_code == 0, result.output
    assert count_experiences(source) == 3
    assert kb(source, "search", "check").exit_code == 0


def test_search_tables_alone_do_not_make_a_database_in_use(
    restored: Flask, backup_file: Path
) -> None:
    with restored.app_context():
        Base.metadata.create_all(db.engine)
        db.session.execute(
            text(
                "INSERT INTO search_outbox (entity, entity_id, operation, attempts,"
                " created_at, available_at) VALUES ('experience', 1, 'upsert', 0,"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        db.session.commit()
    result = kb(restored, "restore", backup_file)
    assert result.exit_code == 0, result.output
    assert count_experiences(restored) == 3


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other engine", "foreign database"])
def test_a_damaged_backup_is_refused_and_the_database_untouched(
    source: Flask, backup_file: Path, tmp_path: Path, damage: str
) -> None:
    bad = tmp_path / "bad.backup"
    if damage == "garbage":
        bad.write_bytes(b"det har ar ingen sakerhetskopia\n" * 100)
    elif damage == "truncated":
        bad.write_bytes(backup_file.read_bytes()[: backup_file.stat().st_size // 2])
    elif damage == "other engine":
        bad.write_bytes(b"PGDMP" if not is_postgres(source) else b"SQLite format 3\x00")
    elif is_postgres(source):
        bad.write_bytes(b"PGDMP\x01\x0f\x00garbage")
    else:
        with sqlite3.connect(bad) as connection:
            connection.execute("CREATE TABLE notes (body TEXT)")
    rows = table_rows(source)
    result = kb(source, "restore", bad, "--force")
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Fel: ")
    assert "Databasen har inte ändrats" in result.output or "oförändrad" in result.output
    assert "Traceback" not in result.output
    assert table_rows(source) == rows


def test_a_backup_from_newer_code_is_refused(
    source: Flask, restored: Flask, world: dict[str, int], tmp_path: Path
) -> None:
    set_revision(source, FUTURE_REVISION)
    path = tmp_path / "future.backup"
    result = kb(source, "backup", path)
    assert result.exit_code == 0, result.output
    assert FUTURE_REVISION in result.output

    result = kb(restored, "restore", path)
    assert result.exit_code == 1
    assert FUTURE_REVISION in result.output and "nyare" in result.output
    assert migrations_head(source) in result.output
    with restored.app_context():
        assert "experiences" not in set(db.inspect(db.engine).get_table_names())


def test_a_backup_with_an_older_revision_is_restored_and_the_upgrade_named(
    source: Flask, restored: Flask, world: dict[str, int], tmp_path: Path
) -> None:
    scripts = ScriptDirectory(source.extensions["migrate"].directory)
    older = scripts.get_revision(migrations_head(source)).down_revision
    set_revision(source, older)
    path = tmp_path / "older.backup"
    assert kb(source, "backup", path).exit_code == 0
    result = kb(restored, "restore", path)
    assert result.exit_code == 0, result.output
    assert "flask db upgrade" in result.output
    assert "Sökindexet byggs om först" in result.output


def test_backup_failures_exit_non_zero_in_swedish(
    source: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = kb(source, "backup", tmp_path / "saknas" / "kb.backup")
    assert result.exit_code == 1
    assert "Fel: Katalogen" in result.output and "finns inte" in result.output
    assert list(tmp_path.glob("**/*.tmp")) == []
    if not is_postgres(source):
        return
    monkeypatch.setenv("KB_PG_BINDIR", str(tmp_path))
    result = kb(source, "backup", tmp_path / "kb.backup")
    assert result.exit_code == 1
    assert "pg_dump hittades inte" in result.output and "postgresql-client" in result.output


@POSTGRES_ONLY
def test_client_tools_of_another_major_version_are_refused(
    source: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 99.1'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("KB_PG_BINDIR", str(tmp_path))
    result = kb(source, "backup", tmp_path / "kb.backup")
    assert result.exit_code == 1
    assert "version 99" in result.output and "postgresql-client-" in result.output
    assert not (tmp_path / "kb.backup").exists()


def test_an_in_memory_database_cannot_be_backed_up(tmp_path: Path) -> None:
    app = create_app(TestConfig, {"INSTANCE_PATH": tmp_path / "instance"})
    result = kb(app, "backup", tmp_path / "kb.backup")
    assert result.exit_code == 1
    assert "finns bara i minnet" in result.output


def test_connection_parameters_come_from_the_url() -> None:
    from kb.backup.postgres import connection_environment

    url = make_url("postgresql+psycopg://kb:hemligt@db.example:5433/kb?sslmode=require")
    environment = connection_environment(url)
    assert environment["PGPASSWORD"] == "hemligt"
    assert (environment["PGHOST"], environment["PGPORT"]) == ("db.example", "5433")
    assert (environment["PGUSER"], environment["PGDATABASE"]) == ("kb", "kb")
    assert environment["PGSSLMODE"] == "require"


@POSTGRES_ONLY
def test_the_password_goes_by_environment_never_on_the_command_line(
    source: Flask, backup_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kb.backup import postgres

    calls: list[tuple[list[str], dict[str, str]]] = []
    real_run = postgres.subprocess.run

    def recording_run(command: list[str], **options: object) -> object:
        calls.append((command, options["env"]))  # type: ignore[arg-type]
        return real_run(command, **options)  # type: ignore[call-overload]

    monkeypatch.setattr(postgres.subprocess, "run", recording_run)
    # The local server trusts its clients, so it ignores the password that libpq sends.
    url = make_url(source.config["SQLALCHEMY_DATABASE_URI"]).set(password="hemligt-123")
    app = create_app(
        TestConfig,
        {
            "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False),
            "INSTANCE_PATH": tmp_path / "password-instance",
        },
    )
    result = kb(app, "backup", tmp_path / "with-password.backup")
    assert result.exit_code == 0, result.output
    assert kb(app, "restore", backup_file, "--force").exit_code == 0
    with app.app_context():
        db.engine.dispose()
    dumps = [(c, e) for c, e in calls if "--format=custom" in c or "--clean" in c]
    assert len(dumps) == 2
    assert all(environment["PGPASSWORD"] == "hemligt-123" for _, environment in dumps)
    assert all("hemligt" not in " ".join(command) for command, _ in calls)


def test_a_full_disk_leaves_neither_backup_nor_temporary_file(
    source: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kb.backup import services

    def no_space(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(services.os, "fsync", no_space)
    target = tmp_path / "out" / "kb.backup"
    target.parent.mkdir()
    result = kb(source, "backup", target)
    assert result.exit_code == 1
    assert "Fel: Disken är full" in result.output
    assert list(target.parent.iterdir()) == []
