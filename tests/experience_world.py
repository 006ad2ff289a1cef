"""A small fictional world for experience tests: one area, two units, contracts by period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kb.auth.models import Role, User
from kb.organisations.models import Organisation, OrganisationKind
from kb.suppliers.models import AgreementArea, AreaCategory, LegalForm, Supplier, Unit
from kb.tenders.models import Contract, ProcurementForm, TenderRound
from kb.themes import Theme
from tests.factories import Factory, fictional_org_number


@dataclass(frozen=True)
class World:
    caseworker_email: str
    colleague_email: str
    outsider_email: str
    area_id: int
    other_area_id: int
    unit_id: int
    other_unit_id: int
    old_contract_id: int
    new_contract_id: int
    other_unit_contract_id: int


def build_world(session, make: Factory) -> World:
    intermediary = Organisation(name="Provförbundet", kind=OrganisationKind.INTERMEDIARY)
    home = Organisation(name="Provby", kind=OrganisationKind.MUNICIPALITY, member_of=intermediary)
    elsewhere = Organisation(
        name="Annanby", kind=OrganisationKind.MUNICIPALITY, member_of=intermediary
    )
    area = AgreementArea(name="Provområde HVB", category=AreaCategory.IFO)
    other_area = AgreementArea(name="Provområde LSS", category=AreaCategory.FO)
    supplier = Supplier(
        name="Provhemmet AB", org_number=fictional_org_number(901), legal_form=LegalForm.AKTIEBOLAG
    )
    unit = Unit(supplier=supplier, name="Provgården", agreement_areas=[area])
    other_unit = Unit(supplier=supplier, name="Testhyddan", agreement_areas=[area, other_area])
    old = TenderRound(
        reference="PRV 2019/1",
        title="Gamla avtalet",
        agreement_area=area,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=intermediary,
        contract_start=date(2019, 1, 1),
        contract_end=date(2021, 12, 31),
    )
    new = TenderRound(
        reference="PRV 2021/7",
        title="Nya avtalet",
        agreement_area=area,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=intermediary,
        contract_start=date(2022, 1, 1),
        contract_end=date(2025, 12, 31),
        predecessor=old,
    )
    old_contract = Contract(tender_round=old, supplier=supplier, units=[unit], reference="PRV-A")
    new_contract = Contract(tender_round=new, supplier=supplier, units=[unit], reference="PRV-B")
    other_contract = Contract(
        tender_round=new, supplier=supplier, units=[other_unit], reference="PRV-C"
    )
    session.add_all([home, elsewhere, old_contract, new_contract, other_contract, other_area])
    session.commit()
    users = [
        make.user(Role.CASEWORKER, organisation=home.id, email="socsek@provby.example"),
        make.user(Role.CASEWORKER, organisation=home.id, email="kollega@provby.example"),
        make.user(Role.CASEWORKER, organisation=elsewhere.id, email="socsek@annanby.example"),
    ]
    emails = [session.get(User, user_id).email for user_id in users]
    return World(
        *emails,
        area.id,
        other_area.id,
        unit.id,
        other_unit.id,
        old_contract.id,
        new_contract.id,
        other_contract.id,
    )


def complete_form(world: World, **overrides: str) -> dict[str, str]:
    """A fully filled, valid experience form as the browser would post it."""
    data = {
        "submission_key": overrides.pop("submission_key", "nyckel-1"),
        "unit_id": str(world.unit_id),
        "agreement_area_id": str(world.area_id),
        "contract_id": str(world.new_contract_id),
        "off_contract_reason": "",
        "placement_kind": "behandling",
        "legal_basis": "lvu",
        "age_band": "13-15",
        "start": "2023-02",
        "end": "2023-11",
        "end_reason": "planerat",
        "goal_attainment": "3",
        "daily_price": "4 850",
        "would_place_again": "ja",
        "worked_md": "Kontaktpersonen var **tillgänglig** varje vecka.",
        "not_worked_md": "Skolgången kom igång sent.",
        "advice_md": "Fråga om kvällsbemanningen.",
        "submit_experience": "Skicka in",
    }
    for theme in Theme:
        data[f"rating_{theme.value}"] = "4"
    data.update(overrides)
    return data
