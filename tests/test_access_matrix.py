"""Who gets what: every route, API endpoint and export against every viewer (DESIGN §2, §5).

The matrix is generated from the app's URL map: every (rule, method) the app serves must be
in one of the tables (tests/access_routes.py for reads, tests/access_forms.py for writes), so
a new route or method that nobody thought about fails here. Each viewer reads every path in
one world built once per backend: SQLite with the Whoosh index, PostgreSQL with its own
search backend. Writes change the world, so they run in tests/test_access_writes.py.
"""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlsplit

import pytest
from flask import Flask

from kb.auth.models import Role
from kb.extensions import db as kb_db
from tests.access_forms import API_WRITES, COVERED_ELSEWHERE, FORM_POSTS
from tests.access_routes import API_GETS, WEB_GETS, Route
from tests.access_world import (
    ANONYMOUS,
    EVERY_VIEWER,
    USERS,
    SharedWorld,
    Viewer,
    differences,
    each,
    experience_markers,
    mentions,
    open_shared_world,
    table_contents,
    text_of,
    unreadable_markers,
)

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
NOT_IN_MATRIX = {("/static/<path:filename>", "GET")}  # public assets without data


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared(request, tmp_path_factory, sqlite_template, postgres_engine):
    folder = tmp_path_factory.mktemp("access-matrix")
    yield from open_shared_world(request.param, folder, sqlite_template, postgres_engine)


def served(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods & set(METHODS)
    }


def in_matrix() -> set[tuple[str, str]]:
    reads = {(route.rule, "GET") for route in (*WEB_GETS, *API_GETS)}
    writes = {(case.rule, case.method) for case in (*FORM_POSTS, *API_WRITES)}
    return reads | writes | set(COVERED_ELSEWHERE)


def test_the_matrix_covers_every_rule_and_method_the_app_serves(shared):
    missing = served(shared.app) - NOT_IN_MATRIX - in_matrix()
    assert missing == set(), "routes or methods the matrix does not cover"
    assert in_matrix() - served(shared.app) == set(), "the matrix names routes that are gone"


def test_each_path_in_the_matrix_hits_the_rule_it_names(shared):
    adapter = shared.app.url_map.bind("localhost")
    cases = [(r.rule, "GET", r.path) for r in (*WEB_GETS, *API_GETS)]
    cases += [(c.rule, c.method, c.path) for c in (*FORM_POSTS, *API_WRITES)]
    for rule_name, method, path in cases:
        concrete = urlsplit(path.format_map(defaultdict(lambda: 7))).path
        rule, _arguments = adapter.match(concrete, method=method, return_rule=True)
        assert rule.rule == rule_name, path


def test_what_is_covered_elsewhere_names_a_test_that_exists():
    for (rule, method), (path, name) in COVERED_ELSEWHERE.items():
        with open(path, encoding="utf-8") as source:
            assert f"def {name}(" in source.read(), f"{rule} {method}: {path}::{name}"


def expected_status(route: Route, viewer: Viewer) -> int:
    if viewer == ANONYMOUS:
        return 200 if route.public else route.anonymous
    return route.status(viewer)


def redirects_correctly(response, viewer: Viewer) -> bool:
    """Signed-out visitors go to the sign-in page; signed-in ones leave it for the start page."""
    location = urlsplit(response.headers["Location"]).path
    return location == ("/logga-in" if viewer == ANONYMOUS else "/")


def check(route: Route, viewer: Viewer, response, expected: int) -> list[str]:
    """What is wrong with the answer: the status, a redirect, leaked text or content."""
    wrong = []
    if response.status_code != expected:
        wrong.append(f"expected {expected}, got {response.status_code}")
    elif response.status_code == 302 and not redirects_correctly(response, viewer):
        wrong.append(f"redirected to {response.headers['Location']}")
    body = text_of(response) if response.status_code == 200 else response.get_data(as_text=True)
    hidden = unreadable_markers(viewer)
    if route.admins_read_all and viewer.role == Role.ADMIN:
        hidden = experience_markers(viewer)  # an admin reads every record but experiences
    leaked = [marker for marker in hidden if mentions(body, marker)]
    if leaked:
        wrong.append(f"shows text the viewer may not read: {leaked}")
    shown = route.content is not None and mentions(body, route.content)
    if route.content is not None and (response.status_code == 200) != shown:
        wrong.append(f"export content {route.content!r} present={shown}")
    return wrong


def read_all(shared: SharedWorld, viewer: Viewer, routes, headers: dict) -> list[str]:
    client = shared.client(viewer)
    with shared.app.app_context():
        before = table_contents(kb_db.session)
    wrong = []
    for route in routes:
        url = route.path.format(**shared.world.params)
        response = client.get(url, headers=headers)
        wrong += [
            f"{url}: {problem}"
            for problem in check(route, viewer, response, expected_status(route, viewer))
        ]
    with shared.app.app_context():
        changed = differences(before, table_contents(kb_db.session))
    assert changed == {}, f"reading changed the database: {changed}"
    return wrong


@pytest.mark.parametrize("viewer", each(EVERY_VIEWER))
def test_every_page_and_export_answers_each_viewer_as_the_rules_say(shared, viewer):
    wrong = read_all(shared, viewer, WEB_GETS, {})
    assert wrong == [], f"{viewer.key}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("viewer", each(EVERY_VIEWER))
def test_every_api_read_answers_each_token_as_the_rules_say(shared, viewer):
    """With the viewer's own token; the anonymous viewer sends none."""
    wrong = read_all(shared, viewer, API_GETS, shared.world.headers(viewer))
    assert wrong == [], f"{viewer.key}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("viewer", each(EVERY_VIEWER))
def test_the_api_never_accepts_a_browser_session(shared, viewer):
    client = shared.client(viewer)
    for route in API_GETS:
        response = client.get(route.path.format(**shared.world.params))
        expected = 200 if route.public else 401
        assert response.status_code == expected, route.path
        if not route.public:
            assert response.get_json()["error"]["code"] == "token_missing", route.path


@pytest.mark.parametrize("viewer", each((USERS[0], ANONYMOUS)))
def test_every_method_a_rule_does_not_take_is_refused_with_405(shared, viewer):
    client = shared.client(viewer)
    params = {**shared.world.params, "own_token": shared.world.params["missing"]}
    paths = {route.rule: route.path for route in (*WEB_GETS, *API_GETS)}
    paths.update({case.rule: case.path for case in (*FORM_POSTS, *API_WRITES)})
    with shared.app.app_context():
        before = table_contents(kb_db.session)
    wrong = []
    for rule in shared.app.url_map.iter_rules():
        if rule.rule not in paths:
            continue
        url = paths[rule.rule].format(**params)
        for method in sorted(set(METHODS) - rule_methods(shared.app, rule.rule)):
            response = client.open(url, method=method, headers=shared.world.headers(viewer))
            if response.status_code != 405:
                wrong.append(f"{method} {url}: {response.status_code}")
    with shared.app.app_context():
        assert differences(before, table_contents(kb_db.session)) == {}
    assert wrong == []


def rule_methods(app: Flask, rule_text: str) -> set[str]:
    """Every method any rule with this text takes (one text may have a rule per method)."""
    return {m for rule in app.url_map.iter_rules() if rule.rule == rule_text for m in rule.methods}
