"""Follow-ups: create, edit, view, list and filter; citing; who may read and write; bad input."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from kb.audit.models import AuditRecord
from kb.auth.models import User
from kb.followups.models import (
    FollowUp,
    FollowUpKind,
    FollowUpResult,
    FollowUpScope,
)
from kb.search.models import SearchOutbox
from tests.conftest import csrf_token_from
from tests.followup_world import FollowUpWorld, build_followup_world, followup_form

NEW = "/uppfoljningar/ny"
VALID_PNR = "811218-9876"


@pytest.fixture
def world(app_db, make) -> FollowUpWorld:
    with app_db() as session:
        return build_followup_world(session, make)


@pytest.fixture
def coordinator(world, login) -> FollowUpWorld:
    login(world.coordinator)
    return world


def post(client, data: dict, url: str = NEW):
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def followup_count(app_db) -> int:
    with app_db() as session:
        return session.scalar(select(func.count(FollowUp.id)))


def add_followup(app_db, world: FollowUpWorld, organisation: int | None = None, **fields) -> int:
    """Store a follow-up directly, for reading and listing tests."""
    values = {
        "title": "Löpande uppföljning av Solgården",
        "kind": FollowUpKind.CONTINUOUS,
        "scope": FollowUpScope.UNIT,
        "unit_id": world.unit_id,
        "period_start": date(2025, 1, 1),
        "period_end": date(2025, 12, 31),
        "methods": ["enkat_socsek"],
        "summary_md": "Genomgång av rapporter.",
        "summary_html": "<p>Genomgång av rapporter.</p>\n",
    }
    values.update(fields)
    with app_db() as session:
        followup = FollowUp(organisation_id=organisation or world.home_org, **values)
        session.add(followup)
        session.commit()
        return followup.id


def is_checked(code: str, page: str) -> bool:
    """Is the method's checkbox ticked on the page?"""
    tag = re.search(rf'<input[^>]*value="{code}"[^>]*>', page)
    return bool(tag) and "checked" in tag.group()


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# --- Create, view, edit ----------------------------------------------------------------------


def test_a_coordinator_records_a_follow_up_that_is_rendered_cited_audited_and_queued(
    client, coordinator, app_db
):
    response = post(client, followup_form(coordinator))
    assert response.status_code == 302
    with app_db() as session:
        followup = session.scalar(select(FollowUp))
        author = session.scalar(select(User).where(User.email == coordinator.coordinator))
        assert (followup.organisation_id, followup.author_id) == (coordinator.home_org, author.id)
        assert followup.kind == FollowUpKind.EVENT_DRIVEN and followup.scope == FollowUpScope.UNIT
        assert followup.unit_id == coordinator.unit_id and followup.contract_id is None
        assert followup.methods == ["intervju_personal", "oanmalt_besok"]
        assert (followup.period_start, followup.period_end) == (date(2025, 3, 1), date(2025, 3, 31))
        assert (
            followup.summary_html
            == "<p>Besöket visade <strong>brister</strong> i nattbemanningen.</p>\n"
        )
        assert followup.result == FollowUpResult.SERIOUS
        assert [e.id for e in followup.cited_experiences] == [coordinator.home_experience]
        assert [d.id for d in followup.cited_deviations] == [coordinator.home_deviation]
        audit = session.scalar(select(AuditRecord).where(AuditRecord.entity == "FollowUp"))
        assert audit.entity_id == str(followup.id) and audit.actor_id == author.id
        queued = session.scalars(
            select(SearchOutbox.entity_id).where(SearchOutbox.entity == "followup")
        ).all()
        assert followup.id in queued
        followup_id = followup.id
    assert response.headers["Location"].endswith(f"/uppfoljningar/{followup_id}")
    page = page_of(client, response.headers["Location"])
    assert "Uppföljningen är sparad." in page
    assert "Besöket visade <strong>brister</strong> i nattbemanningen." in page
    assert "Oanmält platsbesök" in page and "Allvarliga brister" in page
    assert f'href="/erfarenheter/{coordinator.home_experience}"' in page
    assert f'href="/verksamheter/{coordinator.unit_id}"' in page
    assert "Avtalet pausas i väntan på åtgärdsplan." in page


