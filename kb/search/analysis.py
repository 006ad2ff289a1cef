"""Swedish text analysis shared by the search backends.

Text becomes index terms: words are lower-cased (å, ä and ö stay distinct, other accents
fold: "idé" is "ide"), stemmed with Snowball Swedish plus a few corrections, and compound
words add the stems of their parts at the word's own position. A query word becomes
alternatives: its own terms and those of its synonyms (``synonyms.txt``). Synonyms are
expanded at query time only; the lexicon (``domain_words.txt`` and words learned from
indexed text) acts at index time, so changing it calls for a rebuild.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple

import snowballstemmer
from whoosh.analysis import Token, Tokenizer

DATA_DIR = Path(__file__).parent
MIN_PART = 3  # shortest compound part
MIN_STEM_PART = 4  # shortest part known only through a stem ("skol" from "skola")
MIN_LEARNED = 5  # shortest word learned from indexed text
MAX_PARTS = 4
CACHE_LIMIT = 200_000  # words whose terms a lexicon remembers
LINKS = ("", "s", "e", "o", "u")  # linking letters: familjehem-s-placering, familj-e-hem
_MARK = "\u0300-\u036f"  # combining diacritics continue a word: "a\u030a" is "å" decomposed
_PIECE = re.compile(rf"(?:[^\W_]|[{_MARK}])+")
_WORD = re.compile(rf"{_PIECE.pattern}(?:[-‐‑]{_PIECE.pattern})*(?::[^\W\d_]{{1,3}}\b)?")  # LVU:s
_LETTERS = re.compile(rf"(?:[^\W\d_]|[{_MARK}])+")
_VOWELS = frozenset("aeiouyåäö")
_PAIRS = frozenset({"dd", "gd", "nn", "dt", "gt", "kt", "tt", "mm"})
_AN_KEPT = ("plan", "organ", "man")  # "-an" belongs to the word: vårdplan, ombudsman
_FOLD = str.maketrans({"æ": "ä", "ø": "ö"})
_local = threading.local()


@lru_cache(maxsize=65536)
def normalize(word: str) -> str:
    """Lower-case a word, keeping å, ä and ö and folding other diacritics."""
    text = unicodedata.normalize("NFC", word.casefold().translate(_FOLD))
    if text.isascii():
        return text
    return "".join(ch if ch in "åäö" else _strip_marks(ch) for ch in text)


def _strip_marks(ch: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))


def stem(word: str) -> str:
    """Return the index term of one word: normalised and stemmed."""
    return _stem(normalize(word))


@lru_cache(maxsize=131072)
def _stem(word: str) -> str:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:  # Snowball stemmers keep state while stemming: one per thread
        stemmer = _local.stemmer = snowballstemmer.stemmer("swedish")
    return _correct(stemmer.stemWord(word))


def _correct(s: str) -> str:
    """Conflate forms Snowball leaves apart: barn/barnet, hem/hemmet, skola/skolan."""
    if len(s) >= 5 and s.endswith("et") and s[-3] not in _VOWELS and s[-4] not in _VOWELS:
        s = s[:-2]
        if s[-2:] in _PAIRS:
            s = s[:-1]
    elif len(s) >= 6 and s.endswith("an") and s[-3] not in _VOWELS and not s.endswith(_AN_KEPT):
        s = s[:-2]
    return s[:-1] if s.endswith("mm") else s


class Term(NamedTuple):
    """An index term at a word position, with the word's character span in the text."""

    position: int
    text: str
    start: int
    end: int


class Span(NamedTuple):
    """A term of a word, where it is in the word and how many positions the word goes on."""

    start: int
    end: int
    text: str
    advance: int


