"""Findings (lärdomar): created from evidence, decided, superseded, seen by the right people.

The world is the follow-up world (tests/followup_world.py): Uppföljningsförbundet with its
members Hemby and Grannby, and Fjärranby outside. Its curator creates the findings; a
procurer and a coordinator of the intermediary, a curator of Hemby and one of Fjärranby are
added, with requirements in both areas and a follow-up of the intermediary's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from kb.auth.models import Role, User
from kb.experiences.models import Experience, ExperienceStatus
from kb.findings.evidence import evidence_summaries
from kb.findings.lifecycle import decide_finding, supersede_finding
from kb.findings.models import (
    Finding,
    FindingEvidence,
    FindingStatus,
    Importance,
    ProposedChange,
)
from kb.findings.queries import visible_findings
from kb.findings.services import FindingInput, FindingInvalid, save_finding
from kb.followups.models import FollowUp, FollowUpKind, FollowUpResult, FollowUpScope
from kb.requirements.models import (
    Requirement,
    RequirementKind,
    RequirementVersion,
)
from kb.suppliers.models import AgreementArea
from kb.tenders.models import TenderRound
from kb.themes import Theme
from tests.conftest import csrf_token_from
from tests.followup_world import FollowUpWorld, build_followup_world

NEW = "/lardomar/ny"
VALID_PNR = "811218-9876"


@dataclass(frozen=True)
class FindingWorld:
    base: FollowUpWorld
    procurer: str
    hemby_curator: str
    outsider_curator: str
    requirement_id: int  # in the HVB area
    other_requirement_id: int  # in the LSS area
    retired_requirement_id: int  # HVB, retired
    intermediary_followup: int  # result anmärkning, on the HVB unit

    def __getattr__(self, name: str):
        return getattr(self.base, name)


def _requirement(code: str, owner: int, area: AgreementArea, title: str, retired: bool):
    requirement = Requirement(
        code=code,
        owner_organisation_id=owner,
        retired_at=datetime(2024, 1, 1) if retired else None,
        agreement_areas=[area],
    )
    requirement.versions = [
        RequirementVersion(
            number=1, title=title, kind=RequirementKind.MANDATORY, text_md=f"{title}."
        )
    ]
    return requirement


def build_finding_world(session, make) -> FindingWorld:
    base = build_followup_world(session, make)
    people = {
        "procurer": (Role.PROCURER, base.intermediary_org, "upphandlare@forbundet.example"),
        "hemby_curator": (Role.CURATOR, base.home_org, "kunskap@hemby.example"),
        "outsider_curator": (Role.CURATOR, base.outsider_org, "kunskap@fjarranby.example"),
    }
    for role, organisation, email in people.values():
        make.user(role, organisation=organisation, email=email)
    requirements = [
        _requirement(code, base.intermediary_org, session.get(AgreementArea, area), title, old)
        for code, area, title, old in (
            ("HVB-1", base.area_id, "Vaken nattpersonal", False),
            ("LSS-1", base.other_area_id, "Habiliteringsplan", False),
            ("HVB-9", base.area_id, "Gammalt krav", True),
        )
    ]
    followup = FollowUp(
        organisation_id=base.intermediary_org,
        title="Oanmält besök på Solgården",
        kind=FollowUpKind.EVENT_DRIVEN,
        scope=FollowUpScope.UNIT,
        unit_id=base.unit_id,
        period_start=date(2025, 3, 1),
        methods=["oanmalt_besok"],
        result=FollowUpResult.REMARKS,
    )
    session.add_all([*requirements, followup])
    session.commit()
    return FindingWorld(
        base=base,
        **{name: email for name, (_role, _org, email) in people.items()},
        requirement_id=requirements[0].id,
        other_requirement_id=requirements[1].id,
        retired_requirement_id=requirements[2].id,
        intermediary_followup=followup.id,
    )


@pytest.fixture
def world(app_db, make) -> FindingWorld:
    with app_db() as session:
        return build_finding_world(session, make)


@pytest.fixture
def curator(world, login) -> FindingWorld:
    login(world.curator)
    return world


def finding_form(world: FindingWorld, **overrides) -> dict:
    """A complete, valid finding form as the browser would post it."""
    data = {
        "title": "Nattbemanningen räcker inte",
        "agreement_area_id": str(world.area_id),
        "theme": "bemanning",
        "supplier_id": str(world.supplier_id),
        "statement_md": "Erfarenheterna beskriver **en person** på natten.",
        "recommendation_md": "Fråga marknaden om nattbemanning.",
        "importance": "hog",
        "proposed_change": "marknadsfraga",
        "target_requirement_id": "",
        "proposed_text_md": "Hur bemannar ni nätterna?",
        "erfarenhet": [str(world.home_experience), str(world.neighbour_experience)],
        "avvikelse": [str(world.home_deviation)],
    }
    data.update(overrides)
    return data


def post(client, data: dict, url: str = NEW, form_url: str | None = None):
    token = csrf_token_from(client.get(form_url or url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def page_of(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def log_out(client) -> None:
    client.post("/logga-ut", data={"csrf_token": csrf_token_from(page_of(client, "/"))})


def checkboxes(page: str, name: str) -> dict[str, bool]:
    """value -> checked, for every checkbox with that name on the page."""
    found = {}
    for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', page):
        value = re.search(r'value="([^"]*)"', tag).group(1)
        found[value] = "checked" in tag
    return found


def finding_count(app_db) -> int:
    with app_db() as session:
        return session.scalar(select(func.count(Finding.id)))


def user_id(app_db, email: str) -> int:
    with app_db() as session:
        return session.scalar(select(User.id).where(User.email == email))


def add_finding(
    app_db,
    world: FindingWorld,
    *,
    experiences: tuple[int, ...] = (),
    followups: tuple[int, ...] = (),
    deviations: tuple[int, ...] = (),
    organisation: int | None = None,
    **fields,
) -> int:
    """Store a finding directly, for reading, listing and lifecycle tests."""
    values = {
        "title": "Lärdom om Solgården",
        "agreement_area_id": world.area_id,
        "proposed_change": ProposedChange.MARKET_QUESTION,
        "proposed_text_md": "Hur arbetar ni med kontinuitet?",
        "statement_md": "Kontinuiteten brister.",
        "statement_html": "<p>Kontinuiteten brister.</p>\n",
        "status": FindingStatus.PROPOSED,
    }
    values.update(fields)
    with app_db() as session:
        finding = Finding(organisation_id=organisation or world.intermediary_org, **values)
        finding.evidence = [
            *(FindingEvidence(experience_id=i) for i in experiences),
            *(FindingEvidence(followup_id=i) for i in followups),
            *(FindingEvidence(deviation_id=i) for i in deviations),
        ]
        session.add(finding)
        session.commit()
        return finding.id


def the_finding(app_db, finding_id: int | None = None) -> dict:
    """The stored finding as plain values."""
    with app_db() as session:
        finding = (
            session.get(Finding, finding_id) if finding_id else session.scalar(select(Finding))
        )
        return {
            "id": finding.id,
            "title": finding.title,
            "status": finding.status,
            "statement_md": finding.statement_md,
            "statement_html": finding.statement_html,
            "recommendation_html": finding.recommendation_html,
            "proposed_change": finding.proposed_change,
            "target": finding.target_requirement_id,
            "text": finding.proposed_text_md,
            "theme": finding.theme,
            "importance": finding.importance,
            "supplier": finding.supplier_id,
            "organisation": finding.organisation_id,
            "author": finding.author_id,
            "published": finding.published_at,
            "reason": finding.rejection_reason,
            "decided_at": finding.decided_at,
            "decided_by": finding.decided_by_id,
            "superseded_by": finding.superseded_by_id,
            "experiences": sorted(e.experience_id for e in finding.evidence if e.experience_id),
            "followups": sorted(e.followup_id for e in finding.evidence if e.followup_id),
            "deviations": sorted(e.deviation_id for e in finding.evidence if e.deviation_id),
        }


# --- Creating from evidence ------------------------------------------------------------------


def test_a_curator_creates_a_finding_from_evidence_chosen_in_the_url(client, curator, app_db):
    url = (
        f"{NEW}?erfarenhet={curator.home_experience}&erfarenhet={curator.neighbour_experience}"
        f"&avvikelse={curator.home_deviation}&uppfoljning={curator.intermediary_followup}"
    )
    page = page_of(client, url)
    assert checkboxes(page, "erfarenhet") == {
        str(curator.home_experience): True,
        str(curator.neighbour_experience): True,
    }
    assert checkboxes(page, "avvikelse") == {str(curator.home_deviation): True}
    assert checkboxes(page, "uppfoljning") == {str(curator.intermediary_followup): True}
    assert "Solgården (Solgårdens Omsorg AB)" in page and "Hemby" in page
    assert "Kontaktpersonen var tillgänglig" not in page  # descriptions, never the narrative
    data = finding_form(curator, erfarenhet=[str(curator.home_experience)])  # one dropped
    response = post(client, data, url)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    stored = the_finding(app_db)
    assert response.headers["Location"].endswith(f"/lardomar/{stored['id']}")
    assert stored["experiences"] == [curator.home_experience]
    assert stored["deviations"] == [curator.home_deviation] and stored["followups"] == []
    assert stored["status"] == FindingStatus.PROPOSED
    assert stored["organisation"] == curator.intermediary_org
    assert stored["author"] == user_id(app_db, curator.curator)
    assert stored["statement_html"] == (
        "<p>Erfarenheterna beskriver <strong>en person</strong> på natten.</p>\n"
    )
    assert (stored["theme"], stored["importance"]) == (Theme.BEMANNING, Importance.HIGH)
    assert stored["supplier"] == curator.supplier_id and stored["published"] is None
    detail = page_of(client, response.headers["Location"])
    assert "Lärdomen är sparad." in detail
    assert "2 underlag · från 1 kommun" in detail
    assert f'href="/erfarenheter/{curator.home_experience}"' in detail
    assert f'href="/avvikelser/{curator.home_deviation}"' in detail
    assert "Hur bemannar ni nätterna?" in detail and "Marknadsfråga" in detail


def test_area_theme_and_supplier_can_be_preselected(client, curator):
    page = page_of(
        client,
        f"{NEW}?omrade={curator.area_id}&tema=lokaler&leverantor={curator.supplier_id}"
        f"&erfarenhet={curator.home_experience}",
    )
    assert f'<option selected value="{curator.area_id}">' in page
    assert '<option selected value="lokaler">' in page
    assert f'<option selected value="{curator.supplier_id}">' in page


def test_the_target_requirement_lists_the_library_by_area_without_retired_ones(client, curator):
    page = page_of(client, f"{NEW}?erfarenhet={curator.home_experience}")
    assert "HVB-1 Vaken nattpersonal" in page and "LSS-1 Habiliteringsplan" in page
    assert "HVB-9" not in page
    assert '<optgroup label="Uppföljningsområde HVB">' in page


def test_a_publish_tick_sets_published_at_and_unticking_clears_it(client, curator, app_db):
    assert post(client, finding_form(curator, publish="y")).status_code == 302
    stored = the_finding(app_db)
    assert stored["published"] is not None
    url = f"/lardomar/{stored['id']}/redigera"
    assert post(client, finding_form(curator), url).status_code == 302
    assert the_finding(app_db)["published"] is None


@pytest.mark.parametrize(
    ("change", "with_target"),
    [
        ("lagg_till_krav", False),
        ("andra_krav", True),
        ("ta_bort_krav", True),
        ("marknadsfraga", False),
        ("uppfoljningsfraga", False),
    ],
)
def test_every_kind_of_change_is_saved(client, curator, app_db, change, with_target):
    data = finding_form(
        curator,
        proposed_change=change,
        target_requirement_id=str(curator.requirement_id),
        proposed_text_md="" if change == "ta_bort_krav" else "Ny text.",
    )
    assert post(client, data).status_code == 302
    stored = the_finding(app_db)
    assert stored["proposed_change"] == ProposedChange(change)
    assert stored["target"] == (curator.requirement_id if with_target else None)


def test_the_new_page_without_evidence_says_where_to_choose_it(client, curator):
    page = page_of(client, NEW)
    assert "Inget underlag är valt" in page and 'href="/sok"' in page
    response = post(client, finding_form(curator, erfarenhet=[], avvikelse=[]))
    assert response.status_code == 200
    assert "Välj minst ett underlag" in response.get_data(as_text=True)


# --- Selecting evidence on the search, unit, supplier and area pages --------------------------


@pytest.fixture
def indexed_world(app, app_db, make) -> FindingWorld:
    app.config["SEARCH_SYNC"] = "sync"
    with app_db() as session:
        return build_finding_world(session, make)


def test_evidence_selected_on_the_search_page_becomes_a_finding(client, indexed_world, login):
    world = indexed_world
    login(world.curator)
    page = page_of(client, "/sok?q=kontaktpersonen")
    assert 'action="/lardomar/ny"' in page and 'method="get"' in page
    assert checkboxes(page, "erfarenhet") == {
        str(world.home_experience): False,
        str(world.neighbour_experience): False,
    }
    assert "Skapa lärdom" in page
    deviations = checkboxes(page_of(client, "/sok?q=nattbemanningen"), "avvikelse")
    assert deviations == {str(world.home_deviation): False}
    # The browser submits the ticked boxes as a GET to the form.
    chosen = f"{NEW}?erfarenhet={world.neighbour_experience}&avvikelse={world.home_deviation}"
    form_page = page_of(client, chosen)
    assert checkboxes(form_page, "erfarenhet") == {str(world.neighbour_experience): True}
    data = finding_form(
        world, erfarenhet=[str(world.neighbour_experience)], avvikelse=[str(world.home_deviation)]
    )
    assert post(client, data, chosen).status_code == 302
    page = page_of(client, "/sok?q=nattbemanningen")
    assert "Nattbemanningen räcker inte" in page  # the finding itself is searchable


def test_other_roles_get_no_evidence_checkboxes_in_search(client, indexed_world, login):
    login(indexed_world.caseworker)
    page = page_of(client, "/sok?q=kontaktpersonen")
    assert "2 träffar" in page and 'name="erfarenhet"' not in page  # own and own draft
    assert 'action="/lardomar/ny"' not in page


def test_evidence_selected_on_a_unit_page_becomes_a_finding(client, curator, app_db):
    page = page_of(client, f"/verksamheter/{curator.unit_id}")
    assert 'action="/lardomar/ny"' in page
    assert checkboxes(page, "erfarenhet") == {
        str(curator.home_experience): False,
        str(curator.neighbour_experience): False,
    }
    assert checkboxes(page, "avvikelse") == {str(curator.home_deviation): False}
    assert checkboxes(page, "uppfoljning") == {str(curator.intermediary_followup): False}
    assert f'name="leverantor" type="hidden" value="{curator.supplier_id}"' in page or (
        f'<input type="hidden" name="leverantor" value="{curator.supplier_id}">' in page
    )
    assert f'<input type="hidden" name="omrade" value="{curator.area_id}">' in page
    chosen = (
        f"{NEW}?leverantor={curator.supplier_id}&omrade={curator.area_id}"
        f"&erfarenhet={curator.home_experience}&uppfoljning={curator.intermediary_followup}"
    )
    form_page = page_of(client, chosen)
    assert f'<option selected value="{curator.supplier_id}">' in form_page
    data = finding_form(
        curator,
        erfarenhet=[str(curator.home_experience)],
        avvikelse=[],
        uppfoljning=[str(curator.intermediary_followup)],
    )
    assert post(client, data, chosen).status_code == 302
    stored = the_finding(app_db)
    assert stored["experiences"] == [curator.home_experience]
    assert stored["followups"] == [curator.intermediary_followup]


def test_the_supplier_and_area_pages_offer_evidence_to_curators_only(client, world, login):
    login(world.curator)
    supplier_page = page_of(client, f"/leverantorer/{world.supplier_id}")
    assert str(world.home_experience) in checkboxes(supplier_page, "erfarenhet")
    area_page = page_of(client, f"/avtalsomraden/{world.area_id}")
    assert checkboxes(area_page, "erfarenhet") == {
        str(world.home_experience): False,
        str(world.neighbour_experience): False,
    }
    assert checkboxes(area_page, "avvikelse") == {str(world.home_deviation): False}
    assert checkboxes(area_page, "uppfoljning") == {str(world.intermediary_followup): False}
    assert f'<input type="hidden" name="omrade" value="{world.area_id}">' in area_page
    log_out(client)
    login(world.coordinator)
    assert 'name="erfarenhet"' not in page_of(client, f"/leverantorer/{world.supplier_id}")
    area_page = page_of(client, f"/avtalsomraden/{world.area_id}")
    assert "Senaste underlag i området" not in area_page


# --- Evidence count and municipalities ---------------------------------------------------------


def test_evidence_is_counted_with_the_distinct_municipalities_behind_it(app_db, world, db):
    both = add_finding(
        app_db,
        world,
        experiences=(world.home_experience, world.neighbour_experience),
        deviations=(world.home_deviation,),
        followups=(world.intermediary_followup,),  # the intermediary is no municipality
    )
    one = add_finding(app_db, world, experiences=(world.home_experience,))
    intermediary_only = add_finding(app_db, world, followups=(world.intermediary_followup,))
    none = add_finding(app_db, world)
    summaries = evidence_summaries([both, one, intermediary_only, none])
    assert (summaries[both].count, summaries[both].municipalities) == (4, 2)
    assert (summaries[one].count, summaries[one].municipalities) == (1, 1)
    assert (summaries[intermediary_only].count, summaries[intermediary_only].municipalities) == (
        1,
        0,
    )
    assert none not in summaries


def test_the_list_shows_counts_and_filters_in_the_url(client, curator, app_db):
    add_finding(
        app_db,
        curator,
        title="Bemanning brister",
        theme=Theme.BEMANNING,
        experiences=(curator.home_experience, curator.neighbour_experience),
    )
    add_finding(
        app_db,
        curator,
        title="Krav på lokaler",
        agreement_area_id=curator.other_area_id,
        proposed_change=ProposedChange.ADD_REQUIREMENT,
        status=FindingStatus.ACCEPTED,
    )
    page = page_of(client, "/lardomar/")
    assert "2 lärdomar" in page and "Skapa lärdom" in page and 'href="/lardomar/ko"' in page
    assert page.index("Krav på lokaler") < page.index("Bemanning brister")  # newest first
    row = re.search(r"Bemanning brister</a></td>(.*?)</tr>", page, re.S).group(1)
    assert re.findall(r"<td>(\d+)</td>", row) == ["2", "2"]
    assert "1 lärdom" in page_of(client, "/lardomar/?status=accepterad")
    assert "Bemanning brister" in page_of(client, f"/lardomar/?omrade={curator.area_id}")
    assert "Krav på lokaler" not in page_of(client, "/lardomar/?tema=bemanning")
    assert "Bemanning brister" not in page_of(client, "/lardomar/?andring=lagg_till_krav")
    assert "2 lärdomar" in page_of(client, "/lardomar/?status=okand&omrade=x&sida=-1")


# --- Lifecycle ---------------------------------------------------------------------------------


def decide(client, finding_id: int, **data):
    url = f"/lardomar/{finding_id}/beslut"
    return post(client, data, url, form_url=f"/lardomar/{finding_id}")


def supersede(client, finding_id: int, replacement):
    url = f"/lardomar/{finding_id}/ersatt"
    return post(client, {"superseded_by_id": str(replacement)}, url, f"/lardomar/{finding_id}")


def test_a_proposed_finding_is_accepted_with_date_and_decider(client, curator, app_db):
    finding_id = add_finding(app_db, curator, experiences=(curator.home_experience,))
    response = decide(client, finding_id, decision="accepterad")
    assert response.status_code == 302
    stored = the_finding(app_db, finding_id)
    assert stored["status"] == FindingStatus.ACCEPTED and stored["reason"] is None
    assert stored["decided_by"] == user_id(app_db, curator.curator)
    page = page_of(client, f"/lardomar/{finding_id}")
    assert "Lärdomen är nu accepterad." in page
    assert f"beslutad {stored['decided_at']:%Y-%m-%d}" in page
    assert f'action="/lardomar/{finding_id}/beslut"' not in page  # decided: no more form
    assert "Det finns ingen annan föreslagen, accepterad eller tillämpad lärdom" in page


def test_a_rejection_keeps_its_reason_visible(client, curator, app_db):
    finding_id = add_finding(app_db, curator, published_at=datetime(2025, 1, 1))
    response = decide(
        client, finding_id, decision="avvisad", rejection_reason="Redan täckt av krav HVB-1."
    )
    assert response.status_code == 302
    stored = the_finding(app_db, finding_id)
    assert stored["status"] == FindingStatus.REJECTED
    assert stored["reason"] == "Redan täckt av krav HVB-1."
    assert "Redan täckt av krav HVB-1." in page_of(client, f"/lardomar/{finding_id}")


def test_rejecting_without_a_reason_is_refused(client, curator, app_db):
    finding_id = add_finding(app_db, curator)
    response = decide(client, finding_id, decision="avvisad", rejection_reason="  ")
    assert response.status_code == 200
    assert "Ange varför lärdomen avvisas." in response.get_data(as_text=True)
    assert the_finding(app_db, finding_id)["status"] == FindingStatus.PROPOSED


def test_a_decided_finding_cannot_be_decided_again(client, curator, app_db):
    finding_id = add_finding(app_db, curator, status=FindingStatus.ACCEPTED)
    response = decide(client, finding_id, decision="avvisad", rejection_reason="Ändrat mig.")
    assert response.status_code == 200
    assert "Lärdomen är redan beslutad (accepterad)" in response.get_data(as_text=True)
    assert the_finding(app_db, finding_id)["status"] == FindingStatus.ACCEPTED


@pytest.mark.parametrize("status", [FindingStatus.PROPOSED, FindingStatus.ACCEPTED])
def test_tillampad_is_never_set_by_the_forms(client, curator, app_db, status):
    finding_id = add_finding(app_db, curator, status=status)
    response = decide(client, finding_id, decision="tillampad")
    assert response.status_code == 200
    assert "En lärdom blir tillämpad när ett fastställt förfrågningsunderlag använder den" in (
        response.get_data(as_text=True)
    )
    assert the_finding(app_db, finding_id)["status"] == status


def test_unknown_or_missing_decisions_are_refused(client, curator, app_db):
    finding_id = add_finding(app_db, curator)
    for data in ({}, {"decision": "ersatt"}, {"decision": "<b>"}):
        response = decide(client, finding_id, **data)
        assert response.status_code == 200
        assert 'class="error-summary"' in response.get_data(as_text=True)
    assert the_finding(app_db, finding_id)["status"] == FindingStatus.PROPOSED


def test_superseding_points_to_the_replacement_both_ways(client, curator, app_db):
    old = add_finding(app_db, curator, title="Gammal lärdom", status=FindingStatus.ACCEPTED)
    new = add_finding(app_db, curator, title="Ny lärdom")
    page = page_of(client, f"/lardomar/{old}")
    assert f'<option value="{new}">{new}: Ny lärdom</option>' in page
    assert supersede(client, old, new).status_code == 302
    stored = the_finding(app_db, old)
    assert (stored["status"], stored["superseded_by"]) == (FindingStatus.SUPERSEDED, new)
    page = page_of(client, f"/lardomar/{old}")
    assert "Ersatt av" in page and f'href="/lardomar/{new}"' in page
    assert f'href="/lardomar/{old}"' in page_of(client, f"/lardomar/{new}")  # "Ersätter"


def test_superseding_with_itself_another_area_or_a_superseded_one_is_refused(
    client, curator, app_db
):
    finding = add_finding(app_db, curator)
    other_area = add_finding(app_db, curator, agreement_area_id=curator.other_area_id)
    replaced = add_finding(app_db, curator, status=FindingStatus.SUPERSEDED)
    rejected = add_finding(app_db, curator, status=FindingStatus.REJECTED, rejection_reason="Nej.")
    cases = {
        finding: "En lärdom kan inte ersätta sig själv.",
        other_area: "måste gälla samma avtalsområde (Uppföljningsområde HVB)",
        replaced: f"Lärdom {replaced} är själv ersatt.",
        rejected: f"Lärdom {rejected} är avvisad",
        999999: "finns inte bland dem som kan ersätta den här",
        "abc": "Välj den lärdom som ersätter den här.",
    }
    for replacement, message in cases.items():
        response = supersede(client, finding, replacement)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True), replacement
    assert the_finding(app_db, finding)["status"] == FindingStatus.PROPOSED


def test_superseding_never_makes_a_cycle(app_db, world, db):
    first = add_finding(app_db, world, status=FindingStatus.ACCEPTED)
    second = add_finding(app_db, world)
    curator = db.session.scalar(select(User).where(User.email == world.curator))
    supersede_finding(curator, db.session.get(Finding, first), second)
    db.session.flush()
    with pytest.raises(FindingInvalid) as refused:
        supersede_finding(curator, db.session.get(Finding, second), first)
    assert "är själv ersatt" in refused.value.errors["superseded_by_id"][0]


@pytest.mark.parametrize(
    "status", [FindingStatus.REJECTED, FindingStatus.APPLIED, FindingStatus.SUPERSEDED]
)
def test_a_closed_finding_is_neither_edited_nor_superseded(client, curator, app_db, status):
    other = add_finding(app_db, curator)
    finding_id = add_finding(app_db, curator, status=status, rejection_reason="Skäl.")
    before = the_finding(app_db, finding_id)
    response = client.get(f"/lardomar/{finding_id}/redigera")
    assert response.status_code == 302
    assert "kan inte längre ändras" in page_of(client, response.headers["Location"])
    response = post(
        client, finding_form(curator), f"/lardomar/{finding_id}/redigera", f"/lardomar/{other}"
    )
    assert response.status_code == 302
    response = supersede(client, finding_id, other)
    assert "Bara föreslagna eller accepterade lärdomar kan ersättas" in (
        response.get_data(as_text=True)
    )
    assert the_finding(app_db, finding_id) == before


def test_an_accepted_finding_can_still_be_edited(client, curator, app_db):
    finding_id = add_finding(
        app_db, curator, status=FindingStatus.ACCEPTED, experiences=(curator.home_experience,)
    )
    url = f"/lardomar/{finding_id}/redigera"
    page = page_of(client, url)
    assert 'value="Lärdom om Solgården"' in page
    assert checkboxes(page, "erfarenhet") == {str(curator.home_experience): True}
    data = finding_form(curator, title="Lärdom om Solgården, reviderad", avvikelse=[])
    assert post(client, data, url).status_code == 302
    stored = the_finding(app_db, finding_id)
    assert stored["title"] == "Lärdom om Solgården, reviderad"
    assert stored["status"] == FindingStatus.ACCEPTED
    assert stored["experiences"] == sorted([curator.home_experience, curator.neighbour_experience])


def test_editing_keeps_evidence_the_editor_cannot_read(client, world, login, app_db):
    """A Hemby curator's finding cites a Grannby experience it cannot read (placed there by
    the intermediary's tooling, say); editing never drops it."""
    finding_id = add_finding(
        app_db,
        world,
        organisation=world.home_org,
        experiences=(world.home_experience, world.neighbour_experience),
    )
    login(world.hemby_curator)
    url = f"/lardomar/{finding_id}/redigera"
    page = page_of(client, url)
    assert checkboxes(page, "erfarenhet") == {str(world.home_experience): True}
    assert "1 underlag som du inte har behörighet att läsa behålls." in page
    data = finding_form(world, erfarenhet=[str(world.home_experience)], avvikelse=[])
    assert post(client, data, url).status_code == 302
    stored = the_finding(app_db, finding_id)
    assert stored["experiences"] == sorted([world.home_experience, world.neighbour_experience])