def test_editing_changes_the_follow_up_and_queues_it_again(client, coordinator, app_db):
    followup_id = add_followup(app_db, coordinator)
    url = f"/uppfoljningar/{followup_id}/redigera"
    form_page = page_of(client, url)
    assert 'value="Löpande uppföljning av Solgården"' in form_page
    assert re.search(
        r'value="enkat_socsek"[^>]*checked|checked[^>]*value="enkat_socsek"', form_page
    )
    with app_db() as session:
        session.execute(SearchOutbox.__table__.delete())
        session.commit()
    data = followup_form(
        coordinator,
        title="Löpande uppföljning, reviderad",
        kind="lopande",
        scope="contract",
        contract_id=str(coordinator.contract_id),
        result="anmarkning",
        experience_ids=[],
        deviation_ids=[],
    )
    assert post(client, data, url).status_code == 302
    with app_db() as session:
        followup = session.get(FollowUp, followup_id)
        assert followup.title == "Löpande uppföljning, reviderad"
        assert followup.scope == FollowUpScope.CONTRACT
        assert (followup.contract_id, followup.unit_id) == (coordinator.contract_id, None)
        assert followup.result == FollowUpResult.REMARKS and followup.cited_experiences == []
        assert (
            session.scalar(select(SearchOutbox.entity_id).where(SearchOutbox.entity == "followup"))
            == followup_id
        )
        assert (
            session.scalar(
                select(func.count(AuditRecord.id)).where(
                    AuditRecord.entity == "FollowUp", AuditRecord.entity_id == str(followup_id)
                )
            )
            >= 1
        )
    assert followup_count(app_db) == 1


def test_a_saved_follow_up_is_found_by_search_in_the_network_only(app, client, coordinator, login):
    app.config["SEARCH_SYNC"] = "sync"
    data = followup_form(coordinator, summary_md="Brandskyddet saknade dokumentation.")
    assert post(client, data).status_code == 302
    assert "1 träff" in page_of(client, "/sok?q=brandskyddet")
    client.post("/logga-ut", data={"csrf_token": csrf_token_from(page_of(client, "/"))})
    login(coordinator.outsider_coordinator)
    assert "1 träff" not in page_of(client, "/sok?q=brandskyddet")


# --- Templates, preselection and citing from the URL -----------------------------------------


def test_the_new_page_offers_the_templates_and_starts_from_one(client, coordinator, app_db):
    page = page_of(client, NEW)
    assert "Börja från mall" in page
    assert "Särskild uppföljning HVB" in page and "Särskild uppföljning stödboende" in page
    assert 'href="/uppfoljningar/ny?mall=sarskild-hvb"' in page
    started = page_of(client, f"{NEW}?mall=sarskild-stodboende")
    assert 'value="Särskild uppföljning stödboende"' in started
    assert '<option selected value="sarskild">' in started
    assert "## Bemanning och kontinuitet" in started
    assert "Har den unge kunnat nå personal dygnet runt enligt avtalet?" in started
    for code in ("enkat_socsek", "enkat_leverantor", "rutingranskning"):
        assert re.search(rf'checked[^>]*value="{code}"|value="{code}"[^>]*checked', started)
    assert not re.search(
        r'checked[^>]*value="oanmalt_besok"|value="oanmalt_besok"[^>]*checked', started
    )
    assert 'href="/uppfoljningar/ny?mall=sarskild-hvb"' in page_of(client, NEW + "?mall=okand")


def test_a_follow_up_started_from_a_template_saves_its_skeleton(client, coordinator, app_db):
    from kb.followups.templates_data import template_for

    template = template_for("sarskild-hvb")
    data = followup_form(
        coordinator,
        title="Särskild uppföljning HVB 2025",
        kind="sarskild",
        scope="tender_round",
        tender_round_id=str(coordinator.round_id),
        methods=template.method_codes,
        summary_md=template.summary_md(),
    )
    assert post(client, data, f"{NEW}?mall=sarskild-hvb").status_code == 302
    with app_db() as session:
        followup = session.scalar(select(FollowUp))
        assert followup.tender_round_id == coordinator.round_id
        assert sorted(followup.methods) == sorted(template.method_codes)
        assert "<h4>Skola och sysselsättning</h4>" in followup.summary_html


