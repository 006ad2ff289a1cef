"""Who sees what: every role in every organisation against every route (DESIGN §2 and §5).

The fixture world is one intermediary network, Matrisförbundet with its members Ägarby (which
owns most experiences) and Grannby, plus Fjärranby, which belongs to no intermediary. Every
network organisation has one user per role, Ägarby has a second caseworker, and Fjärranby has
a caseworker and a curator. Each experience's narrative carries a marker word, so a page
that shows text it shouldn't is caught by a plain substring search.

The expectations below are written out by hand from the rules and never call the app's own
visibility helpers, so the tests can disagree with the app.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from html.parser import HTMLParser
from urllib.parse import urlsplit

import docx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from kb.audit.context import Actor, acting_as
from kb.audit.models import AuditRecord
from kb.auth.models import Role, User
from kb.experiences.models import (
    AgeBand,
    EndReason,
    Experience,
    ExperienceRating,
    ExperienceStatus,
    LegalBasis,
    OffContractReason,
    PlacementKind,
    WouldPlaceAgain,
)
from kb.findings.models import Finding, FindingStatus, ProposedChange
from kb.followups.models import (
    CheckKind,
    CheckResult,
    Deviation,
    DeviationCategory,
    FollowUp,
    FollowUpKind,
    FollowUpScope,
    Severity,
    SupplierCheck,
)
from kb.organisations.models import Organisation, OrganisationKind
from kb.requirements.models import Requirement, RequirementKind, RequirementVersion
from kb.suppliers.models import AgreementArea, AreaCategory, LegalForm, Supplier, Unit
from kb.tender_drafts.models import DraftSection, Provenance, TenderDraft, TenderDraftItem
from kb.tenders.models import Contract, ProcurementForm, TenderRound
from kb.themes import Theme
from tests.conftest import csrf_token_from, post_form
from tests.factories import Factory, fictional_org_number

# --- Who ------------------------------------------------------------------------------------

NETWORK = ("owner", "neighbour", "intermediary")
ORGANISATION_NAMES = {
    "owner": "Ägarby",
    "neighbour": "Grannby",
    "intermediary": "Matrisförbundet",
    "standalone": "Fjärranby",
}
DOMAINS = {
    "owner": "agarby.example",
    "neighbour": "grannby.example",
    "intermediary": "matrisforbundet.example",
    "standalone": "fjarranby.example",
}


@dataclass(frozen=True)
class Viewer:
    org: str | None
    role: Role | None
    nickname: str = ""

    @property
    def key(self) -> str:
        return f"{self.org}-{self.nickname or self.role.value}" if self.org else "anonymous"

    @property
    def email(self) -> str:
        return f"{self.nickname or self.role.value}@{DOMAINS[self.org]}"


ANONYMOUS = Viewer(None, None, "utloggad")
OWNER_CASEWORKER = Viewer("owner", Role.CASEWORKER)
COLLEAGUE = Viewer("owner", Role.CASEWORKER, "kollega")
NEIGHBOUR_CASEWORKER = Viewer("neighbour", Role.CASEWORKER)
INTERMEDIARY_CURATOR = Viewer("intermediary", Role.CURATOR)
STANDALONE = (Viewer("standalone", Role.CASEWORKER), Viewer("standalone", Role.CURATOR))
USERS = (
    *(Viewer(org, role) for org in NETWORK for role in Role),
    COLLEAGUE,
    *STANDALONE,
)
CASEWORKERS = tuple(viewer for viewer in USERS if viewer.role == Role.CASEWORKER)


def each(viewers: tuple[Viewer, ...]) -> list:
    return [pytest.param(viewer, id=viewer.key) for viewer in viewers]


# --- What -----------------------------------------------------------------------------------

HVB, STOD = "Matrisområde HVB", "Matrisområde stödboende"
ROUND_REFERENCE, ROUND_TITLE = "MATRIS 2022/1", "Matrisavtalet HVB"


@dataclass(frozen=True)
class ExperienceSpec:
    author: Viewer
    marker: str
    area: str
    on_contract: bool
    submitted_on: datetime | None
    ratings: dict[Theme, int]
    daily_price: int | None = None
    end_reason: EndReason | None = None
    would_place_again: WouldPlaceAgain | None = None


EXPERIENCES = {
    "owner_1": ExperienceSpec(
        author=OWNER_CASEWORKER,
        marker="ÄGARTEXT-1",
        area=HVB,
        on_contract=True,
        submitted_on=datetime(2024, 3, 1),
        ratings={Theme.GENOMFORANDEPLAN: 4, Theme.BEMANNING: 3},
        daily_price=4000,
        end_reason=EndReason.PLANNED,
        would_place_again=WouldPlaceAgain.YES,
    ),
    "owner_2": ExperienceSpec(
        author=OWNER_CASEWORKER,
        marker="ÄGARTEXT-2",
        area=STOD,
        on_contract=False,
        submitted_on=datetime(2024, 4, 1),
        ratings={Theme.GENOMFORANDEPLAN: 5, Theme.BEMANNING: 4},
        daily_price=4500,
        end_reason=EndReason.PLANNED,
        would_place_again=WouldPlaceAgain.YES,
    ),
    "draft": ExperienceSpec(
        author=OWNER_CASEWORKER,
        marker="UTKASTTEXT",
        area=HVB,
        on_contract=True,
        submitted_on=None,
        ratings={Theme.GENOMFORANDEPLAN: 1},
    ),
    "neighbour": ExperienceSpec(
        author=NEIGHBOUR_CASEWORKER,
        marker="GRANNTEXT",
        area=HVB,
        on_contract=True,
        submitted_on=datetime(2024, 5, 1),
        ratings={Theme.GENOMFORANDEPLAN: 2},
        daily_price=5000,
        end_reason=EndReason.BREAKDOWN,
        would_place_again=WouldPlaceAgain.NO,
    ),
}


def may_read(viewer: Viewer, key: str) -> bool:
    """The rule: drafts for their author; submitted text for its organisation and the
    intermediary's curators."""
    spec = EXPERIENCES[key]
    if spec.submitted_on is None:
        return viewer == spec.author
    return viewer.org == spec.author.org or viewer == INTERMEDIARY_CURATOR


def readable_ids(world: World, viewer: Viewer) -> set[int]:
    return {world.params[key] for key in EXPERIENCES if may_read(viewer, key)}


def unreadable_markers(viewer: Viewer) -> list[str]:
    return [spec.marker for key, spec in EXPERIENCES.items() if not may_read(viewer, key)]


def mentions(body: str, word: str) -> bool:
    """True when the word is in the page, as HTML text or JSON-escaped."""
    return word in body or json.dumps(word)[1:-1] in body


# --- The world ------------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    params: dict[str, int]


@cache
def _password_hash() -> str:
    return generate_password_hash(Factory.PASSWORD)


def _organisations() -> dict[str, Organisation]:
    intermediary = Organisation(name="Matrisförbundet", kind=OrganisationKind.INTERMEDIARY)
    organisations = {"intermediary": intermediary}
    for org in ("owner", "neighbour"):
        organisations[org] = Organisation(
            name=ORGANISATION_NAMES[org],
            kind=OrganisationKind.MUNICIPALITY,
            member_of=intermediary,
        )
    organisations["standalone"] = Organisation(name="Fjärranby", kind=OrganisationKind.MUNICIPALITY)
    return organisations