class Lexicon:
    """Known words for splitting compounds; reads are safe while another thread learns."""

    def __init__(
        self, words: Iterable[str] = (), *, atomic: Iterable[str] = (), blocked: Iterable[str] = ()
    ) -> None:
        self._lock = threading.Lock()
        self._forms: set[str] = set()
        self._stems: set[str] = set()
        self._atomic = frozenset(stem(w) for w in atomic)
        self._blocked = frozenset(stem(w) for w in blocked)
        self._cache: dict[str, tuple[str, ...]] = {}
        self._spans: dict[str, tuple[Span, ...]] = {}
        self.add_words(chain(words, atomic))

    @classmethod
    def with_domain_words(cls, path: Path = DATA_DIR / "domain_words.txt") -> Lexicon:
        """Return a lexicon of the curated domain words ("!" never split, "-" never a part)."""
        kinds: dict[str, list[str]] = {"": [], "!": [], "-": []}
        for line in _data_lines(path):
            marker = line[0] if line[0] in "!-" else ""
            kinds[marker].append(line[len(marker) :])
        return cls(kinds[""], atomic=kinds["!"], blocked=kinds["-"])

    def add_words(self, words: Iterable[str]) -> int:
        """Add words as known compound parts; return how many were new."""
        new = {w for w in map(normalize, words) if len(w) >= MIN_PART and w.isalpha()}
        new = {w for w in new - self._forms if stem(w) not in self._blocked}
        if new:
            with self._lock:
                self._forms.update(new)
                self._stems.update(map(stem, new))
                self._cache = {}
                self._spans = {}  # after _cache: spans never come from a newer cache
        return len(new)

    def add_text(self, text: str) -> int:
        """Learn the words of indexed text of at least MIN_LEARNED letters; return how many."""
        pieces = "\n".join(set(text.split()))  # no word spans whitespace: each piece once
        words = {normalize(w) for w in set(_LETTERS.findall(pieces))}
        return self.add_words(w for w in words if len(w) >= MIN_LEARNED)

    def split(self, word: str) -> list[str]:
        """Return a compound's smallest known parts without linking letters, [] if none."""
        word = normalize(word)
        return [word[a:b] for a, b in self._leaves(word)]

    def spans(self, word: str) -> tuple[Span, ...]:
        """Return the terms of a word as matched in text (_WORD), with where each is in it."""
        cache = self._spans  # learning replaces it: a stale result never enters the new one
        cached = cache.get(word)
        if cached is None:
            if len(cache) >= CACHE_LIMIT:
                self._spans = cache = {}
            cached = cache[word] = tuple(self._spans_of(word.split(":")[0]))
        return cached

    def _spans_of(self, word: str) -> Iterator[Span]:
        if word.isalnum():  # the common case: one piece
            pieces = [(0, word)]
        else:
            pieces = [(piece.start(), piece.group()) for piece in _PIECE.finditer(word)]
        if len(pieces) > 1:  # HVB-hem: also "hvbhem", at the first piece's position
            yield Span(0, len(word), _stem(normalize("".join(p for _, p in pieces))), 0)
        for offset, piece in pieces:
            *parts, last = self.terms(normalize(piece))  # never empty: the piece's stem first
            end = offset + len(piece)
            yield from (Span(offset, end, term, 0) for term in parts)
            yield Span(offset, end, last, 1)  # the next piece is at the next position

    def terms(self, word: str) -> tuple[str, ...]:
        """Return the stem of a normalised word followed by the stems of its compound parts."""
        cache = self._cache  # learning replaces it: a stale result never enters the new one
        cached = cache.get(word)
        if cached is None:
            spans = self._leaves(word)
            runs = [(a, b) for i, (a, _) in enumerate(spans) for (_, b) in spans[i:]]
            parts = (
                self._part_term(word[a:b], b == len(word)) for a, b in runs if b - a < len(word)
            )
            if len(cache) >= CACHE_LIMIT:
                self._cache = cache = {}
            cached = cache[word] = tuple(dict.fromkeys((_stem(word), *parts)))
        return cached

    def _part_term(self, part: str, tail: bool) -> str:
        """Stem a part, unless it is a head known only as a stem ("skol" in "skolbarn")."""
        known_stem = not tail and part in self._stems and part not in self._forms
        return part if known_stem else _stem(part)

    def _leaves(self, word: str) -> list[tuple[int, int]]:
        if len(word) < 2 * MIN_PART or not word.isalpha() or _stem(word) in self._atomic:
            return []
        leaves: list[tuple[int, int]] = []
        for a, b in self._fewest_parts(word, 0, {}) or ():
            inner = self._leaves(word[a:b])
            leaves.extend([(a + x, a + y) for x, y in inner] or [(a, b)])
        return leaves

    def _fewest_parts(self, word: str, start: int, memo: dict) -> tuple | None:
        """Split word[start:] into fewest known parts, preferring long heads; at 0 two or more."""
        if start not in memo:
            memo[start] = None
            if start and self._is_part(word[start:], tail=True):
                memo[start] = ((start, len(word)),)
            for end in range(len(word) - MIN_PART, start + MIN_PART - 1, -1):
                if memo[start] and len(memo[start]) <= 2:
                    break  # a tail alone, or a head and a tail: nothing has fewer parts
                if not self._is_part(word[start:end]):
                    continue
                for link in LINKS:
                    rest = word.startswith(link, end) and self._fewest_parts(
                        word, end + len(link), memo
                    )
                    best = memo[start]
                    if rest and len(rest) < MAX_PARTS and (not best or len(rest) + 1 < len(best)):
                        memo[start] = ((start, end), *rest)
        return memo[start]

    def _is_part(self, part: str, *, tail: bool = False) -> bool:
        """Tell whether part is a known word; a tail may be inflected, a head may be a stem."""
        if len(part) < MIN_PART or _stem(part) in self._blocked:
            return False
        if part in self._forms:
            return True
        probe = _stem(part) if tail else part
        return probe in self._stems and (len(probe) >= MIN_STEM_PART or probe in self._forms)


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """Return the process-wide lexicon: domain words plus whatever indexing taught it."""
    return Lexicon.with_domain_words()


