"""API tokens: made and revoked on the profile page and by the CLI, stored hashed, refused
when expired, revoked or their user is deactivated, and limited by scope."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from kb.api.models import ApiToken
from kb.api.tokens import create_token
from kb.auth.models import Role, User
from kb.database import utcnow
from tests.conftest import csrf_token_from, post_form

TOKEN = re.compile(r"kb_[A-Za-z0-9_-]{43}")


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def make_token(app_db, user_id: int, scope: str = "read", days: int | None = None) -> str:
    with app_db() as session:
        secret = create_token(session.get(User, user_id), "Prov", scope, days, utcnow()).secret
        session.commit()
        return secret


def error_code(response) -> str:
    assert response.mimetype == "application/json"
    return response.get_json()["error"]["code"]


def test_a_user_creates_a_token_on_the_profile_page_sees_it_once_and_revokes_it(
    client, make, login, app_db
):
    user = make.user(Role.CASEWORKER)
    login(make.email_of(user))
    page = client.get("/profil")
    assert page.status_code == 200 and "API-nycklar" in page.text
    created = post_form(
        client,
        "/profil/nycklar",
        {"name": "Verksamhetssystemet", "scope": "write", "expires_in_days": "30"},
        "/profil",
    )
    assert created.status_code == 201
    secret = TOKEN.search(created.text).group()
    assert secret not in client.get("/profil").text  # shown once
    with app_db() as session:
        token = session.scalar(select(ApiToken))
        assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert token.scopes == "read write" and secret.startswith(token.prefix)
        assert timedelta(days=29) < token.expires_at - utcnow() <= timedelta(days=30)
        token_id = token.id
    api = client.application.test_client()  # no session cookie
    assert api.get("/api/v1/units", headers=bearer(secret)).status_code == 200
    page = client.get("/profil").text
    revoked = client.post(
        f"/profil/nycklar/{token_id}/aterkalla", data={"csrf_token": csrf_token_from(page)}
    )
    assert revoked.status_code == 302
    refused = api.get("/api/v1/units", headers=bearer(secret))
    assert refused.status_code == 401 and error_code(refused) == "token_revoked"


def test_a_user_cannot_revoke_another_users_token(client, make, login, app_db):
    owner = make.user(Role.CASEWORKER)
    make_token(app_db, owner)
    login(make.email_of(make.user(Role.CASEWORKER)))
    token = csrf_token_from(client.get("/profil").text)
    with app_db() as session:
        token_id = session.scalar(select(ApiToken.id))
    assert (
        client.post(f"/profil/nycklar/{token_id}/aterkalla", data={"csrf_token": token}).status_code
        == 404
    )
    with app_db() as session:
        assert session.get(ApiToken, token_id).revoked_at is None


def test_the_cli_creates_lists_and_revokes_tokens(app, make, app_db):
    email = make.email_of(make.user(Role.CASEWORKER))
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "kb",
            "token",
            "create",
            email,
            "--name",
            "System",
            "--scope",
            "write",
            "--expires-days",
            "7",
        ]
    )
    assert result.exit_code == 0, result.output
    secret = TOKEN.search(result.output).group()
    client = app.test_client()
    assert client.get("/api/v1/units", headers=bearer(secret)).status_code == 200
    listed = runner.invoke(args=["kb", "token", "list", email])
    assert (
        "aktiv" in listed.output and "read write" in listed.output and secret not in listed.output
    )
    with app_db() as session:
        token_id = session.scalar(select(ApiToken.id))
    assert runner.invoke(args=["kb", "token", "revoke", email, str(token_id)]).exit_code == 0
    assert error_code(client.get("/api/v1/units", headers=bearer(secret))) == "token_revoked"
    assert runner.invoke(args=["kb", "token", "create", "ingen@example.org"]).exit_code != 0


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "token_missing"),
        ({"Authorization": "Basic abc"}, "token_missing"),
        ({"Authorization": "Bearer kb_finnsinte"}, "token_invalid"),
        ({"Authorization": "Bearer något-annat"}, "token_invalid"),
    ],
)
def test_requests_without_a_valid_token_get_401_json(client, headers, code):
    response = client.get("/api/v1/suppliers", headers=headers)
    assert response.status_code == 401 and error_code(response) == code
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "API-nyckel" in response.get_json()["error"]["message"]


def test_an_expired_token_and_a_deactivated_user_get_401(client, make, app_db):
    user = make.user(Role.CASEWORKER)
    secret = make_token(app_db, user, days=1)
    with app_db() as session:
        session.scalar(select(ApiToken)).expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
    assert error_code(client.get("/api/v1/units", headers=bearer(secret))) == "token_expired"
    other = make_token(app_db, user)
    assert client.get("/api/v1/units", headers=bearer(other)).status_code == 200
    with app_db() as session:
        session.get(User, user).active = False
        session.commit()
    response = client.get("/api/v1/units", headers=bearer(other))
    assert response.status_code == 401 and error_code(response) == "user_inactive"


def test_a_browser_session_is_not_accepted_by_the_api(client, make, login):
    login(make.email_of(make.user(Role.CASEWORKER)))
    assert client.get("/erfarenheter/mina").status_code == 200
    response = client.get("/api/v1/experiences")
    assert response.status_code == 401 and error_code(response) == "token_missing"
    posted = client.post("/api/v1/experiences", json={"worked_md": "Bra."})
    assert posted.status_code == 401


def test_a_read_token_cannot_write(client, make, app_db):
    secret = make_token(app_db, make.user(Role.CASEWORKER), scope="read")
    response = client.post("/api/v1/experiences", json={}, headers=bearer(secret))
    assert response.status_code == 403 and error_code(response) == "insufficient_scope"
    assert client.get("/api/v1/experiences", headers=bearer(secret)).status_code == 200


def test_use_is_noted_without_an_audit_record(client, make, app_db):
    from kb.audit.models import AuditRecord

    secret = make_token(app_db, make.user(Role.CASEWORKER))
    with app_db() as session:
        before = len(session.scalars(select(AuditRecord)).all())
    client.get("/api/v1/units", headers=bearer(secret))
    with app_db() as session:
        assert session.scalar(select(ApiToken)).last_used_at is not None
        assert len(session.scalars(select(AuditRecord)).all()) == before
        created = session.scalars(select(AuditRecord).where(AuditRecord.entity == "ApiToken")).all()
        assert created and all(
            "token_hash" not in str(r.changes) or secret not in str(r.changes) for r in created
        )


# --- Scope, and the token never in clear in logs, audit records or the session ---------------


@pytest.fixture
def api_world(app_db):
    from tests.api_world import build_api_world

    with app_db() as session:
        return build_api_world(session)


def table_dump(app_db) -> dict[str, list[str]]:
    from kb.database import Base

    with app_db() as session:
        return {
            table.name: sorted(repr(tuple(row)) for row in session.execute(select(table)))
            for table in Base.metadata.sorted_tables
            if table.name != "api_tokens"  # last_used_at is noted on every use
        }


def test_a_read_token_cannot_write_anything_even_a_valid_experience(client, api_world, app_db):
    from kb.experiences.models import Experience
    from tests.test_api_experiences import complete

    caseworker = api_world.users["caseworker"]
    read_only = bearer(make_token(app_db, caseworker, scope="read"))
    with app_db() as session:
        own = session.scalar(select(Experience.id).where(Experience.author_id == caseworker))
    before = table_dump(app_db)
    body = complete(api_world)
    for response in (
        client.post("/api/v1/experiences", json=body, headers=read_only),
        client.put(f"/api/v1/experiences/{own}", json=body, headers=read_only),
        client.patch(f"/api/v1/experiences/{own}", json={"worked_md": "Ny."}, headers=read_only),
    ):
        assert response.status_code == 403 and error_code(response) == "insufficient_scope"
    assert table_dump(app_db) == before
    assert client.get(f"/api/v1/experiences/{own}", headers=read_only).status_code == 200
    written = client.post("/api/v1/experiences", json=body, headers=api_world.headers("caseworker"))
    assert written.status_code == 201  # the same body with a write token is accepted


def test_a_revoked_token_cannot_write_either(client, api_world, app_db):
    from tests.test_api_experiences import complete

    secret = make_token(app_db, api_world.users["caseworker"], scope="write")
    with app_db() as session:
        token = session.scalar(select(ApiToken).where(ApiToken.prefix == secret[:10]))
        token.revoked_at = utcnow()
        session.commit()
    before = table_dump(app_db)
    response = client.post("/api/v1/experiences", json=complete(api_world), headers=bearer(secret))
    assert response.status_code == 401 and error_code(response) == "token_revoked"
    assert table_dump(app_db) == before


def test_a_token_never_appears_in_clear_in_logs_audit_or_session(
    app, client, make, login, app_db, caplog, monkeypatch
):
    """Fault injected: the unit listing raises, so the API's error log is written too."""
    import logging

    from flask import json

    from kb.audit.models import AuditRecord

    caplog.set_level(logging.DEBUG)
    user = make.user(Role.CASEWORKER)
    login(make.email_of(user))
    created = post_form(
        client,
        "/profil/nycklar",
        {"name": "Logg", "scope": "write", "expires_in_days": ""},
        "/profil",
    )
    secret = TOKEN.search(created.text).group()
    assert created.headers["Cache-Control"] == "no-store"
    session_data = app.session_interface.get_signing_serializer(app).loads(
        client.get_cookie("session").value
    )
    assert secret not in json.dumps(session_data)

    api = app.test_client()
    assert api.get("/api/v1/units", headers=bearer(secret)).status_code == 200
    assert api.get("/api/v1/units", headers=bearer(secret + "x")).status_code == 401

    def broken(*args, **kwargs):
        raise RuntimeError("prov: listan kunde inte läsas")

    monkeypatch.setattr("kb.api.catalogue_routes.unit_page", broken)
    failed = api.get("/api/v1/units", headers=bearer(secret))
    assert failed.status_code == 500 and error_code(failed) == "internal_error"
    assert any("API error on GET /api/v1/units" in r.getMessage() for r in caplog.records)

    logged = "\n".join(
        record.getMessage()
        + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
        for record in caplog.records
    )
    assert secret not in logged and secret[10:] not in logged
    digest = hashlib.sha256(secret.encode()).hexdigest()
    with app_db() as session:
        records = session.scalars(select(AuditRecord).where(AuditRecord.entity == "ApiToken"))
        changes = [json.dumps(record.changes) for record in records]
    assert changes, "creating a token is audited"
    assert all(secret not in text and digest not in text for text in changes)
    assert any("[dolt]" in text for text in changes)
