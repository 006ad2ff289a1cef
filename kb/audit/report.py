"""The auditor's report (``flask kb audit-report``): who may do what, the security settings in
force, the last consistency checks, and how many accounts hold each role. Never a name, an
e-mail address or any experience text: only counts, organisation names and settings.

Everything is read from the running app: the matrix from its URL map
(kb.audit.report_matrix), the settings from its config and from the headers of one real
response, the checks from consistency_checks. kb.audit.report_markdown prints it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from kb.audit.report_matrix import GATE_LABELS, matrix
from kb.audit.report_settings import security_settings, visibility_rules
from kb.auth.models import Role, User, UserRole
from kb.extensions import db
from kb.organisations.models import Organisation
from kb.retention.rule import RetentionConfigError, rule_from_config
from kb.retention.services import preview
from kb.retention.texts import describe_rule
from kb.search.cli import INDEX_CHECK, OUTBOX_CHECK, check_outbox
from kb.search.models import ConsistencyCheck


def _matrix_section(app: Flask) -> dict[str, Any]:
    rows = matrix(app)
    return {
        "roles": [{"code": role.value, "label": str(role.label)} for role in Role],
        "route_count": sum(len(row.routes) for row in rows),
        "rows": [
            {
                "right": row.right,
                "gate": row.gate,
                "gate_label": str(GATE_LABELS[row.gate]),
                "roles": {role.value: row.allows(role) for role in Role},
                "routes": [route.label for route in row.routes],
            }
            for row in rows
        ],
    }


def _last_check(kind: str) -> dict[str, Any] | None:
    check = db.session.scalar(
        select(ConsistencyCheck)
        .where(ConsistencyCheck.kind == kind)
        .order_by(ConsistencyCheck.ran_at.desc(), ConsistencyCheck.id.desc())
        .limit(1)
    )
    if check is None:
        return None
    try:
        summary = json.loads(check.summary or "{}")
    except ValueError:
        summary = {"text": check.summary}
    return {"ran_at": check.ran_at.isoformat(timespec="seconds"), "ok": check.ok, **summary}


def _checks_section(now: datetime) -> dict[str, Any]:
    outbox = check_outbox(now)
    return {
        "last_index_check": _last_check(INDEX_CHECK),
        "last_outbox_check": _last_check(OUTBOX_CHECK),
        "outbox_now": {"ok": outbox.ok, **outbox.summary()},
    }


def _users_section() -> list[dict[str, Any]]:
    """Accounts per organisation and role, active and inactive; no one is named."""
    statement = (
        select(Organisation.name, UserRole.role, User.active, func.count(User.id))
        .join(User, User.organisation_id == Organisation.id)
        .outerjoin(UserRole, UserRole.user_id == User.id)
        .group_by(Organisation.name, UserRole.role, User.active)
    )
    counts: dict[tuple[str, str], dict[str, Any]] = {}
    for organisation, role, active, count in db.session.execute(statement):
        code = role.value if role is not None else "none"
        entry = counts.setdefault(
            (organisation, code),
            {"organisation": organisation, "role": code, "active": 0, "inactive": 0},
        )
        entry["active" if active else "inactive"] += count
    return [counts[key] for key in sorted(counts)]


def _retention_section(app: Flask, now: datetime) -> dict[str, Any]:
    try:
        rule = rule_from_config(app)
    except RetentionConfigError as error:
        return {"valid": False, "error": str(error)}
    found = preview(rule, now.date())
    return {
        "valid": True,
        "years": rule.years,
        "action": rule.action.value,
        "description": describe_rule(rule),
        "cutoff": found.cutoff.isoformat() if rule.enabled else None,
        "due": found.total,
        "already_handled": found.already_handled,
    }


def database_description(uri: str) -> dict[str, str]:
    url = make_url(uri)
    return {"kind": url.get_backend_name(), "url": url.render_as_string(hide_password=True)}


def build_report(app: Flask, now: datetime) -> dict[str, Any]:
    """The whole report as plain data (what ``--format json`` prints)."""
    return {
        "generated_at": now.isoformat(timespec="seconds"),
        "environment": app.config.get("ENVIRONMENT"),
        "matrix": _matrix_section(app),
        "visibility_rules": visibility_rules(app),
        "settings": security_settings(app),
        "database": database_description(app.config["SQLALCHEMY_DATABASE_URI"]),
        "search": {
            "backend": app.config.get("SEARCH_BACKEND"),
            "sync": app.config.get("SEARCH_SYNC"),
        },
        "retention": _retention_section(app, now),
        "checks": _checks_section(now),
        "users": _users_section(),
    }
