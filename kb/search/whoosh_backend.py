"""The embedded Whoosh backend: an index in the instance folder, no server needed.

Whoosh stores the index and analyses the text; searching is mostly done here, in memory:

- Matching: every term a search needs (query words, access tokens, filter and facet values)
  is read once per index segment into an int whose bit n says whether document n has it.
  Segments never change while they exist, so this survives new index generations; a save
  adds a small segment and deletes the old version, which only the live documents' bits
  record. The matches, the permissions, the filters, the total and every facet count are
  then a few operations on ints; an exclusion is a set difference (Whoosh 2.7.4's own AndNot
  can keep the first positive match). Phrases are matched by Whoosh, once per segment. A
  segment keeps at most CACHE_BYTES_PER_DOCUMENT per document, the least recently used goes.
- Relevance: Whoosh's BM25F, for the newest RANK_CANDIDATES permitted matches; any further
  matches follow, newest first, as in the PostgreSQL backend. Scoring every match of a broad
  query made a search at 100,000 documents take half a second. The scores are Whoosh's own:
  its scorer, given the term weights read with the bits and the documents' field lengths.
- Date order and the newest matches: the live documents are cut by date into slices of
  DATE_SLICE, so finding the newest N never sorts all matches.
- Snippets: Whoosh's highlighter, for the hits shown only.

Writers wait a few seconds for Whoosh's writer lock and otherwise raise, which leaves the
work in the outbox for the next drain (Whoosh's AsyncWriter would lose it). A missing or
unreadable index is never written to piecemeal: SearchIndexDamagedError asks for a rebuild,
which whoosh_bulk writes, in parallel. Files are read whole, never mapped (whoosh_files).
"""

from __future__ import annotations

import heapq
import operator
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from functools import reduce
from pathlib import Path
from typing import NoReturn

from whoosh import index
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.fields import DATETIME, ID, KEYWORD, TEXT, Schema
from whoosh.highlight import (
    ContextFragmenter,
    Highlighter,
    HtmlFormatter,
    set_matched_filter,
)
from whoosh.matching import WrappingMatcher
from whoosh.reading import IndexReader, ReaderClosed
from whoosh.searching import Searcher

from kb.search.analysis import WhooshTokenizer, default_lexicon
from kb.search.backend import (
    FACETS,
    FacetCount,
    Health,
    Hit,
    SearchIndexDamagedError,
    SearchPage,
    SearchRequest,
    SearchUnavailableError,
)
from kb.search.documents import SearchDocument
from kb.search.whoosh_bulk import bulk_processes, write_index
from kb.search.whoosh_files import create_index, damage, open_index, writing
from kb.search.whoosh_query import to_whoosh

WRITER_TIMEOUT_SECONDS = 5.0
SEARCH_ATTEMPTS = 3
FACET_FIELDS = {
    "kind": "kind",
    "area": "area",
    "supplier": "supplier",
    "organisation": "organisation",
    "year": "year",
    "theme": "theme",
    "status": "status",
}


def build_schema() -> Schema:
    analyzer = WhooshTokenizer()
    return Schema(
        key=ID(stored=True, unique=True),
        kind=ID(stored=True),
        title=TEXT(analyzer=analyzer, stored=True, field_boost=2.0),
        body=TEXT(analyzer=analyzer, stored=True),
        date=DATETIME(stored=True, sortable=True),
        year=ID,
        area=KEYWORD(commas=True),
        supplier=ID,
        organisation=ID,
        theme=KEYWORD(commas=True),
        status=ID,
        access=KEYWORD(commas=True),
    )


def _fields(document: SearchDocument) -> dict:
    when = datetime.combine(document.date, time()) if document.date else datetime(1970, 1, 1)
    return {
        "key": document.key,
        "kind": document.kind,
        "title": document.title,
        "body": document.body,
        "date": when,
        "year": str(when.year) if document.date else "",
        "area": ",".join(map(str, document.area_ids)),
        "supplier": str(document.supplier_id or ""),
        "organisation": str(document.organisation_id or ""),
        "theme": ",".join(document.themes),
        "status": document.status or "",
        "access": ",".join(document.access),
    }