def test_scope_and_citations_can_be_preselected_from_the_url(client, coordinator):
    page = page_of(
        client,
        f"{NEW}?scope=unit&id={coordinator.unit_id}&erfarenhet={coordinator.home_experience}"
        f"&avvikelse={coordinator.home_deviation}",
    )
    assert '<option selected value="unit">' in page
    assert f'<option selected value="{coordinator.unit_id}">Solgården</option>' in page
    assert f'<option selected value="{coordinator.home_experience}">' in page
    assert f'<option selected value="{coordinator.home_deviation}">' in page
    flagged = page_of(
        client, f"{NEW}?scope=supplier&id={coordinator.supplier_id}&kind=handelsestyrd"
    )
    assert '<option selected value="supplier">' in flagged
    assert '<option selected value="handelsestyrd">' in flagged
    assert f'<option selected value="{coordinator.supplier_id}">Solgårdens' in flagged
    ignored = page_of(client, f"{NEW}?scope=hemlig&id=1&kind=okand")
    scope_select = ignored.split('id="scope"')[1].split("</select>")[0]
    assert '<option selected value="">' in scope_select


def test_the_form_offers_only_what_the_user_may_follow_up_and_read(client, coordinator):
    page = page_of(client, f"{NEW}?erfarenhet={coordinator.neighbour_experience}")
    assert "Solgården" in page and "UPF 2022/1" in page and "Solgårdens Omsorg AB" in page
    assert "Fjärrgården" not in page and "FJR 2022/9" not in page and "Fjärrhemmet AB" not in page
    assert f'value="{coordinator.neighbour_experience}"' not in page
    assert f'value="{coordinator.home_draft}"' not in page
    assert f'value="{coordinator.outsider_deviation}"' not in page
    assert f'value="{coordinator.home_experience}"' in page


# --- Who may read and write ------------------------------------------------------------------


def test_the_network_reads_a_follow_up_and_sees_only_citations_it_may_read(
    client, world, login, app_db
):
    followup_id = add_followup(app_db, world)
    with app_db() as session:
        followup = session.get(FollowUp, followup_id)
        from kb.experiences.models import Experience

        followup.cited_experiences = [session.get(Experience, world.home_experience)]
        session.commit()
    login(world.neighbour_caseworker)
    page = page_of(client, f"/uppfoljningar/{followup_id}")
    assert "Löpande uppföljning av Solgården" in page
    assert f"/erfarenheter/{world.home_experience}" not in page
    assert "1 erfarenhet som du inte får läsa." in page
    assert "Redigera" not in page
    assert "Löpande uppföljning av Solgården" in page_of(client, "/uppfoljningar/")


@pytest.mark.parametrize("who", ["outsider_caseworker", "outsider_coordinator"])
def test_outside_the_network_a_follow_up_is_not_found(client, world, login, app_db, who):
    followup_id = add_followup(app_db, world)
    login(getattr(world, who))
    assert client.get(f"/uppfoljningar/{followup_id}").status_code == 404
    assert "Löpande uppföljning av Solgården" not in page_of(client, "/uppfoljningar/")
    if who == "outsider_coordinator":
        assert client.get(f"/uppfoljningar/{followup_id}/redigera").status_code == 404


def test_a_caseworker_may_not_write_follow_ups(client, world, login, app_db):
    followup_id = add_followup(app_db, world)
    login(world.caseworker)
    assert client.get(NEW).status_code == 403
    token = csrf_token_from(page_of(client, f"/uppfoljningar/{followup_id}"))
    response = client.post(NEW, data={**followup_form(world), "csrf_token": token})
    assert response.status_code == 403
    assert client.get(f"/uppfoljningar/{followup_id}/redigera").status_code == 403
    assert "Ny uppföljning" not in page_of(client, "/uppfoljningar/")
    assert followup_count(app_db) == 1


