"""The JSON API driven by Hypothesis with hostile bodies and query strings (issue 9, item 4).

Every write operation in the OpenAPI document (tests/fuzz_api.py: API_WRITES, with bodies
built from the document's schema) and every read operation, with a caseworker's read+write
token, on SQLite and PostgreSQL. The properties, each a test:

- no server error: every answer is one of the API's statuses, and a refusal is its JSON error;
- a refused write leaves every table as it was (the token's last use aside);
- no valid personnummer or samordningsnummer in a body reaches stored data;
- Markdown sent through the API never brings script into the API's HTML or the web page.

tests/test_api_schemathesis.py checks the answers against the document; this adds the
identity-number and script properties and values the document's schema does not suggest.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import strategies as st

from tests.fuzz_api import (
    API,
    API_WRITES,
    PATH_IDS,
    TOKEN_BOOKKEEPING,
    ApiWrite,
    api_answer_problems,
    encoded,
    hostile_body,
    identity_body,
    query,
    xss_body,
)
from tests.fuzz_checks import changes_beyond
from tests.fuzz_database import identity_numbers_stored
from tests.fuzz_html import active_content
from tests.fuzz_session import FuzzSession, fuzz_fixture, run_examples
from tests.fuzz_values import EDGE_NUMBERS

fuzz = fuzz_fixture()
SCHEMA = "ExperienceWrite"


@pytest.fixture(scope="module")
def document(fuzz: FuzzSession) -> dict:
    return fuzz.clients["anonymous"].get(f"{API}/openapi.json").get_json()


def reads(app_document: dict) -> list[tuple[str, dict]]:
    return [
        (path, operations["get"])
        for path, operations in sorted(app_document["paths"].items())
        if "get" in operations
    ]


def each(writes: list[ApiWrite]) -> list:
    return [pytest.param(write, id=f"{write.method} {write.path}") for write in writes]


def send(fuzz: FuzzSession, write: ApiWrite, raw: bytes, content_type: str):
    fuzz.counts["examples"] += 1
    headers = {"Authorization": f"Bearer {fuzz.world.api_tokens['caseworker']}"}
    return fuzz.request(
        "anonymous",
        write.method,
        write.url(fuzz.world),
        data=raw,
        content_type=content_type,
        headers=headers,
    )


def as_json(body: object) -> tuple[bytes, str]:
    return json.dumps(body).encode(), "application/json"


def assert_answer_ok(write: ApiWrite, outcome, body: object) -> None:
    problems = api_answer_problems(outcome)
    assert not problems, "\n".join(
        [f"{write.method} {write.path}: {outcome.status}", *problems, f"with {body!r:.1500}"]
    )


@pytest.mark.parametrize("write", each(API_WRITES))
def test_the_acceptable_body_is_accepted(fuzz, write):
    """Every example starts from a body the API saves, so the examples reach the saving code."""
    body = write.body(fuzz.world)
    with send(fuzz, write, *as_json(body)) as outcome:
        assert_answer_ok(write, outcome, body)
        assert outcome.status in (200, 201), outcome.body[:1000]
        assert outcome.changed


@pytest.mark.parametrize("write", each(API_WRITES))
def test_no_server_error_and_json_errors(fuzz, write, document):
    schema = document["components"]["schemas"][SCHEMA]

    def example(draw) -> None:
        body = draw.draw(hostile_body(write.body(fuzz.world), schema), label="body")
        raw, content_type = draw.draw(encoded(body), label="encoded")
        with send(fuzz, write, raw, content_type) as outcome:
            assert_answer_ok(write, outcome, raw)
            stored = identity_numbers_stored(fuzz.baseline.new_rows(outcome.after))
            assert not stored, f"{write.method} {write.path} stored {stored} from {raw!r:.1500}"

    run_examples(30, example)


@pytest.mark.parametrize("write", each(API_WRITES))
def test_a_refused_write_changes_nothing(fuzz, write, document):
    schema = document["components"]["schemas"][SCHEMA]

    def example(draw) -> None:
        body = draw.draw(hostile_body(write.body(fuzz.world), schema), label="body")
        with send(fuzz, write, *as_json(body)) as outcome:
            if outcome.status >= 400:
                changed = changes_beyond(fuzz.baseline, outcome.after, TOKEN_BOOKKEEPING)
                assert not changed, (
                    f"{write.method} {write.path} refused ({outcome.status}) but changed "
                    f"{changed}:\n{fuzz.baseline.describe_changes(outcome.after)}\n{body!r:.1500}"
                )

    run_examples(20, example)


@pytest.mark.parametrize("write", each(API_WRITES))
def test_no_identity_number_is_ever_stored(fuzz, write):
    def example(draw) -> None:
        body = draw.draw(identity_body(write.body(fuzz.world)), label="body")
        with send(fuzz, write, *as_json(body)) as outcome:
            assert_answer_ok(write, outcome, body)
            stored = identity_numbers_stored(fuzz.baseline.new_rows(outcome.after))
            assert not stored, f"{write.method} {write.path} stored {stored} from {body!r:.1500}"

    run_examples(20, example)


@pytest.mark.parametrize("write", each(API_WRITES))
def test_markdown_through_the_api_brings_no_script(fuzz, write):
    """The API's own HTML fields, the API's read of the experience, and its web page."""

    def example(draw) -> None:
        body = draw.draw(xss_body(write.body(fuzz.world)), label="body")
        with send(fuzz, write, *as_json(body)) as outcome:
            assert_answer_ok(write, outcome, body)
            if outcome.status in (200, 201):
                assert_pages_safe(fuzz, outcome.json["id"], body)

    run_examples(12, example)


def assert_pages_safe(fuzz: FuzzSession, experience_id: int, body: dict) -> None:
    headers = {"Authorization": f"Bearer {fuzz.world.api_tokens['caseworker']}"}
    read = fuzz.clients["anonymous"].get(f"{API}/experiences/{experience_id}", headers=headers)
    html_values = [v for k, v in read.get_json().items() if k.endswith("_html")]
    page = fuzz.clients["caseworker"].get(f"/erfarenheter/{experience_id}")
    assert page.status_code == 200
    for html in [*html_values, page.get_data(as_text=True)]:
        assert not active_content(html), f"{active_content(html)} from {body!r:.1500}"


def test_every_read_answers_hostile_query_strings_and_ids(fuzz, document):
    """Each GET operation of the document, with fitting, edge and hostile parameters."""
    headers = {"Authorization": f"Bearer {fuzz.world.api_tokens['caseworker']}"}
    operations = reads(document)
    assert len(operations) >= 15

    def example(draw) -> None:
        path, operation = draw.draw(st.sampled_from(operations), label="operation")
        url = path
        for name in PATH_IDS:
            if f"{{{name}}}" in url:
                value = draw.draw(st_path_id(fuzz.world[PATH_IDS[name]]), label=name)
                url = url.replace(f"{{{name}}}", value)
        url = url.replace("{name}", draw.draw(st.sampled_from(["extension.json", "x", "..%2F"])))
        pairs = draw.draw(query(operation.get("parameters", [])), label="query")
        fuzz.counts["examples"] += 1
        with fuzz.request("anonymous", "GET", url, query_string=pairs, headers=headers) as answer:
            problems = api_answer_problems(answer)
            problems += changes_beyond(fuzz.baseline, answer.after, TOKEN_BOOKKEEPING)
            assert not problems, f"GET {url} {pairs!r:.500}: {answer.status}\n" + "\n".join(
                map(str, problems)
            )

    run_examples(100, example)


def st_path_id(existing: int) -> st.SearchStrategy[str]:
    """The world's object, or an id at or beyond the edges of the database's integers."""
    edges = [str(n) for n in (0, 2**31 - 1, 2**31, 2**63, 10**30)]
    return st.sampled_from([str(existing), *edges, *[n for n in EDGE_NUMBERS if n.isdigit()]])
