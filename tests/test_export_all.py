"""Export all and import all: a round trip into an empty database reproduces every row.

The source is the demo data plus the rows the demo lacks (an API token, an import batch, a
follow-up citing an experience, a finding superseded by a later one, so a self-reference
points forward). The target is an empty database of the same kind; on PostgreSQL it is a
separate schema of the test database, so no second database has to exist. The comparison
reads every table, every column, in primary-key order, from both.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import pytest
from flask import Flask
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.engine import Engine

from config import TestConfig
from kb import create_app
from kb.api.models import ApiToken
from kb.audit.context import Actor, acting_as
from kb.audit.models import AuditRecord
from kb.auth.models import User
from kb.database import Base
from kb.demo.loader import load_demo
from kb.exchange.cli import import_directory
from kb.exchange.everything import (
    MANIFEST,
    NOT_EXPORTED,
    ExchangeError,
    export_all,
    exported_tables,
    import_all,
)
from kb.experiences.models import Experience
from kb.extensions import db
from kb.findings.models import Finding
from kb.followups.models import FollowUp, followup_experiences
from kb.imports.models import ImportBatch
from kb.organisations.models import Organisation, OrganisationKind
from kb.search.models import ConsistencyCheck, SearchOutbox
from tests.conftest import POSTGRES_URL, require_postgres

TARGET_SCHEMA = "kb_exchange_import"


def _fill_gaps(app: Flask) -> None:
    """Demo data plus a row in every table the demo leaves empty, and a forward reference."""
    with app.app_context(), acting_as(Actor(None, "demo", None)):
        load_demo()
        user = db.session.scalars(select(User).order_by(User.id)).first()
        db.session.add(
            ApiToken(
                user_id=user.id,
                name="Ärendesystem",
                token_hash="a" * 64,
                prefix="kb_abcdefg",
                created_at=datetime(2025, 1, 2, 3, 4, 5, 678901),
            )
        )
        db.session.add(
            ImportBatch(
                kind="suppliers", filename="leverantörer.csv", file_format="csv", row_count=3
            )
        )
        followup_id = db.session.scalar(select(func.min(FollowUp.id)))
        experience_id = db.session.scalar(select(func.min(Experience.id)))
        db.session.execute(
            insert(followup_experiences).values(
                followup_id=followup_id, experience_id=experience_id
            )
        )
        first, last = db.session.execute(select(func.min(Finding.id), func.max(Finding.id))).one()
        db.session.execute(update(Finding).where(Finding.id == first).values(superseded_by_id=last))
        db.session.add(SearchOutbox(entity="supplier", entity_id=1, operation="upsert"))
        db.session.add(
            ConsistencyCheck(
                kind="search_index", ran_at=datetime(2025, 1, 2), ok=True, summary='{"missing": 0}'
            )
        )
        db.session.commit()


def rows_of(engine: Engine) -> dict[str, list[tuple]]:
    """Every exported table's rows in primary-key order."""
    with engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in exported_tables()
        }


def assert_same_rows(source: Engine, target: Engine) -> None:
    expected, actual = rows_of(source), rows_of(target)
    for table in exported_tables():
        assert expected[table.name], f"{table.name} is empty in the source: test data gap"
        assert len(actual[table.name]) == len(expected[table.name]), table.name
        for want, got in zip(expected[table.name], actual[table.name], strict=True):
            assert got == want, f"{table.name}: {got} != {want}"


@contextmanager
def target_app(kind: str, tmp_path: Path, template: Path) -> Iterator[Flask]:
    """An app on an empty database: a copied SQLite template or a fresh PostgreSQL schema."""
    overrides: dict[str, Any] = {"INSTANCE_PATH": tmp_path / "target-instance"}
    if kind == "sqlite":
        shutil.copyfile(template, tmp_path / "target.sqlite")
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'target.sqlite'}"
    else:
        overrides["SQLALCHEMY_DATABASE_URI"] = POSTGRES_URL
        overrides["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": f"-csearch_path={TARGET_SCHEMA}"}
        }
    application = create_app(TestConfig, overrides)
    with application.app_context():
        if kind == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {TARGET_SCHEMA} CASCADE"))
                connection.execute(text(f"CREATE SCHEMA {TARGET_SCHEMA}"))
            Base.metadata.create_all(db.engine)
    try:
        yield application
    finally:
        with application.app_context():
            db.session.remove()
            if kind == "postgresql":
                with db.engine.begin() as connection:
                    connection.execute(text(f"DROP SCHEMA IF EXISTS {TARGET_SCHEMA} CASCADE"))
            db.engine.dispose()


def _dialect(app: Flask) -> str:
    with app.app_context():
        return db.engine.dialect.name


def _engine(app: Flask) -> Engine:
    with app.app_context():
        return db.engine


