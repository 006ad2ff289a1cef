"""Every list and search shows each viewer exactly the objects the rules let them see.

The expected sets are written out from the rules in tests/access_world.py (may_read,
may_see_finding, may_read_record), never asked of the app. Search runs against a real index,
kept in step as the world is written: Whoosh on SQLite, the PostgreSQL backend on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter

import pytest

from kb.auth.models import Role
from kb.search.labels import KIND_LABELS
from tests.access_world import (
    CASEWORKERS,
    EXPERIENCES,
    FINDINGS,
    NETWORK,
    NETWORK_RECORDS,
    SEARCH_WORD,
    USERS,
    SharedWorld,
    Viewer,
    World,
    each,
    may_read,
    may_read_record,
    may_see_finding,
    open_shared_world,
    readable_ids,
    same_network,
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared(request, tmp_path_factory, sqlite_template, postgres_engine):
    folder = tmp_path_factory.mktemp("access-lists")
    yield from open_shared_world(request.param, folder, sqlite_template, postgres_engine)


Found = set[tuple[str, int]]
KIND_OF_PATH = {
    "erfarenheter": "experience",
    "lardomar": "finding",
    "uppfoljningar": "followup",
    "avvikelser": "deviation",
    "kontroller": "supplier_check",
    "krav": "requirement",
}
LINK = re.compile(r'href="/({})/(\d+)"'.format("|".join(KIND_OF_PATH)))


def links(html: str) -> Found:
    return {(KIND_OF_PATH[path], int(found)) for path, found in LINK.findall(html)}


def visible_findings(world: World, viewer: Viewer) -> set[int]:
    return {world.params[key] for key in FINDINGS if may_see_finding(viewer, key)}


def visible_records(world: World, viewer: Viewer, kind: str) -> set[int]:
    return {
        world.params[key]
        for key, (record_kind, _org) in NETWORK_RECORDS.items()
        if record_kind == kind and may_read_record(viewer, key)
    }


def expected_search(world: World, viewer: Viewer) -> Found:
    """Everything holding the search word that the viewer may read: experiences, findings,
    follow-ups, deviations and checks by the rules; the two requirements whose current text
    holds it, for everyone."""
    found = {("experience", i) for i in readable_ids(world, viewer)}
    found |= {("finding", i) for i in visible_findings(world, viewer)}
    for key, (kind, _org) in NETWORK_RECORDS.items():
        if may_read_record(viewer, key):
            found.add((kind, world.params[key]))
    found |= {("requirement", world.params[k]) for k in ("staffing_requirement", "far_requirement")}
    return found


def owner_counts(world: World, viewer: Viewer) -> Counter:
    """The organisation facet: the owning organisation of each record found."""
    owners: Counter = Counter()
    for key, spec in EXPERIENCES.items():
        if may_read(viewer, key):
            owners[world.params[f"{spec.author.org}_org"]] += 1
    for key, spec in FINDINGS.items():
        if may_see_finding(viewer, key):
            owners[world.params[f"{spec.org}_org"]] += 1
    for key, (_kind, org) in NETWORK_RECORDS.items():
        if may_read_record(viewer, key):
            owners[world.params[f"{org}_org"]] += 1
    return owners


# --- Search ---------------------------------------------------------------------------------

RESULTS = re.compile(r'<ol class="result-list">(.*?)</ol>', re.S)


def search_page_results(client, query: str) -> Found:
    """Every result on every page of the search page."""
    found: Found = set()
    for page in range(1, 10):
        html = client.get(f"/sok?q={query}&sida={page}").get_data(as_text=True)
        listed = RESULTS.search(html)
        page_found = links(listed.group(1)) if listed else set()
        if not page_found:
            return found
        found |= page_found
    raise AssertionError("more pages than expected")


def kind_facet(html: str) -> dict[str, int]:
    """The search page's kind facet: label -> count."""
    section = re.search(r"<h2>Typ</h2>(.*?)</section>", html, re.S)
    items = re.findall(
        r">([^<>]+)(?:</strong>)?</a> \((\d+)\)|<strong>([^<]+)</strong> \((\d+)\)",
        section.group(1) if section else "",
    )
    return {(a or c).strip(): int(b or d) for a, b, c, d in items}


