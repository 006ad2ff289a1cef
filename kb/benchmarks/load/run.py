"""Run locust against a served installation and collect what it measured.

locust runs headless in a subprocess (it patches the standard library with gevent, so it must
not share a process with the app or the report). Its statistics are reset once every user has
signed in, so the figures are the mix alone. gunicorn runs with the repository's
gunicorn.conf.py and KB_MAX_REQUESTS=0: no worker is recycled during the run, so the memory
figure is what a worker grows to under the load, not what a fresh one holds.
"""

from __future__ import annotations

import csv
import json
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kb.benchmarks.installation import BIN, ROOT, Installation, gunicorn
from kb.benchmarks.load.memory import WorkerMemory
from kb.benchmarks.report import Report

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
# Request names (locustfile.py) -> the figure names in the report
REQUEST_TYPES = {
    "sida: start": "start_page",
    "sida: leverantör": "supplier_page",
    "sida: verksamhet": "unit_page",
    "sida: avtalsområde": "area_page",
    "sida: mina erfarenheter": "my_experiences",
    "sök med facetter": "search_facets",
    "spara erfarenhet: formulär": "experience_form",
    "spara erfarenhet": "saving",
    "avvikelse: formulär": "deviation_form",
    "avvikelse: spara": "deviation_save",
    "lärdom: formulär": "finding_form",
    "lärdom: spara": "finding_save",
}
# Signing in is not part of the mix; the statistics are reset once every user has signed in,
# but a sign-in finishing just after that is still counted, under these names.
SIGN_IN = {"inloggning: sida": "sign_in_page", "inloggning": "sign_in"}


@dataclass
class RequestFigures:
    name: str
    requests: int
    failures: int
    median_ms: float
    p95_ms: float
    p99_ms: float
    requests_per_s: float


@dataclass
class LoadResult:
    backend: str
    experiences: int
    users: int
    seconds: float
    workers: int
    threads: int
    total: RequestFigures
    per_type: dict[str, RequestFigures] = field(default_factory=dict)
    failure_samples: list[str] = field(default_factory=list)
    memory: dict = field(default_factory=dict)
    locust_exit_status: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _figures(row: dict[str, str]) -> RequestFigures:
    def number(key: str) -> float:
        value = row.get(key, "") or "0"
        return float(value) if value != "N/A" else 0.0

    return RequestFigures(
        name=row["Name"],
        requests=int(number("Request Count")),
        failures=int(number("Failure Count")),
        median_ms=number("50%"),
        p95_ms=number("95%"),
        p99_ms=number("99%"),
        requests_per_s=number("Requests/s"),
    )


def read_locust_csv(prefix: Path) -> tuple[RequestFigures, dict[str, RequestFigures], list[str]]:
    """The aggregated row, one row per request name, and samples of the failures."""
    with Path(f"{prefix}_stats.csv").open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    total = next(_figures(row) for row in rows if row["Name"] == "Aggregated")
    per_type = {row["Name"]: _figures(row) for row in rows if row["Name"] != "Aggregated"}
    failures_path = Path(f"{prefix}_failures.csv")
    failures = []
    if failures_path.exists():
        with failures_path.open(encoding="utf-8") as file:
            failures = [
                f"{row['Method']} {row['Name']}: {row['Error'][:300]} ×{row['Occurrences']}"
                for row in csv.DictReader(file)
            ]
    return total, per_type, failures


