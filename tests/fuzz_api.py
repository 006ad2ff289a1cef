"""The JSON API under fuzzing: its operations and bodies read from the OpenAPI document, the
writes the world can make, Hypothesis strategies for bodies and query strings, and the
properties of an API answer."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from kb.themes import Theme
from tests.fuzz_checks import LEAKS
from tests.fuzz_html import active_content
from tests.fuzz_session import Outcome
from tests.fuzz_values import (
    EDGE_DATES,
    hostile_text,
    text_with_identity_number,
    tricky_text,
    xss_text,
)
from tests.fuzz_world import FuzzWorld

API = "/api/v1"
API_STATUSES = frozenset({200, 201, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429})
EDGE_INTEGERS = [0, -1, 1, 2**31 - 1, 2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 10**30]
# A token's last use is kept (at most once a minute), whatever the answer.
TOKEN_BOOKKEEPING = frozenset({"api_tokens.last_used_at"})
TEXT_PROPERTIES = ("worked_md", "not_worked_md", "advice_md")
PATH_IDS = {  # a path parameter -> the world's object to name
    "area_id": "area",
    "contract_id": "contract",
    "experience_id": "home_experience",
    "finding_id": "replacement_finding",
    "round_id": "round",
    "requirement_id": "requirement",
    "supplier_id": "supplier",
    "unit_id": "unit",
}


def rule_path(openapi_path: str) -> str:
    """/api/v1/units/{unit_id} -> /api/v1/units/<int:unit_id> (as in app.url_map)."""
    return re.sub(r"\{(\w+)\}", lambda m: f"<int:{m.group(1)}>", openapi_path)


def complete_body(world: FuzzWorld) -> dict[str, Any]:
    """An experience the API accepts and submits."""
    return {
        "status": "inskickad",
        "unit_id": world["unit"],
        "agreement_area_id": world["area"],
        "contract_id": world["contract"],
        "placement_kind": "behandling",
        "legal_basis": "lvu",
        "age_band": "13-15",
        "start": "2024-02",
        "end": "2024-11",
        "end_reason": "planerat",
        "goal_attainment": 3,
        "daily_price": 4850,
        "would_place_again": "ja",
        "worked_md": "Kontaktpersonen var **tillgänglig**.",
        "not_worked_md": "Skolgången kom igång sent.",
        "advice_md": "Fråga om kvällsbemanningen.",
        "ratings": {theme.value: 4 for theme in Theme},
    }


@dataclass(frozen=True)
class ApiWrite:
    method: str
    path: str  # as in the OpenAPI document
    url: Callable[[FuzzWorld], str]
    body: Callable[[FuzzWorld], dict[str, Any]]

    @property
    def rule(self) -> str:
        return rule_path(self.path)


API_WRITES = [
    ApiWrite(
        "POST",
        f"{API}/experiences",
        lambda w: f"{API}/experiences",
        lambda w: {**complete_body(w), "submission_key": "fuzz-1"},
    ),
    ApiWrite(
        "PUT",
        f"{API}/experiences/{{experience_id}}",
        lambda w: f"{API}/experiences/{w['home_draft']}",
        complete_body,
    ),
    ApiWrite(
        "PATCH",
        f"{API}/experiences/{{experience_id}}",
        lambda w: f"{API}/experiences/{w['home_draft']}",
        lambda w: {"worked_md": "Bemanningen blev **bättre** under hösten."},
    ),
]


# --- Values from a JSON schema ----------------------------------------------------------------


def wrong_type() -> st.SearchStrategy[Any]:
    """JSON of any other type: null, booleans, numbers, strings, lists, objects, deep nests."""
    leaf = st.one_of(
        st.none(),
        st.booleans(),
        st.sampled_from(EDGE_INTEGERS),
        st.floats(allow_nan=True, allow_infinity=True),
        tricky_text(),
    )
    nested = st.recursive(
        leaf,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=6,
    )
    return st.one_of(nested, st.just([[[[[[[[[[[]]]]]]]]]]]))


def fitting(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A value of the schema's type, at and beyond its edges."""
    types = schema.get("type", [])
    types = types if isinstance(types, list) else [types]
    options: list[st.SearchStrategy[Any]] = [st.none()] if "null" in types else []
    if "enum" in schema:
        options += [st.sampled_from(schema["enum"]), hostile_text()]
    elif "integer" in types:
        low, high = schema.get("minimum", -(2**31)), schema.get("maximum", 2**31)
        options += [st.sampled_from(EDGE_INTEGERS), st.integers(low - 2, high + 2)]
    elif "number" in types:
        options += [st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(EDGE_INTEGERS)]
    elif "pattern" in schema:
        months = st.builds(
            lambda y, m: f"{y:04d}-{m:02d}", st.integers(0, 9999), st.integers(0, 99)
        )
        options += [months, st.sampled_from(EDGE_DATES)]
    elif "string" in types:
        options.append(hostile_text())
    elif "boolean" in types:
        options.append(st.booleans())
    elif "object" in types:
        properties = schema.get("properties", {})
        options.append(
            st.dictionaries(st.sampled_from(sorted(properties)) | st.text(max_size=8), wrong_type())
            if properties
            else st.dictionaries(st.text(max_size=8), wrong_type())
        )
        if properties:
            options.append(
                st.fixed_dictionaries({}, optional={k: fitting(v) for k, v in properties.items()})
            )
    return st.one_of(options) if options else wrong_type()


