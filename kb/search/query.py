"""The app's own small query syntax, parsed into a tree that each search backend translates.

Raw input never reaches an engine's parser, and parsing never fails: anything that is not
part of the syntax below is treated as separator noise.

Syntax
------
- **Words** are runs of Unicode letters and digits (combining marks may continue a word).
  Words joined by single hyphens stay one term (``HVB-hem``, ``LSS-boende``); the backend's
  analyser splits them the same way it splits the indexed text. Apostrophes, colons and all
  other punctuation separate words, so field syntax ``title:foo`` is just the words ``title``
  and ``foo``. Wildcards ``*?``, parentheses (no grouping), ``+ && || ! ~ ^ \\`` and emoji
  are noise.
- **Phrases**: ``"..."`` (also the typographic quotes ``“ ” „``). An unbalanced quote closes
  at the end of the input, an empty phrase is dropped and a one-word phrase becomes a term.
- **Exclusions**: ``-word`` or ``-"a phrase"``. The ``-`` must directly precede the word or
  quote and must not follow a letter, digit or another hyphen, so ``HVB-hem`` and ``a--b``
  exclude nothing. A lone ``-`` is noise.
- **OR** (uppercase only, unquoted) between two positive items makes an :class:`AnyOf`;
  ``a OR b OR c`` is one AnyOf and doubled ORs collapse. A leading or trailing OR, or an OR
  next to an exclusion, is ignored. ``or``, ``eller``, ``AND`` and ``NOT`` are plain words.

Case is preserved; the input is NFC-normalised and truncated to :data:`MAX_INPUT_CHARS`.
Duplicate items are dropped, then at most :data:`MAX_POSITIVE` positive terms/phrases
(counting each AnyOf option) and :data:`MAX_EXCLUDED` exclusions are kept, first come first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

MAX_INPUT_CHARS = 1000
MAX_POSITIVE = 20
MAX_EXCLUDED = 10

OR = "OR"
T = TypeVar("T")
_QUOTES = frozenset('"“”„')
# The input is first mapped, character for character, onto a skeleton in which
# w = letter or digit, m = combining mark, " = quote, - = hyphen and . = anything else.
_TOKEN = re.compile(r'(?P<neg>(?<![wm-])-)?(?:"(?P<phrase>[^"]*)"?|(?P<word>w[wm]*(?:-w[wm]*)*))')
_WORD = re.compile(r"w[wm]*(?:-w[wm]*)*")


@dataclass(frozen=True)
class Term:
    """One word as typed (not analysed; the backend analyses it)."""

    text: str


@dataclass(frozen=True)
class Phrase:
    """Quoted words that must occur in this order."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class AnyOf:
    """``a OR b OR "c d"``: at least one option must match."""

    options: tuple[Term | Phrase, ...]


Item = Term | Phrase
Required = Term | Phrase | AnyOf


@dataclass(frozen=True)
class Query:
    required: tuple[Required, ...]  # all must match (implicit AND)
    excluded: tuple[Item, ...]  # must not match

    @property
    def is_empty(self) -> bool:
        """True when there is nothing positive to search for."""
        return not self.required


def parse_query(text: str) -> Query:
    """Parse user input into a :class:`Query`. Never raises for any ``str``."""
    text = unicodedata.normalize("NFC", text[:MAX_INPUT_CHARS])[:MAX_INPUT_CHARS]
    groups, excluded = _group(_tokens(text))
    required = _unique(_collapse(_unique(group)) for group in groups)
    return Query(required=_limit_required(required), excluded=_unique(excluded)[:MAX_EXCLUDED])


def describe(query: Query) -> str:
    """Normalised text form, e.g. ``kväll "hem för vård" (a OR b) -lokaler``.

    Parsing the result gives back an equal query.
    """
    parts = [_show(item) for item in query.required]
    parts += ["-" + _show(item) for item in query.excluded]
    return " ".join(parts)


def _skeleton(text: str) -> str:
    return "".join(_char_class(ch) for ch in text)


def _char_class(ch: str) -> str:
    if ch in _QUOTES:
        return '"'
    if ch == "-":
        return "-"
    if ch.isalnum():
        return "w"
    return "m" if unicodedata.category(ch).startswith("M") else "."


def _tokens(text: str) -> Iterator[tuple[bool, Item | None]]:
    """Yield ``(excluded, item)`` pairs; ``item`` is None for an OR operator."""
    skeleton = _skeleton(text)
    for match in _TOKEN.finditer(skeleton):
        negated = match.group("neg") is not None
        if match.group("word") is not None:
            word = text[match.start("word") : match.end("word")]
            yield negated, (None if word == OR and not negated else Term(word))
            continue
        start, end = match.span("phrase")
        words = tuple(
            text[start + m.start() : start + m.end()] for m in _WORD.finditer(skeleton[start:end])
        )
        if words:
            yield negated, Term(words[0]) if len(words) == 1 else Phrase(words)


def _group(tokens: Iterable[tuple[bool, Item | None]]) -> tuple[list[list[Item]], list[Item]]:
    """Split tokens into positive OR-groups and exclusions."""
    groups: list[list[Item]] = []
    excluded: list[Item] = []
    after_positive = or_pending = False
    for negated, item in tokens:
        if item is None:
            or_pending = after_positive
        elif negated:
            excluded.append(item)
            after_positive = or_pending = False
        else:
            if or_pending:
                groups[-1].append(item)
            else:
                groups.append([item])
            after_positive, or_pending = True, False
    return groups, excluded


def _collapse(options: tuple[Item, ...]) -> Required:
    return options[0] if len(options) == 1 else AnyOf(options)


def _unique(items: Iterable[T]) -> tuple[T, ...]:
    return tuple(dict.fromkeys(items))


def _limit_required(items: tuple[Required, ...]) -> tuple[Required, ...]:
    kept: list[Required] = []
    used = 0
    for item in items:
        size = len(item.options) if isinstance(item, AnyOf) else 1
        if used + size > MAX_POSITIVE:
            break
        kept.append(item)
        used += size
    return tuple(kept)


def _show(item: Required) -> str:
    if isinstance(item, AnyOf):
        return "(" + f" {OR} ".join(_show(option) for option in item.options) + ")"
    if isinstance(item, Phrase):
        return '"' + " ".join(item.words) + '"'
    return f'"{OR}"' if item.text == OR else item.text