def run_locust(
    base_url: str, world_file: Path, users: int, seconds: int, prefix: Path, env: dict[str, str]
) -> subprocess.CompletedProcess:
    spawn_rate = users  # every user starts (and signs in) at once, before the reset
    return subprocess.run(
        [
            str(BIN / "locust"),
            "--locustfile", str(LOCUSTFILE),
            "--headless",
            "--host", base_url,
            "--users", str(users),
            "--spawn-rate", str(spawn_rate),
            "--run-time", f"{seconds + 3}s",
            "--reset-stats",
            "--stop-timeout", "10",
            "--csv", str(prefix),
            "--only-summary",
            "--loglevel", "WARNING",
        ],
        cwd=ROOT,
        env={**env, "KB_LOAD_WORLD": str(world_file), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=seconds + 600,
    )  # fmt: skip


def load_test(
    setup: Installation,
    world: dict,
    backend: str,
    users: int = 50,
    seconds: int = 300,
    workers: int = 2,
) -> LoadResult:
    """Serve the installation with gunicorn and run the mix against it for ``seconds``."""
    folder = setup.folder
    world_file = folder / "load-world.json"
    world_file.write_text(json.dumps(world), encoding="utf-8")
    env = {**setup.env, "KB_MAX_REQUESTS": "0", "KB_WORKERS": str(workers)}
    prefix = folder / f"locust-{backend}"
    with gunicorn(env, folder / f"gunicorn-load-{backend}.log", workers) as served:
        memory = WorkerMemory(served.process.pid)
        memory.start()
        try:
            done = run_locust(served.base_url, world_file, users, seconds, prefix, env)
        finally:
            memory.stop()
    if not Path(f"{prefix}_stats.csv").exists():
        output = done.stdout[-3000:] + done.stderr[-3000:]
        raise RuntimeError(f"locust wrote no statistics:\n{output}")
    total, per_type, failures = read_locust_csv(prefix)
    return LoadResult(
        backend=backend,
        experiences=int(world["experiences"]),
        users=users,
        seconds=seconds,
        workers=workers,
        threads=int(env.get("KB_THREADS", "4")),
        total=total,
        per_type=per_type,
        failure_samples=failures[:20],
        memory=memory.summary(),
        locust_exit_status=done.returncode,
    )


def printed(result: LoadResult) -> str:
    lines = [
        f"{result.backend}: {result.experiences:,} experiences, {result.users} users, "
        f"{result.seconds} s, {result.workers} workers × {result.threads} threads",
        f"  {'request':<28} {'n':>7} {'fail':>5} {'req/s':>7} {'median':>7} {'p95':>7} {'p99':>7}",
    ]
    for figures in [*sorted(result.per_type.values(), key=lambda f: f.name), result.total]:
        lines.append(
            f"  {figures.name:<28} {figures.requests:>7} {figures.failures:>5} "
            f"{figures.requests_per_s:>7.1f} {figures.median_ms:>7.0f} {figures.p95_ms:>7.0f} "
            f"{figures.p99_ms:>7.0f}"
        )
    memory = result.memory
    lines.append(
        f"  worker memory: peak {memory.get('peak_mb')} MB, after the run "
        f"{memory.get('after_mb')} MB ({memory.get('workers_seen')} workers seen)"
    )
    lines += [f"  failure: {sample}" for sample in result.failure_samples]
    return "\n".join(lines)


def record(report: Report, db_name: str, size: int, result: LoadResult) -> None:
    """Put the load test's figures into the make bench report."""
    prefix = f"load.{db_name}.{size}"
    common = {"size": size, "samples": result.total.requests}
    report.record(
        f"{prefix}.mixed.requests_per_s",
        f"Mixed load, {result.users} users for {result.seconds} s, requests/s",
        result.total.requests_per_s, "requests/s", "load", **common,
    )  # fmt: skip
    report.record(
        f"{prefix}.mixed.errors", "Mixed load, failed requests", result.total.failures,
        "errors", "load", **common,
    )  # fmt: skip
    mix = [figures for name, figures in result.per_type.items() if name not in SIGN_IN]
    slowest = max(mix, key=lambda figures: figures.p95_ms)
    report.record(
        f"{prefix}.slowest_request_type.p95_ms",
        f"Mixed load, p95 of the slowest request type ({slowest.name})",
        slowest.p95_ms, "ms", "load", **common,
    )  # fmt: skip
    for name, figures in sorted(result.per_type.items()):
        key = REQUEST_TYPES.get(name) or SIGN_IN[name]
        for quantile, value in (
            ("median", figures.median_ms), ("p95", figures.p95_ms), ("p99", figures.p99_ms)
        ):  # fmt: skip
            report.record(
                f"{prefix}.{key}.{quantile}_ms", f"Mixed load: {name}, {quantile}", value,
                "ms", "load", size=size, samples=figures.requests,
            )  # fmt: skip
    report.record(
        f"{prefix}.worker_memory_peak_mb",
        f"Peak resident memory of a gunicorn worker ({result.workers} workers)",
        result.memory.get("peak_mb"), "MB", "load", size=size,
    )  # fmt: skip
    report.record(
        f"{prefix}.worker_memory_after_mb", "Resident memory of a worker after the load test",
        result.memory.get("after_mb"), "MB", "load", size=size,
    )  # fmt: skip
