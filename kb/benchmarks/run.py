"""``make bench`` and ``make bench-quick``: every benchmark, one report.

Per database (SQLite with Whoosh, then PostgreSQL with its own search backend) three worlds
are built, each from an emptied database with the demo loaded:

1. one grown through the profile's sizes (full: 10,000, 20,000 and 100,000 experiences),
   searched at each; saving and the supplier page at ``base``, the insight pages at
   ``large``;
2. ``loop`` experiences in one area: the tender draft;
3. the demo alone: the CSV import of ``import_rows`` experiences and its search drain.
"""

from __future__ import annotations

import tempfile
import time
import traceback
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask

from kb import bench, bench_import, bench_insight, bench_loop, bench_search
from kb.audit.context import acting_as
from kb.benchmarks import machine, postgres, scaling, targets
from kb.benchmarks.installation import served_installation
from kb.benchmarks.load import run as load
from kb.benchmarks.load.world import read_world
from kb.benchmarks.profiles import Profile
from kb.benchmarks.report import GROUPS, Report
from kb.benchmarks.worlds import BENCH_ACTOR, bench_app, dispose, fresh_demo, grow_to
from kb.demo.loader import refresh_statistics
from kb.extensions import db

SEARCH_BACKEND = {"sqlite": "whoosh", "postgres": "postgres"}


class Steps:
    """Run named steps, timing each; a failed step is noted and the run goes on."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.failed: list[str] = []
        self.started = time.perf_counter()

    def run(self, name: str, action: Callable[[], Any]) -> bool:
        print(f"== {time.perf_counter() - self.started:7.1f} s  {name}", flush=True)
        started = time.perf_counter()
        try:
            action()
        except Exception as error:  # one failed bench must not lose the report
            self.failed.append(name)
            self.report.note(f"FAILED: {name}: {type(error).__name__}: {error}")
            traceback.print_exc()
            return False
        finally:
            self.report.phase(name, time.perf_counter() - started)
        return True


def _stage(steps: Steps, profile: Profile, db_name: str, app: Flask, size: int) -> None:
    """Search and the scaling curve at every size; saving and the supplier page at base;
    insight and the load test at large."""
    report, backend = steps.report, SEARCH_BACKEND[db_name]
    steps.run(
        f"{db_name}: search at {size:,}",
        lambda: bench_search.measure_search(report, app, backend, size, profile.queries),
    )
    steps.run(
        f"{db_name}: scaling curve at {size:,}",
        lambda: scaling.record(
            report, db_name, size,
            scaling.measure_requests(app, profile.scaling_requests, False),
        ),
    )  # fmt: skip
    if size == profile.base:
        steps.run(
            f"{db_name}: saving and supplier page at {size:,}",
            lambda: bench.measure_requests(
                report, app, db_name, size, profile.saves, profile.page_renders,
                profile.aggregate_repeats,
            ),
        )  # fmt: skip
    if size == profile.large:
        steps.run(
            f"{db_name}: insight pages at {size:,}",
            lambda: bench_insight.measure_insight(
                report, app, db_name, size, profile.insight_requests, profile.aggregate_repeats
            ),
        )
        steps.run(
            f"{db_name}: load test at {size:,}", partial(_load_test, steps, profile, db_name, app)
        )


def _load_test(steps: Steps, profile: Profile, db_name: str, app: Flask) -> None:
    """The mixed load against gunicorn on this world's database and index."""
    backend, url = SEARCH_BACKEND[db_name], app.config["SQLALCHEMY_DATABASE_URI"]
    folder = Path(app.config["INSTANCE_PATH"])
    setup = served_installation(folder, url, backend, name="bench", KB_INSTANCE_PATH=str(folder))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # gunicorn's workers need the SQLite file's lock to themselves
    result = load.load_test(
        setup, read_world(app), backend, profile.load_users, profile.load_seconds
    )
    print(load.printed(result), flush=True)
    load.record(steps.report, db_name, profile.large, result)