RANK_CANDIDATES = 1000  # BM25 ranks at most this many matches, the newest, as postgres_query
DATE_SLICE = 1024  # the newest matches are looked for this many documents (by date) at a time
CACHE_BYTES_PER_DOCUMENT = 400  # what a segment may keep read, least recently used goes
SNAPSHOT_CACHE_ENTRIES = 2048  # document sets a snapshot keeps; then it starts over
RANKED_FIELDS = frozenset({"title", "body"})
_FLAG_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


def _bits_of(positions: Iterable[int], size: int) -> int:
    """The int whose bits at the given positions (each below size) are set."""
    flags = bytearray(size)
    for position in positions:
        flags[position] = 1
    return int(flags.translate(_FLAG_DIGITS)[::-1], 2) if size else 0


def _ones(bits: int) -> list[int]:
    """The positions of the set bits, lowest first."""
    digits = bin(bits)[:1:-1]  # lowest bit first
    found, find = [], digits.find
    position = find("1")
    while position >= 0:
        found.append(position)
        position = find("1", position + 1)
    return found


@dataclass(frozen=True, eq=False)
class _Postings:
    """One term (or phrase) in one segment: the documents that have it, deleted ones too, as
    the bits of an int; for a ranked field also as sorted docnums with the term's weights."""

    bits: int
    ids: array | None = None
    weights: array | None = None

    @property
    def nbytes(self) -> int:
        listed = len(self.ids) * 8 if self.ids is not None else 0
        return 64 + self.bits.bit_length() // 8 + listed


class _Segment:
    """What one segment's files say, read once. Segments never change while they are in the
    index (deletions are each snapshot's business), so this outlives index generations."""

    def __init__(self, reader: IndexReader) -> None:
        self.size = reader.doc_count_all()
        self.negated_dates = [-d for d in reader.column_reader("date", translate=False)]
        self._postings: OrderedDict[object, _Postings] = OrderedDict()
        self._held = 0  # bytes, roughly
        self._lock = threading.Lock()
        self._lengths: dict[tuple[str, int], int] = {}  # (field, docnum): its length, as asked

    def length(self, reader: IndexReader, field: str, docnum: int) -> int:
        """A document's length in a field, as Whoosh's BM25F scorer reads it."""
        key = (field, docnum)
        found = self._lengths.get(key)
        if found is None:
            found = self._lengths[key] = reader.doc_field_length(docnum, field, 1)
        return found

    def postings(self, key: object, read: Callable[..., _Postings], *args: object) -> _Postings:
        """The postings cached under key, else read(*args, size of this segment)."""
        with self._lock:
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        found = read(*args, self.size)
        with self._lock:
            if key not in self._postings:
                self._postings[key] = found
                self._held += found.nbytes
            while self._held > CACHE_BYTES_PER_DOCUMENT * self.size and len(self._postings) > 1:
                self._held -= self._postings.popitem(last=False)[1].nbytes
        return found


def _read_phrase(leaf: Searcher, phrase: wq.Phrase, size: int) -> _Postings:
    return _Postings(_bits_of(phrase.docs(leaf), size))


def _read_term(leaf: Searcher, fieldname: str, btext: bytes, size: int) -> _Postings:
    ranked = fieldname in RANKED_FIELDS
    ids, weights = array("I"), array("f")
    reader = leaf.reader()
    if (fieldname, btext) in reader:
        matcher = reader.postings(fieldname, btext)
        while isinstance(matcher, WrappingMatcher):  # FilterMatcher: leaves out deleted ones
            matcher = matcher.child
        if isinstance(matcher, W3LeafMatcher):
            # Whoosh decodes postings a block at a time but steps through them one by one in
            # Python; take whole blocks (Whoosh 2.7.4 is pinned: test_search_installation).
            while matcher.is_active():
                matcher._read_ids()
                ids.extend(matcher._ids)
                if ranked:
                    matcher._read_weights()
                    weights.extend(matcher._weights)
                matcher._next_block()
        else:
            while matcher.is_active():
                ids.append(matcher.id())
                if ranked:
                    weights.append(matcher.weight())
                matcher.next()
    if ranked:
        return _Postings(_bits_of(ids, size), ids, weights)
    return _Postings(_bits_of(ids, size))


