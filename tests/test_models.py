"""Database constraints guard the domain rules on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from kb.auth.models import Role, User
from kb.experiences.models import EndReason, Experience, ExperienceRating, ExperienceStatus
from kb.findings.models import Finding, FindingEvidence, FindingStatus, ProposedChange
from kb.followups.models import FollowUp, FollowUpKind, FollowUpScope
from kb.organisations.models import Organisation, OrganisationKind
from kb.suppliers.models import AgreementArea, AreaCategory, LegalForm, Supplier, Unit
from kb.tenders.models import (
    Contract,
    ContractStatus,
    ContractStatusChange,
    ProcurementForm,
    TenderRound,
)
from kb.themes import Theme


@pytest.fixture
def world(db):
    organisation = Organisation(name="Modellby", kind=OrganisationKind.MUNICIPALITY)
    area = AgreementArea(name="Modellområde", category=AreaCategory.IFO)
    supplier = Supplier(
        name="Modellhem AB", org_number="559900-0022", legal_form=LegalForm.AKTIEBOLAG
    )
    unit = Unit(supplier=supplier, name="Modellgården", agreement_areas=[area])
    db.session.add_all([organisation, unit])
    db.session.commit()
    return {"organisation": organisation, "area": area, "supplier": supplier, "unit": unit}


def experience(world, **fields) -> Experience:
    values = {
        "organisation": world["organisation"],
        "unit": world["unit"],
        "agreement_area": world["area"],
        "start_year": 2024,
        "start_month": 3,
    }
    values.update(fields)
    return Experience(**values)


def assert_refused(db, obj) -> None:
    db.session.add(obj)
    with pytest.raises((IntegrityError, StatementError)):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(
    "fields",
    [
        {"start_month": 13},
        {"end_year": 2024, "end_month": 2},
        {"end_year": 2024},
        {"goal_attainment": 5},
        {"daily_price": -1},
    ],
)
def test_experience_refuses_impossible_values(db, world, fields):
    assert_refused(db, experience(world, **fields))


def test_experience_stores_year_month_and_ratings(db, world):
    stored = experience(
        world,
        end_year=2024,
        end_month=9,
        end_reason=EndReason.PLANNED,
        status=ExperienceStatus.SUBMITTED,
    )
    stored.ratings = [
        ExperienceRating(theme=Theme.BEMANNING, rating=4),
        ExperienceRating(theme=Theme.SKOLA, rating=None),
    ]
    db.session.add(stored)
    db.session.commit()
    db.session.expire_all()
    loaded = db.session.get(Experience, stored.id)
    assert loaded.end_reason is EndReason.PLANNED
    assert loaded.rating_for(Theme.BEMANNING) == 4
    assert loaded.rating_for(Theme.SKOLA) is None
    stored_value = db.session.execute(text("SELECT end_reason FROM experiences")).scalar()
    assert stored_value == "planerat"


def test_rating_outside_one_to_five_is_refused(db, world):
    refused = experience(world)
    refused.ratings = [ExperienceRating(theme=Theme.LOKALER, rating=6)]
    assert_refused(db, refused)


def test_off_contract_experience_cannot_also_have_a_contract(db, world):
    tender_round = TenderRound(
        reference="DNR 1",
        title="Runda",
        agreement_area=world["area"],
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=world["organisation"],
    )
    contract = Contract(tender_round=tender_round, supplier=world["supplier"])
    db.session.add(contract)
    db.session.commit()
    assert_refused(db, experience(world, contract_id=contract.id, off_contract=True))


def test_tender_rounds_chain_and_contract_history_is_kept_in_order(db, world):
    first = TenderRound(
        reference="DNR 2019/1",
        title="Första",
        agreement_area=world["area"],
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=world["organisation"],
        contract_start=date(2019, 1, 1),
        contract_end=date(2021, 12, 31),
    )
    second = TenderRound(
        reference="DNR 2021/9",
        title="Andra",
        agreement_area=world["area"],
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=world["organisation"],
        predecessor=first,
    )
    contract = Contract(tender_round=second, supplier=world["supplier"], units=[world["unit"]])
    contract.status_changes = [
        ContractStatusChange(
            to_status=ContractStatus.PAUSED,
            from_status=ContractStatus.ACTIVE,
            changed_on=date(2023, 5, 1),
            reason="Brister",
        ),
        ContractStatusChange(
            to_status=ContractStatus.ACTIVE, changed_on=date(2022, 1, 1), reason="Tecknat"
        ),
    ]
    db.session.add(contract)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(TenderRound, first.id).successor.reference == "DNR 2021/9"
    loaded = db.session.get(Contract, contract.id)
    assert [c.to_status for c in loaded.status_changes] == [
        ContractStatus.ACTIVE,
        ContractStatus.PAUSED,
    ]


def test_a_round_cannot_have_two_successors(db, world):
    first = TenderRound(
        reference="A",
        title="A",
        agreement_area=world["area"],
        procurement_form=ProcurementForm.LOV,
        lead_organisation=world["organisation"],
    )
    db.session.add_all(
        [
            first,
            TenderRound(
                reference="B",
                title="B",
                agreement_area=world["area"],
                procurement_form=ProcurementForm.LOV,
                lead_organisation=world["organisation"],
                predecessor=first,
            ),
        ]
    )
    db.session.commit()
    assert_refused(
        db,
        TenderRound(
            reference="C",
            title="C",
            agreement_area=world["area"],
            procurement_form=ProcurementForm.LOV,
            lead_organisation=world["organisation"],
            predecessor_id=first.id,
        ),
    )


def test_contract_period_must_not_end_before_it_starts(db, world):
    assert_refused(
        db,
        TenderRound(
            reference="X",
            title="X",
            agreement_area=world["area"],
            procurement_form=ProcurementForm.LOV,
            lead_organisation=world["organisation"],
            contract_start=date(2024, 1, 1),
            contract_end=date(2023, 1, 1),
        ),
    )


def test_rejected_finding_needs_a_reason_and_changes_need_a_target(db, world):
    base = {
        "organisation": world["organisation"],
        "title": "Lärdom",
        "agreement_area": world["area"],
    }
    assert_refused(
        db,
        Finding(
            **base, status=FindingStatus.REJECTED, proposed_change=ProposedChange.ADD_REQUIREMENT
        ),
    )
    assert_refused(db, Finding(**base, proposed_change=ProposedChange.CHANGE_REQUIREMENT))


def test_finding_evidence_points_to_exactly_one_source(db, world):
    finding = Finding(
        organisation=world["organisation"],
        title="L",
        agreement_area=world["area"],
        proposed_change=ProposedChange.MARKET_QUESTION,
    )
    db.session.add(finding)
    db.session.commit()
    assert_refused(db, FindingEvidence(finding_id=finding.id))
    stored = experience(world)
    followup = FollowUp(
        organisation=world["organisation"],
        title="U",
        kind=FollowUpKind.SPECIAL,
        scope=FollowUpScope.UNIT,
        unit=world["unit"],
    )
    db.session.add_all([stored, followup])
    db.session.commit()
    assert_refused(
        db, FindingEvidence(finding_id=finding.id, experience_id=stored.id, followup_id=followup.id)
    )


def test_followup_scope_must_name_its_target(db, world):
    assert_refused(
        db,
        FollowUp(
            organisation=world["organisation"],
            title="U",
            kind=FollowUpKind.SPECIAL,
            scope=FollowUpScope.CONTRACT,
            unit=world["unit"],
        ),
    )


def test_unknown_enum_value_is_refused_by_the_database(db, world):
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE units SET permit_status = 'påhittad'"))
        db.session.flush()
    db.session.rollback()


def test_protected_address_is_never_displayed(db, world):
    unit = world["unit"]
    unit.address = "Hemliga vägen 1"
    unit.protected_address = True
    assert unit.display_address is None
    unit.protected_address = False
    assert unit.display_address == "Hemliga vägen 1"


def test_user_roles_and_organisation_membership(db, world):
    intermediary = Organisation(name="Modellförbundet", kind=OrganisationKind.INTERMEDIARY)
    world["organisation"].member_of = intermediary
    user = User(
        name="Modell",
        email="modell@kommun.example",
        organisation=world["organisation"],
        password_hash="x",
    )
    user.set_roles({Role.CASEWORKER, Role.CURATOR})
    db.session.add(user)
    db.session.commit()
    user.set_roles({Role.CURATOR})
    db.session.commit()
    db.session.expire_all()
    loaded = db.session.scalar(select(User).where(User.email == "modell@kommun.example"))
    assert loaded.roles == {Role.CURATOR}
    assert loaded.organisation.intermediary.name == "Modellförbundet"
    assert [m.name for m in intermediary.members] == ["Modellby"]