def analyze(text: str, lexicon: Lexicon | None = None) -> list[Term]:
    """Return the index terms of text in order; compound parts share their word's position."""
    return list(map(Term._make, term_tuples(text, lexicon)))


def term_tuples(text: str, lexicon: Lexicon | None = None) -> list[tuple[int, str, int, int]]:
    """Return analyze()'s terms as plain tuples, which are faster to make."""
    lexicon = default_lexicon() if lexicon is None else lexicon
    spans, terms = lexicon.spans, []
    append = terms.append
    position = 0
    for match in _WORD.finditer(text):
        start = match.start()
        for offset, end, term, advance in spans(match.group()):
            append((position, term, start + offset, start + end))
            position += advance
    return terms


def index_terms(text: str, lexicon: Lexicon | None = None) -> list[tuple[int, str]]:
    """Return (position, term) pairs of text, positions counted from 0."""
    return [(term.position, term.text) for term in analyze(text, lexicon)]


@dataclass(frozen=True)
class Alternative:
    """One way to match a query word: all its terms must occur in the document.

    If phrase, they must occur at consecutive positions p, p+1, ... in this order.
    """

    terms: tuple[str, ...]
    phrase: bool = False


class Synonyms:
    """Groups of equivalent words and phrases, compared by their analysed terms."""

    def __init__(self, groups: Iterable[Sequence[str]]) -> None:
        self._members: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for group in groups:
            members = [terms for terms in (_primary_terms(m.split()) for m in group) if terms]
            for terms in members:
                self._members.setdefault(terms, []).extend(m for m in members if m != terms)
        self.longest = max(map(len, self._members), default=1)

    @classmethod
    def from_file(cls, path: Path = DATA_DIR / "synonyms.txt") -> Synonyms:
        """Read groups written one a line with members separated by "="."""
        return cls([part.strip() for part in line.split("=")] for line in _data_lines(path))

    def of(self, terms: tuple[str, ...]) -> list[tuple[str, ...]]:
        """Return the term sequences equivalent to terms, without terms itself."""
        return list(dict.fromkeys(self._members.get(terms, ())))

    def match_length(self, words: Sequence[tuple[str, ...]], start: int) -> int:
        """Return how many words from start form a multi-word member, or 1."""
        for size in range(min(self.longest, len(words) - start), 1, -1):
            if tuple(chain.from_iterable(words[start : start + size])) in self._members:
                return size
        return 1


