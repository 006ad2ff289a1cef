"""Server-rendered SVG charts: no JavaScript, no inline styles, readable at phone width.

Every chart is an ``<svg role="img">`` named by its ``<title>`` and ``<desc>`` (through
``aria-labelledby``), drawn in a ``viewBox`` with ``width="100%"`` so it scales to its
container. Only presentation attributes and CSS classes style it, so a strict
Content-Security-Policy without 'unsafe-inline' keeps working; ``chart-series-N`` classes let a
stylesheet override the default colours. All text is escaped.

Each plotted value is one element carrying ``data-series``, ``data-category`` and
``data-value`` (the JSON number as ``ChartData.to_json()`` writes it, "" when missing), so a
browser test can compare the drawing with the JSON. Missing or suppressed values (None) are
gaps: a break in a line, "uppgift saknas" instead of a bar, never a zero. The caller shows
``ChartData.title`` as the visible heading and ``ChartData.table_rows()`` as a table beside it.
"""

from __future__ import annotations

import math

from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from kb.insight.chart_data import MISSING_LABEL, ChartData, TimelineData, plain_number
from kb.insight.svg_parts import (
    AXIS_STROKE,
    CHAR_WIDTH,
    FONT_SIZE,
    GRID_STROKE,
    LINE_HEIGHT,
    MUTED_FILL,
    SMALL_FONT_SIZE,
    TEXT_FILL,
    WIDTH,
    datum_attrs,
    element,
    fit,
    label,
    legend,
    num,
    series_colour,
    series_dash,
    svg_root,
    tick_label,
    tooltip,
    value_ticks,
)

PLOT_HEIGHT = 200
BAR_HEIGHT = 14
NO_DATA_LABEL = _l("Inga uppgifter att visa")
_DIAMOND = ((0, -7), (7, 0), (0, 7), (-7, 0))


def _scale(ticks: list[float], start: float, length: float):
    low, high = ticks[0], ticks[-1]
    return lambda value: start + (min(max(float(value), low), high) - low) / (high - low) * length


def _no_data(chart_id: str, kind: str, title: str, desc: str) -> Markup:
    message = label(WIDTH / 2, 28, str(NO_DATA_LABEL), text_anchor="middle", fill=MUTED_FILL)
    return svg_root(chart_id, kind, 44, title, desc, [message])


def line_chart(
    data: ChartData, *, chart_id: str, value_range: tuple[float, float] | None = None
) -> Markup:
    """Draw one line per series over the categories (e.g. half-years), with gaps for None.

    ``value_range`` fixes the value axis, e.g. (1, 5) for ratings; otherwise it runs from 0.
    A value outside a fixed range is drawn at its edge; its data-value stays exact.
    """
    if not data.categories:
        return _no_data(chart_id, "line", data.title, data.description)
    ticks = value_ticks(data, value_range)
    tick_texts = [tick_label(t, ticks) for t in ticks]
    left = 26 + max(len(t) for t in tick_texts) * CHAR_WIDTH
    top, width = 10.0, WIDTH - left - 12
    band = width / len(data.categories)
    y_of = _scale(ticks, top + PLOT_HEIGHT, -PLOT_HEIGHT)
    body = _horizontal_grid(ticks, tick_texts, y_of, left, width)
    body.append(_vertical_axis_label(data.value_label, top + PLOT_HEIGHT / 2))
    body += _category_labels(data.categories, left, band, top + PLOT_HEIGHT)
    for index, one in enumerate(data.series):
        points = [
            (left + (i + 0.5) * band, y_of(v) if plain_number(v) is not None else None)
            for i, v in enumerate(one.values)
        ]
        body += _line_series(data, index, points)
    axis_y = top + PLOT_HEIGHT + 38
    body.append(label(left + width / 2, axis_y, data.category_label, text_anchor="middle"))
    names = [one.name for one in data.series]
    items, used = legend(names, axis_y + 10, ["line"] * len(names))
    return svg_root(
        chart_id, "line", axis_y + 18 + used, data.title, data.description, body + items
    )


def _horizontal_grid(ticks, texts, y_of, left: float, width: float) -> list[Markup]:
    parts = []
    for tick, text in zip(ticks, texts, strict=True):
        y = y_of(tick)
        line = {"x1": num(left), "y1": num(y), "x2": num(left + width), "y2": num(y)}
        parts.append(element("line", line | {"stroke": GRID_STROKE, "class": "chart-grid"}))
        parts.append(label(left - 6, y + 4, text, text_anchor="end", class_="chart-tick"))
    return parts


def _vertical_axis_label(text: str, middle: float) -> Markup:
    attrs = {"text_anchor": "middle", "transform": "rotate(-90)", "class_": "chart-axis-label"}
    return label(-middle, 14, fit(text, PLOT_HEIGHT), **attrs)


