"""``make bench-search``: index throughput, drain latency and query latency, against FTS5.

Generates the demo plus N experiences (KB_BENCH_SEARCH_SIZES, default "10000,100000"), builds
the index, then runs 200+ realistic one-to-three-word queries, plain and with two facet
filters. A plain SQLite FTS5 table over the same texts is the baseline.

Whoosh runs on SQLite. Set KB_BENCH_DATABASE_URL to a PostgreSQL URL to measure the postgres
backend there too (that database is emptied). KB_BENCH_SEARCH_BACKENDS ("whoosh,postgres" by
default) picks which of the two are measured. ``make bench`` records the same figures, with a
raw PostgreSQL full-text baseline beside FTS5, into bench/report.md.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path

from flask import Flask

from kb.audit.context import acting_as
from kb.benchmarks import baselines
from kb.benchmarks.report import Report
from kb.benchmarks.worlds import BENCH_ACTOR, bench_app, fresh_demo, grow_to
from kb.extensions import db
from kb.search.access import EVERYONE, curators_token, network_token
from kb.search.backend import SearchBackend, SearchRequest
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
FACETS = {"kind": "experience", "theme": "bemanning"}
CURATOR_TOKENS = frozenset({EVERYONE, "org:2", curators_token(1), network_token(1)})


def queries(rng: random.Random, count: int = QUERIES) -> list[str]:
    return [" ".join(rng.sample(WORDS, rng.randint(1, 3))) for _ in range(count)]


def _query_samples(backend: SearchBackend, query_list: list[str]) -> tuple[list, list]:
    plain, faceted = [], []
    for text in query_list:
        for filters, samples in (({}, plain), (FACETS, faceted)):
            request = SearchRequest(parse_query(text), CURATOR_TOKENS, filters=filters)
            started = time.perf_counter()
            backend.search(request)
            samples.append(time.perf_counter() - started)
    return plain, faceted


def _drain_latency(backend: SearchBackend) -> float:
    from kb.experiences.models import Experience

    experience = db.session.scalar(db.select(Experience).limit(1))
    experience.advice_md = (experience.advice_md or "") + " Uppdaterad för mätning."
    db.session.commit()
    started = time.perf_counter()
    drain(backend)
    return (time.perf_counter() - started) * 1000


def _record_baselines(report: Report, prefix: str, size: int, documents, query_list):  # type: ignore[no-untyped-def]
    """FTS5 always; the raw PostgreSQL table too when this run is on PostgreSQL."""
    fts5 = f"{prefix}.fts5_baseline"
    texts = [d.title + "\n" + d.body for d in documents]
    samples = baselines.fts5_samples(texts, query_list)
    label = "Baseline: raw SQLite FTS5, same texts and queries"
    report.record_latency(fts5, label, samples, "search", size=size)
    if db.engine.dialect.name != "postgresql":
        return (fts5,)
    raw_pg = f"{prefix}.postgres_baseline"
    url = db.engine.url.render_as_string(hide_password=False)
    pairs = [(d.title, d.body) for d in documents]
    samples = baselines.postgres_samples(url, pairs, query_list)
    label = "Baseline: raw PostgreSQL, to_tsvector('swedish') with a GIN index, same queries"
    report.record_latency(raw_pg, label, samples, "search", size=size)
    return (raw_pg, fts5)


def measure_search(
    report: Report, app: Flask, backend_name: str, size: int, query_count: int = QUERIES
) -> None:
    """Index, query, drain and compare with the baselines on the world in app's database."""
    prefix = f"search.{backend_name}.{size}"
    whoosh_rate = (
        () if backend_name == "whoosh" else (f"search.whoosh.{size}.bulk_index.docs_per_s",)
    )
    with app.app_context(), acting_as(BENCH_ACTOR):
        backend = backend_for(app)
        documents = list(_all_documents(progress=False))
        started = time.perf_counter()
        backend.rebuild(documents)
        rate = len(documents) / (time.perf_counter() - started)
        db.session.execute(db.text("DELETE FROM search_outbox"))
        db.session.commit()
        query_list = queries(random.Random(11), query_count)
        plain, faceted = _query_samples(backend, query_list)
        drain_ms = _drain_latency(backend)
        started = time.perf_counter()  # the first search of the index generation just made
        backend.search(SearchRequest(parse_query(query_list[0]), CURATOR_TOKENS))
        next_query_ms = (time.perf_counter() - started) * 1000
        compared = _record_baselines(report, prefix, size, documents, query_list)
    figures = {
        "rate": report.record(
            f"{prefix}.bulk_index.docs_per_s", f"Bulk index, {len(documents)} documents",
            rate, "docs/s", "search", size=size, baselines=whoosh_rate,
        ),
        "plain": report.record_latency(
            f"{prefix}.plain", "Search, plain", plain, "search", size=size, baselines=compared
        ),
        "facets": report.record_latency(
            f"{prefix}.facets", "Search with two facet filters", faceted, "search",
            size=size, baselines=compared,
        ),
        "drain": report.record(
            f"{prefix}.drain_after_save_ms", "Outbox drain after a single save",
            drain_ms, "ms", "search", size=size,
        ),
        "next": report.record(
            f"{prefix}.first_query_after_save_ms", "The first query after that drain",
            next_query_ms, "ms", "search", size=size,
        ),
        "searchable": report.record(
            f"{prefix}.searchable_after_save_ms", "Searchable after a save: drain + next query",
            drain_ms + next_query_ms, "ms", "search", size=size,
        ),
    }  # fmt: skip
    _print(report, f"{backend_name} {size:>7}", len(documents), figures, compared)