@lru_cache(maxsize=1)
def default_synonyms() -> Synonyms:
    """Return the synonyms of synonyms.txt."""
    return Synonyms.from_file()


def query_clauses(
    words: Sequence[str], synonyms: Synonyms | None = None
) -> list[list[Alternative]]:
    """Turn unquoted query words into clauses that must all match, each a list of alternatives.

    A run of words forming a multi-word synonym becomes one clause: the words anywhere
    (not as a phrase, as typed) or one of their synonyms.
    """
    synonyms = synonyms or default_synonyms()
    primaries = [_primary_terms([w]) for w in words]
    clauses: list[list[Alternative]] = []
    index = 0
    while index < len(words):
        size = synonyms.match_length(primaries, index) if primaries[index] else 1
        terms = tuple(chain.from_iterable(primaries[index : index + size]))
        if terms:
            own = [Alternative(terms)]
            if size == 1 and len(terms) > 1:  # one hyphenated word: a phrase, or joined
                joined = _stem("".join(_pieces(words[index])))
                own = [Alternative(terms, phrase=True), Alternative((joined,))]
            clauses.append(own + _synonym_alternatives(terms, synonyms))
        index += size
    return clauses


def query_terms(word: str, synonyms: Synonyms | None = None) -> list[Alternative]:
    """Return the alternatives for one query word; [] if it has no searchable characters."""
    clauses = query_clauses([word], synonyms)
    return clauses[0] if clauses else []


def phrase_terms(words: Sequence[str], synonyms: Synonyms | None = None) -> list[Alternative]:
    """Return the alternatives for a quoted phrase: the phrase itself, then its synonyms."""
    terms = _primary_terms(words)
    if not terms:
        return []
    own = Alternative(terms, phrase=len(terms) > 1)
    return [own, *_synonym_alternatives(terms, synonyms or default_synonyms())]


def _synonym_alternatives(terms: tuple[str, ...], synonyms: Synonyms) -> list[Alternative]:
    return [Alternative(other, phrase=len(other) > 1) for other in synonyms.of(terms)]


def _primary_terms(words: Iterable[str]) -> tuple[str, ...]:
    """Return the stems of the words' pieces in order, without compound parts."""
    return tuple(_stem(piece) for word in words for piece in _pieces(word))


def _pieces(word: str) -> list[str]:
    """Return the normalised letter-and-digit runs of a word, without a suffix like ":s"."""
    return [normalize(piece) for piece in _PIECE.findall(word.split(":")[0])]


def _data_lines(path: Path) -> Iterator[str]:
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            yield line


class WhooshTokenizer(Tokenizer):
    """Whoosh tokenizer yielding analyze()'s terms, positions and character offsets.

    Pickled into the index schema without its lexicon: after loading it uses
    default_lexicon(), so the Whoosh backend should teach that one.
    """

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon

    def __getstate__(self) -> dict:
        return {"lexicon": None}

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        **kwargs: Any,
    ) -> Iterator[Token]:
        """Yield one reused Token per term, as Whoosh tokenizers do."""
        keeporiginal = kwargs.pop("keeporiginal", False)
        token = Token(positions, chars, **kwargs)
        terms = term_tuples(value, self.lexicon) if tokenize else [(0, stem(value), 0, len(value))]
        for position, text, start, end in terms:
            token.text, token.boost, token.stopped = text, 1.0, False
            if keeporiginal:
                token.original = value[start:end]
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token
