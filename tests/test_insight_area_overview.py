"""The agreement-area overview on constructed data whose every figure is known in advance.

Insiktsförbundet (an intermediary) has two members, Hemby and Grannby; Fjärranby is outside.
The area has an ended round R1 (2019–2021) and an active round R2 (2022–2025, extended to
2026). Ranking by hand (composite = 0,5 × betygspoäng + 0,25 × utan sammanbrott + 0,25 ×
placera igen):

- Ugglan (Hemby, 5 experiences on R2 + 2 on R1): mean rating 4,5 -> 87,5 points; 4 ended,
  1 breakdown -> 75 % without; 4 answers, 2 yes -> 50 %: 43,75 + 18,75 + 12,5 = 75,0.
- Tallen (Grannby, 6 on R2): mean 3 -> 50 points; 6 ended, 2 breakdowns -> 66,67 %; 6 of 6
  yes -> 100 %: 25 + 16,67 + 25 = 66,67.
- Eken (Grannby, 2 on R2): too few; Björken (3 Hemby + 1 Grannby off contract): too few.
"""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from sqlalchemy import event

from kb.auth.models import Role, User
from kb.experiences.models import (
    EndReason,
    Experience,
    ExperienceRating,
    ExperienceStatus,
    OffContractReason,
    WouldPlaceAgain,
)
from kb.extensions import db
from kb.followups.models import (
    Deviation,
    DeviationCategory,
    FollowUp,
    FollowUpKind,
    FollowUpResult,
    FollowUpScope,
    Severity,
)
from kb.insight.blueprint import figure_cell
from kb.organisations.models import Organisation, OrganisationKind
from kb.suppliers.models import AgreementArea, AreaCategory, LegalForm, Supplier, Unit
from kb.tenders.models import (
    Contract,
    ContractStatus,
    ProcurementForm,
    TenderRound,
    TenderRoundStatus,
)
from kb.themes import Theme
from tests.factories import fictional_org_number

HEMBY = "socsek@hemby.example"
GRANNBY = "socsek@grannby.example"
CURATOR = "kunskap@insikt.example"
OUTSIDER = "socsek@fjarranby.example"
R1_LABEL, R2_LABEL = "INS 2018/1 (2019–2021)", "INS 2021/2 (2022–2026)"


@dataclass(frozen=True)
class World:
    area_id: int
    other_area_id: int


def _experience(org, unit, year, *, contract=None, ratings=(), end=None, again=None, **extra):
    experience = Experience(
        organisation_id=org.id,
        unit_id=unit.id,
        agreement_area_id=extra.pop("area_id", None),
        contract_id=contract.id if contract else None,
        start_year=year,
        start_month=3,
        end_reason=end,
        would_place_again=again,
        status=extra.pop("status", ExperienceStatus.SUBMITTED),
        **extra,
    )
    themes = list(Theme)
    experience.ratings = [
        ExperienceRating(theme=themes[i], rating=r) for i, r in enumerate(ratings)
    ]
    return experience


def _supplier(name: str, number: int) -> Supplier:
    return Supplier(
        name=name, org_number=fictional_org_number(number), legal_form=LegalForm.AKTIEBOLAG
    )


def _round(reference, area, lead, status, start, end, **fields) -> TenderRound:
    return TenderRound(
        reference=reference,
        title=f"Ramavtal {reference}",
        agreement_area=area,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=lead,
        status=status,
        contract_start=start,
        contract_end=end,
        **fields,
    )


def _followup(org, scope: FollowUpScope, result, start=None, end=None, **target) -> FollowUp:
    return FollowUp(
        organisation=org,
        title=f"Uppföljning {scope.value}",
        kind=FollowUpKind.SPECIAL,
        scope=scope,
        period_start=start,
        period_end=end,
        result=result,
        **target,
    )


