"""The insight pages in a real browser: every chart is drawn with data, its drawing and its data
table say what the page's JSON says, the pages fit a phone, and axe finds nothing serious.

Screenshots of each page go to test-results/browser/<test name>/ (KB_BROWSER_OUTPUT to move it).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kb.auth.models import Role
from tests.browser.conftest import Browse

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
PHONE = {"width": 375, "height": 812}
MISSING = "uppgift saknas"


@pytest.fixture
def output(request: pytest.FixtureRequest) -> Path:
    base = Path(os.environ.get("KB_BROWSER_OUTPUT", ROOT / "test-results" / "browser"))
    folder = base / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _paths(browse: Browse) -> dict[str, str]:
    """The supplier page, the area overview and the learning dashboard of the seeded world."""
    page, world = browse.page, browse.live.world
    browse.visit(f"/verksamheter/{browse.live.unit_ids[world.unit]}")
    supplier = page.get_by_role("link", name=world.supplier).first.get_attribute("href")
    browse.visit("/avtalsomraden")
    area = page.get_by_role("link", name=world.area, exact=True).first.get_attribute("href")
    return {
        "leverantor": supplier,
        "omrade": f"{area}/oversikt",
        "larande": "/larande/",
    }


def _json_of(browse: Browse, path: str) -> dict:
    base, _, query = path.partition("?")
    url = base.rstrip("/") + "/diagram.json" + (f"?{query}" if query else "")
    response = browse.page.request.get(browse.live(url))
    assert response.status == 200, url
    return response.json()["figures"]


def _number(cell: str) -> float | None:
    """A table cell as a number: "3,5", "4 500 kr", "33,3 %"; None for "uppgift saknas"."""
    if MISSING in cell:
        return None
    digits = re.sub(r"[^\d,−-]", "", cell).replace(",", ".").replace("−", "-")
    return float(digits)


def _check_chart(browse: Browse, figure_id: str, data: dict) -> int:
    """Compare one chart's drawing and table with its JSON; return how many values it draws."""
    figure = browse.page.locator(f'figure[data-figure="{figure_id}"]')
    expect(figure.locator("svg")).to_have_count(1)
    drawn = figure.locator("svg [data-value]").evaluate_all(
        "els => els.map(e => [e.dataset.series, e.dataset.category, e.dataset.value])"
    )
    shown = {(s, c, v) for s, c, v in drawn if v != ""}
    expected = {
        (series["name"], category, json.dumps(value))
        for series in data["series"]
        for category, value in zip(data["categories"], series["values"], strict=True)
        if value is not None
    }
    assert shown == expected, figure_id
    rows = figure.locator("table tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells, c => c.textContent.trim()))"
    )
    assert [row[0] for row in rows] == data["categories"], figure_id
    for index, row in enumerate(rows):
        for series, cell in zip(data["series"], row[1:], strict=True):
            value, number = series["values"][index], _number(cell)
            if value is None:
                assert number is None, (figure_id, row)
            else:
                assert number is not None and abs(number - value) <= 0.051, (figure_id, row)
    return len(expected)


def _check_page(browse: Browse, path: str) -> int:
    """Open the page, check every figure against the JSON; return the values drawn."""
    browse.visit(path)
    figures = _json_of(browse, path)
    on_page = browse.page.locator("figure[data-figure]").evaluate_all(
        "els => els.map(e => e.dataset.figure)"
    )
    assert sorted(on_page) == sorted(figures), path
    values = 0
    for figure_id, data in figures.items():
        figure = browse.page.locator(f'figure[data-figure="{figure_id}"]')
        if "series" in data:
            values += _check_chart(browse, figure_id, data)
        elif "events" in data:
            expect(figure.locator("svg")).to_have_count(1)
            expect(figure.locator("table tbody tr")).to_have_count(max(1, len(data["events"])))
        else:
            expect(figure.locator("table tbody tr")).to_have_count(len(data["rows"]))
        csv_link = figure.get_by_role("link", name=re.compile("Ladda ner"))
        response = browse.page.request.get(browse.live(csv_link.get_attribute("href")))
        assert response.status == 200 and response.body().startswith(b"\xef\xbb\xbf")
    return values


def test_insight_pages_draw_their_data_for_a_curator(browse: Browse, output: Path):
    browse.sign_in(Role.CURATOR)
    for name, path in _paths(browse).items():
        assert _check_page(browse, path) > 0, f"{name}: no chart has any data"
        browse.page.screenshot(path=output / f"{name}.png", full_page=True)


def test_insight_pages_fit_a_phone(open_page, output: Path):
    browse = open_page(viewport=PHONE)
    browse.sign_in(Role.CURATOR)
    for name, path in _paths(browse).items():
        browse.visit(path)
        overflow = browse.page.evaluate(
            "() => document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 1, f"{name} is {overflow}px wider than a phone"
        widths = browse.page.locator("figure[data-figure] svg").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().width)"
        )
        assert widths and max(widths) <= PHONE["width"], name
        browse.page.screenshot(path=output / f"{name}-telefon.png", full_page=True)