def test_the_detail_shows_versions_it_produced_and_the_round_it_was_applied_in(
    app, client, curator, app_db
):
    with app_db() as session:
        tender_round = session.get(TenderRound, curator.round_id)
        reference = tender_round.reference
    finding_id = add_finding(
        app_db,
        curator,
        status=FindingStatus.APPLIED,
        applied_in_round_id=curator.round_id,
        applied_at=datetime(2025, 6, 1),
        proposed_change=ProposedChange.CHANGE_REQUIREMENT,
        target_requirement_id=curator.requirement_id,
    )
    with app_db() as session:
        version = RequirementVersion(
            requirement_id=curator.requirement_id,
            number=2,
            title="Två vakna nattpersonal",
            kind=RequirementKind.MANDATORY,
        )
        session.add(version)
        version.origin_findings = [session.get(Finding, finding_id)]
        session.commit()
    page = page_of(client, f"/lardomar/{finding_id}")
    assert "Kravversioner som lärdomen ledde till" in page
    assert "HVB-1</a> version 2: Två vakna nattpersonal" in page or (
        "HVB-1 version 2: Två vakna nattpersonal" in page
    )
    if "requirements.detail" in app.view_functions:
        assert f'href="/krav/{curator.requirement_id}"' in page
    assert "Tillämpad i" in page and reference in page
    assert f'href="/upphandlingar/{curator.round_id}"' in page
    assert f'action="/lardomar/{finding_id}/beslut"' not in page


