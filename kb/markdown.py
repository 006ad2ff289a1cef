"""Markdown is rendered once, on save, and sanitised with nh3; the HTML is stored."""

from __future__ import annotations

import re

import cmarkgfm
import nh3

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer nofollow",
)


# cmark writes the noncharacters U+FFFE and U+FFFF, asked for as numeric references, as bytes
# that are not UTF-8, and cmarkgfm then raises. They become the replacement character.
_BROKEN_REFERENCE = re.compile(r"&#(?:[xX]0*[fF]{3}[eEfF]|0*6553[45]);")


def render_markdown(text: str | None) -> str:
    """Return safe HTML for Markdown text; headings are demoted below the page's own."""
    if not text or not text.strip():
        return ""
    # Raw HTML is never wanted: escape it so it shows as typed instead of vanishing.
    text = _BROKEN_REFERENCE.sub("\ufffd", text)
    html = cmarkgfm.markdown_to_html(text.replace("<", "&lt;"))
    html = html.replace("<h1>", "<h3>").replace("</h1>", "</h3>")
    html = html.replace("<h2>", "<h4>").replace("</h2>", "</h4>")
    return _cleaner.clean(html)