@pytest.mark.parametrize("who", ["neighbour_coordinator", "curator"])
def test_another_organisation_in_the_network_may_not_edit(client, world, login, app_db, who):
    followup_id = add_followup(app_db, world)
    login(getattr(world, who))
    url = f"/uppfoljningar/{followup_id}/redigera"
    assert client.get(url).status_code == 403
    token = csrf_token_from(page_of(client, f"/uppfoljningar/{followup_id}"))
    response = client.post(url, data={**followup_form(world, title="Kapad"), "csrf_token": token})
    assert response.status_code == 403
    with app_db() as session:
        assert session.get(FollowUp, followup_id).title == "Löpande uppföljning av Solgården"


def test_an_id_that_cannot_exist_is_not_found(client, coordinator):
    assert client.get("/uppfoljningar/99999999999").status_code == 404
    assert client.get("/uppfoljningar/99999999999/redigera").status_code == 404


def test_editing_keeps_citations_the_editor_cannot_read(client, world, login, app_db):
    from kb.experiences.models import Experience

    followup_id = add_followup(app_db, world, organisation=world.intermediary_org)
    with app_db() as session:
        followup = session.get(FollowUp, followup_id)
        followup.cited_experiences = [session.get(Experience, world.neighbour_experience)]
        session.commit()
    login(world.intermediary_coordinator)  # no curator role: cannot read Grannby's text
    url = f"/uppfoljningar/{followup_id}/redigera"
    assert f'value="{world.neighbour_experience}"' not in page_of(client, url)
    data = followup_form(world, title="Ny rubrik", experience_ids=[], deviation_ids=[])
    assert post(client, data, url).status_code == 302
    with app_db() as session:
        followup = session.get(FollowUp, followup_id)
        assert followup.title == "Ny rubrik"
        assert [e.id for e in followup.cited_experiences] == [world.neighbour_experience]


# --- The list and its filters ----------------------------------------------------------------


@pytest.fixture
def listed(world, app_db) -> dict[str, int]:
    return {
        "unit": add_followup(app_db, world, title="Enhet Solgården 2025"),
        "round": add_followup(
            app_db,
            world,
            title="Särskild HVB 2024",
            kind=FollowUpKind.SPECIAL,
            scope=FollowUpScope.TENDER_ROUND,
            unit_id=None,
            tender_round_id=world.round_id,
            period_start=date(2024, 1, 1),
            period_end=date(2024, 6, 30),
            result=FollowUpResult.REMARKS,
        ),
        "supplier": add_followup(
            app_db,
            world,
            organisation=world.neighbour_org,
            title="Leverantör Solgårdens Omsorg 2023",
            kind=FollowUpKind.EVENT_DRIVEN,
            scope=FollowUpScope.SUPPLIER,
            unit_id=None,
            supplier_id=world.supplier_id,
            period_start=date(2023, 5, 1),
            period_end=None,
            result=FollowUpResult.SERIOUS,
        ),
        "other": add_followup(
            app_db,
            world,
            title="Fjärrgården 2025",
            scope=FollowUpScope.AGREEMENT_AREA,
            unit_id=None,
            agreement_area_id=world.other_area_id,
        ),
        "outsider": add_followup(
            app_db, world, organisation=world.outsider_org, title="Fjärranbys egen uppföljning"
        ),
    }


