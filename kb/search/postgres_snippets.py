"""Snippets for the PostgreSQL backend: ts_headline's, or built in Python from the stored text.

``ts_headline`` (in the ``swedish`` configuration, see postgres_query.HEADLINE) marks the words
PostgreSQL's own analysis matched, with private-use characters; headline_html escapes the text
and turns them into ``<mark>``. It cannot see the shared analysis's extra terms: a hit found
through a compound part ("placering" in "familjehemsplaceringen"), a synonym or a current
Snowball stem gets no mark. For those, snippet() analyses the text again (kb.search.analysis,
with its character offsets) and marks the words with a term the hit matched, like the Whoosh
backend's highlights: up to two windows of about 220 characters around the matches.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from markupsafe import escape

from kb.search.analysis import analyze
from kb.search.postgres_query import (
    FRAGMENT_BREAK,
    MARK_END,
    MARK_START,
    TAG_CHARACTERS,
    TAG_STAND_INS,
)

SNIPPET_CHARS = 220  # a window at most this long (Whoosh: ContextFragmenter(maxchars=220))
SNIPPET_SURROUND = 60  # context before the first and after the last match of a window
SNIPPET_WINDOWS = 2
SNIPPET_TEXT_LIMIT = 2**15  # only the start of a long text is searched, as in Whoosh
_RUNS = re.compile(r"(?:\S+\s*){1,4}")  # up to 4 words: whole words, never split
_RESTORE_TAGS = str.maketrans(TAG_STAND_INS, TAG_CHARACTERS)
_NON_ASCII = re.compile(r"[\u0300-\u036f‐‑]")  # combining diacritics, Unicode hyphens


def _fold(text: str) -> str:
    """Lower-case without any diacritics or hyphens: coarser than analysis.normalize, so a
    term of a word (a stem, a compound part, or hyphenated pieces joined) folded is a
    substring of the word folded."""
    text = text.casefold().replace("-", "")
    if not text.isascii():
        text = _NON_ASCII.sub("", unicodedata.normalize("NFD", text))
        text = text.replace("æ", "a").replace("ø", "o")
    return text


def _matches(text: str, terms: frozenset[str]) -> list[tuple[int, int]]:
    """The character spans of words with a wanted term, overlapping spans merged.

    Only runs of words that might hold a term (see _fold) are analysed. Words never contain
    white space, so the runs split the text exactly where analysis would.
    """
    folded_terms = {_fold(term) for term in terms}
    spans = []
    for run in _RUNS.finditer(text[:SNIPPET_TEXT_LIMIT]):
        folded = _fold(run.group())
        if any(term in folded for term in folded_terms):
            offset = run.start()
            spans += [
                (offset + t.start, offset + t.end) for t in analyze(run.group()) if t.text in terms
            ]
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _windows(spans: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Group the spans into windows of at most SNIPPET_CHARS with their context."""
    windows: list[list[tuple[int, int]]] = []
    for span in spans:
        if windows and span[1] + SNIPPET_SURROUND - windows[-1][0][0] <= SNIPPET_CHARS:
            windows[-1].append(span)
        else:
            windows.append([span])
    return windows


def _render(text: str, window: list[tuple[int, int]]) -> str:
    first, last = window[0][0], window[-1][1]
    start = max(0, first - SNIPPET_SURROUND)
    if start and not text[start - 1].isspace():  # begin at a word
        space = text.find(" ", start, first)
        start = space + 1 if space >= 0 else first
    end = min(len(text), last + SNIPPET_SURROUND)
    if end < len(text) and not text[end].isspace():  # end at a word
        space = text.rfind(" ", last, end)
        end = space if space >= 0 else last
    parts, cursor = [], start
    for span_start, span_end in window:
        parts.append(escape(text[cursor:span_start]))
        parts.append(f"<mark>{escape(text[span_start:span_end])}</mark>")
        cursor = span_end
    parts.append(escape(text[cursor:end]))
    return "".join(parts).strip()


def snippet(texts: Iterable[str], terms: frozenset[str]) -> str:
    """Escaped HTML of the first text with a match, matches in <mark>; "" if none has any."""
    for text in texts:
        windows = _windows(_matches(text, terms)) if text else []
        if windows:
            best = sorted(windows, key=len, reverse=True)[:SNIPPET_WINDOWS]
            return "…".join(_render(text, w) for w in windows if any(w is b for b in best))
    return ""


def headline_html(headline: str | None) -> str:
    """Escaped HTML of a ts_headline with its marks; "" when it marks nothing."""
    if not headline or MARK_START not in headline:
        return ""
    fragments = []
    for fragment in headline.split(FRAGMENT_BREAK):
        html = str(escape(fragment.strip().translate(_RESTORE_TAGS)))
        fragments.append(html.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))
    return "…".join(fragment for fragment in fragments if fragment)
