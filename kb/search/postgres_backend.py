"""The PostgreSQL full-text backend: one table of documents in the app's own database.

For installations with several app servers sharing one database (SEARCH_BACKEND=postgres).

- Terms: one tsvector column with two analyses of the text, so that PostgreSQL searches in
  Swedish and both backends find the same documents:
  1. PostgreSQL's ``swedish`` text search configuration over the title (weight A) and body
     (weight B), computed by the database when a document is written (document_terms);
  2. the shared analysis (kb.search.analysis) as extra terms, the same terms the Whoosh index
     holds: current Snowball stems (PostgreSQL 15's ``swedish`` is an older Snowball that
     leaves "beslutet" and "avtalet" unstemmed), compound parts ("placering" in
     "familjehemsplacering") and joined hyphenated words. They are written as a tsvector
     *literal* (``'term':1A,7B``) that no configuration touches: ``swedish`` would stem our
     stems again and split no compounds. Positions are the analysis positions + 1, title
     terms weighted A and body terms B; the body starts one position after the title ends,
     so a phrase never spans the two. PostgreSQL shifts the literal's positions past the
     ``swedish`` ones when it joins them.
- Matching: ``terms @@ CAST(:q AS tsquery)``, the tsquery built by postgres_query in both
  analyses; a document matches when either does. GIN indexes on terms and on access.
- Permissions: inside the one SQL statement that yields the page, the total and every facet
  count, so nothing counts a document the user may not read: the access tokens are lexemes
  of the terms too (``'access:org:3'``), so the GIN index finds only readable matches, and
  ``access && :tokens`` checks every row again (see postgres_query.search_statement).
- Relevance: ``ts_rank`` with the title weighted twice the body (Whoosh: field_boost=2), for
  the newest RANK_CANDIDATES matches; any further matches follow, newest first.
- Speed: rows are narrow (pg_models), so visiting every match for its facet values is cheap,
  and the terms are read only for ranking; search forbids sequential scans, which would.
- Snippets: ``ts_headline`` in the ``swedish`` configuration for the hits of the page. When it
  marks nothing, because the hit matched only through a compound part, a synonym or a
  current stem, the snippet is built in Python from the shared analysis (postgres_snippets).
- Writes: upsert and delete go through ``db.session`` and do not commit. The outbox drain
  deletes its rows in the same transaction and commits once, so each change is applied
  exactly once. Rebuild runs in its own transaction and commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from sqlalchemy import (
    ColumnElement,
    Connection,
    Text,
    bindparam,
    cast,
    delete,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import TSVECTOR, insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from kb.extensions import db
from kb.search.analysis import analyze, default_lexicon
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
from kb.search.pg_models import (
    SearchDocumentRow,
    SearchFacetSet,
    facet_signature,
    theme_signature,
)
from kb.search.postgres_literals import literals
from kb.search.postgres_query import (
    access_lexeme,
    lexeme,
    paging,
    search_statement,
    swedish_statement,
    to_tsquery,
)
from kb.search.postgres_rebuild import rebuild_table
from kb.search.postgres_snippets import headline_html, snippet

WRITER_TIMEOUT_SECONDS = 5.0  # wait this long for a lock, then fail: the outbox keeps the work
# A tsvector holds at most 1 MB of lexemes. The swedish analysis reads at most this many
# characters of the title and the body (up to 4 bytes each), the literal gets the rest.
SWEDISH_TITLE_CHARS, SWEDISH_BODY_CHARS = 20_000, 150_000
MAX_TSVECTOR_BYTES = 300_000
RANK_WEIGHTS = "{0.1,0.2,0.5,1.0}"  # D, C, B (body), A (title)
UNAVAILABLE_STATES = {"42P01", "42703"}  # undefined table, undefined column
LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout passed
PLANNER_SETTINGS = (
    "SELECT set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true),"
    " set_config('work_mem', '64MB', true)"
)
TABLE = SearchDocumentRow.__table__
FACET_SETS = SearchFacetSet.__table__
FACET_SET_VALUES = ("kind", "year", "supplier_id", "organisation_id", "status", "area_ids")
COLUMNS = [column.name for column in TABLE.columns]
SWEDISH = literal_column("'swedish'::regconfig")


def document_terms(title: ColumnElement, body: ColumnElement, analysed: ColumnElement):  # type: ignore[no-untyped-def]
    """The terms column of a document: the swedish analysis of title and body, then the shared
    analysis's literal (tsvector_literal), which also holds the access lexemes."""

    def swedish(text_: ColumnElement, limit: int, weight: str):  # type: ignore[no-untyped-def]
        vector = func.to_tsvector(SWEDISH, func.left(text_, limit))
        return func.setweight(vector, literal_column(f"'{weight}'"), type_=TSVECTOR)

    return (
        swedish(title, SWEDISH_TITLE_CHARS, "A")
        .op("||")(swedish(body, SWEDISH_BODY_CHARS, "B"))
        .op("||")(cast(analysed, TSVECTOR))
    )