def build_world(session, make) -> World:
    network = Organisation(name="Insiktsförbundet", kind=OrganisationKind.INTERMEDIARY)
    hemby = Organisation(name="Hemby", kind=OrganisationKind.MUNICIPALITY, member_of=network)
    grannby = Organisation(name="Grannby", kind=OrganisationKind.MUNICIPALITY, member_of=network)
    outsider = Organisation(name="Fjärranby", kind=OrganisationKind.MUNICIPALITY)
    area = AgreementArea(name="Översiktsområde HVB", category=AreaCategory.IFO)
    other_area = AgreementArea(name="Översiktsområde LSS", category=AreaCategory.FO)
    s1, s2, s3 = (
        _supplier("Ugglans Vård AB", 701),
        _supplier("Tallens AB", 702),
        _supplier("Ekens Omsorg AB", 703),
    )
    ugglan = Unit(supplier=s1, name="Ugglan", agreement_areas=[area, other_area])
    tallen = Unit(supplier=s2, name="Tallen", agreement_areas=[area])
    eken = Unit(supplier=s3, name="Eken", agreement_areas=[area])
    bjorken = Unit(supplier=s3, name="Björken", agreement_areas=[area], protected_address=True)
    r1 = _round("INS 2018/1", area, network, TenderRoundStatus.ENDED, date(2019, 1, 1),
                date(2021, 12, 31))  # fmt: skip
    r2 = _round("INS 2021/2", area, network, TenderRoundStatus.ACTIVE, date(2022, 1, 1),
                date(2025, 12, 31), extension_until=date(2026, 12, 31), predecessor=r1)  # fmt: skip
    rx = _round("INS 2022/9", other_area, network, TenderRoundStatus.ACTIVE, date(2022, 1, 1),
                date(2025, 12, 31))  # fmt: skip
    c1 = Contract(tender_round=r1, supplier=s1, units=[ugglan], reference="INS-1A")
    c2 = Contract(tender_round=r2, supplier=s1, units=[ugglan], reference="INS-2A")
    c3 = Contract(
        tender_round=r2,
        supplier=s2,
        units=[tallen],
        reference="INS-2B",
        status=ContractStatus.PAUSED,
    )
    c4 = Contract(tender_round=r2, supplier=s3, units=[eken], reference="INS-2C", lot="Norr")
    cx = Contract(tender_round=rx, supplier=s1, units=[ugglan], reference="INS-9A")
    session.add_all([hemby, grannby, outsider, c1, c2, c3, c4, cx])
    session.flush()
    on = {"area_id": area.id}
    experiences = [
        # Ugglan on R2: ratings 5 and 4 (and one "ej aktuellt") -> mean 4,5
        _experience(hemby, ugglan, 2023, contract=c2, ratings=(5, 4, None),
                    end=EndReason.PLANNED, again=WouldPlaceAgain.YES, **on),
        _experience(hemby, ugglan, 2023, contract=c2, ratings=(5, 4),
                    end=EndReason.PLANNED, again=WouldPlaceAgain.YES, **on),
        _experience(hemby, ugglan, 2023, contract=c2, ratings=(5, 4),
                    end=EndReason.BREAKDOWN, again=WouldPlaceAgain.NO, **on),
        _experience(hemby, ugglan, 2023, contract=c2, ratings=(5, 4),
                    end=EndReason.MOVED, again=WouldPlaceAgain.UNSURE, **on),
        _experience(hemby, ugglan, 2023, contract=c2, ratings=(5, 4),
                    end=EndReason.ONGOING, **on),
        # Ugglan on R1: counted, but no ratings, ending or answer
        _experience(hemby, ugglan, 2020, contract=c1, **on),
        _experience(hemby, ugglan, 2020, contract=c1, **on),
        # Tallen (Grannby) on R2: rating 3, 4 planned + 2 breakdowns, all would place again
        *[
            _experience(grannby, tallen, 2024, contract=c3, ratings=(3,), end=end,
                        again=WouldPlaceAgain.YES, **on)
            for end in [EndReason.PLANNED] * 4 + [EndReason.BREAKDOWN] * 2
        ],
        # Eken (Grannby) on R2: two experiences, no ending
        _experience(grannby, eken, 2024, contract=c4, ratings=(2,), **on),
        _experience(grannby, eken, 2024, contract=c4, ratings=(2,), **on),
        # Björken off contract: 2 x capacity, 1 x geography (Hemby), 1 x competence (Grannby)
        *[
            _experience(hemby, bjorken, 2024, off_contract=True, off_contract_reason=reason, **on)
            for reason in (OffContractReason.CAPACITY, OffContractReason.CAPACITY,
                           OffContractReason.GEOGRAPHY)
        ],
        _experience(grannby, bjorken, 2024, off_contract=True,
                    off_contract_reason=OffContractReason.COMPETENCE, **on),
        # Never counted: a draft, another network, another area
        _experience(hemby, ugglan, 2023, contract=c2, ratings=(1,), end=EndReason.BREAKDOWN,
                    status=ExperienceStatus.DRAFT, **on),
        _experience(outsider, ugglan, 2023, ratings=(1,), end=EndReason.BREAKDOWN, **on),
        _experience(hemby, ugglan, 2023, contract=cx, ratings=(1,), area_id=other_area.id),
    ]  # fmt: skip
    deviation = {"description_md": "Beskrivning."}
    records = [
        Deviation(organisation=hemby, unit=ugglan, contract=c2, occurred_on=date(2024, 1, 5),
                  category=DeviationCategory.STAFFING, severity=Severity.HIGH, **deviation),
        Deviation(organisation=grannby, unit=tallen, occurred_on=date(2024, 2, 5),
                  category=DeviationCategory.INVOICING, severity=Severity.LOW, resolved=True,
                  **deviation),
        Deviation(organisation=hemby, unit=ugglan, occurred_on=date(2024, 3, 5),
                  category=DeviationCategory.INCIDENT, severity=Severity.CRITICAL, **deviation),
        # Not counted: another network; a contract of another area
        Deviation(organisation=outsider, unit=ugglan, occurred_on=date(2024, 3, 5),
                  category=DeviationCategory.OTHER, severity=Severity.LOW, **deviation),
        Deviation(organisation=hemby, unit=ugglan, contract=cx, occurred_on=date(2024, 3, 5),
                  category=DeviationCategory.OTHER, severity=Severity.LOW, **deviation),
        _followup(hemby, FollowUpScope.CONTRACT, FollowUpResult.NO_REMARKS,
                  date(2020, 3, 1), date(2020, 3, 31), contract=c1),
        _followup(grannby, FollowUpScope.UNIT, FollowUpResult.REMARKS,
                  date(2023, 5, 1), date(2023, 5, 31), unit=tallen),
        _followup(hemby, FollowUpScope.SUPPLIER, FollowUpResult.SERIOUS,
                  date(2018, 6, 1), date(2018, 6, 30), supplier=s1),  # before both periods
        _followup(hemby, FollowUpScope.AGREEMENT_AREA, None, agreement_area=area,
                  created_at=datetime(2021, 6, 1, 12)),  # no period: its day covers R1
        _followup(outsider, FollowUpScope.AGREEMENT_AREA, FollowUpResult.SERIOUS,
                  date(2023, 1, 1), date(2023, 1, 31), agreement_area=area),
        _followup(hemby, FollowUpScope.TENDER_ROUND, FollowUpResult.NO_REMARKS,
                  date(2023, 1, 1), date(2023, 1, 31), tender_round=rx),
    ]  # fmt: skip
    session.add_all(experiences + records)
    session.commit()
    make.user(Role.CASEWORKER, organisation=hemby.id, email=HEMBY)
    make.user(Role.CASEWORKER, organisation=grannby.id, email=GRANNBY)
    make.user(Role.CURATOR, organisation=network.id, email=CURATOR)
    make.user(Role.CASEWORKER, organisation=outsider.id, email=OUTSIDER)
    return World(area.id, other_area.id)