# --- Who may see and do what --------------------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["caseworker", "coordinator", "procurer", "intermediary_coordinator"]
)
def test_only_curators_create_and_decide(client, world, login, app_db, who):
    finding_id = add_finding(app_db, world, published_at=datetime(2025, 1, 1))
    login(getattr(world, who))
    assert client.get(NEW).status_code == 403
    assert client.get("/lardomar/ko").status_code == 403
    token = csrf_token_from(page_of(client, f"/lardomar/{finding_id}"))
    for url, data in (
        (NEW, finding_form(world)),
        (f"/lardomar/{finding_id}/beslut", {"decision": "accepterad"}),
        (f"/lardomar/{finding_id}/ersatt", {"superseded_by_id": str(finding_id)}),
        (f"/lardomar/{finding_id}/redigera", finding_form(world)),
    ):
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 403, url
    assert finding_count(app_db) == 1
    assert the_finding(app_db, finding_id)["status"] == FindingStatus.PROPOSED


def test_a_curator_of_another_organisation_may_read_but_not_decide(client, world, login, app_db):
    finding_id = add_finding(app_db, world, published_at=datetime(2025, 1, 1))
    login(world.hemby_curator)
    page = page_of(client, f"/lardomar/{finding_id}")
    assert "/beslut" not in page and "/redigera" not in page
    assert decide(client, finding_id, decision="accepterad").status_code == 403
    assert client.get(f"/lardomar/{finding_id}/redigera").status_code == 403
    assert the_finding(app_db, finding_id)["status"] == FindingStatus.PROPOSED


