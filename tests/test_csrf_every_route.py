"""CSRF on every state-changing request, generated from the app's URL map.

Every non-API rule that accepts POST, PUT, PATCH or DELETE is sent each such method without a
CSRF token, by a signed-in user holding every role (so no role check could be what refuses
it), with the ids in its URL pointing at real rows. Each must answer 400 with the Swedish
message, and the whole database must be unchanged. A new route that skips CSRF makes
``csrf_gaps`` report it, as the last test shows with a deliberately unprotected route.

The JSON API is exempt from CSRF because it never accepts the session cookie, only a bearer
token: a signed-in browser session cannot write through it.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask, redirect
from sqlalchemy import func, select
from werkzeug.routing import Rule

from kb.auth.models import Role, User
from kb.database import Base
from kb.experiences.models import Experience
from kb.extensions import csrf
from kb.extensions import db as kb_db
from kb.organisations.models import Organisation, OrganisationKind
from tests.api_world import build_api_world
from tests.conftest import csrf_token_from, post_form
from tests.draft_world import build_draft_world
from tests.factories import Factory
from tests.test_api_experiences import complete

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
MESSAGE = "Formuläret har gått ut eller saknar säkerhetstoken"
API_PREFIX = "/api/v1/"
SAMPLE_STRINGS = {"token": "0" * 32, "figure_id": "betyg", "kind": "suppliers"}
ARGUMENT = re.compile(r"<(?:(?P<converter>[a-z]+):)?(?P<name>\w+)>")


def state_changing_rules(app: Flask) -> list[tuple[Rule, list[str]]]:
    return [
        (rule, sorted(rule.methods & STATE_CHANGING))
        for rule in app.url_map.iter_rules()
        if rule.methods & STATE_CHANGING and not rule.rule.startswith(API_PREFIX)
    ]


def first_ids() -> dict[str, int]:
    """The smallest id of every table with an ``id`` column, by table name."""
    ids = {}
    for table in Base.metadata.sorted_tables:
        if "id" in table.columns:
            ids[table.name] = kb_db.session.scalar(select(func.min(table.c.id))) or 1
    return ids


ARGUMENT_TABLES = {
    "experience_id": "experiences",
    "finding_id": "findings",
    "requirement_id": "requirements",
    "draft_id": "tender_drafts",
    "item_id": "tender_draft_items",
    "round_id": "tender_rounds",
    "contract_id": "contracts",
    "deviation_id": "deviations",
    "followup_id": "followups",
    "check_id": "supplier_checks",
    "batch_id": "import_batches",
    "token_id": "api_tokens",
    "user_id": "users",
    "organisation_id": "organisations",
}


def url_for_rule(rule: Rule, ids: dict[str, int]) -> str:
    def value(match: re.Match) -> str:
        name = match["name"]
        if match["converter"] == "int":
            return str(ids.get(ARGUMENT_TABLES.get(name, ""), 1))
        return SAMPLE_STRINGS.get(name, "1")

    return ARGUMENT.sub(value, rule.rule)


def database_dump() -> dict[str, list[str]]:
    return {
        table.name: sorted(repr(tuple(row)) for row in kb_db.session.execute(select(table)))
        for table in Base.metadata.sorted_tables
    }


def csrf_gaps(app: Flask, client) -> tuple[int, dict[str, str]]:
    """Send every state-changing request without a token; return the count and the gaps."""
    gaps, sent = {}, 0
    for rule, methods in state_changing_rules(app):
        for method in methods:
            with app.app_context():
                url = url_for_rule(rule, first_ids())
                before = database_dump()
            response = client.open(url, method=method, data={"name": "Utan token"})
            sent += 1
            with app.app_context():
                changed = [
                    name for name, rows in database_dump().items() if rows != before.get(name)
                ]
            problems = []
            if response.status_code != 400 or MESSAGE not in response.text:
                problems.append(f"status {response.status_code}")
            if changed:
                problems.append(f"changed {changed}")
            if problems:
                gaps[f"{method} {rule.rule}"] = ", ".join(problems)
    return sent, gaps


@pytest.fixture
def everything_user(app, app_db, make, client) -> int:
    """A user of the intermediary leading the draft world's rounds, holding every role."""
    with app_db() as session:
        world = build_draft_world(session, make)
    user_id = make.user(*Role, organisation=world.intermediary_org, email="alla@roller.example")
    post_form(client, "/logga-in", {"email": "alla@roller.example", "password": Factory.PASSWORD})
    assert client.get("/").status_code == 200
    return user_id


def test_every_state_changing_route_refuses_a_request_without_csrf_token(
    app, client, everything_user
):
    rules = state_changing_rules(app)
    assert len(rules) >= 35  # the app had 37 such rules when this test was written
    sent, gaps = csrf_gaps(app, client)
    assert gaps == {}
    assert sent == sum(len(methods) for _, methods in rules)
    assert client.get("/").status_code == 200  # not even signed out: logout needs the token


def test_a_token_from_another_session_is_refused(app, client, everything_user, app_db):
    stranger = app.test_client()
    foreign_token = csrf_token_from(stranger.get("/logga-in").text)
    with app_db() as session:
        before = session.scalar(select(func.count(Organisation.id)))
    response = client.post(
        "/admin/organisationer/ny",
        data={"name": "Smygby", "kind": "kommun", "csrf_token": foreign_token},
    )
    assert response.status_code == 400 and MESSAGE in response.text
    with app_db() as session:
        assert session.scalar(select(func.count(Organisation.id))) == before


@pytest.fixture
def unprotected_route(app) -> str:
    """A route exempt from CSRF that writes, added before the app serves its first request."""

    @app.post("/prov/utan-csrf")
    @csrf.exempt
    def unprotected():
        kb_db.session.add(Organisation(name="Ska inte finnas", kind=OrganisationKind.MUNICIPALITY))
        kb_db.session.commit()
        return redirect("/")

    return "/prov/utan-csrf"


def test_an_unprotected_route_is_reported(unprotected_route, app, client, everything_user):
    """The guard itself: a route that skips CSRF and writes must show up as a gap."""
    _sent, gaps = csrf_gaps(app, client)
    assert list(gaps) == [f"POST {unprotected_route}"]
    assert gaps[f"POST {unprotected_route}"].startswith("status 302, changed ['organisations'")


# --- The API: bearer tokens only, so a session cookie cannot write ---------------------------


@pytest.fixture
def api_world(app_db):
    with app_db() as session:
        world = build_api_world(session)
        session.get(User, world.users["caseworker"]).set_password(Factory.PASSWORD)
        session.commit()
    return world


def test_a_signed_in_session_cannot_write_through_the_api(client, api_world, app_db):
    with app_db() as session:
        email = session.get(User, api_world.users["caseworker"]).email
        own = session.scalar(
            select(Experience.id).where(Experience.author_id == api_world.users["caseworker"])
        )
        before = database_dump()
    post_form(client, "/logga-in", {"email": email, "password": Factory.PASSWORD})
    assert client.get("/erfarenheter/mina").status_code == 200
    with app_db() as session:
        before = database_dump()
    body = complete(api_world)
    attempts = [
        client.post("/api/v1/experiences", json=body),
        client.put(f"/api/v1/experiences/{own}", json=body),
        client.patch(f"/api/v1/experiences/{own}", json={"worked_md": "Ändrad via kaka."}),
    ]
    for response in attempts:
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "token_missing"
    with app_db() as session:
        assert database_dump() == before
    with_token = client.post(
        "/api/v1/experiences", json=body, headers=api_world.headers("caseworker")
    )
    assert with_token.status_code == 201  # the same request with a token is a valid write
