"""The database briefly unavailable (issue 9, faults): a Swedish 503, then recovery, and no
submitted experience lost.

Injected for real, from the test harness:

- PostgreSQL: a private cluster (tests/fault_postgres.py) is migrated, given a little
  fictional data and served through the Flask test client, then stopped with
  ``pg_ctl stop -m fast`` and started again. The machine's own cluster is never touched.
- SQLite: another connection holds an EXCLUSIVE lock on the database file, so the app's
  statements give up with "database is locked" (busy timeout shortened to 0.2 s).

While the database is away every page and every API endpoint, for every method, answers 503
with Retry-After: a Swedish HTML page without a trace of the error, or a JSON error.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import func, select

from config import TestConfig
from kb import create_app
from kb.api.tokens import create_token
from kb.auth.models import User
from kb.database import utcnow
from kb.experiences.models import Experience
from kb.extensions import db as kb_db
from kb.themes import Theme
from tests.conftest import csrf_token_from, post_form
from tests.experience_world import World, build_world, complete_form
from tests.factories import Factory
from tests.fault_postgres import private_cluster

UNAVAILABLE_TEXT = "Databasen svarar inte just nu"
# Endpoints that answer for themselves: the OpenAPI document is static, /healthz says the
# process lives, /readyz says which of its checks failed.
OWN_ANSWERS = {"api.openapi_document": 200, "ops.healthz": 200, "ops.readyz": 503}
LEAKS = ("Traceback", "OperationalError", "psycopg", "sqlite3", "sqlalchemy", "SELECT ")


def sessions_of(app: Flask) -> Callable:
    @contextmanager
    def open_session() -> Iterator:
        with app.app_context():
            yield kb_db.session
            kb_db.session.rollback()

    return open_session


def start_app(database_url: str, instance: Path, **config: object) -> Flask:
    return create_app(
        TestConfig, {"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": instance, **config}
    )


def close_app(app: Flask) -> None:
    with app.app_context():
        kb_db.session.remove()
        kb_db.engine.dispose()


def load_world(app: Flask) -> tuple[World, str]:
    """The experience world and a write token for its caseworker."""
    app_db = sessions_of(app)
    with app_db() as session:
        world = build_world(session, Factory(app_db))
        author = session.scalar(select(User).where(User.email == world.caseworker_email))
        token = create_token(author, "Verksamhetssystemet", "write", None, utcnow()).secret
        session.commit()
    return world, token


def sign_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = post_form(client, "/logga-in", {"email": email, "password": Factory.PASSWORD})
    assert response.status_code == 302
    return client


def api_experience(world: World, key: str) -> dict:
    return {
        "submission_key": key,
        "status": "inskickad",
        "unit_id": world.unit_id,
        "agreement_area_id": world.area_id,
        "contract_id": world.new_contract_id,
        "placement_kind": "behandling",
        "legal_basis": "lvu",
        "age_band": "13-15",
        "start": "2023-02",
        "end": "2023-11",
        "end_reason": "planerat",
        "goal_attainment": 3,
        "would_place_again": "ja",
        "ratings": {theme.value: 4 for theme in Theme},
        "worked_md": "Inskickad från verksamhetssystemet.",
    }


def with_key(app: Flask, key: str) -> list[int]:
    with sessions_of(app)() as session:
        return list(session.scalars(select(Experience.id).where(Experience.submission_key == key)))


def every_request(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every route and method, ids filled in with 1."""
    found = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            url = url_for(
                rule.endpoint, **dict.fromkeys(rule.arguments - set(rule.defaults or ()), 1)
            )
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((rule.endpoint, method, url))
    return found


def assert_unavailable(response, endpoint: str) -> None:
    where = f"{response.request.method} {response.request.path} ({endpoint})"
    assert response.status_code == 503, where
    assert response.headers["Retry-After"] == "30", where
    if response.request.path.startswith("/api/v1"):
        error = response.get_json()["error"]
        assert error["code"] == "database_unavailable", where
        assert UNAVAILABLE_TEXT in error["message"], where
    else:
        page = response.get_data(as_text=True)
        assert response.mimetype == "text/html" and '<html lang="sv">' in page, where
        assert UNAVAILABLE_TEXT in page, where
    body = response.get_data(as_text=True)
    assert not any(leak in body for leak in LEAKS), where


def assert_everything_unavailable(app: Flask, client: FlaskClient, token: str, csrf: str) -> int:
    """Every route with every method answers 503; returns how many requests were made."""
    requests = every_request(app)
    for endpoint, method, url in requests:
        headers = {"Authorization": f"Bearer {token}"} if url.startswith("/api/v1") else {}
        data = None if url.startswith("/api/v1") or method == "GET" else {"csrf_token": csrf}
        json = {} if url.startswith("/api/v1") and method != "GET" else None
        response = client.open(url, method=method, headers=headers, data=data, json=json)
        if endpoint in OWN_ANSWERS:
            assert response.status_code == OWN_ANSWERS[endpoint], endpoint
        else:
            assert_unavailable(response, endpoint)
    return len(requests)


