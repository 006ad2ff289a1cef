"""Health checks for load balancers and the structured request log (kb/ops)."""

from __future__ import annotations

import json
import logging
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from kb.auth.models import Role
from kb.database import utcnow
from kb.ops.request_log import JsonLineFormatter
from kb.search.models import SearchOutbox


def test_healthz_answers_without_sign_in_or_database(app, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def _build_index(app) -> None:
    result = app.test_cli_runner().invoke(args=["kb", "search", "rebuild"])
    assert result.exit_code == 0, result.output


def test_readyz_is_ready_when_database_outbox_and_search_answer(app, client):
    _build_index(app)
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "outbox": True,
        "search": True,
    }


def test_readyz_is_not_ready_before_the_search_index_is_built(app, client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["search"]["ok"] is False


def test_readyz_is_not_ready_while_the_outbox_is_stuck(app, client, app_db):
    _build_index(app)
    with app_db() as session:
        session.add(
            SearchOutbox(
                entity="supplier",
                entity_id=1,
                operation="upsert",
                created_at=utcnow() - timedelta(seconds=app.config["OUTBOX_STUCK_SECONDS"] + 5),
                available_at=utcnow() - timedelta(seconds=1),
            )
        )
        session.commit()
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["outbox"]["ok"] is False and body["checks"]["outbox"]["pending"] == 1
    assert body["checks"]["database"]["ok"] is True


def test_readyz_ignores_a_fresh_outbox_row(app, client, app_db):
    with app_db() as session:
        session.add(SearchOutbox(entity="supplier", entity_id=1, operation="upsert"))
        session.commit()
    _build_index(app)
    assert client.get("/readyz").status_code == 200


def test_readyz_is_not_ready_when_the_whoosh_index_is_gone(app, client):
    _build_index(app)
    assert client.get("/readyz").status_code == 200
    shutil.rmtree(Path(app.config["WHOOSH_INDEX_PATH"]), ignore_errors=True)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["search"]["ok"] is False


@pytest.fixture(autouse=True)
def _request_log_reaches_caplog(monkeypatch):
    """An app made with REQUEST_LOG on (another test's production config) gives the logger
    its own handler and stops it propagating; caplog listens at the root."""
    monkeypatch.setattr(logging.getLogger("kb.requests"), "propagate", True)


def _request_lines(caplog) -> list[dict]:
    return [r.fields for r in caplog.records if r.name == "kb.requests"]


def test_each_request_logs_one_line_without_personal_data(app, client, make, login, caplog):
    email = "greta.exempel@kommun.example"
    user = make.user(Role.CASEWORKER, email=email)
    login(email)
    with caplog.at_level(logging.INFO, logger="kb.requests"):
        caplog.clear()  # the sign-in's lines, when another test left the logger at INFO
        response = client.get("/sok?q=Greta+Exempelsson+19121212-1212")
    lines = _request_lines(caplog)
    assert len(lines) == 1
    line = lines[0]
    assert line["route"] == "/sok" and line["method"] == "GET"
    assert line["status"] == response.status_code
    assert line["user_id"] == user and line["duration_ms"] >= 0
    assert line["request_id"] == response.headers["X-Request-ID"]
    text = JsonLineFormatter().format(caplog.records[-1])
    assert json.loads(text)["request_id"] == line["request_id"]
    for personal in ("Greta", "19121212", "greta.exempel", "127.0.0.1"):
        assert personal not in text


def test_a_proxy_request_id_is_kept_and_a_strange_one_replaced(app, client, caplog):
    with caplog.at_level(logging.INFO, logger="kb.requests"):
        kept = client.get("/healthz", headers={"X-Request-ID": "lb-4711.abc"})
        replaced = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert kept.headers["X-Request-ID"] == "lb-4711.abc"
    assert replaced.headers["X-Request-ID"] != "<script>"
    assert len(replaced.headers["X-Request-ID"]) == 32
    ids = [line["request_id"] for line in _request_lines(caplog)]
    assert ids == ["lb-4711.abc", replaced.headers["X-Request-ID"]]


def test_an_unknown_address_is_logged_without_its_path(app, client, caplog):
    with caplog.at_level(logging.INFO, logger="kb.requests"):
        client.get("/finns-inte/Greta")
    (line,) = _request_lines(caplog)
    assert line["route"] is None and line["status"] in (302, 404)