def _user(viewer: Viewer, organisation: Organisation) -> User:
    user = User(
        name=f"{viewer.nickname or viewer.role.value.capitalize()} i {organisation.name}",
        email=viewer.email,
        organisation=organisation,
        password_hash=_password_hash(),
    )
    user.set_roles({viewer.role})
    return user


def _experience(spec: ExperienceSpec, author: User, register: dict) -> Experience:
    ended = spec.end_reason is not None
    narrative = {
        "worked": f"{spec.marker} fungerade",
        "not_worked": f"{spec.marker} brister",
        "advice": f"{spec.marker} råd",
    }
    return Experience(
        organisation_id=author.organisation_id,
        author_id=author.id,
        unit=register["unit"],
        agreement_area=register[spec.area],
        contract=register["contract"] if spec.on_contract else None,
        off_contract=not spec.on_contract,
        off_contract_reason=None if spec.on_contract else OffContractReason.GEOGRAPHY,
        placement_kind=PlacementKind.TREATMENT,
        legal_basis=LegalBasis.SOL,
        age_band=AgeBand.AGE_13_15,
        start_year=2023,
        start_month=2,
        end_year=2023 if ended else None,
        end_month=11 if ended else None,
        end_reason=spec.end_reason,
        would_place_again=spec.would_place_again,
        daily_price=Decimal(spec.daily_price) if spec.daily_price else None,
        status=ExperienceStatus.SUBMITTED if spec.submitted_on else ExperienceStatus.DRAFT,
        submitted_at=spec.submitted_on,
        ratings=[ExperienceRating(theme=t, rating=r) for t, r in spec.ratings.items()],
        **{f"{name}_md": text for name, text in narrative.items()},
        **{f"{name}_html": f"<p>{text}</p>" for name, text in narrative.items()},
    )


def _followed_up(owner: Organisation, author: User, supplier: Supplier, unit: Unit) -> dict:
    """A follow-up, a deviation and a supplier check, recorded by the owner's coordinator."""
    return {
        "followup": FollowUp(
            organisation=owner,
            author=author,
            title="Matrisuppföljning",
            kind=FollowUpKind.SPECIAL,
            scope=FollowUpScope.UNIT,
            unit=unit,
            methods=["anmalt_besok"],
            period_start=date(2024, 9, 1),
            summary_md="Besök utan anmärkning.",
            summary_html="<p>Besök utan anmärkning.</p>",
        ),
        "deviation": Deviation(
            organisation=owner,
            reported_by=author,
            unit=unit,
            occurred_on=date(2024, 10, 1),
            category=DeviationCategory.STAFFING,
            severity=Severity.MEDIUM,
            description_md="Matrisavvikelse i bemanningen.",
            description_html="<p>Matrisavvikelse i bemanningen.</p>",
        ),
        "check": SupplierCheck(
            organisation=owner,
            supplier=supplier,
            kind=CheckKind.CREDIT,
            checked_on=date(2024, 10, 1),
            result=CheckResult.OK,
            value="80",
            next_due=date(2025, 4, 1),
        ),
    }


def build_world(session) -> World:
    organisations = _organisations()
    areas = {name: AgreementArea(name=name, category=AreaCategory.IFO) for name in (HVB, STOD)}
    supplier = Supplier(
        name="Matrishemmen AB",
        org_number=fictional_org_number(4711),
        legal_form=LegalForm.AKTIEBOLAG,
    )
    unit = Unit(supplier=supplier, name="Matrisgården", agreement_areas=list(areas.values()))
    tender_round = TenderRound(
        reference=ROUND_REFERENCE,
        title=ROUND_TITLE,
        agreement_area=areas[HVB],
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=organisations["intermediary"],
        participants=[organisations["owner"], organisations["neighbour"]],
        contract_start=date(2022, 1, 1),
        contract_end=date(2025, 12, 31),
    )
    contract = Contract(
        tender_round=tender_round, supplier=supplier, units=[unit], reference="MATRIS-A"
    )
    users = {viewer: _user(viewer, organisations[viewer.org]) for viewer in USERS}
    session.add_all([contract, *organisations.values(), *users.values()])
    session.commit()
    register = {**areas, "unit": unit, "contract": contract}
    params = {}
    for key, spec in EXPERIENCES.items():
        author = users[spec.author]
        # Written as the author, like the form does, so the audit rows carry their organisation.
        with acting_as(Actor(author.id, author.email, author.organisation_id)):
            experience = _experience(spec, author, register)
            session.add(experience)
            session.commit()
            params[key] = experience.id
    coordinator = users[Viewer("owner", Role.COORDINATOR)]
    with acting_as(Actor(coordinator.id, coordinator.email, coordinator.organisation_id)):
        followed = _followed_up(organisations["owner"], coordinator, supplier, unit)
        session.add_all(followed.values())
        session.commit()
    params.update({name: obj.id for name, obj in followed.items()})
    params.update(_learning_loop(session, organisations, areas[HVB], tender_round))
    params.update(
        owner_org=organisations["owner"].id,
        standalone_org=organisations["standalone"].id,
        owner_caseworker=users[OWNER_CASEWORKER].id,
        standalone_caseworker=users[STANDALONE[0]].id,
        area=areas[HVB].id,
        round=tender_round.id,
        contract=contract.id,
        supplier=supplier.id,
        unit=unit.id,
        missing=1_000_000,
    )
    return World(params)


def _learning_loop(session, organisations: dict, area: AgreementArea, base: TenderRound) -> dict:
    """Two requirements, findings, and a draft for the next round in which two findings change
    MATRIS-02: a conflict the procurer resolves."""
    owner = organisations["intermediary"]
    frozen = datetime(2021, 12, 1)

    def requirement(code: str, title: str) -> Requirement:
        made = Requirement(code=code, owner_organisation=owner, agreement_areas=[area])
        made.versions.append(
            RequirementVersion(
                number=1,
                title=title,
                text_md=f"{title} ska redovisas.",
                text_html=f"<p>{title} ska redovisas.</p>",
                kind=RequirementKind.MANDATORY,
                frozen_at=frozen,
            )
        )
        return made

    def finding(title: str, change: ProposedChange, **fields) -> Finding:
        return Finding(
            organisation=owner,
            title=title,
            agreement_area=area,
            proposed_change=change,
            proposed_text_md=fields.pop("text", "Ny kravtext om bemanning."),
            status=fields.pop("status", FindingStatus.ACCEPTED),
            published_at=fields.pop("published_at", frozen),
            **fields,
        )

    staffing, reporting = requirement("MATRIS-01", "Bemanning"), requirement("MATRIS-02", "Rapport")
    findings = {
        "finding": finding(
            "Matrislärdom A", ProposedChange.CHANGE_REQUIREMENT, target_requirement=reporting
        ),
        "finding_b": finding(
            "Matrislärdom B", ProposedChange.CHANGE_REQUIREMENT, target_requirement=reporting
        ),
        "finding_add": finding("Matrislärdom C", ProposedChange.MARKET_QUESTION),
        "finding_old": finding("Matrislärdom D", ProposedChange.MARKET_QUESTION),
        "finding_proposed": finding(
            "Matrislärdom E",
            ProposedChange.MARKET_QUESTION,
            status=FindingStatus.PROPOSED,
            published_at=None,
        ),
    }
    following = TenderRound(
        reference="MATRIS 2026/1",
        title="Nästa matrisavtal",
        agreement_area=area,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=owner,
        participants=list(base.participants),
        predecessor=base,
    )
    unplanned = TenderRound(
        reference="MATRIS 2026/9",
        title="Matrisavtal utan föregångare",
        agreement_area=area,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=owner,
        participants=list(base.participants),
    )
    draft = TenderDraft(tender_round=following, base_round=base, title="Matrisunderlag")
    changed = {}
    for key, number in (("finding", 2), ("finding_b", 3)):
        version = RequirementVersion(
            number=number,
            title="Rapport",
            text_md=f"Rapport version {number}.",
            text_html="",
            kind=RequirementKind.MANDATORY,
        )
        reporting.versions.append(version)
        changed[key] = version
    kept = TenderDraftItem(
        section=DraftSection.SERVICE,
        position=0,
        requirement_version=staffing.versions[0],
        provenance=Provenance.CARRIED_OVER,
    )
    draft.items = [
        kept,
        *(
            TenderDraftItem(
                section=DraftSection.SERVICE,
                position=position,
                requirement_version=changed[key],
                previous_version=reporting.versions[0],
                provenance=Provenance.CHANGED,
                finding=findings[key],
            )
            for position, key in ((1, "finding"), (2, "finding_b"))
        ),
    ]
    session.add_all([staffing, reporting, *findings.values(), following, unplanned, draft])
    session.commit()
    return {
        **{key: obj.id for key, obj in findings.items()},
        "requirement": reporting.id,
        "next_round": following.id,
        "unplanned_round": unplanned.id,
        "tender_draft": draft.id,
        "kept_item": kept.id,
        "kept_version": staffing.versions[0].id,
        "chosen_item": draft.items[2].id,
    }