@pytest.mark.parametrize("viewer", each(USERS))
def test_the_search_page_finds_exactly_what_the_viewer_may_read(shared, viewer):
    client, world = shared.client(viewer), shared.world
    expected = expected_search(world, viewer)
    assert search_page_results(client, SEARCH_WORD) == expected
    html = client.get(f"/sok?q={SEARCH_WORD}").get_data(as_text=True)
    counts = Counter(kind for kind, _id in expected)
    assert kind_facet(html) == {str(KIND_LABELS[kind]): n for kind, n in counts.items()}
    for kind in counts:
        faceted = search_page_results(client, f"{SEARCH_WORD}&kind={kind}")
        assert faceted == {(k, i) for k, i in expected if k == kind}, kind


@pytest.mark.parametrize("viewer", each(USERS))
def test_the_api_search_finds_exactly_what_the_viewer_may_read(shared, viewer):
    client, world = shared.client(viewer), shared.world
    headers = world.headers(viewer)
    body = client.get(f"/api/v1/search?q={SEARCH_WORD}&per_page=100", headers=headers).get_json()
    expected = expected_search(world, viewer)
    assert {(item["kind"], item["id"]) for item in body["items"]} == expected
    assert body["total"] == len(expected)
    facets = {
        name: {f["value"]: f["count"] for f in values} for name, values in body["facets"].items()
    }
    assert facets["kind"] == dict(Counter(kind for kind, _id in expected))
    assert facets["organisation"] == {str(org): n for org, n in owner_counts(world, viewer).items()}
    only = client.get(f"/api/v1/search?q={SEARCH_WORD}&kind=experience", headers=headers)
    assert {item["id"] for item in only.get_json()["items"]} == readable_ids(world, viewer)


# --- Lists on pages -------------------------------------------------------------------------


def page_links(shared: SharedWorld, viewer: Viewer, url: str, kind: str) -> set[int]:
    html = shared.client(viewer).get(url.format(**shared.world.params)).get_data(as_text=True)
    return {i for k, i in links(html) if k == kind}


@pytest.mark.parametrize("viewer", each(USERS))
def test_the_lists_show_exactly_what_the_viewer_may_read(shared, viewer):
    world = shared.world
    assert page_links(shared, viewer, "/lardomar/", "finding") == visible_findings(world, viewer)
    for url, kind in (
        ("/uppfoljningar/", "followup"),
        ("/avvikelser/", "deviation"),
        ("/kontroller/", "supplier_check"),
    ):
        assert page_links(shared, viewer, url, kind) == visible_records(world, viewer, kind), url


def expected_queue(world: World, viewer: Viewer) -> set[int]:
    """The finding queue: the proposed findings of the curator's own organisation."""
    proposed = ("finding_proposed",)
    return {world.params[k] for k in proposed if FINDINGS[k].org == viewer.org}


@pytest.mark.parametrize("viewer", each(tuple(v for v in USERS if v.role == Role.CURATOR)))
def test_the_finding_queue_lists_only_the_curators_own_proposals(shared, viewer):
    html = shared.client(viewer).get("/lardomar/ko").get_data(as_text=True)
    assert {i for k, i in links(html) if k == "finding"} == expected_queue(shared.world, viewer)
    assert {i for k, i in links(html) if k == "experience"} <= readable_ids(shared.world, viewer)


DRAFT_LINK = re.compile(r'href="/underlag/(\d+)"')


@pytest.mark.parametrize("viewer", each(USERS))
def test_the_draft_list_shows_the_drafts_of_the_viewers_network(shared, viewer):
    html = shared.client(viewer).get("/underlag/").get_data(as_text=True)
    key = "tender_draft" if viewer.org in NETWORK else "far_draft"
    assert {int(i) for i in DRAFT_LINK.findall(html)} == {shared.world.params[key]}