def _print(report: Report, label: str, documents: int, figures: dict, compared) -> None:  # type: ignore[no-untyped-def]
    plain_median, plain = figures["plain"]
    facets_median, facets = figures["facets"]
    print(f"{label} exp, {documents} docs: bulk index {figures['rate'].value:,.0f} docs/s")
    print(f"{label}: plain   median {plain_median.value:6.1f} ms  p95 {plain.value:6.1f} ms")
    print(f"{label}: facets  median {facets_median.value:6.1f} ms  p95 {facets.value:6.1f} ms")
    for name in compared:
        short = "FTS5" if name.endswith("fts5_baseline") else "raw PG"
        median, p95 = report.figures[f"{name}.median_ms"], report.figures[f"{name}.p95_ms"]
        print(
            f"{label}: {short:<7} median {median.value:6.1f} ms  p95 {p95.value:6.1f} ms  "
            f"(ours/{short} p95: plain {report.ratio(plain, p95.name):.1f}x, "
            f"facets {report.ratio(facets, p95.name):.1f}x)"
        )
    print(
        f"{label}: drain after one save {figures['drain'].value:6.1f} ms, "
        f"the next query {figures['next'].value:6.1f} ms"
    )


def run_size(report: Report, label: str, url: str, folder: Path, size: int) -> None:
    app = bench_app(url, folder, label)
    fresh_demo(app)
    grow_to(app, size, seed=7)
    measure_search(report, app, label, size)


def main() -> None:
    sizes = [int(s) for s in os.environ.get("KB_BENCH_SEARCH_SIZES", "10000,100000").split(",")]
    postgres_url = os.environ.get("KB_BENCH_DATABASE_URL")
    backends = os.environ.get("KB_BENCH_SEARCH_BACKENDS", "whoosh,postgres").split(",")
    report = Report()
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder)
            if "whoosh" in backends:
                run_size(report, "whoosh", f"sqlite:///{path / 'bench.sqlite'}", path, size)
            if "postgres" not in backends:
                continue
            if postgres_url:
                run_size(report, "postgres", postgres_url, path, size)
            else:
                print("postgres: not measured (set KB_BENCH_DATABASE_URL to a PostgreSQL URL)")


if __name__ == "__main__":
    main()
