"""The Markdown renderer against the XSS payload list and Hypothesis mixes of it (issue 9).

Every payload in tests/data/xss_payloads.txt, alone and inside Markdown constructs, and
Hypothesis combinations of payloads, Markdown syntax and hostile unicode: the HTML that
kb.markdown.render_markdown returns never holds active content (tests/fuzz_html.py: script,
event handlers, javascript:/vbscript:/data:text/html URLs, frames, objects, embeds, CSS
expressions), and rendering never fails. The pages that show saved Markdown are checked in
tests/test_fuzz_forms.py and tests/test_fuzz_api.py.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.markdown import render_markdown
from tests.fuzz_html import active_content
from tests.fuzz_session import examples, record_counts
from tests.fuzz_values import hostile_text, plain_text, tricky_text, xss_payloads

PAYLOADS = xss_payloads()
# Markdown around a payload: a link, an image, emphasis, a list, a quote, a heading, a table
# cell, a code span, a reference definition.
WRAPPERS = [
    "{}",
    "[{}](https://ok.example)",
    "[text]({})",
    "![{}]({})",
    "**{}**",
    "- {}",
    "> {}",
    "## {}",
    "| a | {} |\n|---|---|\n| {} | b |",
    "`{}`",
    "[ref]: {}\n\n[länk][ref]",
    "Före\n\n{}\n\nefter",
]
COUNTS: Counter = Counter()
SETTINGS = settings(
    max_examples=examples(400),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module", autouse=True)
def counted():
    yield
    record_counts("test_fuzz_markdown.py", "none", COUNTS)


def rendered(text: str) -> str:
    COUNTS["examples"] += 1
    return render_markdown(text)


def test_the_payload_list_is_long_enough():
    assert len(PAYLOADS) >= 100
    assert len(set(PAYLOADS)) == len(PAYLOADS)


def test_the_checker_finds_each_kind_of_active_content():
    """The checker is not blind: raw HTML of each kind is found."""
    found = [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href=" jav&#x09;ascript:alert(1)">x</a>',
        '<a href="data:text/html,x">x</a>',
        '<iframe src="https://x.example"></iframe>',
        '<object data="x"></object>',
        "<embed src=x>",
        '<svg><a xlink:href="javascript:alert(1)">x</a></svg>',
        '<div style="width: expression(alert(1))">x</div>',
        '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    ]
    for html in found:
        assert active_content(html), html
    assert not active_content('<p><a href="https://ok.example" rel="noopener">ok</a></p>')
    assert not active_content('<script src="/static/experience_form.js" defer></script>')


@pytest.mark.parametrize("wrapper", WRAPPERS)
@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_no_payload_renders_active_content(payload, wrapper):
    html = rendered(wrapper.format(payload, payload))
    assert not active_content(html), f"{payload!r} in {wrapper!r} -> {html!r}"


@SETTINGS
@given(
    parts=st.lists(
        st.one_of(
            st.sampled_from(PAYLOADS),
            st.sampled_from(WRAPPERS).map(lambda w: w.format("x", "x")),
            st.sampled_from(["<", ">", "&", "&#", ";", '"', "'", "`", "[", "]", "(", ")", "!"]),
            st.sampled_from(["javascript", "java\tscript", ":", "alert(1)", "on", "error="]),
            st.sampled_from(["\n", "\n\n", "    ", "\\", "*", "_", "~", "|", "#", "> ", "- "]),
            tricky_text(),
            plain_text(10),
        ),
        max_size=12,
    )
)
def test_payloads_mixed_with_markdown_and_unicode_render_safely(parts):
    text = "".join(parts)
    html = rendered(text)
    assert not active_content(html), f"{text!r} -> {html!r}"


@SETTINGS
@given(text=hostile_text())
def test_any_text_renders_without_failing(text):
    html = rendered(text)
    assert isinstance(html, str)
    assert not active_content(html)
