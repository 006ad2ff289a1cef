"""A page's figures: its charts and tables, by id, as SVG with a table, as JSON and as CSV.

Every insight page builds one FigureSet and serves it three ways from the same data: the page
(each chart drawn and its data table beside it), ``…/diagram.json`` (every figure's data) and
``…/tabell/<id>.csv`` (one figure as a Swedish Excel CSV).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Response, abort, jsonify
from markupsafe import Markup

from kb.insight.chart_data import ChartData, TimelineData, plain_number
from kb.insight.csv_export import Cell, csv_response


@dataclass(frozen=True)
class Table:
    """A plain table (no chart), e.g. a ranking: headers and rows of cells."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "headers": list(self.headers),
            "rows": [[_json_cell(cell) for cell in row] for row in self.rows],
        }


def _json_cell(cell: Cell) -> Any:
    if isinstance(cell, bool) or cell is None or isinstance(cell, str):
        return cell
    if isinstance(cell, int | float) or type(cell).__name__ == "Decimal":
        return plain_number(cell)  # type: ignore[arg-type]
    return str(cell)


Figure = ChartData | TimelineData | Table
Drawer = Callable[[Any], Markup]


@dataclass
class FigureSet:
    """The figures of one page, in page order; each chart with the function that draws it."""

    name: str  # used in CSV file names, e.g. "leverantor-12"
    figures: dict[str, Figure] = field(default_factory=dict)
    drawers: dict[str, Drawer] = field(default_factory=dict)

    def add(self, figure_id: str, figure: Figure, drawer: Drawer | None = None) -> None:
        self.figures[figure_id] = figure
        if drawer is not None:
            self.drawers[figure_id] = drawer

    def svg(self, figure_id: str) -> Markup:
        return self.drawers[figure_id](self.figures[figure_id])

    def json_response(self) -> Response:
        response = jsonify(
            {"figures": {figure_id: f.to_json() for figure_id, f in self.figures.items()}}
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    def csv(self, figure_id: str) -> Response:
        figure = self.figures.get(figure_id)
        if figure is None:
            abort(404)
        headers, rows = table_of(figure)
        return csv_response(f"{self.name}-{figure_id}.csv", headers, rows)


def table_of(figure: Figure) -> tuple[list[str], list[list[Cell]]]:
    """The figure as headers and rows of raw values (numbers stay numbers for the CSV)."""
    if isinstance(figure, Table):
        return list(figure.headers), [list(row) for row in figure.rows]
    if isinstance(figure, TimelineData):
        return [figure.date_axis_label, "Typ", "Händelse"], [
            [event.on, event.kind, event.label] for event in figure.events
        ]
    headers = [figure.category_label, *(series.name for series in figure.series)]
    rows = [
        [category, *(series.values[index] for series in figure.series)]
        for index, category in enumerate(figure.categories)
    ]
    return headers, rows
