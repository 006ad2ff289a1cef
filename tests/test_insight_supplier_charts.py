"""Supplier and unit scorecard charts: known answers, suppression, JSON, CSV and 404s.

The world: an intermediary with members Hemby (the owner) and Grannby (the outsider), and
Fjärranby outside the network. Supplier Diagramhemmet has units Ekgården (area HVB) and Lönngården
(areas HVB and LSS); another supplier's unit Björkgården also serves HVB.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest

from kb.auth.models import Role
from kb.experiences.models import (
    EndReason,
    Experience,
    ExperienceRating,
    ExperienceStatus,
    WouldPlaceAgain,
)
from kb.followups.models import (
    CheckKind,
    CheckResult,
    Deviation,
    DeviationCategory,
    FollowUp,
    FollowUpKind,
    FollowUpMethod,
    FollowUpResult,
    FollowUpScope,
    Severity,
    SupplierCheck,
)
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
from tests.factories import fictional_org_number

THEME = Theme.BEMANNING


@dataclass(frozen=True)
class ChartWorld:
    owner: str
    outsider: str
    supplier_id: int
    unit_id: int
    empty_unit_id: int
    protected_unit_id: int


def _experience(org, unit, area, *, rating, end=None, start=None, reason, again, price):
    start_year, start_month = start or end
    experience = Experience(
        organisation_id=org.id,
        unit_id=unit.id,
        agreement_area_id=area.id,
        start_year=start_year,
        start_month=start_month,
        end_year=end[0] if end else None,
        end_month=end[1] if end else None,
        end_reason=reason,
        would_place_again=again,
        daily_price=Decimal(price),
        status=ExperienceStatus.SUBMITTED,
        submitted_at=datetime(2024, 12, 1),
    )
    experience.ratings = [ExperienceRating(theme=THEME, rating=rating)]
    return experience


def _organisations(session):
    intermediary = Organisation(name="Diagramförbundet", kind=OrganisationKind.INTERMEDIARY)
    home = Organisation(name="Hemby", kind=OrganisationKind.MUNICIPALITY, member_of=intermediary)
    neighbour = Organisation(
        name="Grannby", kind=OrganisationKind.MUNICIPALITY, member_of=intermediary
    )
    far = Organisation(name="Fjärranby", kind=OrganisationKind.MUNICIPALITY)
    session.add_all([intermediary, home, neighbour, far])
    session.flush()
    return intermediary, home, neighbour, far


def _supplier(name: str, number: int) -> Supplier:
    return Supplier(
        name=name, org_number=fictional_org_number(number), legal_form=LegalForm.AKTIEBOLAG
    )


def build_chart_world(session, make) -> ChartWorld:
    intermediary, home, neighbour, far = _organisations(session)
    hvb = AgreementArea(name="Diagram-HVB", category=AreaCategory.IFO)
    lss = AgreementArea(name="Diagram-LSS", category=AreaCategory.FO)
    supplier, other = _supplier("Diagramhemmet AB", 771), _supplier("Andra hemmet AB", 772)
    unit = Unit(supplier=supplier, name="Ekgården", agreement_areas=[hvb])
    unit.last_ivo_inspection = date(2024, 2, 20)
    empty = Unit(supplier=supplier, name="Lönngården", agreement_areas=[hvb, lss])
    rival = Unit(supplier=other, name="Björkgården", agreement_areas=[hvb])
    hidden = Unit(
        supplier=other,
        name="Skyddsboendet",
        agreement_areas=[lss],
        address="Hemliga gatan 7",
        protected_address=True,
    )
    round_ = TenderRound(
        reference="DIA 2023/1",
        title="Diagramavtalet",
        agreement_area=hvb,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=intermediary,
    )
    contract = Contract(tender_round=round_, supplier=supplier, units=[unit], reference="DIA-A")
    session.add_all([unit, empty, rival, hidden, contract])
    session.flush()
    _add_experiences(session, home, neighbour, far, unit, rival, hvb)
    _add_records(session, home, far, supplier, unit, rival, contract)
    session.commit()
    owner = make.user(Role.CASEWORKER, organisation=home.id)
    outsider = make.user(Role.CASEWORKER, organisation=neighbour.id)
    return ChartWorld(
        make.email_of(owner), make.email_of(outsider), supplier.id, unit.id, empty.id, hidden.id
    )


def _add_experiences(session, home, neighbour, far, unit, rival, hvb) -> None:
    ended, broke, ongoing = EndReason.PLANNED, EndReason.BREAKDOWN, EndReason.ONGOING
    yes, no, unsure = WouldPlaceAgain.YES, WouldPlaceAgain.NO, WouldPlaceAgain.UNSURE
    session.add_all(
        [
            # Ekgården, Hemby: 2024 H1 ratings 4 and 2, 2024 H2 (ongoing, by start) 5.
            _experience(
                home, unit, hvb, rating=4, end=(2024, 3), reason=ended, again=yes, price=4000
            ),
            _experience(
                home, unit, hvb, rating=2, end=(2024, 5), reason=broke, again=no, price=5000
            ),
            _experience(
                home, unit, hvb, rating=5, start=(2024, 8), reason=ongoing, again=yes, price=6000
            ),
            # Björkgården, Grannby: the rest of the area.
            _experience(
                neighbour, rival, hvb, rating=3, end=(2024, 2), reason=broke, again=yes, price=3000
            ),
            _experience(
                neighbour, rival, hvb, rating=1, end=(2024, 10), reason=ended, again=no, price=3500
            ),
            _experience(
                neighbour,
                rival,
                hvb,
                rating=4,
                end=(2023, 11),
                reason=ended,
                again=unsure,
                price=4200,
            ),
            # Outside the network: never counted.
            _experience(far, unit, hvb, rating=1, end=(2024, 4), reason=broke, again=no, price=99),
        ]
    )


def _deviation(org, category, unit=None, contract=None) -> Deviation:
    return Deviation(
        organisation=org,
        unit=unit,
        contract=contract,
        occurred_on=date(2024, 5, 1),
        category=category,
        severity=Severity.MEDIUM,
        description_md="Påhittad avvikelse.",
    )


def _add_records(session, home, far, supplier, unit, rival, contract) -> None:
    staffing, invoicing = DeviationCategory.STAFFING, DeviationCategory.INVOICING
    session.add_all(
        [
            _deviation(home, staffing, unit=unit),
            _deviation(home, staffing, unit=unit),
            _deviation(home, invoicing, contract=contract),
            _deviation(home, staffing, unit=rival),
            _deviation(far, staffing, unit=unit),  # another network's: not counted
            ContractStatusChange(
                contract=contract,
                from_status=ContractStatus.ACTIVE,
                to_status=ContractStatus.PAUSED,
                changed_on=date(2024, 6, 1),
                reason="Bemanningsbrister.",
            ),
            _check(home, supplier, unit, CheckKind.IVO_PERMIT, CheckResult.REMARK, (2024, 4, 10)),
            _check(home, supplier, None, CheckKind.CREDIT, CheckResult.OK, (2024, 1, 15)),
            _check(far, supplier, None, CheckKind.TAXES, CheckResult.FAILED, (2024, 3, 3)),
            FollowUp(
                organisation=home,
                title="IVO:s tillsyn",
                kind=FollowUpKind.EVENT_DRIVEN,
                scope=FollowUpScope.UNIT,
                unit=unit,
                period_start=date(2024, 9, 1),
                period_end=date(2024, 9, 30),
                result=FollowUpResult.SERIOUS,
                methods=[FollowUpMethod.IVO_CHECK.value],
            ),
        ]
    )


def _check(org, supplier, unit, kind, result, day) -> SupplierCheck:
    return SupplierCheck(
        organisation=org,
        supplier=supplier,
        unit=unit,
        kind=kind,
        result=result,
        checked_on=date(*day),
    )


@pytest.fixture
def world(app_db, make) -> ChartWorld:
    with app_db() as session:
        return build_chart_world(session, make)


def _figures(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["figures"]


def _series(figure: dict) -> dict[str, list]:
    return {series["name"]: series["values"] for series in figure["series"]}


def test_unit_half_year_means_against_the_area(client, login, world):
    login(world.owner)
    figures = _figures(client, f"/verksamheter/{world.unit_id}/diagram.json")
    over_time = figures["betyg-over-tid"]
    assert over_time["categories"] == ["2023 H2", "2024 H1", "2024 H2"]
    values = _series(over_time)
    assert values["Ekgården"] == [None, 3.0, 5.0]
    # Area 2023 H2 rests on one Grannby rating and 2024 H2 on two (one unreadable): hidden.
    assert values["Avtalsområdet"] == [None, 3.0, None]


def test_rates_prices_and_their_area_comparison(client, login, world):
    login(world.owner)
    figures = _figures(client, f"/verksamheter/{world.unit_id}/diagram.json")
    breakdown = _series(figures["sammanbrott"])
    assert breakdown["Andel sammanbrott"] == [50.0]  # 1 of 2 ended; the ongoing one not counted
    assert breakdown["Avtalsområdets genomsnitt"] == [40.0]  # 2 of 5 ended in the area
    again = _series(figures["placera-igen"])
    assert again["Andel ja"] == [pytest.approx(66.7)]
    assert again["Avtalsområdets genomsnitt"] == [50.0]
    price = _series(figures["dygnspris"])
    assert price["Mediandygnspris"] == [5000]
    assert price["Avtalsområdets median"] == [4100]  # (4000 + 4200) / 2


def test_distribution_and_theme_table(client, login, world):
    login(world.owner)
    figures = _figures(client, f"/verksamheter/{world.unit_id}/diagram.json?tema=bemanning")
    distribution = _series(figures["betygsfordelning"])
    assert distribution["Ekgården"] == [0.0, 33.3, 0.0, 33.3, 33.3]
    assert distribution["Avtalsområdet"] == [16.7, 16.7, 16.7, 33.3, 16.7]
    table = figures["betyg-per-tema"]
    row = next(r for r in table["rows"] if r[0] == "Bemanning och kontinuitet")
    assert row[1:] == [0, 1, 0, 1, 1, 3, pytest.approx(11 / 3, abs=0.01), 3.17]


def test_supplier_rows_per_unit_and_combined_areas(client, login, world):
    login(world.owner)
    figures = _figures(client, f"/leverantorer/{world.supplier_id}/diagram.json")
    breakdown = figures["sammanbrott"]
    assert breakdown["categories"] == ["Ekgården", "Lönngården", "Hela leverantören"]
    assert _series(breakdown)["Andel sammanbrott"] == [50.0, None, 50.0]
    assert _series(breakdown)["Avtalsområdets genomsnitt"] == [40.0, 40.0, 40.0]
    assert "sammantagna" in breakdown["description"]
    assert "Diagram-HVB, Diagram-LSS" in breakdown["description"]


def test_deviations_by_category_against_the_area_per_unit(client, login, world):
    login(world.owner)
    unit = _figures(client, f"/verksamheter/{world.unit_id}/diagram.json")["avvikelser"]
    index = {name: i for i, name in enumerate(unit["categories"])}
    staffing, invoicing = index["Bemanning"], index["Fakturering"]
    values = _series(unit)
    assert values["Antal"][staffing] == 2 and values["Antal"][invoicing] == 1
    area = values["Avtalsområdets snitt per verksamhet"]
    assert area[staffing] == 1.0 and area[invoicing] == pytest.approx(0.33)  # 3 units in HVB
    whole = _series(
        _figures(client, f"/leverantorer/{world.supplier_id}/diagram.json")["avvikelser"]
    )
    assert whole["Antal"][staffing] == 2 and whole["Per verksamhet"][staffing] == 1.0


def test_timeline_of_status_changes_ivo_remarks_and_checks(client, login, world):
    login(world.owner)
    timeline = _figures(client, f"/verksamheter/{world.unit_id}/diagram.json")["tidslinje"]
    events = [(e["date"], e["kind"]) for e in timeline["events"]]
    assert events == [
        ("2024-01-15", "Kontroll"),
        ("2024-02-20", "IVO-inspektion"),
        ("2024-04-10", "IVO-anmärkning"),
        ("2024-06-01", "Avtalsstatus"),
        ("2024-09-30", "IVO-anmärkning"),
    ]  # Fjärranby's failed tax check is another network's


def test_outsider_sees_small_unreadable_cells_as_gaps(client, login, world):
    login(world.outsider)
    figures = _figures(client, f"/verksamheter/{world.unit_id}/diagram.json")
    values = _series(figures["betyg-over-tid"])
    assert values["Ekgården"] == [None, None, None]  # two and one Hemby ratings
    assert values["Avtalsområdet"] == [4.0, 3.0, None]  # 2023 H2 is Grannby's own
    assert _series(figures["sammanbrott"])["Andel sammanbrott"] == [None]
    assert _series(figures["dygnspris"])["Mediandygnspris"] == [5000]  # three experiences
    assert _series(figures["betygsfordelning"])["Ekgården"] == [0.0, 33.3, 0.0, 33.3, 33.3]


def test_page_shows_the_same_figures_as_the_json(client, login, world):
    login(world.owner)
    for page in (f"/verksamheter/{world.unit_id}", f"/leverantorer/{world.supplier_id}"):
        html = client.get(page).get_data(as_text=True)
        figures = _figures(client, f"{page}/diagram.json")
        assert 'id="diagram"' in html
        for figure_id, figure in figures.items():
            assert f'id="figur-{figure_id}"' in html
            if "series" not in figure:
                continue
            drawn = re.findall(rf'<svg[^>]*id="{figure_id}".*?</svg>', html, flags=re.DOTALL)
            assert drawn, figure_id
            values = re.findall(r'data-value="([^"]*)"', drawn[0])
            expected = [v for s in figure["series"] for v in s["values"]]
            assert sorted(values) == sorted("" if v is None else _json_number(v) for v in expected)


def _json_number(value) -> str:
    import json

    return json.dumps(value)


def test_theme_selector_and_bad_input(client, login, world):
    login(world.owner)
    page = client.get(f"/verksamheter/{world.unit_id}?tema=nonsense")
    assert page.status_code == 200
    assert 'value="bemanning" selected' in page.get_data(as_text=True)
    figures = _figures(client, f"/verksamheter/{world.unit_id}/diagram.json?tema=lokaler")
    assert figures["betyg-over-tid"]["categories"] == []
    assert client.get(f"/leverantorer/{world.supplier_id}?tema=%00").status_code == 200


def test_csv_opens_in_swedish_excel(client, login, world):
    login(world.owner)
    response = client.get(f"/verksamheter/{world.unit_id}/tabell/placera-igen.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Verksamhet", "Andel ja", "Avtalsområdets genomsnitt"]
    assert rows[1] == ["Ekgården", "66,7", "50,0"]
    over_time = client.get(f"/leverantorer/{world.supplier_id}/tabell/betyg-over-tid.csv")
    text = over_time.data.decode("utf-8-sig")
    assert "2024 H1;3,0;3,0\r\n" in text


def test_unknown_figure_and_missing_subjects_are_404(client, login, world):
    login(world.owner)
    assert client.get(f"/verksamheter/{world.unit_id}/tabell/okand.csv").status_code == 404
    assert client.get("/verksamheter/999999/diagram.json").status_code == 404
    assert client.get("/leverantorer/999999/diagram.json").status_code == 404
    assert client.get("/leverantorer/999999/tabell/sammanbrott.csv").status_code == 404
    assert client.get("/verksamheter/999999/tabell/sammanbrott.csv").status_code == 404


def test_charts_need_sign_in_and_never_show_a_protected_address(client, login, world):
    assert client.get(f"/verksamheter/{world.unit_id}/diagram.json").status_code in (302, 401)
    login(world.outsider)
    unit = world.protected_unit_id
    for url in (f"/verksamheter/{unit}", f"/verksamheter/{unit}/diagram.json"):
        response = client.get(url)
        assert response.status_code == 200
        assert "Hemliga gatan" not in response.get_data(as_text=True)


def test_unit_without_experiences_shows_only_its_areas(client, login, world):
    login(world.owner)
    figures = _figures(client, f"/verksamheter/{world.empty_unit_id}/diagram.json")
    over_time = _series(figures["betyg-over-tid"])  # the area's line, none of its own
    assert over_time == {"Lönngården": [None, None, None], "Avtalsområdet": [None, 3.0, None]}
    assert _series(figures["sammanbrott"])["Andel sammanbrott"] == [None]
    assert "sammantagna" in figures["sammanbrott"]["description"]
    page = client.get(f"/verksamheter/{world.empty_unit_id}")
    assert "Det finns inga betyg att visa över tid ännu." in page.get_data(as_text=True)
