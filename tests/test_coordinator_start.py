"""The coordinator's start page, deviations first, on the demo world and on constructed data."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from kb.auth.models import Role, User
from kb.demo.loader import load_demo
from kb.followups.models import (
    Deviation,
    DeviationCategory,
    FollowUp,
    FollowUpKind,
    FollowUpScope,
    Severity,
)
from kb.main.coordinator import coordinator_overview, followup_coverage
from kb.organisations.models import Organisation, OrganisationKind
from kb.suppliers.models import AgreementArea, AreaCategory, LegalForm, Supplier, Unit
from kb.tenders.models import Contract, ContractStatus, ProcurementForm, TenderRound
from tests.factories import fictional_org_number

TODAY = date(2026, 11, 23)
COORDINATOR = "samordnare@alvsjohamn.example"


def user(db, email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def test_the_demo_coordinator_sees_deviations_flags_pauses_and_coverage(db):
    load_demo()
    db.session.commit()
    overview = coordinator_overview(user(db, COORDINATOR), TODAY)
    severities = [group.severity for group in overview.deviations]
    assert severities == sorted(severities, key=list(Severity)[::-1].index)
    assert all(not d.resolved for group in overview.deviations for d in group.deviations)
    assert overview.open_deviation_count == db.session.scalar(
        select(db.func.count(Deviation.id)).where(Deviation.resolved.is_(False))
    )
    assert overview.flagged, "the demo's recent concerns flag a supplier"
    assert any("allvarlighetsgrad" in reason for reason in overview.flagged[0].reasons)
    paused = db.session.scalars(
        select(Contract.id).where(Contract.status == ContractStatus.PAUSED)
    ).all()
    assert sorted(item.contract.id for item in overview.paused) == sorted(paused)
    assert all(item.pause is not None and item.pause.reason for item in overview.paused)
    assert overview.coverage and {item.area.id for item in overview.coverage} == {
        item.tender_round.agreement_area_id for item in overview.coverage
    }


def test_the_start_page_links_every_item_to_where_it_is_handled(client, login, app_db):
    with app_db() as session:
        load_demo()
        session.commit()
    login(COORDINATOR, "Kunskapsbanken-demo")
    page = client.get("/").get_data(as_text=True)
    for heading in (
        "Öppna avvikelser efter allvarlighetsgrad",
        "Leverantörer som bör få en händelsestyrd uppföljning",
        "Kontroller att göra",
        "Pausade avtal",
        "Verksamheter med anmärkning från IVO",
        "Särskild uppföljning per avtalsområde och avtalsperiod",
    ):
        assert heading in page
    assert "/avvikelser/" in page and "/avtal/" in page
    assert "/uppfoljningar/ny?scope=supplier" in page and "kind=handelsestyrd" in page


def _area_with_round(db, lead: Organisation) -> tuple[AgreementArea, TenderRound]:
    area = AgreementArea(name="Täckningsområde", category=AreaCategory.IFO)
    supplier = Supplier(
        name="Täckningshemmet AB",
        org_number=fictional_org_number(777),
        legal_form=LegalForm.AKTIEBOLAG,
    )
    unit = Unit(supplier=supplier, name="Täckningsgården", agreement_areas=[area])
    tender_round = TenderRound(
        reference="TÄCK 2025/1",
        title="Täckningsavtalet",
        agreement_area=area,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=lead,
        contract_start=date(2025, 1, 1),
        contract_end=date(2027, 12, 31),
    )
    db.session.add_all([Contract(tender_round=tender_round, supplier=supplier, units=[unit])])
    db.session.flush()
    return area, tender_round


def test_coverage_counts_only_special_followups_in_the_current_contract_period(db, make):
    municipality = Organisation(name="Täckby", kind=OrganisationKind.MUNICIPALITY)
    db.session.add(municipality)
    db.session.flush()
    coordinator = User(name="Täck", email="tack@tackby.example", organisation=municipality)
    coordinator.password_hash = "x"
    coordinator.set_roles({Role.COORDINATOR})
    db.session.add(coordinator)
    area, tender_round = _area_with_round(db, municipality)

    def followup(kind: FollowUpKind, start: date, **scope: object) -> None:
        db.session.add(
            FollowUp(
                organisation=municipality,
                title="Uppföljning",
                kind=kind,
                period_start=start,
                methods=[],
                **scope,
            )
        )
        db.session.flush()

    [only] = followup_coverage(coordinator, TODAY)
    assert (only.area.id, only.special_followups, only.covered) == (area.id, 0, False)
    followup(
        FollowUpKind.SPECIAL,
        date(2024, 6, 1),
        scope=FollowUpScope.AGREEMENT_AREA,
        agreement_area=area,
    )
    followup(
        FollowUpKind.CONTINUOUS,
        date(2025, 6, 1),
        scope=FollowUpScope.AGREEMENT_AREA,
        agreement_area=area,
    )
    assert followup_coverage(coordinator, TODAY)[0].covered is False  # before, or not särskild
    followup(
        FollowUpKind.SPECIAL,
        date(2025, 9, 1),
        scope=FollowUpScope.TENDER_ROUND,
        tender_round=tender_round,
    )
    [covered] = followup_coverage(coordinator, TODAY)
    assert (covered.special_followups, covered.covered) == (1, True)
    assert followup_coverage(coordinator, date(2028, 6, 1)) == []  # the period has ended


def test_a_deviation_on_a_framework_the_organisation_does_not_follow_is_not_listed(db):
    municipality = Organisation(name="Egenby", kind=OrganisationKind.MUNICIPALITY)
    stranger = Organisation(name="Främlingsby", kind=OrganisationKind.MUNICIPALITY)
    db.session.add_all([municipality, stranger])
    db.session.flush()
    coordinator = User(name="Egen", email="egen@egenby.example", organisation=municipality)
    coordinator.password_hash = "x"
    coordinator.set_roles({Role.COORDINATOR})
    db.session.add(coordinator)
    _area, tender_round = _area_with_round(db, stranger)
    unit = tender_round.contracts[0].units[0]
    for organisation in (municipality, stranger):
        db.session.add(
            Deviation(
                organisation=organisation,
                unit=unit,
                occurred_on=date(2026, 10, 1),
                category=DeviationCategory.STAFFING,
                severity=Severity.CRITICAL,
                description_md="Bemanningen brast.",
                created_at=datetime(2026, 10, 2),
            )
        )
    db.session.flush()
    overview = coordinator_overview(coordinator, TODAY)
    assert overview.deviations == [] and overview.flagged == []
