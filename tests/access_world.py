"""The world the access tests run in: who looks, what there is, and who may read it.

One intermediary network, Matrisförbundet with its members Ägarby (which owns most of the
records) and Grannby, and Fjärranby, a municipality outside any network with records of its
own at its own supplier. Every network organisation has one user per role, Ägarby has a
second caseworker, and Fjärranby has a caseworker and a curator. Every user has an API token.

Texts carry marker words, so a page that shows what it shouldn't is caught by a plain
substring search. The rules below (may_read and friends) are written out by hand from DESIGN
§2 and §5 and never call the app's own visibility helpers, so the tests can disagree with the
app.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import docx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from config import TestConfig
from kb import create_app
from kb.api.tokens import create_token
from kb.audit.context import Actor, acting_as
from kb.auth.models import Role, User
from kb.database import Base, utcnow
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
from kb.extensions import db as kb_db
from kb.findings.models import Finding, FindingEvidence, FindingStatus, ProposedChange
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
from kb.imports.models import ImportBatch
from kb.organisations.models import Organisation, OrganisationKind
from kb.requirements.models import Requirement, RequirementKind, RequirementVersion
from kb.suppliers.models import AgreementArea, AreaCategory, LegalForm, Supplier, Unit
from kb.tender_drafts.models import DraftSection, Provenance, TenderDraft, TenderDraftItem
from kb.tenders.models import Contract, ProcurementForm, TenderRound
from kb.themes import Theme
from tests.conftest import POSTGRES_URL, _truncate_all, post_form, require_postgres
from tests.factories import Factory, _default_hash, fictional_org_number

# --- Who ------------------------------------------------------------------------------------

NETWORK = ("owner", "neighbour", "intermediary")
MEMBERS = ("owner", "neighbour")
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
INTERMEDIARY_PROCURER = Viewer("intermediary", Role.PROCURER)
OWNER_COORDINATOR = Viewer("owner", Role.COORDINATOR)
STANDALONE = (Viewer("standalone", Role.CASEWORKER), Viewer("standalone", Role.CURATOR))
FAR_CASEWORKER, FAR_CURATOR = STANDALONE
USERS = (
    *(Viewer(org, role) for org in NETWORK for role in Role),
    COLLEAGUE,
    *STANDALONE,
)
CASEWORKERS = tuple(viewer for viewer in USERS if viewer.role == Role.CASEWORKER)
EVERY_VIEWER = (*USERS, ANONYMOUS)


def each(viewers: tuple[Viewer, ...]) -> list:
    return [pytest.param(viewer, id=viewer.key) for viewer in viewers]


def in_network(viewer: Viewer) -> bool:
    return viewer.org in NETWORK


# --- What -----------------------------------------------------------------------------------

HVB, STOD = "Matrisområde HVB", "Matrisområde stödboende"
ROUND_REFERENCE, ROUND_TITLE = "MATRIS 2022/1", "Matrisavtalet HVB"
SEARCH_WORD = "zebrakod"  # in the text of every confidential record, for the search tests


@dataclass(frozen=True)
class ExperienceSpec:
    author: Viewer
    marker: str
    area: str
    contract: str | None  # a key of World.params, or None for off-contract
    submitted_on: datetime | None
    ratings: dict[Theme, int]
    unit: str = "unit"
    daily_price: int | None = None
    end_reason: EndReason | None = None
    would_place_again: WouldPlaceAgain | None = None


EXPERIENCES = {
    "owner_1": ExperienceSpec(
        author=OWNER_CASEWORKER,
        marker="ÄGARTEXT-1",
        area=HVB,
        contract="contract",
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
        contract=None,
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
        contract="contract",
        submitted_on=None,
        ratings={Theme.GENOMFORANDEPLAN: 1},
    ),
    "neighbour": ExperienceSpec(
        author=NEIGHBOUR_CASEWORKER,
        marker="GRANNTEXT",
        area=HVB,
        contract="contract",
        submitted_on=datetime(2024, 5, 1),
        ratings={Theme.GENOMFORANDEPLAN: 2},
        daily_price=5000,
        end_reason=EndReason.BREAKDOWN,
        would_place_again=WouldPlaceAgain.NO,
    ),
    "far": ExperienceSpec(
        author=FAR_CASEWORKER,
        marker="FJÄRRTEXT",
        area=HVB,
        contract="far_contract",
        submitted_on=datetime(2024, 6, 1),
        ratings={Theme.GENOMFORANDEPLAN: 3},
        unit="far_unit",
        daily_price=3000,
        end_reason=EndReason.PLANNED,
        would_place_again=WouldPlaceAgain.YES,
    ),
}
MATRIS_EXPERIENCES = tuple(key for key, spec in EXPERIENCES.items() if spec.unit == "unit")


def may_read(viewer: Viewer, key: str) -> bool:
    """Drafts for their author; submitted text for its organisation and the curators of the
    intermediary the organisation belongs to."""
    spec = EXPERIENCES[key]
    if spec.submitted_on is None:
        return viewer == spec.author
    return viewer.org == spec.author.org or (
        viewer == INTERMEDIARY_CURATOR and spec.author.org in MEMBERS
    )


def readable_ids(world: World, viewer: Viewer, unit: str | None = None) -> set[int]:
    return {
        world.params[key]
        for key, spec in EXPERIENCES.items()
        if may_read(viewer, key) and unit in (None, spec.unit)
    }


def experience_markers(viewer: Viewer) -> list[str]:
    """The markers of the experiences the viewer may not read."""
    return [spec.marker for key, spec in EXPERIENCES.items() if not may_read(viewer, key)]


def unreadable_markers(viewer: Viewer) -> list[str]:
    """Every marker of a record the viewer may not read: experiences, and the records of
    the other network (Fjärranby's for the Matris network and the reverse)."""
    markers = experience_markers(viewer)
    if viewer.org != "standalone":
        markers += FAR_MARKERS
    if viewer.org not in NETWORK:
        markers += NETWORK_MARKERS
    if not may_see_finding(viewer, "finding_proposed"):
        markers.append(UNPUBLISHED_MARKER)
    return markers


@dataclass(frozen=True)
class FindingSpec:
    org: str  # the owning organisation
    published: bool
    evidence_authors: tuple[Viewer, ...] = ()


FINDINGS = {
    **{
        key: FindingSpec("intermediary", True)
        for key in ("finding", "finding_b", "finding_add", "finding_old", "finding_applied")
    },
    "finding_proposed": FindingSpec("intermediary", False, (OWNER_CASEWORKER,)),
    "finding_applied_unpublished": FindingSpec("intermediary", False),
    "far_finding": FindingSpec("standalone", True),
}


def same_network(org: str | None, other: str) -> bool:
    return org == other or (org in NETWORK and other in NETWORK)


def may_see_finding(viewer: Viewer, key: str) -> bool:
    """The owning organisation sees its findings; its network the published ones; the author
    of an experience behind a finding sees that finding."""
    spec = FINDINGS[key]
    if viewer.org == spec.org or viewer in spec.evidence_authors:
        return True
    return spec.published and same_network(viewer.org, spec.org)


# Follow-ups, deviations and checks: the organisation that recorded them; the whole network
# reads them.
NETWORK_RECORDS = {
    "followup": ("followup", "owner"),
    "deviation": ("deviation", "owner"),
    "check": ("supplier_check", "owner"),
    "far_followup": ("followup", "standalone"),
    "far_deviation": ("deviation", "standalone"),
    "far_check": ("supplier_check", "standalone"),
}


def may_read_record(viewer: Viewer, key: str) -> bool:
    return same_network(viewer.org, NETWORK_RECORDS[key][1])


def mentions(body: str, word: str) -> bool:
    """True when the word is in the page, as HTML text or JSON-escaped."""
    return word in body or json.dumps(word)[1:-1] in body


# Records of one network that the other network never sees (follow-ups, deviations, checks,
# findings), and the text of the intermediary's unpublished finding.
FAR_MARKERS = ["FJÄRRUPPFÖLJNING", "FJÄRRAVVIKELSE", "FJÄRRKONTROLL", "FJÄRRLÄRDOM"]
NETWORK_MARKERS = ["MATRISUPPFÖLJNING", "MATRISAVVIKELSE", "MATRISKONTROLL"]
UNPUBLISHED_MARKER = "OPUBLICERAD-LÄRDOM"


# --- The world ------------------------------------------------------------------------------


@dataclass
class World:
    params: dict[str, int]
    tokens: dict[str, str] = field(default_factory=dict)  # viewer key -> API token

    def headers(self, viewer: Viewer) -> dict[str, str]:
        if viewer == ANONYMOUS:
            return {}
        return {"Authorization": f"Bearer {self.tokens[viewer.key]}"}


def _organisations() -> dict[str, Organisation]:
    intermediary = Organisation(name="Matrisförbundet", kind=OrganisationKind.INTERMEDIARY)
    organisations = {"intermediary": intermediary}
    for org in MEMBERS:
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
        password_hash=_default_hash(),
    )
    user.set_roles({viewer.role})
    return user