@pytest.fixture
def world(app_db) -> World:
    with app_db() as session:
        return build_world(session)


def signed_in(app: Flask, viewer: Viewer) -> FlaskClient:
    client = app.test_client()
    if viewer != ANONYMOUS:
        form = {"email": viewer.email, "password": Factory.PASSWORD}
        response = post_form(client, "/logga-in", form)
        assert response.status_code == 302, f"{viewer.key} could not sign in"
    return client


# --- 1. The GET matrix ----------------------------------------------------------------------

Status = Callable[[Viewer], int]


@dataclass(frozen=True)
class Route:
    rule: str
    path: str
    status: Status
    public: bool = False
    anonymous: int = 302  # what a signed-out visitor gets unless the route is public

    def url(self, world: World) -> str:
        return self.path.format(**world.params)


def everyone(viewer: Viewer) -> int:
    return 200


def roles(*allowed: Role) -> Status:
    return lambda viewer: 200 if viewer.role in allowed else 403


def readers_of(key: str) -> Status:
    return lambda viewer: 200 if may_read(viewer, key) else 404


def author_of(key: str) -> Status:
    return lambda viewer: 200 if viewer == EXPERIENCES[key].author else 403


def caseworkers_get_404(viewer: Viewer) -> int:
    return 404 if viewer.role == Role.CASEWORKER else 403


def follow_up_writers(viewer: Viewer) -> int:
    """Coordinators and curators open the forms for follow-ups, deviations and checks."""
    return 200 if viewer.role in (Role.COORDINATOR, Role.CURATOR) else 403


def in_the_network(viewer: Viewer) -> int:
    """Follow-ups, deviations and checks are read by the whole network, unknown elsewhere."""
    return 200 if viewer.org in NETWORK else 404


def owner_writes(viewer: Viewer) -> int:
    """Only the owner's coordinators and curators edit; outside the network it is unknown."""
    if viewer.org == "owner" and viewer.role in (Role.COORDINATOR, Role.CURATOR):
        return 200
    if viewer.org not in NETWORK and viewer.role in (Role.COORDINATOR, Role.CURATOR):
        return 404
    return 403


FOLLOWUP = "/uppfoljningar/<int:followup_id>"
FOLLOWUP_EDIT = "/uppfoljningar/<int:followup_id>/redigera"
DEVIATION = "/avvikelser/<int:deviation_id>"
CHECK = "/kontroller/<int:check_id>"
DETAIL = "/erfarenheter/<int:experience_id>"
EDIT = "/erfarenheter/<int:experience_id>/redigera"
GET_MATRIX = (
    Route("/", "/", everyone),
    Route("/logga-in", "/logga-in", lambda viewer: 302, public=True),
    Route("/admin/organisationer", "/admin/organisationer", roles(Role.ADMIN)),
    Route("/admin/organisationer/ny", "/admin/organisationer/ny", roles(Role.ADMIN)),
    Route(
        "/admin/organisationer/<int:organisation_id>",
        "/admin/organisationer/{owner_org}",
        roles(Role.ADMIN),
    ),
    Route("/admin/anvandare", "/admin/anvandare", roles(Role.ADMIN)),
    Route("/admin/anvandare/ny", "/admin/anvandare/ny", roles(Role.ADMIN)),
    Route(
        "/admin/anvandare/<int:user_id>",
        "/admin/anvandare/{owner_caseworker}",
        roles(Role.ADMIN),
    ),
    Route("/logg/", "/logg/", roles(Role.ADMIN, Role.CURATOR)),
    Route("/logg/", "/logg/?entity=Experience", roles(Role.ADMIN, Role.CURATOR)),
    Route("/leverantorer", "/leverantorer", everyone),
    Route("/sok", "/sok?q=placering OR bemanning", everyone),
    Route("/verksamheter", "/verksamheter", everyone),
    Route("/avtalsomraden", "/avtalsomraden", everyone),
    Route("/avtalsomraden/<int:area_id>", "/avtalsomraden/{area}", everyone),
    Route("/upphandlingar/<int:round_id>", "/upphandlingar/{round}", everyone),
    Route("/leverantorer/<int:supplier_id>", "/leverantorer/{supplier}", everyone),
    Route("/verksamheter/<int:unit_id>", "/verksamheter/{unit}", everyone),
    Route("/avtal/<int:contract_id>", "/avtal/{contract}", everyone),
    Route("/uppfoljningar/", "/uppfoljningar/", everyone),
    Route("/uppfoljningar/", "/uppfoljningar/?verksamhet={unit}&ar=2024", everyone),
    Route("/uppfoljningar/ny", "/uppfoljningar/ny", follow_up_writers),
    Route("/uppfoljningar/ny", "/uppfoljningar/ny?scope=unit&id={unit}", follow_up_writers),
    Route(FOLLOWUP, "/uppfoljningar/{followup}", in_the_network),
    Route(FOLLOWUP, "/uppfoljningar/{missing}", lambda viewer: 404),
    Route(FOLLOWUP_EDIT, "/uppfoljningar/{followup}/redigera", owner_writes),
    Route("/avvikelser/", "/avvikelser/", everyone),
    Route("/avvikelser/", "/avvikelser/?leverantor={supplier}", everyone),
    Route("/avvikelser/ny", "/avvikelser/ny", follow_up_writers),
    Route(DEVIATION, "/avvikelser/{deviation}", in_the_network),
    Route(DEVIATION, "/avvikelser/{missing}", lambda viewer: 404),
    Route("/kontroller/", "/kontroller/", everyone),
    Route("/kontroller/ny", "/kontroller/ny?leverantor={supplier}", follow_up_writers),
    Route(CHECK, "/kontroller/{check}", in_the_network),
    Route("/kontroller/omgang", "/kontroller/omgang", follow_up_writers),
    Route("/kontroller/omgang", "/kontroller/omgang?omgang={round}", follow_up_writers),
    Route("/avtal/<int:contract_id>", "/avtal/{missing}", lambda viewer: 404),
    Route("/erfarenheter/mina", "/erfarenheter/mina", roles(Role.CASEWORKER)),
    Route(DETAIL, "/erfarenheter/{owner_1}", readers_of("owner_1")),
    Route(DETAIL, "/erfarenheter/{draft}", readers_of("draft")),
    Route(DETAIL, "/erfarenheter/{neighbour}", readers_of("neighbour")),
    Route(DETAIL, "/erfarenheter/{missing}", lambda viewer: 404),
    Route("/erfarenheter/ny", "/erfarenheter/ny", roles(Role.CASEWORKER)),
    Route("/erfarenheter/ny", "/erfarenheter/ny?unit={unit}", roles(Role.CASEWORKER)),
    Route(EDIT, "/erfarenheter/{owner_1}/redigera", author_of("owner_1")),
    Route(EDIT, "/erfarenheter/{draft}/redigera", author_of("draft")),
    Route(EDIT, "/erfarenheter/{neighbour}/redigera", author_of("neighbour")),
    Route(EDIT, "/erfarenheter/{missing}/redigera", caseworkers_get_404),
    Route(
        "/erfarenheter/avtal",
        "/erfarenheter/avtal?unit_id={unit}&agreement_area_id={area}&start=2023-02",
        roles(Role.CASEWORKER),
    ),
)


