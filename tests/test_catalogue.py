"""Browse pages: suppliers, units, agreement areas and tender rounds, filtered and paginated."""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from kb.auth.models import Role
from kb.catalogue.filters import CatalogueFilter, filter_from_args, page_from_args
from kb.catalogue.services import chain_order, supplier_page, unit_page
from kb.demo.loader import load_demo
from kb.organisations.models import Organisation, OrganisationKind
from kb.suppliers.models import (
    AgreementArea,
    AreaCategory,
    LegalForm,
    PermitStatus,
    Supplier,
    Unit,
)
from kb.tenders.models import (
    Contract,
    ContractStatus,
    ContractStatusChange,
    ProcurementForm,
    TenderRound,
    TenderRoundStatus,
)
from tests.factories import fictional_org_number

PROTECTED_ADDRESS = "Hemliggatan 7"
OPEN_ADDRESS = "Synliggatan 3"
SUPPLIER_LINK = re.compile(r'href="/leverantorer/(\d+)"')
UNIT_LINK = re.compile(r'href="/verksamheter/(\d+)"')


def _unit(supplier: Supplier, name: str, area: AgreementArea, county: str, **fields) -> Unit:
    return Unit(
        supplier=supplier,
        name=name,
        agreement_areas=[area],
        county=county,
        municipality=fields.pop("municipality", "Påhittby"),
        **fields,
    )


def _round(reference: str, area: AgreementArea, lead: Organisation, year: int) -> TenderRound:
    return TenderRound(
        reference=reference,
        title=f"Testupphandling {year}",
        agreement_area=area,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=lead,
        status=TenderRoundStatus.ENDED,
        published_on=date(year, 1, 15),
        contract_start=date(year, 6, 1),
        contract_end=date(year + 3, 5, 31),
    )


