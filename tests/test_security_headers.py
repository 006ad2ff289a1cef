"""Security headers on every kind of response: pages, error pages, redirects, static files,
API JSON and downloads; HSTS only in production. The templates and the server-drawn charts
carry no inline script, style or event handler, so the strict policy costs nothing."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from flask import Flask, abort, request

from config import TestConfig
from kb import create_app
from kb.auth.models import Role
from kb.extensions import db as kb_db
from kb.main.security import CONTENT_SECURITY_POLICY
from tests.conftest import post_form
from tests.test_api_tokens import bearer, make_token

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
REQUIRED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def csp_directives(header: str) -> dict[str, str]:
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value.strip()
    return directives


def assert_secure_headers(response, what: str) -> None:
    headers = response.headers
    for name, value in EXPECTED.items():
        assert headers.get(name) == value, f"{what}: {name}={headers.get(name)!r}"
    directives = csp_directives(headers.get("Content-Security-Policy", ""))
    assert directives.items() >= REQUIRED_CSP.items(), f"{what}: {directives}"
    assert "unsafe" not in headers["Content-Security-Policy"], what
    permissions = headers.get("Permissions-Policy", "")
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions, f"{what}: {permissions}"
    assert "Strict-Transport-Security" not in headers, f"{what}: HSTS outside production"


def test_the_policy_has_no_unsafe_source():
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    directives = csp_directives(CONTENT_SECURITY_POLICY)
    assert directives.items() >= REQUIRED_CSP.items()
    # Anything beyond the required directives only narrows to the site itself.
    assert {directives[name] for name in directives.keys() - REQUIRED_CSP.keys()} <= {"'self'"}


def test_every_kind_of_response_carries_the_headers(app, client, make, login, app_db):
    @app.get("/prov/serverfel")
    def raise_error():
        raise RuntimeError("prov")

    @app.get("/prov/nekad")
    def refuse():
        abort(403)

    app.config["PROPAGATE_EXCEPTIONS"] = False
    responses = {
        "sign-in page": client.get("/logga-in"),
        "redirect to sign-in": client.get("/"),
        "static style sheet": client.get("/static/app.css"),
        "static script": client.get("/static/experience_form.js"),
        "API without token": client.get("/api/v1/units"),
        "OpenAPI document": client.get("/api/v1/openapi.json"),
        "CSRF refusal": client.post("/logga-in", data={"email": "a@b.example"}),
    }
    user = make.user(Role.CURATOR, Role.ADMIN)
    responses["API JSON"] = client.get("/api/v1/units", headers=bearer(make_token(app_db, user)))
    login(make.email_of(user))
    responses |= {
        "start page": client.get("/"),
        "not found": client.get("/finns-inte"),
        "forbidden": client.get("/prov/nekad"),
        "method not allowed": client.get("/logga-ut"),
        "server error": client.get("/prov/serverfel"),
        "CSV download": client.get("/import/mall/suppliers.csv"),
        "trailing-slash redirect": client.get("/lardomar"),
        "form post page": post_form(
            client,
            "/profil/nycklar",
            {"name": "Prov", "scope": "read", "expires_in_days": "30"},
            form_url="/profil",
        ),
        "form post redirect": post_form(client, "/logga-ut", {}, form_url="/"),
    }
    statuses = {what: response.status_code for what, response in responses.items()}
    assert statuses == {
        "sign-in page": 200,
        "redirect to sign-in": 302,
        "static style sheet": 200,
        "static script": 200,
        "API without token": 401,
        "OpenAPI document": 200,
        "CSRF refusal": 400,
        "API JSON": 200,
        "start page": 200,
        "not found": 404,
        "forbidden": 403,
        "method not allowed": 405,
        "server error": 500,
        "CSV download": 200,
        "trailing-slash redirect": 308,
        "form post page": 201,
        "form post redirect": 302,
    }
    assert responses["CSV download"].mimetype == "text/csv"
    for what, response in responses.items():
        assert_secure_headers(response, what)
        response.close()


class ProductionTestConfig(TestConfig):
    ENVIRONMENT = "production"
    HSTS_SECONDS = 63072000


@pytest.fixture
def production_app(database_url: str, tmp_path: Path):
    """Make apps in production mode on the test database; their connections close after."""
    made: list[Flask] = []

    def make_app(**settings) -> Flask:
        app = create_app(
            ProductionTestConfig,
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "INSTANCE_PATH": tmp_path / f"prod{len(made)}",
                **settings,
            },
        )
        made.append(app)
        return app

    yield make_app
    for app in made:
        dispose(app)


def dispose(app: Flask) -> None:
    with app.app_context():
        kb_db.session.remove()
        kb_db.engine.dispose()


def test_hsts_is_sent_in_production_only(production_app):
    app = production_app()
    client = app.test_client()
    for path in ("/logga-in", "/", "/static/app.css", "/api/v1/units", "/finns-inte"):
        response = client.get(path)
        response.close()
        assert response.headers["Strict-Transport-Security"] == (
            "max-age=63072000; includeSubDomains"
        ), path
        assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("hops", [0, 1])
def test_proxy_fix_takes_the_client_address_from_the_proxy_only_when_configured(
    production_app, hops
):
    app = production_app(PROXY_FIX_HOPS=hops)
    seen = {}

    @app.before_request
    def note_client():
        seen["client"] = (request.remote_addr, request.scheme)

    app.test_client().get(
        "/logga-in",
        headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert seen["client"] == (("203.0.113.7", "https") if hops else ("10.0.0.2", "http"))


# --- No inline script, style or handler in what the server writes --------------------------

INLINE_PATTERNS = {
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "style element": re.compile(r"<style[\s>]", re.IGNORECASE),
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "event handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"=\s*[\"']?\s*javascript:", re.IGNORECASE),
}


def inline_findings(text: str) -> list[str]:
    return [name for name, pattern in INLINE_PATTERNS.items() if pattern.search(text)]


def test_the_inline_patterns_catch_what_the_policy_blocks():
    assert inline_findings('<span style="width: 3%">') == ["style attribute"]
    assert inline_findings("<script>alert(1)</script>") == ["inline script"]
    assert inline_findings('<button onclick="x()">') == ["event handler"]
    assert inline_findings('<a href="javascript:x()">') == ["javascript: URL"]
    assert inline_findings("<p>Utan JavaScript: tryck Förhandsgranska</p>") == []
    assert inline_findings('<script src="/static/a.js" defer></script>') == []
    assert inline_findings('<rect class="r1" width="3" data-value="2">') == []


@pytest.mark.parametrize(
    "path",
    sorted(
        [str(p.relative_to(ROOT)) for p in (ROOT / "kb" / "templates").rglob("*.html")]
        + [str(p.relative_to(ROOT)) for p in (ROOT / "kb" / "insight").glob("svg_*.py")]
    ),
)
def test_templates_and_charts_have_no_inline_script_style_or_handler(path):
    text = (ROOT / path).read_text(encoding="utf-8")
    if path.endswith(".py"):  # the markup a chart module writes: its string literals
        text = "\n".join(
            node.value
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        )
    assert inline_findings(text) == [], path