@pytest.mark.parametrize(
    ("who", "sees_unpublished", "sees_published"),
    [
        ("curator", True, True),  # the owning organisation
        ("procurer", True, True),
        ("intermediary_coordinator", True, True),
        ("coordinator", False, True),  # a member municipality (Hemby), not an author
        ("neighbour_caseworker", True, True),  # author of evidence behind both
        ("outsider_caseworker", False, False),  # outside the network
        ("outsider_curator", False, False),
    ],
)
def test_who_sees_a_finding(client, world, login, app_db, who, sees_unpublished, sees_published):
    unpublished = add_finding(
        app_db, world, title="Opublicerad lärdom", experiences=(world.neighbour_experience,)
    )
    published = add_finding(
        app_db,
        world,
        title="Publicerad lärdom",
        published_at=datetime(2025, 1, 1),
        experiences=(world.neighbour_experience,),
    )
    login(getattr(world, who))
    for finding_id, title, expected in (
        (unpublished, "Opublicerad lärdom", sees_unpublished),
        (published, "Publicerad lärdom", sees_published),
    ):
        status = client.get(f"/lardomar/{finding_id}").status_code
        assert status == (200 if expected else 404), (title, status)
        assert (title in page_of(client, "/lardomar/")) is expected


def test_the_author_of_evidence_sees_the_finding_and_its_status_only(client, world, login, app_db):
    finding_id = add_finding(app_db, world, experiences=(world.home_experience,))
    login(world.caseworker)
    page = page_of(client, f"/lardomar/{finding_id}")
    assert "Föreslagen" in page and "/beslut" not in page
    mine = page_of(client, "/erfarenheter/mina")
    assert f'href="/lardomar/{finding_id}"' in mine


