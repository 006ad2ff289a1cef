"""The GET forms (search box, list filters, chart choices) driven by Hypothesis (issue 9).

The forms are found, not listed: every page in each user's main menu, the world's supplier,
unit and area pages and the pages of the POST forms are read, and every ``<form
method="get">`` on them is fuzzed through its fields like the POST forms (tests/fuzz_forms.py).
Properties: no server error (only 200, a redirect, 400 or 404), nothing internal or English
shown, no active content in the page, and nothing stored (a search may queue index work).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import strategies as st

from tests.fuzz_checks import LEAKS, changes_beyond
from tests.fuzz_forms import field_specs, hostile_submission
from tests.fuzz_html import HtmlForm, active_content, forms_on
from tests.fuzz_session import FuzzSession, fuzz_fixture, run_examples
from tests.fuzz_targets import TARGETS

fuzz = fuzz_fixture()
GET_STATUSES = frozenset({200, 302, 400, 404})
SEARCH_BOOKKEEPING = frozenset({"search_outbox"})  # a search may ask for the index to be rebuilt
NAV_LINK = re.compile(r"<nav[^>]*main-nav.*?</nav>", re.S)


def pages_of(fuzz: FuzzSession, user: str) -> list[str]:
    world = fuzz.world
    nav = NAV_LINK.search(fuzz.client(user).get("/").get_data(as_text=True))
    links = re.findall(r'href="(/[^"#]*)"', nav.group() if nav else "")
    extra = [
        f"/leverantorer/{world['supplier']}",
        f"/verksamheter/{world['unit']}",
        f"/avtalsomraden/{world['area']}",
        f"/avtalsomraden/{world['area']}/oversikt",
    ]
    own = [(t.page or t.url)(world) for t in TARGETS if t.user == user]
    return sorted(set(links + extra + own))


@pytest.fixture(scope="module")
def get_forms(fuzz: FuzzSession) -> list[tuple[str, str, HtmlForm]]:
    """(user, page, form) for every distinct GET form a signed-in user meets."""
    found: dict[tuple, tuple[str, str, HtmlForm]] = {}
    for user in sorted(fuzz.world.users):
        for page in pages_of(fuzz, user):
            response = fuzz.client(user).get(page)
            if response.status_code != 200:
                continue
            for form in forms_on(response.get_data(as_text=True), page):
                if form.method == "get" and form.fields:
                    key = (form.action.split("?")[0], tuple(sorted(form.fields)))
                    found.setdefault(key, (user, page, form))
    return list(found.values())


def test_the_filter_forms_are_found(get_forms):
    actions = {form.action.split("?")[0] for _user, _page, form in get_forms}
    assert {"/sok", "/lardomar/", "/krav/", "/avvikelser/", "/uppfoljningar/"} <= actions


def test_get_forms_answer_hostile_values(fuzz, get_forms):
    def example(draw) -> None:
        user, page, form = draw.draw(st.sampled_from(get_forms), label="form")
        data = draw.draw(hostile_submission(form.defaults(), field_specs(None, form)))
        pairs = [
            (name, value if isinstance(value, str) else repr(value))
            for name, values in data.items()
            for value in values
        ]
        fuzz.counts["examples"] += 1
        with fuzz.request(user, "GET", form.action.split("?")[0], query_string=pairs) as answer:
            problems = [] if answer.status in GET_STATUSES else [f"status {answer.status}"]
            problems += [answer.error] if answer.error else []
            problems += active_content(answer.body)
            problems += [f"shown: {m.group()}" for m in LEAKS.finditer(answer.body)][:1]
            problems += changes_beyond(fuzz.baseline, answer.after, SEARCH_BOOKKEEPING)
            assert not problems, f"GET {form.action} {pairs!r:.800} from {page}\n" + "\n".join(
                map(str, problems)
            )

    run_examples(60, example)


def test_every_get_form_field_at_the_edges_of_the_database_integers(fuzz, get_forms):
    """Each field of each GET form given -1, 2^31, 2^63 and 10^30, one field at a time."""
    problems = []
    for user, _page, form in get_forms:
        action = form.action.split("?")[0]
        for name in form.fields:
            for value in ("-1", str(2**31), str(2**63), str(10**30)):
                fuzz.counts["examples"] += 1
                query = {**{k: v[0] for k, v in form.defaults().items() if v}, name: value}
                with fuzz.request(user, "GET", action, query_string=query) as answer:
                    if answer.status not in GET_STATUSES or answer.error:
                        problems.append(f"{action} {name}={value}: {answer.status} {answer.error}")
    assert not problems, "\n".join(problems)