def _markdown(text: str) -> dict[str, str]:
    return {"md": text, "html": f"<p>{text}</p>"}


def _experience(spec: ExperienceSpec, author: User, register: dict) -> Experience:
    ended = spec.end_reason is not None
    narrative = {
        "worked": f"{spec.marker} fungerade {SEARCH_WORD}",
        "not_worked": f"{spec.marker} brister",
        "advice": f"{spec.marker} råd",
    }
    return Experience(
        organisation_id=author.organisation_id,
        author_id=author.id,
        unit=register[spec.unit],
        agreement_area=register[spec.area],
        contract=register[spec.contract] if spec.contract else None,
        off_contract=spec.contract is None,
        off_contract_reason=None if spec.contract else OffContractReason.GEOGRAPHY,
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


def _followed_up(owner: Organisation, author: User, supplier: Supplier, unit: Unit, marker: str):
    """A follow-up, a deviation and a supplier check, recorded by the author."""
    summary = _markdown(f"{marker}UPPFÖLJNING {SEARCH_WORD} utan anmärkning.")
    description = _markdown(f"{marker}AVVIKELSE {SEARCH_WORD} i bemanningen.")
    return {
        "followup": FollowUp(
            organisation=owner,
            author=author,
            title=f"{marker}UPPFÖLJNING",  # the marker in the title: lists show titles
            kind=FollowUpKind.SPECIAL,
            scope=FollowUpScope.UNIT,
            unit=unit,
            methods=["anmalt_besok"],
            period_start=date(2024, 9, 1),
            summary_md=summary["md"],
            summary_html=summary["html"],
        ),
        "deviation": Deviation(
            organisation=owner,
            reported_by=author,
            unit=unit,
            occurred_on=date(2024, 10, 1),
            category=DeviationCategory.STAFFING,
            severity=Severity.MEDIUM,
            description_md=description["md"],
            description_html=description["html"],
        ),
        "check": SupplierCheck(
            organisation=owner,
            supplier=supplier,
            kind=CheckKind.CREDIT,
            checked_on=date(2024, 10, 1),
            result=CheckResult.OK,
            value="80",
            note=f"{marker}KONTROLL {SEARCH_WORD}",
            next_due=date(2025, 4, 1),
        ),
    }


def _register(session, organisations: dict) -> dict:
    """Areas, the two suppliers with a unit each, a framework round of each network."""
    areas = {name: AgreementArea(name=name, category=AreaCategory.IFO) for name in (HVB, STOD)}
    supplier = Supplier(
        name="Matrishemmen AB",
        org_number=fictional_org_number(4711),
        legal_form=LegalForm.AKTIEBOLAG,
    )
    far_supplier = Supplier(
        name="Fjärrvården AB",
        org_number=fictional_org_number(4712),
        legal_form=LegalForm.AKTIEBOLAG,
    )
    unit = Unit(supplier=supplier, name="Matrisgården", agreement_areas=list(areas.values()))
    far_unit = Unit(supplier=far_supplier, name="Fjärrgården", agreement_areas=[areas[HVB]])
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
    far_round = TenderRound(
        reference="FJÄRR 2022/1",
        title="Fjärranbys HVB-avtal",
        agreement_area=areas[HVB],
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=organisations["standalone"],
        contract_start=date(2022, 1, 1),
        contract_end=date(2025, 12, 31),
    )
    contract = Contract(
        tender_round=tender_round, supplier=supplier, units=[unit], reference="MATRIS-A"
    )
    far_contract = Contract(
        tender_round=far_round, supplier=far_supplier, units=[far_unit], reference="FJÄRR-A"
    )
    session.add_all([contract, far_contract])
    return {
        **areas,
        "unit": unit,
        "far_unit": far_unit,
        "supplier": supplier,
        "far_supplier": far_supplier,
        "round": tender_round,
        "far_round": far_round,
        "contract": contract,
        "far_contract": far_contract,
    }


def build_world(session) -> World:
    organisations = _organisations()
    register = _register(session, organisations)
    users = {viewer: _user(viewer, organisations[viewer.org]) for viewer in USERS}
    session.add_all([*organisations.values(), *users.values()])
    session.commit()
    params: dict[str, int] = {}
    for key, spec in EXPERIENCES.items():
        author = users[spec.author]
        # Written as the author, like the form does, so the audit rows carry their organisation.
        with acting_as(Actor(author.id, author.email, author.organisation_id)):
            experience = _experience(spec, author, register)
            session.add(experience)
            session.commit()
            params[key] = experience.id
    for prefix, author, org, supplier, unit in (
        ("", users[OWNER_COORDINATOR], "owner", "supplier", "unit"),
        ("far_", users[FAR_CURATOR], "standalone", "far_supplier", "far_unit"),
    ):
        with acting_as(Actor(author.id, author.email, author.organisation_id)):
            marker = "FJÄRR" if prefix else "MATRIS"
            followed = _followed_up(
                organisations[org], author, register[supplier], register[unit], marker
            )
            session.add_all(followed.values())
            session.commit()
        params.update({prefix + name: obj.id for name, obj in followed.items()})
    register["experience_ids"] = {key: params[key] for key in EXPERIENCES}
    params.update(_learning_loop(session, organisations, register, users))
    params.update(_far_learning(session, organisations, register, users))
    params.update(_import_batches(session, organisations, users))
    world = World(params)
    for viewer, user in users.items():
        created = create_token(user, "Matrisnyckel", "write", None, utcnow())
        world.tokens[viewer.key] = created.secret
        params[f"token_{viewer.key}"] = created.token.id
    session.commit()
    params.update({f"{name}_org": org.id for name, org in organisations.items()})
    params.update({f"user_{viewer.key}": user.id for viewer, user in users.items()})
    params.update(
        owner_caseworker=users[OWNER_CASEWORKER].id,
        standalone_caseworker=users[FAR_CASEWORKER].id,
        area=register[HVB].id,
        stod_area=register[STOD].id,
        **{name: register[name].id for name in ("round", "far_round", "contract", "far_contract")},
        **{name: register[name].id for name in ("supplier", "far_supplier", "unit", "far_unit")},
        missing=1_000_000,
    )
    return world


def _requirement(owner: Organisation, area: AgreementArea, code: str, title: str) -> Requirement:
    made = Requirement(code=code, owner_organisation=owner, agreement_areas=[area])
    made.versions.append(
        RequirementVersion(
            number=1,
            title=title,
            text_md=f"{title} ska redovisas {SEARCH_WORD}.",
            text_html=f"<p>{title} ska redovisas {SEARCH_WORD}.</p>",
            kind=RequirementKind.MANDATORY,
            frozen_at=datetime(2021, 12, 1),
        )
    )
    return made


def _learning_loop(session, organisations: dict, register: dict, users: dict) -> dict:
    """Two requirements, findings, and a draft for the next round in which two findings change
    MATRIS-02: a conflict the procurer resolves."""
    owner = organisations["intermediary"]
    area, base = register[HVB], register["round"]
    frozen = datetime(2021, 12, 1)

    def finding(title: str, change: ProposedChange, **fields) -> Finding:
        return Finding(
            organisation=owner,
            author=users[INTERMEDIARY_CURATOR],
            title=title,
            agreement_area=area,
            proposed_change=change,
            statement_md=fields.pop("statement", f"Matrislärdom {SEARCH_WORD}."),
            proposed_text_md=fields.pop("text", "Ny kravtext om bemanning."),
            status=fields.pop("status", FindingStatus.ACCEPTED),
            published_at=fields.pop("published_at", frozen),
            **fields,
        )

    staffing = _requirement(owner, area, "MATRIS-01", "Bemanning")
    reporting = _requirement(owner, area, "MATRIS-02", "Rapport")
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
            f"Matrislärdom E {UNPUBLISHED_MARKER}",
            ProposedChange.MARKET_QUESTION,
            statement=f"{UNPUBLISHED_MARKER} {SEARCH_WORD}.",
            status=FindingStatus.PROPOSED,
            published_at=None,
        ),
        "finding_applied": finding(
            "Matrislärdom F",
            ProposedChange.MARKET_QUESTION,
            status=FindingStatus.APPLIED,
            applied_in_round=base,
        ),
        "finding_applied_unpublished": finding(
            "Matrislärdom G",
            ProposedChange.MARKET_QUESTION,
            status=FindingStatus.APPLIED,
            applied_in_round=base,
            published_at=None,
        ),
    }
    evidence = FindingEvidence(
        finding=findings["finding_proposed"],
        experience=session.get(Experience, register["experience_ids"]["owner_1"]),
    )
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
    session.add_all([staffing, reporting, *findings.values(), evidence, following, unplanned])
    session.add(draft)
    session.commit()
    return {
        **{key: obj.id for key, obj in findings.items()},
        "staffing_requirement": staffing.id,
        "requirement": reporting.id,
        "next_round": following.id,
        "unplanned_round": unplanned.id,
        "tender_draft": draft.id,
        "kept_item": kept.id,
        "kept_version": staffing.versions[0].id,
        "chosen_item": draft.items[2].id,
    }