UPSERT = insert(TABLE).values(
    {name: bindparam(f"v_{name}") for name in COLUMNS if name != "terms"}
    | {
        "terms": document_terms(
            bindparam("v_title", type_=Text),
            bindparam("v_body", type_=Text),
            bindparam("v_terms", type_=Text),
        )
    }
)
UPSERT = UPSERT.on_conflict_do_update(
    index_elements=[TABLE.c.key],
    set_={name: UPSERT.excluded[name] for name in COLUMNS if name != "key"},
)


def tsvector_literal(title: str, body: str, access: Iterable[str] = ()) -> str:
    """The tsvector of a document as tsvector input text: ``'term':1A,9A 'term':12B,40B``,
    then its access tokens as lexemes without positions: ``'access:org:3'``.

    PostgreSQL's input merges a lexeme's entries, drops duplicate positions (keeping the
    higher weight), caps positions at 16383 and keeps 256 per lexeme, so we need not.
    """
    title_terms = analyze(title)
    offset = (title_terms[-1].position + 3) if title_terms else 1  # skip one after the title
    parts, room = [], MAX_TSVECTOR_BYTES
    for terms, first, weight in ((title_terms, 1, "A"), (analyze(body), offset, "B")):
        positions: dict[str, list[int]] = {}
        for term in terms:
            if term.text:  # analysis gives "" for a lone combining mark; no valid lexeme
                positions.setdefault(term.text, []).append(term.position + first)
        room -= sum(map(len, map(str.encode, positions)))
        entries = positions.items() if room >= 0 else _first_entries(positions, room)
        for text_, found in entries:
            parts.append(f"{_quoted(text_)}:{(weight + ',').join(map(str, found))}{weight}")
    parts += map(access_lexeme, access)
    return " ".join(parts)


def _first_entries(positions: dict[str, list[int]], room: int) -> list[tuple[str, list[int]]]:
    """The entries that fit in PostgreSQL's 1 MB of lexemes (room is how far we are over)."""
    entries = []
    room += sum(map(len, map(str.encode, positions)))
    for text_, found in positions.items():
        room -= len(text_.encode())
        if room < 0:
            break
        entries.append((text_, found))
    return entries


@lru_cache(maxsize=2**18)
def _quoted(term: str) -> str:
    return lexeme(term)


def _facet_values(document: SearchDocument) -> dict:
    return {
        "kind": document.kind,
        "year": document.date.year if document.date else None,
        "area_ids": list(document.area_ids),
        "supplier_id": document.supplier_id,
        "organisation_id": document.organisation_id,
        "themes": list(document.themes),
        "status": document.status,
    }


def _literal(document: SearchDocument) -> str:
    return tsvector_literal(document.title, document.body, document.access)


def _row(document: SearchDocument, set_ids: dict[str, int], literal: str | None = None) -> dict:
    row = _facet_values(document) | {
        "key": document.key,
        "title": document.title,
        "body": document.body,
        "date": document.date,
        "access": list(document.access),
        "terms": _literal(document) if literal is None else literal,
    }
    return _with_set_ids(row, set_ids)


