"""The tender draft pages through the client: who may read and build, and bad input."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from kb.tender_drafts.models import DraftStatus, TenderDraft
from kb.tenders.models import TenderRound
from tests.conftest import csrf_token_from, post_form
from tests.draft_world import DraftWorld, build_draft_world
from tests.factories import Factory


@pytest.fixture
def world(app_db, make) -> DraftWorld:
    with app_db() as session:
        return build_draft_world(session, make)


def _generate(client, login, world: DraftWorld) -> int:
    login(world.procurer)
    round_url = f"/underlag/omgang/{world.next_round_id}"
    response = post_form(client, f"{round_url}/generera", {}, form_url=round_url)
    assert response.status_code == 302
    return int(re.search(r"/underlag/(\d+)", response.headers["Location"]).group(1))


def _draft(app_db, draft_id: int) -> tuple[str, int]:
    with app_db() as session:
        draft = session.get(TenderDraft, draft_id)
        return draft.status.value, len(draft.items)


def test_a_procurer_generates_the_draft_and_sees_every_change_with_its_finding(
    client, login, world
):
    draft_id = _generate(client, login, world)
    page = client.get(f"/underlag/{draft_id}").get_data(as_text=True)
    assert "LRN-01 Kvällsbemanning" in page and "Ändrad av lärdom" in page
    assert "Kravet tas bort i den nya omgången." in page
    assert "Behov som tillgodosetts utanför avtal" in page and "Kompetens" in page
    assert "färre än 3" in page  # geografi: one placement

    changes = client.get(f"/underlag/{draft_id}/andringar").get_data(as_text=True)
    assert "Kvällsbemanningen räcker inte" in changes
    assert "1 underlag från 1 kommuner" in changes
    assert "Borttagen av lärdom" in changes and "LRN-02" not in changes


def test_finalising_through_the_page_marks_findings_applied_for_the_evidence_author(
    app, client, login, world, app_db
):
    draft_id = _generate(client, login, world)
    url = f"/underlag/{draft_id}"
    response = post_form(client, f"{url}/faststall", {}, form_url=url)
    assert response.status_code == 302
    assert _draft(app_db, draft_id)[0] == DraftStatus.FINAL.value
    caseworker = app.test_client()
    post_form(caseworker, "/logga-in", {"email": world.caseworker, "password": Factory.PASSWORD})
    mine = caseworker.get("/erfarenheter/mina").get_data(as_text=True)
    assert "Kvällsbemanningen räcker inte" in mine and "Tillämpad" in mine


def test_excluding_without_a_reason_is_refused_with_a_message(client, login, world, app_db):
    draft_id = _generate(client, login, world)
    url = f"/underlag/{draft_id}"
    with app_db() as session:
        item_id = session.get(TenderDraft, draft_id).items[0].id
    response = post_form(client, f"{url}/krav/{item_id}/uteslut", {"reason": ""}, form_url=url)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ange varför kravet utesluts." in page
    with app_db() as session:
        assert session.get(TenderDraft, draft_id).items[0].excluded_reason is None


def test_a_stale_edit_keeps_what_was_typed(client, login, world, app_db):
    draft_id = _generate(client, login, world)
    with app_db() as session:
        item = next(
            i for i in session.get(TenderDraft, draft_id).items if i.provenance.value == "overford"
        )
        item_id, version_id = item.id, item.requirement_version_id
    url = f"/underlag/{draft_id}/krav/{item_id}/redigera"
    form = {
        "based_on": str(version_id + 1000),
        "title": "Kontinuitet",
        "text_md": "Min nya formulering som inte får försvinna.",
        "kind": "utvarderingskriterium",
        "level": "bas",
        "weight": "25,5",
    }
    response = post_form(client, url, form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "ändrats sedan du öppnade det" in page
    assert "Min nya formulering som inte får försvinna." in page

    form["based_on"], form["weight"] = str(version_id), "tjugo"
    page = post_form(client, url, form).get_data(as_text=True)
    assert "Ange vikten som ett tal" in page

    form["weight"] = "25,5"
    assert post_form(client, url, form).status_code == 302
    with app_db() as session:
        version = session.get(TenderDraft, draft_id).items[0].draft.items
        edited = next(i for i in version if i.id == item_id).requirement_version
        assert (edited.number, str(edited.weight)) == (2, "25.50")


@pytest.mark.parametrize(
    ("who", "read", "build"),
    [("procurer", 200, 302), ("member_procurer", 200, 403), ("outsider_procurer", 404, 404)],
)
def test_who_reads_and_who_builds(client, login, world, app_db, who, read, build):
    login(getattr(world, who))
    round_url = f"/underlag/omgang/{world.next_round_id}"
    assert client.get(round_url).status_code == read
    token = csrf_token_from(client.get("/sok").get_data(as_text=True))
    response = client.post(f"{round_url}/generera", data={"csrf_token": token})
    assert response.status_code == build
    with app_db() as session:
        made = session.scalar(
            select(TenderDraft).where(TenderDraft.tender_round_id == world.next_round_id)
        )
        assert (made is not None) == (build == 302)


def test_a_caseworker_may_not_plan_rounds(client, login, world):
    login(world.caseworker)
    assert client.get("/underlag/ny-omgang").status_code == 403


def test_the_next_round_follows_the_latest_round_only(client, login, world, app_db):
    login(world.procurer)
    url = f"/underlag/ny-omgang?omrade={world.area_id}"
    form = {
        "area_id": str(world.area_id),
        "predecessor_id": str(world.first_round_id),
        "reference": "LRN 2026/2",
        "title": "Ännu en omgång",
        "procurement_form": "lou_ramavtal",
    }
    page = post_form(client, "/underlag/ny-omgang", form, form_url=url).get_data(as_text=True)
    assert "följs redan av LRN 2026/1" in page

    form["predecessor_id"], form["reference"] = str(world.next_round_id), "lrn 2022/1"
    page = post_form(client, "/underlag/ny-omgang", form, form_url=url).get_data(as_text=True)
    assert "används redan" in page

    form["reference"] = "LRN 2030/1"
    response = post_form(client, "/underlag/ny-omgang", form, form_url=url)
    assert response.status_code == 302
    with app_db() as session:
        created = session.scalar(select(TenderRound).where(TenderRound.reference == "LRN 2030/1"))
        assert created.predecessor_id == world.next_round_id
        assert {o.name for o in created.participants} == {"Ekby", "Åby"}
