"""``make bench insight``: the agreement-area overview and the learning dashboard at scale.

Generates the demo plus KB_BENCH_INSIGHT_SIZE experiences in all (default 100,000), signs in
as the demo curator with the Flask test client and times at least 50 requests each of the
area overview (/avtalsomraden/<id>/oversikt), the learning dashboard overall (/larande/) and
for one area (/larande/?omrade=<id>). Prints median and p95; the target is p95 < 300 ms.
Nothing is cached between requests: rating sums come from rating_totals (kept by triggers).
Set KB_BENCH_DATABASE_URL to a PostgreSQL URL to measure there too (that database is emptied).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from kb.audit.context import acting_as
from kb.bench_requests import latency_text, signed_in, timed_requests
from kb.benchmarks import baselines
from kb.benchmarks.report import Report
from kb.benchmarks.worlds import BENCH_ACTOR, bench_app, experience_count, fresh_demo, grow_to
from kb.demo.loader import refresh_statistics
from kb.experiences.models import Experience
from kb.extensions import db
from kb.tenders.models import TenderRound

SIZE = int(os.environ.get("KB_BENCH_INSIGHT_SIZE", "100000"))
REQUESTS = max(50, int(os.environ.get("KB_BENCH_INSIGHT_REQUESTS", "60")))
CURATOR = "kunskap@vidala.example"
TARGET_MS = 300
PRINTED = {"sqlite": "sqlite", "postgres": "postgres"}
BASELINE_LABELS = {
    "area": "Baseline: raw GROUP BY theme over the area's ratings",
    "rounds": "Baseline: raw GROUP BY tender round, theme over all ratings",
    "area_rounds": "Baseline: raw GROUP BY tender round, theme over the area's ratings",
}


def busiest_area_with_chained_rounds() -> int:
    """The agreement area with the most experiences among those with a round successor."""
    chained = select(TenderRound.agreement_area_id).where(TenderRound.predecessor_id.is_not(None))
    return db.session.scalar(
        select(Experience.agreement_area_id)
        .where(Experience.agreement_area_id.in_(chained))
        .group_by(Experience.agreement_area_id)
        .order_by(func.count().desc())
        .limit(1)
    )


def _page_samples(app: Flask, label: str, name: str, url: str, count: int) -> list[float] | None:
    """Time count requests of url, or None when the page is not there."""
    client = signed_in(app, CURATOR)
    first = client.get(url)
    if first.status_code == 404:
        print(f"{label}: {name:<34} {url}: not there yet (404), not measured")
        return None
    assert first.status_code == 200, f"{url} answered {first.status_code}"

    def request(_number: int) -> None:
        response = client.get(url)
        assert response.status_code == 200, f"{url} answered {response.status_code}"

    return timed_requests(request, count)


def measure_insight(
    report: Report, app: Flask, db_name: str, size: int, requests: int, repeats: int
) -> None:
    """The area overview and the learning dashboard, each against a raw GROUP BY of ratings."""
    with app.app_context():
        experiences, area_id = experience_count(), busiest_area_with_chained_rounds()
    label = PRINTED[db_name]
    print(f"{label}: {experiences} experiences; area {area_id}; {requests} requests per page")
    pages = (
        ("area_overview", "area overview", f"/avtalsomraden/{area_id}/oversikt", "area"),
        ("learning_overall", "learning, overall", "/larande/", "rounds"),
        ("learning_area", "learning, one area", f"/larande/?omrade={area_id}", "area_rounds"),
    )
    prefix = f"insight.{db_name}.{size}"
    for key, name, url, aggregate in pages:
        baseline = f"{prefix}.{aggregate}_ratings_baseline"
        with app.app_context():
            ids = {"area": area_id} if aggregate.startswith("area") else {}
            samples = baselines.aggregate_samples(db.session, aggregate, repeats, **ids)
        description = BASELINE_LABELS[aggregate]
        report.record_latency(baseline, description, samples, "insight", size=size)
        samples = _page_samples(app, label, name, url, requests)
        if samples is None:
            continue
        figures = report.record_latency(
            f"{prefix}.{key}", f"{name.capitalize()}, {url}", samples, "insight",
            size=size, baselines=(baseline,),
        )  # fmt: skip
        print(f"{label}: {name:<34} {latency_text(*figures)}  target p95 < {TARGET_MS} ms  {url}")


def run(report: Report, db_name: str, url: str, folder: Path) -> None:
    app = bench_app(url, folder)
    fresh_demo(app)
    grow_to(app, SIZE, seed=7)
    with app.app_context(), acting_as(BENCH_ACTOR):
        refresh_statistics()
    measure_insight(report, app, db_name, SIZE, REQUESTS, REQUESTS)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    report = Report()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        run(report, "sqlite", f"sqlite:///{path / 'bench.sqlite'}", path)
        postgres_url = os.environ.get("KB_BENCH_DATABASE_URL")
        if postgres_url:
            run(report, "postgres", postgres_url, path)
        else:
            print("postgres: not measured (set KB_BENCH_DATABASE_URL to a PostgreSQL URL)")


if __name__ == "__main__":
    main()
