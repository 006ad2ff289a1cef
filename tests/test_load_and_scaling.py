"""The machinery of the load test and the scaling curve (issue 10), run for real but short.

The figures themselves are benchmarks (``make bench``, ``make bench-load``, ``make
bench-scaling``); these tests check that the machinery does what it says: locust really drives
the mix through gunicorn, saves really land in the database, failures are counted, memory is
read from the workers, and the scaling curve times the four requests and finds their SQL.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from kb.benchmarks import scaling
from kb.benchmarks.installation import installation
from kb.benchmarks.load.run import REQUEST_TYPES, SIGN_IN, load_test, read_locust_csv
from kb.benchmarks.load.world import read_world
from kb.benchmarks.report import Report
from kb.benchmarks.worlds import bench_app, dispose, fresh_demo, grow_to
from kb.experiences.models import Experience
from kb.followups.models import Deviation


def _count(url: str, model: type) -> int:
    engine = create_engine(url)
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(model)) or 0
    engine.dispose()
    return count


def test_the_load_test_drives_the_mix_through_gunicorn(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    setup = installation(tmp_path, url, "whoosh", scale=300, name="last")
    app = bench_app(url, tmp_path / "instance", "whoosh")
    world = read_world(app)
    dispose(app)
    before = _count(url, Experience), _count(url, Deviation)

    result = load_test(setup, world, "whoosh", users=10, seconds=12)

    assert result.locust_exit_status == 0, result.failure_samples
    assert result.total.failures == 0, result.failure_samples
    assert result.total.requests >= 100
    seen = set(result.per_type)
    assert {"sök med facetter", "spara erfarenhet", "sida: start"} <= seen, seen
    assert seen <= {*REQUEST_TYPES, *SIGN_IN}, seen - {*REQUEST_TYPES, *SIGN_IN}
    saves = result.per_type["spara erfarenhet"].requests
    # Every save the load test counted as a success is in the database; a few more may have
    # been made in the moment before the statistics were reset (at most one per user).
    assert saves <= _count(url, Experience) - before[0] <= saves + 10
    deviations = result.per_type.get("avvikelse: spara")
    counted = deviations.requests if deviations else 0
    assert counted <= _count(url, Deviation) - before[1] <= counted + 10
    assert result.memory["workers_seen"] == 2
    assert 30 < result.memory["peak_mb"] < 2000
    assert 0 < result.memory["after_mb"] <= result.memory["peak_mb"]


def test_a_failing_request_is_counted(tmp_path: Path) -> None:
    """A world whose ids do not exist makes the page views 404: locust must say so."""
    url = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    setup = installation(tmp_path, url, "whoosh", name="last")
    app = bench_app(url, tmp_path / "instance", "whoosh")
    world = read_world(app)
    dispose(app)
    world |= {"supplier_ids": [99_999_999], "unit_ids": [99_999_999], "area_ids": [99_999_999]}

    result = load_test(setup, world, "whoosh", users=4, seconds=6)

    assert result.total.failures > 0
    assert result.locust_exit_status != 0
    failed = {name for name, figures in result.per_type.items() if figures.failures}
    assert "sida: leverantör" in failed
    total, _per_type, failures = read_locust_csv(tmp_path / "locust-whoosh")
    assert total.failures == result.total.failures and failures


def test_the_scaling_curve_times_the_four_requests(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    app = bench_app(url, tmp_path, "whoosh")
    fresh_demo(app)
    grow_to(app, 400, seed=3)
    figures = scaling.rebuild_index(app) | scaling.measure_requests(app, 5, explain=False)
    dispose(app)

    assert figures["indexed_documents"] > 400
    assert set(figures["requests"]) == set(scaling.REQUESTS)
    for name, latency in figures["requests"].items():
        assert latency["n"] == 5, name
        assert 0 < latency["median_ms"] <= latency["p95_ms"], name
    supplier = figures["slowest_statements"]["supplier_page"]
    assert supplier["statements"] >= 3 and supplier["slowest"][0]["sql"].startswith("SELECT")
    assert figures["database_mb"] > 0 and figures["index_mb"] > 0
    report = Report()
    scaling.record(report, "sqlite", 400, figures)
    assert (
        report.figures["scaling.sqlite.400.supplier_page.p95_ms"].value
        == (figures["requests"]["supplier_page"]["p95_ms"])
    )
    assert "| 400 |" in scaling.markdown("whoosh", {400: figures})