def _far_learning(session, organisations: dict, register: dict, users: dict) -> dict:
    """Fjärranby's own requirement, an accepted finding in the same area as the Matris rounds,
    and a draft for its next round."""
    owner = organisations["standalone"]
    requirement = _requirement(owner, register[HVB], "FJARR-01", "Fjärrbemanning")
    finding = Finding(
        organisation=owner,
        author=users[FAR_CURATOR],
        title="FJÄRRLÄRDOM om platser",
        agreement_area=register[HVB],
        proposed_change=ProposedChange.MARKET_QUESTION,
        statement_md=f"FJÄRRLÄRDOM {SEARCH_WORD}.",
        proposed_text_md="FJÄRRLÄRDOM: hur många platser har ni?",
        status=FindingStatus.ACCEPTED,
        published_at=datetime(2022, 1, 1),
    )
    following = TenderRound(
        reference="FJÄRR 2026/1",
        title="Fjärranbys nästa avtal",
        agreement_area=register[HVB],
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=owner,
        predecessor=register["far_round"],
    )
    draft = TenderDraft(tender_round=following, title="Fjärrunderlag")
    item = TenderDraftItem(
        section=DraftSection.SERVICE,
        position=0,
        requirement_version=requirement.versions[0],
        provenance=Provenance.CARRIED_OVER,
    )
    draft.items = [item]
    session.add_all([requirement, finding, following, draft])
    session.commit()
    return {
        "far_requirement": requirement.id,
        "far_finding": finding.id,
        "far_next_round": following.id,
        "far_draft": draft.id,
        "far_item": item.id,
    }