BATCH_LINK = re.compile(r'href="/import/(\d+)"')


def expected_batches(viewer: Viewer) -> set[str]:
    if viewer.role == Role.ADMIN:
        return {"batch", "far_batch"}
    return {"intermediary": {"batch"}, "standalone": {"far_batch"}}.get(viewer.org, set())


@pytest.mark.parametrize(
    "viewer", each(tuple(v for v in USERS if v.role in (Role.CURATOR, Role.ADMIN)))
)
def test_the_import_page_lists_the_batches_the_viewer_may_see(shared, viewer):
    html = shared.client(viewer).get("/import/").get_data(as_text=True)
    expected = {shared.world.params[key] for key in expected_batches(viewer)}
    assert {int(i) for i in BATCH_LINK.findall(html)} == expected


@pytest.mark.parametrize("viewer", each(CASEWORKERS))
def test_my_experiences_lists_exactly_my_own_including_drafts(shared, viewer):
    world = shared.world
    own = {world.params[key] for key, spec in EXPERIENCES.items() if spec.author == viewer}
    assert page_links(shared, viewer, "/erfarenheter/mina", "experience") == own


# --- The API's lists ------------------------------------------------------------------------


def all_ids(client, url: str, headers: dict) -> set[int]:
    """Follow the next links to the end and collect every item's id."""
    ids: set[int] = set()
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        body = response.get_json()
        ids |= {item["id"] for item in body["items"]}
        url = body["next"]
    return ids


REGISTER = {  # the API list -> the world's keys of everything in it, for every viewer
    "agreement-areas": ("area", "stod_area"),
    "suppliers": ("supplier", "far_supplier"),
    "units": ("unit", "far_unit"),
    "contracts": ("contract", "far_contract"),
    "tender-rounds": ("round", "far_round", "next_round", "unplanned_round", "far_next_round"),
    "requirements": ("staffing_requirement", "requirement", "far_requirement"),
}


@pytest.mark.parametrize("viewer", each(USERS))
def test_the_api_lists_show_exactly_what_the_viewer_may_read(shared, viewer):
    client, world = shared.client(viewer), shared.world
    headers = world.headers(viewer)
    experiences = all_ids(client, "/api/v1/experiences?per_page=2", headers)
    assert experiences == readable_ids(world, viewer)
    assert all_ids(client, "/api/v1/findings?per_page=2", headers) == visible_findings(
        world, viewer
    )
    for name, keys in REGISTER.items():
        expected = {world.params[key] for key in keys}
        assert all_ids(client, f"/api/v1/{name}?per_page=2", headers) == expected, name


def ocds_findings(client, world: World, viewer: Viewer, round_key: str) -> set[str] | None:
    url = f"/api/v1/ocds/tender-rounds/{world.params[round_key]}"
    response = client.get(url, headers=world.headers(viewer))
    if response.status_code == 404:
        return None
    release = response.get_json()["releases"][0]
    return {finding["id"] for finding in release["kunskapsbanken"]["findings"]}


@pytest.mark.parametrize("viewer", each(USERS))
def test_ocds_packages_carry_the_published_findings_of_the_round_for_its_network(shared, viewer):
    """Published findings applied in the round; the unpublished one applied there never."""
    client, world = shared.client(viewer), shared.world
    matris = ocds_findings(client, world, viewer, "round")
    far = ocds_findings(client, world, viewer, "far_round")
    if viewer.org in NETWORK:
        assert (matris, far) == ({f"finding-{world.params['finding_applied']}"}, None)
    else:
        assert (matris, far) == (None, set())


# --- CSV exports ----------------------------------------------------------------------------