def build_world(app_db) -> dict[str, int]:
    """Four suppliers, four units, three areas, a chain of three rounds and three contracts.

    Alfa has U1 (area A, Norrlän, granted) and U2 (area B, Söderlän, applied, protected
    address); Beta has U3 (area A, Söderlän, not required); Gamma has U4 (area B, Norrlän,
    granted); Delta has no units. Rounds in area A are created mid, last, first, so their
    ids are not in chain order, and their references sort alphabetically in yet another order.
    """
    with app_db() as session:
        lead = Organisation(name="Testförbundet", kind=OrganisationKind.INTERMEDIARY)
        member = Organisation(name="Påhittby kommun", kind=OrganisationKind.MUNICIPALITY)
        area_a = AgreementArea(
            name="Testområde Behandling", category=AreaCategory.IFO, cpv_codes=["85311000"]
        )
        area_b = AgreementArea(name="Testområde Skydd", category=AreaCategory.FO)
        area_c = AgreementArea(name="Testområde Tomt", category=AreaCategory.AO)
        alfa, beta, gamma, delta = (
            Supplier(name=name, org_number=fictional_org_number(9000 + index), legal_form=form)
            for index, (name, form) in enumerate(
                [
                    ("Alfa Omsorg AB", LegalForm.AKTIEBOLAG),
                    ("Beta Vård AB", LegalForm.AKTIEBOLAG),
                    ("Gamma Stöd", LegalForm.STIFTELSE),
                    ("Delta Hem AB", LegalForm.AKTIEBOLAG),
                ]
            )
        )
        u1 = _unit(alfa, "Ugglegården", area_a, "Norrlän", places=8, age_min=13, age_max=20)
        u2 = _unit(
            alfa,
            "Vraket",
            area_b,
            "Söderlän",
            address=PROTECTED_ADDRESS,
            protected_address=True,
            permit_status=PermitStatus.APPLIED,
        )
        u3 = _unit(beta, "Tallbacken", area_a, "Söderlän", permit_status=PermitStatus.NOT_REQUIRED)
        u4 = _unit(gamma, "Sjöbris", area_b, "Norrlän", address=OPEN_ADDRESS)
        session.add_all([lead, member, area_c, delta, u1, u2, u3, u4])
        session.flush()
        middle = _round("DNR-C", area_a, lead, 2021)
        middle.participants = [member]
        session.add(middle)
        session.flush()
        last = _round("DNR-A", area_a, lead, 2025)
        session.add(last)
        session.flush()
        first = _round("DNR-B", area_a, lead, 2018)
        session.add(first)
        session.flush()
        middle.predecessor = first
        last.predecessor = middle
        active = Contract(
            tender_round=middle, supplier=alfa, units=[u1], reference="AVT-1", lot="Norr"
        )
        active.status_changes = [
            ContractStatusChange(
                from_status=ContractStatus.ACTIVE,
                to_status=ContractStatus.PAUSED,
                changed_on=date(2023, 5, 1),
                reason="Brister i bemanningen.",
                decision_reference="BESLUT-2",
            ),
            ContractStatusChange(
                from_status=None,
                to_status=ContractStatus.ACTIVE,
                changed_on=date(2021, 6, 1),
                reason="Avtal tecknat.",
                decision_reference="BESLUT-1",
            ),
            ContractStatusChange(
                from_status=ContractStatus.PAUSED,
                to_status=ContractStatus.ACTIVE,
                changed_on=date(2023, 9, 1),
                reason="Åtgärdsplanen är godkänd.",
                decision_reference="BESLUT-3",
            ),
        ]
        terminated = Contract(
            tender_round=middle,
            supplier=beta,
            units=[u3],
            reference="AVT-2",
            status=ContractStatus.TERMINATED,
        )
        paused = Contract(
            tender_round=first,
            supplier=gamma,
            units=[u2, u4],
            reference="AVT-3",
            status=ContractStatus.PAUSED,
        )
        session.add_all([active, terminated, paused])
        session.commit()
        objects = dict(
            lead=lead,
            area_a=area_a,
            area_b=area_b,
            area_c=area_c,
            alfa=alfa,
            beta=beta,
            gamma=gamma,
            delta=delta,
            u1=u1,
            u2=u2,
            u3=u3,
            u4=u4,
            first=first,
            middle=middle,
            last=last,
        )
        return {key: obj.id for key, obj in objects.items()}


@pytest.fixture
def world(app, app_db) -> dict[str, int]:
    return build_world(app_db)


@pytest.fixture
def signed_in(make, login) -> None:
    login(make.email_of(make.user(Role.CASEWORKER)))


def html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def listed(pattern: re.Pattern, page: str) -> set[int]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    return {int(found) for found in pattern.findall(body)}


def ids(world: dict[str, int], *keys: str) -> set[int]:
    return {world[key] for key in keys}


# --- filters: parsing --------------------------------------------------------------------


def test_filter_values_are_read_and_invalid_ones_ignored():
    assert filter_from_args({"omrade": "12", "lan": " Norrlän ", "ivo": "ansokt"}) == (
        CatalogueFilter(area_id=12, county="Norrlän", permit_status=PermitStatus.APPLIED)
    )
    assert filter_from_args({"avtal": "uppsagt"}).contract_status is ContractStatus.TERMINATED
    hostile = {"omrade": "abc", "lan": "x" * 101, "ivo": "nonsense", "avtal": "AKTIVT"}
    assert filter_from_args(hostile) == CatalogueFilter()
    for bad_id in ("-3", "0", "1.5", "²", "99999999999", ""):
        assert filter_from_args({"omrade": bad_id}).area_id is None, bad_id


def test_page_numbers_fall_back_to_the_first_page():
    assert page_from_args({"sida": "3"}) == 3
    for bad in ("-3", "0", "abc", "99999999999", ""):
        assert page_from_args({"sida": bad}) == 1, bad


def test_filter_query_args_round_trip():
    filters = CatalogueFilter(4, "Norrlän", PermitStatus.GRANTED, ContractStatus.PAUSED)
    assert filter_from_args(filters.query_args()) == filters
    assert CatalogueFilter().query_args() == {}
    assert not CatalogueFilter().active and filters.active


