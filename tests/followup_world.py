"""A small fictional network for follow-up tests.

Uppföljningsförbundet (an intermediary) has two members, Hemby and Grannby; Fjärranby belongs
to no intermediary. Hemby led the HVB round, so Hemby and its intermediary may follow up what
hangs on it; Grannby took no part, so it may not. The LSS round belongs to Fjärranby alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kb.auth.models import Role, User
from kb.experiences.models import Experience, ExperienceStatus
from kb.followups.models import Deviation, DeviationCategory, Severity
from kb.organisations.models import Organisation, OrganisationKind
from kb.suppliers.models import AgreementArea, AreaCategory, LegalForm, Supplier, Unit
from kb.tenders.models import Contract, ProcurementForm, TenderRound
from tests.factories import Factory, fictional_org_number


@dataclass(frozen=True)
class FollowUpWorld:
    home_org: int
    neighbour_org: int
    intermediary_org: int
    outsider_org: int
    coordinator: str  # Hemby
    caseworker: str  # Hemby
    neighbour_coordinator: str  # Grannby
    neighbour_caseworker: str
    curator: str  # the intermediary
    intermediary_coordinator: str
    outsider_coordinator: str  # Fjärranby
    outsider_caseworker: str
    area_id: int
    other_area_id: int
    round_id: int
    other_round_id: int
    supplier_id: int
    other_supplier_id: int
    unit_id: int
    other_unit_id: int
    contract_id: int
    other_contract_id: int
    home_experience: int  # submitted in Hemby
    home_draft: int  # a Hemby caseworker's draft
    neighbour_experience: int  # submitted in Grannby
    home_deviation: int
    outsider_deviation: int


def _round(reference: str, area: AgreementArea, lead: Organisation, **fields) -> TenderRound:
    return TenderRound(
        reference=reference,
        title=f"Ramavtal {area.name}",
        agreement_area=area,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=lead,
        contract_start=date(2023, 1, 1),
        contract_end=date(2026, 12, 31),
        **fields,
    )


def _experience(author: User, unit: Unit, area: AgreementArea, status: ExperienceStatus):
    return Experience(
        organisation_id=author.organisation_id,
        author_id=author.id,
        unit_id=unit.id,
        agreement_area_id=area.id,
        start_year=2024,
        start_month=2,
        status=status,
        submitted_at=datetime(2024, 9, 1) if status == ExperienceStatus.SUBMITTED else None,
        worked_md="Kontaktpersonen var tillgänglig.",
    )


def _deviation(organisation: Organisation, unit: Unit) -> Deviation:
    return Deviation(
        organisation=organisation,
        unit=unit,
        occurred_on=date(2025, 2, 10),
        category=DeviationCategory.STAFFING,
        severity=Severity.HIGH,
        description_md="Nattbemanningen var en person.",
    )


def build_followup_world(session, make: Factory) -> FollowUpWorld:
    intermediary = Organisation(name="Uppföljningsförbundet", kind=OrganisationKind.INTERMEDIARY)
    home = Organisation(name="Hemby", kind=OrganisationKind.MUNICIPALITY, member_of=intermediary)
    neighbour = Organisation(
        name="Grannby", kind=OrganisationKind.MUNICIPALITY, member_of=intermediary
    )
    outsider = Organisation(name="Fjärranby", kind=OrganisationKind.MUNICIPALITY)
    area = AgreementArea(name="Uppföljningsområde HVB", category=AreaCategory.IFO)
    other_area = AgreementArea(name="Uppföljningsområde LSS", category=AreaCategory.FO)
    supplier = Supplier(
        name="Solgårdens Omsorg AB",
        org_number=fictional_org_number(811),
        legal_form=LegalForm.AKTIEBOLAG,
    )
    other_supplier = Supplier(
        name="Fjärrhemmet AB", org_number=fictional_org_number(812), legal_form=LegalForm.AKTIEBOLAG
    )
    unit = Unit(supplier=supplier, name="Solgården", agreement_areas=[area])
    other_unit = Unit(supplier=other_supplier, name="Fjärrgården", agreement_areas=[other_area])
    hvb = _round("UPF 2022/1", area, home)
    lss = _round("FJR 2022/9", other_area, outsider)
    contract = Contract(tender_round=hvb, supplier=supplier, units=[unit], reference="UPF-A")
    other_contract = Contract(
        tender_round=lss, supplier=other_supplier, units=[other_unit], reference="FJR-A"
    )
    session.add_all([home, neighbour, outsider, contract, other_contract])
    session.commit()

    def user(role: Role, organisation: Organisation, email: str) -> User:
        return session.get(User, make.user(role, organisation=organisation.id, email=email))

    caseworker = user(Role.CASEWORKER, home, "socsek@hemby.example")
    neighbour_caseworker = user(Role.CASEWORKER, neighbour, "socsek@grannby.example")
    people = {
        "coordinator": user(Role.COORDINATOR, home, "samordnare@hemby.example"),
        "neighbour_coordinator": user(Role.COORDINATOR, neighbour, "samordnare@grannby.example"),
        "curator": user(Role.CURATOR, intermediary, "kunskap@forbundet.example"),
        "intermediary_coordinator": user(
            Role.COORDINATOR, intermediary, "samordnare@forbundet.example"
        ),
        "outsider_coordinator": user(Role.COORDINATOR, outsider, "samordnare@fjarranby.example"),
        "outsider_caseworker": user(Role.CASEWORKER, outsider, "socsek@fjarranby.example"),
    }
    rows = [
        _experience(caseworker, unit, area, ExperienceStatus.SUBMITTED),
        _experience(caseworker, unit, area, ExperienceStatus.DRAFT),
        _experience(neighbour_caseworker, unit, area, ExperienceStatus.SUBMITTED),
        _deviation(home, unit),
        _deviation(outsider, other_unit),
    ]
    session.add_all(rows)
    session.commit()
    return FollowUpWorld(
        home_org=home.id,
        neighbour_org=neighbour.id,
        intermediary_org=intermediary.id,
        outsider_org=outsider.id,
        caseworker=caseworker.email,
        neighbour_caseworker=neighbour_caseworker.email,
        **{name: person.email for name, person in people.items()},
        area_id=area.id,
        other_area_id=other_area.id,
        round_id=hvb.id,
        other_round_id=lss.id,
        supplier_id=supplier.id,
        other_supplier_id=other_supplier.id,
        unit_id=unit.id,
        other_unit_id=other_unit.id,
        contract_id=contract.id,
        other_contract_id=other_contract.id,
        home_experience=rows[0].id,
        home_draft=rows[1].id,
        neighbour_experience=rows[2].id,
        home_deviation=rows[3].id,
        outsider_deviation=rows[4].id,
    )


def followup_form(world: FollowUpWorld, **overrides) -> dict:
    """A complete, valid follow-up form as the browser would post it."""
    data = {
        "title": "Oanmält platsbesök på Solgården",
        "kind": "handelsestyrd",
        "scope": "unit",
        "unit_id": str(world.unit_id),
        "methods": ["oanmalt_besok", "intervju_personal"],
        "period_start": "2025-03-01",
        "period_end": "2025-03-31",
        "summary_md": "Besöket visade **brister** i nattbemanningen.",
        "result": "allvarliga_brister",
        "actions_taken": "Avtalet pausas i väntan på åtgärdsplan.",
        "experience_ids": [str(world.home_experience)],
        "deviation_ids": [str(world.home_deviation)],
    }
    data.update(overrides)
    return data
