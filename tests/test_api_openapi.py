"""The OpenAPI document describes exactly the API's routes; errors are JSON everywhere."""

from __future__ import annotations

import re

import pytest

from tests.api_world import build_api_world

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def served_operations(app) -> set[tuple[str, str]]:
    operations = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            operations |= {(path, method.lower()) for method in rule.methods & METHODS}
    return operations


def test_every_api_route_is_described_and_nothing_else(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    described = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method.upper() in METHODS
    }
    assert served_operations(app) == described
    for path, item in document["paths"].items():
        for method, operation in item.items():
            names = set(re.findall(r"{([^}]+)}", path))
            in_path = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert names == in_path, (path, method)
            assert "200" in operation["responses"] or "201" in operation["responses"]


def test_the_document_is_valid_openapi_3_1(client):
    from jsonschema import Draft202012Validator

    document = client.get("/api/v1/openapi.json").get_json()
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_add_path_lets_another_package_describe_its_route():
    from kb.api import openapi

    openapi.add_path("/api/v1/prov/{x}", {"get": {"responses": {"200": {"description": "ok"}}}})
    try:
        assert "/api/v1/prov/{x}" in openapi.document()["paths"]
    finally:
        openapi.EXTRA_PATHS.pop("/api/v1/prov/{x}")


@pytest.fixture
def world(app_db):
    with app_db() as session:
        return build_api_world(session)


def test_errors_are_json_with_a_stable_code_and_a_swedish_message(client, world):
    headers = world.headers("caseworker")
    cases = [
        ("get", "/api/v1/finns-inte", 404, "not_found"),
        ("get", "/api/v1/units/99999", 404, "not_found"),
        ("get", "/api/v1/units/99999999999999", 404, "not_found"),
        ("delete", "/api/v1/units", 405, "method_not_allowed"),
        ("get", "/api/v1/units?per_page=abc", 400, "invalid_parameter"),
        ("get", "/api/v1/findings?status=fel", 400, "invalid_parameter"),
        ("get", "/api/v1/search?order=fel", 400, "invalid_parameter"),
        ("get", "/api/v1/units?per_page=1&per_page=2", 400, "invalid_parameter"),
    ]
    for method, url, status, code in cases:
        response = getattr(client, method)(url, headers=headers)
        assert response.status_code == status, url
        assert response.mimetype == "application/json", url
        error = response.get_json()["error"]
        assert error["code"] == code and error["message"], url
    assert client.delete("/api/v1/units", headers=headers).headers["Allow"]


def test_a_too_large_body_is_413_json(app, client, world):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post(
        "/api/v1/experiences",
        data='{"worked_md": "' + "x" * 2000 + '"}',
        headers={**world.headers("caseworker"), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


def test_an_unexpected_error_is_500_json(app, client, world, monkeypatch):
    from kb.api import catalogue_routes

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(catalogue_routes, "unit_detail", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get(f"/api/v1/units/{world.ids['unit']}", headers=world.headers("curator"))
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"


def test_the_ui_keeps_its_html_error_pages(client, make, login):
    from kb.auth.models import Role

    login(make.email_of(make.user(Role.CASEWORKER)))
    response = client.get("/finns-inte")
    assert response.status_code == 404 and response.mimetype == "text/html"
