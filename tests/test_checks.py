"""Supplier checks: one at a time, a whole framework at once, due dates, bad input, access."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from kb.audit.models import AuditRecord
from kb.checks.services import due_checks
from kb.followups.models import CheckKind, CheckResult, SupplierCheck
from tests.conftest import csrf_token_from, post_form
from tests.test_deviations import FollowUpWorld, build_followup_world

NEW, BATCH = "/kontroller/ny", "/kontroller/omgang"
TODAY = date.today()


@pytest.fixture
def world(app_db, make) -> FollowUpWorld:
    with app_db() as session:
        return build_followup_world(session, make)


@pytest.fixture
def coordinator(world, login) -> FollowUpWorld:
    login(world.coordinator)
    return world


def check_form(world: FollowUpWorld, **overrides: str) -> dict[str, str]:
    data = {
        "supplier_id": str(world.supplier_id),
        "unit_id": "",
        "kind": "kreditvardighet",
        "result": "ok",
        "value": "72",
        "checked_on": (TODAY - timedelta(days=1)).isoformat(),
        "next_due": (TODAY + timedelta(days=180)).isoformat(),
        "note": "Kreditupplysning via UC.",
    }
    data.update(overrides)
    return data


def check_count(app_db) -> int:
    with app_db() as session:
        return session.scalar(select(func.count(SupplierCheck.id)))


def add_check(app_db, world: FollowUpWorld, **fields) -> int:
    values = {
        "organisation_id": world.hemby_id,
        "supplier_id": world.supplier_id,
        "kind": CheckKind.TAXES,
        "checked_on": TODAY - timedelta(days=100),
        "result": CheckResult.OK,
        "next_due": TODAY + timedelta(days=100),
    }
    values.update(fields)
    with app_db() as session:
        check = SupplierCheck(**values)
        session.add(check)
        session.commit()
        return check.id


def test_a_credit_check_is_recorded_with_its_score_and_audited(client, coordinator, app_db):
    response = post_form(client, NEW, check_form(coordinator))
    assert response.status_code == 302
    with app_db() as session:
        check = session.scalar(select(SupplierCheck))
        assert (check.organisation_id, check.supplier_id, check.unit_id) == (
            coordinator.hemby_id,
            coordinator.supplier_id,
            None,
        )
        assert (check.kind, check.result, check.value) == (CheckKind.CREDIT, CheckResult.OK, "72")
        assert check.checked_on == TODAY - timedelta(days=1)
        assert check.next_due == TODAY + timedelta(days=180)
        audit = select(AuditRecord.actor_label).where(AuditRecord.entity == "SupplierCheck")
        assert session.scalars(audit).all() == [coordinator.coordinator]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Kontrollen är registrerad." in page and "Provomsorg AB" in page


def test_an_ivo_check_can_concern_one_unit(client, coordinator, app_db):
    data = check_form(coordinator, kind="ivo_tillstand", value="", unit_id=str(coordinator.unit_id))
    assert post_form(client, NEW, data).status_code == 302
    with app_db() as session:
        assert session.scalar(select(SupplierCheck.unit_id)) == coordinator.unit_id


def test_the_new_form_preselects_the_supplier(client, coordinator):
    page = client.get(f"{NEW}?leverantor={coordinator.other_supplier_id}").get_data(as_text=True)
    assert f'<option selected value="{coordinator.other_supplier_id}">Annanvård AB' in page
    assert "Fjärrvård AB" not in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"checked_on": (TODAY + timedelta(days=1)).isoformat()}, "inte ligga i framtiden"),
        ({"checked_on": "i går"}, "Skriv datumet som ÅÅÅÅ-MM-DD"),
        ({"checked_on": ""}, "Ange när kontrollen gjordes."),
        ({"next_due": ""}, "Ange när nästa kontroll ska göras."),
        ({"next_due": (TODAY - timedelta(days=1)).isoformat()}, "måste ligga efter"),
        ({"value": "101"}, "Kreditbetyget 101 ligger utanför skalan 0–100."),
        ({"value": "-1"}, "Kreditbetyget -1 ligger utanför skalan 0–100."),
        ({"value": "hög"}, "Kreditbetyget ska vara ett heltal från 0 till 100"),
        ({"value": "72,5"}, "Kreditbetyget ska vara ett heltal från 0 till 100"),
        ({"value": ""}, "Ange kreditbetyget"),
        ({"kind": ""}, "Välj typ av kontroll."),
        ({"supplier_id": ""}, "Välj leverantör."),
        ({"supplier_id": "999999"}, "Leverantören finns inte."),
        ({"supplier_id": "99999999999999999"}, "Leverantören finns inte."),
        ({"unit_id": "424242", "kind": "ivo_tillstand"}, "Verksamheten finns inte."),
        ({"unit_id": "1"}, "Verksamhet anges bara för kontroll av IVO-tillstånd."),
        ({"note": "Företrädaren 811218-9876 saknar F-skatt."}, "ser ut som ett personnummer"),
    ],
)
def test_bad_input_gets_a_swedish_message_and_saves_nothing(
    client, coordinator, app_db, overrides, message
):
    response = post_form(client, NEW, check_form(coordinator, **overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Formuläret innehåller fel" in page and message in page
    assert check_count(app_db) == 0


def test_a_unit_of_another_supplier_is_refused(client, coordinator, app_db):
    data = check_form(
        coordinator, kind="ivo_tillstand", value="", unit_id=str(coordinator.other_unit_id)
    )
    page = post_form(client, NEW, data).get_data(as_text=True)
    assert "Verksamheten tillhör inte den valda leverantören." in page
    assert check_count(app_db) == 0


def test_a_supplier_the_organisation_may_not_follow_up_is_refused(client, coordinator, app_db):
    data = check_form(coordinator, supplier_id=str(coordinator.outside_supplier_id))
    assert post_form(client, NEW, data).status_code == 404  # never offered: a tampered form
    assert check_count(app_db) == 0


def test_other_kinds_take_any_value(client, coordinator, app_db):
    data = check_form(coordinator, kind="sanktionslistor", value="Ingen träff", result="ok")
    assert post_form(client, NEW, data).status_code == 302
    with app_db() as session:
        assert session.scalar(select(SupplierCheck.value)) == "Ingen träff"


def batch_form(world: FollowUpWorld, **overrides: str) -> dict[str, str]:
    data = {
        "kind": "kreditvardighet",
        "checked_on": TODAY.isoformat(),
        "next_due": (TODAY + timedelta(days=182)).isoformat(),
        "note": "Halvårskontroll",
        f"result_{world.supplier_id}": "ok",
        f"value_{world.supplier_id}": "80",
        f"result_{world.other_supplier_id}": "anmarkning",
        f"value_{world.other_supplier_id}": "35",
    }
    data.update(overrides)
    return data


def test_one_action_checks_every_supplier_on_the_framework(client, coordinator, app_db):
    url = f"{BATCH}?omgang={coordinator.round_id}"
    page = client.get(url).get_data(as_text=True)
    assert "Provomsorg AB" in page and "Annanvård AB" in page
    assert "Avslutad Vård AB" not in page  # its contract has ended
    assert "Fjärrvård AB" not in page
    response = post_form(client, url, batch_form(coordinator))
    assert response.status_code == 302
    with app_db() as session:
        checks = session.scalars(select(SupplierCheck).order_by(SupplierCheck.supplier_id)).all()
        assert [(c.supplier_id, c.result, c.value) for c in checks] == [
            (coordinator.supplier_id, CheckResult.OK, "80"),
            (coordinator.other_supplier_id, CheckResult.REMARK, "35"),
        ]
        assert {(c.kind, c.checked_on, c.next_due, c.note) for c in checks} == {
            (CheckKind.CREDIT, TODAY, TODAY + timedelta(days=182), "Halvårskontroll")
        }
    assert "registrerad för 2 leverantörer" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )


def test_a_supplier_can_be_skipped_in_the_batch(client, coordinator, app_db):
    url = f"{BATCH}?omgang={coordinator.round_id}"
    data = batch_form(coordinator, **{f"result_{coordinator.other_supplier_id}": "hoppa"})
    assert post_form(client, url, data).status_code == 302
    with app_db() as session:
        assert session.scalars(select(SupplierCheck.supplier_id)).all() == [coordinator.supplier_id]


def test_the_batch_form_is_prefilled_ok(client, coordinator):
    page = client.get(f"{BATCH}?omgang={coordinator.round_id}").get_data(as_text=True)
    assert page.count('<option selected value="ok">OK</option>') == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"value_{other}": "150"}, "Kreditbetyget 150 ligger utanför skalan 0–100."),
        ({"value_{other}": "bra"}, "Kreditbetyget ska vara ett heltal"),
        ({"checked_on": (TODAY + timedelta(days=1)).isoformat()}, "inte ligga i framtiden"),
        ({"kind": ""}, "Välj typ av kontroll."),
        ({"result_{supplier}": "hoppa", "result_{other}": "hoppa"}, "minst en leverantör"),
        ({"note": "Ring 070-123 45 67 och 811218-9876"}, "ser ut som ett personnummer"),
    ],
)
def test_a_batch_with_bad_input_saves_nothing_and_keeps_the_rest(
    client, coordinator, app_db, overrides, message
):
    ids = {"supplier": coordinator.supplier_id, "other": coordinator.other_supplier_id}
    data = batch_form(coordinator, **{key.format(**ids): v for key, v in overrides.items()})
    response = post_form(client, f"{BATCH}?omgang={coordinator.round_id}", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page
    assert f'name="value_{coordinator.supplier_id}" type="text" value="80"' in page
    assert check_count(app_db) == 0


def test_a_batch_for_a_round_the_organisation_may_not_follow_up_is_refused(
    client, coordinator, app_db
):
    url = f"{BATCH}?omgang={coordinator.outside_round_id}"
    page = client.get(url).get_data(as_text=True)
    assert "Din organisation får inte följa upp den upphandlingsomgången." in page
    assert "Fjärrvård AB" not in page
    token = csrf_token_from(client.get(BATCH).get_data(as_text=True))
    rows = {
        "result_3": "ok",  # Fjärrvård's id: the rows do not exist for this round
        "value_3": "50",
    }
    response = client.post(url, data={**batch_form(coordinator), **rows, "csrf_token": token})
    assert response.status_code == 404  # a round it may not follow up: a tampered address
    assert check_count(app_db) == 0
    missing = client.post(
        f"{BATCH}?omgang=987654", data={**batch_form(coordinator), "csrf_token": token}
    )
    assert "Upphandlingsomgången finns inte." in missing.get_data(as_text=True)
    assert check_count(app_db) == 0


def test_caseworkers_read_checks_but_may_not_record_them(client, world, login, app_db):
    check_id = add_check(app_db, world, note="Skatter betalda.")
    login(world.caseworker)
    assert client.get("/kontroller/").status_code == 200
    assert "Skatter betalda." in client.get(f"/kontroller/{check_id}").get_data(as_text=True)
    assert client.get(NEW).status_code == 403
    assert client.get(BATCH).status_code == 403
    token = csrf_token_from(client.get("/kontroller/").get_data(as_text=True))
    assert client.post(NEW, data={**check_form(world), "csrf_token": token}).status_code == 403
    assert check_count(app_db) == 1


def test_outside_the_network_a_check_does_not_exist(client, world, login, app_db):
    check_id = add_check(app_db, world)
    login(world.outsider_coordinator)
    assert client.get(f"/kontroller/{check_id}").status_code == 404
    assert client.get("/kontroller/99999999999").status_code == 404
    assert "Provomsorg AB" not in client.get("/kontroller/").get_data(as_text=True)


def test_due_checks_consider_only_the_newest_per_supplier_unit_and_kind(app, app_db, world):
    today = date(2025, 6, 15)
    old = today - timedelta(days=300)

    def add(kind, next_due, checked_on=old, **fields):
        return add_check(
            app_db, world, kind=kind, next_due=next_due, checked_on=checked_on, **fields
        )

    overdue = add(CheckKind.TAXES, today - timedelta(days=1))
    add(CheckKind.CREDIT, today - timedelta(days=50))  # superseded by the newer credit check
    renewed = add(CheckKind.CREDIT, today + timedelta(days=200), checked_on=today)
    due_today = add(CheckKind.SANCTIONS, today)
    at_limit = add(CheckKind.IVO_PERMIT, today + timedelta(days=30))
    beyond = add(CheckKind.CRIMINAL_RECORD, today + timedelta(days=31))
    unit_check = add(CheckKind.IVO_PERMIT, today - timedelta(days=5), unit_id=world.unit_id)
    other_org = add(
        CheckKind.TAXES,
        today - timedelta(days=9),
        supplier_id=world.other_supplier_id,
        organisation_id=world.fjarrby_id,
    )
    with app.app_context():
        due = due_checks([world.hemby_id], today)
        assert [c.id for c in due.overdue] == [unit_check, overdue]
        assert [c.id for c in due.soon] == [due_today, at_limit]
        assert renewed not in {c.id for c in due.overdue + due.soon}
        assert beyond not in {c.id for c in due.soon}
        wider = due_checks([world.hemby_id, world.fjarrby_id], today, within_days=31)
        assert other_org in {c.id for c in wider.overdue}
        assert beyond in {c.id for c in wider.soon}


def test_the_list_shows_the_newest_and_filters_by_status_and_kind(client, world, login, app_db):
    overdue = add_check(app_db, world, kind=CheckKind.TAXES, next_due=TODAY - timedelta(days=3))
    soon = add_check(app_db, world, kind=CheckKind.SANCTIONS, next_due=TODAY + timedelta(days=10))
    later = add_check(app_db, world, kind=CheckKind.CREDIT, next_due=TODAY + timedelta(days=90))
    superseded = add_check(
        app_db,
        world,
        kind=CheckKind.CREDIT,
        checked_on=TODAY - timedelta(days=400),
        next_due=TODAY - timedelta(days=35),
    )
    login(world.caseworker)

    def listed(query: str = "") -> list[int]:
        page = client.get(f"/kontroller/{query}").get_data(as_text=True)
        ids = {"overdue": overdue, "soon": soon, "later": later, "superseded": superseded}
        order = sorted((page.find(f'/kontroller/{i}"'), name) for name, i in ids.items())
        return [name for position, name in order if position >= 0]

    assert listed() == ["overdue", "soon", "later"]
    assert listed("?status=forfallen") == ["overdue"]
    assert listed("?status=snart") == ["soon"]
    assert listed("?typ=kreditvardighet") == ["later"]
    assert listed("?typ=galet&status=konstigt") == listed()
    page = client.get("/kontroller/").get_data(as_text=True)
    assert "due-forfallen" in page and "due-snart" in page


def test_a_saved_check_is_found_in_search_by_the_network_only(app, client, coordinator, login):
    app.config["SEARCH_SYNC"] = "sync"
    note = "Kreditupplysningen visade betalningsanmärkningar hos moderbolaget."
    assert post_form(client, NEW, check_form(coordinator, note=note)).status_code == 302
    page = client.get("/sok", query_string={"q": "betalningsanmärkningar"}).get_data(as_text=True)
    assert "1 träff" in page and "/kontroller/" in page and "Kontroll" in page
    client.post("/logga-ut", data={"csrf_token": csrf_token_from(client.get("/").text)})
    login(coordinator.outsider_coordinator)
    page = client.get("/sok", query_string={"q": "betalningsanmärkningar"}).get_data(as_text=True)
    assert "Inga träffar" in page