class _Snapshot:
    """One index generation, answered from memory where it can be.

    Each term a search needs is read once per segment into an int whose bit n is set when
    document n has it, so a query's matches, its permissions, filters and facet counts are
    set algebra on ints. Phrases are matched by Whoosh, once per segment. The live documents
    are cut by date into slices of DATE_SLICE, newest first, to find the newest matches
    without sorting them all. BM25 scores only the newest RANK_CANDIDATES matches, with
    Whoosh's scorer on the cached term weights: the same scores as Whoosh's own search.
    """

    def __init__(self, searcher: Searcher, segments: dict[str, _Segment]) -> None:
        self.searcher = searcher
        self._bits: dict[object, int] = {}
        self._values: dict[str, list[str]] = {}
        self.parts: list[tuple[Searcher, _Segment, int]] = []  # (leaf searcher, segment, offset)
        live: list[int] = []
        negated_dates: list[int] = []
        kept: dict[str, _Segment] = {}
        for leaf, offset in searcher.leaf_searchers():
            reader = leaf.reader()
            if reader.segment() is None:  # an empty index
                continue
            segment_id = reader.segment().segment_id()
            segment = kept[segment_id] = segments.get(segment_id) or _Segment(reader)
            self.parts.append((leaf, segment, offset))
            negated_dates += segment.negated_dates
            if reader.has_deletions():
                live += (docnum + offset for docnum in reader.all_doc_ids())
            else:
                live += range(offset, offset + segment.size)
        segments.clear()
        segments.update(kept)  # forget segments merged away
        self.size = len(negated_dates)
        self.live = _bits_of(live, self.size)
        live.sort(key=negated_dates.__getitem__)  # newest first, ties in index order
        self.place = [self.size] * self.size  # by docnum: its place among the live by date
        for place, docnum in enumerate(live):
            self.place[docnum] = place
        self.slices = [
            _bits_of(live[start : start + DATE_SLICE], self.size)
            for start in range(0, len(live), DATE_SLICE)
        ]

    def parts_of(self, docnums: list[int]) -> list[tuple[Searcher, _Segment, int]]:
        """The part each of the docnums (ascending) is in."""
        offsets = [offset for _, _, offset in self.parts]
        return [self.parts[bisect_right(offsets, docnum) - 1] for docnum in docnums]

    # --- document sets ---------------------------------------------------------------------

    def _term_parts(self, fieldname: str, text: str) -> list[tuple[_Postings, int]]:
        schema = self.searcher.schema
        if fieldname not in schema:
            return []
        try:
            btext = schema[fieldname].to_bytes(text)
        except ValueError:
            return []
        return [
            (segment.postings((fieldname, btext), _read_term, leaf, fieldname, btext), offset)
            for leaf, segment, offset in self.parts
        ]

    def _phrase_parts(self, phrase: wq.Phrase) -> list[tuple[_Postings, int]]:
        return [
            (segment.postings(phrase, _read_phrase, leaf, phrase), offset)
            for leaf, segment, offset in self.parts
        ]

    def _joined(self, key: object, parts: Callable[[], list[tuple[_Postings, int]]]) -> int:
        found = self._bits.get(key)
        if found is None:
            found = 0
            for postings, offset in parts():
                found |= postings.bits << offset
            if len(self._bits) >= SNAPSHOT_CACHE_ENTRIES:
                self._bits = {}
            found = self._bits[key] = found & self.live
        return found

    def term(self, fieldname: str, text: str) -> int:
        return self._joined((fieldname, text), lambda: self._term_parts(fieldname, text))

    def matches(self, query: wq.Query) -> int:
        """The live documents matching a query built by to_whoosh."""
        kind = type(query)
        if kind is wq.Term:
            return self.term(query.fieldname, query.text)
        if kind is wq.And:
            return reduce(operator.and_, map(self.matches, query.subqueries), self.live)
        if kind is wq.Or:
            return reduce(operator.or_, map(self.matches, query.subqueries), 0)
        if kind is wq.AndNot:
            return self.matches(query.a) & ~self.matches(query.b)
        if kind is wq.Phrase:  # positions are Whoosh's to check
            return self._joined(query, lambda: self._phrase_parts(query))
        raise TypeError(f"to_whoosh builds no {kind.__name__}")

    def allowed(self, request: SearchRequest) -> int:
        """What the request's access tokens may read, narrowed by its filters."""
        allowed = reduce(operator.or_, (self.term("access", t) for t in request.access_tokens), 0)
        for name, value in request.filters.items():
            allowed &= self.term(FACET_FIELDS[name], value)
        return allowed

    def facets(self, matched: int) -> dict[str, list[FacetCount]]:
        facets: dict[str, list[FacetCount]] = {}
        for name, field in FACET_FIELDS.items():
            counts = []
            for value in self._field_values(field):
                count = (matched & self.term(field, value)).bit_count()
                if count:
                    counts.append(FacetCount(value, count))
            facets[name] = sorted(counts, key=lambda c: (-c.count, c.value))
        return facets

    def _field_values(self, field: str) -> list[str]:
        values = self._values.get(field)
        if values is None:
            texts = (
                v.decode() if isinstance(v, bytes) else v for v in self.searcher.lexicon(field)
            )
            values = self._values[field] = sorted(v for v in texts if v)  # "" is no value
        return values

    # --- order -----------------------------------------------------------------------------

    def newest(self, bits: int, count: int, skip: int = 0) -> list[int]:
        """The docnums of up to count documents of bits, newest first, after skipping some."""
        found: list[int] = []
        for date_slice in self.slices:
            if len(found) >= count:
                break
            part = bits & date_slice
            if not part:
                continue
            if skip:
                size = part.bit_count()
                if size <= skip:
                    skip -= size
                    continue
            docnums = sorted(_ones(part), key=self.place.__getitem__)
            found += docnums[skip : skip + count - len(found)]
            skip = 0
        return found

    def scored(self, query: wq.Query, docnums: list[int]) -> list[tuple[int, float]]:
        """(docnum, BM25 score) of matches of the query, in the order given."""
        ascending = sorted(docnums)
        scores = dict(zip(ascending, _Scores(self, ascending).of(query), strict=True))
        return [(docnum, scores[docnum] or 0.0) for docnum in docnums]

    def ranked(self, query: wq.Query, matched: int) -> list[tuple[int, float]]:
        """(docnum, score) of the newest RANK_CANDIDATES matches, best score first, equal
        scores newest first."""
        place = self.place
        scored = self.scored(query, self.newest(matched, RANK_CANDIDATES))
        return sorted(scored, key=lambda hit: (-hit[1], place[hit[0]]))


