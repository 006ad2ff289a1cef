"""``make bench``: print the project's performance figures.

Figures, not tests: speed is measured here and reported, never asserted in the test suite.
Set KB_BENCH_DATABASE_URL to a PostgreSQL URL to measure there too (the database is emptied).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flask_migrate import downgrade, upgrade

from config import Config
from kb import bench_requests, create_app
from kb.audit.context import Actor, acting_as
from kb.demo.loader import generate_scale, load_demo
from kb.extensions import db

SCALE_ROWS = int(os.environ.get("KB_BENCH_SCALE", "20000"))
BENCH_ACTOR = Actor(None, "bench", None)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    db.session.commit()
    return time.perf_counter() - started


def bench_database(label: str, url: str, instance: Path) -> None:
    app = create_app(
        Config,
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": instance,
            "WTF_CSRF_ENABLED": False,
            "SEARCH_SYNC": "off",
        },
    )
    with app.app_context(), acting_as(BENCH_ACTOR):
        if url.startswith("postgresql"):
            downgrade(revision="base")
        upgrade()
        demo_seconds = timed(load_demo)
        scale_seconds = timed(lambda: generate_scale(SCALE_ROWS))
        db.engine.dispose()
    _supplier_id, experiences = bench_requests.busiest_supplier(app)
    saving = bench_requests.bench_saving(app)
    page_as_curator = bench_requests.bench_supplier_page(app, "kunskap@vidala.example")
    page_as_caseworker = bench_requests.bench_supplier_page(app, "handlaggare@alvsjohamn.example")
    print(f"{label}: demo load                 {demo_seconds:8.2f} s")
    print(
        f"{label}: --scale {SCALE_ROWS} experiences {scale_seconds:8.2f} s  "
        f"({SCALE_ROWS / scale_seconds:,.0f} experiences/s, target >= 2,000/s)"
    )
    print(f"{label}: save a submitted experience (audit + outbox) {saving}  target p95 < 50 ms")
    print(f"{label}: supplier page, {experiences} experiences, curator    {page_as_curator}")
    print(
        f"{label}: supplier page, {experiences} experiences, caseworker {page_as_caseworker}"
        "  target p95 < 150 ms"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        bench_database("sqlite", f"sqlite:///{instance / 'bench.sqlite'}", instance)
        postgres_url = os.environ.get("KB_BENCH_DATABASE_URL")
        if postgres_url:
            bench_database("postgresql", postgres_url, instance)


if __name__ == "__main__":
    main()