@st.composite
def hostile_body(draw: st.DrawFn, base: dict[str, Any], schema: dict[str, Any]) -> Any:
    """The acceptable body with a few properties changed, removed or added; now and then a
    body that is no object at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(wrong_type())
    body = dict(base)
    properties = schema["properties"]
    for name in draw(st.lists(st.sampled_from(sorted(properties)), max_size=4, unique=True)):
        choice = draw(st.sampled_from(["fitting", "fitting", "wrong", "missing"]))
        if choice == "missing":
            body.pop(name, None)
        else:
            body[name] = draw(fitting(properties[name]) if choice == "fitting" else wrong_type())
    if draw(st.integers(0, 9)) == 0:
        body[draw(st.text(max_size=20))] = draw(wrong_type())
    return body


@st.composite
def text_body(draw: st.DrawFn, base: dict[str, Any], texts: st.SearchStrategy[str]) -> dict:
    """The acceptable body with narrative texts (and now and then its key) from ``texts``."""
    body = dict(base)
    names = [*TEXT_PROPERTIES, "submission_key"] if "submission_key" in base else TEXT_PROPERTIES
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)):
        body[name] = draw(texts)
    body["privacy_confirmed"] = True
    return body


def identity_body(base: dict) -> st.SearchStrategy[dict]:
    return text_body(base, text_with_identity_number())


def xss_body(base: dict) -> st.SearchStrategy[dict]:
    return text_body(base, xss_text())


@st.composite
def encoded(draw: st.DrawFn, body: Any) -> tuple[bytes, str]:
    """The body as sent: JSON (now and then with NaN or broken), or the wrong media type."""
    text = json.dumps(body, ensure_ascii=draw(st.booleans()), allow_nan=True)
    how = draw(st.integers(0, 19))
    if how == 0:
        return text.encode()[: draw(st.integers(0, max(0, len(text) - 1)))], "application/json"
    if how == 1:
        return text.encode(), draw(
            st.sampled_from(["text/plain", "application/x-www-form-urlencoded", ""])
        )
    if how == 2:
        return text.encode("utf-16"), "application/json"
    return text.encode(), "application/json"


@st.composite
def query(draw: st.DrawFn, parameters: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Query parameters: some of the operation's, with fitting or hostile values, repeated
    now and then, and now and then an unknown one."""
    pairs = []
    named = [p for p in parameters if p["in"] == "query"]
    for parameter in draw(st.lists(st.sampled_from(named), max_size=4)) if named else []:
        value = draw(st.one_of(fitting(parameter.get("schema", {})), wrong_type()))
        pairs.append((parameter["name"], value if isinstance(value, str) else json.dumps(value)))
    if draw(st.integers(0, 9)) == 0:
        pairs.append((draw(st.text(max_size=10)), draw(hostile_text())))
    return pairs


# --- Properties of an answer ------------------------------------------------------------------


def api_answer_problems(outcome: Outcome) -> list[str]:
    """No server error, an allowed status, and JSON: an error object with a code and a message
    for a refusal; for an experience, HTML without active content."""
    if outcome.status >= 500 or outcome.error:
        return [f"server error {outcome.status}:\n{outcome.error or outcome.body[-2500:]}"]
    problems = []
    if outcome.status not in API_STATUSES:
        problems.append(f"unexpected status {outcome.status}")
    try:
        answer = outcome.json
    except ValueError:
        return [*problems, f"not JSON: {outcome.body[:300]!r}"]
    if outcome.status >= 400:
        error = answer.get("error") if isinstance(answer, dict) else None
        if not isinstance(error, dict) or not error.get("code") or not error.get("message"):
            problems.append(f"no error code and message: {answer!r:.300}")
        elif LEAKS.search(str(error.get("message"))):
            problems.append(f"internal or English message: {error!r:.300}")
    for value in _html_values(answer):
        problems += active_content(value)
    return problems


def _html_values(answer: Any) -> list[str]:
    if isinstance(answer, dict):
        found = [v for k, v in answer.items() if k.endswith("_html") and isinstance(v, str)]
        return found + [v for item in answer.values() for v in _html_values(item)]
    if isinstance(answer, list):
        return [v for item in answer for v in _html_values(item)]
    return []