class _Scores:
    """BM25F scores of candidate documents, as Whoosh's matchers add them up: a term scores
    with its weight (frequency times field boost) and the document's field length, And and
    phrases add their parts, Or adds the parts that match, AndNot scores its positive part.
    None where a part does not match."""

    def __init__(self, snapshot: _Snapshot, candidates: list[int]) -> None:
        self.snapshot = snapshot
        self.candidates = candidates  # ascending docnums
        self._lengths: dict[str, list[int]] = {}

    def lengths(self, field: str) -> list[int]:
        found = self._lengths.get(field)
        if found is None:
            found = self._lengths[field] = [
                segment.length(leaf.reader(), field, docnum - offset)
                for docnum, (leaf, segment, offset) in zip(
                    self.candidates, self.snapshot.parts_of(self.candidates), strict=True
                )
            ]
        return found

    def of(self, query: wq.Query) -> list[float | None]:
        kind = type(query)
        if kind is wq.Term:
            return self.term(query.fieldname, query.text, query.boost)
        if kind is wq.Phrase:
            within = self.snapshot.matches(query)
            words = (self.term(query.fieldname, word, query.boost) for word in query.words)
            return [
                total if total is not None and within >> docnum & 1 else None
                for docnum, total in zip(self.candidates, _all_of(list(words)), strict=True)
            ]
        if kind is wq.And:
            return _all_of([self.of(sub) for sub in query.subqueries])
        if kind is wq.Or:
            return _any_of([self.of(sub) for sub in query.subqueries])
        if kind is wq.AndNot:
            excluded = self.snapshot.matches(query.b)
            return [
                None if excluded >> docnum & 1 else score
                for docnum, score in zip(self.candidates, self.of(query.a), strict=True)
            ]
        raise TypeError(f"to_whoosh builds no {kind.__name__}")

    def term(self, fieldname: str, text: str, boost: float) -> list[float | None]:
        scores: list[float | None] = [None] * len(self.candidates)
        parts = self.snapshot._term_parts(fieldname, text)
        if fieldname not in RANKED_FIELDS or not any(p.ids for p, _ in parts):
            return scores  # Whoosh: a NullMatcher
        searcher = self.snapshot.searcher
        scorer = searcher.weighting.scorer(
            searcher, fieldname, searcher.schema[fieldname].to_bytes(text)
        )
        lengths = self.lengths(fieldname)
        candidates = self.candidates
        for (postings, offset), (_, segment, _) in zip(parts, self.snapshot.parts, strict=True):
            ids, weights = postings.ids, postings.weights
            start = bisect_left(candidates, offset)
            end = bisect_left(candidates, offset + segment.size, start)
            position = 0
            for index_ in range(start, end):
                docnum = candidates[index_] - offset
                position = bisect_left(ids, docnum, position)
                if position < len(ids) and ids[position] == docnum:
                    scores[index_] = scorer._score(weights[position], lengths[index_]) * boost
        return scores