def _category_labels(categories, left: float, band: float, baseline: float) -> list[Markup]:
    """Label the categories under the axis, skipping some when they would collide."""
    longest = max(len(c) for c in categories) * CHAR_WIDTH + 6
    every = max(1, math.ceil(longest / band))
    axis = {"x1": num(left), "y1": num(baseline), "x2": num(left + band * len(categories))}
    parts = [element("line", axis | {"y2": num(baseline), "stroke": AXIS_STROKE})]
    for index, category in enumerate(categories):
        if index % every == 0:
            x = left + (index + 0.5) * band
            text = fit(category, band * every)
            parts.append(label(x, baseline + 18, text, text_anchor="middle", class_="chart-tick"))
    return parts


def _line_series(data: ChartData, index: int, points) -> list[Markup]:
    one, colour = data.series[index], series_colour(index)
    css = f"chart-series-{index}"
    parts: list[Markup] = []
    run: list[tuple[float, float]] = []
    for x, y in [*points, (0.0, None)]:  # the sentinel closes the last run
        if y is not None:
            run.append((x, y))
            continue
        if len(run) > 1:
            coords = " ".join(f"{num(px)},{num(py)}" for px, py in run)
            line = {"points": coords, "fill": "none", "stroke": colour, "stroke-width": 2.5}
            parts.append(element("polyline", line | series_dash(index) | {"class": css}))
        run = []
    for (x, y), category, value in zip(points, data.categories, one.values, strict=True):
        attrs = datum_attrs(one.name, category, value)
        note = tooltip(f"{one.name}, {category}: {data.format_value(value)}")
        if y is None:
            parts.append(element("g", {"class": f"chart-gap {css}"} | attrs, [note]))
        else:
            dot = {
                "cx": num(x),
                "cy": num(y),
                "r": 4,
                "fill": colour,
                "class": f"chart-point {css}",
            }
            parts.append(element("circle", dot | attrs, [note]))
    return parts


def bar_chart(
    data: ChartData, *, chart_id: str, value_range: tuple[float, float] | None = None
) -> Markup:
    """Draw horizontal bars, one group per category and one bar per series.

    Category names sit above their bars, so long theme names fit at phone width.
    """
    if not data.categories:
        return _no_data(chart_id, "bar", data.title, data.description)
    ticks = value_ticks(data, value_range)
    left, width = 8.0, WIDTH - 8 - 84
    x_of = _scale(ticks, left, width)
    header = label(left, FONT_SIZE, data.category_label, fill=MUTED_FILL, class_="chart-axis-label")
    body, y = [header], FONT_SIZE + 10.0
    for index, category in enumerate(data.categories):
        body.append(label(left, y + FONT_SIZE, fit(category, WIDTH - 16), class_="chart-category"))
        y += LINE_HEIGHT
        for number in range(len(data.series)):
            body.append(_bar(data, number, index, x_of, y))
            y += BAR_HEIGHT + 4
        y += 8
    body = _vertical_grid(ticks, x_of, FONT_SIZE + 10.0, y) + body
    body += _value_axis(data, ticks, x_of, y)
    names = [one.name for one in data.series]
    items, used = legend(names, y + 44, ["bar"] * len(names))
    return svg_root(chart_id, "bar", y + 52 + used, data.title, data.description, body + items)


def _bar(data: ChartData, number: int, index: int, x_of, y: float) -> Markup:
    one = data.series[number]
    value, category = one.values[index], data.categories[index]
    attrs = datum_attrs(one.name, category, value)
    css = f"chart-series-{number}"
    note = tooltip(f"{one.name}, {category}: {data.format_value(value)}")
    if plain_number(value) is None:
        gap = label(x_of(0) + 4, y + BAR_HEIGHT - 3, str(MISSING_LABEL), fill=MUTED_FILL)
        return element("g", {"class": f"chart-gap {css}"} | attrs, [gap, note])
    start, end = sorted((x_of(0), x_of(value)))
    box = {"x": num(start), "y": num(y), "width": num(end - start), "height": BAR_HEIGHT}
    rect = element("rect", box | {"fill": series_colour(number), "class": f"chart-bar {css}"})
    text = label(end + 4, y + BAR_HEIGHT - 3, data.format_value(value), font_size=SMALL_FONT_SIZE)
    return element("g", {"class": f"chart-datum {css}"} | attrs, [rect, text, note])


def _vertical_grid(ticks, x_of, top: float, bottom: float) -> list[Markup]:
    return [
        element(
            "line",
            {"x1": num(x_of(t)), "y1": num(top), "x2": num(x_of(t)), "y2": num(bottom)}
            | {"stroke": GRID_STROKE, "class": "chart-grid"},
        )
        for t in ticks
    ]


def _value_axis(data: ChartData, ticks, x_of, y: float) -> list[Markup]:
    axis = {"x1": num(x_of(ticks[0])), "y1": num(y), "x2": num(x_of(ticks[-1])), "y2": num(y)}
    parts = [element("line", axis | {"stroke": AXIS_STROKE})]
    for tick in ticks:
        text = tick_label(tick, ticks)
        parts.append(label(x_of(tick), y + 16, text, text_anchor="middle", class_="chart-tick"))
    middle = (x_of(ticks[0]) + x_of(ticks[-1])) / 2
    axis_label = fit(data.value_label + (f" ({data.unit})" if data.unit else ""), WIDTH - 16)
    parts.append(label(middle, y + 34, axis_label, text_anchor="middle", class_="chart-axis-label"))
    return parts


