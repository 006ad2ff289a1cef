"""The scaling curve (issue 10, item 4): the same four requests as the corpus grows.

    python -m kb.benchmarks.scaling --backend postgres --sizes 10000,100000,1000000
    python -m kb.benchmarks.scaling --backend whoosh --sizes 10000,100000

One world grows through the sizes (demo + generated experiences, statistics refreshed, the
search index rebuilt in bulk at each size). At each size, through the app as a signed-in user
(Flask's test client, so no network and no other load):

- search with two facet filters (``/sok?q=…&kind=experience&theme=bemanning``, curator);
- the supplier page of the supplier with the most experiences (curator) — the worst case,
  since a supplier's experiences grow with the corpus;
- the area overview of the busiest area (curator);
- saving a submitted experience (caseworker).

It gives median and p95 of each, the database and index size, and for each page the slowest
SQL statements of one request with their share of the time; with ``--explain`` (PostgreSQL)
their ``EXPLAIN ANALYZE`` plans at the largest size. Written to
bench/scaling-<backend>.json and .md. ``make bench`` measures the same four figures at its own
world's sizes (see run.py); this command is for the sizes beyond it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask
from sqlalchemy import event, text

from config import BASE_DIR
from kb.audit.context import acting_as
from kb.bench_insight import CURATOR, busiest_area_with_chained_rounds
from kb.bench_requests import busiest_supplier, saving_samples, signed_in, timed_requests
from kb.bench_search import queries
from kb.benchmarks.postgres import bench_postgres
from kb.benchmarks.report import Report, latency_ms
from kb.benchmarks.worlds import BENCH_ACTOR, bench_app, dispose, fresh_demo, grow_to
from kb.demo.scale import refresh_statistics
from kb.extensions import db
from kb.search.cli import _all_documents
from kb.search.service import backend_for

REQUESTS = ("search_facets", "supplier_page", "area_overview", "saving")
LABELS = {
    "search_facets": "Search with two facet filters",
    "supplier_page": "Supplier page (the supplier with the most experiences)",
    "area_overview": "Area overview (the busiest area)",
    "saving": "Saving a submitted experience",
}


@dataclass
class Statement:
    seconds: float
    sql: str
    parameters: object


@dataclass
class StatementLog:
    """The SQL statements one request ran, with their times."""

    statements: list[Statement] = field(default_factory=list)
    _started: list[float] = field(default_factory=list)

    def before(self, conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        self._started.append(time.perf_counter())

    def after(self, conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        seconds = time.perf_counter() - self._started.pop()
        self.statements.append(Statement(seconds, statement, parameters))


def _logged(app: Flask, request: Callable[[], object]) -> tuple[float, StatementLog]:
    log = StatementLog()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", log.before)
    event.listen(engine, "after_cursor_execute", log.after)
    started = time.perf_counter()
    try:
        request()
    finally:
        event.remove(engine, "before_cursor_execute", log.before)
        event.remove(engine, "after_cursor_execute", log.after)
    return time.perf_counter() - started, log


def _explain(app: Flask, statement: Statement) -> str:
    with app.app_context():
        connection = db.session.connection()
        rows = connection.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS) " + statement.sql, statement.parameters
        ).all()
        db.session.rollback()
    return "\n".join(row[0] for row in rows)


def _page(app: Flask, email: str, paths: list[str], count: int) -> list[float]:
    client = signed_in(app, email)

    def request(number: int) -> None:
        response = client.get(paths[number % len(paths)])
        if response.status_code != 200:
            raise RuntimeError(f"{paths[number % len(paths)]} answered {response.status_code}")

    request(0)
    return timed_requests(request, count)


def _sizes(app: Flask) -> dict[str, float]:
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            database = db.session.scalar(text("SELECT pg_database_size(current_database())"))
            index = db.session.scalar(
                text(
                    "SELECT pg_total_relation_size('search_documents')"
                    " + pg_total_relation_size('search_facet_sets')"
                )
            )
        else:
            database = Path(db.engine.url.database or "").stat().st_size
            index_folder = Path(app.config["WHOOSH_INDEX_PATH"])
            index = sum(p.stat().st_size for p in index_folder.rglob("*") if p.is_file())
        db.session.remove()
    return {"database_mb": round(database / 2**20, 1), "index_mb": round(index / 2**20, 1)}


def rebuild_index(app: Flask) -> dict[str, float]:
    """Refresh the planner's statistics and rebuild the search index in bulk, as after a load."""
    with app.app_context(), acting_as(BENCH_ACTOR):
        refresh_statistics()
        started = time.perf_counter()
        indexed = backend_for(app).rebuild(_all_documents(progress=False))
        seconds = time.perf_counter() - started
        db.session.execute(text("DELETE FROM search_outbox"))
        db.session.commit()
        db.session.remove()
    return {"indexed_documents": indexed, "index_docs_per_s": round(indexed / seconds, 0)}