TITLES = {
    "unit": "Enhet Solgården 2025",
    "round": "Särskild HVB 2024",
    "supplier": "Leverantör Solgårdens Omsorg 2023",
    "other": "Fjärrgården 2025",
    "outsider": "Fjärranbys egen uppföljning",
}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"unit", "round", "supplier", "other"}),
        ("omrade={area}", {"unit", "round"}),
        ("omrade={other_area}", {"other"}),
        ("leverantor={supplier}", {"unit", "supplier"}),
        ("verksamhet={unit}", {"unit", "supplier"}),
        ("ar=2024", {"round", "supplier"}),
        ("ar=2025", {"unit", "supplier", "other"}),
        ("fran=2024-06-01&till=2024-12-31", {"round", "supplier"}),
        ("till=2023-12-31", {"supplier"}),
        ("typ=sarskild", {"round"}),
        ("resultat=allvarliga_brister", {"supplier"}),
        ("omrade={area}&ar=2025", {"unit"}),
        ("ar=tjugo&typ=okand&omrade=abc", {"unit", "round", "supplier", "other"}),
    ],
)
def test_the_list_filters_by_area_supplier_unit_period_kind_and_result(
    client, world, login, listed, query, expected
):
    login(world.caseworker)
    ids = {
        "area": world.area_id,
        "other_area": world.other_area_id,
        "supplier": world.supplier_id,
        "unit": world.unit_id,
    }
    page = page_of(client, "/uppfoljningar/?" + query.format(**ids))
    shown = {key for key, title in TITLES.items() if title in page}
    assert shown == expected
    for key in expected:
        assert f'href="/uppfoljningar/{listed[key]}"' in page


# --- Bad input: a Swedish message, nothing saved, nothing typed lost -------------------------


NOT_OFFERED = None  # the answer is 404, not a form error


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"scope": ""}, "Välj vad uppföljningen gäller."),
        ({"scope": "okand"}, "Välj vad uppföljningen gäller."),
        ({"unit_id": ""}, "Välj verksamhet som följs upp."),
        ({"scope": "contract", "unit_id": ""}, "Välj avtal som följs upp."),
        # Another organisation's objects were never offered: a tampered form, refused (404).
        ({"unit_id": "{other_unit}"}, NOT_OFFERED),
        ({"scope": "tender_round", "tender_round_id": "{other_round}"}, NOT_OFFERED),
        ({"scope": "agreement_area", "agreement_area_id": "{other_area}"}, NOT_OFFERED),
        ({"unit_id": "987654"}, "Din organisation får inte följa upp det valda objektet"),
        ({"unit_id": "abc"}, "Välj verksamhet som följs upp."),
        ({"period_end": "2025-02-28"}, "Periodens slut kan inte vara före dess början."),
        ({"period_start": ""}, "Ange när perioden börjar."),
        ({"period_start": "31/12/2025"}, "Skriv datumet som ÅÅÅÅ-MM-DD"),
        ({"methods": ["oanmalt_besok", "tankelasning"]}, "Okänd metod: tankelasning."),
        ({"methods": []}, "Välj minst en metod."),
        ({"kind": ""}, "Välj typ av uppföljning."),
        ({"kind": "hemlig"}, "Välj typ av uppföljning."),
        ({"result": "superbra"}, "Välj ett resultat i listan."),
        ({"title": ""}, "Ge uppföljningen en rubrik."),
        ({"title": "x" * 301}, "Rubriken får vara högst 300 tecken."),
        ({"summary_md": "y" * 20001}, "Texten får vara högst 20000 tecken."),
        ({"actions_taken": "z" * 20001}, "Texten får vara högst 20000 tecken."),
        ({"experience_ids": ["{neighbour_experience}"]}, NOT_OFFERED),
        ({"experience_ids": ["{home_draft}"]}, NOT_OFFERED),
        ({"experience_ids": ["999999"]}, "Erfarenhet 999999 finns inte bland dem du får läsa."),
        ({"experience_ids": ["abc"]}, "ett av valen är inget giltigt nummer."),
        ({"deviation_ids": ["{outsider_deviation}"]}, NOT_OFFERED),
    ],
)
def test_bad_input_is_refused_with_a_swedish_message_and_nothing_is_saved(
    client, coordinator, app_db, overrides, message
):
    ids = {
        "other_unit": coordinator.other_unit_id,
        "other_round": coordinator.other_round_id,
        "other_area": coordinator.other_area_id,
        "neighbour_experience": coordinator.neighbour_experience,
        "home_draft": coordinator.home_draft,
        "outsider_deviation": coordinator.outsider_deviation,
    }

    def fill(value):
        if isinstance(value, list):
            return [fill(item) for item in value]
        return value.format(**ids) if "{" in value else value

    data = followup_form(coordinator, **{name: fill(value) for name, value in overrides.items()})
    response = post(client, data)
    page = response.get_data(as_text=True)
    if message is NOT_OFFERED:
        assert response.status_code == 404 and "Sidan finns inte" in page
        assert followup_count(app_db) == 0
        return
    assert response.status_code == 200
    assert "Formuläret innehåller fel" in page
    assert message in page
    assert 'value="Oanmält platsbesök på Solgården"' in page or "title" in overrides
    assert "Avtalet pausas i väntan på åtgärdsplan." in page or "actions_taken" in overrides
    assert followup_count(app_db) == 0