def _facet_set_ids(connection: Connection, rows: Iterable[dict]) -> dict[str, int]:
    """The id of each row's facet and theme signature, adding the combinations not yet
    stored (in signature order, so that two writers adding the same ones cannot deadlock)."""
    wanted: dict[str, dict] = {}
    for row in rows:
        wanted.setdefault(facet_signature(row), {name: row[name] for name in FACET_SET_VALUES})
        wanted.setdefault(theme_signature(row), {"themes": row["themes"]})
    empty = dict.fromkeys((*FACET_SET_VALUES, "themes"))
    ids = dict(_stored_sets(connection, list(wanted)))
    missing = sorted(set(wanted) - set(ids))
    if missing:
        connection.execute(
            insert(FACET_SETS).on_conflict_do_nothing(index_elements=["signature"]),
            [empty | wanted[signature] | {"signature": signature} for signature in missing],
        )
        ids |= dict(_stored_sets(connection, missing))
    return ids


def _with_set_ids(row: dict, ids: dict[str, int]) -> dict:
    row["facet_set_id"] = ids[facet_signature(row)]
    row["theme_set_id"] = ids[theme_signature(row)]
    return row


def _stored_sets(connection: Connection, signatures: list[str]) -> list[tuple[str, int]]:
    found = []
    for start in range(0, len(signatures), 1000):
        chunk = signatures[start : start + 1000]
        found += connection.execute(
            select(FACET_SETS.c.signature, FACET_SETS.c.id).where(FACET_SETS.c.signature.in_(chunk))
        ).all()
    return [tuple(pair) for pair in found]


def _learn(documents: Sequence[SearchDocument]) -> None:
    """Teach the lexicon the documents' words first, as the Whoosh backend does."""
    default_lexicon().add_text("\n".join(d.title + "\n" + d.body for d in documents))


def _empty_page(request: SearchRequest) -> SearchPage:
    return SearchPage([], 0, {name: [] for name in FACETS}, request.page, request.per_page)


def _set_lock_timeout(connection: Connection) -> None:
    milliseconds = str(int(WRITER_TIMEOUT_SECONDS * 1000))
    connection.execute(select(func.set_config("lock_timeout", milliseconds, True)))