def measure_requests(app: Flask, count: int, explain: bool) -> dict:
    """Time the four requests on the world as it is; return the figures at this size."""
    with app.app_context():
        area_id = busiest_area_with_chained_rounds()
        db.session.remove()
    supplier_id, supplier_experiences = busiest_supplier(app, busiest=True)
    searches = [
        "/sok?" + urlencode({"q": q, "kind": "experience", "theme": "bemanning"})
        for q in queries(random.Random(11), count)
    ]
    pages = {
        "search_facets": (CURATOR, searches),
        "supplier_page": (CURATOR, [f"/leverantorer/{supplier_id}"]),
        "area_overview": (CURATOR, [f"/avtalsomraden/{area_id}/oversikt"]),
    }
    figures: dict = {
        "supplier_experiences": supplier_experiences,
        "requests": {},
        "slowest_statements": {},
    }
    for name, (email, paths) in pages.items():
        figures["requests"][name] = _latency(_page(app, email, paths, count))
        client = signed_in(app, email)
        seconds, log = _logged(app, lambda p=paths[0], c=client: c.get(p))
        slowest = sorted(log.statements, key=lambda s: s.seconds, reverse=True)[:3]
        figures["slowest_statements"][name] = {
            "request_ms": round(seconds * 1000, 1),
            "statements": len(log.statements),
            "sql_ms": round(sum(s.seconds for s in log.statements) * 1000, 1),
            "slowest": [
                {
                    "ms": round(s.seconds * 1000, 1),
                    "sql": " ".join(s.sql.split())[:2000],
                    **({"plan": _explain(app, s)} if explain else {}),
                }
                for s in slowest
            ],
        }
    figures["requests"]["saving"] = _latency(saving_samples(app, count))
    figures.update(_sizes(app))
    return figures


def record(report: Report, db_name: str, size: int, figures: dict) -> None:
    """Put one size's figures into the make bench report."""
    prefix = f"scaling.{db_name}.{size}"
    for name in REQUESTS:
        latency = figures["requests"][name]
        for key in ("median_ms", "p95_ms"):
            report.record(
                f"{prefix}.{name}.{key}", f"{LABELS[name]}, {key.split('_')[0]}",
                latency[key], "ms", "scaling", size=size, samples=latency["n"],
            )  # fmt: skip
    for key, label in (("database_mb", "Database size"), ("index_mb", "Search index size")):
        report.record(f"{prefix}.{key}", label, figures[key], "MB", "scaling", size=size)


def _latency(samples: list[float]) -> dict[str, float]:
    median, p95 = latency_ms(samples)
    return {"median_ms": round(median, 1), "p95_ms": round(p95, 1), "n": len(samples)}