def reference_chart(data: ChartData, *, chart_id: str) -> Markup:
    """Draw each category's value (series 0) as a bar and a reference (series 1) as a tick.

    For example a unit's daily price against the agreement area's median.
    """
    if len(data.series) != 2:
        raise ValueError("a reference chart needs a value series and a reference series")
    if not data.categories:
        return _no_data(chart_id, "reference", data.title, data.description)
    ticks = value_ticks(data)
    left, width = 8.0, WIDTH - 8 - 84
    x_of = _scale(ticks, left, width)
    value, reference = data.series
    body, y = [], 4.0
    for index, category in enumerate(data.categories):
        body.append(label(left, y + FONT_SIZE, fit(category, WIDTH - 16), class_="chart-category"))
        y += LINE_HEIGHT
        body.append(_bar(data, 0, index, x_of, y))
        body.append(_reference_tick(data, index, x_of, y))
        y += BAR_HEIGHT + 26
    body = _vertical_grid(ticks, x_of, 4.0, y) + body + _value_axis(data, ticks, x_of, y)
    items, used = legend([value.name, reference.name], y + 44, ["bar", "reference"])
    return svg_root(
        chart_id, "reference", y + 52 + used, data.title, data.description, body + items
    )


def _reference_tick(data: ChartData, index: int, x_of, y: float) -> Markup:
    one, category = data.series[1], data.categories[index]
    value = one.values[index]
    attrs = datum_attrs(one.name, category, value)
    text = f"{one.name}: {data.format_value(value)}"
    small = {"font_size": SMALL_FONT_SIZE, "fill": MUTED_FILL}
    caption = label(8, y + BAR_HEIGHT + 15, fit(text, WIDTH - 16, SMALL_FONT_SIZE), **small)
    if plain_number(value) is None:
        return element("g", {"class": "chart-gap chart-reference"} | attrs, [caption])
    x = num(x_of(value))
    tick = {"x1": x, "y1": num(y - 4), "x2": x, "y2": num(y + BAR_HEIGHT + 4)}
    line = element("line", tick | {"stroke": TEXT_FILL, "stroke-width": 2.5})
    return element("g", {"class": "chart-datum chart-reference"} | attrs, [line, caption])


def timeline_chart(data: TimelineData, *, chart_id: str) -> Markup:
    """Draw dated events in date order down a vertical line, one row each, marked by kind."""
    if not data.events:
        return _no_data(chart_id, "timeline", data.title, data.description)
    kinds = list(dict.fromkeys(event.kind for event in data.events))
    header = label(8, FONT_SIZE, data.date_axis_label, fill=MUTED_FILL, class_="chart-axis-label")
    body, y = [header], FONT_SIZE + 12.0
    for event in data.events:
        number = kinds.index(event.kind)
        iso = event.on.isoformat()
        attrs = {"data-date": iso, "data-kind": event.kind, "data-label": event.label}
        parts = [
            label(96, y + FONT_SIZE, iso, text_anchor="end"),
            _event_marker(number, 106, y + FONT_SIZE - 4),
            label(118, y + FONT_SIZE, fit(event.label, WIDTH - 124)),
            tooltip(f"{iso} {event.kind}: {event.label}"),
        ]
        css = f"chart-event chart-series-{number}"
        body.append(element("g", {"class": css} | attrs, parts))
        y += LINE_HEIGHT + 4
    rail = {"x1": 106, "y1": FONT_SIZE + 8, "x2": 106, "y2": num(y), "stroke": GRID_STROKE}
    body.insert(1, element("line", rail | {"stroke-width": 2}))
    for number, kind in enumerate(kinds):
        row = y + 6 + number * LINE_HEIGHT + FONT_SIZE
        parts = [_event_marker(number, 20, row - 4), label(34, row, fit(kind, WIDTH - 42))]
        body.append(element("g", {"class": f"chart-legend chart-series-{number}"}, parts))
    height = y + 14 + len(kinds) * LINE_HEIGHT
    return svg_root(chart_id, "timeline", height, data.title, data.description, body)


def _event_marker(number: int, x: float, y: float) -> Markup:
    """Return a marker whose shape as well as colour tells the kinds apart."""
    paint = {"fill": series_colour(number), "stroke": "#ffffff", "stroke-width": 1}
    shape = number % 3
    if shape == 0:
        return element("circle", {"cx": num(x), "cy": num(y), "r": 6} | paint)
    if shape == 1:
        box = {"x": num(x - 5.5), "y": num(y - 5.5), "width": 11, "height": 11}
        return element("rect", box | paint)
    corners = " ".join(f"{num(x + dx)},{num(y + dy)}" for dx, dy in _DIAMOND)
    return element("polygon", {"points": corners} | paint)
