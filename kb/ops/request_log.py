"""One structured log line per request, for operators: no personal data.

Each line is JSON: request id, user id (a number), method, route (the rule, e.g.
``/erfarenheter/<int:experience_id>``, never the path or query, which can hold search words),
status and duration. No address, name, e-mail or form content. The request id comes from the
proxy's X-Request-ID when it is a plain token, else is made here, and is sent back in the
response so that a user's report can be matched to the line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, g, request

log = logging.getLogger("kb.requests")
INCOMING_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {"time": self.formatTime(record), "level": record.levelname, **record.fields},  # type: ignore[attr-defined]
            ensure_ascii=False,
        )


def _start() -> None:
    g.request_started = time.perf_counter()
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if INCOMING_ID.fullmatch(incoming) else uuid.uuid4().hex


def _user_id() -> int | None:
    """The signed-in user's id if this request loaded the user; never loads it here, since
    loading asks the database, which may be what failed (a 503 during an outage)."""
    user = g.get("_login_user")  # Flask-Login's per-request user
    return user.id if user is not None and user.is_authenticated else None


def _finish(response: Response) -> Response:
    started = g.get("request_started")
    if started is None:  # a request that failed before our first hook
        return response
    response.headers["X-Request-ID"] = g.request_id
    fields = {
        "event": "request",
        "request_id": g.request_id,
        "user_id": _user_id(),
        "method": request.method,
        "route": request.url_rule.rule if request.url_rule else None,
        "endpoint": request.endpoint,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    log.info("request", extra={"fields": fields})
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    if app.config.get("REQUEST_LOG") and not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonLineFormatter())
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