# --- services ------------------------------------------------------------------------------


def _supplier_ids(filters: CatalogueFilter) -> set[int]:
    return {row.id for row in supplier_page(filters, 1, 50).rows}


def _unit_ids(filters: CatalogueFilter) -> set[int]:
    return {row.id for row in unit_page(filters, 1, 50).rows}


def test_each_filter_narrows_suppliers_and_units_to_exactly_the_matching_ones(world, db):
    w = world
    cases = [
        (CatalogueFilter(), ("alfa", "beta", "gamma", "delta"), ("u1", "u2", "u3", "u4")),
        (CatalogueFilter(area_id=w["area_a"]), ("alfa", "beta"), ("u1", "u3")),
        (CatalogueFilter(area_id=w["area_b"]), ("alfa", "gamma"), ("u2", "u4")),
        (CatalogueFilter(area_id=w["area_c"]), (), ()),
        (CatalogueFilter(county="Norrlän"), ("alfa", "gamma"), ("u1", "u4")),
        (CatalogueFilter(county="Okänt län"), (), ()),
        (CatalogueFilter(permit_status=PermitStatus.APPLIED), ("alfa",), ("u2",)),
        (CatalogueFilter(permit_status=PermitStatus.NOT_REQUIRED), ("beta",), ("u3",)),
        (CatalogueFilter(permit_status=PermitStatus.REVOKED), (), ()),
        (CatalogueFilter(contract_status=ContractStatus.ACTIVE), ("alfa",), ("u1",)),
        (CatalogueFilter(contract_status=ContractStatus.TERMINATED), ("beta",), ("u3",)),
        (CatalogueFilter(contract_status=ContractStatus.PAUSED), ("gamma",), ("u2", "u4")),
    ]
    for filters, suppliers, units in cases:
        assert _supplier_ids(filters) == ids(w, *suppliers), filters
        assert _unit_ids(filters) == ids(w, *units), filters


def test_combined_filters_apply_together_and_unit_filters_to_the_same_unit(world, db):
    w = world
    # Alfa has a unit in area A (in Norrlän) and one in Söderlän (in area B): no single unit.
    area_a_south = CatalogueFilter(area_id=w["area_a"], county="Söderlän")
    assert _supplier_ids(area_a_south) == ids(w, "beta")
    assert _unit_ids(area_a_south) == ids(w, "u3")
    # Alfa serves area B and has an active contract, though not for its unit in area B.
    area_b_active = CatalogueFilter(area_id=w["area_b"], contract_status=ContractStatus.ACTIVE)
    assert _supplier_ids(area_b_active) == ids(w, "alfa")
    assert _unit_ids(area_b_active) == set()
    north_paused = CatalogueFilter(county="Norrlän", contract_status=ContractStatus.PAUSED)
    assert _supplier_ids(north_paused) == ids(w, "gamma")
    assert _unit_ids(north_paused) == ids(w, "u4")


def test_supplier_rows_count_units_and_list_the_areas_served(world, db):
    rows = {row.name: row for row in supplier_page(CatalogueFilter(), 1, 50).rows}
    assert list(rows) == ["Alfa Omsorg AB", "Beta Vård AB", "Delta Hem AB", "Gamma Stöd"]
    assert rows["Alfa Omsorg AB"].unit_count == 2
    assert [a.name for a in rows["Alfa Omsorg AB"].areas] == [
        "Testområde Behandling",
        "Testområde Skydd",
    ]
    assert rows["Delta Hem AB"].unit_count == 0 and rows["Delta Hem AB"].areas == []
    assert rows["Gamma Stöd"].legal_form is LegalForm.STIFTELSE


