"""``make bench-search``: index throughput, drain latency and query latency, against FTS5.

Generates the demo plus N experiences (KB_BENCH_SEARCH_SIZES, default "10000,100000"), builds
the index, then runs 200+ realistic one-to-three-word queries, plain and with two facet
filters. A plain SQLite FTS5 table over the same texts is the baseline.

Whoosh runs on SQLite. Set KB_BENCH_DATABASE_URL to a PostgreSQL URL to measure the postgres
backend there too (that database is emptied). KB_BENCH_SEARCH_BACKENDS ("whoosh,postgres" by
default) picks which of the two are measured.
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from flask_migrate import downgrade, upgrade

from config import Config
from kb import create_app
from kb.audit.context import Actor, acting_as
from kb.demo.loader import generate_scale, load_demo
from kb.extensions import db
from kb.search.access import EVERYONE, curators_token, network_token
from kb.search.backend import SearchRequest
from kb.search.cli import _all_documents
from kb.search.outbox import drain
from kb.search.query import parse_query
from kb.search.service import backend_for

WORDS = (
    "bemanning",
    "kvällsbemanning",
    "nattbemanning",
    "placering",
    "familjehem",
    "familjehemsplacering",
    "skola",
    "genomförandeplan",
    "kontaktperson",
    "samverkan",
    "avvikelse",
    "lex",
    "sarah",
    "hälsa",
    "lokaler",
    "delaktighet",
    "sammanbrott",
    "behandling",
    "utredning",
    "akut",
    "LVU",
    "HVB",
    "LSS",
    "socialsekreterare",
    "handläggare",
    "beslutet",
    "avtalet",
    "mötet",
    "personal",
    "föreståndare",
    "boendestödjare",
    "konsulent",
    "tandvård",
    "läkemedel",
)
QUERIES = 220


def queries(rng: random.Random) -> list[str]:
    return [" ".join(rng.sample(WORDS, rng.randint(1, 3))) for _ in range(QUERIES)]


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95)] * 1000


def fts5_baseline(texts: list[str], query_list: list[str]) -> tuple[float, float]:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE docs USING fts5(body)")
    connection.executemany("INSERT INTO docs(body) VALUES (?)", [(t,) for t in texts])
    samples = []
    for text in query_list:
        match = " ".join(f'"{w}"' for w in text.split())
        started = time.perf_counter()
        connection.execute(
            "SELECT rowid, snippet(docs, 0, '<mark>', '</mark>', '…', 12) FROM docs "
            "WHERE docs MATCH ? ORDER BY rank LIMIT 20",
            (match,),
        ).fetchall()
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def run_size(label: str, url: str, folder: Path, size: int) -> None:
    app = create_app(
        Config,
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": folder,
            "SEARCH_BACKEND": label,
            "SEARCH_SYNC": "off",
            "WTF_CSRF_ENABLED": False,
        },
    )
    rng = random.Random(11)
    with app.app_context(), acting_as(Actor(None, "bench", None)):
        if url.startswith("postgresql"):
            downgrade(revision="base")
        upgrade()
        load_demo()
        db.session.commit()
        generate_scale(max(0, size - 600))
        db.session.commit()
        backend = backend_for(app)
        documents = list(_all_documents(progress=False))
        started = time.perf_counter()
        backend.rebuild(documents)
        rate = len(documents) / (time.perf_counter() - started)
        db.session.execute(db.text("DELETE FROM search_outbox"))
        db.session.commit()
        tokens = frozenset({EVERYONE, "org:2", curators_token(1), network_token(1)})
        query_list = queries(rng)
        plain, faceted = [], []
        for text in query_list:
            for filters, samples in (
                ({}, plain),
                ({"kind": "experience", "theme": "bemanning"}, faceted),
            ):
                request = SearchRequest(parse_query(text), tokens, filters=filters)
                started = time.perf_counter()
                backend.search(request)
                samples.append(time.perf_counter() - started)
        drain_ms = _drain_latency(app, backend)
        started = time.perf_counter()  # the first search of the index generation just made
        backend.search(SearchRequest(parse_query(query_list[0]), tokens))
        after_save_ms = (time.perf_counter() - started) * 1000
        fts_median, fts_p95 = fts5_baseline(
            [d.title + "\n" + d.body for d in documents], query_list
        )
    plain_median, plain_p95 = percentiles(plain)
    facet_median, facet_p95 = percentiles(faceted)
    print(f"{label} {size:>7} exp, {len(documents)} docs: bulk index {rate:,.0f} docs/s")
    print(f"{label} {size:>7}: plain   median {plain_median:6.1f} ms  p95 {plain_p95:6.1f} ms")
    print(f"{label} {size:>7}: facets  median {facet_median:6.1f} ms  p95 {facet_p95:6.1f} ms")
    print(
        f"{label} {size:>7}: FTS5    median {fts_median:6.1f} ms  p95 {fts_p95:6.1f} ms  "
        f"(ours/FTS5 p95: plain {plain_p95 / fts_p95:.1f}x, facets {facet_p95 / fts_p95:.1f}x)"
    )
    print(
        f"{label} {size:>7}: drain after one save {drain_ms:6.1f} ms, "
        f"the next query {after_save_ms:6.1f} ms"
    )


def _drain_latency(app, backend) -> float:  # type: ignore[no-untyped-def]
    from kb.experiences.models import Experience

    experience = db.session.scalar(db.select(Experience).limit(1))
    experience.advice_md = (experience.advice_md or "") + " Uppdaterad för mätning."
    db.session.commit()
    started = time.perf_counter()
    drain(backend)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    sizes = [int(s) for s in os.environ.get("KB_BENCH_SEARCH_SIZES", "10000,100000").split(",")]
    postgres_url = os.environ.get("KB_BENCH_DATABASE_URL")
    backends = os.environ.get("KB_BENCH_SEARCH_BACKENDS", "whoosh,postgres").split(",")
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder)
            if "whoosh" in backends:
                run_size("whoosh", f"sqlite:///{path / 'bench.sqlite'}", path, size)
            if "postgres" not in backends:
                continue
            if postgres_url:
                run_size("postgres", postgres_url, path, size)
            else:
                print("postgres: not measured (set KB_BENCH_DATABASE_URL to a PostgreSQL URL)")


if __name__ == "__main__":
    main()
