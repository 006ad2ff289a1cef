"""Logging experiences: the form, the rules, bad input, drafts, editing and 'Mina erfarenheter'."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from kb.audit.models import AuditRecord
from kb.experiences.models import EndReason, Experience, ExperienceStatus
from kb.findings.models import Finding, FindingEvidence, FindingStatus, ProposedChange
from kb.search.models import SearchOutbox
from kb.themes import Theme
from tests.conftest import csrf_token_from
from tests.experience_world import World, build_world, complete_form

NEW = "/erfarenheter/ny"
VALID_PNR = "811218-9876"


@pytest.fixture
def world(app_db, make) -> World:
    with app_db() as session:
        return build_world(session, make)


@pytest.fixture
def caseworker(world, login) -> World:
    login(world.caseworker_email)
    return world


def post_experience(client, data: dict, url: str = NEW):
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def experience_count(app_db) -> int:
    with app_db() as session:
        return session.scalar(select(func.count(Experience.id)))


def test_submitted_experience_is_saved_with_everything_rendered_audited_and_queued(
    client, caseworker, app_db
):
    response = post_experience(client, complete_form(caseworker))
    assert response.status_code == 302
    with app_db() as session:
        experience = session.scalar(select(Experience))
        assert experience.status == ExperienceStatus.SUBMITTED and experience.submitted_at
        assert (
            experience.start_year,
            experience.start_month,
            experience.end_year,
            experience.end_month,
        ) == (2023, 2, 2023, 11)
        assert experience.contract_id == caseworker.new_contract_id
        assert str(experience.daily_price) == "4850.00"
        assert experience.rating_for(Theme.BEMANNING) == 4
        assert (
            experience.worked_html
            == "<p>Kontaktpersonen var <strong>tillgänglig</strong> varje vecka.</p>\n"
        )
        assert (
            session.scalar(
                select(func.count(AuditRecord.id)).where(AuditRecord.entity == "Experience")
            )
            == 1
        )
        assert (
            session.scalar(
                select(SearchOutbox.entity_id).where(SearchOutbox.entity == "experience")
            )
            == experience.id
        )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Kontaktpersonen var <strong>tillgänglig</strong>" in page


def test_draft_can_be_saved_incomplete_and_submitted_later(client, caseworker, app_db):
    draft = {
        "submission_key": "utkast-1",
        "worked_md": "Bara en början.",
        "save_draft": "Spara utkast",
    }
    response = post_experience(client, draft)
    assert response.status_code == 302
    with app_db() as session:
        saved = session.scalar(select(Experience))
        assert saved.status == ExperienceStatus.DRAFT and saved.unit_id is None
        experience_id = saved.id
    edit_url = f"/erfarenheter/{experience_id}/redigera"
    incomplete = post_experience(client, {**draft, "submit_experience": "Skicka in"}, url=edit_url)
    page = incomplete.get_data(as_text=True)
    for message in (
        "Välj verksamhet.",
        "Välj lagrum.",
        "Ange startmånad.",
        "Sätt ett betyg eller ej aktuellt.",
    ):
        assert message in page
    assert post_experience(client, complete_form(caseworker), url=edit_url).status_code == 302
    with app_db() as session:
        assert session.get(Experience, experience_id).status == ExperienceStatus.SUBMITTED
        assert session.scalar(select(func.count(Experience.id))) == 1


def test_personnummer_in_the_narrative_is_refused_next_to_the_field_and_text_is_kept(
    client, caseworker, app_db
):
    text = f"Pojken (pnr {VALID_PNR}) trivdes."
    response = post_experience(client, complete_form(caseworker, worked_md=text))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="worked_md-error"' in page
    assert "Vad fungerade innehåller något som ser ut som ett personnummer" in page
    assert "811218-****" in page
    assert text in page
    assert experience_count(app_db) == 0


def test_email_and_phone_warn_and_save_after_confirmation(client, caseworker, app_db):
    data = complete_form(caseworker, advice_md="Ring föreståndaren på 070-123 45 67.")
    warned = post_experience(client, data)
    assert "Kontrollera texten innan du sparar" in warned.get_data(as_text=True)
    assert experience_count(app_db) == 0
    assert post_experience(client, {**data, "privacy_confirmed": "y"}).status_code == 302
    assert experience_count(app_db) == 1


def test_end_month_before_start_month_is_refused(client, caseworker, app_db):
    response = post_experience(client, complete_form(caseworker, start="2023-05", end="2023-04"))
    page = response.get_data(as_text=True)
    assert "Slutmånaden kan inte vara före startmånaden." in page and 'value="2023-04"' in page
    assert experience_count(app_db) == 0


@pytest.mark.parametrize("value", ["2023-13", "23-05", "maj 2023", "2023/05"])
def test_month_must_be_written_as_year_and_month(client, caseworker, app_db, value):
    response = post_experience(client, complete_form(caseworker, start=value))
    assert "Skriv år och månad som ÅÅÅÅ-MM" in response.get_data(as_text=True)
    assert experience_count(app_db) == 0


def test_ongoing_placement_has_no_end(client, caseworker, app_db):
    with_end = post_experience(client, complete_form(caseworker, end_reason="pagar"))
    assert "En pågående placering har inget slut." in with_end.get_data(as_text=True)
    assert (
        post_experience(client, complete_form(caseworker, end_reason="pagar", end="")).status_code
        == 302
    )
    with app_db() as session:
        experience = session.scalar(select(Experience))
        assert experience.end_reason == EndReason.ONGOING and experience.end_year is None


@pytest.mark.parametrize("rating", ["0", "6", "-1", "fem"])
def test_rating_outside_one_to_five_is_refused(client, caseworker, app_db, rating):
    response = post_experience(client, complete_form(caseworker, rating_lokaler=rating))
    page = response.get_data(as_text=True)
    assert 'id="rating_lokaler-error"' in page
    assert experience_count(app_db) == 0


def test_not_applicable_rating_is_stored_as_none(client, caseworker, app_db):
    assert post_experience(client, complete_form(caseworker, rating_skola="ej")).status_code == 302
    with app_db() as session:
        experience = session.scalar(select(Experience))
        assert experience.rating_for(Theme.SKOLA) is None
        assert {r.theme for r in experience.ratings} == set(Theme)


@pytest.mark.parametrize("unit_id", ["999999", "abc", "-1"])
def test_unknown_unit_is_refused_next_to_the_field(client, caseworker, app_db, unit_id):
    response = post_experience(client, complete_form(caseworker, unit_id=unit_id))
    assert response.status_code == 200
    assert 'id="unit_id-error"' in response.get_data(as_text=True)
    assert experience_count(app_db) == 0


def test_area_the_unit_does_not_serve_is_refused(client, caseworker, app_db):
    response = post_experience(
        client,
        complete_form(
            caseworker,
            agreement_area_id=str(caseworker.other_area_id),
            contract_id="utanfor",
            off_contract_reason="annat",
        ),
    )
    assert "Provgården finns inte inom det avtalsområdet." in response.get_data(as_text=True)
    assert experience_count(app_db) == 0


def test_contract_of_another_unit_or_period_is_refused(client, caseworker, app_db):
    other_unit = post_experience(
        client, complete_form(caseworker, contract_id=str(caseworker.other_unit_contract_id))
    )
    wrong_period = post_experience(
        client, complete_form(caseworker, contract_id=str(caseworker.old_contract_id))
    )
    for response in (other_unit, wrong_period):
        assert "Avtalet gäller inte den valda verksamheten" in response.get_data(as_text=True)
    assert experience_count(app_db) == 0


def test_off_contract_requires_a_reason(client, caseworker, app_db):
    response = post_experience(client, complete_form(caseworker, contract_id="utanfor"))
    assert "Ange varför placeringen gjordes utanför avtal." in response.get_data(as_text=True)
    assert (
        post_experience(
            client, complete_form(caseworker, contract_id="utanfor", off_contract_reason="geografi")
        ).status_code
        == 302
    )
    with app_db() as session:
        experience = session.scalar(select(Experience))
        assert experience.off_contract and experience.contract_id is None


def test_contract_choices_follow_unit_area_and_period(client, caseworker):
    base = (
        f"/erfarenheter/avtal?unit_id={caseworker.unit_id}&agreement_area_id={caseworker.area_id}"
    )
    early = client.get(base + "&start=2020-05&end=2020-09").get_json()
    late = client.get(base + "&start=2023-05").get_json()
    spanning = client.get(base + "&start=2021-06&end=2022-06").get_json()
    values = lambda answer: [c["value"] for c in answer["contracts"]]  # noqa: E731
    assert values(early) == ["", str(caseworker.old_contract_id), "utanfor"]
    assert values(late) == ["", str(caseworker.new_contract_id), "utanfor"]
    assert set(values(spanning)) == {
        "",
        str(caseworker.old_contract_id),
        str(caseworker.new_contract_id),
        "utanfor",
    }
    assert early["areas"] == [caseworker.area_id]
    assert (
        client.get("/erfarenheter/avtal?unit_id=abc&start=x").get_json()["contracts"][0]["value"]
        == ""
    )


def test_preview_renders_markdown_without_saving_and_refreshes_contracts(
    client, caseworker, app_db
):
    data = complete_form(caseworker, worked_md="**Fet** text", contract_id="")
    data.pop("submit_experience")
    response = post_experience(client, {**data, "preview": "Förhandsgranska"})
    page = response.get_data(as_text=True)
    assert "Förhandsvisning" in page and "<strong>Fet</strong> text" in page
    assert f'<option value="{caseworker.new_contract_id}">' in page
    assert experience_count(app_db) == 0


def test_script_tags_and_javascript_links_are_sanitised_away(client, caseworker, app_db):
    hostile = (
        '<script>alert("x")</script> [klicka](javascript:alert(1)) '
        "<img src=x onerror=alert(2)> **kvar**"
    )
    assert post_experience(client, complete_form(caseworker, worked_md=hostile)).status_code == 302
    with app_db() as session:
        html = session.scalar(select(Experience.worked_html))
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html  # shown as the text that was typed, never run
    assert "<strong>kvar</strong>" in html


def test_a_one_megabyte_narrative_gets_a_message_and_the_form_keeps_it(client, caseworker, app_db):
    text = "Lång text. " * 95_000
    response = post_experience(client, complete_form(caseworker, not_worked_md=text))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="not_worked_md-error"' in page and "20000" in page.replace(" ", "").replace(
        "\u00a0", ""
    )
    assert text[:2000] in page
    assert experience_count(app_db) == 0


def test_double_submit_creates_one_experience(client, caseworker, app_db):
    data = complete_form(caseworker, submission_key="samma-nyckel")
    first = post_experience(client, data)
    second = post_experience(client, data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert experience_count(app_db) == 1


def test_only_the_author_edits_and_edits_are_audited(client, caseworker, app_db, login):
    post_experience(client, complete_form(caseworker))
    with app_db() as session:
        experience_id = session.scalar(select(Experience.id))
    url = f"/erfarenheter/{experience_id}/redigera"
    assert (
        post_experience(
            client, complete_form(caseworker, advice_md="Nytt råd."), url=url
        ).status_code
        == 302
    )
    with app_db() as session:
        update = session.scalar(
            select(AuditRecord).where(
                AuditRecord.entity == "Experience", AuditRecord.action == "update"
            )
        )
        assert update.changes["advice_md"] == ["Fråga om kvällsbemanningen.", "Nytt råd."]
    client.post(
        "/logga-ut", data={"csrf_token": csrf_token_from(client.get("/").get_data(as_text=True))}
    )
    login(caseworker.colleague_email)
    assert client.get(url).status_code == 403
    token = csrf_token_from(client.get(NEW).get_data(as_text=True))
    refused = client.post(
        url, data={**complete_form(caseworker, advice_md="Kapat"), "csrf_token": token}
    )
    assert refused.status_code == 403
    with app_db() as session:
        assert session.get(Experience, experience_id).advice_md == "Nytt råd."


def test_edit_of_unknown_experience_is_404(client, caseworker):
    assert client.get("/erfarenheter/999999/redigera").status_code == 404
    assert client.get("/erfarenheter/999999").status_code == 404


def test_my_experiences_come_in_pages_the_most_recent_first(app, client, caseworker):
    app.config["PAGE_SIZE"] = 2
    for number in range(3):
        draft = {"submission_key": f"utkast-{number}", "worked_md": "Halvfärdigt"}
        post_experience(client, {**draft, "save_draft": "Spara utkast"})

    def listed(url: str) -> tuple[list[int], str]:
        page = client.get(url).get_data(as_text=True)
        return [int(i) for i in re.findall(r'href="/erfarenheter/(\d+)"', page)], page

    first, page = listed("/erfarenheter/mina")
    second, _ = listed("/erfarenheter/mina?sida=2")
    assert len(first) == 2 and len(second) == 1
    assert first == sorted(first, reverse=True) and min(first) > second[0]
    assert "Sida 1 av 2" in page and "3 erfarenheter" in page
    assert 'href="/erfarenheter/mina?sida=2"' in page
    assert listed("/erfarenheter/mina?sida=99")[0] == second  # past the end: the last page
    assert listed("/erfarenheter/mina?sida=abc")[0] == first  # not a number: the first page


def test_my_experiences_lists_own_with_the_findings_they_fed(client, caseworker, app_db):
    post_experience(client, complete_form(caseworker))
    post_experience(
        client,
        {"submission_key": "utkast-2", "worked_md": "Halvfärdigt", "save_draft": "Spara utkast"},
    )
    with app_db() as session:
        submitted = session.scalar(
            select(Experience).where(Experience.status == ExperienceStatus.SUBMITTED)
        )
        finding = Finding(
            organisation_id=submitted.organisation_id,
            title="Kvällsbemanningen brister",
            agreement_area_id=caseworker.area_id,
            proposed_change=ProposedChange.MARKET_QUESTION,
            status=FindingStatus.ACCEPTED,
        )
        finding.evidence = [FindingEvidence(experience_id=submitted.id)]
        session.add(finding)
        session.commit()
    page = client.get("/erfarenheter/mina").get_data(as_text=True)
    assert len(re.findall(r'href="/erfarenheter/\d+"', page)) == 2
    assert "Kvällsbemanningen brister – <strong>Accepterad</strong>" in page
    assert "Utkast" in page and "Inskickad" in page