def _import_batches(session, organisations: dict, users: dict) -> dict:
    """An import by the intermediary's curator and one by Fjärranby's, with nothing in them."""
    batches = {
        "batch": ImportBatch(
            kind="suppliers",
            filename="matris.csv",
            file_format="csv",
            organisation=organisations["intermediary"],
            created_by=users[INTERMEDIARY_CURATOR],
        ),
        "far_batch": ImportBatch(
            kind="suppliers",
            filename="fjarr.csv",
            file_format="csv",
            organisation=organisations["standalone"],
            created_by=users[FAR_CURATOR],
        ),
    }
    session.add_all(batches.values())
    session.commit()
    return {key: batch.id for key, batch in batches.items()}


# --- Apps and clients -----------------------------------------------------------------------


def signed_in(app: Flask, viewer: Viewer) -> FlaskClient:
    client = app.test_client()
    if viewer != ANONYMOUS:
        form = {"email": viewer.email, "password": Factory.PASSWORD}
        response = post_form(client, "/logga-in", form)
        assert response.status_code == 302, f"{viewer.key} could not sign in"
    return client


@dataclass
class SharedWorld:
    """One app and world for a whole module, for tests that only read."""

    app: Flask
    world: World
    backend: str
    clients: dict[Viewer, FlaskClient] = field(default_factory=dict)

    def client(self, viewer: Viewer) -> FlaskClient:
        if viewer not in self.clients:
            self.clients[viewer] = signed_in(self.app, viewer)
        return self.clients[viewer]


