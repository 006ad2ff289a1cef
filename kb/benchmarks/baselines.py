"""Raw baselines, measured in the same run as our figures.

- Search: a plain SQLite FTS5 table, and a bare PostgreSQL table with a stored
  ``to_tsvector('swedish', title || ' ' || body)`` column and a GIN index, over the same
  texts and queries: words ANDed, ranked, top 20 with a snippet. No permissions, no facets.
- Aggregates: a raw GROUP BY over experience_ratings for the same agreement area, supplier
  or tender rounds as the page, without suppression, statistics or formatting.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

SUBMITTED = "inskickad"
RATINGS = (
    "SELECT {group}, count(r.rating), avg(r.rating) FROM experience_ratings r "
    "JOIN experiences e ON e.id = r.experience_id {join} "
    "WHERE e.status = :submitted AND r.rating IS NOT NULL {where} GROUP BY {group}"
)
AGGREGATES = {
    "area": RATINGS.format(group="r.theme", join="", where="AND e.agreement_area_id = :area"),
    "supplier": RATINGS.format(
        group="r.theme",
        join="JOIN units u ON u.id = e.unit_id",
        where="AND u.supplier_id = :supplier",
    ),
    "rounds": RATINGS.format(
        group="c.tender_round_id, r.theme",
        join="JOIN contracts c ON c.id = e.contract_id",
        where="",
    ),
    "area_rounds": RATINGS.format(
        group="c.tender_round_id, r.theme",
        join="JOIN contracts c ON c.id = e.contract_id",
        where="AND e.agreement_area_id = :area",
    ),
}


def _timed(run, items: Sequence) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for item in items:
        started = time.perf_counter()
        run(item)
        samples.append(time.perf_counter() - started)
    return samples


def fts5_samples(texts: Sequence[str], queries: Sequence[str]) -> list[float]:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE docs USING fts5(body)")
    connection.executemany("INSERT INTO docs(body) VALUES (?)", [(t,) for t in texts])

    def search(query: str) -> None:
        match = " ".join(f'"{word}"' for word in query.split())
        connection.execute(
            "SELECT rowid, snippet(docs, 0, '<mark>', '</mark>', '…', 12) FROM docs "
            "WHERE docs MATCH ? ORDER BY rank LIMIT 20",
            (match,),
        ).fetchall()

    try:
        return _timed(search, queries)
    finally:
        connection.close()


POSTGRES_SEARCH = text(
    "SELECT top.id, ts_headline('swedish', top.body, top.q) FROM ("
    " SELECT d.id, d.body, q, ts_rank(d.document, q) AS rank"
    " FROM baseline_docs d, plainto_tsquery('swedish', :query) q"
    " WHERE d.document @@ q ORDER BY rank DESC LIMIT 20) top ORDER BY top.rank DESC"
)


def postgres_samples(url: str, documents: Sequence[tuple[str, str]], queries: Sequence[str]):  # type: ignore[no-untyped-def]
    """Time the queries against a temporary bare table of (title, body) on url."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(
                text(
                    "CREATE TEMP TABLE baseline_docs (id serial PRIMARY KEY, title text, "
                    "body text, document tsvector GENERATED ALWAYS AS "
                    "(to_tsvector('swedish', title || ' ' || body)) STORED)"
                )
            )
            raw = connection.connection.driver_connection
            with (
                raw.cursor() as cursor,
                cursor.copy("COPY baseline_docs (title, body) FROM STDIN") as copy,
            ):
                for row in documents:
                    copy.write_row(row)
            connection.execute(text("CREATE INDEX ON baseline_docs USING gin (document)"))
            connection.execute(text("ANALYZE baseline_docs"))
            samples = _timed(
                lambda query: connection.execute(POSTGRES_SEARCH, {"query": query}).all(), queries
            )
            connection.rollback()
            return samples
    finally:
        engine.dispose()


def aggregate_samples(session: Session, kind: str, repeats: int, **ids: int) -> list[float]:
    statement = text(AGGREGATES[kind])
    parameters = {"submitted": SUBMITTED, **ids}
    return _timed(lambda _n: session.execute(statement, parameters).all(), range(repeats))