def test_bad_input_on_edit_leaves_the_stored_follow_up_as_it_was(client, coordinator, app_db):
    followup_id = add_followup(app_db, coordinator)
    url = f"/uppfoljningar/{followup_id}/redigera"
    data = followup_form(coordinator, title="Ändrad rubrik", unit_id=str(coordinator.other_unit_id))
    assert post(client, data, url).status_code == 404  # another organisation's unit
    page = post(client, followup_form(coordinator, title="Ändrad rubrik", period_start=""), url)
    assert "Ange när perioden börjar." in page.get_data(as_text=True)
    assert 'value="Ändrad rubrik"' in page.get_data(as_text=True)
    with app_db() as session:
        followup = session.get(FollowUp, followup_id)
        assert followup.title == "Löpande uppföljning av Solgården"
        assert followup.unit_id == coordinator.unit_id


def test_a_neighbour_may_not_follow_up_a_round_it_took_no_part_in(client, world, login, app_db):
    login(world.neighbour_coordinator)
    response = post(client, followup_form(world, experience_ids=[], deviation_ids=[]))
    assert response.status_code == 404  # the round's unit was never offered to it
    assert followup_count(app_db) == 0


def test_the_intermediary_curator_may_follow_up_its_members_rounds(client, world, login, app_db):
    login(world.curator)
    data = followup_form(world, experience_ids=[str(world.neighbour_experience)])
    assert post(client, data).status_code == 302
    with app_db() as session:
        followup = session.scalar(select(FollowUp))
        assert followup.organisation_id == world.intermediary_org
        assert [e.id for e in followup.cited_experiences] == [world.neighbour_experience]


# --- The privacy guard -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "label"),
    [("summary_md", "Sammanfattning"), ("actions_taken", "Vidtagna åtgärder"), ("title", "Rubrik")],
)
def test_a_personnummer_is_refused_with_where_it_is_and_nothing_saved(
    client, coordinator, app_db, field, label
):
    text = f"Besöket gällde\nflickan {VALID_PNR} på avdelningen."
    if field == "title":
        text = f"Besök om {VALID_PNR}"
    response = post(client, followup_form(coordinator, **{field: text}))
    page = response.get_data(as_text=True)
    assert f"{label} innehåller något som ser ut som ett personnummer" in page
    assert "811218-****" in page
    if field != "title":
        assert "rad 2, tecken 9" in page
    assert f'id="{field}-error"' in page
    assert followup_count(app_db) == 0


def test_email_and_phone_warn_and_save_after_confirmation(client, coordinator, app_db):
    data = followup_form(coordinator, actions_taken="Ring föreståndaren på 070-123 45 67.")
    warned = post(client, data).get_data(as_text=True)
    assert "Kontrollera texten innan du sparar" in warned
    assert "Vidtagna åtgärder innehåller ett telefonnummer" in warned
    assert followup_count(app_db) == 0
    assert post(client, {**data, "privacy_confirmed": "y"}).status_code == 302
    assert followup_count(app_db) == 1


def test_raw_html_in_the_summary_is_shown_as_text(client, coordinator, app_db):
    data = followup_form(
        coordinator, summary_md="<script>alert(1)</script> [x](javascript:alert(1))"
    )
    assert post(client, data).status_code == 302
    with app_db() as session:
        html = session.scalar(select(FollowUp.summary_html))
        assert "<script>" not in html and "&lt;script&gt;" in html and "javascript:" not in html