def form_csrf_token(client: FlaskClient) -> str:
    """The session's CSRF token, read while the database still answers."""
    return csrf_token_from(client.get("/erfarenheter/ny").get_data(as_text=True))


def test_a_stopped_postgresql_answers_503_and_nothing_submitted_is_lost(tmp_path):
    """Stop the server with requests in flight: every page and endpoint answers a Swedish 503;
    start it again: requests recover (pool_pre_ping), the experience saved before is there,
    and the one refused during the outage, sent again with its key, is saved exactly once."""
    with private_cluster() as cluster:
        app = start_app(cluster.create_database("kb_avbrott"), tmp_path / "instance")
        try:
            with app.app_context():
                upgrade()  # the migrations, as in production
            world, token = load_world(app)
            api = {"Authorization": f"Bearer {token}"}
            client = sign_in(app, world.caseworker_email)
            before = post_form(
                client, "/erfarenheter/ny", complete_form(world, submission_key="fore")
            )
            assert before.status_code == 302
            csrf = form_csrf_token(client)
            during = {**complete_form(world, submission_key="under"), "csrf_token": csrf}

            cluster.stop("fast")
            assert assert_everything_unavailable(app, client, token, csrf) > 100
            assert_unavailable(client.post("/erfarenheter/ny", data=during), "experiences.edit")
            refused = client.post(
                "/api/v1/experiences", json=api_experience(world, "api-under"), headers=api
            )
            assert_unavailable(refused, "api")

            cluster.start()
            assert client.get("/").status_code == 200
            assert client.get(before.headers["Location"]).status_code == 200
            assert len(with_key(app, "fore")) == 1
            assert with_key(app, "under") == [] and with_key(app, "api-under") == []
            first = client.post("/erfarenheter/ny", data=during)
            again = client.post("/erfarenheter/ny", data=during)
            assert first.status_code == again.status_code == 302
            assert first.headers["Location"] == again.headers["Location"]
            assert len(with_key(app, "under")) == 1
            body = api_experience(world, "api-under")
            created = client.post("/api/v1/experiences", json=body, headers=api)
            repeated = client.post("/api/v1/experiences", json=body, headers=api)
            assert (created.status_code, repeated.status_code) == (201, 200)
            assert created.get_json()["id"] == repeated.get_json()["id"]
            assert len(with_key(app, "api-under")) == 1
            with sessions_of(app)() as session:
                assert session.scalar(select(func.count(Experience.id))) == 3
        finally:
            close_app(app)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_locked_sqlite_database_answers_503_and_then_recovers(database_url, tmp_path):
    """Another process holds an exclusive lock on the SQLite file: a Swedish 503 with
    Retry-After instead of a 500; released, the refused experience is saved once."""
    app = start_app(
        database_url,
        tmp_path / "instance",
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "connect_args": {"timeout": 0.2}},
    )
    try:
        world, token = load_world(app)
        client = sign_in(app, world.caseworker_email)
        csrf = form_csrf_token(client)
        during = {**complete_form(world, submission_key="last"), "csrf_token": csrf}
        holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            for url in ("/", f"/verksamheter/{world.unit_id}", "/erfarenheter/mina", "/sok?q=x"):
                assert_unavailable(client.get(url), url)
            assert_unavailable(client.post("/erfarenheter/ny", data=during), "experiences.edit")
            units = client.get("/api/v1/units", headers={"Authorization": f"Bearer {token}"})
            assert_unavailable(units, "api.units")
            holder.execute("ROLLBACK")
        finally:
            holder.close()
        assert client.get("/").status_code == 200
        assert client.post("/erfarenheter/ny", data=during).status_code == 302
        assert client.post("/erfarenheter/ny", data=during).status_code == 302
        assert len(with_key(app, "last")) == 1
    finally:
        close_app(app)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_database_error_of_the_program_is_still_a_500(database_url, tmp_path):
    """Only "cannot answer now" is 503: a missing table (dropped here) is the program's error,
    a 500 page and a logged exception, so the 503 handling hides no bugs."""
    app = start_app(database_url, tmp_path / "instance", PROPAGATE_EXCEPTIONS=False)
    try:
        world, _ = load_world(app)
        client = sign_in(app, world.caseworker_email)
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            connection.execute("DROP TABLE deviations")
        response = client.get("/avvikelser/")
        assert response.status_code == 500 and "Retry-After" not in response.headers
        assert "Något gick fel" in response.get_data(as_text=True)
        assert client.get("/").status_code == 200
    finally:
        close_app(app)