def test_a_neighbour_sees_only_the_evidence_it_may_read(client, world, login, app_db):
    finding_id = add_finding(
        app_db,
        world,
        published_at=datetime(2025, 1, 1),
        experiences=(world.home_experience, world.neighbour_experience),
        deviations=(world.home_deviation,),
    )
    login(world.neighbour_caseworker)
    page = page_of(client, f"/lardomar/{finding_id}")
    assert f'href="/erfarenheter/{world.neighbour_experience}"' in page
    assert f'href="/erfarenheter/{world.home_experience}"' not in page
    assert f'href="/avvikelser/{world.home_deviation}"' in page  # the network reads deviations
    assert "1 underlag som du inte har behörighet att läsa" in page
    assert "3 underlag · från 2 kommuner" in page


def test_visible_findings_is_one_condition_for_every_use(app_db, world, db):
    mine = add_finding(app_db, world, experiences=(world.home_experience,))
    add_finding(app_db, world, organisation=world.outsider_org)
    caseworker = db.session.scalar(select(User).where(User.email == world.caseworker))
    visible = db.session.scalars(select(Finding.id).where(visible_findings(caseworker))).all()
    assert visible == [mine]


def test_an_id_that_cannot_exist_is_not_found(client, curator):
    assert client.get("/lardomar/99999999999").status_code == 404
    assert client.get("/lardomar/4242").status_code == 404


