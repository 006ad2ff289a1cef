"""The fuzz suite covers every state-changing route: a new one without a strategy fails here.

The list of what to fuzz is derived from ``app.url_map`` (every rule that takes POST, PUT,
PATCH or DELETE) and compared with tests/fuzz_targets.py (web forms) and tests/fuzz_api.py
(API writes, as described by the OpenAPI document). Every field of every form class must be
of a kind tests/fuzz_forms.py has strategies for.
"""

from __future__ import annotations

import pytest
from flask import Flask

from config import TestConfig
from kb import create_app
from tests.fuzz_api import API, API_WRITES, rule_path
from tests.fuzz_forms import declared_fields, kind_of
from tests.fuzz_targets import TARGETS

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture(scope="module")
def bare_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    folder = tmp_path_factory.mktemp("coverage")
    return create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://", "INSTANCE_PATH": folder})


def state_changing(app: Flask) -> set[tuple[str, str]]:
    """(method, rule) for every rule that changes state."""
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) & WRITES
    }


def test_every_state_changing_web_route_has_a_fuzz_target(bare_app):
    web = {rule for method, rule in state_changing(bare_app) if not rule.startswith(API)}
    targeted = {target.rule for target in TARGETS}
    assert web - targeted == set(), "add these to tests/fuzz_targets.py"
    assert targeted - web == set(), "these targets name no state-changing rule"
    assert len(targeted) == len(TARGETS), "a rule is listed twice"


def test_every_api_write_has_a_fuzz_target(bare_app):
    api = {(m, rule) for m, rule in state_changing(bare_app) if rule.startswith(API)}
    targeted = {(write.method, write.rule) for write in API_WRITES}
    assert api - targeted == set(), "add these to API_WRITES in tests/fuzz_api.py"
    assert targeted - api == set(), "these API targets name no route"


def test_the_openapi_document_describes_every_api_write_and_read(bare_app):
    """The API fuzz reads bodies and parameters from the document: it must hold them all."""
    document = bare_app.test_client().get(f"{API}/openapi.json").get_json()
    described = {
        (method.upper(), rule_path(path))
        for path, operations in document["paths"].items()
        for method in operations
    }
    routes = {
        (method, rule.rule.replace("<name>", "<int:name>"))
        for rule in bare_app.url_map.iter_rules()
        if rule.rule.startswith(API)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert routes - described == set()
    for write in API_WRITES:
        operation = document["paths"][write.path][write.method.lower()]
        assert "requestBody" in operation, write


@pytest.mark.parametrize("target", TARGETS, ids=[target.rule for target in TARGETS])
def test_every_form_field_has_a_strategy(target):
    fields = declared_fields(target.form) if target.form else {}
    unknown = {name: cls for name, cls in fields.items() if kind_of(cls) is None}
    assert unknown == {}, "add a strategy for these field classes to tests/fuzz_forms.py"
