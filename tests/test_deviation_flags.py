"""The flag rule for event-driven follow-ups (kb/deviations/flags.py), on constructed data.

TODAY is fixed, so every answer below is known by counting: the window is the last 365 days
(on or after TODAY - 365), three deviations, one critical or two high-or-worse flag a supplier,
and an event-driven follow-up recorded after the newest counted deviation lifts the flag.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from kb.deviations.flags import FlagThresholds, flagged_suppliers
from kb.followups.models import (
    Deviation,
    DeviationCategory,
    FollowUp,
    FollowUpKind,
    FollowUpScope,
    Severity,
)
from tests.test_deviations import FollowUpWorld, build_followup_world

TODAY = date(2025, 6, 15)
RECORDED = datetime(2025, 6, 15, 8, 0)


@pytest.fixture
def world(db, make) -> FollowUpWorld:
    return build_followup_world(db.session, make)


def deviation(
    db,
    world: FollowUpWorld,
    days_ago: int,
    severity: Severity = Severity.LOW,
    *,
    unit: int | None = -1,
    contract: int | None = None,
    organisation: int | None = None,
    recorded: datetime = RECORDED,
) -> Deviation:
    row = Deviation(
        organisation_id=organisation or world.hemby_id,
        unit_id=world.unit_id if unit == -1 else unit,
        contract_id=contract,
        occurred_on=TODAY - timedelta(days=days_ago),
        category=DeviationCategory.REPORTING,
        severity=severity,
        description_md="Rapporten uteblev.",
        created_at=recorded,
    )
    db.session.add(row)
    db.session.commit()
    return row


def event_followup(
    db, world: FollowUpWorld, recorded: datetime, kind=FollowUpKind.EVENT_DRIVEN, **scope
) -> FollowUp:
    scope_kind, target = next(iter(scope.items()))
    row = FollowUp(
        organisation_id=world.hemby_id,
        title="Händelsestyrd uppföljning",
        kind=kind,
        scope=FollowUpScope(scope_kind),
        created_at=recorded,
        **{f"{scope_kind}_id": target},
    )
    db.session.add(row)
    db.session.commit()
    return row


def flags(world: FollowUpWorld, organisations: list[int] | None = None, **kwargs):
    found = flagged_suppliers(organisations or [world.hemby_id], TODAY, **kwargs)
    return {flag.supplier.id: flag for flag in found}


def test_three_deviations_in_the_window_flag_the_supplier_and_two_do_not(db, world):
    deviation(db, world, 10)
    deviation(db, world, 200)
    assert flags(world) == {}
    deviation(db, world, 365)  # exactly at the edge of the window still counts
    flag = flags(world)[world.supplier_id]
    assert flag.reasons == ["3 avvikelser senaste 12 månaderna"]
    assert [d.occurred_on for d in flag.deviations] == [
        TODAY - timedelta(days=10),
        TODAY - timedelta(days=200),
        TODAY - timedelta(days=365),
    ]


def test_one_day_outside_the_window_does_not_count(db, world):
    deviation(db, world, 10)
    deviation(db, world, 200)
    deviation(db, world, 366)
    assert flags(world) == {}


def test_a_deviation_dated_after_today_does_not_count(db, world):
    deviation(db, world, 10)
    deviation(db, world, 20)
    deviation(db, world, -1)
    assert flags(world) == {}


def test_one_critical_deviation_is_enough(db, world):
    deviation(db, world, 30, Severity.CRITICAL)
    assert flags(world)[world.supplier_id].reasons == ["1 allvarlig avvikelse"]


def test_a_critical_deviation_outside_the_window_is_not(db, world):
    deviation(db, world, 400, Severity.CRITICAL)
    assert flags(world) == {}


def test_two_high_or_worse_flag_and_one_high_with_a_medium_does_not(db, world):
    deviation(db, world, 5, Severity.HIGH)
    deviation(db, world, 6, Severity.MEDIUM)
    assert flags(world) == {}
    deviation(db, world, 7, Severity.HIGH)
    assert flags(world)[world.supplier_id].reasons == [
        "3 avvikelser senaste 12 månaderna",
        "2 avvikelser med hög eller allvarlig allvarlighetsgrad",
    ]


def test_every_reason_that_holds_is_given(db, world):
    for days in (1, 2, 3):
        deviation(db, world, days, Severity.LOW)
    deviation(db, world, 4, Severity.CRITICAL)
    deviation(db, world, 5, Severity.HIGH)
    assert flags(world)[world.supplier_id].reasons == [
        "5 avvikelser senaste 12 månaderna",
        "1 allvarlig avvikelse",
        "2 avvikelser med hög eller allvarlig allvarlighetsgrad",
    ]


def test_thresholds_are_read_from_config(app, db, world):
    deviation(db, world, 10)
    deviation(db, world, 40)
    assert flags(world) == {}
    app.config["FLAG_DEVIATION_COUNT"] = 2
    assert flags(world)[world.supplier_id].reasons == ["2 avvikelser senaste 12 månaderna"]
    app.config["FLAG_WINDOW_DAYS"] = 30
    assert flags(world) == {}  # the deviation 40 days ago is now outside the window
    app.config["FLAG_WINDOW_DAYS"] = 40
    assert flags(world)[world.supplier_id].reasons == ["2 avvikelser senaste 40 dagarna"]


def test_high_and_critical_thresholds_are_read_from_config(app, db, world):
    deviation(db, world, 10, Severity.CRITICAL)
    app.config["FLAG_CRITICAL_COUNT"] = 2
    assert flags(world) == {}
    app.config["FLAG_HIGH_COUNT"] = 1
    assert flags(world)[world.supplier_id].reasons == [
        "1 avvikelse med hög eller allvarlig allvarlighetsgrad"
    ]


def test_explicit_thresholds_override_config(db, world):
    deviation(db, world, 10)
    assert flags(world, thresholds=FlagThresholds(deviation_count=1))[world.supplier_id]


def test_a_deviation_reaches_its_supplier_through_a_unit_or_a_contract(db, world):
    deviation(db, world, 1, unit=world.second_unit_id)  # Provomsorg's other unit
    deviation(db, world, 2, unit=None, contract=world.contract_id)  # Provomsorg's contract
    deviation(db, world, 3, unit=None, contract=world.other_contract_id)  # Annanvård
    assert flags(world) == {}
    deviation(db, world, 4)
    assert set(flags(world)) == {world.supplier_id}
    assert len(flags(world)[world.supplier_id].deviations) == 3


def test_only_the_given_organisations_deviations_count(db, world):
    deviation(db, world, 1, Severity.CRITICAL, organisation=world.grannby_id)
    assert flags(world, [world.hemby_id]) == {}
    assert set(flags(world, [world.hemby_id, world.grannby_id])) == {world.supplier_id}
    assert flagged_suppliers([], TODAY) == []


@pytest.mark.parametrize("scope", ["unit", "supplier", "contract"])
def test_an_event_driven_follow_up_after_the_newest_deviation_lifts_the_flag(db, world, scope):
    deviation(db, world, 20, Severity.CRITICAL, recorded=RECORDED - timedelta(days=20))
    deviation(db, world, 3, recorded=RECORDED - timedelta(days=3))
    target = {"unit": world.unit_id, "supplier": world.supplier_id, "contract": world.contract_id}
    event_followup(db, world, RECORDED - timedelta(days=2), **{scope: target[scope]})
    assert flags(world) == {}


def test_a_follow_up_before_the_newest_deviation_does_not(db, world):
    deviation(db, world, 20, Severity.CRITICAL, recorded=RECORDED - timedelta(days=20))
    event_followup(db, world, RECORDED - timedelta(days=10), unit=world.unit_id)
    deviation(db, world, 3, recorded=RECORDED - timedelta(days=3))
    assert set(flags(world)) == {world.supplier_id}


def test_a_continuous_follow_up_or_one_of_another_supplier_does_not(db, world):
    deviation(db, world, 20, Severity.CRITICAL, recorded=RECORDED - timedelta(days=20))
    later = RECORDED - timedelta(days=1)
    event_followup(db, world, later, kind=FollowUpKind.CONTINUOUS, unit=world.unit_id)
    event_followup(db, world, later, supplier=world.other_supplier_id)
    event_followup(db, world, later, unit=world.other_unit_id)
    assert set(flags(world)) == {world.supplier_id}


def test_a_follow_up_by_an_organisation_not_asked_about_does_not(db, world):
    deviation(db, world, 20, Severity.CRITICAL, recorded=RECORDED - timedelta(days=20))
    followup = event_followup(db, world, RECORDED, unit=world.unit_id)
    followup.organisation_id = world.fjarrby_id
    db.session.commit()
    assert set(flags(world)) == {world.supplier_id}


def test_one_supplier_can_be_asked_about(db, world):
    deviation(db, world, 1, Severity.CRITICAL)
    deviation(db, world, 1, Severity.CRITICAL, unit=world.other_unit_id)
    assert set(flags(world)) == {world.supplier_id, world.other_supplier_id}
    only = flags(world, supplier_id=world.other_supplier_id)
    assert set(only) == {world.other_supplier_id}


def test_the_deviation_page_shows_the_flag_and_links_to_a_follow_up(
    client, db, world, login, monkeypatch
):
    row = deviation(db, world, 1, Severity.CRITICAL)
    row.occurred_on = date.today() - timedelta(days=1)
    db.session.commit()
    login(world.coordinator)
    page = client.get(f"/avvikelser/{row.id}").get_data(as_text=True)
    assert "Leverantören bör få en händelsestyrd uppföljning" in page
    assert "1 allvarlig avvikelse" in page
    assert f"scope=supplier&amp;id={world.supplier_id}&amp;kind=handelsestyrd" in page
    listing = client.get("/avvikelser/").get_data(as_text=True)
    assert "Leverantörer som bör få en händelsestyrd uppföljning" in listing