def _all_of(parts: list[list[float | None]]) -> list[float | None]:
    return [
        None if any(score is None for score in scores) else sum(scores)  # type: ignore[arg-type]
        for scores in zip(*parts, strict=True)
    ]


def _any_of(parts: list[list[float | None]]) -> list[float | None]:
    return [
        None if all(score is None for score in scores) else sum(s for s in scores if s is not None)
        for scores in zip(*parts, strict=True)
    ]


def highlight_terms(query: wq.Query) -> dict[str, frozenset[str]]:
    """The terms a hit's text is highlighted with, by field: those of the query's positive
    parts, never of an exclusion."""
    found: dict[str, set[str]] = {}

    def walk(part: wq.Query) -> None:
        if isinstance(part, wq.AndNot):
            walk(part.a)
        elif isinstance(part, wq.Term):
            found.setdefault(part.fieldname, set()).add(part.text)
        elif isinstance(part, wq.Phrase):
            found.setdefault(part.fieldname, set()).update(part.words)
        else:
            for sub in part.children():
                walk(sub)

    walk(query)
    return {field: frozenset(terms) for field, terms in found.items()}


class _Snippets:
    """What Whoosh's Hit.highlights gives (body, else title), with the query's terms, for the
    hits shown only. One per page: its formatter numbers the terms as it meets them."""

    def __init__(self, schema: Schema, query: wq.Query) -> None:
        self.schema = schema
        self.words = highlight_terms(query)
        self.highlighter = Highlighter(
            fragmenter=ContextFragmenter(maxchars=220, surround=60),
            formatter=HtmlFormatter(tagname="mark", classname="", termclass=""),
        )

    def __call__(self, fields: dict) -> str:
        return self._field(fields, "body", 2) or self._field(fields, "title", 3)

    def _field(self, fields: dict, name: str, top: int) -> str:
        text, words = fields.get(name) or "", self.words.get(name)
        if not text or not words:
            return ""
        highlighter = self.highlighter
        tokens = self.schema[name].analyzer(
            text, positions=True, chars=True, mode="index", removestops=False
        )
        tokens = highlighter._merge_matched_tokens(set_matched_filter(tokens, words))
        fragments = highlighter.fragmenter.fragment_tokens(text, tokens)
        scorer = highlighter.scorer  # Whoosh breaks ties by memory address; we take the first
        best = heapq.nlargest(top, fragments, key=lambda f: (scorer(f), -f.startchar))
        best = sorted((f for f in best if scorer(f) >= 1), key=highlighter.order)
        return highlighter.formatter.format(best)


