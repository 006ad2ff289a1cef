"""Contract status: pause, lift, terminate, rescind and end, each with a reason and a decision."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from kb.audit.models import AuditRecord
from kb.auth.models import Role, User
from kb.organisations.models import Organisation
from kb.tenders.models import Contract, ContractStatus, ContractStatusChange
from tests.conftest import post_form
from tests.experience_world import World, build_world


@pytest.fixture
def world(app_db, make) -> World:
    with app_db() as session:
        return build_world(session, make)


@pytest.fixture
def people(app_db, make, world) -> dict[str, str]:
    """Emails: a coordinator and a curator in the network, a coordinator outside it."""
    with app_db() as session:
        home = session.scalar(select(Organisation).where(Organisation.name == "Provby"))
        home_id, intermediary_id = home.id, home.member_of_id
    outsider = make.organisation("Fjärranby")
    return {
        "coordinator": make.email_of(make.user(Role.COORDINATOR, organisation=home_id)),
        "curator": make.email_of(make.user(Role.CURATOR, organisation=intermediary_id)),
        "outsider": make.email_of(make.user(Role.COORDINATOR, organisation=outsider)),
        "caseworker": world.caseworker_email,
    }


def change(client, contract_id: int, **fields: str):
    data = {
        "to_status": "uteslutet",
        "changed_on": date.today().isoformat(),
        "reason": "Oanmält platsbesök visade allvarliga brister i nattbemanningen.",
        "decision_reference": "SN 2026/118",
    }
    data.update(fields)
    return post_form(client, f"/avtal/{contract_id}/status", data, f"/avtal/{contract_id}")


def state(app_db, contract_id: int) -> tuple:
    with app_db() as session:
        contract = session.get(Contract, contract_id)
        changes = session.scalar(
            select(func.count(ContractStatusChange.id)).where(
                ContractStatusChange.contract_id == contract_id
            )
        )
        return contract.status, changes


def test_a_coordinator_pauses_and_lifts_the_pause_and_the_history_keeps_both(
    client, login, world, people, app_db
):
    login(people["coordinator"])
    response = change(client, world.new_contract_id)
    assert response.status_code == 302
    assert state(app_db, world.new_contract_id) == (ContractStatus.PAUSED, 1)
    response = change(
        client,
        world.new_contract_id,
        to_status="aktivt",
        reason="Bristerna är åtgärdade enligt uppföljningsbesök.",
        decision_reference="SN 2026/131",
    )
    assert response.status_code == 302
    assert state(app_db, world.new_contract_id) == (ContractStatus.ACTIVE, 2)
    page = client.get(f"/avtal/{world.new_contract_id}").get_data(as_text=True)
    assert "SN 2026/118" in page and "SN 2026/131" in page
    assert page.index("SN 2026/131") < page.index("SN 2026/118")  # newest first
    with app_db() as session:
        first = session.scalar(
            select(ContractStatusChange).order_by(ContractStatusChange.id).limit(1)
        )
        coordinator = session.scalar(select(User).where(User.email == people["coordinator"]))
        assert first.from_status == ContractStatus.ACTIVE
        assert first.to_status == ContractStatus.PAUSED
        assert first.changed_by_id == coordinator.id
        audited = session.scalars(
            select(AuditRecord.entity).where(AuditRecord.actor_id == coordinator.id)
        ).all()
        assert "ContractStatusChange" in audited and "Contract" in audited


def test_the_tender_round_page_shows_the_pause_and_links_the_contract(
    client, login, world, people, app_db
):
    login(people["curator"])
    assert change(client, world.new_contract_id).status_code == 302
    with app_db() as session:
        round_id = session.get(Contract, world.new_contract_id).tender_round_id
    page = client.get(f"/upphandlingar/{round_id}").get_data(as_text=True)
    assert f"/avtal/{world.new_contract_id}" in page
    assert "Tillfälligt uteslutet från avrop" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reason": "  "}, "Ange skälet till ändringen."),
        ({"decision_reference": ""}, "Ange beslutets diarienummer eller referens."),
        ({"to_status": ""}, "Välj vilken ändring du vill göra."),
        ({"to_status": "påhittad"}, "Välj vilken ändring du vill göra."),
        (
            {"changed_on": (date.today() + timedelta(days=3)).isoformat()},
            "Datumet kan inte ligga i framtiden.",
        ),
        ({"changed_on": "2026-02-31"}, "Inte ett giltigt datum"),
        ({"reason": "Gäller 19121212-1212 som placerades."}, "personnummer"),
        ({"to_status": "aktivt"}, "Avtalet har redan status Aktivt."),
        ({"reason": "x" * 4001}, "högst 4000 tecken"),
    ],
)
def test_bad_status_changes_are_refused_in_swedish_and_change_nothing(
    client, login, world, people, app_db, fields, message
):
    login(people["coordinator"])
    before = state(app_db, world.new_contract_id)
    response = change(client, world.new_contract_id, **fields)
    replayed = fields.get("to_status") == "aktivt"  # the status it already has: refused, 403
    assert response.status_code == (403 if replayed else 200)
    assert message in response.get_data(as_text=True)
    assert state(app_db, world.new_contract_id) == before


def test_an_ended_contract_cannot_be_ended_again(client, login, world, people, app_db):
    login(people["coordinator"])
    assert change(client, world.old_contract_id, to_status="avslutat").status_code == 302
    response = change(client, world.old_contract_id, to_status="avslutat")
    assert response.status_code == 403
    assert "Avtalet är redan avslutat och kan inte ändras mer." in response.get_data(as_text=True)
    assert state(app_db, world.old_contract_id) == (ContractStatus.ENDED, 1)
    page = client.get(f"/avtal/{world.old_contract_id}").get_data(as_text=True)
    assert "kan inte ändras mer" in page and 'name="to_status"' not in page


def test_a_change_cannot_be_dated_before_the_previous_one(client, login, world, people, app_db):
    login(people["coordinator"])
    assert change(client, world.new_contract_id).status_code == 302
    earlier = (date.today() - timedelta(days=10)).isoformat()
    response = change(client, world.new_contract_id, to_status="uppsagt", changed_on=earlier)
    assert "före förra statusändringen" in response.get_data(as_text=True)
    assert state(app_db, world.new_contract_id) == (ContractStatus.PAUSED, 1)


def test_a_terminated_contract_can_still_be_rescinded_but_not_paused(
    client, login, world, people, app_db
):
    login(people["curator"])
    assert change(client, world.new_contract_id, to_status="uppsagt").status_code == 302
    response = change(client, world.new_contract_id, to_status="uteslutet")
    assert "kan inte få status" in response.get_data(as_text=True)
    assert change(client, world.new_contract_id, to_status="havt").status_code == 302
    assert state(app_db, world.new_contract_id) == (ContractStatus.RESCINDED, 2)


@pytest.mark.parametrize("who", ["caseworker", "outsider"])
def test_only_coordinators_and_curators_who_follow_the_contract_change_it(
    client, login, world, people, app_db, who
):
    login(people[who])
    page = client.get(f"/avtal/{world.new_contract_id}")
    assert page.status_code == 200 and 'name="to_status"' not in page.get_data(as_text=True)
    token_page = client.get("/").get_data(as_text=True)
    from tests.conftest import csrf_token_from

    response = client.post(
        f"/avtal/{world.new_contract_id}/status",
        data={
            "csrf_token": csrf_token_from(token_page),
            "to_status": "uteslutet",
            "changed_on": date.today().isoformat(),
            "reason": "Försök",
            "decision_reference": "X",
        },
    )
    assert response.status_code == 403
    assert state(app_db, world.new_contract_id) == (ContractStatus.ACTIVE, 0)


def test_an_unknown_contract_is_404(client, login, people):
    login(people["coordinator"])
    assert client.get("/avtal/999999").status_code == 404


def test_the_experience_form_marks_a_paused_contract_and_its_units(
    client, login, world, people, app_db
):
    login(people["coordinator"])
    assert change(client, world.new_contract_id).status_code == 302
    client.post("/logga-ut", data={"csrf_token": _token(client)})
    login(world.caseworker_email)
    form = client.get("/erfarenheter/ny").get_data(as_text=True)
    units = dict(re.findall(r'<option value="\d+">([^<–]+) –([^<]*)</option>', form))
    provgarden, testhyddan = units["Provgården"], units["Testhyddan"]
    assert "Avtal pausat" in provgarden and "Avtal pausat" not in testhyddan
    options = client.get(
        "/erfarenheter/avtal",
        query_string={
            "unit_id": world.unit_id,
            "agreement_area_id": world.area_id,
            "start": "2023-02",
        },
    ).get_json()
    labels = [option["label"] for option in options["contracts"]]
    assert any(label.startswith("⚠ PAUSAT: PRV-B") for label in labels), labels


def _token(client) -> str:
    from tests.conftest import csrf_token_from

    return csrf_token_from(client.get("/").get_data(as_text=True))


def test_a_status_change_makes_the_contract_findable_by_its_reason(
    app, client, login, world, people
):
    app.config["SEARCH_SYNC"] = "sync"
    login(people["coordinator"])
    reason = "Brandskyddet underkändes vid oanmält platsbesök."
    assert change(client, world.new_contract_id, reason=reason).status_code == 302
    page = client.get("/sok", query_string={"q": "brandskyddet"}).get_data(as_text=True)
    assert "1 träff" in page and f"/avtal/{world.new_contract_id}" in page
    assert "Tillfälligt uteslutet från avrop" in page
