"""Deviations: recording, resolving, reading, the list, bad input and search.

The world: the intermediary Uppföljningsförbundet with the members Hemby (which leads the
framework the tests follow up) and Grannby, plus Fjärrby outside the network, which leads a
framework of its own. Hemby may follow up its framework; Grannby may not; Fjärrby reads nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from kb.audit.models import AuditRecord
from kb.auth.models import Role, User
from kb.followups.models import Deviation, DeviationCategory, Severity
from kb.organisations.models import Organisation, OrganisationKind
from kb.search.models import SearchOutbox
from kb.suppliers.models import AgreementArea, AreaCategory, LegalForm, Supplier, Unit
from kb.tenders.models import Contract, ContractStatus, ProcurementForm, TenderRound
from tests.conftest import csrf_token_from, post_form
from tests.factories import Factory, fictional_org_number

NEW = "/avvikelser/ny"
VALID_PNR = "811218-9876"


@dataclass(frozen=True)
class FollowUpWorld:
    coordinator: str  # Hemby
    caseworker: str  # Hemby
    neighbour_coordinator: str  # Grannby, same network, not on the framework
    outsider_coordinator: str  # Fjärrby, another network
    curator: str  # the intermediary
    hemby_id: int
    grannby_id: int
    fjarrby_id: int
    intermediary_id: int
    area_id: int
    round_id: int
    outside_round_id: int
    supplier_id: int  # Provomsorg AB: units gården (contract) and hyddan (own contract)
    other_supplier_id: int  # Annanvård AB: unit backen
    outside_supplier_id: int  # Fjärrvård AB, only on Fjärrby's framework
    unit_id: int
    second_unit_id: int
    other_unit_id: int
    outside_unit_id: int
    contract_id: int
    second_contract_id: int
    other_contract_id: int
    outside_contract_id: int
    ended_supplier_id: int  # on the framework with an ended contract only


def _supplier(name: str, number: int) -> Supplier:
    return Supplier(
        name=name, org_number=fictional_org_number(number), legal_form=LegalForm.AKTIEBOLAG
    )


def build_followup_world(session, make: Factory) -> FollowUpWorld:
    intermediary = Organisation(name="Uppföljningsförbundet", kind=OrganisationKind.INTERMEDIARY)
    hemby = Organisation(name="Hemby", kind=OrganisationKind.MUNICIPALITY, member_of=intermediary)
    grannby = Organisation(
        name="Grannby", kind=OrganisationKind.MUNICIPALITY, member_of=intermediary
    )
    fjarrby = Organisation(name="Fjärrby", kind=OrganisationKind.MUNICIPALITY)
    area = AgreementArea(name="Uppföljningsområde HVB", category=AreaCategory.IFO)
    supplier = _supplier("Provomsorg AB", 701)
    other = _supplier("Annanvård AB", 702)
    outside = _supplier("Fjärrvård AB", 703)
    ended = _supplier("Avslutad Vård AB", 704)
    unit = Unit(supplier=supplier, name="Provgården", agreement_areas=[area])
    second_unit = Unit(supplier=supplier, name="Provhyddan", agreement_areas=[area])
    other_unit = Unit(supplier=other, name="Annanbacken", agreement_areas=[area])
    outside_unit = Unit(supplier=outside, name="Fjärrgården", agreement_areas=[area])
    ended_unit = Unit(supplier=ended, name="Slutgården", agreement_areas=[area])
    framework = TenderRound(
        reference="UPP 2023/1",
        title="Uppföljningsavtalet HVB",
        agreement_area=area,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=hemby,
        contract_start=date(2023, 1, 1),
        contract_end=date(2027, 12, 31),
    )
    outside_round = TenderRound(
        reference="FJR 2023/1",
        title="Fjärrbys avtal",
        agreement_area=area,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=fjarrby,
    )
    contracts = [
        Contract(tender_round=framework, supplier=supplier, units=[unit], reference="UPP-A"),
        Contract(tender_round=framework, supplier=supplier, units=[second_unit], reference="UPP-B"),
        Contract(tender_round=framework, supplier=other, units=[other_unit], reference="UPP-C"),
        Contract(tender_round=outside_round, supplier=outside, units=[outside_unit]),
        Contract(
            tender_round=framework,
            supplier=ended,
            units=[ended_unit],
            reference="UPP-D",
            status=ContractStatus.ENDED,
        ),
    ]
    session.add_all([intermediary, hemby, grannby, fjarrby, *contracts])
    session.commit()
    emails = [
        make.user(Role.COORDINATOR, organisation=hemby.id, email="samordnare@hemby.example"),
        make.user(Role.CASEWORKER, organisation=hemby.id, email="socsek@hemby.example"),
        make.user(Role.COORDINATOR, organisation=grannby.id, email="samordnare@grannby.example"),
        make.user(Role.COORDINATOR, organisation=fjarrby.id, email="samordnare@fjarrby.example"),
        make.user(Role.CURATOR, organisation=intermediary.id, email="kunskap@forbund.example"),
    ]
    emails = [session.get(User, user_id).email for user_id in emails]
    return FollowUpWorld(
        *emails,
        hemby.id,
        grannby.id,
        fjarrby.id,
        intermediary.id,
        area.id,
        framework.id,
        outside_round.id,
        supplier.id,
        other.id,
        outside.id,
        unit.id,
        second_unit.id,
        other_unit.id,
        outside_unit.id,
        *(contract.id for contract in contracts[:4]),
        ended.id,
    )


@pytest.fixture
def world(app_db, make) -> FollowUpWorld:
    with app_db() as session:
        return build_followup_world(session, make)


@pytest.fixture
def coordinator(world, login) -> FollowUpWorld:
    login(world.coordinator)
    return world


def deviation_form(world: FollowUpWorld, **overrides: str) -> dict[str, str]:
    data = {
        "unit_id": str(world.unit_id),
        "contract_id": str(world.contract_id),
        "occurred_on": (date.today() - timedelta(days=3)).isoformat(),
        "category": "bemanning",
        "severity": "hog",
        "description_md": "Nattbemanningen var **en person** trots avtalad dubbelbemanning.",
    }
    data.update(overrides)
    return data


def deviation_count(app_db) -> int:
    with app_db() as session:
        return session.scalar(select(func.count(Deviation.id)))


def add_deviation(app_db, world: FollowUpWorld, **fields) -> int:
    values = {
        "organisation_id": world.hemby_id,
        "unit_id": world.unit_id,
        "occurred_on": date.today() - timedelta(days=10),
        "category": DeviationCategory.STAFFING,
        "severity": Severity.MEDIUM,
        "description_md": "Bemanningen brast.",
        "description_html": "<p>Bemanningen brast.</p>",
    }
    values.update(fields)
    with app_db() as session:
        deviation = Deviation(**values)
        session.add(deviation)
        session.commit()
        return deviation.id


def test_a_coordinator_records_a_deviation_rendered_audited_and_queued(client, coordinator, app_db):
    response = post_form(client, NEW, deviation_form(coordinator))
    assert response.status_code == 302
    with app_db() as session:
        deviation = session.scalar(select(Deviation))
        assert deviation.organisation_id == coordinator.hemby_id
        assert deviation.reported_by.email == coordinator.coordinator
        assert (deviation.unit_id, deviation.contract_id) == (
            coordinator.unit_id,
            coordinator.contract_id,
        )
        assert deviation.category == DeviationCategory.STAFFING
        assert deviation.severity == Severity.HIGH
        assert not deviation.resolved
        assert "<strong>en person</strong>" in deviation.description_html
        audit = session.scalars(
            select(AuditRecord).where(
                AuditRecord.entity == "Deviation", AuditRecord.entity_id == str(deviation.id)
            )
        ).all()
        assert len(audit) == 1 and audit[0].actor_label == coordinator.coordinator
        queued = select(SearchOutbox.entity_id).where(SearchOutbox.entity == "deviation")
        assert session.scalar(queued) == deviation.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Avvikelsen är registrerad." in page
    assert "<strong>en person</strong>" in page and "Provomsorg AB" in page


def test_a_contract_alone_or_a_unit_alone_is_enough(client, coordinator, app_db):
    assert post_form(client, NEW, deviation_form(coordinator, unit_id="")).status_code == 302
    assert post_form(client, NEW, deviation_form(coordinator, contract_id="")).status_code == 302
    with app_db() as session:
        pairs = session.execute(select(Deviation.unit_id, Deviation.contract_id)).all()
    assert sorted(pairs, key=str) == sorted(
        [(None, coordinator.contract_id), (coordinator.unit_id, None)], key=str
    )


def test_the_new_form_preselects_a_unit_or_a_contract(client, coordinator):
    page = client.get(f"{NEW}?verksamhet={coordinator.unit_id}").get_data(as_text=True)
    assert f'<option selected value="{coordinator.unit_id}">' in page
    page = client.get(f"{NEW}?avtal={coordinator.contract_id}").get_data(as_text=True)
    assert f'<option selected value="{coordinator.contract_id}">' in page
    assert "Fjärrgården" not in page  # not on a framework Hemby follows up


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"occurred_on": (date.today() + timedelta(days=1)).isoformat()}, "i framtiden"),
        ({"occurred_on": "2024-13-40"}, "Skriv datumet som ÅÅÅÅ-MM-DD"),
        ({"occurred_on": ""}, "Ange när avvikelsen inträffade."),
        ({"unit_id": "", "contract_id": ""}, "Välj en verksamhet, ett avtal eller båda."),
        ({"unit_id": "999999", "contract_id": ""}, "Verksamheten finns inte."),
        ({"unit_id": "99999999999999", "contract_id": ""}, "Verksamheten finns inte."),
        ({"unit_id": "abc", "contract_id": ""}, "Verksamheten finns inte."),
        ({"unit_id": "", "contract_id": "424242"}, "Avtalet finns inte."),
        ({"category": ""}, "Välj en kategori."),
        ({"category": "påhittad"}, "Kategori"),
        ({"severity": ""}, "Välj allvarlighetsgrad."),
        ({"description_md": "   "}, "Beskriv avvikelsen."),
    ],
)
def test_bad_input_gets_a_swedish_message_and_saves_nothing(
    client, coordinator, app_db, overrides, message
):
    response = post_form(client, NEW, deviation_form(coordinator, **overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Formuläret innehåller fel" in page and message in page
    typed = deviation_form(coordinator, **overrides)["description_md"]
    assert typed.strip() in page  # what was typed is kept
    assert deviation_count(app_db) == 0


def test_objects_the_organisation_may_not_follow_up_are_refused(client, coordinator, app_db):
    cases = [
        ({"unit_id": str(coordinator.outside_unit_id), "contract_id": ""}, "verksamheten"),
        ({"unit_id": "", "contract_id": str(coordinator.outside_contract_id)}, "avtalet"),
    ]
    for overrides, _what in cases:  # never offered: a tampered form, refused with 404
        response = post_form(client, NEW, deviation_form(coordinator, **overrides))
        assert response.status_code == 404
    assert deviation_count(app_db) == 0


def test_a_neighbour_not_on_the_framework_may_not_record_against_it(client, world, login, app_db):
    login(world.neighbour_coordinator)
    response = post_form(client, NEW, deviation_form(world, contract_id=""))
    assert response.status_code == 404  # the framework's unit was never offered to it
    assert deviation_count(app_db) == 0


def test_the_intermediary_curator_may_record_on_a_members_framework(client, world, login, app_db):
    login(world.curator)
    assert post_form(client, NEW, deviation_form(world)).status_code == 302
    with app_db() as session:
        assert session.scalar(select(Deviation.organisation_id)) == world.intermediary_id


def test_a_unit_not_on_the_contract_is_refused(client, coordinator, app_db):
    data = deviation_form(coordinator, unit_id=str(coordinator.second_unit_id))
    page = post_form(client, NEW, data).get_data(as_text=True)
    assert "Avtalet omfattar inte den valda verksamheten." in page
    assert deviation_count(app_db) == 0


def test_a_personnummer_is_refused_showing_where(client, coordinator, app_db):
    text = f"Första raden.\nDen placerade ({VALID_PNR}) avvek."
    page = post_form(client, NEW, deviation_form(coordinator, description_md=text)).get_data(
        as_text=True
    )
    assert "ser ut som ett personnummer" in page and "rad 2, tecken 16: 811218-****" in page
    assert deviation_count(app_db) == 0


def test_an_email_address_warns_and_saves_after_confirmation(client, coordinator, app_db):
    data = deviation_form(coordinator, description_md="Kontakt: chef@provomsorg.example")
    page = post_form(client, NEW, data).get_data(as_text=True)
    assert "innehåller en e-postadress" in page
    assert deviation_count(app_db) == 0
    confirmed = post_form(client, NEW, {**data, "privacy_confirmed": "y"})
    assert confirmed.status_code == 302
    assert deviation_count(app_db) == 1


def test_raw_html_is_shown_as_text(client, coordinator, app_db):
    data = deviation_form(coordinator, description_md="<script>alert(1)</script> hände")
    response = post_form(client, NEW, data)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_resolving_needs_a_note_and_happens_once(client, coordinator, app_db):
    deviation_id = add_deviation(app_db, coordinator)
    url = f"/avvikelser/{deviation_id}/atgarda"
    form_url = f"/avvikelser/{deviation_id}"
    page = post_form(client, url, {"resolution_note": "  "}, form_url).get_data(as_text=True)
    assert "Skriv hur avvikelsen åtgärdades." in page
    with app_db() as session:
        assert not session.get(Deviation, deviation_id).resolved
    note = "Leverantören har anställt två nattpersonal."
    response = post_form(client, url, {"resolution_note": note}, form_url)
    assert response.status_code == 302
    with app_db() as session:
        deviation = session.get(Deviation, deviation_id)
        assert deviation.resolved and deviation.resolved_on == date.today()
        assert deviation.resolution_note == note
    token = csrf_token_from(client.get("/avvikelser/").get_data(as_text=True))
    again = client.post(url, data={"resolution_note": "Igen", "csrf_token": token})
    assert again.status_code == 403  # a replayed form
    with app_db() as session:
        assert session.get(Deviation, deviation_id).resolution_note == note


def test_only_the_recording_organisations_writers_resolve(client, world, login, app_db):
    deviation_id = add_deviation(app_db, world)
    login(world.neighbour_coordinator)
    page = client.get(f"/avvikelser/{deviation_id}")
    assert page.status_code == 200 and "Markera som åtgärdad" not in page.get_data(as_text=True)
    token = csrf_token_from(client.get("/avvikelser/").get_data(as_text=True))
    response = client.post(
        f"/avvikelser/{deviation_id}/atgarda", data={"resolution_note": "x", "csrf_token": token}
    )
    assert response.status_code == 403
    with app_db() as session:
        assert not session.get(Deviation, deviation_id).resolved


def test_caseworkers_read_but_may_not_write(client, world, login, app_db):
    deviation_id = add_deviation(app_db, world)
    login(world.caseworker)
    assert client.get("/avvikelser/").status_code == 200
    page = client.get(f"/avvikelser/{deviation_id}").get_data(as_text=True)
    assert "Bemanningen brast." in page and "Markera som åtgärdad" not in page
    assert client.get(NEW).status_code == 403
    token = csrf_token_from(client.get("/avvikelser/").get_data(as_text=True))
    assert client.post(NEW, data={"csrf_token": token}).status_code == 403
    response = client.post(
        f"/avvikelser/{deviation_id}/atgarda", data={"resolution_note": "x", "csrf_token": token}
    )
    assert response.status_code == 403


def test_outside_the_network_a_deviation_does_not_exist(client, world, login, app_db):
    deviation_id = add_deviation(app_db, world, description_md="Hembys hemliga iakttagelse")
    login(world.outsider_coordinator)
    assert client.get(f"/avvikelser/{deviation_id}").status_code == 404
    assert client.get("/avvikelser/99999").status_code == 404
    assert "Hemby" not in client.get("/avvikelser/").get_data(as_text=True).split("<main")[1]


def test_the_list_puts_open_ones_first_by_severity_and_filters(client, world, login, app_db):
    ids = {
        "open_low": add_deviation(app_db, world, severity=Severity.LOW),
        "open_critical": add_deviation(app_db, world, severity=Severity.CRITICAL),
        "resolved_critical": add_deviation(
            app_db, world, severity=Severity.CRITICAL, resolved=True, resolved_on=date.today()
        ),
        "other_supplier": add_deviation(
            app_db,
            world,
            unit_id=None,
            contract_id=world.other_contract_id,
            severity=Severity.HIGH,
            category=DeviationCategory.INVOICING,
        ),
    }
    login(world.caseworker)

    def listed(query: str = "") -> list[int]:
        page = client.get(f"/avvikelser/{query}").get_data(as_text=True)
        order = sorted((page.find(f'/avvikelser/{i}"'), name) for name, i in ids.items())
        return [name for position, name in order if position >= 0]

    assert listed() == ["open_critical", "other_supplier", "open_low", "resolved_critical"]
    assert listed("?status=atgardad") == ["resolved_critical"]
    assert listed("?status=oppen&allvarlighet=allvarlig") == ["open_critical"]
    assert listed(f"?leverantor={world.other_supplier_id}") == ["other_supplier"]
    assert listed("?kategori=fakturering") == ["other_supplier"]
    assert listed(f"?verksamhet={world.unit_id}&status=oppen") == ["open_critical", "open_low"]
    assert len(listed(f"?omrade={world.area_id}")) == 4
    assert listed("?leverantor=nonsens&status=galet") == listed()


def test_a_saved_deviation_is_findable_in_search(app, client, coordinator):
    app.config["SEARCH_SYNC"] = "sync"
    data = deviation_form(coordinator, description_md="Brandlarmet var urkopplat i köket.")
    assert post_form(client, NEW, data).status_code == 302
    page = client.get("/sok", query_string={"q": "brandlarmet"}).get_data(as_text=True)
    assert "1 träff" in page
