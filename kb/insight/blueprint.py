"""The insight blueprint and the template filter its tables share."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum

from flask import Blueprint

from kb.insight.chart_data import format_number

bp = Blueprint("insight", __name__)


@bp.app_template_filter("figure_cell")
def figure_cell(value: object) -> str:
    """A table cell as shown: Swedish numbers, ISO dates, labels of enums, "–" for nothing."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, int | float | Decimal):
        return format_number(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return str(getattr(value, "label", value.value))
    return str(value)