def test_my_experiences_link_the_findings_and_say_where_they_were_applied(
    client, world, login, app_db
):
    applied = add_finding(
        app_db,
        world,
        title="Tillämpad lärdom",
        status=FindingStatus.APPLIED,
        applied_in_round_id=world.round_id,
        experiences=(world.home_experience,),
    )
    login(world.caseworker)
    page = page_of(client, "/erfarenheter/mina")
    assert f'href="/lardomar/{applied}"' in page
    assert "Tillämpad i UPF 2022/1" in page


def test_search_shows_a_finding_to_those_who_may_see_it(client, indexed_world, login, app_db):
    world = indexed_world
    add_finding(
        app_db,
        world,
        title="Kvällsrutiner saknas",
        statement_md="Kvällsrutinerna saknas helt.",
        experiences=(world.home_experience,),
    )
    for who, found in (
        ("caseworker", True),  # author of the evidence
        ("neighbour_caseworker", False),  # unpublished
        ("procurer", True),  # owning organisation
    ):
        login(getattr(world, who))
        page = page_of(client, "/sok?q=kvällsrutinerna")
        assert ("1 träff" in page) is found, who
        log_out(client)


# --- Bad input ---------------------------------------------------------------------------------


BAD_INPUT = [
    ({"title": ""}, "Ge lärdomen en rubrik."),
    ({"title": "x" * 301}, "Rubriken får vara högst 300 tecken."),
    ({"statement_md": "x" * 20_001}, "Texten får vara högst 20000 tecken."),
    ({"proposed_text_md": "x" * 20_001}, "Texten får vara högst 20000 tecken."),
    ({"agreement_area_id": ""}, "Välj avtalsområde."),
    ({"agreement_area_id": "999999"}, "Avtalsområdet finns inte."),
    ({"supplier_id": "999999"}, "Leverantören finns inte."),
    ({"theme": "okant"}, "Välj ett tema i listan."),
    ({"importance": "enorm"}, "Välj hur viktig lärdomen är."),
    ({"proposed_change": ""}, "Välj vilken ändring lärdomen föreslår."),
    ({"proposed_change": "andra_krav"}, "Välj vilket krav som ska ändras."),
    ({"proposed_change": "ta_bort_krav"}, "Välj vilket krav som ska tas bort."),
    ({"proposed_change": "lagg_till_krav", "proposed_text_md": " "}, "Skriv texten till det nya"),
    ({"proposed_change": "marknadsfraga", "proposed_text_md": ""}, "Skriv marknadsfrågan."),
    ({"proposed_change": "uppfoljningsfraga", "proposed_text_md": ""}, "Skriv uppföljningsfrågan."),
    ({"erfarenhet": ["abc"]}, "Ogiltigt underlagsnummer: abc."),
    ({"avvikelse": ["12x"]}, "Ogiltigt underlagsnummer: 12x."),
]