def _shared_world(steps: Steps, profile: Profile, db_name: str, url: str, folder: Path) -> None:
    """One world grown through the profile's sizes, measured at each."""
    app = bench_app(url, folder, SEARCH_BACKEND[db_name])
    sizes = profile.world_sizes()

    def build() -> None:
        demo_seconds = fresh_demo(app)
        rows, seconds = grow_to(app, sizes[0], seed=7)
        bench.record_world(steps.report, db_name, demo_seconds, rows, seconds)

    def grow(size: int, seed: int) -> None:
        grow_to(app, size, seed=seed)
        if size == profile.large:  # as after a bulk load in production: fresh statistics
            with app.app_context(), acting_as(BENCH_ACTOR):
                refresh_statistics()

    for number, size in enumerate(sizes):
        if number == 0:
            grown = steps.run(f"{db_name}: demo + {size:,} experiences", build)
        else:
            grown = steps.run(
                f"{db_name}: grow to {size:,} experiences", partial(grow, size, 7 + number)
            )
        if not grown:
            break
        _stage(steps, profile, db_name, app, size)
    dispose(app)


def _loop_world(steps: Steps, profile: Profile, db_name: str, url: str, folder: Path) -> None:
    app = bench_app(url, folder)

    def loop() -> None:
        fresh_demo(app)
        grow_to(app, profile.loop, seed=7)
        bench_loop.measure_loop(steps.report, app, db_name, profile.loop)

    steps.run(f"{db_name}: tender draft with {profile.loop:,} experiences", loop)
    dispose(app)


def _import_world(steps: Steps, profile: Profile, db_name: str, url: str, folder: Path) -> None:
    app = bench_app(url, folder, SEARCH_BACKEND[db_name])

    def load() -> None:
        fresh_demo(app)
        bench_import.measure_import(
            steps.report, app, db_name, folder, profile.import_rows, profile.drain_seconds
        )

    steps.run(f"{db_name}: CSV import of {profile.import_rows:,} experiences", load)
    dispose(app)


def run_database(steps: Steps, profile: Profile, db_name: str, url: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix=f"kb-bench-{db_name}-") as folder:
        for world, build in (
            ("world", _shared_world),
            ("loop", _loop_world),
            ("import", _import_world),
        ):
            path = Path(folder) / world
            path.mkdir()
            build(steps, profile, db_name, url or f"sqlite:///{path / 'bench.sqlite'}", path)


def _sizes_text(profile: Profile) -> str:
    grown = ", ".join(f"{size:,}" for size in profile.world_sizes())
    return (
        f"search at {grown} experiences; saving and supplier page at {profile.base:,}; "
        f"insight pages and a {profile.load_seconds} s load test with {profile.load_users} "
        f"users at {profile.large:,}; tender draft with {profile.loop:,}; "
        f"CSV import of {profile.import_rows:,} rows"
    )


def run_report(profile: Profile, quick: bool, with_postgres: bool = True) -> tuple[Report, dict]:
    """Run every bench at the profile's sizes; return the report and its context."""
    report = Report(quick=quick, expected=targets.targets_for(profile))
    steps = Steps(report)
    started_at, started = datetime.now(UTC), time.perf_counter()
    load_before = machine.load_average()
    if with_postgres:
        database = postgres.bench_postgres(report.note)
    else:
        report.note("postgres: not measured (SQLite only was asked for)")
        database = nullcontext(None)
    with database as postgres_url:
        run_database(steps, profile, "sqlite", None)
        if postgres_url:
            run_database(steps, profile, "postgres", postgres_url)
        versions = machine.versions(postgres_url)
    why = "PostgreSQL was not measured in this run" if not postgres_url else None
    reasons = {f"{group}.postgres": why for group in GROUPS} if why else {}
    report.finish({"scaling.postgres.1000000": targets.MILLION_NOT_IN_BENCH, **reasons})
    context = {
        "profile": {
            "name": profile.name,
            **{k: v for k, v in vars(profile).items() if k != "name"},
        },
        "profile_sizes": _sizes_text(profile),
        "started_at": started_at.isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - started, 1),
        "load_average_before": load_before,
        "load_average_after": machine.load_average(),
        "machine": machine.machine(),
        "versions": versions,
        "failed_steps": steps.failed,
    }
    return report, context