@pytest.fixture
def world(app_db, make) -> World:
    with app_db() as session:
        return build_world(session, make)


def overview_json(client, area_id: int) -> dict:
    response = client.get(f"/avtalsomraden/{area_id}/oversikt/diagram.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()["figures"]


def series(figure: dict) -> dict[str, dict[str, object]]:
    """{series name: {category: value}}."""
    return {
        one["name"]: dict(zip(figure["categories"], one["values"], strict=True))
        for one in figure["series"]
    }


def test_every_figure_has_its_known_answer(world, client, login):
    login(HEMBY)
    figures = overview_json(client, world.area_id)
    assert figures["ramavtal"]["rows"] == [
        ["Ekens Omsorg AB", "INS-2C · Norr", "INS 2021/2", "Aktivt", 1, "Eken"],
        ["Tallens AB", "INS-2B", "INS 2021/2", "Tillfälligt uteslutet från avrop", 1, "Tallen"],
        ["Ugglans Vård AB", "INS-2A", "INS 2021/2", "Aktivt", 1, "Ugglan"],
    ]
    rounds = series(figures["omgangar"])
    assert figures["omgangar"]["categories"] == [R1_LABEL, R2_LABEL, "Utanför avtal"]
    assert rounds["Erfarenheter (placeringar)"] == {R1_LABEL: 2, R2_LABEL: 13, "Utanför avtal": 4}
    assert rounds["Avslutade placeringar"] == {R1_LABEL: 0, R2_LABEL: 10, "Utanför avtal": 0}
    assert series(figures["avtalstrohet"]) == {
        "Andel på avtal": {"2020": 100.0, "2023": 100.0, "2024": 66.7}
    }
    assert figures["avtalstrohet-antal"]["rows"] == [
        ["2020", 2, 0, 0, 100.0],
        ["2023", 5, 0, 0, 100.0],
        ["2024", 8, 4, 0, 66.7],
    ]
    reasons = series(figures["skal-utanfor-avtal"])["Placeringar utanför avtal"]
    assert reasons["Kapacitet"] == 2 and reasons["Geografi"] == 1
    assert reasons["Kompetens"] is None  # one Grannby experience: hidden from Hemby
    assert reasons["Åldersgräns"] == 0
    assert figures["rangordning"]["rows"] == [
        [1, "Ugglan", "Ugglans Vård AB", 7, 4.5, 87.5, 75.0, 50.0, 75.0],
        [2, "Tallen", "Tallens AB", 6, 3.0, 50.0, 66.7, 100.0, 66.7],
        ["för litet underlag", "Björken", "Ekens Omsorg AB", 4, None, None, None, None, None],
        ["för litet underlag", "Eken", "Ekens Omsorg AB", None, None, None, None, None, None],
    ]
    deviations = series(figures["avvikelser-kategori"])
    assert {k: v for k, v in deviations["Avvikelser"].items() if v} == {
        "Fakturering": 1,
        "Bemanning": 1,
        "Incident": 1,
    }
    assert {k: v for k, v in deviations["Olösta"].items() if v} == {"Bemanning": 1, "Incident": 1}
    assert figures["avvikelser-verksamhet"]["rows"] == [
        ["Ugglan", "Ugglans Vård AB", 2, 2, 2],
        ["Tallen", "Tallens AB", 1, 0, 0],
    ]
    assert series(figures["uppfoljningar-resultat"])["Uppföljningar"] == {
        "Utan anmärkning": 1,
        "Anmärkning": 1,
        "Allvarliga brister": 1,
        "Inget resultat angivet": 1,
    }
    assert figures["uppfoljningstackning-antal"]["rows"] == [
        [R1_LABEL, 1, 1, 100.0],
        [R2_LABEL, 3, 1, 33.3],
    ]
    coverage = series(figures["uppfoljningstackning"])["Andel avtal med uppföljning"]
    assert coverage == {R1_LABEL: 100.0, R2_LABEL: 33.3}


def test_another_municipality_sees_small_cells_of_hemby_suppressed(world, client, login):
    login(GRANNBY)
    figures = overview_json(client, world.area_id)
    rounds = series(figures["omgangar"])["Erfarenheter (placeringar)"]
    assert rounds == {R1_LABEL: None, R2_LABEL: 13, "Utanför avtal": 4}  # R1: 2 from Hemby
    assert figures["avtalstrohet-antal"]["rows"][0] == ["2020", None, 0, 0, None]
    reasons = series(figures["skal-utanfor-avtal"])["Placeringar utanför avtal"]
    assert reasons["Kapacitet"] is None and reasons["Geografi"] is None
    assert reasons["Kompetens"] == 1  # Grannby's own
    ranked = {row[1]: row for row in figures["rangordning"]["rows"]}
    assert ranked["Ugglan"] == [1, "Ugglan", "Ugglans Vård AB", 7, 4.5, 87.5, 75.0, 50.0, 75.0]
    assert ranked["Eken"][3] == 2  # Grannby's own two experiences
    page = client.get(f"/avtalsomraden/{world.area_id}/oversikt").get_data(as_text=True)
    assert "uppgift saknas" in page


def test_the_curator_sees_every_cell(world, client, login):
    login(CURATOR)
    figures = overview_json(client, world.area_id)
    reasons = series(figures["skal-utanfor-avtal"])["Placeringar utanför avtal"]
    assert (reasons["Kapacitet"], reasons["Kompetens"]) == (2, 1)
    assert figures["rangordning"]["rows"][3][3] == 2


def test_another_network_sees_only_its_own_records(world, client, login):
    login(OUTSIDER)
    figures = overview_json(client, world.area_id)
    rounds = series(figures["omgangar"])["Erfarenheter (placeringar)"]
    assert rounds == {R1_LABEL: 0, R2_LABEL: 0, "Utan uppgift om avtal": 1, "Utanför avtal": 0}
    assert series(figures["avvikelser-kategori"])["Avvikelser"]["Annat"] == 1
    assert sum(series(figures["avvikelser-kategori"])["Avvikelser"].values()) == 1
    assert series(figures["uppfoljningar-resultat"])["Uppföljningar"]["Allvarliga brister"] == 1
    assert figures["uppfoljningstackning-antal"]["rows"] == [
        [R1_LABEL, 1, 0, 0.0],
        [R2_LABEL, 3, 3, 100.0],  # its area-wide follow-up in 2023
    ]
    assert len(figures["ramavtal"]["rows"]) == 3  # the register is the same for everyone


def _figure_html(page: str, figure_id: str) -> str:
    match = re.search(rf'<figure [^>]*data-figure="{figure_id}".*?</figure>', page, re.S)
    assert match, figure_id
    return match.group(0)


def _cells(fragment: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", fragment, re.S)
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(
            r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in rows
    ]  # fmt: skip


def test_the_page_shows_what_the_json_holds(world, client, login, app):
    login(HEMBY)
    figures = overview_json(client, world.area_id)
    page = client.get(f"/avtalsomraden/{world.area_id}/oversikt").get_data(as_text=True)
    assert '<p class="formula">' in page and "50 % × betygspoäng" in page
    assert "minst 5" in page and "för litet underlag" in page
    assert "3 leverantörer och 3 verksamheter på 3 avtal" in page
    with app.test_request_context():
        for figure_id, figure in figures.items():
            fragment = _figure_html(page, figure_id)
            assert f"/oversikt/tabell/{figure_id}.csv" in fragment
            if "rows" in figure:
                shown = _cells(fragment)[1:]
                expected = [[figure_cell(cell) for cell in row] for row in figure["rows"]]
                assert shown == expected, figure_id
                continue
            for one in figure["series"]:
                for category, value in zip(figure["categories"], one["values"], strict=True):
                    datum = re.search(
                        r'data-series="{}" data-category="{}" data-value="([^"]*)"'.format(
                            re.escape(html.escape(one["name"])), re.escape(html.escape(category))
                        ),
                        fragment,
                    )
                    assert datum, (figure_id, one["name"], category)
                    assert datum.group(1) == ("" if value is None else str(value)), figure_id


def test_tables_download_as_swedish_excel_csv(world, client, login):
    login(HEMBY)
    response = client.get(f"/avtalsomraden/{world.area_id}/oversikt/tabell/rangordning.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "avtalsomrade-" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Plats" and rows[0][-1] == "Sammanvägt värde (0–100)"
    assert rows[1] == ["1", "Ugglan", "Ugglans Vård AB", "7", "4,5", "87,5", "75,0", "50,0", "75,0"]
    assert rows[2][-3:] == ["66,7", "100,0", "66,7"]
    assert rows[4][0] == "för litet underlag" and rows[4][3] == ""
    chart = client.get(f"/avtalsomraden/{world.area_id}/oversikt/tabell/avtalstrohet.csv")
    chart_rows = list(csv.reader(io.StringIO(chart.data.decode("utf-8-sig")), delimiter=";"))
    assert chart_rows == [["Startår", "Andel på avtal"], ["2020", "100,0"], ["2023", "100,0"],
                          ["2024", "66,7"]]  # fmt: skip


def test_missing_areas_and_figures_are_not_found(world, client, login):
    login(HEMBY)
    for url in (
        "/avtalsomraden/999999/oversikt",
        "/avtalsomraden/999999/oversikt/diagram.json",
        "/avtalsomraden/999999/oversikt/tabell/rangordning.csv",
        f"/avtalsomraden/{2**31}/oversikt",
        f"/avtalsomraden/{10**30}/oversikt/diagram.json",
        f"/avtalsomraden/{world.area_id}/oversikt/tabell/okand.csv",
        f"/avtalsomraden/{world.area_id}/oversikt/tabell/%00.csv",
        "/avtalsomraden/-1/oversikt",
    ):
        assert client.get(url).status_code == 404, url


def test_bad_query_strings_are_ignored(world, client, login):
    login(HEMBY)
    for query in ("?ar=abc", "?omrade=%00", "?page=-1&page=x", "?%ff=%fe", "?" + "a" * 3000):
        url = f"/avtalsomraden/{world.area_id}/oversikt{query}"
        assert client.get(url).status_code == 200, query
        assert client.get(f"/avtalsomraden/{world.area_id}/oversikt/diagram.json{query}").is_json


def test_signed_out_visitors_are_sent_to_sign_in(world, client):
    response = client.get(f"/avtalsomraden/{world.area_id}/oversikt")
    assert response.status_code == 302 and "/logga-in" in response.headers["Location"]


def test_the_area_page_links_to_the_overview(world, client, login):
    login(HEMBY)
    page = client.get(f"/avtalsomraden/{world.area_id}").get_data(as_text=True)
    assert f'href="/avtalsomraden/{world.area_id}/oversikt"' in page
    assert "Översikt med diagram" in page


def test_an_empty_area_draws_without_data(world, client, login, app_db):
    login(HEMBY)
    with app_db() as session:
        empty = AgreementArea(name="Tomt område", category=AreaCategory.AO)
        session.add(empty)
        session.commit()
        empty_id = empty.id
    figures = overview_json(client, empty_id)
    assert figures["ramavtal"]["rows"] == [] and figures["rangordning"]["rows"] == []
    assert figures["avtalstrohet"]["categories"] == []
    assert client.get(f"/avtalsomraden/{empty_id}/oversikt").status_code == 200


def test_the_number_of_queries_does_not_grow_with_the_data(world, client, login, app, app_db):
    login(HEMBY)

    def queries() -> int:
        with app.app_context():
            engine = db.engine
        count = [0]

        def counter(*_args) -> None:
            count[0] += 1

        event.listen(engine, "before_cursor_execute", counter)
        try:
            assert client.get(f"/avtalsomraden/{world.area_id}/oversikt").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", counter)
        return count[0]

    before = queries()
    with app_db() as session:
        area = session.get(AgreementArea, world.area_id)
        hemby = session.scalar(db.select(User).where(User.email == HEMBY)).organisation
        for number in range(6):
            supplier = _supplier(f"Extra {number} AB", 720 + number)
            unit = Unit(supplier=supplier, name=f"Extra {number}", agreement_areas=[area])
            session.add(unit)
            session.flush()
            session.add_all(
                _experience(hemby, unit, 2025, ratings=(4, 4), end=EndReason.PLANNED,
                            again=WouldPlaceAgain.YES, area_id=area.id)
                for _ in range(5)
            )  # fmt: skip
        session.commit()
    assert queries() == before
    assert before <= 16