class WhooshBackend:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._searcher: Searcher | None = None
        self._snapshot: _Snapshot | None = None
        self._segments: dict[str, _Segment] = {}  # what every snapshot reads, by segment id

    # --- index lifecycle -------------------------------------------------------------------

    def _open(self) -> index.Index:
        return open_index(self.path)

    def _forget(self) -> None:
        with self._lock:
            self._searcher = self._snapshot = None

    def _read_failed(self, error: Exception) -> NoReturn:
        """Raise SearchIndexDamagedError if the files cannot be read in full, else the error."""
        self._forget()
        found = damage(self.path)
        if found is None:
            raise error
        raise found from error

    def _current(self) -> tuple[Searcher, _Snapshot]:
        """The searcher of the newest generation; SearchIndexDamagedError if the index is
        missing or damaged, SearchUnavailableError if it could not be opened for a while (a
        generation replaced while it was being opened)."""
        with self._lock:
            try:
                if self._searcher is None:
                    self._searcher = self._open().searcher()
                else:
                    self._searcher = self._searcher.refresh()
                if self._snapshot is None or self._snapshot.searcher is not self._searcher:
                    self._snapshot = _Snapshot(self._searcher, self._segments)
                return self._searcher, self._snapshot
            except SearchUnavailableError:
                self._searcher = self._snapshot = None
                raise
            except Exception as error:
                self._searcher = self._snapshot = None
                failure = error
        found = damage(self.path)  # outside the lock: it reads the whole index
        unavailable = SearchUnavailableError(f"Sökindexet kunde inte öppnas: {failure}")
        raise (found or unavailable) from failure

    # --- writing ---------------------------------------------------------------------------

    def upsert(self, documents: Sequence[SearchDocument]) -> None:
        """Add or replace documents; a missing or damaged index raises SearchIndexDamagedError
        rather than starting an index that would hold only these."""
        ix = self._open()
        default_lexicon().add_text("\n".join(d.title + "\n" + d.body for d in documents))
        with writing(self.path, ix, WRITER_TIMEOUT_SECONDS) as writer:
            for document in documents:
                writer.update_document(**_fields(document))

    def delete(self, keys: Sequence[str]) -> None:
        with writing(self.path, self._open(), WRITER_TIMEOUT_SECONDS) as writer:
            for key in keys:
                writer.delete_by_term("key", key)

    def rebuild(self, documents: Iterable[SearchDocument]) -> int:
        """Replace the whole index; the old one answers until the new one is committed. A
        missing or unreadable index is started afresh."""
        documents = list(documents)
        default_lexicon().add_text("\n".join(d.title + "\n" + d.body for d in documents))
        try:
            ix = self._open()
        except SearchIndexDamagedError:
            ix = create_index(self.path, build_schema())
        fields = [_fields(document) for document in documents]
        write_index(ix, fields, bulk_processes(len(fields)), WRITER_TIMEOUT_SECONDS)
        return len(documents)

    # --- reading ---------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchPage:
        """Search the newest generation. A drain in another thread may refresh the searcher
        meanwhile, which closes the readers of merged-away segments under this search
        (ReaderClosed): then the search runs again on the new generation."""
        for _ in range(SEARCH_ATTEMPTS):
            searcher, snapshot = self._current()
            try:
                return self._search(searcher, snapshot, request)
            except ReaderClosed:
                continue
            except Exception as error:
                self._read_failed(error)
        raise SearchUnavailableError("Sökindexet byts ut för ofta för att hinna söka i just nu.")

    def _search(
        self, searcher: Searcher, snapshot: _Snapshot, request: SearchRequest
    ) -> SearchPage:
        whoosh_query = to_whoosh(request.query)
        if whoosh_query is None:
            return SearchPage([], 0, {name: [] for name in FACETS}, request.page, request.per_page)
        matched = snapshot.matches(whoosh_query) & snapshot.allowed(request)
        offset, limit = (request.page - 1) * request.per_page, request.per_page
        shown: list[tuple[int, float]] = []  # (docnum, score)
        skip = offset
        if request.order != "date":  # the newest RANK_CANDIDATES by score, then newest first
            if offset < RANK_CANDIDATES:
                shown = snapshot.ranked(whoosh_query, matched)[offset : offset + limit]
            skip = max(RANK_CANDIDATES, offset)
        if len(shown) < limit:
            newest = snapshot.newest(matched, limit - len(shown), skip=skip)
            shown += snapshot.scored(whoosh_query, newest)
        snippet = _Snippets(searcher.schema, whoosh_query)
        hits = []
        for docnum, score in shown:
            fields = searcher.stored_fields(docnum)
            hits.append(Hit(fields["key"], score, snippet(fields)))
        return SearchPage(
            hits, matched.bit_count(), snapshot.facets(matched), request.page, request.per_page
        )

    def stored_keys(self) -> set[str]:
        searcher, _ = self._current()
        try:
            return {fields["key"] for fields in searcher.all_stored_fields()}
        except Exception as error:
            self._read_failed(error)

    def health(self) -> Health:
        try:
            searcher, _ = self._current()
        except SearchUnavailableError as error:
            return Health(False, str(error))
        return Health(True, "ok", searcher.doc_count())