def intermediary_only(role: Role) -> Status:
    """The intermediary's users in the role; that role elsewhere may look but not act."""

    def status(viewer: Viewer) -> int:
        if viewer.role != role:
            return 403
        if viewer.org == "intermediary":
            return 200
        return 403 if viewer.org in NETWORK else 404

    return status


def finding_readers(viewer: Viewer) -> int:
    """The intermediary reads its unpublished findings; nobody else."""
    return 200 if viewer.org == "intermediary" else 404


FINDING = "/lardomar/<int:finding_id>"
REQUIREMENT = "/krav/<int:requirement_id>"
DRAFT = "/underlag/<int:draft_id>"
GET_MATRIX += (
    Route("/lardomar/", "/lardomar/", everyone),
    Route("/lardomar/", "/lardomar/?status=accepterad", everyone),
    Route("/lardomar/ko", "/lardomar/ko", roles(Role.CURATOR)),
    Route("/lardomar/ny", "/lardomar/ny", roles(Role.CURATOR)),
    Route("/lardomar/ny", "/lardomar/ny?erfarenhet={owner_1}", roles(Role.CURATOR)),
    Route(FINDING, "/lardomar/{finding}", in_the_network),
    Route(FINDING, "/lardomar/{finding_proposed}", finding_readers),
    Route(FINDING, "/lardomar/{missing}", lambda viewer: 404),
    Route(f"{FINDING}/redigera", "/lardomar/{finding}/redigera", intermediary_only(Role.CURATOR)),
    Route("/krav/", "/krav/", everyone),
    Route("/krav/", "/krav/?q=rapport&typ=skall_krav", everyone),
    Route(REQUIREMENT, "/krav/{requirement}", everyone),
    Route(REQUIREMENT, "/krav/{missing}", lambda viewer: 404),
    Route(f"{REQUIREMENT}/version/<int:number>", "/krav/{requirement}/version/2", everyone),
    Route("/krav/ny", "/krav/ny", roles(Role.CURATOR)),
    Route(f"{REQUIREMENT}/redigera", "/krav/{requirement}/redigera", roles(Role.CURATOR)),
    Route("/underlag/", "/underlag/", everyone),
    Route("/underlag/ny-omgang", "/underlag/ny-omgang?omrade={area}", roles(Role.PROCURER)),
    Route("/underlag/omgang/<int:round_id>", "/underlag/omgang/{unplanned_round}", in_the_network),
    Route(DRAFT, "/underlag/{tender_draft}", in_the_network),
    Route(DRAFT, "/underlag/{missing}", lambda viewer: 404),
    Route(f"{DRAFT}/andringar", "/underlag/{tender_draft}/andringar", in_the_network),
    Route(
        f"{DRAFT}/utanfor-avtal",
        "/underlag/{tender_draft}/utanfor-avtal?skal=kompetens",
        in_the_network,
    ),
    Route(f"{DRAFT}/export.docx", "/underlag/{tender_draft}/export.docx", in_the_network),
    Route(f"{DRAFT}/export.md", "/underlag/{tender_draft}/export.md", in_the_network),
    Route(
        f"{DRAFT}/krav/<int:item_id>/redigera",
        "/underlag/{tender_draft}/krav/{kept_item}/redigera",
        intermediary_only(Role.PROCURER),
    ),
)
SUPPLIER, UNIT, AREA = (
    "/leverantorer/<int:supplier_id>",
    "/verksamheter/<int:unit_id>",
    "/avtalsomraden/<int:area_id>",
)


def not_found(viewer: Viewer) -> int:
    return 404


LEARNING_READERS = roles(Role.CURATOR, Role.PROCURER)
GET_MATRIX += (
    Route(f"{SUPPLIER}/diagram.json", "/leverantorer/{supplier}/diagram.json", everyone),
    Route(
        f"{SUPPLIER}/tabell/<figure_id>.csv",
        "/leverantorer/{supplier}/tabell/sammanbrott.csv",
        everyone,
    ),
    Route(f"{SUPPLIER}/diagram.json", "/leverantorer/{missing}/diagram.json", not_found),
    Route(f"{UNIT}/diagram.json", "/verksamheter/{unit}/diagram.json?tema=bemanning", everyone),
    Route(f"{UNIT}/tabell/<figure_id>.csv", "/verksamheter/{unit}/tabell/tidslinje.csv", everyone),
    Route(f"{UNIT}/tabell/<figure_id>.csv", "/verksamheter/{unit}/tabell/okand.csv", not_found),
    Route(f"{AREA}/oversikt", "/avtalsomraden/{area}/oversikt", everyone),
    Route(f"{AREA}/oversikt", "/avtalsomraden/{missing}/oversikt", not_found),
    Route(f"{AREA}/oversikt/diagram.json", "/avtalsomraden/{area}/oversikt/diagram.json", everyone),
    Route(
        f"{AREA}/oversikt/tabell/<figure_id>.csv",
        "/avtalsomraden/{area}/oversikt/tabell/rangordning.csv",
        everyone,
    ),
    Route("/larande/", "/larande/", LEARNING_READERS),
    Route("/larande/", "/larande/?omrade={area}", LEARNING_READERS),
    Route("/larande/diagram.json", "/larande/diagram.json?omrade={area}", LEARNING_READERS),
    Route(
        "/larande/tabell/<figure_id>.csv",
        "/larande/tabell/vantar-langst.csv",
        LEARNING_READERS,
    ),
)
IMPORTERS = roles(Role.CURATOR, Role.ADMIN)


def importers_find_nothing(viewer: Viewer) -> int:
    return 404 if viewer.role in (Role.CURATOR, Role.ADMIN) else 403


def api_route(rule: str, path: str) -> Route:
    """The API answers only to tokens: a browser session is refused like a visitor (401).
    What each role reads through a token: tests/test_api_visibility.py."""
    return Route(rule, path, lambda viewer: 401, anonymous=401)


