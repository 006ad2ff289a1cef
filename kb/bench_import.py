"""``make bench import``: import 100,000 experiences from a generated CSV, validated and written
as one batch, then indexed by draining the search outbox (measured separately: indexing runs
behind the import, as it does in the app).

The demo data is loaded first, so the units, areas and contracts the file names exist. Size:
KB_BENCH_IMPORT_ROWS (default 100000). The drain is measured for at most
KB_BENCH_IMPORT_DRAIN_SECONDS (default 120). Runs on SQLite; set KB_BENCH_DATABASE_URL to a
PostgreSQL URL to measure there too (that database is emptied).
"""

from __future__ import annotations

import csv
import os
import random
import tempfile
import time
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from kb.audit.context import acting_as
from kb.benchmarks.report import Report
from kb.benchmarks.worlds import BENCH_ACTOR, bench_app, dispose, fresh_demo
from kb.extensions import db
from kb.imports.services import ImportRequest, run_import
from kb.organisations.models import Organisation, OrganisationKind
from kb.search.models import SearchOutbox
from kb.search.outbox import drain_once
from kb.search.service import backend_for
from kb.suppliers.models import Unit
from kb.tenders.models import Contract
from kb.themes import Theme

DRAIN_SECONDS = float(os.environ.get("KB_BENCH_IMPORT_DRAIN_SECONDS", "120"))
PHRASES = (
    "Tydlig genomförandeplan och regelbunden rapportering.",
    "Bemanningen var stabil och kontaktpersonen lätt att nå.",
    "Skolgången fungerade efter en trög start.",
    "Avvikelser rapporterades sent och utan åtgärdsplan.",
    "Samverkan med socialtjänsten **fungerade väl**.",
    "Ungdomen blev delaktig i planeringen.",
    "Lokalerna var slitna men trygga.",
    "Hälso- och sjukvårdskontakter sköttes föredömligt.",
)


class Timer:
    """Progress that records when each stage starts."""

    def __init__(self) -> None:
        self.starts: dict[str, float] = {}

    def start(self, stage: str, total: int) -> None:
        self.starts[stage] = time.perf_counter()

    def advance(self, count: int) -> None:
        return None


def _placements() -> list[tuple[str, str, str, str, int]]:
    """(contract reference, supplier org number, unit name, area name, first year) to use."""
    found = []
    for contract in db.session.scalars(select(Contract).where(Contract.reference.is_not(None))):
        area = contract.tender_round.agreement_area
        start = contract.tender_round.contract_start
        for unit in contract.units:
            if area in unit.agreement_areas and start is not None and start.year < 2025:
                found.append(
                    (contract.reference, contract.supplier.org_number, unit.name, area.name, start)
                )
    return found  # type: ignore[return-value]


def write_csv(path: Path, rows: int, rng: random.Random) -> None:
    placements = _placements()
    headers = [
        "extern_id", "leverantor_organisationsnummer", "verksamhet", "avtalsomrade",
        "avtalsreferens", "placeringstyp", "lagrum", "aldersgrupp", "start", "slut",
        "slutorsak", "placera_igen", "dygnspris", "vad_fungerade", "vad_fungerade_inte",
        *(f"betyg_{theme.value}" for theme in Theme),
    ]  # fmt: skip
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(headers)
        for number in range(rows):
            reference, org, unit, area, start = rng.choice(placements)
            month = start.month + rng.randint(0, 11)
            year, month = start.year + (month - 1) // 12, (month - 1) % 12 + 1
            ongoing = rng.random() < 0.3
            writer.writerow(
                [
                    f"bench-{number:07d}", org, unit, area, reference,
                    rng.choice(("akut", "utredning", "behandling", "stod")),
                    rng.choice(("sol", "lvu")), rng.choice(("13-15", "16-17", "18-20")),
                    f"{year}-{month:02d}", "" if ongoing else f"{year + 1}-{month:02d}",
                    "pagar" if ongoing else rng.choice(("planerat", "sammanbrott", "flytt")),
                    rng.choice(("ja", "nej", "osaker")), f"{rng.randint(2500, 6000)},50",
                    " ".join(rng.sample(PHRASES, 2)), rng.choice(PHRASES),
                    *(rng.choice(("1", "2", "3", "4", "5", "ej aktuellt")) for _ in Theme),
                ]
            )  # fmt: skip


