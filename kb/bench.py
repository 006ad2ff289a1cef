"""Saving an experience and rendering a supplier page (issue 3), and the --scale rate (issue 2).

Figures, not tests: speed is measured here and reported, never asserted in the test suite.
``python -m kb.bench`` prints them for the demo plus KB_BENCH_SCALE experiences (default
20,000); ``make bench`` records the same figures into bench/report.md. Set
KB_BENCH_DATABASE_URL to a PostgreSQL URL to measure there too (the database is emptied).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import Flask

from kb import bench_requests
from kb.bench_requests import latency_text
from kb.benchmarks import baselines
from kb.benchmarks.report import Report
from kb.benchmarks.worlds import bench_app, fresh_demo, grow_to
from kb.extensions import db

SCALE_ROWS = int(os.environ.get("KB_BENCH_SCALE", "20000"))
READERS = (("curator", "kunskap@vidala.example"), ("caseworker", "handlaggare@alvsjohamn.example"))
PRINTED = {"sqlite": "sqlite", "postgres": "postgresql"}


def record_world(report: Report, db_name: str, demo_seconds: float, rows: int, seconds: float):  # type: ignore[no-untyped-def]
    """Record the demo load and the --scale rate, and print them."""
    label = PRINTED[db_name]
    demo = report.record(
        f"import.{db_name}.demo_load_s", "Load the demo data", demo_seconds, "s", "import"
    )
    rate = report.record(
        f"import.{db_name}.scale.experiences_per_s",
        f"--scale {rows} experiences",
        rows / seconds if seconds else None,
        "experiences/s",
        "import",
        size=rows,
    )
    print(f"{label}: demo load                 {demo.value:8.2f} s")
    print(
        f"{label}: --scale {rows} experiences {seconds:8.2f} s  "
        f"({rate.value or 0:,.0f} experiences/s, target >= 2,000/s)"
    )


def measure_requests(
    report: Report, app: Flask, db_name: str, size: int, saves: int, renders: int, repeats: int
) -> None:
    """Saving and the supplier page for two readers, against a raw GROUP BY of its ratings."""
    label = PRINTED[db_name]
    supplier_id, experiences = bench_requests.busiest_supplier(app)
    saving = report.record_latency(
        f"saving.{db_name}.{size}.experience",
        "Save a submitted experience (audit + outbox)",
        bench_requests.saving_samples(app, saves),
        "saving",
        size=size,
    )
    baseline = f"pages.{db_name}.{size}.supplier_ratings_baseline"
    with app.app_context():
        report.record_latency(
            baseline,
            f"Baseline: raw GROUP BY theme over the supplier's ratings ({experiences} experiences)",
            baselines.aggregate_samples(db.session, "supplier", repeats, supplier=supplier_id),
            "pages",
            size=size,
        )
    pages = {}
    for reader, email in READERS:
        pages[reader] = report.record_latency(
            f"pages.{db_name}.{size}.supplier.{reader}",
            f"Supplier page, {experiences} experiences, as {reader}",
            bench_requests.supplier_page_samples(app, email, supplier_id, renders),
            "pages",
            size=size,
            baselines=(baseline,),
        )
    saving_text, curator_text = latency_text(*saving), latency_text(*pages["curator"])
    print(
        f"{label}: save a submitted experience (audit + outbox) {saving_text}  target p95 < 50 ms"
    )
    print(f"{label}: supplier page, {experiences} experiences, curator    {curator_text}")
    print(
        f"{label}: supplier page, {experiences} experiences, caseworker "
        f"{latency_text(*pages['caseworker'])}  target p95 < 150 ms"
    )


def bench_database(report: Report, db_name: str, url: str, instance: Path) -> None:
    app = bench_app(url, instance)
    demo_seconds = fresh_demo(app)
    rows, seconds = grow_to(app, SCALE_ROWS + 600, seed=7)
    record_world(report, db_name, demo_seconds, rows, seconds)
    measure_requests(
        report,
        app,
        db_name,
        SCALE_ROWS,
        bench_requests.SAVES,
        bench_requests.PAGE_RENDERS,
        bench_requests.PAGE_RENDERS,
    )


def main() -> None:
    report = Report()
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        bench_database(report, "sqlite", f"sqlite:///{instance / 'bench.sqlite'}", instance)
        postgres_url = os.environ.get("KB_BENCH_DATABASE_URL")
        if postgres_url:
            bench_database(report, "postgres", postgres_url, instance)


if __name__ == "__main__":
    main()
