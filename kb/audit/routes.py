from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from kb.audit.labels import entity_label
from kb.audit.services import AuditFilter, actors_for_filter, audit_page, audited_entities
from kb.auth.access import require_role
from kb.auth.models import Role
from kb.catalogue.filters import MAX_ID, parse_positive_int

bp = Blueprint("audit", __name__, url_prefix="/logg")


@bp.route("/")
@require_role(Role.ADMIN, Role.CURATOR)
def index() -> str:
    filters = AuditFilter(
        entity=request.args.get("entity") or None,
        actor_id=parse_positive_int(request.args.get("actor"), MAX_ID),
        entity_id=(request.args.get("entity_id") or "").strip()[:100] or None,
    )
    page_number = max(1, min(request.args.get("page", 1, type=int), 100_000))
    page = audit_page(current_user, filters, page_number, current_app.config["PAGE_SIZE"])
    return render_template(
        "audit/index.html",
        page=page,
        filters=filters,
        entities=audited_entities(),
        actors=actors_for_filter(current_user),
        entity_label=entity_label,
    )
