"""The requirement library: versions, freezing, provenance, search and filters, access, bad input.

Services are tested directly, pages through the client. Every test runs on SQLite and, with
KB_TEST_DATABASE_URL, on PostgreSQL; the search tests also run the PostgreSQL search backend.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kb.audit.models import AuditRecord
from kb.auth.models import Role, User
from kb.findings.models import Finding, FindingStatus, ProposedChange
from kb.organisations.models import OrganisationKind
from kb.requirements.models import (
    Requirement,
    RequirementKind,
    RequirementLevel,
    RequirementVersion,
)
from kb.requirements.queries import rounds_using
from kb.requirements.services import (
    NewRequirement,
    NothingChanged,
    RequirementInvalid,
    StaleVersion,
    VersionFields,
    add_version,
    create_requirement,
    edit_requirement,
    freeze,
    retire,
)
from kb.search.models import SearchOutbox
from kb.tender_drafts.models import (
    DraftSection,
    DraftStatus,
    Provenance,
    TenderDraft,
    TenderDraftItem,
)
from kb.tenders.models import ProcurementForm, TenderRound
from tests.conftest import csrf_token_from

VALID_PNR = "811218-9876"
NEW = "/krav/ny"


@dataclass(frozen=True)
class Library:
    curator: str
    caseworker: str
    intermediary: int
    hvb: int
    lss: int
    emails: dict[Role, str]


@pytest.fixture
def library(make) -> Library:
    intermediary = make.organisation("Kravförbundet", kind=OrganisationKind.INTERMEDIARY)
    member = make.organisation("Kravby", member_of=intermediary)
    emails = {
        role: make.email_of(make.user(role, organisation=member))
        for role in (Role.CASEWORKER, Role.COORDINATOR, Role.PROCURER, Role.ADMIN)
    }
    curator = make.email_of(make.user(Role.CURATOR, organisation=intermediary))
    return Library(
        curator=curator,
        caseworker=emails[Role.CASEWORKER],
        intermediary=intermediary,
        hvb=make.agreement_area("HVB-hem, Behandling, för barn och unga upp till 20 år"),
        lss=make.agreement_area("Enstaka platser i bostad med särskild service, LSS"),
        emails=emails,
    )


def fields(**changes) -> VersionFields:
    values = {
        "title": "Bemanning kvällstid",
        "text_md": "Leverantören ska ha **två** personal i tjänst kvällstid.",
        "kind": RequirementKind.MANDATORY.value,
        "level": RequirementLevel.BASIC.value,
        "rationale": "Incidenter sker oftast kvällstid.",
        "verification": "Bemanningsschema bifogas anbudet.",
        "followup_method": "Stickprov på schema vid oanmält besök.",
    }
    return VersionFields(**{**values, **changes})


def user_named(session, email: str) -> User:
    return session.scalar(select(User).where(User.email == email))


def add_requirement(app_db, library: Library, code: str, areas=None, **changes) -> int:
    """Store a requirement through the service, as the curator."""
    with app_db() as session:
        data = NewRequirement(code=code, area_ids=areas or [library.hvb], fields=fields(**changes))
        requirement = create_requirement(user_named(session, library.curator), data)
        session.commit()
        return requirement.id


def versions_of(app_db, requirement_id: int) -> list[tuple]:
    with app_db() as session:
        rows = session.scalars(
            select(RequirementVersion)
            .where(RequirementVersion.requirement_id == requirement_id)
            .order_by(RequirementVersion.number)
        )
        return [(v.number, v.title, v.text_md, v.weight, v.frozen_at) for v in rows]


def form_data(library: Library, **changes) -> dict:
    data = {
        "code": "HVB-01",
        "title": "Bemanning kvällstid",
        "text_md": "Leverantören ska ha **två** personal i tjänst kvällstid.",
        "kind": "skall_krav",
        "level": "bas",
        "weight": "",
        "rationale": "Incidenter sker oftast kvällstid.",
        "verification": "Bemanningsschema bifogas anbudet.",
        "followup_method": "Stickprov på schema vid oanmält besök.",
        "area_ids": [str(library.hvb)],
    }
    data.update(changes)
    return data


def edit_data(library: Library, based_on: int, **changes) -> dict:
    data = form_data(library, based_on=str(based_on), **changes)
    del data["code"]
    return data


def post(client, url: str, data: dict, form_url: str | None = None):
    token = csrf_token_from(client.get(form_url or url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def page_of(client, url: str, **params) -> str:
    response = client.get(url, query_string=params)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def listed(client, **params) -> set[int]:
    """The ids of the requirements the library page lists."""
    return {int(i) for i in re.findall(r'href="/krav/(\d+)"', page_of(client, "/krav/", **params))}


# --- Services -------------------------------------------------------------------------------


def test_creating_stores_version_one_rendered_audited_and_queued_for_search(app_db, library):
    requirement_id = add_requirement(app_db, library, "hvb-01", areas=[library.hvb, library.lss])
    with app_db() as session:
        requirement = session.get(Requirement, requirement_id)
        assert requirement.code == "HVB-01"
        assert requirement.owner_organisation_id == library.intermediary
        assert {a.id for a in requirement.agreement_areas} == {library.hvb, library.lss}
        (version,) = requirement.versions
        assert version.number == 1 and version.created_by.email == library.curator
        assert version.text_html == (
            "<p>Leverantören ska ha <strong>två</strong> personal i tjänst kvällstid.</p>\n"
        )
        audited = set(
            session.scalars(select(AuditRecord.entity).where(AuditRecord.action == "create"))
        )
        assert {"Requirement", "RequirementVersion"} <= audited
        queued = session.scalars(
            select(SearchOutbox.entity_id).where(SearchOutbox.entity == "requirement")
        ).all()
        assert requirement_id in queued


def test_an_edit_is_a_new_version_and_the_earlier_one_is_unchanged(db, app_db, library):
    requirement_id = add_requirement(app_db, library, "HVB-01")
    before = versions_of(app_db, requirement_id)
    requirement = db.session.get(Requirement, requirement_id)
    curator = user_named(db.session, library.curator)
    edited = fields(text_md="Leverantören ska ha **tre** personal i tjänst kvällstid.")
    version = edit_requirement(curator, requirement, 1, edited, [library.hvb])
    db.session.commit()
    assert version.number == 2
    after = versions_of(app_db, requirement_id)
    assert after[0] == before[0]
    assert after[1][2] == "Leverantören ska ha **tre** personal i tjänst kvällstid."


def test_a_frozen_version_stays_untouched_and_the_edit_becomes_the_next_version(
    db, app_db, library
):
    requirement_id = add_requirement(app_db, library, "HVB-01")
    requirement = db.session.get(Requirement, requirement_id)
    freeze(requirement.versions)
    db.session.commit()
    frozen = versions_of(app_db, requirement_id)[0]
    assert frozen[4] is not None
    curator = user_named(db.session, library.curator)
    version = edit_requirement(curator, requirement, 1, fields(title="Ny rubrik"), [library.hvb])
    db.session.commit()
    assert (version.number, version.frozen_at) == (2, None)
    assert versions_of(app_db, requirement_id)[0] == frozen


def test_a_stale_based_on_saves_nothing_and_names_the_current_version(db, app_db, library):
    requirement_id = add_requirement(app_db, library, "HVB-01")
    requirement = db.session.get(Requirement, requirement_id)
    curator = user_named(db.session, library.curator)
    add_version(curator, requirement, fields(title="Någon annans ändring"))
    db.session.commit()
    with pytest.raises(StaleVersion) as raised:
        edit_requirement(curator, requirement, 1, fields(title="Min ändring"), [library.hvb])
    db.session.rollback()
    assert raised.value.current_number == 2
    assert "version 2" in raised.value.errors["based_on"][0]
    assert [v[1] for v in versions_of(app_db, requirement_id)] == [
        "Bemanning kvällstid",
        "Någon annans ändring",
    ]


def test_no_change_makes_no_version_and_an_area_change_alone_makes_none_either(db, app_db, library):
    requirement_id = add_requirement(app_db, library, "HVB-01")
    requirement = db.session.get(Requirement, requirement_id)
    curator = user_named(db.session, library.curator)
    with pytest.raises(NothingChanged):
        edit_requirement(
            curator, requirement, 1, fields(title=" Bemanning kvällstid "), [library.hvb]
        )
    db.session.rollback()
    assert edit_requirement(curator, requirement, 1, fields(), [library.lss]) is None
    db.session.commit()
    with app_db() as session:
        requirement = session.get(Requirement, requirement_id)
        assert [a.id for a in requirement.agreement_areas] == [library.lss]
        assert len(requirement.versions) == 1


def test_the_service_refuses_bad_content_with_messages_per_field(db, app_db, library):
    add_requirement(app_db, library, "HVB-01")
    curator = user_named(db.session, library.curator)
    bad = fields(
        title="",
        kind="hemlig",
        level="extrem",
        weight=Decimal("20"),
        rationale=f"Barnet med personnummer {VALID_PNR} flyttade.",
    )
    with pytest.raises(RequirementInvalid) as raised:
        create_requirement(curator, NewRequirement(code="HVB-01", area_ids=[], fields=bad))
    errors = raised.value.errors
    assert set(errors) == {"title", "kind", "level", "weight", "rationale", "code", "area_ids"}
    assert "Motiv innehåller något som ser ut som ett personnummer" in errors["rationale"][0]
    assert "HVB-01 används redan" in errors["code"][0]


def test_rounds_using_lists_only_finalised_drafts_that_keep_the_version(db, app_db, library):
    requirement_id = add_requirement(app_db, library, "HVB-01")
    requirement = db.session.get(Requirement, requirement_id)
    curator = user_named(db.session, library.curator)
    first = requirement.versions[0]
    second = add_version(curator, requirement, fields(title="Andra versionen"))
    final = tender_round(db.session, library, "DNR-1", DraftStatus.FINAL, [first, second])
    tender_round(db.session, library, "DNR-2", DraftStatus.DRAFT, [first])
    tender_round(db.session, library, "DNR-3", DraftStatus.FINAL, [second], excluded=True)
    db.session.commit()
    used = rounds_using([first.id, second.id])
    assert {k: [r.reference for r in v] for k, v in used.items()} == {
        first.id: ["DNR-1"],
        second.id: ["DNR-1"],
    }
    assert used[first.id][0].id == final.id
    assert rounds_using([]) == {}


def test_retire_sets_the_date_once(db, app_db, library):
    requirement = db.session.get(Requirement, add_requirement(app_db, library, "HVB-01"))
    retire(requirement)
    first = requirement.retired_at
    retire(requirement)
    assert first is not None and requirement.retired_at == first


def tender_round(session, library, reference, status, versions, excluded=False) -> TenderRound:
    """A tender round whose draft (with the given status) has an item per version."""
    found = TenderRound(
        reference=reference,
        title=f"Upphandling {reference}",
        agreement_area_id=library.hvb,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation_id=library.intermediary,
    )
    draft = TenderDraft(tender_round=found, title=f"Underlag {reference}", status=status)
    for position, version in enumerate(versions):
        draft.items.append(
            TenderDraftItem(
                section=DraftSection.SERVICE,
                position=position,
                requirement_version=version,
                provenance=Provenance.CARRIED_OVER,
                excluded_reason="Behövs inte längre." if excluded else None,
            )
        )
    session.add(draft)
    session.flush()
    return found


# --- Creating and editing through the pages ------------------------------------------------


def test_a_curator_creates_a_requirement_with_a_suggested_code(client, login, app_db, library):
    add_requirement(app_db, library, "HVB-07")
    login(library.curator)
    assert 'value="HVB-08"' in page_of(client, NEW, omrade=library.hvb)
    assert 'value="KRAV-01"' in page_of(client, NEW)
    assert 'value="KRAV-01"' in page_of(client, NEW, omrade="99999999999999999999")
    data = form_data(library, code="HVB-08", kind="utvarderingskriterium", weight="12,5")
    response = post(client, NEW, data)
    assert response.status_code == 302
    with app_db() as session:
        requirement = session.scalar(select(Requirement).where(Requirement.code == "HVB-08"))
        assert requirement.current_version.weight == Decimal("12.5")
        curator = user_named(session, library.curator)
        actors = session.scalars(
            select(AuditRecord.actor_id).where(
                AuditRecord.entity.in_(["Requirement", "RequirementVersion"]),
                AuditRecord.entity_id.in_(
                    [str(requirement.id), str(requirement.current_version.id)]
                ),
            )
        ).all()
        assert actors == [curator.id, curator.id]
        requirement_id = requirement.id
    assert response.headers["Location"].endswith(f"/krav/{requirement_id}")
    page = page_of(client, response.headers["Location"])
    assert "Kravet HVB-08 är sparat." in page
    assert "Leverantören ska ha <strong>två</strong> personal" in page
    assert "12,5&nbsp;%" in page and "Utvärderingskriterium" in page
    assert "Incidenter sker oftast kvällstid." in page  # motiv
    assert "Bemanningsschema bifogas anbudet." in page  # verifikat
    assert "Stickprov på schema vid oanmält besök." in page  # uppföljningsmetod
    assert "HVB-hem, Behandling, för barn och unga upp till 20 år" in page


def test_editing_makes_version_two_and_version_one_reads_as_it_was(client, login, app_db, library):
    requirement_id = add_requirement(app_db, library, "HVB-01")
    login(library.curator)
    url = f"/krav/{requirement_id}/redigera"
    form = page_of(client, url)
    assert 'name="based_on" type="hidden" value="1"' in form
    new_text = "Leverantören ska ha **tre** personal i tjänst <script>kvällstid</script>."
    response = post(client, url, edit_data(library, 1, text_md=new_text))
    assert response.status_code == 302
    assert "Ändringen är sparad som version 2." in page_of(client, response.headers["Location"])
    versions = versions_of(app_db, requirement_id)
    assert [v[2] for v in versions] == [
        "Leverantören ska ha **två** personal i tjänst kvällstid.",
        new_text,
    ]
    old = page_of(client, f"/krav/{requirement_id}/version/1")
    assert "Leverantören ska ha <strong>två</strong> personal" in old
    assert "tre" not in old and "Det här är den första versionen." in old
    diff = page_of(client, f"/krav/{requirement_id}/version/2")
    assert "Ändringar mot version 1" in diff
    assert re.search(r"<del>.*två.*</del>", diff) and re.search(r"<ins>.*tre.*</ins>", diff)
    assert "<script>" not in diff and "&lt;script&gt;" in diff


def test_editing_a_frozen_version_says_so_and_saves_the_next_version(
    client, login, app_db, library
):
    requirement_id = add_requirement(app_db, library, "HVB-01")
    with app_db() as session:
        freeze(session.get(Requirement, requirement_id).versions)
        session.commit()
    frozen = versions_of(app_db, requirement_id)[0]
    login(library.curator)
    url = f"/krav/{requirement_id}/redigera"
    assert (
        "Version 1 är fastställd i ett förfrågningsunderlag; ändringen sparas som version 2."
        in page_of(client, url)
    )
    assert post(client, url, edit_data(library, 1, title="Skärpt krav")).status_code == 302
    versions = versions_of(app_db, requirement_id)
    assert versions[0] == frozen and versions[1][:2] == (2, "Skärpt krav")
    detail = page_of(client, f"/krav/{requirement_id}")
    assert "Fastställd" in detail and "Inte fastställd" in detail


def test_a_stale_form_keeps_what_was_typed_and_saves_nothing(client, login, app_db, library):
    requirement_id = add_requirement(app_db, library, "HVB-01")
    login(library.curator)
    url = f"/krav/{requirement_id}/redigera"
    token = csrf_token_from(page_of(client, url))  # opened at version 1
    with app_db() as session:
        requirement = session.get(Requirement, requirement_id)
        add_version(user_named(session, library.curator), requirement, fields(title="Kollegans"))
        session.commit()
    typed = edit_data(library, 1, title="Min egen rubrik", text_md="Min egen kravtext.")
    response = client.post(url, data={**typed, "csrf_token": token})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Kravet har fått en ny version (version 2)" in page
    assert 'value="Min egen rubrik"' in page and "Min egen kravtext." in page
    assert 'name="based_on" type="hidden" value="2"' in page
    assert [v[1] for v in versions_of(app_db, requirement_id)] == [
        "Bemanning kvällstid",
        "Kollegans",
    ]
    resent = edit_data(library, 2, title="Min egen rubrik", text_md="Min egen kravtext.")
    assert client.post(url, data={**resent, "csrf_token": token}).status_code == 302
    assert versions_of(app_db, requirement_id)[2][1] == "Min egen rubrik"


def test_saving_without_a_change_says_so_and_adds_no_version(client, login, app_db, library):
    requirement_id = add_requirement(app_db, library, "HVB-01", text_md="Oförändrad text.")
    login(library.curator)
    url = f"/krav/{requirement_id}/redigera"
    response = post(client, url, edit_data(library, 1, text_md="Oförändrad text."))
    assert response.status_code == 302
    assert "Du ändrade ingenting, så ingen ny version sparades." in page_of(
        client, response.headers["Location"]
    )
    assert len(versions_of(app_db, requirement_id)) == 1


PNR_MESSAGE = "innehåller något som ser ut som ett personnummer"
BAD_INPUT = {
    "missing title": ({"title": "  "}, "Ge kravet en rubrik."),
    "missing text": ({"text_md": ""}, "Skriv kravtexten."),
    "unknown kind": ({"kind": "hemlig"}, "Välj typ av krav."),
    "unknown level": ({"level": "extrem"}, "Välj nivå: bas, avancerad eller spjutspets."),
    "weight above 100": (
        {"kind": "utvarderingskriterium", "weight": "120"},
        "Vikten anges i procent, 0–100.",
    ),
    "negative weight": (
        {"kind": "utvarderingskriterium", "weight": "-1"},
        "Vikten anges i procent, 0–100.",
    ),
    "weight for a mandatory requirement": (
        {"weight": "20"},
        "Endast utvärderingskriterier har vikt.",
    ),
    "award criterion without weight": (
        {"kind": "utvarderingskriterium"},
        "Ett utvärderingskriterium behöver en vikt.",
    ),
    "weight in words": (
        {"kind": "utvarderingskriterium", "weight": "tjugo"},
        "Ange vikten som ett tal, t.ex. 20 eller 12,5",
    ),
    "weight NaN": (
        {"kind": "utvarderingskriterium", "weight": "NaN"},
        "Ange vikten som ett tal, t.ex. 20 eller 12,5",
    ),
    "weight with three decimals": (
        {"kind": "utvarderingskriterium", "weight": "12,555"},
        "Ange vikten med högst två decimaler",
    ),
    "malformed code": ({"code": "hvb 01!"}, "Koden får bara innehålla versaler"),
    "duplicate code": ({"code": "hvb-99"}, "Koden HVB-99 används redan av ett annat krav."),
    "personnummer as code": ({"code": VALID_PNR}, f"Kod {PNR_MESSAGE}"),
    "personnummer in title": ({"title": f"Gäller {VALID_PNR}"}, f"Rubrik {PNR_MESSAGE}"),
    "personnummer in text": ({"text_md": f"Se\n\nbarn {VALID_PNR}"}, f"Kravtext {PNR_MESSAGE}"),
    "personnummer in rationale": ({"rationale": VALID_PNR}, f"Motiv {PNR_MESSAGE}"),
    "personnummer in verification": ({"verification": VALID_PNR}, f"Verifikat {PNR_MESSAGE}"),
    "personnummer in follow-up": (
        {"followup_method": VALID_PNR},
        f"Uppföljningsmetod {PNR_MESSAGE}",
    ),
    "overlong title": ({"title": "x" * 301}, "Rubriken får vara högst 300 tecken."),
    "overlong text": ({"text_md": "x" * 20_001}, "Texten får vara högst 20000 tecken."),
    "overlong rationale": ({"rationale": "x" * 20_001}, "Texten får vara högst 20000 tecken."),
    "no area": ({"area_ids": []}, "Välj minst ett avtalsområde."),
    "unknown area": ({"area_ids": ["999999"]}, "Ett av de valda avtalsområdena finns inte."),
    "area that is no number": ({"area_ids": ["x"]}, "Välj i listan"),
    "area id out of range": ({"area_ids": ["99999999999999999999"]}, "Välj i listan"),
}


@pytest.mark.parametrize("changes, message", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_gets_a_swedish_message_and_saves_nothing(
    client, login, app_db, library, changes, message
):
    add_requirement(app_db, library, "HVB-99")
    login(library.curator)
    data = form_data(library, code="HVB-10", title="Nattbemanning med vaken personal")
    response = post(client, NEW, {**data, **changes})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Formuläret innehåller fel" in page and message in page
    kept = changes.get("title", "Nattbemanning med vaken personal")
    assert f'value="{kept}"' in page  # what was typed is still there
    with app_db() as session:
        assert session.scalar(select(func.count(Requirement.id))) == 1


def test_bad_input_in_an_edit_saves_no_version(client, login, app_db, library):
    requirement_id = add_requirement(app_db, library, "HVB-01")
    login(library.curator)
    url = f"/krav/{requirement_id}/redigera"
    response = post(client, url, edit_data(library, 1, weight="tjugo", rationale=VALID_PNR))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ange vikten som ett tal, t.ex. 20 eller 12,5" in page
    response = post(client, url, edit_data(library, 1, weight="5", rationale=VALID_PNR))
    page = response.get_data(as_text=True)
    assert "Endast utvärderingskriterier har vikt." in page and f"Motiv {PNR_MESSAGE}" in page
    assert len(versions_of(app_db, requirement_id)) == 1


def test_retiring_hides_the_requirement_and_restoring_brings_it_back(
    client, login, app_db, library
):
    requirement_id = add_requirement(app_db, library, "HVB-01")
    login(library.curator)
    detail = f"/krav/{requirement_id}"
    response = post(client, f"{detail}/avveckla", {}, form_url=detail)
    assert response.status_code == 302
    page = page_of(client, detail)
    assert "Kravet HVB-01 är avvecklat." in page and "Kravet är avvecklat sedan" in page
    assert listed(client) == set() and listed(client, avvecklade="1") == {requirement_id}
    with app_db() as session:
        assert session.get(Requirement, requirement_id).retired_at is not None
        assert session.scalar(
            select(func.count(AuditRecord.id)).where(
                AuditRecord.entity == "Requirement", AuditRecord.action == "update"
            )
        )
    assert post(client, f"{detail}/aterinfor", {}, form_url=detail).status_code == 302
    assert "Kravet HVB-01 är återinfört." in page_of(client, detail)
    assert listed(client) == {requirement_id}


# --- Provenance -----------------------------------------------------------------------------


def test_each_version_shows_its_findings_and_the_rounds_that_used_it(
    client, login, app_db, library
):
    requirement_id = add_requirement(app_db, library, "HVB-01")
    with app_db() as session:
        requirement = session.get(Requirement, requirement_id)
        finding = Finding(
            organisation_id=library.intermediary,
            title="Kvällsbemanningen räcker inte",
            agreement_area_id=library.hvb,
            proposed_change=ProposedChange.CHANGE_REQUIREMENT,
            target_requirement_id=requirement_id,
            status=FindingStatus.ACCEPTED,
        )
        curator = user_named(session, library.curator)
        add_version(curator, requirement, fields(title="Tre i tjänst"), origin_findings=[finding])
        used = tender_round(
            session, library, "DNR-2024-17", DraftStatus.FINAL, requirement.versions[:1]
        )
        tender_round(session, library, "DNR-2026-03", DraftStatus.DRAFT, requirement.versions[1:])
        session.commit()
        finding_id, used_id = finding.id, used.id
    login(library.caseworker)
    first = page_of(client, f"/krav/{requirement_id}/version/1")
    second = page_of(client, f"/krav/{requirement_id}/version/2")
    assert f'href="/upphandlingar/{used_id}"' in first and "DNR-2024-17" in first
    assert f'href="/lardomar/{finding_id}"' not in first
    assert f'href="/lardomar/{finding_id}"' in second and "Kvällsbemanningen räcker inte" in second
    assert "/upphandlingar/" not in second and "DNR-2026-03" not in second
    detail = page_of(client, f"/krav/{requirement_id}")
    assert (
        f'href="/lardomar/{finding_id}"' in detail and f'href="/upphandlingar/{used_id}"' in detail
    )
    assert detail.index("Version 2") < detail.index("Version 1")  # newest first


# --- The list: filters, pages, search -------------------------------------------------------


@pytest.fixture
def shelf(app_db, library) -> dict[str, int]:
    """Four requirements across areas, kinds and levels; one retired."""
    plain = {"rationale": "", "verification": "", "followup_method": ""}
    ids = {
        "family": add_requirement(
            app_db,
            library,
            "HVB-01",
            title="Kvartalsvis uppföljning",
            text_md="Familjehemsplaceringen följs upp varje kvartal.",
            **plain,
        ),
        "night": add_requirement(
            app_db,
            library,
            "HVB-02",
            title="Vaken personal",
            text_md="Nattbemanningen ska vara vaken.",
            kind=RequirementKind.AWARD_CRITERION.value,
            weight=Decimal("20"),
            level=RequirementLevel.ADVANCED.value,
            **plain,
        ),
        "rooms": add_requirement(
            app_db,
            library,
            "LSS-01",
            areas=[library.lss],
            title="Återrapportering av lokaler",
            text_md="Lokalerna ska vara tillgängliga.",
            kind=RequirementKind.CONTRACT_TERM.value,
            level=RequirementLevel.CUTTING_EDGE.value,
            **plain,
        ),
        "old": add_requirement(
            app_db,
            library,
            "HVB-03",
            title="Handledning",
            text_md="Familjehemmet ska ha handledning.",
            **plain,
        ),
    }
    with app_db() as session:
        retire(session.get(Requirement, ids["old"]))
        session.commit()
    return ids


def test_filters_narrow_the_list_and_live_in_the_url(client, login, library, shelf):
    login(library.caseworker)
    current = {shelf["family"], shelf["night"], shelf["rooms"]}
    assert listed(client) == current
    assert listed(client, avvecklade="1") == current | {shelf["old"]}
    assert listed(client, omrade=library.lss) == {shelf["rooms"]}
    assert listed(client, omrade=library.hvb, avvecklade="1") == {
        shelf["family"],
        shelf["night"],
        shelf["old"],
    }
    assert listed(client, typ="utvarderingskriterium") == {shelf["night"]}
    assert listed(client, niva="spjutspets") == {shelf["rooms"]}
    assert listed(client, niva="bas", omrade=library.hvb) == {shelf["family"]}
    assert listed(client, typ="okand", niva="", omrade="x") == current  # ignored, not an error
    page = page_of(client, "/krav/", typ="utvarderingskriterium")
    assert "20&nbsp;%" in page and 'value="utvarderingskriterium" selected' in page


def test_the_list_is_paged_and_the_pages_keep_the_filter(app, client, login, library, shelf):
    app.config["PAGE_SIZE"] = 2
    login(library.caseworker)
    first = page_of(client, "/krav/", omrade=library.hvb, avvecklade="1")
    assert "Sida 1 av 2" in first and "3 krav" in first
    assert re.search(r'href="/krav/\?[^"]*sida=2', first)
    assert "avvecklade=1" in re.search(r'href="(/krav/\?[^"]*sida=2[^"]*)"', first).group(1)
    assert listed(client, omrade=library.hvb, avvecklade="1", sida="2") == {shelf["old"]}


def test_without_an_index_the_text_is_matched_plainly_and_the_page_says_so(
    app, client, login, library, shelf
):
    app.config["SEARCH_BACKEND"] = "whoosh"  # and no index has been built
    login(library.caseworker)
    page = page_of(client, "/krav/", q="återrapportering")
    assert "Sökindexet går inte att använda just nu" in page
    assert listed(client, q="återrapportering") == {shelf["rooms"]}
    assert listed(client, q="hvb-02") == {shelf["night"]}
    assert listed(client, q="lokalerna tillgängliga") == {shelf["rooms"]}
    assert listed(client, q="lokalerna vaken") == set()
    assert listed(client, q="familjehem", avvecklade="1") == {shelf["family"], shelf["old"]}
    assert listed(client, q="100%_") == set()
    assert listed(client, q="lokal\x00erna") == {shelf["rooms"]}  # unprintable: dropped


@pytest.fixture
def indexed(app, database_url) -> str:
    """A real search index, kept in step on every commit: Whoosh beside SQLite, the
    PostgreSQL backend beside PostgreSQL (Whoosh on PostgreSQL is covered in test_search)."""
    backend = "postgres" if database_url.startswith("postgresql") else "whoosh"
    app.config["SEARCH_BACKEND"] = backend
    app.config["SEARCH_SYNC"] = "sync"
    return backend


def test_search_uses_swedish_analysis_and_combines_with_filters(
    indexed, client, login, library, shelf
):
    login(library.caseworker)
    page = page_of(client, "/krav/", q="placering")
    assert "Sökindexet" not in page and "bäst matchande först" in page
    assert listed(client, q="placering") == {shelf["family"]}  # in "Familjehemsplaceringen"
    assert listed(client, q="bemanning") == {shelf["night"]}  # in "Nattbemanningen"
    # No substring match could find these: inflected forms and a compound's part.
    assert listed(client, q="kvartalen") == {shelf["family"]}  # "varje kvartal"
    assert listed(client, q="placeringar") == {shelf["family"]}
    assert listed(client, q="nattbemanningarna") == {shelf["night"]}
    assert listed(client, q="familjehem") == {shelf["family"]}
    assert listed(client, q="familjehem", avvecklade="1") == {shelf["family"], shelf["old"]}
    assert listed(client, q="familjehem", omrade=library.lss) == set()
    assert listed(client, q="lokaler", typ="avtalsvillkor") == {shelf["rooms"]}
    assert listed(client, q="lokaler", typ="skall_krav") == set()
    assert listed(client, q="lokal\x00er") == {shelf["rooms"]}
    assert listed(client, q="*** ( ) -") == {shelf["family"], shelf["night"], shelf["rooms"]}
    assert listed(client, q='"( OR -') == set()  # the word OR, found nowhere


def test_a_new_version_is_what_search_finds(indexed, client, login, app_db, library, shelf):
    login(library.curator)
    url = f"/krav/{shelf['night']}/redigera"
    data = edit_data(
        library,
        1,
        title="Vaken personal",
        text_md="Brandövning hålls varje månad.",
        kind="utvarderingskriterium",
        weight="20",
        level="avancerad",
    )
    assert post(client, url, data).status_code == 302
    assert listed(client, q="brandövning") == {shelf["night"]}
    assert listed(client, q="nattbemanningen") == set()


# --- Access ---------------------------------------------------------------------------------


def test_everyone_signed_in_reads_and_only_curators_write(client, login, app_db, library):
    requirement_id = add_requirement(app_db, library, "HVB-01")
    assert client.get("/krav/").status_code == 302  # signed out: to the sign-in page
    for role, email in library.emails.items():
        login(email)
        for url in ("/krav/", f"/krav/{requirement_id}", f"/krav/{requirement_id}/version/1"):
            assert client.get(url).status_code == 200, (role, url)
        page = page_of(client, f"/krav/{requirement_id}")
        assert "/redigera" not in page and "avveckla" not in page
        token = csrf_token_from(page)
        for url in (NEW, f"/krav/{requirement_id}/redigera"):
            assert client.get(url).status_code == 403, (role, url)
        for url in (
            NEW,
            f"/krav/{requirement_id}/redigera",
            f"/krav/{requirement_id}/avveckla",
            f"/krav/{requirement_id}/aterinfor",
        ):
            data = {**edit_data(library, 1, title="Obehörig"), "csrf_token": token}
            assert client.post(url, data=data).status_code == 403, (role, url)
        client.post("/logga-ut", data={"csrf_token": token})
    assert versions_of(app_db, requirement_id)[-1][1] == "Bemanning kvällstid"
    with app_db() as session:
        assert session.scalar(select(func.count(Requirement.id))) == 1
        assert session.get(Requirement, requirement_id).retired_at is None


def test_unknown_requirements_and_versions_are_not_found(client, login, app_db, library):
    requirement_id = add_requirement(app_db, library, "HVB-01")
    login(library.curator)
    token = csrf_token_from(page_of(client, "/krav/"))
    for url in ("/krav/999999", "/krav/999999/version/1", f"/krav/{requirement_id}/version/2"):
        assert client.get(url).status_code == 404, url
    assert client.get("/krav/999999/redigera").status_code == 404
    for url in ("/krav/999999/redigera", "/krav/999999/avveckla", "/krav/999999/aterinfor"):
        assert client.post(url, data={"csrf_token": token}).status_code == 404, url
