"""Every form of the app, driven by Hypothesis with hostile values (issue 9, item 4).

Four properties, each its own test and each run against every state-changing route in
tests/fuzz_targets.py, on SQLite and on PostgreSQL:

- no server error, and only the answers a form may give (tests/fuzz_checks.py);
- a refused request leaves every table as it was, the audit log included;
- no valid personnummer or samordningsnummer reaches stored data;
- text saved through a form never brings script into the pages that show it.

One world per module (tests/fuzz_world.py); after a request that changed the database, the
database is put back. Examples are fixed (derandomize) so CI runs the same ones every time;
KB_FUZZ_EXAMPLES_SCALE multiplies how many.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import strategies as st

from kb.search.sync import drain_now
from tests.fuzz_checks import changes_beyond, refused, web_answer_problems
from tests.fuzz_database import identity_numbers_stored
from tests.fuzz_forms import (
    encoded_form,
    field_specs,
    hostile_submission,
    identity_submission,
    xss_submission,
)
from tests.fuzz_html import active_content
from tests.fuzz_session import FuzzSession, fuzz_fixture, run_examples
from tests.fuzz_targets import BY_RULE, TARGETS, FormTarget, file_fields, import_known

fuzz = fuzz_fixture()
TEXT_TARGETS = [target for target in TARGETS if target.takes_text]


def each(targets: list[FormTarget]) -> list:
    return [pytest.param(target, id=target.rule) for target in targets]


def prepared(fuzz: FuzzSession, target: FormTarget) -> tuple[str, dict, dict]:
    """The URL, what the browser sends for the acceptable form, and the fields."""
    url = target.url(fuzz.world)
    page = (target.page or target.url)(fuzz.world)
    form = fuzz.form(target.user, page, url)
    base = form.defaults()
    base.update(target.valid(fuzz.world))
    base.update({name: [upload] for name, upload in file_fields(target).items()})
    return url, base, field_specs(target.form, form)


def post(fuzz: FuzzSession, target: FormTarget, url: str, data: dict, as_json: bool = False):
    """Post the form as a browser would, or (``as_json``) as a JSON body with the CSRF token
    in its header, as a script could."""
    fuzz.counts["examples"] += 1
    if as_json:
        token = (data.get("csrf_token") or [""])[0]
        body = {k: [repr(v) if isinstance(v, tuple) else v for v in vs] for k, vs in data.items()}
        body = {k: vs[0] if len(vs) == 1 else vs for k, vs in body.items()}
        headers = {"X-CSRFToken": token if isinstance(token, str) else ""}
        return fuzz.request(target.user, "POST", url, json=body, headers=headers)
    return fuzz.request(target.user, "POST", url, **encoded_form(data))


def shown(data: dict) -> str:
    """The submission, long values cut, for a failure message."""
    return "with " + repr({k: [repr(v)[:300] for v in values] for k, values in data.items()})


def assert_answer_ok(target: FormTarget, outcome, data: dict) -> None:
    signed_in = target.user != "anonymous" and target.rule != "/logga-ut"
    problems = web_answer_problems(outcome, target.statuses, target.silent, signed_in)
    assert not problems, "\n".join([f"{target.rule}: {outcome.status}", *problems, shown(data)])


@pytest.mark.parametrize("target", each(TARGETS))
def test_the_untouched_acceptable_form_is_accepted(fuzz, target):
    """The starting point of every example saves, so the examples reach the saving code."""
    url, base, _specs = prepared(fuzz, target)
    with post(fuzz, target, url, base) as outcome:
        assert_answer_ok(target, outcome, base)
        assert refused(outcome) != target.accepts, messages_in(outcome)
        assert bool(outcome.changed) == (target.accepts and target.writes), outcome.changed


def messages_in(outcome) -> str:
    """The status, flashes and error messages of an answer, for a failure message."""
    summary = re.search(r'class="(?:error|warning)-summary".*?</div>', outcome.body, re.S)
    text = re.sub(r"<[^>]+>|\s+", " ", summary.group() if summary else "")
    return f"{outcome.status} {outcome.flashes} {outcome.job} {text[:600]}"


@pytest.mark.parametrize("target", each(TARGETS))
def test_no_server_error_and_only_allowed_answers(fuzz, target):
    url, base, specs = prepared(fuzz, target)

    def example(draw) -> None:
        data = draw.draw(hostile_submission(base, specs), label="form")
        as_json = draw.draw(st.integers(0, 9), label="as JSON") == 0
        with post(fuzz, target, url, data, as_json) as outcome:
            assert_answer_ok(target, outcome, data)
            stored = identity_numbers_stored(fuzz.baseline.new_rows(outcome.after))
            assert not stored, f"{target.rule} stored {stored}\n{shown(data)}"

    run_examples(9, example)


@pytest.mark.parametrize("target", each([t for t in TARGETS if "<int:" in t.rule]))
def test_ids_at_the_edges_of_the_database_integers(fuzz, target):
    """2^31 (past PostgreSQL's integer), 2^63 (past SQLite's) and 10^30 in every id of the
    form's URL: not found, and nothing changes. 0 only must not fail (some routes read it as
    "a new one")."""
    _url, base, _specs = prepared(fuzz, target)
    for value in (0, 2**31, 2**63, 10**30):
        url = re.sub(r"<int:\w+>", str(value), target.rule)
        with post(fuzz, target, url, base) as outcome:
            assert_answer_ok(target, outcome, base)
            if value:
                assert outcome.status in (400, 403, 404), (url, outcome.status)
                assert not outcome.changed, (url, outcome.changed)
        fuzz.counts["requests"] += 1
        page = fuzz.client(target.user).get(url)
        assert page.status_code < 500, (url, page.status_code)
        if value:
            assert page.status_code in (403, 404, 405), (url, page.status_code)


@pytest.mark.parametrize("target", each(TARGETS))
def test_ids_at_the_edges_in_every_id_field(fuzz, target):
    """Every field that takes an id (its options are numbers) given 2^31, 2^63 and 10^30."""
    url, base, specs = prepared(fuzz, target)
    id_fields = [
        name
        for name, spec in specs.items()
        if any(option.isdigit() for option in spec.options) or name.endswith("_id")
    ]
    for name in id_fields:
        for value in (2**31, 2**63, 10**30):
            data = {**base, name: [str(value)]}
            with post(fuzz, target, url, data) as outcome:
                assert_answer_ok(target, outcome, data)


@pytest.mark.parametrize("target", each(TARGETS))
def test_a_refused_request_changes_nothing(fuzz, target):
    url, base, specs = prepared(fuzz, target)

    def example(draw) -> None:
        data = draw.draw(hostile_submission(base, specs), label="form")
        with post(fuzz, target, url, data) as outcome:
            if refused(outcome):
                changed = changes_beyond(fuzz.baseline, outcome.after, target.tolerated)
                assert not changed, (
                    f"{target.rule} refused ({outcome.status}, {outcome.flashes}) but changed "
                    f"{changed}:\n{fuzz.baseline.describe_changes(outcome.after)}\n{shown(data)}"
                )

    run_examples(6, example)


@pytest.mark.parametrize("target", each(TEXT_TARGETS))
def test_no_identity_number_is_ever_stored(fuzz, target):
    url, base, specs = prepared(fuzz, target)
    known = import_known(fuzz.world)

    def example(draw) -> None:
        data = draw.draw(identity_submission(base, specs, known), label="form")
        with post(fuzz, target, url, data) as outcome:
            assert_answer_ok(target, outcome, data)
            stored = identity_numbers_stored(fuzz.baseline.new_rows(outcome.after))
            assert not stored, f"{target.rule} stored {stored}\n{shown(data)}"

    run_examples(6, example)


@pytest.mark.parametrize("target", each(TEXT_TARGETS))
def test_saved_text_brings_no_script_into_pages(fuzz, target):
    url, base, specs = prepared(fuzz, target)
    known = import_known(fuzz.world)

    def example(draw) -> None:
        data = draw.draw(xss_submission(base, specs, target.markdown, known), label="form")
        with post(fuzz, target, url, data) as outcome:
            assert_answer_ok(target, outcome, data)
            if not refused(outcome):
                assert_pages_safe(fuzz, target, outcome, data)

    run_examples(5, example)


def test_search_snippets_of_saved_text_bring_no_script(fuzz):
    """Saved narratives reach the index and come back as highlighted snippets on /sok."""
    target = BY_RULE["/erfarenheter/ny"]
    url, base, specs = prepared(fuzz, target)

    def example(draw) -> None:
        data = draw.draw(xss_submission(base, specs, ("worked_md",), {}), label="form")
        marker = f"sökmarkör{fuzz.counts['examples']}"
        data["worked_md"] = [f"{data['worked_md'][0]} {marker}"]
        with post(fuzz, target, url, data) as outcome:
            assert_answer_ok(target, outcome, data)
            if refused(outcome):
                return
            drain_now(fuzz.app)
            for words in (marker, f"{marker} alert script onerror javascript"):
                page = fuzz.clients[target.user].get("/sok", query_string={"q": words})
                html = page.get_data(as_text=True)
                assert page.status_code == 200 and marker in html, (words, page.status_code)
                assert not active_content(html), f"{active_content(html)}\n{shown(data)}"

    run_examples(4, example)


def assert_pages_safe(fuzz: FuzzSession, target: FormTarget, outcome, data: dict) -> None:
    """The page the form led to, the pages that list what was saved, and the stored HTML."""
    pages = [outcome.location] if outcome.location else []
    for page in pages + target.shows(fuzz.world):
        response = fuzz.clients[target.user].get(page)
        assert response.status_code == 200, f"{page}: {response.status_code}"
        found = active_content(response.get_data(as_text=True))
        assert not found, f"{page} after {target.rule}: {found}\n{shown(data)}"
    for table, row in fuzz.baseline.new_rows(outcome.after):
        for column, value in row.items():
            if column.endswith("_html") and isinstance(value, str):
                assert not active_content(value), f"{table}.{column}: {value!r}"