def test_pages_are_clamped_and_counted(world, db):
    first = supplier_page(CatalogueFilter(), 1, 3)
    assert (first.number, first.page_count, first.total) == (1, 2, 4)
    assert first.has_next and not first.has_previous
    beyond = supplier_page(CatalogueFilter(), 40, 3)
    assert beyond.number == 2 and [row.name for row in beyond.rows] == ["Gamma Stöd"]
    empty = unit_page(CatalogueFilter(county="Okänt län"), 5, 3)
    assert (empty.number, empty.page_count, empty.total, empty.rows) == (1, 1, 0, [])


def test_chain_order_follows_predecessor_links_and_survives_a_cycle():
    def tender_round(round_id: int, predecessor_id: int | None, published: date | None):
        return SimpleNamespace(
            id=round_id, predecessor_id=predecessor_id, published_on=published, contract_start=None
        )

    first = tender_round(5, None, date(2018, 1, 1))
    middle = tender_round(1, 5, date(2021, 1, 1))
    last = tender_round(3, 1, None)
    other_chain = tender_round(2, 99, date(2019, 1, 1))  # predecessor in another area
    assert [r.id for r in chain_order([last, other_chain, middle, first])] == [5, 1, 3, 2]
    looped_a, looped_b = tender_round(7, 8, None), tender_round(8, 7, None)
    assert [r.id for r in chain_order([looped_b, looped_a])] == [7, 8]


# --- pages ---------------------------------------------------------------------------------


def test_supplier_list_shows_filtered_suppliers_with_details(client, world, signed_in):
    page = html(client, "/leverantorer")
    assert listed(SUPPLIER_LINK, page) == ids(world, "alfa", "beta", "gamma", "delta")
    assert "4 leverantörer" in page
    assert fictional_org_number(9000) in page
    assert "Stiftelse" in page
    assert f'href="/avtalsomraden/{world["area_b"]}"' in page
    narrowed = html(client, f"/leverantorer?omrade={world['area_a']}&lan=Söderlän")
    assert listed(SUPPLIER_LINK, narrowed) == ids(world, "beta")
    assert "1 leverantör<" in narrowed
    assert f'<option value="{world["area_a"]}" selected>' in narrowed
    by_permit = html(client, "/leverantorer?ivo=ansokt")
    assert listed(SUPPLIER_LINK, by_permit) == ids(world, "alfa")
    by_contract = html(client, "/leverantorer?avtal=uppsagt")
    assert listed(SUPPLIER_LINK, by_contract) == ids(world, "beta")
    nothing = html(client, "/leverantorer?ivo=aterkallat")
    assert listed(SUPPLIER_LINK, nothing) == set()
    assert "Inga leverantörer matchar filtret." in nothing


def test_unit_list_shows_filtered_units_with_their_facts(client, world, signed_in):
    page = html(client, "/verksamheter")
    assert listed(UNIT_LINK, page) == ids(world, "u1", "u2", "u3", "u4")
    assert "4 verksamheter" in page
    assert "13–20 år" in page and "Påhittby, Norrlän" in page
    assert "Tillstånd sökt" in page and "Tillstånd krävs ej" in page
    assert listed(UNIT_LINK, html(client, "/verksamheter?lan=Norrlän")) == ids(world, "u1", "u4")
    assert listed(UNIT_LINK, html(client, "/verksamheter?ivo=ej_krav")) == ids(world, "u3")
    paused = html(client, "/verksamheter?avtal=uteslutet")
    assert listed(UNIT_LINK, paused) == ids(world, "u2", "u4")
    combined = html(client, f"/verksamheter?omrade={world['area_b']}&lan=Norrlän&ivo=beviljat")
    assert listed(UNIT_LINK, combined) == ids(world, "u4")
    assert "1 verksamhet<" in combined