def open_shared_world(backend: str, folder, sqlite_template, postgres_engine) -> Iterator:
    """Build the world once: SQLite with Whoosh, or PostgreSQL with its own search backend.
    The index is kept in step as the world is written (SEARCH_SYNC="sync")."""
    if backend == "sqlite":
        shutil.copyfile(sqlite_template, folder / "kb.sqlite")
        url, search = f"sqlite:///{folder / 'kb.sqlite'}", "whoosh"
    else:
        if postgres_engine is None:
            require_postgres()
        _truncate_all(postgres_engine)
        url, search = POSTGRES_URL, "postgres"
    overrides = {
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": folder / "instance",
        "SEARCH_BACKEND": search,
        "SEARCH_SYNC": "sync",
    }
    app = create_app(TestConfig, overrides)
    with app.app_context():
        world = build_world(kb_db.session)
    yield SharedWorld(app, world, backend)
    with app.app_context():
        kb_db.session.remove()
        kb_db.engine.dispose()


# --- Reading responses and the database -----------------------------------------------------

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def text_of(response) -> str:
    """The response as text; a Word document by its paragraphs and table cells."""
    if response.mimetype != DOCX:
        return response.get_data(as_text=True)
    document = docx.Document(io.BytesIO(response.data))
    cells = (cell.text for table in document.tables for row in table.rows for cell in row.cells)
    return "\n".join([*(p.text for p in document.paragraphs), *cells])