GET_MATRIX += (
    Route("/profil", "/profil", everyone),
    Route("/import/", "/import/", IMPORTERS),
    Route("/import/mall/<kind>.csv", "/import/mall/experiences.csv", IMPORTERS),
    Route("/import/mall/<kind>.csv", "/import/mall/okand.csv", importers_find_nothing),
    Route("/import/<int:batch_id>", "/import/{missing}", importers_find_nothing),
    Route("/import/jobb/<token>", "/import/jobb/finnsinte", importers_find_nothing),
    Route("/import/jobb/<token>.json", "/import/jobb/finnsinte.json", importers_find_nothing),
    Route("/api/v1/openapi.json", "/api/v1/openapi.json", everyone, public=True),
    *(
        api_route(f"/api/v1/{name}", f"/api/v1/{name}")
        for name in (
            "agreement-areas",
            "suppliers",
            "units",
            "tender-rounds",
            "contracts",
            "findings",
            "requirements",
            "experiences",
            "search",
        )
    ),
    *(
        api_route(f"/api/v1/{name}/<int:{key}>", f"/api/v1/{name}/{{{param}}}")
        for name, key, param in (
            ("agreement-areas", "area_id", "area"),
            ("suppliers", "supplier_id", "supplier"),
            ("units", "unit_id", "unit"),
            ("tender-rounds", "round_id", "round"),
            ("contracts", "contract_id", "contract"),
            ("findings", "finding_id", "finding"),
            ("requirements", "requirement_id", "requirement"),
            ("experiences", "experience_id", "owner_1"),
            ("ocds/tender-rounds", "round_id", "round"),
        )
    ),
    api_route("/api/v1/ocds/extension/<name>", "/api/v1/ocds/extension/extension.json"),
)
# Static files are public assets without data; everything else must be in the matrix.
NOT_IN_MATRIX = {"/static/<path:filename>"}


def expected_status(route: Route, viewer: Viewer) -> int:
    if viewer == ANONYMOUS:
        return 200 if route.public else route.anonymous
    return route.status(viewer)


def redirects_correctly(response, viewer: Viewer) -> bool:
    """Signed-out visitors go to the sign-in page; signed-in ones leave it for the start page."""
    location = urlsplit(response.headers["Location"]).path
    return location == ("/logga-in" if viewer == ANONYMOUS else "/")


def served_rules(app: Flask, method: str) -> set[str]:
    return {rule.rule for rule in app.url_map.iter_rules() if method in rule.methods}


def test_the_matrix_covers_every_get_route_and_each_path_hits_its_rule(app):
    covered = {route.rule for route in GET_MATRIX}
    assert served_rules(app, "GET") - NOT_IN_MATRIX - covered == set(), "routes not in matrix"
    assert covered - served_rules(app, "GET") == set(), "matrix names routes that are gone"
    adapter = app.url_map.bind("localhost")
    for route in GET_MATRIX:
        path = urlsplit(route.path.format_map(defaultdict(lambda: 7))).path
        rule, _arguments = adapter.match(path, method="GET", return_rule=True)
        assert rule.rule == route.rule, route.path


def text_of(response) -> str:
    """The response as text; a Word document by its paragraphs and table cells."""
    if response.mimetype != DOCX:
        return response.get_data(as_text=True)
    document = docx.Document(io.BytesIO(response.data))
    cells = (cell.text for table in document.tables for row in table.rows for cell in row.cells)
    return "\n".join([*(p.text for p in document.paragraphs), *cells])


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.mark.parametrize("viewer", each((*USERS, ANONYMOUS)))
def test_every_route_answers_each_viewer_as_the_rules_say(app, world, viewer):
    client = signed_in(app, viewer)
    wrong = []
    for route in GET_MATRIX:
        url = route.url(world)
        response = client.get(url)
        expected = expected_status(route, viewer)
        if response.status_code != expected:
            wrong.append(f"{url}: expected {expected}, got {response.status_code}")
        elif response.status_code == 302 and not redirects_correctly(response, viewer):
            wrong.append(f"{url}: redirected to {response.headers['Location']}")
        body = text_of(response)
        leaked = [marker for marker in unreadable_markers(viewer) if mentions(body, marker)]
        if leaked:
            wrong.append(f"{url}: shows text of unreadable experiences {leaked}")
    assert wrong == [], f"{viewer.key}:\n" + "\n".join(wrong)


# --- 1b. Form posts -------------------------------------------------------------------------


def experience_form(world: World, text: str) -> dict[str, str]:
    """A valid draft save, as the browser posts it."""
    data = {
        "submission_key": str(uuid.uuid4()),
        "unit_id": str(world.params["unit"]),
        "agreement_area_id": str(world.params["area"]),
        "contract_id": str(world.params["contract"]),
        "placement_kind": "behandling",
        "legal_basis": "sol",
        "age_band": "13-15",
        "start": "2023-02",
        "end": "2023-11",
        "end_reason": "planerat",
        "would_place_again": "ja",
        "worked_md": text,
        "save_draft": "Spara utkast",
    }
    data.update({f"rating_{theme.value}": "3" for theme in Theme})
    return data


def forbidden(viewer: Viewer) -> int:
    return 403


@dataclass(frozen=True)
class FormPost:
    rule: str
    path: str
    allowed: Callable[[Viewer], bool]
    data: Callable[[World], dict[str, str]]
    refused: Callable[[Viewer], int] = forbidden  # the status a viewer who may not post gets


def may_edit(key: str) -> Callable[[Viewer], bool]:
    return lambda viewer: viewer == EXPERIENCES[key].author


def has_role(role: Role) -> Callable[[Viewer], bool]:
    return lambda viewer: viewer.role == role


def organisation_form(name: str) -> Callable[[World], dict[str, str]]:
    return lambda world: {"name": name, "kind": "kommun", "org_number": "", "member_of_id": "0"}


def user_form(name: str, email: str, password: str = "") -> Callable[[World], dict[str, str]]:
    return lambda world: {
        "name": name,
        "email": email,
        "organisation_id": str(world.params["standalone_org"]),
        "roles": "caseworker",
        "active": "y",
        "password": password,
    }


POST_MATRIX = (
    FormPost(
        "/erfarenheter/ny",
        "/erfarenheter/ny",
        has_role(Role.CASEWORKER),
        lambda world: experience_form(world, "NY TEXT"),
    ),
    *(
        FormPost(
            EDIT,
            f"/erfarenheter/{{{key}}}/redigera",
            may_edit(key),
            lambda world: experience_form(world, "ÖVERSKRIVEN"),
        )
        for key in ("owner_1", "draft", "neighbour")
    ),
    FormPost(
        "/admin/organisationer/ny",
        "/admin/organisationer/ny",
        has_role(Role.ADMIN),
        organisation_form("Intrångsby"),
    ),
    FormPost(
        "/admin/organisationer/<int:organisation_id>",
        "/admin/organisationer/{standalone_org}",
        has_role(Role.ADMIN),
        organisation_form("Fjärranby omdöpt"),
    ),
    FormPost(
        "/admin/anvandare/ny",
        "/admin/anvandare/ny",
        has_role(Role.ADMIN),
        user_form("Smygare", "smygare@fjarranby.example", "ett-långt-lösenord-2026"),
    ),
    FormPost(
        "/admin/anvandare/<int:user_id>",
        "/admin/anvandare/{standalone_caseworker}",
        has_role(Role.ADMIN),
        user_form("Omdöpt handläggare", STANDALONE[0].email),
    ),
)