def test_round_trip_reproduces_every_row(app: Flask, tmp_path: Path, sqlite_template: Path) -> None:
    _fill_gaps(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["kb", "export", "all", str(tmp_path / "export")])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "export" / MANIFEST).read_text(encoding="utf-8"))
    assert set(manifest["tables"]) == {t.name for t in exported_tables()}
    assert set(manifest["excluded_tables"]) == NOT_EXPORTED
    assert manifest["schema_revision"]
    assert not any((tmp_path / "export" / f"{name}.jsonl").exists() for name in NOT_EXPORTED)
    lines = (tmp_path / "export" / "experiences.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == manifest["tables"]["experiences"]
    priced = next(json.loads(line) for line in lines if json.loads(line)["daily_price"])
    assert isinstance(priced["daily_price"], str)  # decimals exact, as text

    kind = _dialect(app)
    with target_app(kind, tmp_path, sqlite_template) as target:
        result = target.test_cli_runner().invoke(
            args=["kb", "import", "all", str(tmp_path / "export")]
        )
        assert result.exit_code == 0, result.output
        assert_same_rows(_engine(app), _engine(target))
        check = target.test_cli_runner().invoke(args=["kb", "search", "check"])
        assert check.exit_code == 0, check.output
        with target.app_context():  # new rows get ids after the imported ones
            highest = db.session.scalar(select(func.max(Organisation.id)))
            added = Organisation(name="Ny kommun efter import", kind=OrganisationKind.MUNICIPALITY)
            db.session.add(added)
            db.session.flush()
            assert added.id == highest + 1
            db.session.rollback()


def test_cross_database_trip_sqlite_to_postgresql(
    tmp_path: Path, sqlite_template: Path, postgres_engine: Engine | None
) -> None:
    if postgres_engine is None:
        require_postgres()
    shutil.copyfile(sqlite_template, tmp_path / "source.sqlite")
    source = create_app(
        TestConfig,
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'source.sqlite'}",
            "INSTANCE_PATH": tmp_path / "source-instance",
        },
    )
    _fill_gaps(source)
    with source.app_context():
        export_all(tmp_path / "export")
    with target_app("postgresql", tmp_path, sqlite_template) as target:
        with target.app_context():
            import_all(tmp_path / "export")
        assert_same_rows(_engine(source), _engine(target))
    with source.app_context():
        db.session.remove()
        db.engine.dispose()


def test_import_refuses_a_database_that_is_not_empty(app: Flask, tmp_path: Path) -> None:
    _fill_gaps(app)
    with app.app_context():
        export_all(tmp_path / "export")
        before = db.session.scalar(select(func.count(AuditRecord.id)))
        with pytest.raises(ExchangeError, match="Databasen är inte tom"):
            import_all(tmp_path / "export")
        with pytest.raises(click.ClickException, match="Databasen är inte tom"):
            import_directory(tmp_path / "export")  # what `flask kb import all` runs
        assert db.session.scalar(select(func.count(AuditRecord.id))) == before


def test_a_damaged_export_writes_nothing(app: Flask, tmp_path: Path, sqlite_template: Path) -> None:
    _fill_gaps(app)
    with app.app_context():
        export_all(tmp_path / "export")
    path = tmp_path / "export" / "experiences.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")  # one row lost
    with target_app(_dialect(app), tmp_path, sqlite_template) as target, target.app_context():
        with pytest.raises(ExchangeError, match=r"experiences\.jsonl har"):
            import_all(tmp_path / "export")
        assert db.session.scalar(select(func.count(Organisation.id))) == 0
        assert db.session.scalar(select(func.count(AuditRecord.id))) == 0
    (tmp_path / "export" / MANIFEST).unlink()
    with app.app_context(), pytest.raises(ExchangeError, match=r"manifest\.json saknas"):
        import_all(tmp_path / "export")


def test_export_directory_must_be_new_or_empty(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "annat.txt").write_text("x", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["kb", "export", "all", str(tmp_path / "full")])
    assert result.exit_code != 0
    assert "är inte tom" in result.output


def test_values_keep_their_types(app: Flask, tmp_path: Path, sqlite_template: Path) -> None:
    """Dates, times with microseconds, decimals, JSON, booleans and enums come back alike."""
    _fill_gaps(app)
    with app.app_context():
        export_all(tmp_path / "export")
    with target_app(_dialect(app), tmp_path, sqlite_template) as target, target.app_context():
        import_all(tmp_path / "export")
        token = db.session.scalars(select(ApiToken)).one()
        assert token.created_at == datetime(2025, 1, 2, 3, 4, 5, 678901)
        priced = db.session.scalars(
            select(Experience).where(Experience.daily_price.is_not(None))
        ).first()
        assert isinstance(priced.daily_price, Decimal)
        record = db.session.scalars(select(AuditRecord).order_by(AuditRecord.id)).first()
        assert isinstance(record.changes, dict) and record.changes
        forward = select(Finding).where(Finding.superseded_by_id > Finding.id)
        assert db.session.scalars(forward).first() is not None
        assert db.session.scalar(select(func.count(SearchOutbox.id))) == 0
