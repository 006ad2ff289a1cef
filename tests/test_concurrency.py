"""The concurrency run (issue 9): 22 people against gunicorn with 2 workers for 60 seconds.

gunicorn reads the repository's gunicorn.conf.py, as in production: gthread workers with
KB_THREADS (default 4) threads each, so requests also run at the same time inside a worker.

On SQLite with Whoosh, and on PostgreSQL with the postgres search backend (when
KB_TEST_DATABASE_URL is set; it uses a database of its own beside that one). The demo data is
loaded as an operator would; the search index is drained by each worker's background thread,
as in production. KB_CONCURRENCY_SECONDS shortens or lengthens the run (default 60).

At the end: no 5xx and no failed request; no lost update on the findings edited at the same
time (winners read distinct versions, the stored text is the last winner's, the others got the
conflict message); no duplicate from a double submit; every experience and deviation a client
was told was saved exists with its text; and ``flask kb search check`` finds the index equal to
the database. The figures go to test-results/concurrency.json and are printed.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from kb.demo.people import DEMO_PASSWORD
from kb.experiences.models import Experience
from kb.findings.models import Finding, FindingStatus
from kb.followups.models import Deviation
from kb.submissions.models import FormSubmission
from kb.suppliers.models import Supplier, Unit
from kb.tenders.models import Contract
from tests.concurrency_client import Browser, Stats
from tests.concurrency_people import Person, Placement, Records, World
from tests.concurrency_server import ROOT, gunicorn, installation, postgres_database, server_log
from tests.conftest import POSTGRES_URL, require_postgres

SECONDS = float(os.environ.get("KB_CONCURRENCY_SECONDS", "60"))
CLIENT_TIMEOUT = float(os.environ.get("KB_CONCURRENCY_CLIENT_TIMEOUT", "120"))
RESULTS = ROOT / "test-results" / "concurrency.json"
MUNICIPALITIES = ("alvsjohamn", "bjorkvika", "dalmyra", "ekelunda", "granbacka", "hedvalla")
CASEWORKERS = [f"socsek{n}@{place}.example" for place in MUNICIPALITIES for n in (2, 3)]
COORDINATORS = [f"samordnare@{place}.example" for place in MUNICIPALITIES[:4]]
CURATOR, PROCURER = "kunskap@vidala.example", "upphandlare@vidala.example"


def read_world(engine: Engine) -> World:
    with Session(engine) as session:
        contracts = session.scalars(
            select(Contract).where(Contract.status == "aktivt").order_by(Contract.id).limit(12)
        ).all()
        placements = [
            Placement(c.units[0].id, c.tender_round.agreement_area_id, c.id)
            for c in contracts
            if c.units
        ]
        contended = session.scalars(
            select(Finding.id)
            .where(Finding.status.in_([FindingStatus.PROPOSED, FindingStatus.ACCEPTED]))
            .order_by(Finding.id)
            .limit(3)
        ).all()
        suppliers = session.scalars(select(Supplier.id).order_by(Supplier.id).limit(20)).all()
        units = session.scalars(select(Unit.id).order_by(Unit.id).limit(20)).all()
    assert placements and len(contended) == 3
    return World(placements, list(contended), list(suppliers), list(units), DEMO_PASSWORD)


def caseworker(person: Person) -> None:
    own: list[int] = []
    while person.running():
        roll = person.rng.random()
        if roll < 0.25 or (roll < 0.5 and not own):
            saved = person.new_experience(twice=False)
            own += [saved] if saved else []
        elif roll < 0.35:
            saved = person.new_experience(twice=True)
            own += [saved] if saved else []
        elif roll < 0.5:
            person.edit_experience(own)
        elif roll < 0.75:
            person.search()
        else:
            person.read(("/erfarenheter/mina",))


def curator(person: Person) -> None:
    turn = 0
    while person.running():
        if person.duel is not None:  # both duellists edit the same finding at the same time
            person.edit_finding(person.world.contended_findings[turn % 3])
            turn += 1
            if person.rng.random() < 0.3:
                person.search()
            continue
        roll = person.rng.random()
        if roll < 0.6:
            person.edit_finding(person.rng.choice(person.world.contended_findings))
        elif roll < 0.8:
            person.search()
        else:
            person.read(("/lardomar/ko",))


def coordinator(person: Person) -> None:
    while person.running():
        roll = person.rng.random()
        if roll < 0.3:
            person.new_deviation(twice=False)
        elif roll < 0.45:
            person.new_deviation(twice=True)
        elif roll < 0.8:
            person.read(("/avvikelser/", "/kontroller/", "/uppfoljningar/"))
        else:
            person.search()


def procurer(person: Person) -> None:
    while person.running():
        if person.rng.random() < 0.5:
            person.search()
        else:
            person.read(("/avtalsomraden",))


def cast(
    duel: threading.Barrier,
) -> list[tuple[str, Callable[[Person], None], threading.Barrier | None]]:
    """Who takes part: (e-mail, what they do, the duel they are in)."""
    return [
        *((email, caseworker, None) for email in CASEWORKERS),
        (CURATOR, curator, duel),
        (CURATOR, curator, duel),
        (CURATOR, curator, None),
        (CURATOR, curator, None),
        *((email, coordinator, None) for email in COORDINATORS),
        (PROCURER, procurer, None),
        (PROCURER, procurer, None),
    ]


def run_people(base_url: str, world: World) -> tuple[Stats, Records, float]:
    stats, records = Stats(), Records()
    duel = threading.Barrier(2)
    people = []
    for number, (email, role, barrier) in enumerate(cast(duel), start=1):
        browser = Browser(base_url, stats, CLIENT_TIMEOUT)
        browser.sign_in(email, world.password)
        people.append(
            (role, Person(browser, world, records, 0.0, number, random.Random(number), barrier))
        )
    started = time.monotonic()
    threads = []
    for role, person in people:
        person.deadline = started + SECONDS
        threads.append(
            threading.Thread(target=role, args=(person,), name=f"person-{person.number}")
        )
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SECONDS + 5 * CLIENT_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a client thread did not finish"
    return stats, records, time.monotonic() - started


def check_findings(session: Session, records: Records, initial: dict[int, int]) -> dict:
    wins: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for finding_id, read, marker in records.finding_wins:
        wins[finding_id].append((read, marker))
    for finding_id, version in initial.items():
        finding = session.get(Finding, finding_id)
        reads = sorted(read for read, _marker in wins[finding_id])
        assert len(reads) == len(set(reads)), f"two edits of {finding_id} won from one version"
        assert finding.version == version + len(reads)
        if reads:
            last = max(wins[finding_id])[1]
            assert finding.statement_md == f"Samtidig ändring {last}."
    assert records.finding_conflicts, "no edit met a conflict: the duel never happened"
    return {"wins": len(records.finding_wins), "conflicts": len(records.finding_conflicts)}


def check_created(session: Session, records: Records, before: dict[str, int]) -> None:
    new_experiences = session.scalars(
        select(Experience).where(Experience.id > before["experience"])
    ).all()
    assert sorted(e.id for e in new_experiences) == sorted(records.experiences.values())
    for experience in new_experiences:
        assert records.experiences[experience.submission_key] == experience.id
        assert records.experience_texts[experience.id] in experience.worked_md
    new_deviations = session.scalars(
        select(Deviation).where(Deviation.id > before["deviation"])
    ).all()
    assert sorted(d.id for d in new_deviations) == sorted(
        i for i, _m in records.deviations.values()
    )
    by_id = {d.id: d for d in new_deviations}
    for key, (deviation_id, marker) in records.deviations.items():
        assert marker in by_id[deviation_id].description_md
        stored = session.get(FormSubmission, key)
        assert stored is not None and stored.result_url == f"/avvikelser/{deviation_id}"


def report(backend: str, figures: dict) -> str:
    lines = [
        f"\nSamtidighet, {backend}: {figures['clients']} klienter, {figures['requests']} anrop"
        f" på {figures['seconds']} s, {figures['errors']} fel"
    ]
    for kind, row in figures["per_kind"].items():
        statuses = ", ".join(f"{status}: {n}" for status, n in row["statuses"].items())
        lines.append(f"  {kind:<28} {row['requests']:>6}  ({statuses}; medel {row['mean_ms']} ms)")
    return "\n".join(lines)


def write_figures(backend: str, figures: dict) -> None:
    RESULTS.parent.mkdir(exist_ok=True)
    everything = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    everything[backend] = figures
    RESULTS.write_text(json.dumps(everything, indent=2, ensure_ascii=False) + "\n")


def run_and_check(setup, backend: str, capsys: pytest.CaptureFixture) -> None:
    engine = create_engine(setup.database_url)
    try:
        world = read_world(engine)
        with Session(engine) as session:
            initial = {i: session.get(Finding, i).version for i in world.contended_findings}
            before = {
                "experience": session.scalar(select(func.max(Experience.id))) or 0,
                "deviation": session.scalar(select(func.max(Deviation.id))) or 0,
            }
        with gunicorn(setup) as base_url:
            stats, records, seconds = run_people(base_url, world)
        figures = {
            **stats.summary(),
            "seconds": round(seconds, 1),
            "clients": len(cast(threading.Barrier(2))),
        }
        with capsys.disabled():
            print(report(backend, figures))
        write_figures(backend, {**figures, "checks": "not passed"})
        assert figures["errors"] == 0, f"{figures['error_samples']}\n{server_log(setup)[-4000:]}"
        assert records.surprises == [], records.surprises
        with Session(engine) as session:
            figures["findings"] = check_findings(session, records, initial)
            check_created(session, records, before)
    finally:
        engine.dispose()
    setup.flask_ok("kb", "search", "drain")
    checked = setup.flask("kb", "search", "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Indexet stämmer med databasen." in checked.stdout
    figures["search_check"] = checked.stdout.strip().splitlines()[0]
    write_figures(backend, {**figures, "checks": "passed"})


def test_sqlite_and_whoosh_under_concurrent_load(tmp_path: Path, capsys) -> None:
    setup = installation(tmp_path, f"sqlite:///{tmp_path / 'kb.sqlite'}", "whoosh")
    run_and_check(setup, "sqlite-whoosh", capsys)


def test_postgresql_under_concurrent_load(tmp_path: Path, capsys) -> None:
    if not POSTGRES_URL:
        require_postgres()
    with postgres_database(POSTGRES_URL) as database_url:
        setup = installation(tmp_path, database_url, "postgres")
        run_and_check(setup, "postgresql", capsys)
