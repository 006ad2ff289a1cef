"""The data behind a chart: one structure for the SVG, the accessible table and the JSON endpoint.

The SVG puts every plotted value on its element as ``data-value``, written exactly as
``to_json`` writes it, so a browser test can compare the drawing with the JSON.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

Number = int | float | Decimal
MISSING_LABEL = _l("uppgift saknas")
NBSP = "\u00a0"


def plain_number(value: Number | None) -> int | float | None:
    """Return the value as a JSON number: Decimals become int or float, NaN becomes None."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("a chart value must be a number, not a bool")
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def data_value(value: Number | None) -> str:
    """Return the machine-readable data-value attribute: the JSON number, or "" when missing."""
    number = plain_number(value)
    return "" if number is None else json.dumps(number)


def format_number(value: Number, decimals: int = 1) -> str:
    """Format Swedish style: decimal comma and a no-break space between thousands (3 250,5).

    Python ints are written without decimals; other numbers with exactly ``decimals`` places.
    """
    places = 0 if isinstance(value, int) else decimals
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # "0,0", not "-0,0", for a small negative rounded away
    return f"{rounded:,.{places}f}".replace(",", NBSP).replace(".", ",")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Number | None]

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))


@dataclass(frozen=True)
class ChartData:
    """A chart: categories (x, or rows of a bar chart) and one or more series of values.

    ``category_label`` names the categories (e.g. "Halvår", "Tema") and ``value_label`` the
    values (e.g. "Medelbetyg"), whichever way the chart is drawn. None is a missing or
    suppressed value and is drawn as a gap, never as zero.
    """

    title: str
    description: str
    category_label: str
    value_label: str
    categories: Sequence[str]
    series: Sequence[Series]
    unit: str = ""
    decimals: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "categories", tuple(self.categories))
        object.__setattr__(self, "series", tuple(self.series))
        for one in self.series:
            if len(one.values) != len(self.categories):
                raise ValueError(f"series {one.name!r} needs one value per category")

    def format_value(self, value: Number | None) -> str:
        """Return the value as shown to people, with its unit, or "uppgift saknas"."""
        if plain_number(value) is None:
            return str(MISSING_LABEL)
        text = format_number(value, self.decimals)  # type: ignore[arg-type]
        return f"{text}{NBSP}{self.unit}" if self.unit else text

    def table_rows(self) -> list[tuple[str, list[str]]]:
        """Return (category, formatted value per series) rows for the accessible HTML table."""
        return [
            (category, [self.format_value(one.values[index]) for one in self.series])
            for index, category in enumerate(self.categories)
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "description": self.description,
            "category_label": self.category_label,
            "value_label": self.value_label,
            "unit": self.unit,
            "categories": list(self.categories),
            "series": [
                {"name": one.name, "values": [plain_number(v) for v in one.values]}
                for one in self.series
            ],
        }


@dataclass(frozen=True)
class TimelineEvent:
    on: date
    kind: str  # shown in the legend, e.g. "Avtalsstatus", "IVO", "Kontroll"
    label: str


@dataclass(frozen=True)
class TimelineData:
    title: str
    description: str
    events: Sequence[TimelineEvent] = field(default_factory=tuple)
    date_label: str = ""  # defaults to "Datum" in the current language

    def __post_init__(self) -> None:
        object.__setattr__(self, "events", tuple(sorted(self.events, key=lambda e: e.on)))

    @property
    def date_axis_label(self) -> str:
        return self.date_label or str(_l("Datum"))

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "description": self.description,
            "date_label": self.date_axis_label,
            "events": [
                {"date": e.on.isoformat(), "kind": e.kind, "label": e.label} for e in self.events
            ],
        }