def follows_up_the_network(viewer: Viewer) -> bool:
    """Coordinators and curators of the network's organisations follow up its framework."""
    return viewer.org in NETWORK and viewer.role in (Role.COORDINATOR, Role.CURATOR)


def owner_follows_up(viewer: Viewer) -> bool:
    return viewer.org == "owner" and viewer.role in (Role.COORDINATOR, Role.CURATOR)


def form_error_outside(viewer: Viewer) -> int:
    """A writer outside the network gets the form back with an error; other roles 403."""
    return 200 if viewer.role in (Role.COORDINATOR, Role.CURATOR) else 403


def unknown_outside(viewer: Viewer) -> int:
    """Another organisation's record: 404 outside the network, else 403."""
    outside = viewer.org not in NETWORK and viewer.role in (Role.COORDINATOR, Role.CURATOR)
    return 404 if outside else 403


def followup_form(world: World) -> dict[str, str]:
    return {
        "title": "Oanmält besök",
        "kind": "handelsestyrd",
        "scope": "unit",
        "unit_id": str(world.params["unit"]),
        "methods": "oanmalt_besok",
        "period_start": "2025-05-01",
        "summary_md": "Brister i nattbemanningen.",
        "result": "anmarkning",
    }


def batch_form(world: World) -> dict[str, str]:
    supplier = world.params["supplier"]
    return {
        "kind": "sanktionslistor",
        "checked_on": "2025-05-01",
        "next_due": "2025-11-01",
        f"result_{supplier}": "ok",
        f"value_{supplier}": "",
    }


POST_MATRIX += (
    FormPost(
        "/uppfoljningar/ny",
        "/uppfoljningar/ny",
        follows_up_the_network,
        followup_form,
        form_error_outside,
    ),
    FormPost(
        FOLLOWUP_EDIT,
        "/uppfoljningar/{followup}/redigera",
        owner_follows_up,
        followup_form,
        unknown_outside,
    ),
    FormPost(
        "/avvikelser/ny",
        "/avvikelser/ny",
        follows_up_the_network,
        lambda world: {
            "unit_id": str(world.params["unit"]),
            "contract_id": "",
            "category": "bemanning",
            "severity": "medel",
            "occurred_on": "2025-05-01",
            "description_md": "En natt med en person i tjänst.",
        },
        form_error_outside,
    ),
    FormPost(
        "/avvikelser/<int:deviation_id>/atgarda",
        "/avvikelser/{deviation}/atgarda",
        owner_follows_up,
        lambda world: {"resolution_note": "Bemanningen är förstärkt."},
        unknown_outside,
    ),
    FormPost(
        "/kontroller/ny",
        "/kontroller/ny",
        follows_up_the_network,
        lambda world: {
            "supplier_id": str(world.params["supplier"]),
            "unit_id": "",
            "kind": "kreditvardighet",
            "checked_on": "2025-05-01",
            "next_due": "2025-11-01",
            "result": "ok",
            "value": "75",
        },
        form_error_outside,
    ),
    FormPost(
        "/kontroller/omgang",
        "/kontroller/omgang?omgang={round}",
        follows_up_the_network,
        batch_form,
        form_error_outside,
    ),
    FormPost(
        "/avtal/<int:contract_id>/status",
        "/avtal/{contract}/status",
        follows_up_the_network,
        lambda world: {
            "to_status": "uteslutet",
            "changed_on": "2025-06-02",
            "reason": "Oanmält besök visade brister.",
            "decision_reference": "MATRIS-BESLUT-1",
        },
    ),
)


def intermediary_may(role: Role) -> Callable[[Viewer], bool]:
    return lambda viewer: viewer.org == "intermediary" and viewer.role == role


def refused_unless_visible(viewer: Viewer) -> int:
    """Curators outside the network never see the finding; everyone else is forbidden."""
    return 404 if viewer.org not in NETWORK and viewer.role == Role.CURATOR else 403


def finding_form(world: World) -> dict[str, str]:
    return {
        "title": "Matrislärdom om syskonplatser",
        "agreement_area_id": str(world.params["area"]),
        "importance": "medel",
        "statement_md": "Syskon placeras isär.",
        "proposed_change": "marknadsfraga",
        "proposed_text_md": "Hur många syskonplatser kan ni erbjuda?",
        "avvikelse": str(world.params["deviation"]),
    }


def version_form(world: World) -> dict[str, str]:
    return {
        "based_on": "3",
        "title": "Rapport",
        "text_md": "Rapport varje kvartal.",
        "kind": "skall_krav",
        "level": "bas",
        "area_ids": str(world.params["area"]),
    }


def draft_post(path: str, data: Callable[[World], dict[str, str]] = lambda world: {}) -> FormPost:
    return FormPost(
        f"/underlag/<int:draft_id>{path.split('{tender_draft}')[1].split('?')[0]}".replace(
            "{kept_item}", "<int:item_id>"
        ).replace("{chosen_item}", "<int:item_id>"),
        path,
        intermediary_may(Role.PROCURER),
        data,
    )


# In order: each allowed post changes something, and finalising comes last.
POST_MATRIX += (
    FormPost(
        "/lardomar/ny",
        "/lardomar/ny",
        lambda viewer: viewer.org in NETWORK and viewer.role == Role.CURATOR,
        finding_form,
        lambda viewer: 200 if viewer.role == Role.CURATOR else 403,  # evidence it may not read
    ),
    FormPost(
        "/lardomar/<int:finding_id>/redigera",
        "/lardomar/{finding_old}/redigera",
        intermediary_may(Role.CURATOR),
        finding_form,
        refused_unless_visible,
    ),
    FormPost(
        "/lardomar/<int:finding_id>/beslut",
        "/lardomar/{finding_proposed}/beslut",
        intermediary_may(Role.CURATOR),
        lambda world: {"decision": "accepterad"},
        lambda viewer: 403 if viewer.role != Role.CURATOR else 404,
    ),
    FormPost(
        "/lardomar/<int:finding_id>/ersatt",
        "/lardomar/{finding_old}/ersatt",
        intermediary_may(Role.CURATOR),
        lambda world: {"superseded_by_id": str(world.params["finding_add"])},
        refused_unless_visible,
    ),
    FormPost(
        "/krav/ny",
        "/krav/ny",
        has_role(Role.CURATOR),
        lambda world: {**version_form(world), "code": "MATRIS-09"},
    ),
    FormPost(
        "/krav/<int:requirement_id>/redigera",
        "/krav/{requirement}/redigera",
        has_role(Role.CURATOR),
        version_form,
    ),
    FormPost(
        "/krav/<int:requirement_id>/avveckla",
        "/krav/{requirement}/avveckla",
        has_role(Role.CURATOR),
        lambda world: {},
    ),
    FormPost(
        "/krav/<int:requirement_id>/aterinfor",
        "/krav/{requirement}/aterinfor",
        has_role(Role.CURATOR),
        lambda world: {},
    ),
    FormPost(
        "/underlag/ny-omgang",
        "/underlag/ny-omgang",
        has_role(Role.PROCURER),
        lambda world: {
            "area_id": str(world.params["area"]),
            "predecessor_id": str(world.params["next_round"]),
            "reference": "MATRIS 2030/1",
            "title": "Omgången därefter",
            "procurement_form": "lou_ramavtal",
        },
    ),
    FormPost(
        "/underlag/omgang/<int:round_id>/generera",
        "/underlag/omgang/{unplanned_round}/generera",
        intermediary_may(Role.PROCURER),
        lambda world: {},
    ),
    draft_post(
        "/underlag/{tender_draft}/krav/{chosen_item}/flytta", lambda world: {"riktning": "upp"}
    ),
    draft_post(
        "/underlag/{tender_draft}/krav/{kept_item}/uteslut",
        lambda world: {"reason": "Behövs inte."},
    ),
    draft_post("/underlag/{tender_draft}/krav/{kept_item}/ta-med"),
    draft_post(
        "/underlag/{tender_draft}/krav/{kept_item}/redigera",
        lambda world: {
            "based_on": str(world.params["kept_version"]),
            "title": "Bemanning",
            "text_md": "Bemanning ska redovisas varje månad.",
            "kind": "skall_krav",
            "level": "bas",
        },
    ),
    draft_post(
        "/underlag/{tender_draft}/lardomar",
        lambda world: {"finding_id": str(world.params["finding_add"])},
    ),
    draft_post("/underlag/{tender_draft}/krav/{chosen_item}/valj"),
    draft_post("/underlag/{tender_draft}/faststall"),
)
# Signing in and out act on the caller's own session (tests/test_auth.py).
# Sign-in and sign-out have their own tests; so do the API's writes (tests/test_api_*.py), the
# profile's token forms (tests/test_api_tokens.py) and imports (tests/test_import_routes.py).
POST_ELSEWHERE = {
    "/logga-in",
    "/logga-ut",
    "/api/v1/experiences",
    "/api/v1/experiences/<int:experience_id>",
    "/profil/nycklar",
    "/profil/nycklar/<int:token_id>/aterkalla",
    "/import/",
    "/import/<int:batch_id>/angra",
}


