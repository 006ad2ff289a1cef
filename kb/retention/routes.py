"""/admin/gallring: the retention rule in force and what it would handle now (read-only)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from kb.auth.access import require_role
from kb.auth.models import Role
from kb.database import utcnow
from kb.retention import tracking
from kb.retention.rule import RetentionConfigError, notice_for, rule_from_config
from kb.retention.services import preview
from kb.retention.texts import describe_rule, measured_from

bp = Blueprint("retention", __name__, url_prefix="/admin/gallring")
bp.add_app_template_global(notice_for, "retention_notice")
bp.record_once(lambda state: tracking.install())


@bp.route("")
@require_role(Role.ADMIN)
def index() -> str:
    try:
        rule = rule_from_config(current_app)
    except RetentionConfigError as error:
        return render_template("admin/retention.html", error=str(error), found=None)
    return render_template(
        "admin/retention.html",
        error=None,
        description=describe_rule(rule),
        measured_from=measured_from(),
        found=preview(rule, utcnow().date()) if rule.enabled else None,
        config=current_app.config,
    )
