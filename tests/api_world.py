"""A small fictional world for the API tests: one intermediary network and an outsider.

Provnätet (intermediary) has the members Ägarkommun (owns the experiences) and Grannkommun.
Each has users in the roles that matter, with a read+write API token each. The register has
two suppliers, three units (one with a protected address), two rounds and three contracts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from kb.api.tokens import create_token
from kb.auth.models import Role, User
from kb.experiences.models import (
    AgeBand,
    EndReason,
    Experience,
    ExperienceRating,
    ExperienceStatus,
    LegalBasis,
    PlacementKind,
    WouldPlaceAgain,
)
from kb.findings.models import Finding, FindingEvidence, FindingStatus, ProposedChange
from kb.organisations.models import Organisation, OrganisationKind
from kb.requirements.models import Requirement, RequirementKind, RequirementVersion
from kb.suppliers.models import AgreementArea, AreaCategory, LegalForm, Supplier, Unit
from kb.tenders.models import Contract, ProcurementForm, TenderRound
from kb.themes import Theme
from tests.factories import fictional_org_number

PROTECTED_ADDRESS = "Hemliga vägen 1"
OPEN_ADDRESS = "Öppna gatan 2"


@dataclass
class ApiWorld:
    users: dict[str, int] = field(default_factory=dict)  # key -> user id
    tokens: dict[str, str] = field(default_factory=dict)  # key -> token secret
    ids: dict[str, int] = field(default_factory=dict)

    def headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[key]}"}


def _user(session, organisation: Organisation, key: str, *roles: Role) -> User:
    user = User(
        name=f"Provperson {key}",
        email=f"{key}@{organisation.name.lower()}.example",
        organisation=organisation,
        password_hash="!",
    )
    user.set_roles(set(roles))
    session.add(user)
    return user


def _experience(session, author: User, unit: Unit, area: AgreementArea, **fields) -> Experience:
    status = fields.pop("status", ExperienceStatus.SUBMITTED)
    experience = Experience(
        organisation_id=author.organisation_id,
        author=author,
        unit=unit,
        agreement_area=area,
        off_contract=True,
        off_contract_reason="kapacitet",
        placement_kind=PlacementKind.TREATMENT,
        legal_basis=LegalBasis.SOL,
        age_band=AgeBand.AGE_13_15,
        start_year=2023,
        start_month=3,
        end_reason=EndReason.ONGOING,
        would_place_again=WouldPlaceAgain.YES,
        worked_md=fields.pop("text", "Det fungerade."),
        status=status,
        submitted_at=datetime(2024, 1, 1) if status == ExperienceStatus.SUBMITTED else None,
        ratings=[ExperienceRating(theme=theme, rating=4) for theme in Theme],
        **fields,
    )
    session.add(experience)
    return experience


def build_api_world(session) -> ApiWorld:
    intermediary = Organisation(name="Provnätet", kind=OrganisationKind.INTERMEDIARY)
    municipality = OrganisationKind.MUNICIPALITY
    owner = Organisation(name="Ägarkommun", kind=municipality, member_of=intermediary)
    neighbour = Organisation(name="Grannkommun", kind=municipality, member_of=intermediary)
    outsider = Organisation(name="Fristående", kind=municipality)
    area = AgreementArea(name="Provområde HVB", category=AreaCategory.IFO, cpv_codes=["85311000"])
    other_area = AgreementArea(name="Provområde skyddat", category=AreaCategory.IFO)
    supplier = Supplier(
        name="Provomsorg AB", org_number=fictional_org_number(811), legal_form=LegalForm.AKTIEBOLAG
    )
    other_supplier = Supplier(
        name="Skyddsboendet AB",
        org_number=fictional_org_number(812),
        legal_form=LegalForm.AKTIEBOLAG,
    )
    unit = Unit(supplier=supplier, name="Provgården", agreement_areas=[area], address=OPEN_ADDRESS)
    second = Unit(supplier=supplier, name="Provhuset", agreement_areas=[area], county="Provlän")
    protected = Unit(
        supplier=other_supplier,
        name="Skyddsgården",
        agreement_areas=[other_area],
        address=PROTECTED_ADDRESS,
        protected_address=True,
    )
    old_round = TenderRound(
        reference="API 2019/1",
        title="Gamla provavtalet",
        agreement_area=area,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=intermediary,
        contract_start=date(2019, 1, 1),
        contract_end=date(2021, 12, 31),
    )
    new_round = TenderRound(
        reference="API 2022/1",
        title="Nya provavtalet",
        agreement_area=area,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=intermediary,
        contract_start=date(2022, 1, 1),
        contract_end=date(2026, 12, 31),
        predecessor=old_round,
    )
    contracts = [
        Contract(tender_round=old_round, supplier=supplier, units=[unit], reference="API-A"),
        Contract(tender_round=new_round, supplier=supplier, units=[unit], reference="API-B"),
        Contract(tender_round=new_round, supplier=supplier, units=[second], reference="API-C"),
    ]
    session.add_all([owner, neighbour, outsider, protected, *contracts])
    session.flush()
    people = {
        "caseworker": _user(session, owner, "caseworker", Role.CASEWORKER),
        "colleague": _user(session, owner, "colleague", Role.CASEWORKER),
        "coordinator": _user(session, owner, "coordinator", Role.COORDINATOR),
        "neighbour": _user(session, neighbour, "neighbour", Role.CASEWORKER),
        "curator": _user(session, intermediary, "curator", Role.CURATOR),
        "procurer": _user(session, intermediary, "procurer", Role.PROCURER),
        "outsider": _user(session, outsider, "outsider", Role.CASEWORKER, Role.CURATOR),
    }
    session.flush()
    submitted = _experience(session, people["caseworker"], unit, area, text="Ägarmarkör text.")
    draft = _experience(
        session, people["caseworker"], second, area, status=ExperienceStatus.DRAFT, text="Utkast."
    )
    colleague_draft = _experience(
        session, people["colleague"], unit, area, status=ExperienceStatus.DRAFT
    )
    neighbours = _experience(session, people["neighbour"], second, area, text="Grannmarkör.")
    requirement = Requirement(
        code="API-01", owner_organisation=intermediary, agreement_areas=[area]
    )
    requirement.versions.append(
        RequirementVersion(
            number=1,
            title="Bemanning",
            text_md="Bemanning ska redovisas.",
            kind=RequirementKind.MANDATORY,
        )
    )
    published = Finding(
        organisation=intermediary,
        author=people["curator"],
        title="Publicerad lärdom",
        agreement_area=area,
        proposed_change=ProposedChange.MARKET_QUESTION,
        status=FindingStatus.ACCEPTED,
        published_at=datetime(2024, 2, 1),
    )
    unpublished = Finding(
        organisation=intermediary,
        author=people["curator"],
        title="Opublicerad lärdom",
        agreement_area=area,
        proposed_change=ProposedChange.MARKET_QUESTION,
        status=FindingStatus.PROPOSED,
    )
    session.add_all([requirement, published, unpublished])
    session.flush()
    session.add(FindingEvidence(finding=unpublished, experience=submitted))
    world = ApiWorld()
    now = datetime(2025, 1, 1)
    for key, user in people.items():
        world.users[key] = user.id
        world.tokens[key] = create_token(user, "Prov", "write", None, now).secret
    world.ids.update(
        area=area.id,
        other_area=other_area.id,
        supplier=supplier.id,
        unit=unit.id,
        second_unit=second.id,
        protected_unit=protected.id,
        old_round=old_round.id,
        new_round=new_round.id,
        new_contract=contracts[1].id,
        second_contract=contracts[2].id,
        submitted=submitted.id,
        draft=draft.id,
        colleague_draft=colleague_draft.id,
        neighbours=neighbours.id,
        requirement=requirement.id,
        published=published.id,
        unpublished=unpublished.id,
    )
    session.commit()
    return world