def database_state(app_db) -> dict[str, object]:
    with app_db() as session:
        return {
            "experiences": session.execute(
                select(Experience.id, Experience.worked_md, Experience.updated_at).order_by(
                    Experience.id
                )
            ).all(),
            "organisations": session.execute(
                select(Organisation.id, Organisation.name).order_by(Organisation.id)
            ).all(),
            "users": session.execute(
                select(User.id, User.name, User.email).order_by(User.id)
            ).all(),
            "audit_records": session.scalar(select(func.count(AuditRecord.id))),
        }


def test_every_form_route_is_in_the_post_matrix(app):
    covered = {post.rule for post in POST_MATRIX}
    assert served_rules(app, "POST") - POST_ELSEWHERE == covered


@pytest.mark.parametrize("viewer", each((*USERS, ANONYMOUS)))
def test_only_permitted_viewers_change_anything_through_a_form(app, world, app_db, viewer):
    client = signed_in(app, viewer)
    token = csrf_token_from(client.get("/logga-in" if viewer == ANONYMOUS else "/").text)
    wrong = []
    for post in POST_MATRIX:
        url = post.path.format(**world.params)
        before = database_state(app_db)
        response = client.post(url, data={**post.data(world), "csrf_token": token})
        allowed = viewer != ANONYMOUS and post.allowed(viewer)
        expected = 302 if allowed or viewer == ANONYMOUS else post.refused(viewer)
        changed = database_state(app_db) != before
        if response.status_code != expected or changed != allowed:
            wrong.append(f"{url}: got {response.status_code}, changed={changed}")
    assert wrong == [], f"{viewer.key}:\n" + "\n".join(wrong)


# --- 2. Experience pages --------------------------------------------------------------------


@pytest.mark.parametrize("viewer", each(USERS))
def test_experience_text_is_shown_exactly_to_its_readers(app, world, viewer):
    client = signed_in(app, viewer)
    for key, spec in EXPERIENCES.items():
        response = client.get(f"/erfarenheter/{world.params[key]}")
        body = response.get_data(as_text=True)
        if may_read(viewer, key):
            assert response.status_code == 200, key
            assert f"{spec.marker} fungerade" in body, key
            assert f"{spec.marker} råd" in body, key
        else:
            assert response.status_code == 404, key
            assert spec.marker not in body, key


# --- 3. Supplier and unit pages -------------------------------------------------------------

EXPERIENCE_LINK = re.compile(r'href="/erfarenheter/(\d+)"')
READABLE_HEADING = "Senaste erfarenheter du kan läsa"


def experience_links(html: str) -> set[int]:
    return {int(found) for found in EXPERIENCE_LINK.findall(html)}


@pytest.mark.parametrize("page", ["/leverantorer/{supplier}", "/verksamheter/{unit}"])
@pytest.mark.parametrize("viewer", each(USERS))
def test_supplier_and_unit_pages_link_exactly_the_readable_experiences(app, world, viewer, page):
    response = signed_in(app, viewer).get(page.format(**world.params))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert READABLE_HEADING in body
    assert experience_links(body) == readable_ids(world, viewer)
    assert [marker for marker in unreadable_markers(viewer) if marker in body] == []


# --- 4. Scorecards --------------------------------------------------------------------------

SUMMARY, AREAS, ROUNDS = "Sammanfattning", "Per avtalsområde", "Per upphandlingsomgång"
THEMES = "Betyg per tema (1–5), alla erfarenheter"
TOTAL, OFF_CONTRACT = "Totalt", "Utanför avtal"
ROUND = f"{ROUND_REFERENCE} {ROUND_TITLE}"
PLAN, STAFF = str(Theme.GENOMFORANDEPLAN.label), str(Theme.BEMANNING.label)
HIDDEN = "dold"


@dataclass
class Row:
    label: str
    count: str
    suppressed_text: str | None
    figures: list[str]


