"""The hand-reviewed migrations produce exactly the schema the models describe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from config import TestConfig
from kb import create_app
from kb.database import Base
from kb.extensions import db
from tests.conftest import POSTGRES_URL, require_postgres

MIGRATION_DB = f"{make_url(POSTGRES_URL).database}_migration_check" if POSTGRES_URL else ""


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    if not POSTGRES_URL:
        require_postgres()
    admin_engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {MIGRATION_DB}"))
        connection.execute(text(f"CREATE DATABASE {MIGRATION_DB}"))
    yield make_url(POSTGRES_URL).set(database=MIGRATION_DB).render_as_string(hide_password=False)
    with admin_engine.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {MIGRATION_DB} WITH (FORCE)"))
    admin_engine.dispose()


def test_migrations_match_the_models(empty_database_url: str, tmp_path: Path) -> None:
    app = create_app(
        TestConfig,
        {"SQLALCHEMY_DATABASE_URI": empty_database_url, "INSTANCE_PATH": tmp_path / "instance"},
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
        assert differences == []
        tables = set(inspect(db.engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_audit_records_are_append_only_in_the_migrated_database(
    empty_database_url: str, tmp_path: Path
) -> None:
    app = create_app(
        TestConfig,
        {"SQLALCHEMY_DATABASE_URI": empty_database_url, "INSTANCE_PATH": tmp_path / "instance"},
    )
    with app.app_context():
        upgrade()
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO audit_records (occurred_at, actor_label, action, entity,"
                    " entity_id, changes) VALUES (CURRENT_TIMESTAMP, 'system', 'create',"
                    " 'Organisation', '1', '{}')"
                )
            )
        for statement in (
            "UPDATE audit_records SET action = 'delete'",
            "DELETE FROM audit_records",
        ):
            with pytest.raises(Exception, match="append-only"), db.engine.begin() as connection:
                connection.execute(text(statement))
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT action FROM audit_records")).scalar() == "create"
        db.engine.dispose()
