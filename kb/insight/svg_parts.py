"""Building blocks of the SVG charts in kb.insight.svg_charts: elements, axes and legends.

Everything is styled with presentation attributes and classes only, never ``style``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

from markupsafe import Markup, escape

from kb.insight.chart_data import ChartData, Number, data_value, format_number, plain_number

WIDTH = 480
FONT_SIZE = 13
SMALL_FONT_SIZE = 11
LINE_HEIGHT = FONT_SIZE + 8
CHAR_WIDTH = 0.6 * FONT_SIZE  # an average glyph, to fit labels without measuring text
TEXT_FILL = "#1a1a1a"
MUTED_FILL = "#595959"  # 7:1 against white
AXIS_STROKE = "#6b6b6b"
GRID_STROKE = "#dddddd"
# Okabe & Ito's colour-blind-safe palette; line series also differ by dash pattern.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000")
DASHES = ("", "6 3", "2 3", "8 3 2 3")
_CHART_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")


def element(tag: str, attrs: dict[str, object], content: Iterable[Markup] | str = ()) -> Markup:
    """Return an element; attribute values and plain-str content are escaped."""
    attributes = "".join(f' {name}="{escape(value)}"' for name, value in attrs.items())
    body = escape(content) if isinstance(content, str) else Markup("").join(content)
    if not body:
        return Markup(f"<{tag}{attributes}/>")
    return Markup(f"<{tag}{attributes}>") + body + Markup(f"</{tag}>")


def label(x: float, y: float, content: str, **attrs: object) -> Markup:
    """Return a text element; keyword names use _ for - (text_anchor=...)."""
    base: dict[str, object] = {"x": num(x), "y": num(y), "font-size": FONT_SIZE}
    base["fill"] = TEXT_FILL
    base |= {name.rstrip("_").replace("_", "-"): value for name, value in attrs.items()}
    return element("text", base, content)


def tooltip(content: str) -> Markup:
    return element("title", {}, content)


def num(coordinate: float) -> str:
    return f"{coordinate:.1f}".removesuffix(".0")


def fit(content: str, width: float, font_size: float = FONT_SIZE) -> str:
    """Shorten text to about the given width, ending in an ellipsis."""
    most = max(4, int(width / (0.6 * font_size)))
    return content if len(content) <= most else content[: most - 1].rstrip() + "…"


def svg_root(
    chart_id: str, kind: str, height: float, title: str, desc: str, body: list[Markup]
) -> Markup:
    """Wrap the body in an accessible, scalable svg element."""
    if not _CHART_ID.match(chart_id):
        raise ValueError("chart_id must be a letter followed by letters, digits, - or _")
    head = [
        element("title", {"id": f"{chart_id}-title"}, title),
        element("desc", {"id": f"{chart_id}-desc"}, desc),
    ]
    attrs = {
        "xmlns": "http://www.w3.org/2000/svg",
        "id": chart_id,
        "class": f"chart chart-{kind}",
        "role": "img",
        "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
        "viewBox": f"0 0 {WIDTH} {num(height)}",
        "width": "100%",
        "preserveAspectRatio": "xMidYMid meet",
    }
    return element("svg", attrs, head + body)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Return round tick values covering low..high, in steps of 1, 2, 2.5 or 5 × 10^k."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    first = math.floor(low / step + 1e-9) * step
    ticks = [round(first, 10)]
    while ticks[-1] < high - step * 1e-9:
        ticks.append(round(first + len(ticks) * step, 10))
    return ticks


def tick_label(value: float, ticks: Sequence[float]) -> str:
    """Format a tick with as many decimals as the step needs (0, 0,5, 1, 1,5 ...)."""
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    places = next((d for d in range(6) if abs(round(step, d) - step) < 1e-9), 6)
    return format_number(round(value) if places == 0 else value, places)


def value_ticks(data: ChartData, fixed: tuple[float, float] | None = None) -> list[float]:
    """Return the ticks of the value axis: a fixed range, or from 0 (or below) to the maximum."""
    if fixed is not None:
        return nice_ticks(*fixed)
    values = [float(v) for s in data.series for v in s.values if plain_number(v) is not None]
    return nice_ticks(min([0.0, *values]), max([0.0, *values]))


def datum_attrs(series: str, category: str, value: Number | None) -> dict[str, object]:
    return {"data-series": series, "data-category": category, "data-value": data_value(value)}


def series_colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def series_dash(index: int) -> dict[str, object]:
    dash = DASHES[index % len(DASHES)]
    return {"stroke-dasharray": dash} if dash else {}


def legend(names: Sequence[str], top: float, markers: Sequence[str]) -> tuple[list[Markup], float]:
    """Return one legend row per series (long names fit at phone width) and the height used.

    A marker is "line" (the series' colour and dash), "bar" (a filled box) or "reference"
    (the dark vertical tick of a reference value).
    """
    items = []
    for index, (name, marker) in enumerate(zip(names, markers, strict=True)):
        y = top + index * LINE_HEIGHT + FONT_SIZE
        items.append(
            element(
                "g",
                {"class": f"chart-legend chart-series-{index}"},
                [_legend_marker(marker, index, y), label(40, y, fit(name, WIDTH - 48))],
            )
        )
    return items, len(names) * LINE_HEIGHT


def _legend_marker(marker: str, index: int, y: float) -> Markup:
    if marker == "line":
        line = {"x1": 8, "y1": num(y - 4), "x2": 32, "y2": num(y - 4)}
        paint = {"stroke": series_colour(index), "stroke-width": 2.5}
        return element("line", line | paint | series_dash(index))
    if marker == "reference":
        line = {"x1": 20, "y1": num(y - 12), "x2": 20, "y2": num(y + 2)}
        return element("line", line | {"stroke": TEXT_FILL, "stroke-width": 2.5})
    box = {"x": 8, "y": num(y - 11), "width": 24, "height": 12}
    return element("rect", box | {"fill": series_colour(index)})