def _drain(app, seconds: float) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    """Drain the outbox as the app's drainer would, for at most the given time."""
    backend, applied, started = backend_for(app), 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        done = drain_once(backend).applied
        if not done:
            break
        applied += done
    return applied, time.perf_counter() - started


def _import(app: Flask, folder: Path, rows: int, drain_seconds: float) -> dict[str, float]:
    """Import rows generated experiences into the demo world; return the stage timings."""
    with app.app_context(), acting_as(BENCH_ACTOR):
        backend_for(app).rebuild([])
        db.session.execute(db.delete(SearchOutbox))
        db.session.commit()
        path = folder / "erfarenheter.csv"
        write_csv(path, rows, random.Random(5))
        organisation = db.session.scalar(
            select(Organisation.id).where(Organisation.kind == OrganisationKind.MUNICIPALITY)
        )
        timer = Timer()
        started = time.perf_counter()
        result = run_import(
            ImportRequest("experiences", path, path.name, organisation, None), timer
        )
        db.session.commit()
        finished = time.perf_counter()
        assert result.ok, [p.as_text() for p in result.problems[:5]]
        queued = db.session.scalar(select(func.count()).select_from(SearchOutbox))
        drained, drained_seconds = _drain(app, drain_seconds)
        return {
            "validate": timer.starts["write"] - started,
            "write": finished - timer.starts["write"],
            "validate_and_write": finished - started,
            "queued": queued,
            "drained": drained,
            "drain": drained_seconds,
            "megabytes": path.stat().st_size / 1_048_576,
            "units": db.session.scalar(select(func.count()).select_from(Unit)),
        }


def measure_import(
    report: Report, app: Flask, db_name: str, folder: Path, rows: int, drain_seconds: float
) -> None:
    label = "whoosh" if db_name == "sqlite" else db_name
    took = _import(app, folder, rows, drain_seconds)
    prefix = f"import.{db_name}.{rows}"
    rates = {
        stage: report.record(
            f"{prefix}.{stage}.rows_per_s", f"CSV import of {rows:,} experiences: {text}",
            rows / took[stage], "rows/s", "import", size=rows,
        )
        for stage, text in (
            ("validate", "read + validate"),
            ("write", "write + commit"),
            ("validate_and_write", "read, validate, write and commit"),
        )
    }  # fmt: skip
    drain = report.record(
        f"{prefix}.search_drain.rows_per_s", f"Search drain after the import ({label})",
        took["drained"] / took["drain"] if took["drain"] else None, "rows/s", "import", size=rows,
        note=f"{took['drained']:,} of {took['queued']:,} queued rows in {took['drain']:.1f} s",
    )  # fmt: skip
    print(
        f"import {label}: {rows:,} experiences, {took['megabytes']:.1f} MB CSV, "
        f"{took['units']} units in the register"
    )
    for stage, text in (
        ("validate", "read+validate"),
        ("write", "write+commit "),
        ("validate_and_write", "total        "),
    ):
        print(f"import {label}: {text} {took[stage]:6.1f} s  {rates[stage].value:8,.0f} rows/s")
    print(
        f"import {label}: index drain   {took['drain']:6.1f} s  {drain.value or 0:8,.0f} "
        f"outbox rows/s ({took['drained']:,} of {took['queued']:,} queued; "
        "the rest stays queued for the drainer)"
    )


def run(report: Report, db_name: str, url: str, folder: Path, rows: int) -> None:
    app = bench_app(url, folder, "whoosh" if db_name == "sqlite" else "postgres")
    fresh_demo(app)
    measure_import(report, app, db_name, folder, rows, DRAIN_SECONDS)
    dispose(app)


def main() -> None:
    rows = int(os.environ.get("KB_BENCH_IMPORT_ROWS", "100000"))
    postgres_url = os.environ.get("KB_BENCH_DATABASE_URL")
    report = Report()
    with tempfile.TemporaryDirectory() as folder:
        run(report, "sqlite", f"sqlite:///{Path(folder) / 'bench.sqlite'}", Path(folder), rows)
    if postgres_url:
        with tempfile.TemporaryDirectory() as folder:
            run(report, "postgres", postgres_url, Path(folder), rows)
    else:
        print("import postgres: not measured (set KB_BENCH_DATABASE_URL to a PostgreSQL URL)")


if __name__ == "__main__":
    main()