class ScorecardTables(HTMLParser):
    """Collect each table's rows, keyed by caption, noting cells marked as suppressed."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[tuple[bool, str]]]] = {}
        self._caption: str | None = None
        self._in_caption = False
        self._row: list[tuple[bool, str]] | None = None
        self._cell: list | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "caption":
            self._in_caption, self._caption = True, ""
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            classes = (dict(attrs).get("class") or "").split()
            self._cell = ["suppressed" in classes, ""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False
            self._caption = " ".join(self._caption.split())
            self.tables[self._caption] = []
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append((self._cell[0], " ".join(self._cell[1].split())))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._caption is not None:
            self.tables[self._caption].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self._caption += data
        elif self._cell is not None:
            self._cell[1] += data

    def rows(self, caption: str) -> dict[str, Row]:
        found = {}
        for cells in self.tables.get(caption, [])[1:]:  # the first row is the header
            (_, label), (_, count), *rest = cells
            suppressed = next((text for hidden, text in rest if hidden), None)
            found[label] = Row(label, count, suppressed, [text for _, text in rest])
        return found


def groups(html: str) -> dict[str, dict[str, object]]:
    """Caption -> label -> n when shown, or HIDDEN when suppressed."""
    tables = ScorecardTables(html)
    return {
        caption: {
            label: HIDDEN if row.suppressed_text is not None else int(row.count)
            for label, row in tables.rows(caption).items()
            if caption != THEMES or label in (PLAN, STAFF)
        }
        for caption in (SUMMARY, AREAS, ROUNDS, THEMES)
        if caption in tables.tables
    }


def scorecard(total, hvb, stod, in_round, off_contract, themes=None) -> dict:
    expected = {
        SUMMARY: {TOTAL: total},
        AREAS: {HVB: hvb, STOD: stod},
        ROUNDS: {ROUND: in_round, OFF_CONTRACT: off_contract},
    }
    if themes is not None:
        expected[THEMES] = themes
    return expected


# The network holds 3 submitted experiences at the unit: owner_1 (HVB, in the round),
# owner_2 (stödboende, off contract) and neighbour (HVB, in the round). The draft never counts.
NOT_READABLE_MIN_3 = scorecard(3, HIDDEN, HIDDEN, HIDDEN, HIDDEN, {PLAN: 3, STAFF: HIDDEN})
SCORECARD_CASES = [
    *(
        (viewer, 3, NOT_READABLE_MIN_3)
        for viewer in (
            NEIGHBOUR_CASEWORKER,
            Viewer("neighbour", Role.CURATOR),
            Viewer("intermediary", Role.PROCURER),
            Viewer("intermediary", Role.ADMIN),
        )
    ),
    (NEIGHBOUR_CASEWORKER, 2, scorecard(3, 2, HIDDEN, 2, HIDDEN, {PLAN: 3, STAFF: 2})),
    (NEIGHBOUR_CASEWORKER, 5, scorecard(HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    # Ägarby reads its own two, so a group of only those is never hidden.
    (OWNER_CASEWORKER, 3, scorecard(3, HIDDEN, 1, HIDDEN, 1, {PLAN: 3})),
    (Viewer("owner", Role.PROCURER), 3, scorecard(3, HIDDEN, 1, HIDDEN, 1, {PLAN: 3})),
    (OWNER_CASEWORKER, 5, scorecard(HIDDEN, HIDDEN, 1, HIDDEN, 1)),
    # The intermediary's curator reads everything, so nothing is hidden.
    (INTERMEDIARY_CURATOR, 5, scorecard(3, 2, 1, 2, 1, {PLAN: 3, STAFF: 2})),
]


@pytest.mark.parametrize("page", ["/leverantorer/{supplier}", "/verksamheter/{unit}"])
@pytest.mark.parametrize(
    ("viewer", "min_size", "expected"),
    [pytest.param(*case, id=f"{case[0].key}-min{case[1]}") for case in SCORECARD_CASES],
)
def test_scorecard_hides_small_groups_the_viewer_cannot_read(
    app, world, viewer, min_size, expected, page
):
    app.config["MIN_GROUP_SIZE"] = min_size
    body = signed_in(app, viewer).get(page.format(**world.params)).get_data(as_text=True)
    found = groups(body)
    for caption in (SUMMARY, AREAS, ROUNDS):
        assert found.get(caption) == expected[caption], caption
    if THEMES in expected:  # only the themes named; the others have no ratings at all
        assert {label: found[THEMES].get(label) for label in expected[THEMES]} == expected[THEMES]
    else:
        assert THEMES not in found
    hidden_groups = any(HIDDEN in found[caption].values() for caption in (SUMMARY, AREAS, ROUNDS))
    assert (f"Färre än {min_size} erfarenheter – visas inte" in body) == hidden_groups
    tables = ScorecardTables(body)
    for caption in (SUMMARY, AREAS, ROUNDS):
        for row in tables.rows(caption).values():
            if row.suppressed_text is not None:
                assert row.figures == [row.suppressed_text], row  # no figure next to it
            else:
                assert "%" in row.figures[0] + row.figures[1], row  # figures are shown
    for label, n in expected.get(THEMES, {}).items():
        suppressed_text = tables.rows(THEMES)[label].suppressed_text
        assert suppressed_text == ("För få svar" if n == HIDDEN else None), label


@pytest.mark.parametrize("page", ["/leverantorer/{supplier}", "/verksamheter/{unit}"])
@pytest.mark.parametrize("viewer", each(STANDALONE))
def test_an_organisation_outside_the_network_counts_no_experiences(app, world, viewer, page):
    body = signed_in(app, viewer).get(page.format(**world.params)).get_data(as_text=True)
    assert "Inga inskickade erfarenheter ännu." in body
    assert "Inga erfarenheter som du har behörighet att läsa." in body
    assert groups(body) == {}


def test_a_suppressed_group_does_not_reveal_how_many_experiences_it_holds(app, world):
    """DESIGN §5: a cell resting on fewer than MIN_GROUP_SIZE experiences is suppressed,
    and the count of such a group is itself such a cell."""
    app.config["MIN_GROUP_SIZE"] = 3
    page = "/verksamheter/{unit}".format(**world.params)
    tables = ScorecardTables(signed_in(app, NEIGHBOUR_CASEWORKER).get(page).text)
    revealed = {
        row.label: row.count
        for caption in (AREAS, ROUNDS, THEMES)
        for row in tables.rows(caption).values()
        if row.suppressed_text is not None and row.count not in ("", "0", "–")
    }
    assert revealed == {}


# --- 5 and 6. The caseworker's own pages ----------------------------------------------------


def own_ids(world: World, viewer: Viewer) -> set[int]:
    return {world.params[key] for key, spec in EXPERIENCES.items() if spec.author == viewer}


@pytest.mark.parametrize("viewer", each(CASEWORKERS))
def test_my_experiences_lists_exactly_my_own_including_drafts(app, world, viewer):
    body = signed_in(app, viewer).get("/erfarenheter/mina").get_data(as_text=True)
    assert experience_links(body) == own_ids(world, viewer)
    assert [marker for marker in unreadable_markers(viewer) if marker in body] == []


START_FIGURE = r"<strong>(\d+)</strong> {}"
RECENT_LIST = re.compile(r"Dina senaste erfarenheter</h3>\s*<ul[^>]*>(.*?)</ul>", re.S)


@pytest.mark.parametrize("viewer", each(CASEWORKERS))
def test_start_page_counts_only_my_own_experiences(app, world, viewer):
    body = signed_in(app, viewer).get("/").get_data(as_text=True)
    own = [spec for spec in EXPERIENCES.values() if spec.author == viewer]
    drafts = sum(spec.submitted_on is None for spec in own)
    figures = {
        label: int(re.search(START_FIGURE.format(label), body).group(1))
        for label in ("utkast att skicka in", "inskickade erfarenheter")
    }
    assert figures == {
        "utkast att skicka in": drafts,
        "inskickade erfarenheter": len(own) - drafts,
    }
    recent = RECENT_LIST.search(body)
    assert (recent.group(1).count("<li>") if recent else 0) == len(own)


# --- The change log -------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", each((Viewer("neighbour", Role.CURATOR), STANDALONE[1])))
def test_change_log_hides_the_text_of_an_imported_experience_from_other_curators(
    app, world, app_db, viewer
):
    """Experiences written outside a request (import, demo data) have no acting organisation."""
    with app_db() as session, acting_as(Actor(None, "import", None)):
        owner = session.get(Organisation, world.params["owner_org"])
        session.add(
            Experience(organisation=owner, worked_md="IMPORTTEXT", worked_html="<p>IMPORTTEXT</p>")
        )
        session.commit()
    response = signed_in(app, viewer).get("/logg/?entity=Experience")
    assert response.status_code == 200
    assert "IMPORTTEXT" not in response.get_data(as_text=True)
