"""Pages that show experiences: their text, the lists on supplier and unit pages, the
scorecards with small groups suppressed, and the caseworker's own start page.

Run in one world per backend (tests/access_world.py); the expectations are written out by
hand from DESIGN §5 and never ask the app's visibility helpers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest

from kb.auth.models import Role
from kb.themes import Theme
from tests.access_world import (
    CASEWORKERS,
    EXPERIENCES,
    HVB,
    INTERMEDIARY_CURATOR,
    NEIGHBOUR_CASEWORKER,
    OWNER_CASEWORKER,
    ROUND_REFERENCE,
    ROUND_TITLE,
    STANDALONE,
    STOD,
    USERS,
    Viewer,
    each,
    may_read,
    open_shared_world,
    readable_ids,
    unreadable_markers,
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared(request, tmp_path_factory, sqlite_template, postgres_engine):
    folder = tmp_path_factory.mktemp("access-pages")
    yield from open_shared_world(request.param, folder, sqlite_template, postgres_engine)


@pytest.fixture
def min_group_size(shared):
    """Set KB_MIN_GROUP_SIZE for one test, and put it back after."""
    saved = shared.app.config["MIN_GROUP_SIZE"]

    def set_size(size: int) -> None:
        shared.app.config["MIN_GROUP_SIZE"] = size

    yield set_size
    shared.app.config["MIN_GROUP_SIZE"] = saved


# --- Experience pages -----------------------------------------------------------------------


@pytest.mark.parametrize("viewer", each(USERS))
def test_experience_text_is_shown_exactly_to_its_readers(shared, viewer):
    client = shared.client(viewer)
    for key, spec in EXPERIENCES.items():
        response = client.get(f"/erfarenheter/{shared.world.params[key]}")
        body = response.get_data(as_text=True)
        if may_read(viewer, key):
            assert response.status_code == 200, key
            assert f"{spec.marker} fungerade" in body, key
            assert f"{spec.marker} råd" in body, key
        else:
            assert response.status_code == 404, key
            assert spec.marker not in body, key


# --- Supplier and unit pages ----------------------------------------------------------------

EXPERIENCE_LINK = re.compile(r'href="/erfarenheter/(\d+)"')
READABLE_HEADING = "Senaste erfarenheter du kan läsa"
PAGES = {  # the page -> the unit whose experiences it lists
    "/leverantorer/{supplier}": "unit",
    "/verksamheter/{unit}": "unit",
    "/leverantorer/{far_supplier}": "far_unit",
    "/verksamheter/{far_unit}": "far_unit",
}


def experience_links(html: str) -> set[int]:
    return {int(found) for found in EXPERIENCE_LINK.findall(html)}


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("viewer", each(USERS))
def test_supplier_and_unit_pages_link_exactly_the_readable_experiences(shared, viewer, page):
    world = shared.world
    response = shared.client(viewer).get(page.format(**world.params))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert READABLE_HEADING in body
    assert experience_links(body) == readable_ids(world, viewer, PAGES[page])
    assert [marker for marker in unreadable_markers(viewer) if marker in body] == []


# --- 4. Scorecards --------------------------------------------------------------------------

SUMMARY, AREAS, ROUNDS = "Sammanfattning", "Per avtalsområde", "Per upphandlingsomgång"
THEMES = "Betyg per tema (1–5), alla erfarenheter"
TOTAL, OFF_CONTRACT = "Totalt", "Utanför avtal"
ROUND = f"{ROUND_REFERENCE} {ROUND_TITLE}"
PLAN, STAFF = str(Theme.GENOMFORANDEPLAN.label), str(Theme.BEMANNING.label)
HIDDEN = "dold"


@dataclass
class Row:
    label: str
    count: str
    suppressed_text: str | None
    figures: list[str]


class ScorecardTables(HTMLParser):
    """Collect each table's rows, keyed by caption, noting cells marked as suppressed."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[tuple[bool, str]]]] = {}
        self._caption: str | None = None
        self._in_caption = False
        self._row: list[tuple[bool, str]] | None = None
        self._cell: list | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "caption":
            self._in_caption, self._caption = True, ""
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            classes = (dict(attrs).get("class") or "").split()
            self._cell = ["suppressed" in classes, ""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False
            self._caption = " ".join(self._caption.split())
            self.tables[self._caption] = []
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append((self._cell[0], " ".join(self._cell[1].split())))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._caption is not None:
            self.tables[self._caption].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self._caption += data
        elif self._cell is not None:
            self._cell[1] += data

    def rows(self, caption: str) -> dict[str, Row]:
        found = {}
        for cells in self.tables.get(caption, [])[1:]:  # the first row is the header
            (_, label), (_, count), *rest = cells
            suppressed = next((text for hidden, text in rest if hidden), None)
            found[label] = Row(label, count, suppressed, [text for _, text in rest])
        return found


def groups(html: str) -> dict[str, dict[str, object]]:
    """Caption -> label -> n when shown, or HIDDEN when suppressed."""
    tables = ScorecardTables(html)
    return {
        caption: {
            label: HIDDEN if row.suppressed_text is not None else int(row.count)
            for label, row in tables.rows(caption).items()
            if caption != THEMES or label in (PLAN, STAFF)
        }
        for caption in (SUMMARY, AREAS, ROUNDS, THEMES)
        if caption in tables.tables
    }


def scorecard(total, hvb, stod, in_round, off_contract, themes=None) -> dict:
    expected = {
        SUMMARY: {TOTAL: total},
        AREAS: {HVB: hvb, STOD: stod},
        ROUNDS: {ROUND: in_round, OFF_CONTRACT: off_contract},
    }
    if themes is not None:
        expected[THEMES] = themes
    return expected


# The network holds 3 submitted experiences at the unit: owner_1 (HVB, in the round),
# owner_2 (stödboende, off contract) and neighbour (HVB, in the round). The draft never counts.
NOT_READABLE_MIN_3 = scorecard(3, HIDDEN, HIDDEN, HIDDEN, HIDDEN, {PLAN: 3, STAFF: HIDDEN})
SCORECARD_CASES = [
    *(
        (viewer, 3, NOT_READABLE_MIN_3)
        for viewer in (
            NEIGHBOUR_CASEWORKER,
            Viewer("neighbour", Role.CURATOR),
            Viewer("intermediary", Role.PROCURER),
            Viewer("intermediary", Role.ADMIN),
        )
    ),
    (NEIGHBOUR_CASEWORKER, 2, scorecard(3, 2, HIDDEN, 2, HIDDEN, {PLAN: 3, STAFF: 2})),
    (NEIGHBOUR_CASEWORKER, 5, scorecard(HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    # Ägarby reads its own two, so a group of only those is never hidden.
    (OWNER_CASEWORKER, 3, scorecard(3, HIDDEN, 1, HIDDEN, 1, {PLAN: 3})),
    (Viewer("owner", Role.PROCURER), 3, scorecard(3, HIDDEN, 1, HIDDEN, 1, {PLAN: 3})),
    (OWNER_CASEWORKER, 5, scorecard(HIDDEN, HIDDEN, 1, HIDDEN, 1)),
    # The intermediary's curator reads everything, so nothing is hidden.
    (INTERMEDIARY_CURATOR, 5, scorecard(3, 2, 1, 2, 1, {PLAN: 3, STAFF: 2})),
]


@pytest.mark.parametrize("page", ["/leverantorer/{supplier}", "/verksamheter/{unit}"])
@pytest.mark.parametrize(
    ("viewer", "min_size", "expected"),
    [pytest.param(*case, id=f"{case[0].key}-min{case[1]}") for case in SCORECARD_CASES],
)
def test_scorecard_hides_small_groups_the_viewer_cannot_read(
    shared, min_group_size, viewer, min_size, expected, page
):
    min_group_size(min_size)
    body = shared.client(viewer).get(page.format(**shared.world.params)).get_data(as_text=True)
    found = groups(body)
    for caption in (SUMMARY, AREAS, ROUNDS):
        assert found.get(caption) == expected[caption], caption
    if THEMES in expected:  # only the themes named; the others have no ratings at all
        assert {label: found[THEMES].get(label) for label in expected[THEMES]} == expected[THEMES]
    else:
        assert THEMES not in found
    hidden_groups = any(HIDDEN in found[caption].values() for caption in (SUMMARY, AREAS, ROUNDS))
    assert (f"Färre än {min_size} erfarenheter – visas inte" in body) == hidden_groups
    tables = ScorecardTables(body)
    for caption in (SUMMARY, AREAS, ROUNDS):
        for row in tables.rows(caption).values():
            if row.suppressed_text is not None:
                assert row.figures == [row.suppressed_text], row  # no figure next to it
            else:
                assert "%" in row.figures[0] + row.figures[1], row  # figures are shown
    for label, n in expected.get(THEMES, {}).items():
        suppressed_text = tables.rows(THEMES)[label].suppressed_text
        assert suppressed_text == ("För få svar" if n == HIDDEN else None), label


@pytest.mark.parametrize("page", ["/leverantorer/{supplier}", "/verksamheter/{unit}"])
@pytest.mark.parametrize("viewer", each(STANDALONE))
def test_an_organisation_outside_the_network_counts_no_experiences(shared, viewer, page):
    body = shared.client(viewer).get(page.format(**shared.world.params)).get_data(as_text=True)
    assert "Inga inskickade erfarenheter ännu." in body
    assert "Inga erfarenheter som du har behörighet att läsa." in body
    assert groups(body) == {}


def test_a_suppressed_group_does_not_reveal_how_many_experiences_it_holds(shared, min_group_size):
    """DESIGN §5: a cell resting on fewer than MIN_GROUP_SIZE experiences is suppressed,
    and the count of such a group is itself such a cell."""
    min_group_size(3)
    page = "/verksamheter/{unit}".format(**shared.world.params)
    tables = ScorecardTables(shared.client(NEIGHBOUR_CASEWORKER).get(page).text)
    revealed = {
        row.label: row.count
        for caption in (AREAS, ROUNDS, THEMES)
        for row in tables.rows(caption).values()
        if row.suppressed_text is not None and row.count not in ("", "0", "–")
    }
    assert revealed == {}


# --- The caseworker's start page ----------------------------------------------------------


START_FIGURE = r"<strong>(\d+)</strong> {}"
RECENT_LIST = re.compile(r"Dina senaste erfarenheter</h3>\s*<ul[^>]*>(.*?)</ul>", re.S)


@pytest.mark.parametrize("viewer", each(CASEWORKERS))
def test_start_page_counts_only_my_own_experiences(shared, viewer):
    body = shared.client(viewer).get("/").get_data(as_text=True)
    own = [spec for spec in EXPERIENCES.values() if spec.author == viewer]
    drafts = sum(spec.submitted_on is None for spec in own)
    figures = {
        label: int(re.search(START_FIGURE.format(label), body).group(1))
        for label in ("utkast att skicka in", "inskickade erfarenheter")
    }
    assert figures == {
        "utkast att skicka in": drafts,
        "inskickade erfarenheter": len(own) - drafts,
    }
    recent = RECENT_LIST.search(body)
    assert (recent.group(1).count("<li>") if recent else 0) == len(own)
