"""The agreement-area overview page, its figures as JSON and each table as CSV.

Everyone signed in may open them; every figure is limited to the viewer's network and small
groups are suppressed (kb.insight.scope).
"""

from __future__ import annotations

from flask import Response, abort, render_template
from flask_login import current_user

from kb.catalogue.filters import MAX_ID
from kb.extensions import db
from kb.insight.area_overview import FIGURE_IDS, AreaOverview, area_overview
from kb.insight.blueprint import bp
from kb.insight.scope import scope_for
from kb.suppliers.models import AgreementArea


def _overview_or_404(area_id: int) -> AreaOverview:
    area = db.session.get(AgreementArea, area_id) if area_id <= MAX_ID else None
    if area is None:
        abort(404)
    return area_overview(area, scope_for(current_user))


@bp.route("/avtalsomraden/<int:area_id>/oversikt")
def area_overview_page(area_id: int) -> str:
    overview = _overview_or_404(area_id)
    return render_template(
        "insight/area_overview.html",
        overview=overview,
        area=overview.area,
        figures=overview.figures,
    )


@bp.route("/avtalsomraden/<int:area_id>/oversikt/diagram.json")
def area_overview_json(area_id: int) -> Response:
    return _overview_or_404(area_id).figures.json_response()


@bp.route("/avtalsomraden/<int:area_id>/oversikt/tabell/<figure_id>.csv")
def area_overview_csv(area_id: int, figure_id: str) -> Response:
    if figure_id not in FIGURE_IDS:
        abort(404)
    return _overview_or_404(area_id).figures.csv(figure_id)
