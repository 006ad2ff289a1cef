"""The supplier and unit scorecard charts as JSON and as CSV (the pages embed them).

Open to every signed-in user, like the supplier and unit pages: each figure is limited to
the viewer's network and suppressed for small groups (kb.insight.supplier_charts).
"""

from __future__ import annotations

from flask import Response, request
from flask_login import current_user

from kb.extensions import db
from kb.insight.blueprint import bp
from kb.insight.supplier_charts import charts_for_supplier, charts_for_unit
from kb.suppliers.models import Supplier, Unit

THEME_ARG = "tema"


@bp.route("/leverantorer/<int:supplier_id>/diagram.json")
def supplier_json(supplier_id: int) -> Response:
    supplier = db.get_or_404(Supplier, supplier_id)
    charts = charts_for_supplier(current_user, supplier, request.args.get(THEME_ARG))
    return charts.figures.json_response()


@bp.route("/leverantorer/<int:supplier_id>/tabell/<figure_id>.csv")
def supplier_csv(supplier_id: int, figure_id: str) -> Response:
    supplier = db.get_or_404(Supplier, supplier_id)
    charts = charts_for_supplier(current_user, supplier, request.args.get(THEME_ARG))
    return charts.figures.csv(figure_id)


@bp.route("/verksamheter/<int:unit_id>/diagram.json")
def unit_json(unit_id: int) -> Response:
    unit = db.get_or_404(Unit, unit_id)
    charts = charts_for_unit(current_user, unit, request.args.get(THEME_ARG))
    return charts.figures.json_response()


@bp.route("/verksamheter/<int:unit_id>/tabell/<figure_id>.csv")
def unit_csv(unit_id: int, figure_id: str) -> Response:
    unit = db.get_or_404(Unit, unit_id)
    charts = charts_for_unit(current_user, unit, request.args.get(THEME_ARG))
    return charts.figures.csv(figure_id)
