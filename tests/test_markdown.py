"""Markdown is rendered once and sanitised; no input may make rendering fail."""

from __future__ import annotations

import pytest

from kb.markdown import render_markdown


@pytest.mark.parametrize("reference", ["&#65535;", "&#xFFFE;", "&#x0ffff;", "&#0065534;"])
def test_noncharacter_references_render_instead_of_crashing(reference):
    html = render_markdown(f"Före {reference} efter")
    assert "Före" in html and "efter" in html and "\ufffd" in html


def test_raw_html_is_shown_as_text_and_scripts_never_survive():
    html = render_markdown("<script>alert(1)</script> [länk](javascript:alert(1)) **fet**")
    assert "<script" not in html and "javascript:" not in html
    assert "&lt;script&gt;" in html and "<strong>fet</strong>" in html