@pytest.mark.parametrize(("changes", "message"), BAD_INPUT)
def test_bad_input_is_refused_with_a_swedish_message_and_nothing_is_saved(
    client, curator, app_db, changes, message
):
    response = post(client, finding_form(curator, **changes))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert "Formuläret innehåller fel" in page
    assert finding_count(app_db) == 0


@pytest.mark.parametrize("changes", [{"erfarenhet": ["999999"]}, {"uppfoljning": ["999999"]}])
def test_evidence_that_was_never_offered_is_not_found(client, curator, app_db, changes):
    assert post(client, finding_form(curator, **changes)).status_code == 404
    assert finding_count(app_db) == 0


def test_typed_text_stays_in_the_form_after_an_error(client, curator):
    response = post(client, finding_form(curator, title="", statement_md="Min text om natten."))
    assert "Min text om natten." in response.get_data(as_text=True)


def test_a_change_target_outside_the_area_or_retired_is_refused(client, curator, app_db):
    for target, message in (
        (curator.other_requirement_id, "Krav LSS-1 hör inte till avtalsområdet"),
        (curator.retired_requirement_id, "finns inte i kravbiblioteket eller är avvecklat"),
        (999999, "finns inte i kravbiblioteket eller är avvecklat"),
    ):
        data = finding_form(
            curator, proposed_change="andra_krav", target_requirement_id=str(target)
        )
        response = post(client, data)
        assert message in response.get_data(as_text=True)
    assert finding_count(app_db) == 0


def test_evidence_the_curator_may_not_read_is_named_and_nothing_saved(client, world, login, app_db):
    login(world.curator)
    data = finding_form(
        world,
        erfarenhet=[str(world.home_experience), str(world.home_draft)],
        avvikelse=[str(world.outsider_deviation)],
    )
    assert post(client, data).status_code == 404  # never offered: the post is tampered with
    assert finding_count(app_db) == 0
    # The same ids in the URL: not offered, and said so.
    url = f"{NEW}?erfarenhet={world.home_draft}&avvikelse={world.outsider_deviation}&erfarenhet=x"
    page = page_of(client, url)
    assert checkboxes(page, "erfarenhet") == {} and checkboxes(page, "avvikelse") == {}
    assert f"Erfarenhet {world.home_draft} finns inte bland dem du får läsa." in page
    assert "Ogiltigt underlagsnummer: x." in page


def test_a_hemby_curator_may_not_cite_a_neighbours_experience(client, world, login, app_db):
    login(world.hemby_curator)
    data = finding_form(world, erfarenhet=[str(world.neighbour_experience)], avvikelse=[])
    assert post(client, data).status_code == 404
    assert finding_count(app_db) == 0


