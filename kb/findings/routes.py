from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("findings", __name__, url_prefix="/lardomar")


@bp.route("/<int:finding_id>")
def detail(finding_id: int) -> str:
    """Placeholder until the findings pages land."""
    abort(404)