class PostgresBackend:
    """Stateless: every call uses the current app's database, which must be PostgreSQL."""

    def __init__(self, database_url: str | URL) -> None:
        if make_url(database_url).get_backend_name() != "postgresql":
            raise RuntimeError("SEARCH_BACKEND=postgres kräver en PostgreSQL-databas.")

    # --- reading ---------------------------------------------------------------------------

    def _read(self, work):  # type: ignore[no-untyped-def]
        """Run work(connection) in a savepoint, then roll it back (and any settings made in it);
        a missing table means the index is unavailable."""
        try:
            with db.session.begin_nested() as savepoint:
                result = work(db.session.connection())
                savepoint.rollback()
                return result
        except (ProgrammingError, OperationalError) as error:
            state = getattr(error.orig, "sqlstate", None)
            if isinstance(error, ProgrammingError) and state not in UNAVAILABLE_STATES:
                raise
            raise SearchUnavailableError(f"Sökindexet kan inte läsas: {error.orig}") from error

    def search(self, request: SearchRequest) -> SearchPage:
        tsquery = to_tsquery(request.query)
        tokens, filters = request.access_tokens, request.filters
        if tsquery is None or not tokens:
            return _empty_page(request)

        def run(connection: Connection) -> list | None:
            swedish_sql, swedish_params = swedish_statement(request.query)
            swedish = connection.execute(text(swedish_sql), swedish_params).one()
            built = search_statement(tsquery, tokens, filters, request.order, tuple(swedish))
            if built is None:
                return None
            sql, params = built
            params |= paging(request.page, request.per_page) | {"weights": RANK_WEIGHTS}
            # The planner does not count reading terms out of line, so a sequential scan
            # testing every row's terms can look cheap: matches must come from the indexes.
            # Compiling (JIT) a plan this costly would take longer than running it, and the
            # matches, their sort and their facet counts should stay in memory.
            connection.execute(text(PLANNER_SETTINGS))
            return connection.execute(text(sql), params).all()

        rows = self._read(run)
        if rows is None:
            return _empty_page(request)
        return self._page(request, rows, list(tsquery.alternatives.values()))

    def _page(self, request: SearchRequest, rows: list, alternatives: list) -> SearchPage:
        hits: list[tuple[tuple, Hit]] = []
        facets: dict[str, list[FacetCount]] = {name: [] for name in FACETS}
        total = 0
        for facet, value, n, score, when, title, body, matched, headline in rows:
            if facet == "hit":
                marked = headline_html(headline)
                if not marked:  # matched through the shared analysis only
                    found = zip(alternatives, matched, strict=True)
                    terms = frozenset().union(*(terms for terms, ok in found if ok))
                    marked = snippet((body, title), terms)
                hit = Hit(value, float(score or 0.0), marked)
                if n == 0:  # ranked, as in BY_RELEVANCE
                    order = (0, -hit.score, False, 0, value)
                else:  # newest first
                    order = (1, 0.0, when is None, -when.toordinal() if when else 0, value)
                hits.append((order, hit))
            elif facet == "total":
                total = n
            else:
                facets[facet].append(FacetCount(value, n))
        for counts in facets.values():
            counts.sort(key=lambda c: (-c.count, c.value))
        hits.sort(key=lambda pair: pair[0])
        return SearchPage([hit for _, hit in hits], total, facets, request.page, request.per_page)

    def stored_keys(self) -> set[str]:
        return set(self._read(lambda connection: connection.scalars(select(TABLE.c.key)).all()))

    def health(self) -> Health:
        try:
            count = self._read(
                lambda connection: connection.scalar(select(func.count()).select_from(TABLE))
            )
        except SearchUnavailableError as error:
            return Health(False, str(error))
        return Health(True, "ok", count)

    # --- writing ---------------------------------------------------------------------------

    def upsert(self, documents: Sequence[SearchDocument]) -> None:
        """Insert or replace, in the caller's transaction (the drain commits)."""
        if not documents:
            return
        _learn(documents)
        connection = db.session.connection()
        _set_lock_timeout(connection)
        set_ids = _facet_set_ids(connection, map(_facet_values, documents))
        rows = {document.key: _row(document, set_ids) for document in documents}
        # In key order, so that two drainers touching the same documents cannot deadlock.
        parameters = [{f"v_{n}": v for n, v in rows[key].items()} for key in sorted(rows)]
        connection.execute(UPSERT, parameters)

    def delete(self, keys: Sequence[str]) -> None:
        """Delete by key, in the caller's transaction (the drain commits)."""
        if not keys:
            return
        connection = db.session.connection()
        _set_lock_timeout(connection)
        connection.execute(delete(TABLE).where(TABLE.c.key.in_(sorted(set(keys)))))

    def rebuild(self, documents: Iterable[SearchDocument]) -> int:
        """Replace every document in one transaction of its own (postgres_rebuild); readers
        see the old set until it commits. Writers are locked out from before the documents are
        read, so a change drained meanwhile is either in what we read or applied after."""
        try:
            with db.engine.begin() as connection:
                TABLE.create(connection, checkfirst=True)
                FACET_SETS.create(connection, checkfirst=True)
                _set_lock_timeout(connection)
                connection.execute(text("LOCK TABLE search_documents IN EXCLUSIVE MODE"))
                documents = list(documents)
                _learn(documents)
                set_ids = _facet_set_ids(connection, map(_facet_values, documents))

                def fill(write_row) -> None:  # type: ignore[no-untyped-def]
                    for document, literal in zip(
                        documents, literals(documents, _literal), strict=True
                    ):
                        row = _row(document, set_ids, literal)
                        write_row([row[name] for name in COLUMNS])

                rebuild_table(connection, COLUMNS, fill, document_terms)
        except OperationalError as error:
            if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            raise SearchUnavailableError(
                "Sökindexet skrivs av en annan process just nu; försök igen om en stund."
            ) from error
        return len(documents)