def test_pager_walks_the_pages_and_keeps_the_filter(app, client, world, signed_in):
    app.config["PAGE_SIZE"] = 2
    first = html(client, "/leverantorer")
    assert "Sida 1 av 2" in first
    assert listed(SUPPLIER_LINK, first) == ids(world, "alfa", "beta")
    assert 'href="/leverantorer?sida=2"' in first
    second = html(client, "/leverantorer?sida=2")
    assert listed(SUPPLIER_LINK, second) == ids(world, "delta", "gamma")
    assert 'href="/leverantorer?sida=1"' in second and "sida=3" not in second
    app.config["PAGE_SIZE"] = 1
    area = world["area_a"]
    filtered = html(client, f"/verksamheter?omrade={area}")
    assert listed(UNIT_LINK, filtered) == ids(world, "u3")  # Tallbacken before Ugglegården
    next_link = f'href="/verksamheter?sida=2&amp;omrade={area}"'
    assert next_link in filtered
    following = html(client, f"/verksamheter?sida=2&omrade={area}")
    assert listed(UNIT_LINK, following) == ids(world, "u1")
    assert f'href="/verksamheter?sida=1&amp;omrade={area}"' in following
    assert "Sida 2 av 2" in following and "2 verksamheter" in following


def test_no_address_is_shown_on_any_browse_page(client, world, signed_in):
    urls = [
        "/leverantorer",
        f"/leverantorer?omrade={world['area_b']}",
        "/verksamheter",
        f"/verksamheter?omrade={world['area_b']}&ivo=ansokt",
        "/verksamheter?avtal=uteslutet",
        "/avtalsomraden",
        f"/avtalsomraden/{world['area_b']}",
        f"/upphandlingar/{world['first']}",
        f"/upphandlingar/{world['middle']}",
    ]
    for url in urls:
        page = html(client, url)
        assert PROTECTED_ADDRESS not in page, url
        assert OPEN_ADDRESS not in page, url
    assert "Vraket" in html(client, f"/upphandlingar/{world['first']}")


def test_area_list_shows_categories_cpv_unit_counts_and_rounds(client, world, signed_in):
    page = html(client, "/avtalsomraden")
    assert "3 avtalsområden" in page
    assert "IFO – individ- och familjeomsorg" in page and "85311000" in page
    row_a = page.split("Testområde Behandling", 1)[1].split("</tr>", 1)[0]
    assert '<td class="number">2</td>' in row_a
    assert row_a.index("DNR-B") < row_a.index("DNR-C") < row_a.index("DNR-A")
    assert f'href="/upphandlingar/{world["middle"]}"' in row_a
    row_c = page.split("Testområde Tomt", 1)[1].split("</tr>", 1)[0]
    assert '<td class="number">0</td>' in row_c and "Inga upphandlingsomgångar" in row_c


def test_area_page_shows_rounds_in_chain_order_and_links_to_filtered_lists(
    client, world, signed_in
):
    page = html(client, f"/avtalsomraden/{world['area_a']}")
    assert "<h1>Testområde Behandling</h1>" in page
    assert page.index("DNR-B") < page.index("DNR-C") < page.index("DNR-A")
    assert f'href="/verksamheter?omrade={world["area_a"]}"' in page
    assert f'href="/leverantorer?omrade={world["area_a"]}"' in page
    assert "<dt>Verksamheter</dt><dd>2</dd>" in page
    assert "<dt>Leverantörer</dt><dd>2</dd>" in page
    empty = html(client, f"/avtalsomraden/{world['area_c']}")
    assert "Området har inga upphandlingsomgångar ännu." in empty


