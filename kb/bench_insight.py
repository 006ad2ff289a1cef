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
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from config import Config
from kb import create_app
from kb.audit.context import Actor, acting_as
from kb.bench_requests import percentiles, signed_in, timed_requests
from kb.demo.loader import generate_scale, load_demo, refresh_statistics
from kb.experiences.models import Experience
from kb.extensions import db
from kb.tenders.models import TenderRound

SIZE = int(os.environ.get("KB_BENCH_INSIGHT_SIZE", "100000"))
REQUESTS = max(50, int(os.environ.get("KB_BENCH_INSIGHT_REQUESTS", "60")))
CURATOR = "kunskap@vidala.example"
TARGET_MS = 300


def _busiest_area_with_chained_rounds() -> int:
    """The agreement area with the most experiences among those with a round successor."""
    chained = select(TenderRound.agreement_area_id).where(TenderRound.predecessor_id.is_not(None))
    return db.session.scalar(
        select(Experience.agreement_area_id)
        .where(Experience.agreement_area_id.in_(chained))
        .group_by(Experience.agreement_area_id)
        .order_by(func.count().desc())
        .limit(1)
    )


def _build(app: Flask, url: str) -> tuple[int, int]:
    with app.app_context(), acting_as(Actor(None, "bench", None)):
        if url.startswith("postgresql"):
            downgrade(revision="base")
        upgrade()
        load_demo()
        db.session.commit()
        generate_scale(max(0, SIZE - 600))
        db.session.commit()
        refresh_statistics()
        experiences = db.session.scalar(select(func.count(Experience.id))) or 0
        return experiences, _busiest_area_with_chained_rounds()


def _measure(app: Flask, label: str, name: str, url: str) -> None:
    """Time REQUESTS requests of url."""
    client = signed_in(app, CURATOR)
    first = client.get(url)
    if first.status_code == 404:
        print(f"{label}: {name:<34} {url}: not there yet (404), not measured")
        return
    assert first.status_code == 200, f"{url} answered {first.status_code}"

    def request(_number: int) -> None:
        response = client.get(url)
        assert response.status_code == 200, f"{url} answered {response.status_code}"

    samples = timed_requests(request, REQUESTS)
    print(f"{label}: {name:<34} {percentiles(samples)}  target p95 < {TARGET_MS} ms  {url}")


def run(label: str, url: str, folder: Path) -> None:
    app = create_app(
        Config,
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": folder,
            "SEARCH_SYNC": "off",
            "WTF_CSRF_ENABLED": False,
        },
    )
    experiences, area_id = _build(app, url)
    print(f"{label}: {experiences} experiences; area {area_id}; {REQUESTS} requests per page")
    _measure(app, label, "area overview", f"/avtalsomraden/{area_id}/oversikt")
    for name, page in (("overall", "/larande/"), ("one area", f"/larande/?omrade={area_id}")):
        _measure(app, label, f"learning, {name}", page)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        run("sqlite", f"sqlite:///{path / 'bench.sqlite'}", path)
        postgres_url = os.environ.get("KB_BENCH_DATABASE_URL")
        if postgres_url:
            run("postgres", postgres_url, path)
        else:
            print("postgres: not measured (set KB_BENCH_DATABASE_URL to a PostgreSQL URL)")


if __name__ == "__main__":
    main()
