"""The learning-loop dashboard (/larande/) on constructed data whose answers are known.

Lärnätet (an intermediary) has members Ekby (every experience is written there) and Åby.
Area "Flödesområde" holds the reporting and finding figures; area "Omgångsområde" holds two
chained tender rounds, OMG 2020/1 and OMG 2023/1, with known ratings, endings and deviations.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime

import pytest

from kb.auth.models import Role, User
from kb.database import utcnow
from kb.experiences.models import EndReason, Experience, ExperienceRating, ExperienceStatus
from kb.findings.models import Finding, FindingEvidence, FindingStatus, ProposedChange
from kb.followups.models import Deviation, DeviationCategory, Severity
from kb.insight.learning_rounds import chained_pairs, compare_pair, round_data
from kb.insight.round_comparison import RatingSums, RoundOutcomes, Verdict, compare_rounds
from kb.insight.scope import scope_for
from kb.organisations.models import Organisation, OrganisationKind
from kb.suppliers.models import AgreementArea, AreaCategory, LegalForm, Supplier, Unit
from kb.tenders.models import Contract, ProcurementForm, TenderRound, TenderRoundStatus
from kb.themes import Theme
from tests.conftest import csrf_token_from
from tests.factories import fictional_org_number

PAGE = "/larande/"
JSON = "/larande/diagram.json"
STAFFING, CONTACT = Theme.BEMANNING, Theme.KONTAKTPERSON


@dataclass(frozen=True)
class World:
    flow_area: int
    round_area: int
    first_round: int
    second_round: int
    findings: dict[str, int]


def _organisations(session):
    network = Organisation(name="Lärnätet", kind=OrganisationKind.INTERMEDIARY)
    ekby = Organisation(name="Ekby", kind=OrganisationKind.MUNICIPALITY, member_of=network)
    aby = Organisation(name="Åby", kind=OrganisationKind.MUNICIPALITY, member_of=network)
    outsider = Organisation(name="Fjärrförbundet", kind=OrganisationKind.INTERMEDIARY)
    session.add_all([network, ekby, aby, outsider])
    return network, ekby, aby, outsider


def _round(area, lead, reference: str, start: date, end: date, predecessor=None) -> TenderRound:
    return TenderRound(
        reference=reference,
        title=f"Ramavtal {reference}",
        agreement_area=area,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=lead,
        status=TenderRoundStatus.ACTIVE,
        contract_start=start,
        contract_end=end,
        predecessor=predecessor,
    )


def _experience(author: User, unit: Unit, area: AgreementArea, submitted: datetime, **fields):
    ratings = fields.pop("ratings", {})
    experience = Experience(
        organisation_id=author.organisation_id,
        author_id=author.id,
        unit_id=unit.id,
        agreement_area_id=area.id,
        start_year=2019,
        start_month=1,
        status=fields.pop("status", ExperienceStatus.SUBMITTED),
        submitted_at=submitted,
        **fields,
    )
    experience.ratings = [ExperienceRating(theme=t, rating=r) for t, r in ratings.items()]
    return experience


def _ended(year: int, month: int, reason: EndReason = EndReason.PLANNED) -> dict:
    return {"end_year": year, "end_month": month, "end_reason": reason}


def _flow_experiences(author, unit, area) -> list[Experience]:
    """March 2024: four submitted (three ended, two of them in time); May 2024: one, late."""
    return [
        _experience(author, unit, area, datetime(2024, 3, 10), **_ended(2024, 2)),  # in time
        _experience(author, unit, area, datetime(2024, 3, 31, 8), **_ended(2024, 2)),  # late
        _experience(author, unit, area, datetime(2024, 3, 30, 23), **_ended(2024, 2)),  # in time
        _experience(author, unit, area, datetime(2024, 3, 15), end_reason=EndReason.ONGOING),
        _experience(author, unit, area, datetime(2024, 5, 2), **_ended(2024, 1)),  # late
        _experience(
            author, unit, area, datetime(2024, 3, 20), status=ExperienceStatus.DRAFT
        ),  # a draft never counts
    ]


def _finding(owner, area, title: str, created: datetime, status: FindingStatus, **fields):
    return Finding(
        organisation_id=owner.id,
        title=title,
        agreement_area=area,
        proposed_change=ProposedChange.MARKET_QUESTION,
        status=status,
        created_at=created,
        rejection_reason="Underlaget räcker inte." if status == FindingStatus.REJECTED else None,
        **fields,
    )


def _flow_findings(network, outsider, area, flow: list[Experience]) -> dict[str, Finding]:
    accepted, applied = FindingStatus.ACCEPTED, FindingStatus.APPLIED
    first = _finding(
        network, area, "Första", datetime(2024, 4, 1), accepted, decided_at=datetime(2024, 4, 11)
    )
    first.evidence = [
        FindingEvidence(experience=flow[0]),  # 22 days: 10 March to 1 April
        FindingEvidence(experience=flow[4], created_at=datetime(2024, 5, 12)),  # linked later: 10
    ]
    second = _finding(
        network,
        area,
        "Andra",
        datetime(2024, 6, 1),
        applied,
        decided_at=datetime(2024, 6, 21),  # 20 days
        applied_at=datetime(2024, 7, 21),  # 30 days after the decision, 50 after creation
    )
    second.evidence = [FindingEvidence(experience=flow[3])]  # 15 March to 1 June: 78 days
    return {
        "first": first,
        "second": second,
        "third": _finding(
            network, area, "Tredje", datetime(2024, 7, 2), accepted, decided_at=datetime(2024, 8, 1)
        ),
        "newer_waiting": _finding(
            network, area, "Väntar sedan februari", datetime(2024, 2, 1), FindingStatus.PROPOSED
        ),
        "oldest_waiting": _finding(
            network, area, "Väntar sedan januari", datetime(2024, 1, 15), FindingStatus.PROPOSED
        ),
        "newest_waiting": _finding(
            network, area, "Väntar sedan mars", datetime(2024, 3, 1), FindingStatus.PROPOSED
        ),
        "rejected": _finding(
            network, area, "Avvisad", datetime(2024, 1, 2), FindingStatus.REJECTED
        ),
        "invisible": _finding(  # another network's unpublished finding: never counted here
            outsider, area, "Annat nätverk", datetime(2023, 1, 1), accepted
        ),
    }


# Ratings per round for bemanning, kontaktperson (None = ej aktuellt) and how each ended.
FIRST_ROUND = [
    (2, 3, EndReason.BREAKDOWN),
    (3, None, EndReason.BREAKDOWN),
    (3, 4, EndReason.PLANNED),
    (4, None, EndReason.PLANNED),
    (3, 2, EndReason.ONGOING),
]
SECOND_ROUND = [
    (4, 5, EndReason.BREAKDOWN),
    (4, 4, EndReason.PLANNED),
    (5, None, EndReason.PLANNED),
    (4, None, EndReason.PLANNED),
    (5, None, EndReason.PLANNED),
    (4, None, EndReason.ONGOING),
]


def _round_experiences(author, unit, area, contract, plan, year: int) -> list[Experience]:
    experiences = []
    for staffing, contact, reason in plan:
        ratings = {STAFFING: staffing, CONTACT: contact, Theme.LOKALER: None}
        ending = {} if reason == EndReason.ONGOING else {"end_year": year, "end_month": 6}
        experiences.append(
            _experience(
                author,
                unit,
                area,
                datetime(year, 9, 1),
                contract_id=contract.id,
                end_reason=reason,
                ratings=ratings,
                **ending,
            )
        )
    return experiences


def _deviation(organisation, unit, occurred: date, contract=None) -> Deviation:
    return Deviation(
        organisation=organisation,
        unit=unit,
        contract=contract,
        occurred_on=occurred,
        category=DeviationCategory.STAFFING,
        severity=Severity.MEDIUM,
        description_md="Nattbemanningen var en person.",
    )


def build_world(session, make) -> World:
    network, ekby, aby, outsider = _organisations(session)
    flow_area = AgreementArea(name="Flödesområde", category=AreaCategory.IFO)
    round_area = AgreementArea(name="Omgångsområde", category=AreaCategory.IFO)
    supplier = Supplier(
        name="Lärloopen Omsorg AB",
        org_number=fictional_org_number(977),
        legal_form=LegalForm.AKTIEBOLAG,
    )
    unit = Unit(supplier=supplier, name="Loopgården", agreement_areas=[flow_area, round_area])
    first = _round(round_area, network, "OMG 2020/1", date(2020, 1, 1), date(2022, 12, 31))
    second = _round(round_area, network, "OMG 2023/1", date(2023, 1, 1), date(2026, 12, 31), first)
    first_contract = Contract(tender_round=first, supplier=supplier, units=[unit])
    second_contract = Contract(tender_round=second, supplier=supplier, units=[unit])
    session.add_all([flow_area, round_area, unit, first, second, first_contract, second_contract])
    session.commit()

    def user(role: Role, organisation: Organisation, email: str) -> User:
        return session.get(User, make.user(role, organisation=organisation.id, email=email))

    author = user(Role.CASEWORKER, ekby, "socsek@ekby.example")
    user(Role.COORDINATOR, ekby, "samordnare@ekby.example")
    user(Role.CURATOR, network, "kunskap@larnatet.example")
    user(Role.PROCURER, network, "upphandlare@larnatet.example")
    user(Role.PROCURER, aby, "upphandlare@aby.example")  # reads no experience: suppression
    user(Role.ADMIN, network, "admin@larnatet.example")

    flow = _flow_experiences(author, unit, flow_area)
    session.add_all(flow)
    session.add_all(_round_experiences(author, unit, round_area, first_contract, FIRST_ROUND, 2021))
    session.add_all(
        _round_experiences(author, unit, round_area, second_contract, SECOND_ROUND, 2024)
    )
    session.add(
        _experience(author, unit, round_area, datetime(2024, 2, 1), off_contract=True)
    )  # off contract: belongs to no round
    session.add_all(
        [
            _deviation(ekby, unit, date(2021, 2, 1), first_contract),
            _deviation(ekby, unit, date(2021, 3, 1), first_contract),
            _deviation(aby, unit, date(2021, 5, 1)),  # unit only, during the first round
            _deviation(ekby, unit, date(2024, 5, 1), second_contract),
            _deviation(outsider, unit, date(2024, 6, 1), second_contract),  # not our network
        ]
    )
    findings = _flow_findings(network, outsider, flow_area, flow)
    findings["staffing_applied"] = _finding(
        network,
        round_area,
        "Kvällsbemanning",
        datetime(2022, 5, 1),
        FindingStatus.APPLIED,
        theme=STAFFING,
        published_at=datetime(2022, 6, 1),
        applied_in_round=second,
    )
    findings["other_network_applied"] = _finding(
        outsider, round_area, "Lokaler", datetime(2022, 5, 1), FindingStatus.APPLIED,
        theme=Theme.LOKALER, applied_in_round=second,
    )  # fmt: skip
    session.add_all(findings.values())
    session.commit()
    return World(
        flow_area.id,
        round_area.id,
        first.id,
        second.id,
        {key: finding.id for key, finding in findings.items()},
    )


@pytest.fixture
def world(app_db, make) -> World:
    with app_db() as session:
        return build_world(session, make)


def figures(client, area_id: int | None = None) -> dict:
    response = client.get(JSON, query_string={"omrade": area_id} if area_id else {})
    assert response.status_code == 200
    return response.get_json()["figures"]


def series(figure: dict) -> dict[str, object]:
    return dict(zip(figure["categories"], figure["series"][0]["values"], strict=True))


def rows_by_name(table: dict) -> dict[str, list]:
    return {row[0]: row for row in table["rows"]}


# --- Reporting -----------------------------------------------------------------------------


def test_submissions_per_month_count_submitted_experiences_only(client, world, login):
    login("kunskap@larnatet.example")
    data = figures(client, world.flow_area)
    months = series(data["erfarenheter-per-manad"])
    assert list(months)[-3:] == ["2024-03", "2024-04", "2024-05"]
    assert len(months) == 24
    assert (months["2024-03"], months["2024-04"], months["2024-05"]) == (4, 0, 1)


def test_the_30_day_share_counts_ended_placements_against_the_end_of_their_month(
    client, world, login
):
    login("kunskap@larnatet.example")
    shares = series(figures(client, world.flow_area)["inom-30-dagar"])
    assert shares["2024-03"] == pytest.approx(66.7)  # 2 of 3 ended; the ongoing one left out
    assert shares["2024-05"] == 0.0
    assert shares["2024-04"] is None  # nothing submitted: nothing to show


def test_small_groups_are_suppressed_for_viewers_who_cannot_read_the_experiences(
    client, world, login
):
    login("upphandlare@aby.example")  # Åby reads none of Ekby's experiences
    data = figures(client, world.flow_area)
    months = series(data["erfarenheter-per-manad"])
    assert months["2024-03"] == 4  # four experiences: shown
    assert months["2024-05"] is None  # one experience from another municipality: hidden
    assert series(data["inom-30-dagar"])["2024-05"] is None


# --- Findings --------------------------------------------------------------------------------


def test_lead_times_are_medians_of_the_visible_findings(client, world, login):
    login("kunskap@larnatet.example")
    rows = figures(client, world.flow_area)["ledtider"]["rows"]
    assert [row[1:] for row in rows] == [
        [22.0, 3],  # 10, 22 and 78 days
        [20.0, 3],  # 10, 20 and 30 days
        [30.0, 1],
        [50.0, 1],
    ]


def test_the_applied_share_is_applied_over_accepted_and_applied(client, world, login):
    login("upphandlare@larnatet.example")
    table = figures(client, world.flow_area)["nadde-upphandling"]
    assert table["rows"] == [["Flödesområde", 2, 1, 33.3]]  # the other network's is not seen


def test_the_overall_applied_share_has_a_total_row(client, world, login):
    login("kunskap@larnatet.example")
    rows = rows_by_name(figures(client)["nadde-upphandling"])
    assert rows["Flödesområde"][1:] == [2, 1, 33.3]
    assert rows["Omgångsområde"][1:] == [0, 1, 100.0]
    assert rows["Alla avtalsområden"][1:] == [2, 2, 50.0]


def test_the_longest_waiting_findings_come_oldest_first_and_link_to_them(client, world, login):
    login("kunskap@larnatet.example")
    rows = figures(client, world.flow_area)["vantar-langst"]["rows"]
    expected = ["oldest_waiting", "newer_waiting", "newest_waiting"]
    assert [row[0] for row in rows] == [world.findings[key] for key in expected]
    assert rows[0][3] == "2024-01-15"
    assert rows[0][4] == (utcnow().date() - date(2024, 1, 15)).days
    page = client.get(PAGE, query_string={"omrade": world.flow_area}).get_data(as_text=True)
    assert f'href="/lardomar/{world.findings["oldest_waiting"]}"' in page


# --- Round against round -------------------------------------------------------------------


def _sums(values) -> RatingSums:
    values = [v for v in values if v is not None]
    return RatingSums(len(values), sum(values), sum(v * v for v in values))


def expected_outcomes(plan, deviations: int) -> RoundOutcomes:
    ended = [reason for *_ratings, reason in plan if reason != EndReason.ONGOING]
    return RoundOutcomes(
        ratings={
            STAFFING: _sums(staffing for staffing, _c, _r in plan),
            CONTACT: _sums(contact for _s, contact, _r in plan),
        },
        ended_placements=len(ended),
        breakdowns=ended.count(EndReason.BREAKDOWN),
        placements=len(plan),
        deviations=deviations,
    )


def test_round_inputs_are_aggregated_per_round_and_theme(app, world, app_db):
    with app.test_request_context(), app_db() as session:
        curator = session.query(User).filter_by(email="kunskap@larnatet.example").one()
        scope = scope_for(curator)
        pairs = chained_pairs(world.round_area)
        assert [(p.before.id, p.after.id) for p in pairs] == [
            (world.first_round, world.second_round)
        ]
        data = round_data(curator, scope, pairs)
        first, second = data.outcomes(world.first_round), data.outcomes(world.second_round)
        assert first == expected_outcomes(FIRST_ROUND, deviations=3)
        assert second == expected_outcomes(SECOND_ROUND, deviations=1)
        assert first.ratings[STAFFING] == RatingSums(5, 15, 47)  # mean 3.0
        assert second.ratings[STAFFING] == RatingSums(6, 26, 114)  # mean 4.33
        compared = compare_pair(pairs[0], data, scope)
        assert compared.changed_themes == {STAFFING}  # the other network's Lokaler is not seen
        assert compared.comparison == compare_rounds(first, second, changed_themes={STAFFING})


def test_the_round_table_shows_means_rates_intervals_verdicts_and_changed_themes(
    client, world, login
):
    login("kunskap@larnatet.example")
    table_id = f"omgangar-{world.first_round}-{world.second_round}-tabell"
    table = figures(client, world.round_area)[table_id]
    rows = rows_by_name(table)
    staffing = rows["Bemanning och kontinuitet"]
    assert staffing[:7] == [
        "Bemanning och kontinuitet", True, 3.0, 5, 4.33, 6, 1.33
    ]  # fmt: skip
    assert staffing[7] > 0 and staffing[8] > staffing[7]
    assert staffing[9] == str(Verdict.IMPROVED.label)
    assert rows["Kontaktperson"][1] is False
    assert rows["Kontaktperson"][9] == str(Verdict.TOO_LITTLE_DATA.label)  # 3 and 2 ratings
    assert rows["Lokaler"][1] is False  # changed only by a finding this viewer cannot see
    breakdowns = rows["Sammanbrott per 100 avslutade placeringar"]
    assert breakdowns[2:6] == [50.0, 4, 20.0, 5]
    deviations = rows["Avvikelser per 100 placeringar"]
    assert deviations[2:6] == [60.0, 5, 16.67, 6]
    page = client.get(PAGE, query_string={"omrade": world.round_area}).get_data(as_text=True)
    assert "Welchs t-test" in page
    assert "4,33" in page and "Förbättring" in page
    assert "Bemanning och kontinuitet (krav ändrade)" in page


def test_round_values_resting_on_few_experiences_are_hidden_from_other_municipalities(
    client, world, login
):
    chart_id = f"omgangar-{world.first_round}-{world.second_round}"
    login("kunskap@larnatet.example")
    contact = series(figures(client, world.round_area)[chart_id])
    assert contact["Kontaktperson"] == 3.0  # the curator reads Ekby's experiences
    client.post("/logga-ut", data={"csrf_token": csrf_token_from(client.get("/").get_data(True))})
    login("upphandlare@aby.example")
    data = figures(client, world.round_area)
    means = dict(
        zip(data[chart_id]["categories"], data[chart_id]["series"][1]["values"], strict=True)
    )
    assert means["Kontaktperson"] is None  # two ratings in the later round
    assert means["Bemanning och kontinuitet (krav ändrade)"] == pytest.approx(26 / 6)


def test_the_overall_view_shows_the_pair_of_each_area(client, world, login):
    login("upphandlare@larnatet.example")
    data = figures(client)
    assert f"omgangar-{world.first_round}-{world.second_round}-tabell" in data


# --- Access, areas, JSON, CSV ----------------------------------------------------------------


@pytest.mark.parametrize(
    "email", ["socsek@ekby.example", "samordnare@ekby.example", "admin@larnatet.example"]
)
def test_only_curators_and_procurers_see_the_dashboard(client, world, login, email):
    login(email)
    for url in (PAGE, JSON, "/larande/tabell/ledtider.csv", f"{PAGE}?omrade={world.flow_area}"):
        assert client.get(url).status_code == 403, url
    assert 'href="/larande/"' not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("email", ["kunskap@larnatet.example", "upphandlare@aby.example"])
def test_curators_and_procurers_find_it_in_the_menu(client, world, login, email):
    login(email)
    assert 'href="/larande/"' in client.get("/").get_data(as_text=True)
    assert client.get(PAGE).status_code == 200


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "99999999999999", "2147483647", "1.5"])
def test_an_unknown_or_malformed_area_is_not_found(client, world, login, raw):
    login("kunskap@larnatet.example")
    for url in (PAGE, JSON, "/larande/tabell/ledtider.csv"):
        response = client.get(url, query_string={"omrade": raw})
        assert response.status_code == 404, (url, raw)
        assert "Sidan finns inte" in response.get_data(as_text=True) or url != PAGE


def test_an_unknown_figure_has_no_csv(client, world, login):
    login("kunskap@larnatet.example")
    assert client.get("/larande/tabell/finns-inte.csv").status_code == 404


def test_the_page_draws_what_the_json_holds(client, world, login):
    login("kunskap@larnatet.example")
    data = figures(client, world.flow_area)
    page = client.get(PAGE, query_string={"omrade": world.flow_area}).get_data(as_text=True)
    for figure_id, figure in data.items():
        assert f'id="figur-{figure_id}"' in page
        assert figure["title"] in page.replace("&#34;", '"')
    chart = page[page.index('id="figur-erfarenheter-per-manad"') :]
    chart = chart[: chart.index("</svg>")]
    drawn = [json.loads(v) for v in re.findall(r'data-value="([^"]+)"', chart)]
    expected = [v for v in data["erfarenheter-per-manad"]["series"][0]["values"] if v is not None]
    assert drawn == expected


def test_every_figure_downloads_as_a_swedish_excel_csv(client, world, login):
    login("kunskap@larnatet.example")
    data = figures(client, world.round_area)
    for figure_id in data:
        response = client.get(f"/larande/tabell/{figure_id}.csv?omrade={world.round_area}")
        assert response.status_code == 200, figure_id
        assert response.data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
        assert len(rows) >= 1, figure_id
    table_id = f"omgangar-{world.first_round}-{world.second_round}-tabell"
    response = client.get(f"/larande/tabell/{table_id}.csv?omrade={world.round_area}")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    staffing = next(row for row in rows if row[0] == "Bemanning och kontinuitet")
    assert staffing[1:7] == ["Ja", "3,0", "5", "4,33", "6", "1,33"]
    flow = client.get(f"/larande/tabell/ledtider.csv?omrade={world.flow_area}")
    lines = flow.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "Steg;Median (dagar);Antal"
    assert lines[1] == "Från erfarenhet till lärdom;22,0;3"


def test_kept_aggregates_follow_every_change_to_the_data(client, world, login, app_db):
    login("kunskap@larnatet.example")
    assert series(figures(client, world.flow_area)["erfarenheter-per-manad"])["2024-05"] == 1
    with app_db() as session:
        author = session.query(User).filter_by(email="socsek@ekby.example").one()
        area = session.get(AgreementArea, world.flow_area)
        unit = session.query(Unit).filter_by(name="Loopgården").one()
        session.add(_experience(author, unit, area, datetime(2024, 5, 20), **_ended(2024, 4)))
        session.commit()
    months = series(figures(client, world.flow_area)["erfarenheter-per-manad"])
    assert months["2024-05"] == 2