def markdown(backend: str, curve: dict[int, dict]) -> str:
    sizes = sorted(curve)
    lines = [
        f"# Scaling curve: {backend}",
        "",
        "| Experiences | "
        + " | ".join(LABELS[n] + " median / p95 ms" for n in REQUESTS)
        + " | Database MB | Index MB | Index docs/s |",
        "|---" * (len(REQUESTS) + 4) + "|",
    ]
    for size in sizes:
        row = curve[size]
        cells = [
            f"{row['requests'][n]['median_ms']} / {row['requests'][n]['p95_ms']}" for n in REQUESTS
        ]
        lines.append(
            f"| {size:,} | " + " | ".join(cells)
            + f" | {row['database_mb']} | {row['index_mb']} | {row.get('index_docs_per_s', '–')} |"
        )  # fmt: skip
    if len(sizes) > 1:
        lines += ["", "Growth of p95 from the smallest to the largest size "
                  f"({sizes[-1] / sizes[0]:,.0f}× the experiences):", ""]  # fmt: skip
        first, last = curve[sizes[0]]["requests"], curve[sizes[-1]]["requests"]
        for name in REQUESTS:
            growth = last[name]["p95_ms"] / max(first[name]["p95_ms"], 0.001)
            lines.append(f"- {LABELS[name]}: {growth:.1f}×")
    largest = curve[sizes[-1]]["slowest_statements"]
    lines += ["", f"## The slowest statements of one request at {sizes[-1]:,}", ""]
    for name, found in largest.items():
        lines.append(
            f"### {LABELS[name]}: {found['request_ms']} ms, {found['statements']} statements, "
            f"{found['sql_ms']} ms in SQL"
        )
        for statement in found["slowest"]:
            lines += ["", f"{statement['ms']} ms:", "", "```sql", statement["sql"], "```"]
            if "plan" in statement:
                lines += ["", "```", statement["plan"], "```"]
        lines.append("")
    return "\n".join(lines) + "\n"


def run(
    backend: str, url: str, folder: Path, sizes: list[int], count: int, explain: bool,
    reuse: bool = False,
) -> dict:  # fmt: skip
    """Grow one world through the sizes and measure at each; ``reuse`` keeps the world in the
    database (and its index, when no experience had to be added) instead of starting anew."""
    app = bench_app(url, folder, backend)
    curve: dict[int, dict] = {}
    try:
        if not reuse:
            fresh_demo(app)
        for number, size in enumerate(sorted(sizes)):
            started = time.perf_counter()
            grown, grow_seconds = grow_to(app, size, seed=7 + number)
            print(f"{backend}: {size:,} experiences ({grown:,} generated in {grow_seconds:.0f} s)")
            figures = rebuild_index(app) if grown or not reuse else {}
            figures |= measure_requests(app, count, explain and size == max(sizes))
            figures["generated_per_s"] = round(grown / grow_seconds, 0) if grow_seconds else None
            curve[size] = figures
            summary = ", ".join(
                f"{n} {figures['requests'][n]['median_ms']}/{figures['requests'][n]['p95_ms']} ms"
                for n in REQUESTS
            )
            print(f"  {summary}; db {figures['database_mb']} MB, index {figures['index_mb']} MB"
                  f" ({time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip
    finally:
        dispose(app)
    return curve


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kb.benchmarks.scaling", description=__doc__)
    parser.add_argument("--backend", choices=("whoosh", "postgres"), required=True)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--requests", type=int, default=60, help="requests per figure and size")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE (PostgreSQL)")
    parser.add_argument("--output", type=Path, default=BASE_DIR / "bench")
    parser.add_argument(
        "--reuse", action="store_true",
        help="measure the world left in the database (KB_BENCH_DATABASE_URL) by an earlier run",
    )  # fmt: skip
    options = parser.parse_args(arguments)
    sizes = [int(size) for size in options.sizes.split(",")]
    folder = options.output / f"scaling-{options.backend}"
    folder.mkdir(parents=True, exist_ok=True)
    if options.backend == "postgres":
        with bench_postgres(print) as url:
            if url is None:
                return 1
            curve = run(
                "postgres", url, folder, sizes, options.requests, options.explain, options.reuse
            )
    else:
        database = folder / "scaling.sqlite"
        if not options.reuse:
            database.unlink(missing_ok=True)
        curve = run(
            "whoosh", f"sqlite:///{database}", folder, sizes, options.requests, False, options.reuse
        )
    stem = options.output / f"scaling-{options.backend}"
    Path(f"{stem}.json").write_text(json.dumps({str(k): v for k, v in curve.items()}, indent=2))
    Path(f"{stem}.md").write_text(markdown(options.backend, curve))
    print(f"wrote {stem}.json and {stem}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
