"""Shared fixtures: an app with its own database per test, a client and a sign-in helper.

Every test using ``app`` runs on SQLite and, when KB_TEST_DATABASE_URL is set, again on
PostgreSQL. Without that variable the PostgreSQL runs skip, unless KB_REQUIRE_POSTGRES=1,
in which case they fail.

Route tests talk to the app only through ``client``; when they read the database they use
``app_db`` (a fresh app context each time), so a view that forgets to commit is caught.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from config import TestConfig
from kb import create_app
from kb.database import Base
from kb.extensions import db as kb_db
from tests.factories import Factory

POSTGRES_URL = os.environ.get("KB_TEST_DATABASE_URL")
REQUIRE_POSTGRES = os.environ.get("KB_REQUIRE_POSTGRES") == "1"
CSRF_PATTERN = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def pytest_configure(config: pytest.Config) -> None:
    import kb.models  # noqa: F401


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine | None]:
    if not POSTGRES_URL:
        yield None
        return
    engine = create_engine(POSTGRES_URL)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def require_postgres() -> None:
    message = "PostgreSQL-sviten kräver KB_TEST_DATABASE_URL"
    if REQUIRE_POSTGRES:
        pytest.fail(message + " (KB_REQUIRE_POSTGRES=1)")
    pytest.skip(message)


def _truncate_all(engine: Engine) -> None:
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    postgres_engine: Engine | None,
) -> str:
    if request.param == "sqlite":
        path = tmp_path / "kb.sqlite"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    if postgres_engine is None:
        require_postgres()
    _truncate_all(postgres_engine)
    return POSTGRES_URL


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = create_app(
        TestConfig,
        {"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": tmp_path / "instance"},
    )
    yield application
    with application.app_context():
        kb_db.session.remove()
        kb_db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Iterator:
    """The database inside a pushed app context, for model and service tests."""
    with app.app_context():
        yield kb_db
        kb_db.session.rollback()


@pytest.fixture
def app_db(app: Flask) -> Callable:
    """Open a fresh app context and session: ``with app_db() as session: ...``."""

    @contextmanager
    def open_session() -> Iterator:
        with app.app_context():
            yield kb_db.session
            kb_db.session.rollback()

    return open_session


@pytest.fixture
def make(app: Flask, app_db: Callable) -> Factory:
    return Factory(app_db)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token_from(html: str) -> str:
    match = CSRF_PATTERN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def post_form(client: FlaskClient, url: str, data: dict, form_url: str | None = None):
    """GET the form page for its CSRF token, then POST the data with it."""
    page = client.get(form_url or url)
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


@pytest.fixture
def login(client: FlaskClient) -> Callable:
    def sign_in(email: str, password: str = Factory.PASSWORD):
        response = post_form(client, "/logga-in", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return sign_in
