"""Server-rendered SVG charts: accessible structure, data equal to the JSON, gaps, escaping."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree
from markupsafe import Markup

from kb.insight.chart_data import ChartData, Series, TimelineData, TimelineEvent, format_number
from kb.insight.svg_charts import bar_chart, line_chart, reference_chart, timeline_chart

SVG = "{http://www.w3.org/2000/svg}"
NS = {"s": "http://www.w3.org/2000/svg"}
HOSTILE = "<script>alert(\"x\")</script> & 'Å'"


def parse(svg: Markup) -> etree._Element:
    assert isinstance(svg, Markup)
    return etree.fromstring(str(svg).encode("utf-8"))


def texts(root: etree._Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def plotted(root: etree._Element) -> dict[tuple[str, str], float | None]:
    """Return every datum the SVG carries, keyed by (series, category)."""
    found: dict[tuple[str, str], float | None] = {}
    for node in root.xpath("//*[@data-series]"):
        key = (node.get("data-series"), node.get("data-category"))
        assert key not in found, f"{key} is drawn twice"
        raw = node.get("data-value")
        found[key] = json.loads(raw) if raw else None
    return found


def from_json(data: ChartData) -> dict[tuple[str, str], float | None]:
    document = json.loads(json.dumps(data.to_json()))
    return {
        (series["name"], category): value
        for series in document["series"]
        for category, value in zip(document["categories"], series["values"], strict=True)
    }


def ratings() -> ChartData:
    return ChartData(
        title="Bemanning och kontinuitet över tid",
        description="Medelbetyg per halvår för verksamheten och avtalsområdet.",
        category_label="Halvår",
        value_label="Medelbetyg",
        categories=["2022 vt", "2022 ht", "2023 vt", "2023 ht", "2024 vt", "2024 ht"],
        series=[
            Series("Solgläntan", [3.25, None, 3.8, 4.1, None, 4.5]),
            Series("Avtalsområdet", [3.5, 3.6, 3.6, 3.7, 3.9, 5]),
        ],
    )


def assert_accessible_and_csp_safe(root: etree._Element, chart_id: str, title: str) -> None:
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert root.get("viewBox", "").startswith("0 0 480 ")
    assert root.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
    assert root.find(f"{SVG}title").get("id") == f"{chart_id}-title"
    assert root.find(f"{SVG}title").text == title
    assert root.find(f"{SVG}desc").get("id") == f"{chart_id}-desc"
    assert root.find(f"{SVG}desc").text
    assert not root.xpath("//*[@style]")
    assert not root.xpath("//s:style | //s:script | //s:foreignObject", namespaces=NS)
    assert not [a for node in root.iter() for a in node.attrib if a.startswith("on")]


def test_line_chart_structure_and_data_equal_the_json() -> None:
    data = ratings()
    root = parse(line_chart(data, chart_id="betyg-tid", value_range=(1, 5)))
    assert_accessible_and_csp_safe(root, "betyg-tid", data.title)
    assert plotted(root) == from_json(data)
    assert {"Halvår", "Medelbetyg", "2023 vt", "Solgläntan", "Avtalsområdet"} <= set(texts(root))
    assert [t for t in texts(root) if t in {"1", "2", "3", "4", "5"}] == ["1", "2", "3", "4", "5"]


def test_line_chart_leaves_gaps_for_missing_values() -> None:
    root = parse(line_chart(ratings(), chart_id="c", value_range=(1, 5)))
    unit = root.xpath("//*[@data-series='Solgläntan']")
    gaps = [n.get("data-category") for n in unit if "chart-gap" in n.get("class")]
    assert gaps == ["2022 ht", "2024 vt"]
    assert [n.tag for n in unit].count(f"{SVG}circle") == 4
    lines = root.xpath("//s:polyline[contains(@class, 'chart-series-0')]", namespaces=NS)
    assert [len(line.get("points").split()) for line in lines] == [2]  # only 2023 vt–2023 ht
    area = root.xpath("//s:polyline[contains(@class, 'chart-series-1')]", namespaces=NS)
    assert [len(line.get("points").split()) for line in area] == [6]


def test_line_chart_places_points_by_value() -> None:
    root = parse(line_chart(ratings(), chart_id="c", value_range=(1, 5)))
    area = root.xpath("//s:circle[@data-series='Avtalsområdet']", namespaces=NS)
    x = [float(c.get("cx")) for c in area]
    y = {c.get("data-category"): float(c.get("cy")) for c in area}
    assert x == sorted(x) and len(set(x)) == 6
    one_step = (y["2022 vt"] - y["2023 ht"]) / 0.2  # 3.5 -> 3.7
    assert y["2022 vt"] - y["2024 ht"] == pytest.approx(1.5 * one_step, abs=0.2)  # 3.5 -> 5
    grid = sorted(float(g.get("y1")) for g in root.xpath("//*[@class='chart-grid']"))
    assert y["2024 ht"] == pytest.approx(grid[0])  # 5 is the top of the 1–5 axis
    assert one_step * 4 == pytest.approx(grid[-1] - grid[0], abs=0.5)


def test_point_tooltips_use_a_decimal_comma() -> None:
    root = parse(line_chart(ratings(), chart_id="c", value_range=(1, 5)))
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert "Solgläntan, 2022 vt: 3,3" in titles  # 3.25 rounds half up
    assert "Solgläntan, 2022 ht: uppgift saknas" in titles
    assert not [t for t in texts(root) + titles if "." in t]


def distribution() -> ChartData:
    return ChartData(
        title="Avvikelser per kategori",
        description="Antal avvikelser per kategori, verksamheten mot avtalsområdets snitt.",
        category_label="Kategori",
        value_label="Antal avvikelser",
        categories=["Bemanning", "Lex Sarah", "Lokaler"],
        series=[Series("Verksamheten", [4, None, 0]), Series("Snitt", [2.5, 1.25, 8])],
    )


def test_bar_chart_draws_bars_in_proportion_and_gaps_as_text() -> None:
    data = distribution()
    root = parse(bar_chart(data, chart_id="avvikelser"))
    assert_accessible_and_csp_safe(root, "avvikelser", data.title)
    assert plotted(root) == from_json(data)
    width = {
        (r.getparent().get("data-series"), r.getparent().get("data-category")): float(
            r.get("width")
        )
        for r in root.xpath("//s:rect[contains(@class, 'chart-bar')]", namespaces=NS)
    }
    assert ("Verksamheten", "Lex Sarah") not in width
    assert width["Verksamheten", "Lokaler"] == 0
    full = width["Verksamheten", "Bemanning"]  # coordinates are rounded to 0.1
    assert width["Snitt", "Lokaler"] == pytest.approx(2 * full, abs=0.2)
    assert width["Snitt", "Bemanning"] == pytest.approx(0.625 * full, abs=0.2)
    gap = root.xpath("//*[@data-category='Lex Sarah' and contains(@class, 'chart-gap')]")
    assert "".join(gap[0].itertext()).startswith("uppgift saknas")
    assert {"2,5", "1,3", "0", "4", "Kategori", "Antal avvikelser"} <= set(texts(root))


def test_reference_chart_puts_the_reference_at_its_value() -> None:
    data = ChartData(
        title="Dygnspris mot avtalsområdets median",
        description="Verksamhetens dygnspris och medianen i avtalsområdet.",
        category_label="Verksamhet",
        value_label="Dygnspris",
        categories=["Solgläntan", "Björkhagen"],
        series=[
            Series("Dygnspris", [Decimal("3250.50"), None]),
            Series("Median", [Decimal("2600"), Decimal("2600")]),
        ],
        unit="kr",
        decimals=0,
    )
    root = parse(reference_chart(data, chart_id="pris"))
    assert_accessible_and_csp_safe(root, "pris", data.title)
    assert plotted(root) == from_json(data)
    assert from_json(data)["Dygnspris", "Solgläntan"] == 3250.5
    bar = root.xpath("//s:rect[contains(@class, 'chart-bar')]", namespaces=NS)[0]
    tick = root.xpath(
        "//*[@data-series='Median'][@data-category='Solgläntan']/s:line", namespaces=NS
    )
    start, end = float(bar.get("x")), float(bar.get("x")) + float(bar.get("width"))
    assert float(tick[0].get("x1")) - start == pytest.approx((end - start) * 2600 / 3250.5, abs=0.2)
    assert "3\u00a0251\u00a0kr" in texts(root)
    assert "Median: 2\u00a0600\u00a0kr" in texts(root)
    with pytest.raises(ValueError):
        reference_chart(ChartData(**{**vars(data), "series": data.series[:1]}), chart_id="x")


def test_timeline_lists_events_in_date_order() -> None:
    data = TimelineData(
        title="Händelser för Solgläntan",
        description="Avtalsstatus, IVO-anmärkningar och kontroller.",
        events=[
            TimelineEvent(date(2024, 3, 1), "Avtalsstatus", "Tillfälligt uteslutet från avrop"),
            TimelineEvent(date(2023, 5, 2), "IVO", "Anmärkning vid inspektion"),
            TimelineEvent(date(2024, 6, 1), "Kontroll", "Kreditvärdighet: anmärkning"),
        ],
    )
    root = parse(timeline_chart(data, chart_id="tidslinje"))
    assert_accessible_and_csp_safe(root, "tidslinje", data.title)
    events = root.xpath("//*[@data-date]")
    drawn = [
        {"date": e.get("data-date"), "kind": e.get("data-kind"), "label": e.get("data-label")}
        for e in events
    ]
    assert drawn == data.to_json()["events"]
    assert [e["date"] for e in drawn] == ["2023-05-02", "2024-03-01", "2024-06-01"]
    assert "Datum" in texts(root)
    assert {"IVO", "Avtalsstatus", "Kontroll"} <= set(texts(root))


def test_hostile_labels_are_escaped_everywhere() -> None:
    data = ChartData(
        title=HOSTILE,
        description=HOSTILE,
        category_label=HOSTILE,
        value_label=HOSTILE,
        categories=[HOSTILE, "B"],
        series=[Series(HOSTILE, [1, 2])],
        unit=HOSTILE,
    )
    timeline = TimelineData(HOSTILE, HOSTILE, [TimelineEvent(date(2024, 1, 1), HOSTILE, HOSTILE)])
    for svg in (
        line_chart(data, chart_id="a"),
        bar_chart(data, chart_id="b"),
        timeline_chart(timeline, chart_id="d"),
    ):
        assert "<script" not in str(svg)
        root = parse(svg)
        assert not root.xpath("//s:script", namespaces=NS)
        assert root.find(f"{SVG}title").text == HOSTILE
        assert HOSTILE in {node.get("data-series") for node in root.xpath("//*[@data-series]")} | {
            node.get("data-label") for node in root.xpath("//*[@data-label]")
        }


def test_empty_charts_say_so() -> None:
    empty = ChartData("Tomt", "Inga placeringar ännu.", "Halvår", "Antal", [], [])
    for svg in (line_chart(empty, chart_id="e"), bar_chart(empty, chart_id="f")):
        root = parse(svg)
        assert_accessible_and_csp_safe(root, root.get("id"), "Tomt")
        assert texts(root) == ["Inga uppgifter att visa"]
    assert texts(parse(timeline_chart(TimelineData("T", "D"), chart_id="g"))) == [
        "Inga uppgifter att visa"
    ]


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        ChartData("T", "D", "x", "y", ["a", "b"], [Series("s", [1])])
    with pytest.raises(ValueError):
        line_chart(ratings(), chart_id='x" onload="alert(1)')
    with pytest.raises(ValueError):
        bar_chart(ratings(), chart_id="1abc")


def test_chart_data_json_and_table() -> None:
    data = ChartData(
        "Pris", "D", "Verksamhet", "Dygnspris", ["A", "B"],
        [Series("Pris", [Decimal("2900.00"), Decimal("1234.5")]), Series("Median", [None, 3.0])],
        unit="kr",
    )  # fmt: skip
    assert data.to_json()["series"] == [
        {"name": "Pris", "values": [2900, 1234.5]},
        {"name": "Median", "values": [None, 3.0]},
    ]
    json.dumps(data.to_json())
    assert data.table_rows() == [
        ("A", ["2\u00a0900,0\u00a0kr", "uppgift saknas"]),
        ("B", ["1\u00a0234,5\u00a0kr", "3,0\u00a0kr"]),
    ]


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (3.456, 1, "3,5"),
        (2.25, 1, "2,3"),
        (-2.25, 1, "-2,3"),
        (-0.01, 1, "0,0"),
        (1234567.891, 2, "1\u00a0234\u00a0567,89"),
        (3250, 1, "3\u00a0250"),
        (Decimal("0.5"), 0, "1"),
    ],
)
def test_swedish_number_format(value: float, decimals: int, expected: str) -> None:
    assert format_number(value, decimals) == expected
