"""Experiences through the API: the form's service, rules, privacy guard and idempotency."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kb.experiences.models import Experience, ExperienceStatus
from kb.themes import Theme
from tests.api_world import build_api_world


@pytest.fixture
def world(app_db):
    with app_db() as session:
        return build_api_world(session)


def complete(world, **overrides) -> dict:
    body = {
        "submission_key": "fall-4711",
        "status": "inskickad",
        "unit_id": world.ids["unit"],
        "agreement_area_id": world.ids["area"],
        "contract_id": world.ids["new_contract"],
        "placement_kind": "behandling",
        "legal_basis": "lvu",
        "age_band": "13-15",
        "start": "2023-02",
        "end": "2023-11",
        "end_reason": "planerat",
        "goal_attainment": 3,
        "daily_price": 4850,
        "would_place_again": "ja",
        "ratings": {theme.value: 4 for theme in Theme} | {"lokaler": None},
        "worked_md": "Kontaktpersonen var **tillgänglig**.<script>alert(1)</script>",
        "not_worked_md": "Skolgången kom igång sent.",
        "advice_md": "",
    }
    return body | overrides


def count(app_db) -> int:
    with app_db() as session:
        return session.scalar(select(func.count(Experience.id)))


def error(response) -> dict:
    assert response.mimetype == "application/json"
    return response.get_json()["error"]


def test_a_case_management_system_submits_an_experience(client, world, app_db):
    response = client.post(
        "/api/v1/experiences", json=complete(world), headers=world.headers("caseworker")
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/experiences/{body['id']}")
    assert body["status"] == "inskickad" and body["mine"] is True
    assert body["ratings"]["lokaler"] is None and body["ratings"]["bemanning"] == 4
    assert "<strong>tillgänglig</strong>" in body["worked_html"]
    assert "<script" not in body["worked_html"]  # sanitised as in the form
    assert body["daily_price"] == 4850 and body["start"] == "2023-02"
    with app_db() as session:
        saved = session.get(Experience, body["id"])
        assert saved.author_id == world.users["caseworker"]
        assert saved.status == ExperienceStatus.SUBMITTED and saved.submitted_at is not None
    readable = client.get(f"/api/v1/experiences/{body['id']}", headers=world.headers("curator"))
    assert readable.status_code == 200
    hidden = client.get(f"/api/v1/experiences/{body['id']}", headers=world.headers("neighbour"))
    assert hidden.status_code == 404


def test_a_repeated_post_with_the_same_key_returns_the_first(client, world, app_db):
    headers = world.headers("caseworker")
    first = client.post("/api/v1/experiences", json=complete(world), headers=headers)
    before = count(app_db)
    again = client.post(
        "/api/v1/experiences", json=complete(world, worked_md="Annan text."), headers=headers
    )
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    assert count(app_db) == before
    clash = client.post(
        "/api/v1/experiences", json=complete(world), headers=world.headers("colleague")
    )
    assert clash.status_code == 409 and error(clash)["code"] == "submission_key_conflict"
    assert count(app_db) == before


def test_a_draft_needs_little_and_submitting_needs_everything(client, world):
    headers = world.headers("caseworker")
    draft = client.post("/api/v1/experiences", json={"worked_md": "Påbörjad."}, headers=headers)
    assert draft.status_code == 201 and draft.get_json()["status"] == "utkast"
    incomplete = client.post(
        "/api/v1/experiences", json={"status": "inskickad", "worked_md": "Kort."}, headers=headers
    )
    assert incomplete.status_code == 422
    problem = error(incomplete)
    assert problem["code"] == "validation_failed"
    messages = {d["field"]: d["message"] for d in problem["details"]}
    assert messages["unit_id"] == "Välj verksamhet."
    assert messages["placement_kind"] == "Välj typ av placering."
    assert {d["code"] for d in problem["details"]} == {"invalid_value"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"end": "2022-01"}, "end"),
        ({"start": "2023-13"}, "start"),
        ({"goal_attainment": 7}, "goal_attainment"),
        ({"contract_id": 999999}, "contract_id"),
        ({"unit_id": 2_000_000}, "unit_id"),
        ({"ratings": {"bemanning": 9}}, "rating_bemanning"),
    ],
)
def test_the_forms_rules_apply(client, world, app_db, overrides, field):
    response = client.post(
        "/api/v1/experiences",
        json=complete(world, **overrides),
        headers=world.headers("caseworker"),
    )
    assert response.status_code == 422
    fields = {d["field"] for d in error(response)["details"]}
    assert field in fields
    assert count(app_db) == 4


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"unit_id": "3"}, "unit_id", "wrong_type"),
        ({"off_contract": "ja"}, "off_contract", "wrong_type"),
        ({"daily_price": "4500"}, "daily_price", "wrong_type"),
        ({"placement_kind": "fel"}, "placement_kind", "wrong_type"),
        ({"ratings": {"okänt": 3}}, "ratings", "wrong_type"),
        ({"worked_md": 12}, "worked_md", "wrong_type"),
        ({"worked_md": "a\x00b"}, "worked_md", "wrong_type"),
        ({"submission_key": "x" * 37}, "submission_key", "wrong_type"),
        ({"status": "klar"}, "status", "wrong_type"),
        ({"personnummer": "x"}, "personnummer", "unknown_field"),
    ],
)
def test_wrong_types_and_unknown_fields_are_422_json(client, world, body, field, code):
    response = client.post("/api/v1/experiences", json=body, headers=world.headers("caseworker"))
    assert response.status_code == 422
    details = error(response)["details"]
    assert {"field": field, "code": code} in [
        {"field": d["field"], "code": d["code"]} for d in details
    ]
    assert all(d["message"] for d in details)


def test_malformed_bodies_are_4xx_json(client, world):
    headers = world.headers("caseworker")
    for data, content_type, status, code in [
        ("{bad", "application/json", 400, "malformed_json"),
        ("[1, 2]", "application/json", 400, "malformed_json"),
        ('{"daily_price": NaN}', "application/json", 400, "malformed_json"),
        ("", "application/json", 400, "malformed_json"),
        ("worked_md=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ]:
        response = client.post(
            "/api/v1/experiences", data=data, headers={**headers, "Content-Type": content_type}
        )
        assert response.status_code == status, data
        assert error(response)["code"] == code


def test_a_personal_identity_number_is_refused_and_nothing_is_saved(client, world, app_db):
    body = complete(world, not_worked_md="Pojken (19121212-1212) rymde.")
    response = client.post("/api/v1/experiences", json=body, headers=world.headers("caseworker"))
    assert response.status_code == 422
    problem = error(response)
    assert problem["code"] == "personal_identity_number"
    assert "personnummer" in problem["message"]
    detail = problem["details"][0]
    assert detail["field"] == "not_worked_md" and detail["code"] == "personal_identity_number"
    assert "rad 1" in detail["message"] and "1212-1212" not in detail["message"]
    assert count(app_db) == 4


def test_a_phone_number_needs_confirmation(client, world):
    body = complete(world, advice_md="Ring 070-123 45 67.")
    headers = world.headers("caseworker")
    response = client.post("/api/v1/experiences", json=body, headers=headers)
    assert response.status_code == 422
    assert error(response)["code"] == "privacy_confirmation_required"
    confirmed = client.post(
        "/api/v1/experiences", json=body | {"privacy_confirmed": True}, headers=headers
    )
    assert confirmed.status_code == 201


def test_only_caseworkers_post(client, world):
    response = client.post(
        "/api/v1/experiences", json={"worked_md": "x"}, headers=world.headers("procurer")
    )
    assert response.status_code == 403 and error(response)["code"] == "forbidden_role"


def test_the_author_updates_and_others_cannot(client, world, app_db):
    headers = world.headers("caseworker")
    draft_id = world.ids["draft"]
    patched = client.patch(
        f"/api/v1/experiences/{draft_id}", json={"advice_md": "Fråga om skolan."}, headers=headers
    )
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["advice_md"] == "Fråga om skolan."
    assert patched.get_json()["worked_md"] == "Utkast."  # kept
    replaced = client.put(
        f"/api/v1/experiences/{draft_id}", json={"advice_md": "Bara råd."}, headers=headers
    )
    assert replaced.status_code == 200 and replaced.get_json()["worked_md"] == ""
    submitted = client.put(
        f"/api/v1/experiences/{draft_id}",
        json=complete(world, submission_key=None),
        headers=headers,
    )
    assert submitted.status_code == 422  # submission_key may not be null
    body = complete(world)
    del body["submission_key"]
    submitted = client.put(f"/api/v1/experiences/{draft_id}", json=body, headers=headers)
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "inskickad"
    back = client.patch(
        f"/api/v1/experiences/{draft_id}", json={"status": "utkast"}, headers=headers
    )
    assert back.status_code == 422
    colleague = client.patch(
        f"/api/v1/experiences/{world.ids['submitted']}",
        json={"advice_md": "x"},
        headers=world.headers("colleague"),
    )
    assert colleague.status_code == 403 and error(colleague)["code"] == "not_author"
    stranger = client.patch(
        f"/api/v1/experiences/{world.ids['submitted']}",
        json={"advice_md": "x"},
        headers=world.headers("outsider"),
    )
    assert stranger.status_code == 404
    with app_db() as session:
        assert session.get(Experience, world.ids["submitted"]).advice_md == ""
