"""The embedded Whoosh backend: an index in the instance folder, no server needed.

Filter and facet document sets are cached per index generation, so a query only pays for its
own matching. Writers wait a few seconds for Whoosh's writer lock and otherwise raise, which
leaves the work in the outbox for the next drain (Whoosh's AsyncWriter would lose it).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, time
from pathlib import Path

from whoosh import index, writing
from whoosh import query as wq
from whoosh.fields import DATETIME, ID, KEYWORD, TEXT, Schema
from whoosh.highlight import ContextFragmenter, HtmlFormatter
from whoosh.searching import Searcher

from kb.search.analysis import WhooshTokenizer, default_lexicon
from kb.search.backend import (
    FACETS,
    FacetCount,
    Health,
    Hit,
    SearchPage,
    SearchRequest,
    SearchUnavailableError,
)
from kb.search.documents import SearchDocument
from kb.search.whoosh_query import to_whoosh

WRITER_TIMEOUT_SECONDS = 5.0
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


def _rebuild_processes() -> int:
    """Index in one process per core. The sub-processes must be forked, so that they inherit
    the lexicon just learned: a spawned one would split no compounds."""
    if multiprocessing.get_start_method() != "fork":
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


class WhooshBackend:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._searcher: Searcher | None = None
        self._docsets: dict[tuple, frozenset[int]] = {}
        self._generation = -1

    # --- index lifecycle -------------------------------------------------------------------

    def _open(self) -> index.Index:
        if not index.exists_in(self.path):
            raise SearchUnavailableError("Sökindexet saknas.")
        try:
            return index.open_dir(str(self.path))
        except Exception as error:
            raise SearchUnavailableError(f"Sökindexet kan inte läsas: {error}") from error

    def _create(self) -> index.Index:
        self.path.mkdir(parents=True, exist_ok=True)
        return index.create_in(str(self.path), build_schema())

    def _open_or_create(self) -> index.Index:
        return self._open() if index.exists_in(self.path) else self._create()

    def _current_searcher(self) -> Searcher:
        with self._lock:
            try:
                if self._searcher is None:
                    self._searcher = self._open().searcher()
                else:
                    self._searcher = self._searcher.refresh()
            except SearchUnavailableError:
                self._searcher = None
                raise
            except Exception as error:
                self._searcher = None
                raise SearchUnavailableError(str(error)) from error
            generation = self._searcher.ixreader.generation()
            if generation != self._generation:
                self._docsets, self._generation = {}, generation
            return self._searcher

    # --- writing ---------------------------------------------------------------------------

    def _writer(self, ix: index.Index, **options: object) -> writing.IndexWriter:
        return ix.writer(timeout=WRITER_TIMEOUT_SECONDS, **options)

    def upsert(self, documents: Sequence[SearchDocument]) -> None:
        default_lexicon().add_text("\n".join(d.title + "\n" + d.body for d in documents))
        writer = self._writer(self._open_or_create())
        try:
            for document in documents:
                writer.update_document(**_fields(document))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def delete(self, keys: Sequence[str]) -> None:
        if not index.exists_in(self.path):
            return
        writer = self._writer(self._open())
        try:
            for key in keys:
                writer.delete_by_term("key", key)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def rebuild(self, documents: Iterable[SearchDocument]) -> int:
        """Replace the whole index; the old one answers until the new one is committed."""
        documents = list(documents)
        default_lexicon().add_text("\n".join(d.title + "\n" + d.body for d in documents))
        try:
            ix = self._open_or_create()
        except SearchUnavailableError:
            ix = self._create()
        writer = self._writer(ix, procs=_rebuild_processes(), multisegment=True, limitmb=128)
        for document in documents:
            writer.add_document(**_fields(document))
        writer.commit(mergetype=writing.CLEAR)
        return len(documents)

    # --- reading ---------------------------------------------------------------------------

    def _docset(self, searcher: Searcher, key: tuple, query: wq.Query) -> frozenset[int]:
        cached = self._docsets.get(key)
        if cached is None:
            cached = frozenset(searcher.docs_for_query(query))
            self._docsets[key] = cached
        return cached

    def _allowed(self, searcher: Searcher, request: SearchRequest) -> frozenset[int]:
        allowed = self._docset(
            searcher,
            ("access", request.access_tokens),
            wq.Or([wq.Term("access", token) for token in sorted(request.access_tokens)]),
        )
        for name, value in sorted(request.filters.items()):
            allowed = allowed & self._docset(
                searcher, (name, value), wq.Term(FACET_FIELDS[name], value)
            )
        return allowed

    def _facets(self, searcher: Searcher, matched: frozenset[int]) -> dict[str, list[FacetCount]]:
        facets: dict[str, list[FacetCount]] = {}
        for name, field in FACET_FIELDS.items():
            counts = []
            for value in self._field_values(searcher, field):
                count = len(matched & self._docset(searcher, (name, value), wq.Term(field, value)))
                if count:
                    counts.append(FacetCount(value, count))
            facets[name] = sorted(counts, key=lambda c: (-c.count, c.value))
        return facets

    def _field_values(self, searcher: Searcher, field: str) -> list[str]:
        key = ("values", field)
        if key not in self._docsets:
            values = (v.decode() if isinstance(v, bytes) else v for v in searcher.lexicon(field))
            self._docsets[key] = frozenset(value for value in values if value)  # "" is no value
        return sorted(self._docsets[key])

    def search(self, request: SearchRequest) -> SearchPage:
        searcher = self._current_searcher()
        whoosh_query = to_whoosh(request.query)
        if whoosh_query is None:
            return SearchPage([], 0, {name: [] for name in FACETS}, request.page, request.per_page)
        allowed = self._allowed(searcher, request)
        limit = request.page * request.per_page
        sort = {"sortedby": "date", "reverse": True} if request.order == "date" else {}
        results = searcher.search(
            whoosh_query, filter=set(allowed), limit=limit, terms=True, **sort
        )
        results.fragmenter = ContextFragmenter(maxchars=220, surround=60)
        results.formatter = HtmlFormatter(tagname="mark", classname="", termclass="")
        matched = frozenset(results.docs())
        start = (request.page - 1) * request.per_page
        hits = [
            Hit(
                hit["key"],
                float(hit.score or 0.0),
                hit.highlights("body", top=2) or hit.highlights("title"),
            )
            for hit in results[start:limit]
        ]
        return SearchPage(
            hits, len(matched), self._facets(searcher, matched), request.page, request.per_page
        )

    def stored_keys(self) -> set[str]:
        searcher = self._current_searcher()
        return {fields["key"] for fields in searcher.all_stored_fields()}

    def health(self) -> Health:
        try:
            searcher = self._current_searcher()
        except SearchUnavailableError as error:
            return Health(False, str(error))
        return Health(True, "ok", searcher.doc_count())
