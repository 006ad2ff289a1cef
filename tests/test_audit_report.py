"""The auditor's report (flask kb audit-report): the matrix agrees with what the app allows,
the settings follow the config, the last recorded check is the one shown, accounts are
counted per organisation and role, and no personal data or narrative is printed.

Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import delete, func, select

from kb.api.tokens import create_token
from kb.audit.report import database_description
from kb.audit.report_matrix import PUBLIC, SIGNED_IN, TOKEN_READ, TOKEN_WRITE, matrix
from kb.auth.models import Role, User
from kb.database import utcnow
from kb.experiences.models import Experience, ExperienceStatus
from kb.markdown import render_markdown
from kb.organisations.models import Organisation, OrganisationKind
from kb.search.models import ConsistencyCheck, SearchOutbox
from kb.suppliers.models import Unit
from tests.conftest import csrf_token_from, post_form
from tests.factories import Factory

NARRATIVE_MARKER = "Hemlighetsmakeri"
ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>")
MISSING_ID = "999999"
SKIPPED = {"static", "auth.logout"}  # a file server; signing out ends the session under test


@dataclass(frozen=True)
class ReportWorld:
    emails: dict[Role, str]
    names: list[str]
    tokens: dict[Role, str]
    read_tokens: dict[Role, str]


@pytest.fixture
def world(app, app_db, make) -> ReportWorld:
    with app_db() as session:
        network = Organisation(name="Revisionsförbundet", kind=OrganisationKind.INTERMEDIARY)
        member = Organisation(
            name="Granskarby", kind=OrganisationKind.MUNICIPALITY, member_of=network
        )
        session.add_all([network, member])
        session.commit()
        network_id, member_id = network.id, member.id
    homes = {Role.CASEWORKER: member_id, Role.COORDINATOR: member_id}
    user_ids = {
        role: make.user(
            role,
            organisation=homes.get(role, network_id),
            email=f"hemlig.{role.value}@granskarby.example",
        )
        for role in Role
    }
    make.user(Role.CASEWORKER, organisation=member_id, active=False, email="gammal@g.example")
    author_id = make.user(Role.CASEWORKER, organisation=member_id)
    emails, names, tokens, read_tokens = {}, [], {}, {}
    now = datetime(2025, 1, 1)
    with app_db() as session:
        for role, user_id in user_ids.items():
            user = session.get(User, user_id)
            user.name = f"Hedvig Hemligsson {role.value}"
            emails[role], names = user.email, [*names, user.name]
            tokens[role] = create_token(user, "Prov", "write", None, now).secret
            read_tokens[role] = create_token(user, "Läs", "read", None, now).secret
        names.append(session.get(User, author_id).name)
        text = f"Placeringen präglades av {NARRATIVE_MARKER}."
        session.add(
            Experience(
                organisation_id=member_id,
                author_id=author_id,
                status=ExperienceStatus.SUBMITTED,
                submitted_at=datetime(2024, 3, 1),
                start_year=2023,
                start_month=1,
                worked_md=text,
                worked_html=render_markdown(text),
            )
        )
        session.commit()
    return ReportWorld(emails, names, tokens, read_tokens)


def report(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["kb", "audit-report", *args])
    assert result.exit_code == 0, result.output
    return result.output


def report_json(app: Flask, *args: str) -> dict:
    return json.loads(report(app, "--format", "json", *args))


# --- the matrix against the app ----------------------------------------------------------------


def concrete(rule: str) -> str:
    """The rule with an id nothing has for every number and a name nothing uses otherwise."""
    return ARGUMENT.sub(lambda m: MISSING_ID if m.group(1) == "int" else "finnsinte", rule)


def signed_in_client(app: Flask, email: str):
    client = app.test_client()
    response = post_form(client, "/logga-in", {"email": email, "password": Factory.PASSWORD})
    assert response.status_code == 302
    return client, csrf_token_from(client.get("/profil").get_data(as_text=True))


def status_of(client, route, csrf: str | None, headers: dict | None = None) -> int:
    path = concrete(route.rule)
    if "GET" in route.methods:
        return client.get(path, headers=headers).status_code
    method = next(m for m in ("POST", "PATCH", "PUT", "DELETE") if m in route.methods)
    if headers is not None:
        return client.open(path, method=method, json={}, headers=headers).status_code
    return client.open(path, method=method, data={"csrf_token": csrf or ""}).status_code


def test_every_check_mark_is_what_the_app_allows(app, world):
    """Each role signs in (or presents its API token) and requests every route of every row:
    ✓ means the role is let through (anything but 403), – means 403."""
    rows = matrix(app)
    clients = {role: signed_in_client(app, world.emails[role]) for role in Role}
    checked, wrong = 0, []
    for row in rows:
        for route in row.routes:
            if route.endpoint in SKIPPED or row.gate == PUBLIC:
                continue
            for role in Role:
                client, csrf = clients[role]
                headers = None
                if row.gate in (TOKEN_READ, TOKEN_WRITE):
                    headers = {"Authorization": f"Bearer {world.tokens[role]}"}
                status = status_of(client, route, csrf, headers)
                checked += 1
                if status >= 500 or (status == 403) == row.allows(role):
                    wrong.append((row.right, route.label, role.value, status))
    assert not wrong, wrong
    assert checked >= 5 * 90


def test_the_gates_are_what_the_app_asks_for(app, world):
    """Public rows open without signing in; every other web route sends a visitor to the
    sign-in page and every API route answers 401; API writes need a token that may write."""
    anonymous = app.test_client()
    csrf = csrf_token_from(anonymous.get("/logga-in").get_data(as_text=True))
    for row in matrix(app):
        for route in row.routes:
            if route.endpoint in SKIPPED:
                continue
            if row.gate == PUBLIC:  # answered as it is, not sent to the sign-in page
                status = anonymous.get(concrete(route.rule)).status_code
                assert status in (200, 503), (route.label, status)
                continue
            status = status_of(anonymous, route, csrf, {} if row.gate != SIGNED_IN else None)
            expected = 302 if row.gate == SIGNED_IN else 401
            assert status == expected, (route.label, status)
            if row.gate == TOKEN_WRITE:
                reader = {"Authorization": f"Bearer {world.read_tokens[Role.CASEWORKER]}"}
                assert status_of(anonymous, route, csrf, reader) == 403, route.label


def test_every_route_is_in_the_matrix_once_and_named(app):
    rows = matrix(app)
    listed = [route.label for row in rows for route in row.routes]
    served = [
        f"{' '.join(sorted(rule.methods - {'HEAD', 'OPTIONS'}))} {rule.rule}"
        for rule in app.url_map.iter_rules()
    ]
    assert sorted(listed) == sorted(served)
    assert not [row.right for row in rows if row.right.startswith("Ej grupperad")]


def test_the_printed_matrix_has_a_mark_per_role(app, world):
    data = report_json(app)["matrix"]
    assert data["route_count"] == len(list(app.url_map.iter_rules()))
    admin_row = next(r for r in data["rows"] if r["right"].startswith("Administrera"))
    assert admin_row["roles"] == {role.value: role == Role.ADMIN for role in Role}
    markdown = report(app)
    line = next(x for x in markdown.splitlines() if x.startswith("| Administrera"))
    assert line.endswith("| – | – | – | – | ✓ |")
    assert "KB_MIN_GROUP_SIZE" in markdown and "färre än 3 erfarenheter" in markdown


# --- settings ------------------------------------------------------------------------------------


def settings_of(report_data: dict) -> dict:
    return {item["key"]: item["value"] for item in report_data["settings"]}


def test_the_settings_shown_follow_the_config(app, world):
    before = settings_of(report_json(app))
    assert before["login_max_failures"] == 5 and before["password_min_length"] == 12
    assert before["session_cookie_httponly"] is True and before["session_cookie_samesite"] == "Lax"
    assert before["session_cookie_secure"] is False and before["hsts"] is None
    assert before["csrf"] is True and before["password_hashing"].startswith("scrypt")
    csp = app.test_client().get("/logga-in").headers.get("Content-Security-Policy")
    assert before["csp"] == (csp or None)
    app.config.update(
        LOGIN_MAX_FAILURES=7,
        LOGIN_LOCKOUT_MINUTES=45,
        LOGIN_IP_MAX_FAILURES=33,
        PASSWORD_MIN_LENGTH=17,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=2),
        ENVIRONMENT="production",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Strict",
        RETENTION_YEARS=4,
        RETENTION_ACTION="remove",
        MIN_GROUP_SIZE=5,
    )
    data = report_json(app)
    after = settings_of(data)
    assert after["login_max_failures"] == 7 and after["login_lockout_minutes"] == 45
    assert after["login_ip_max_failures"] == 33 and after["password_min_length"] == 17
    assert after["session_lifetime_seconds"] == 7200 and after["environment"] == "production"
    assert after["session_cookie_secure"] is True and after["session_cookie_samesite"] == "Strict"
    assert data["retention"]["years"] == 4 and data["retention"]["action"] == "remove"
    assert any("färre än 5 erfarenheter" in rule for rule in data["visibility_rules"])
    hsts = app.test_client().get("/logga-in").headers.get("Strict-Transport-Security")
    assert after["hsts"] == (hsts or None)
    markdown = report(app)
    assert "| Minsta lösenordslängd (tecken) | 17 |" in markdown
    assert "| Sessionens längsta livslängd | 2 timmar |" in markdown
    assert "äldre än 4 år töms" in markdown


def test_the_database_is_named_without_its_password():
    described = database_description("postgresql+psycopg://kb:hemligt-lösen@db.internal/kb")
    assert described["kind"] == "postgresql" and "hemligt" not in described["url"]
    assert "db.internal/kb" in described["url"]


# --- consistency checks ------------------------------------------------------------------------


def test_the_last_recorded_check_is_the_one_shown(app, app_db, world):
    assert app.test_cli_runner().invoke(args=["kb", "search", "rebuild"]).exit_code == 0
    assert report_json(app)["checks"]["last_index_check"] is None
    assert "ingen kontroll registrerad" in report(app)
    with app_db() as session:
        summary = {"database": 9, "index": 7, "missing": 2, "extra": 0, "stale": 0}
        session.add_all(
            [
                ConsistencyCheck(
                    kind="search_index", ran_at=datetime(2025, 1, 1), ok=True, summary="{}"
                ),
                ConsistencyCheck(
                    kind="search_index",
                    ran_at=datetime(2025, 6, 1, 3, 0),
                    ok=False,
                    summary=json.dumps(summary),
                ),
                # Written later, but ran earlier: it is not the last check.
                ConsistencyCheck(
                    kind="search_index", ran_at=datetime(2024, 1, 1), ok=True, summary="{}"
                ),
            ]
        )
        session.commit()
    last = report_json(app)["checks"]["last_index_check"]
    assert last["ran_at"] == "2025-06-01T03:00:00" and last["ok"] is False
    assert last["missing"] == 2
    line = next(x for x in report(app).splitlines() if x.startswith("- Sökindexet mot"))
    assert "2025-06-01T03:00:00 – AVVIKELSE" in line and "saknas 2" in line

    checked = report_json(app, "--check")["checks"]
    assert checked["last_index_check"]["ran_at"] > "2025-06-02"
    assert checked["last_index_check"]["ok"] is True
    assert checked["last_outbox_check"]["ok"] is True
    with app_db() as session:
        kinds = session.execute(
            select(ConsistencyCheck.kind, func.count()).group_by(ConsistencyCheck.kind)
        ).all()
        assert dict(kinds) == {"search_index": 4, "search_outbox": 1}


def test_search_check_records_the_index_and_the_outbox(app, app_db, world):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["kb", "search", "rebuild"]).exit_code == 0
    with app_db() as session:
        session.execute(delete(SearchOutbox))
        session.commit()
    ok = runner.invoke(args=["kb", "search", "check"])
    assert ok.exit_code == 0 and "Indexet stämmer med databasen." in ok.output
    assert "Sökkön: 0 väntande" in ok.output
    with app_db() as session:
        session.add(Unit(supplier_id=make_supplier(session), name="Okänd gården"))
        session.commit()  # SEARCH_SYNC is off: the unit and its supplier wait in the outbox
        session.execute(delete(SearchOutbox).where(SearchOutbox.entity != "unit"))
        queued = session.scalar(select(SearchOutbox))
        queued.created_at = utcnow() - timedelta(hours=1)
        queued.attempts, queued.last_error = 2, "LockError: indexet är låst av en annan process"
        session.commit()
    different = runner.invoke(args=["kb", "search", "check"])
    assert different.exit_code != 0 and "Saknas i indexet: 2" in different.output
    assert "1 med misslyckade försök" in different.output
    data = report_json(app)["checks"]
    assert data["last_index_check"]["ok"] is False and data["last_index_check"]["missing"] == 2
    outbox = data["last_outbox_check"]
    assert outbox["ok"] is False and outbox["pending"] == 1 and outbox["failed"] == 1
    assert outbox["oldest_age_seconds"] >= 3600
    assert outbox["last_error"].startswith("LockError")
    assert data["outbox_now"]["pending"] == 1


def make_supplier(session) -> int:
    from kb.suppliers.models import LegalForm, Supplier
    from tests.factories import fictional_org_number

    supplier = Supplier(
        name="Kontrollbolaget AB",
        org_number=fictional_org_number(977),
        legal_form=LegalForm.AKTIEBOLAG,
    )
    session.add(supplier)
    session.flush()
    return supplier.id


# --- accounts and personal data ----------------------------------------------------------------


def test_accounts_are_counted_per_organisation_and_role(app, world):
    users = report_json(app)["users"]
    assert {"organisation": "Granskarby", "role": "caseworker", "active": 2, "inactive": 1} in users
    assert {
        "organisation": "Granskarby",
        "role": "coordinator",
        "active": 1,
        "inactive": 0,
    } in users
    assert {"organisation": "Revisionsförbundet", "role": "admin", "active": 1, "inactive": 0} in (
        users
    )
    assert "| Granskarby | Socialsekreterare / handläggare | 2 | 1 |" in report(app)


def test_no_name_email_or_narrative_is_printed(app, world):
    for output in (report(app), report(app, "--format", "json"), report(app, "--check")):
        assert NARRATIVE_MARKER not in output
        for email in [*world.emails.values(), "gammal@g.example"]:
            assert email not in output and email.split("@")[0] not in output
        for name in world.names:
            assert name not in output
            assert name.split()[1] not in output  # not even the surname