def test_tender_round_page_shows_details_contracts_and_ordered_history(client, world, signed_in):
    page = html(client, f"/upphandlingar/{world['middle']}")
    assert "DNR-C" in page and "Testupphandling 2021" in page
    assert "LOU ramavtal" in page and "Testförbundet" in page and "Påhittby kommun" in page
    assert '<time datetime="2021-01-15">' in page and '<time datetime="2024-05-31">' in page
    assert f'href="/upphandlingar/{world["first"]}">DNR-B</a>' in page
    assert f'href="/upphandlingar/{world["last"]}">DNR-A</a>' in page
    assert f'href="/avtalsomraden/{world["area_a"]}"' in page
    assert listed(SUPPLIER_LINK, page) == ids(world, "alfa", "beta")
    assert listed(UNIT_LINK, page) == ids(world, "u1", "u3")
    assert "2 avtal" in page and "AVT-1" in page and "<td>Norr</td>" in page and "Uppsagt" in page
    assert page.index("BESLUT-1") < page.index("BESLUT-2") < page.index("BESLUT-3")
    assert "Aktivt → Tillfälligt uteslutet från avrop" in page
    assert "Brister i bemanningen." in page
    other = html(client, f"/upphandlingar/{world['first']}")
    assert listed(SUPPLIER_LINK, other) == ids(world, "gamma")
    assert "AVT-1" not in other and "Inga statusändringar" in other


def test_contracts_on_a_round_are_paginated(app, client, world, signed_in):
    app.config["PAGE_SIZE"] = 1
    url = f"/upphandlingar/{world['middle']}"
    first = html(client, url)
    assert listed(SUPPLIER_LINK, first) == ids(world, "alfa")
    assert f'href="{url}?sida=2"' in first
    assert listed(SUPPLIER_LINK, html(client, url + "?sida=2")) == ids(world, "beta")


def test_unknown_ids_are_not_found(client, world, signed_in):
    for url in (
        "/avtalsomraden/999999",
        "/upphandlingar/999999",
        "/avtalsomraden/99999999999999999999",
        "/upphandlingar/99999999999999999999",
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize(
    "query",
    [
        "?omrade=abc",
        "?omrade=-1",
        "?omrade=99999999999",
        "?ivo=nonsense",
        "?avtal=%00",
        "?sida=-3",
        "?sida=abc",
        "?sida=99999999999",
        "?lan=" + "x" * 5000,
        "?omrade=1&omrade=2&lan=&ivo=&avtal=",
    ],
)
def test_bad_filter_values_never_fail(client, world, signed_in, query):
    for path in ("/leverantorer", "/verksamheter", "/avtalsomraden"):
        assert client.get(path + query).status_code == 200, path + query
    assert client.get(f"/upphandlingar/{world['middle']}{query}").status_code == 200


def test_invalid_filter_values_are_ignored(client, world, signed_in):
    page = html(client, "/leverantorer?omrade=abc&ivo=nonsense&sida=-3")
    assert listed(SUPPLIER_LINK, page) == ids(world, "alfa", "beta", "gamma", "delta")


@pytest.mark.parametrize("role", list(Role))
def test_every_role_may_browse(client, make, login, world, role):
    login(make.email_of(make.user(role)))
    for url in (
        "/leverantorer",
        "/verksamheter",
        "/avtalsomraden",
        f"/avtalsomraden/{world['area_a']}",
        f"/upphandlingar/{world['middle']}",
    ):
        assert client.get(url).status_code == 200, (role, url)


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    for url in (
        "/leverantorer",
        "/verksamheter?omrade=1",
        "/avtalsomraden",
        f"/avtalsomraden/{world['area_a']}",
        f"/upphandlingar/{world['middle']}",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/logga-in"), url


def test_demo_world_renders_without_protected_addresses(client, app_db, make, login):
    with app_db() as session:
        load_demo()
        session.commit()
        hidden = set(
            session.scalars(
                select(Unit.address).where(Unit.protected_address, Unit.address.is_not(None))
            )
        )
        round_ids = list(session.scalars(select(TenderRound.id)))
        area_ids = list(session.scalars(select(AgreementArea.id)))
    assert hidden and round_ids
    login(make.email_of(make.user(Role.CASEWORKER)))
    urls = ["/leverantorer", "/verksamheter", "/verksamheter?sida=2", "/avtalsomraden"]
    urls += [f"/avtalsomraden/{area_id}" for area_id in area_ids]
    urls += [f"/upphandlingar/{round_id}" for round_id in round_ids]
    for url in urls:
        page = html(client, url)
        for address in hidden:
            assert address not in page, (url, address)
