"""``/healthz`` and ``/readyz`` for load balancers. Public (kb.auth.access.PUBLIC_ENDPOINTS),
and say nothing but counts.

- /healthz: the process answers. No database access, so a database outage does not make a
  load balancer restart healthy processes.
- /readyz: this server can serve: the database answers, the search outbox is not stuck (its
  oldest due row waited less than OUTBOX_STUCK_SECONDS) and the search backend answers.
  503 otherwise, with which check failed.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from kb.database import utcnow
from kb.extensions import db
from kb.search.models import SearchOutbox
from kb.search.service import backend_for

bp = Blueprint("ops", __name__)


@bp.route("/healthz")
def healthz() -> Response:
    return _no_store(jsonify(status="ok"))


@bp.route("/readyz")
def readyz() -> tuple[Response, int]:
    checks = {"database": _database(), "outbox": _outbox(), "search": _search()}
    ready = all(check["ok"] for check in checks.values())
    db.session.rollback()  # a failed check must not leave the session in a failed transaction
    return _no_store(jsonify(status="ok" if ready else "unavailable", checks=checks)), (
        200 if ready else 503
    )


def _database() -> dict:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        db.session.rollback()
        return {"ok": False, "detail": type(error).__name__}
    return {"ok": True}


def _outbox() -> dict:
    limit = timedelta(seconds=current_app.config["OUTBOX_STUCK_SECONDS"])
    try:
        pending, oldest = db.session.execute(
            select(func.count(), func.min(SearchOutbox.created_at)).where(
                SearchOutbox.available_at <= utcnow()
            )
        ).one()
    except SQLAlchemyError as error:
        db.session.rollback()
        return {"ok": False, "detail": type(error).__name__}
    waited = (utcnow() - oldest).total_seconds() if oldest else 0.0
    return {"ok": waited < limit.total_seconds(), "pending": pending, "oldest_seconds": waited}


def _search() -> dict:
    try:
        health = backend_for(current_app).health()
    except Exception as error:  # any failure means: not ready
        db.session.rollback()
        return {"ok": False, "detail": type(error).__name__}
    return {"ok": health.ok, "documents": health.documents}


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