@pytest.mark.parametrize(
    "field", ["title", "statement_md", "recommendation_md", "proposed_text_md"]
)
def test_a_personnummer_in_any_text_is_refused_with_where_it_is(client, curator, app_db, field):
    response = post(client, finding_form(curator, **{field: f"Gäller {VALID_PNR} enbart."}))
    page = response.get_data(as_text=True)
    assert "ser ut som ett personnummer" in page and "rad 1, tecken 8" in page
    assert finding_count(app_db) == 0


def test_a_personnummer_in_a_rejection_reason_is_refused(client, curator, app_db):
    finding_id = add_finding(app_db, curator)
    response = decide(client, finding_id, decision="avvisad", rejection_reason=VALID_PNR)
    assert "ser ut som ett personnummer" in response.get_data(as_text=True)
    assert the_finding(app_db, finding_id)["status"] == FindingStatus.PROPOSED


def test_email_and_phone_warn_and_save_after_confirmation(client, curator, app_db):
    data = finding_form(curator, recommendation_md="Ring 070-123 45 67 eller a@b.se.")
    page = post(client, data).get_data(as_text=True)
    assert "Kontrollera texten innan du sparar" in page and "telefonnummer" in page
    assert finding_count(app_db) == 0
    assert post(client, {**data, "privacy_confirmed": "y"}).status_code == 302
    assert finding_count(app_db) == 1


def test_a_rejection_reason_with_an_email_needs_confirmation(client, curator, app_db):
    finding_id = add_finding(app_db, curator)
    reason = "Se svar från a@b.se."
    page = decide(client, finding_id, decision="avvisad", rejection_reason=reason)
    assert "Kontrollera texten innan du sparar" in page.get_data(as_text=True)
    assert the_finding(app_db, finding_id)["status"] == FindingStatus.PROPOSED
    response = decide(
        client, finding_id, decision="avvisad", rejection_reason=reason, privacy_confirmed="y"
    )
    assert response.status_code == 302
    assert the_finding(app_db, finding_id)["reason"] == reason


def test_bad_input_on_edit_leaves_the_stored_finding_as_it_was(client, curator, app_db):
    finding_id = add_finding(app_db, curator, experiences=(curator.home_experience,))
    before = the_finding(app_db, finding_id)
    url = f"/lardomar/{finding_id}/redigera"
    for changes in (
        {"title": ""},
        {"proposed_change": "ta_bort_krav"},
        {"statement_md": VALID_PNR},
    ):
        response = post(client, finding_form(curator, **changes), url)
        assert response.status_code == 200, changes
    tampered = finding_form(curator, erfarenhet=[str(curator.home_draft)])
    assert post(client, tampered, url).status_code == 404
    assert the_finding(app_db, finding_id) == before


def test_a_missing_csrf_token_saves_nothing(client, curator, app_db):
    client.get(NEW)
    response = client.post(NEW, data=finding_form(curator))
    assert response.status_code in (200, 400)
    assert finding_count(app_db) == 0


# --- Services directly ---------------------------------------------------------------------------


def _input(world: FindingWorld, **changes) -> FindingInput:
    values = {
        "title": "Direkt via tjänsten",
        "agreement_area_id": world.area_id,
        "statement_md": "Underlaget visar brister.",
        "importance": "medel",
        "proposed_change": "lagg_till_krav",
        "proposed_text_md": "Leverantören ska ha vaken nattpersonal.",
        "evidence": {"experience": [world.home_experience]},
    }
    values.update(changes)
    return FindingInput(**values)


def test_the_service_flushes_without_committing(app_db, world, db):
    curator = db.session.scalar(select(User).where(User.email == world.curator))
    finding = save_finding(curator, _input(world), privacy_confirmed=False)
    assert finding.id is not None and finding.status == FindingStatus.PROPOSED
    assert [e.experience_id for e in finding.evidence] == [world.home_experience]
    db.session.rollback()
    assert finding_count(app_db) == 0


def test_the_service_refuses_non_curators_and_closed_findings(app_db, world, db):
    coordinator = db.session.scalar(select(User).where(User.email == world.coordinator))
    with pytest.raises(FindingInvalid):
        save_finding(coordinator, _input(world), privacy_confirmed=False)
    curator = db.session.scalar(select(User).where(User.email == world.curator))
    rejected = add_finding(app_db, world, status=FindingStatus.REJECTED, rejection_reason="Nej.")
    with pytest.raises(FindingInvalid) as refused:
        save_finding(
            curator,
            _input(world),
            privacy_confirmed=False,
            finding=db.session.get(Finding, rejected),
        )
    assert "kan inte längre ändras" in refused.value.errors["evidence"][0]


def test_decide_sets_status_date_and_decider_and_refuses_a_second_decision(app_db, world, db):
    curator = db.session.scalar(select(User).where(User.email == world.curator))
    finding = db.session.get(Finding, add_finding(app_db, world))
    decide_finding(curator, finding, "avvisad", "Täcks redan.", now=datetime(2025, 5, 2, 10))
    assert finding.status == FindingStatus.REJECTED and finding.rejection_reason == "Täcks redan."
    assert (finding.decided_at, finding.decided_by_id) == (datetime(2025, 5, 2, 10), curator.id)
    with pytest.raises(FindingInvalid) as refused:
        decide_finding(curator, finding, "accepterad")
    assert "redan beslutad" in refused.value.errors["decision"][0]


def test_experience_drafts_are_never_evidence(app_db, world, db):
    with app_db() as session:
        draft = session.get(Experience, world.home_draft)
        assert draft.status == ExperienceStatus.DRAFT
    curator = db.session.scalar(select(User).where(User.email == world.curator))
    with pytest.raises(FindingInvalid) as refused:
        save_finding(
            curator,
            _input(world, evidence={"experience": [world.home_draft]}),
            privacy_confirmed=False,
        )
    assert str(world.home_draft) in refused.value.errors["erfarenhet"][0]