def csv_rows(client, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


@pytest.mark.parametrize(
    "viewer", each(tuple(v for v in USERS if v.role in (Role.CURATOR, Role.PROCURER)))
)
def test_csv_exports_list_only_the_viewers_network(shared, viewer):
    client, params = shared.client(viewer), shared.world.params
    waiting = csv_rows(client, "/larande/tabell/vantar-langst.csv")
    shown = {int(row["Lärdom"]) for row in waiting}
    proposed = {params[k] for k, spec in FINDINGS.items() if k == "finding_proposed"}
    assert shown == {i for i in proposed if i in visible_findings(shared.world, viewer)}
    ranking = csv_rows(client, f"/avtalsomraden/{params['area']}/oversikt/tabell/rangordning.csv")
    units = {row["Verksamhet"] for row in ranking}
    assert units == ({"Matrisgården"} if viewer.org in NETWORK else {"Fjärrgården"})
    for supplier, org in (("supplier", "owner"), ("far_supplier", "standalone")):
        timeline = csv_rows(client, f"/leverantorer/{params[supplier]}/tabell/tidslinje.csv")
        checks = [row for row in timeline if row["Typ"] == "Kontroll"]
        assert len(checks) == (1 if same_network(viewer.org, org) else 0), supplier


# --- What the forms offer -------------------------------------------------------------------

OPTION = re.compile(r'<option value="(\d+)"')


def offered(html: str, select_id: str) -> set[int]:
    select = re.search(rf'<select[^>]*\bid="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    return {int(value) for value in OPTION.findall(select.group(1))} if select else set()


def test_a_draft_offers_and_generates_only_findings_of_its_own_network(shared):
    """Accepted findings the round may use: the intermediary's, never Fjärranby's accepted
    finding in the same area."""
    client, params = shared.client(Viewer("intermediary", Role.PROCURER)), shared.world.params
    draft = client.get(f"/underlag/{params['tender_draft']}").get_data(as_text=True)
    assert offered(draft, "finding_id") == {params["finding_add"], params["finding_old"]}
    planned = client.get(f"/underlag/omgang/{params['unplanned_round']}").get_data(as_text=True)
    accepted = {"finding", "finding_b", "finding_add", "finding_old"}
    assert {i for k, i in links(planned) if k == "finding"} == {params[k] for k in accepted}


@pytest.mark.parametrize("viewer", each(CASEWORKERS))
def test_the_experience_form_offers_only_contracts_of_the_viewers_frameworks(shared, viewer):
    client, params = shared.client(viewer), shared.world.params
    offered_ids = {}
    for unit in ("unit", "far_unit"):
        url = f"/erfarenheter/avtal?unit_id={params[unit]}&agreement_area_id={params['area']}"
        choices = client.get(f"{url}&start=2023-02").get_json()["contracts"]
        offered_ids[unit] = {int(c["value"]) for c in choices if c["value"].isdigit()}
    mine = "contract" if viewer.org in NETWORK else "far_contract"
    expected = {"unit": set(), "far_unit": set()}
    expected["unit" if mine == "contract" else "far_unit"] = {params[mine]}
    assert offered_ids == expected


@pytest.mark.parametrize(
    "viewer", each(tuple(v for v in USERS if v.role in (Role.COORDINATOR, Role.CURATOR)))
)
def test_the_follow_up_form_offers_only_what_the_viewer_may_use(shared, viewer):
    """Units on the frameworks the organisation uses; experiences it may read (submitted, as
    it writes none); deviations of its network."""
    world = shared.world
    html = shared.client(viewer).get("/uppfoljningar/ny").get_data(as_text=True)
    unit = "unit" if viewer.org in NETWORK else "far_unit"
    submitted = {
        world.params[key] for key, spec in EXPERIENCES.items() if spec.submitted_on
    } & readable_ids(world, viewer)
    assert offered(html, "unit_id") == {world.params[unit]}
    assert offered(html, "experience_ids") == submitted
    assert offered(html, "deviation_ids") == visible_records(world, viewer, "deviation")
