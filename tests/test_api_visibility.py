"""Every API list shows exactly what the UI's own queries show each user, and no more."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kb.auth.models import User
from kb.catalogue.filters import CatalogueFilter
from kb.catalogue.services import supplier_page, unit_page
from kb.experiences.models import Experience
from kb.experiences.visibility import readable_by
from kb.extensions import db
from kb.findings.models import Finding
from kb.findings.queries import visible_findings
from kb.search.service import search_for
from tests.api_world import OPEN_ADDRESS, PROTECTED_ADDRESS, build_api_world

QUERY = "Ägarmarkör OR Grannmarkör"
PEOPLE = ("caseworker", "colleague", "coordinator", "neighbour", "curator", "procurer", "outsider")


@pytest.fixture
def world(app_db):
    with app_db() as session:
        return build_api_world(session)


def all_ids(client, url: str, headers: dict) -> list[int]:
    """Follow the next links to the end and collect every item's id."""
    ids: list[int] = []
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert set(body) >= {"items", "next"}
        ids += [item["id"] for item in body["items"]]
        url = body["next"]
    return ids


def ui_ids(app_db, user_id: int, model, condition) -> set[int]:
    with app_db() as session:
        user = session.get(User, user_id)
        return set(session.scalars(select(model.id).where(condition(user))))


@pytest.mark.parametrize("person", PEOPLE)
def test_experiences_and_findings_are_those_the_ui_shows(client, app_db, world, person):
    headers = world.headers(person)
    user_id = world.users[person]
    experiences = all_ids(client, "/api/v1/experiences?per_page=1", headers)
    assert sorted(experiences) == sorted(ui_ids(app_db, user_id, Experience, readable_by))
    findings = all_ids(client, "/api/v1/findings?per_page=1", headers)
    assert sorted(findings) == sorted(ui_ids(app_db, user_id, Finding, visible_findings))
    for experience_id in world.ids.values():
        response = client.get(f"/api/v1/experiences/{experience_id}", headers=headers)
        assert (response.status_code == 200) == (experience_id in experiences)


def test_the_rules_in_plain_words(client, world):
    def seen(person: str, url: str) -> set[int]:
        return set(all_ids(client, url, world.headers(person)))

    ids = world.ids
    assert seen("caseworker", "/api/v1/experiences") == {
        ids["submitted"],
        ids["draft"],
    }
    assert seen("colleague", "/api/v1/experiences") == {ids["submitted"], ids["colleague_draft"]}
    assert seen("neighbour", "/api/v1/experiences") == {ids["neighbours"]}
    assert seen("curator", "/api/v1/experiences") == {ids["submitted"], ids["neighbours"]}
    assert seen("procurer", "/api/v1/experiences") == set()
    assert seen("outsider", "/api/v1/experiences") == set()
    assert seen("neighbour", "/api/v1/findings") == {ids["published"]}
    assert seen("caseworker", "/api/v1/findings") == {ids["published"], ids["unpublished"]}
    assert seen("curator", "/api/v1/findings") == {ids["published"], ids["unpublished"]}
    assert seen("outsider", "/api/v1/findings") == set()
    response = client.get(
        f"/api/v1/findings/{ids['unpublished']}", headers=world.headers("neighbour")
    )
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("person", ("caseworker", "outsider"))
def test_the_register_is_the_ui_register(client, app_db, world, person):
    headers = world.headers(person)
    with app_db():
        suppliers = {row.id for row in supplier_page(CatalogueFilter(), 1, 1000).rows}
        units = {row.id for row in unit_page(CatalogueFilter(), 1, 1000).rows}
        in_area = {
            row.id for row in unit_page(CatalogueFilter(area_id=world.ids["area"]), 1, 100).rows
        }
    assert set(all_ids(client, "/api/v1/suppliers?per_page=1", headers)) == suppliers
    assert set(all_ids(client, "/api/v1/units?per_page=2", headers)) == units
    assert set(all_ids(client, f"/api/v1/units?area_id={world.ids['area']}", headers)) == in_area
    assert len(all_ids(client, "/api/v1/agreement-areas?per_page=1", headers)) == 2
    assert len(all_ids(client, "/api/v1/tender-rounds", headers)) == 2
    assert len(all_ids(client, "/api/v1/contracts?per_page=2", headers)) == 3
    assert len(all_ids(client, "/api/v1/requirements", headers)) == 1


def test_a_protected_address_is_never_shown(client, world):
    headers = world.headers("curator")
    for url in ("/api/v1/units", "/api/v1/suppliers", "/api/v1/search?q=Skyddsgården"):
        assert PROTECTED_ADDRESS not in client.get(url, headers=headers).get_data(as_text=True)
    protected = client.get(f"/api/v1/units/{world.ids['protected_unit']}", headers=headers)
    assert protected.get_json()["address"] is None
    assert protected.get_json()["protected_address"] is True
    assert PROTECTED_ADDRESS not in protected.get_data(as_text=True)
    shown = client.get(f"/api/v1/units/{world.ids['unit']}", headers=headers).get_json()
    assert shown["address"] == OPEN_ADDRESS


def test_pagination_links_to_the_next_page_and_ends_with_null(client, world):
    headers = world.headers("caseworker")
    first = client.get("/api/v1/units?per_page=2", headers=headers).get_json()
    assert len(first["items"]) == 2
    assert first["next"].startswith("http://localhost/api/v1/units?")
    assert "page=2" in first["next"] and "per_page=2" in first["next"]
    second = client.get(first["next"], headers=headers).get_json()
    assert len(second["items"]) == 1 and second["next"] is None
    past = client.get("/api/v1/units?per_page=2&page=9", headers=headers).get_json()
    assert past == {"items": [], "next": None}
    for bad in ("per_page=0", "per_page=101", "page=x", "page=-1", "okand=1"):
        response = client.get(f"/api/v1/units?{bad}", headers=headers)
        assert response.status_code == 400, bad
        assert response.get_json()["error"]["code"] in {"invalid_parameter", "unknown_parameter"}


def test_search_answers_what_the_ui_search_answers(client, app, app_db, world):
    assert app.test_cli_runner().invoke(args=["kb", "search", "rebuild"]).exit_code == 0
    seen: dict[str, set[int]] = {}
    for person in ("caseworker", "neighbour", "curator", "outsider"):
        headers = world.headers(person)
        response = client.get(f"/api/v1/search?q={QUERY}&per_page=50", headers=headers)
        assert response.status_code == 200
        body = response.get_json()
        found = {(item["kind"], item["id"]) for item in body["items"]}
        with app.test_request_context():
            user = db.session.get(User, world.users[person])
            outcome = search_for(user, QUERY, {}, "", 1, 50)
            expected = {(row.kind, row.entity_id) for row in outcome.rows}
        assert found == expected, person
        seen[person] = {entity_id for kind, entity_id in found if kind == "experience"}
        assert body["total"] == len(expected)
    assert seen == {
        "caseworker": {world.ids["submitted"]},
        "neighbour": {world.ids["neighbours"]},
        "curator": {world.ids["submitted"], world.ids["neighbours"]},
        "outsider": set(),
    }
    curator = client.get(
        f"/api/v1/search?q={QUERY}&kind=experience", headers=world.headers("curator")
    ).get_json()
    assert {item["id"] for item in curator["items"]} == {
        world.ids["submitted"],
        world.ids["neighbours"],
    }
    assert {f["value"] for f in curator["facets"]["kind"]} == {"experience"}
    neighbour = client.get("/api/v1/search?q=Ägarmarkör", headers=world.headers("neighbour"))
    assert neighbour.get_json()["items"] == []
