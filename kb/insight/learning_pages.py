"""The learning-loop dashboard: /larande/, overall or for one agreement area (?omrade=<id>).

Curators and procurers only. The page, ``diagram.json`` and each ``tabell/<id>.csv`` are
built from the same FigureSet. An unknown or malformed area gives 404.
"""

from __future__ import annotations

from flask import Response, abort, current_app, render_template, request
from flask_login import current_user

from kb.auth.access import require_role
from kb.auth.models import Role
from kb.catalogue.filters import MAX_ID, parse_positive_int
from kb.database import utcnow
from kb.extensions import db
from kb.findings.queries import area_options
from kb.insight.blueprint import bp, figure_cell
from kb.insight.chart_data import format_number
from kb.insight.learning_loop import LearningDashboard, learning_dashboard
from kb.insight.round_comparison import MIN_SAMPLE
from kb.suppliers.models import AgreementArea

READERS = (Role.CURATOR, Role.PROCURER)


@bp.app_template_filter("learning_cell")
def learning_cell(value: object) -> str:
    """A round-comparison cell: floats with two decimals, everything else as figure_cell."""
    if isinstance(value, float):
        return format_number(value, 2)
    return figure_cell(value)


def _area_from_args() -> AgreementArea | None:
    raw = request.args.get("omrade", "")
    if raw == "":
        return None
    area_id = parse_positive_int(raw, MAX_ID)
    area = db.session.get(AgreementArea, area_id) if area_id is not None else None
    if area is None:
        abort(404)
    return area


def _dashboard() -> LearningDashboard:
    return learning_dashboard(current_user, _area_from_args(), utcnow().date())


@bp.route("/larande/")
@require_role(*READERS)
def learning() -> str:
    dashboard = _dashboard()
    return render_template(
        "insight/learning.html",
        dashboard=dashboard,
        areas=area_options(),
        min_sample=MIN_SAMPLE,
        min_group_size=current_app.config["MIN_GROUP_SIZE"],
    )


@bp.route("/larande/diagram.json")
@require_role(*READERS)
def learning_json() -> Response:
    return _dashboard().figures.json_response()


@bp.route("/larande/tabell/<figure_id>.csv")
@require_role(*READERS)
def learning_csv(figure_id: str) -> Response:
    return _dashboard().figures.csv(figure_id)