# What a request may change without changing anything a user wrote: the search queue and
# index, sign-in bookkeeping, and when a token was last used.
VOLATILE_TABLES = {"search_outbox", "search_documents", "search_facet_sets", "login_failures"}
VOLATILE_COLUMNS = {
    "api_tokens": {"last_used_at"},
    "users": {"last_login_at", "failed_login_count", "locked_until", "updated_at"},
}


def table_contents(session) -> dict[str, list[str]]:
    """Every row of every table the app owns, in primary-key order, each as its repr. The
    audit trail is append-only (triggers refuse the rest), so its ids say all."""
    contents = {}
    for table in Base.metadata.sorted_tables:
        if table.name in VOLATILE_TABLES:
            continue
        if table.name == "audit_records":
            contents[table.name] = [repr(session.execute(select(table.c.id)).scalars().all())]
            continue
        skipped = VOLATILE_COLUMNS.get(table.name, set())
        columns = [column for column in table.columns if column.name not in skipped]
        order = list(table.primary_key.columns) or columns
        rows = session.execute(select(*columns).order_by(*order)).all()
        contents[table.name] = [repr(tuple(row)) for row in rows]
    return contents


def differences(before: dict, after: dict) -> dict[str, int]:
    """Tables whose rows changed, with how many rows differ."""
    return {
        name: len(set(before[name]) ^ set(after[name]))
        for name in before
        if before[name] != after[name]
    }
