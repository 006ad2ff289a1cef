"""The benchmark report: the collector, its targets and ratios, the writers, and one tiny run.

The run at the end is the real `make bench-quick` machinery (demo, generated experiences,
Whoosh, the Flask test client, the CSV import) at the smallest sizes, on SQLite only.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from kb.benchmarks import postgres, targets, writers
from kb.benchmarks.profiles import FULL, QUICK, Profile
from kb.benchmarks.report import AT_LEAST, BELOW, Report, Target, latency_ms
from kb.benchmarks.run import run_report

CONTEXT = {
    "profile": {"name": "test"},
    "profile_sizes": "none",
    "started_at": "2026-01-01T00:00:00+00:00",
    "duration_s": 1.0,
    "load_average_before": [0.5, 0.4, 0.3],
    "load_average_after": [0.6, 0.4, 0.3],
    "machine": {"cpu": "Test CPU", "cores": 2, "memory_gib": 24.0, "system": "Linux"},
    "versions": {"python": "3.11", "postgresql_server": None},
    "failed_steps": [],
}
TINY = Profile(
    name="tiny",
    base=650,
    large=700,
    loop=620,
    import_rows=40,
    drain_seconds=1,
    saves=3,
    page_renders=2,
    queries=5,
    insight_requests=2,
    aggregate_repeats=2,
    load_seconds=5,
    load_users=3,
    scaling_requests=2,
)


@pytest.mark.parametrize(
    ("direction", "value", "met"),
    [
        (BELOW, 99.9, True),
        (BELOW, 100.0, False),  # «under 100 ms»: 100 is not under
        (BELOW, 180.0, False),
        (AT_LEAST, 1000.0, True),  # «at least 1,000»: 1,000 is enough
        (AT_LEAST, 2500.0, True),
        (AT_LEAST, 999.0, False),
    ],
)
def test_a_target_is_met_or_not_in_both_directions(direction: str, value: float, met: bool):
    report = Report()
    figure = report.record(
        "search.x.p95_ms",
        "x",
        value,
        "ms",
        "search",
        target=Target(limit_for(direction), direction, "issue 4"),
    )
    assert figure.met is met
    assert report.targets() == {
        "search.x.p95_ms": {
            "value": value,
            "target": limit_for(direction),
            "unit": "ms",
            "met": met,
        }
    }


def limit_for(direction: str) -> float:
    return 100.0 if direction == BELOW else 1000.0


def test_an_unknown_direction_group_or_a_second_record_is_refused():
    with pytest.raises(ValueError, match="direction"):
        Target(1, "above", "nowhere")
    report = Report()
    with pytest.raises(ValueError, match="group"):
        report.record("a", "a", 1, "ms", "speed")
    report.record("a", "a", 1, "ms", "search")
    with pytest.raises(ValueError, match="twice"):
        report.record("a", "a", 2, "ms", "search")


def test_expected_targets_attach_by_name_and_unmeasured_ones_are_listed():
    expected = {
        "saving.sqlite.20000.experience.p95_ms": Target(50, BELOW, "issue 3", 20000),
        "saving.postgres.20000.experience.p95_ms": Target(50, BELOW, "issue 3", 20000),
    }
    report = Report(expected=expected)
    median, p95 = report.record_latency(
        "saving.sqlite.20000.experience", "Save", [0.010, 0.020, 0.030], "saving", size=20000
    )
    assert median.target is None and p95.target is expected["saving.sqlite.20000.experience.p95_ms"]
    assert p95.met is True and p95.at_target_size
    report.finish({"saving.postgres": "PostgreSQL was not measured"})
    missing = report.figures["saving.postgres.20000.experience.p95_ms"]
    assert missing.value is None and missing.met is None
    assert missing.note == "PostgreSQL was not measured" and missing.unit == "ms"
    assert report.targets()["saving.postgres.20000.experience.p95_ms"] == {
        "value": None, "target": 50, "unit": "ms", "met": None,
    }  # fmt: skip


def test_a_target_set_for_another_size_is_only_indicative():
    report = Report(
        expected={"insight.sqlite.3000.area_overview.p95_ms": Target(300, BELOW, "issue 7", 100000)}
    )
    report.record(
        "insight.sqlite.3000.area_overview.p95_ms", "Area", 120, "ms", "insight", size=3000
    )
    figure = report.figures["insight.sqlite.3000.area_overview.p95_ms"]
    assert figure.met is True and not figure.at_target_size
    data = writers.report_data(report, CONTEXT)
    assert data["figures"][0]["at_target_size"] is False
    assert "indicative: set for 100,000" in writers.markdown(report, data)


def test_latency_is_the_median_and_the_sample_at_rank_095():
    samples = [n / 1000 for n in range(100, 0, -1)]  # 1 … 100 ms, unordered
    median, p95 = latency_ms(samples)
    assert median == pytest.approx(50.5)
    assert p95 == pytest.approx(96.0)
    assert latency_ms([0.004]) == pytest.approx((4.0, 4.0))


def test_ratios_are_ours_over_the_baseline_of_the_same_run():
    report = Report()
    report.record_latency("search.pg.1.postgres_baseline", "raw", [0.002, 0.004], "search")
    report.record_latency("search.pg.1.fts5_baseline", "fts5", [0.0, 0.0], "search")
    compared = ("search.pg.1.postgres_baseline", "search.pg.1.fts5_baseline", "search.pg.1.absent")
    _median, p95 = report.record_latency(
        "search.pg.1.facets", "ours", [0.010, 0.020], "search", baselines=compared
    )
    assert p95.baselines[0] == "search.pg.1.postgres_baseline.p95_ms"
    assert report.ratio(p95, "search.pg.1.postgres_baseline.p95_ms") == pytest.approx(5.0)
    assert report.ratio(p95, "search.pg.1.fts5_baseline.p95_ms") is None  # a zero baseline
    assert report.ratio(p95, "search.pg.1.absent.p95_ms") is None
    ratios = report.figure_dict(p95)["baselines"]
    assert [r["ratio"] for r in ratios] == [pytest.approx(5.0), None, None]
    assert "5.0× raw PostgreSQL (4.0 ms)" in writers.markdown(
        report, writers.report_data(report, CONTEXT)
    )


@pytest.mark.parametrize(("postgres_rate", "met"), [(1500.0, True), (900.0, False)])
def test_more_on_postgresql_is_measured_against_whooshs_rate_in_the_same_run(postgres_rate, met):
    expected = targets.targets_for(FULL)
    report = Report(expected=expected)
    report.record("search.whoosh.20000.bulk_index.docs_per_s", "w", 1000.0, "docs/s", "search")
    report.record(
        "search.postgres.20000.bulk_index.docs_per_s", "p", postgres_rate, "docs/s", "search"
    )
    report.finish()
    assert report.targets()["search.postgres.20000.bulk_index.docs_per_s"] == {
        "value": postgres_rate, "target": 1000.0, "unit": "docs/s", "met": met,
    }  # fmt: skip


def test_a_relative_target_without_its_reference_is_not_judged_and_stays_valid_json(tmp_path: Path):
    report = Report(expected=targets.targets_for(FULL))
    report.record("search.postgres.20000.bulk_index.docs_per_s", "p", 1500.0, "docs/s", "search")
    report.finish()
    assert report.figures["search.postgres.20000.bulk_index.docs_per_s"].met is None
    _markdown, json_path = writers.write(report, CONTEXT, tmp_path, "report")
    text = json_path.read_text()
    assert "NaN" not in text
    assert (
        json.loads(text)["targets"]["search.postgres.20000.bulk_index.docs_per_s"]["target"] is None
    )


def test_the_issues_targets_are_quoted_and_set_at_the_full_profiles_sizes():
    expected = targets.targets_for(FULL)
    whoosh = expected["search.whoosh.20000.facets.p95_ms"]
    assert (whoosh.limit, whoosh.direction, whoosh.size) == (100, BELOW, 20000)
    assert expected["search.whoosh.100000.facets.p95_ms"].limit == 150
    assert expected["search.postgres.100000.facets.p95_ms"].limit == 100
    assert expected["insight.postgres.100000.learning_overall.p95_ms"].limit == 300
    assert expected["import.sqlite.100000.write.rows_per_s"].direction == AT_LEAST
    for name, target in expected.items():
        assert target.source.startswith("issue "), name
        assert target.size in (None, 20000, 100000, 1000000), name
    load = expected["load.postgres.100000.mixed.requests_per_s"]
    assert (load.limit, load.direction, load.size) == (150, AT_LEAST, 100000)
    assert expected["load.postgres.100000.worker_memory_peak_mb"].limit == 250
    assert expected["scaling.postgres.1000000.supplier_page.p95_ms"].limit == 300
    assert FULL.world_sizes() == [10000, 20000, 100000]
    assert "search.whoosh.10000.bulk_index.docs_per_s" in expected
    quick = targets.targets_for(QUICK)
    assert f"search.whoosh.{QUICK.base}.facets.p95_ms" in quick
    assert {name.split(".")[0] for name in quick} == {name.split(".")[0] for name in expected}


def test_the_json_targets_object_and_the_markdown_table_cover_every_figure(tmp_path: Path):
    report = Report(quick=True, expected=targets.targets_for(FULL))
    report.record(
        "loop.sqlite.20000.generate_draft_ms", "Generate", 955.0, "ms", "loop", size=20000
    )
    report.record("loop.sqlite.20000.docx_export_ms", "DOCX", 1692.0, "ms", "loop", size=20000)
    report.record_latency(
        "pages.sqlite.20000.supplier.caseworker", "Page", [0.1, 0.12], "pages", size=20000
    )
    report.note("postgres: not measured (test)")
    report.phase("sqlite: everything", 12.5)
    report.finish({"loop.postgres": "not measured here"})
    markdown_path, json_path = writers.write(report, CONTEXT, tmp_path, "quick-report")
    data = json.loads(json_path.read_text())
    text = markdown_path.read_text()

    assert data["quick"] is True
    assert data["machine"]["cpu"] == "Test CPU" and data["versions"]["python"] == "3.11"
    assert data["targets"]["loop.sqlite.20000.generate_draft_ms"] == {
        "value": 955.0, "target": 1000, "unit": "ms", "met": True,
    }  # fmt: skip
    assert data["targets"]["loop.sqlite.20000.docx_export_ms"]["met"] is False
    for name, entry in data["targets"].items():
        assert set(entry) == {"value", "target", "unit", "met"}, name
    assert set(data["targets"]) == {f.name for f in report.figures.values() if f.target}
    assert [f["name"] for f in data["figures"]] == list(report.figures)
    for figure in report.figures.values():
        assert f"`{figure.name}`" in text
    assert "| DOCX | 1,692 ms |  | < 1,000 ms | **not met** |" in text
    assert "| Generate | 955.0 ms |  | < 1,000 ms | met |" in text
    assert "Test CPU" in text and "0.5, 0.4, 0.3" in text
    assert "postgres: not measured (test)" in text and "sqlite: everything" in text


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, dict, Path]:
    folder = tmp_path_factory.mktemp("bench")
    report, context = run_report(TINY, quick=True, with_postgres=False)
    markdown_path, json_path = writers.write(report, context, folder, "quick-report")
    return report, json.loads(json_path.read_text()), markdown_path


def test_a_tiny_run_measures_every_sqlite_target_and_writes_both_files(tiny_run):
    report, data, markdown_path = tiny_run
    assert data["failed_steps"] == []
    assert data["quick"] is True
    sqlite_targets = {
        n: t for n, t in data["targets"].items() if ".sqlite." in n or ".whoosh." in n
    }
    expected = [n for n in targets.targets_for(TINY) if ".sqlite." in n or ".whoosh." in n]
    assert sorted(sqlite_targets) == sorted(expected)
    assert len(expected) == 18
    for name, entry in sqlite_targets.items():
        assert isinstance(entry["value"], float) and math.isfinite(entry["value"]), name
        assert entry["met"] in (True, False), name
    postgres_targets = [
        n for n in data["targets"] if ".postgres." in n and not n.startswith("load.")
    ]
    assert postgres_targets
    for name in postgres_targets:
        assert data["targets"][name]["value"] is None and data["targets"][name]["met"] is None
    text = markdown_path.read_text()
    for name in report.figures:
        assert f"`{name}`" in text
    assert "postgres: not measured (SQLite only was asked for)" in text
    million = report.figures["scaling.postgres.1000000.search_facets.p95_ms"]
    assert million.value is None and "make bench-scaling" in million.note


def test_a_tiny_run_has_the_scaling_curve_and_a_load_test(tiny_run):
    report, _data, _markdown = tiny_run
    for size in (650, 700):
        for request in ("search_facets", "supplier_page", "area_overview", "saving"):
            figure = report.figures[f"scaling.sqlite.{size}.{request}.p95_ms"]
            assert figure.value > 0 and figure.samples == TINY.scaling_requests
        assert report.figures[f"scaling.sqlite.{size}.database_mb"].value > 0
    assert report.figures["load.sqlite.700.mixed.requests_per_s"].value > 0
    assert report.figures["load.sqlite.700.mixed.errors"].value == 0
    assert report.figures["load.sqlite.700.search_facets.p95_ms"].value > 0
    assert 30 < report.figures["load.sqlite.700.worker_memory_peak_mb"].value < 2000


def test_a_tiny_run_has_its_baselines_machine_and_versions(tiny_run):
    report, data, _markdown = tiny_run
    facets = report.figures["search.whoosh.650.facets.p95_ms"]
    assert facets.baselines == ("search.whoosh.650.fts5_baseline.p95_ms",)
    assert report.ratio(facets, facets.baselines[0]) > 0
    page = report.figures["pages.sqlite.650.supplier.curator.p95_ms"]
    assert report.ratio(page, "pages.sqlite.650.supplier_ratings_baseline.p95_ms") > 0
    for page in ("area_overview", "learning_overall", "learning_area"):
        figure = report.figures[f"insight.sqlite.700.{page}.p95_ms"]
        assert figure.samples == TINY.insight_requests
        assert report.ratio(figure, figure.baselines[0]) > 0
    assert data["machine"]["cores"] >= 1 and len(data["load_average_after"]) == 3
    assert data["versions"]["sqlite"] and data["versions"]["whoosh"] == "2.7.4"
    assert data["versions"]["commit"] is None or len(data["versions"]["commit"]) == 40
    assert [step["step"] for step in data["phases"]][:2] == [
        "sqlite: demo + 650 experiences",
        "sqlite: search at 650",
    ]


def test_which_postgresql_the_report_measures_on(monkeypatch: pytest.MonkeyPatch):
    said: list[str] = []
    monkeypatch.setenv("KB_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/kb_x")
    with postgres.bench_postgres(said.append) as url:
        assert url == "postgresql+psycopg://postgres@127.0.0.1/kb_x"
    assert said == ["postgres: measured on kb_x (KB_BENCH_DATABASE_URL; it was emptied)"]
    monkeypatch.delenv("KB_BENCH_DATABASE_URL")
    monkeypatch.setenv("KB_BENCH_POSTGRES", "off")
    with postgres.bench_postgres(said.append) as url:
        assert url is None
    assert said[-1] == "postgres: not measured (KB_BENCH_POSTGRES=off)"
    monkeypatch.delenv("KB_BENCH_POSTGRES")
    monkeypatch.setenv("KB_BENCH_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:1/x")
    with postgres.bench_postgres(said.append) as url:
        assert url is None
    assert said[-1].startswith("postgres: not measured (could not make kb_bench_report at ")
    assert said[-1].endswith("set KB_BENCH_DATABASE_URL)")
