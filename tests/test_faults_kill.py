"""Processes killed with SIGKILL part-way (issue 9, faults): nothing half done survives.

Each operation runs in a real subprocess (tests/fault_kill.py) against the test's file SQLite
database or PostgreSQL, with the same instance folder (and so the same Whoosh index). What is
injected, from that script and never through a hook in the app: at a chosen point, the nth
SQL statement matching a pattern or inside Whoosh's commit before its table of contents is
written, the process writes a marker file and waits; the test sees the marker and sends
SIGKILL. After the "restart" (this process reading the same database) nothing of the killed
operation is there, the operation then succeeds in full, ``flask kb search drain`` finishes
the queued index work and ``flask kb search check`` reports no difference.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from config import BASE_DIR
from kb.audit.models import AuditRecord
from kb.auth.models import User
from kb.experiences.models import Experience, ExperienceRating, ExperienceStatus
from kb.findings.models import Finding, FindingStatus
from kb.imports.bulk import BULK_TRIGGERS
from kb.imports.models import ImportBatch
from kb.requirements.models import RequirementVersion
from kb.search.models import SearchOutbox
from kb.search.whoosh_files import damage
from kb.suppliers.models import Supplier
from kb.tender_drafts.generate import generate_draft
from kb.tender_drafts.models import DraftStatus, TenderDraft
from kb.tenders.models import TenderRound
from kb.themes import Theme
from tests.conftest import csrf_token_from
from tests.draft_world import DraftWorld, build_draft_world
from tests.experience_world import build_world
from tests.factories import Factory
from tests.import_helpers import write_csv
from tests.test_rating_totals import fresh, stored

# Finalising flushes twice: the frozen versions (with their audit and outbox rows), then the
# applied findings and the draft's new status (with theirs), and commits.
HALF_FINALISED = {"sql": r"^UPDATE findings SET status", "nth": 1}
ALL_BUT_THE_COMMIT = {"sql": r"^INSERT INTO search_outbox", "nth": 2}
# The import inserts the batch row, then the experiences, their ratings, audit records and
# outbox rows (executemany on SQLite, with two rating_totals triggers dropped meanwhile; COPY on
# PostgreSQL, which SQLAlchemy's events do not see), then sets the batch's counts and commits.
IMPORT_WITHOUT_TRIGGERS = {"sql": r"^INSERT INTO audit_records", "nth": 1}
IMPORT_ALL_BUT_THE_COMMIT = {"sql": r"^UPDATE import_batches", "nth": 1}
IMPORTS = [
    pytest.param("sqlite", IMPORT_WITHOUT_TRIGGERS, id="sqlite-triggers-dropped"),
    pytest.param("postgresql", IMPORT_ALL_BUT_THE_COMMIT, id="postgresql-last"),
]
BEFORE_THE_TABLE_OF_CONTENTS = {"whoosh": "before_toc"}
INDEXED_NOT_DEQUEUED = {"sql": r"^DELETE FROM search_outbox", "nth": 1}


@pytest.fixture
def search_backend() -> str:
    return "whoosh"


@pytest.fixture
def app(app, search_backend):
    app.config["SEARCH_BACKEND"] = search_backend
    return app


def run_and_kill(app, tmp_path: Path, operation: str, pause: dict, **arguments: object) -> None:
    """Run the operation in a subprocess, wait for it to reach the pause, and SIGKILL it."""
    marker = tmp_path / f"paused-{uuid.uuid4().hex}"
    spec = {
        "database_url": app.config["SQLALCHEMY_DATABASE_URI"],
        "instance_path": str(app.config["INSTANCE_PATH"]),
        "search_backend": app.config["SEARCH_BACKEND"],
        "marker": str(marker),
        "pause": pause,
        "operation": operation,
        **arguments,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fault_kill", json.dumps(spec)],
        cwd=BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 90
    while not marker.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            errors = process.communicate()[1]
            pytest.fail(f"{operation} never reached {pause} (exit {process.returncode}):\n{errors}")
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    errors = process.communicate(timeout=30)[1]
    assert process.returncode == -signal.SIGKILL, errors


def search_cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["kb", "search", *args])


def assert_drain_resumes_and_index_equals_database(app, app_db) -> None:
    drained = search_cli(app, "drain")
    assert drained.exit_code == 0, drained.output
    with app_db() as session:
        assert session.scalar(select(func.count(SearchOutbox.id))) == 0
    checked = search_cli(app, "check")
    assert checked.exit_code == 0 and "Indexet stämmer med databasen." in checked.output, (
        checked.output
    )


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# --- (a) finalising a tender draft ---------------------------------------------------------


def draft_state(app_db, draft_id: int) -> dict:
    with app_db() as session:
        draft = session.get(TenderDraft, draft_id)
        return {
            "status": draft.status,
            "finalised_at": draft.finalised_at,
            "frozen": set(
                session.scalars(
                    select(RequirementVersion.id).where(RequirementVersion.frozen_at.is_not(None))
                )
            ),
            "findings": {
                f.id: (f.status, f.applied_in_round_id) for f in session.scalars(select(Finding))
            },
            "audit": count(session, AuditRecord),
            "outbox": count(session, SearchOutbox),
        }


@pytest.fixture
def draft(app, app_db, make) -> tuple[DraftWorld, int]:
    with app_db() as session:
        world = build_draft_world(session, make)
        procurer = session.scalar(select(User).where(User.email == world.procurer))
        draft = generate_draft(procurer, session.get(TenderRound, world.next_round_id))
        session.commit()
        return world, draft.id


FINALISATIONS = [
    pytest.param("sqlite", HALF_FINALISED, id="sqlite-half"),
    pytest.param("sqlite", ALL_BUT_THE_COMMIT, id="sqlite-last"),
    pytest.param("postgresql", ALL_BUT_THE_COMMIT, id="postgresql-last"),
]


@pytest.mark.parametrize(("database_url", "pause"), FINALISATIONS, indirect=["database_url"])
def test_a_finalisation_killed_part_way_leaves_the_draft_as_it_was(
    app, app_db, client, login, draft, tmp_path, pause
):
    world, draft_id = draft
    before = draft_state(app_db, draft_id)
    assert before["status"] == DraftStatus.DRAFT
    run_and_kill(
        app, tmp_path, "finalise", pause,
        draft_id=draft_id, email=world.procurer, password=Factory.PASSWORD,
    )  # fmt: skip
    assert draft_state(app_db, draft_id) == before  # no version frozen, no finding applied

    login(world.procurer)
    page = client.get(f"/underlag/{draft_id}").get_data(as_text=True)
    finalised = client.post(
        f"/underlag/{draft_id}/faststall", data={"csrf_token": csrf_token_from(page)}
    )
    assert finalised.status_code == 302
    after = draft_state(app_db, draft_id)
    assert after["status"] == DraftStatus.FINAL and after["finalised_at"] is not None
    assert after["frozen"] > before["frozen"]
    applied = {world.findings[k] for k in ("change", "remove", "add", "market", "followup")}
    now_applied = {
        i for i, (status, _) in after["findings"].items() if status == FindingStatus.APPLIED
    }
    assert now_applied == applied
    with app_db() as session:
        logged = session.scalars(
            select(AuditRecord).where(
                AuditRecord.entity == "TenderDraft", AuditRecord.entity_id == str(draft_id)
            )
        ).all()
        statuses = [r.changes["status"] for r in logged if "status" in r.changes]
        assert statuses == [[None, "utkast"], ["utkast", "faststalld"]]  # created, finalised
    assert_drain_resumes_and_index_equals_database(app, app_db)


# --- (b) an import ---------------------------------------------------------------------------

IMPORT_ROWS = 30


def experiences_file(tmp_path: Path, org_number: str) -> Path:
    header = (
        "extern_id;leverantor_organisationsnummer;verksamhet;avtalsomrade;avtalsreferens;"
        "placeringstyp;lagrum;aldersgrupp;start;slut;slutorsak;placera_igen;dygnspris;"
        "vad_fungerade;" + ";".join(f"betyg_{t.value}" for t in Theme)
    )
    ratings = ";".join(str(1 + n % 5) for n in range(len(Theme)))
    rows = [
        f"avbrott-{n};{org_number};Provgården;Provområde HVB;PRV-B;behandling;lvu;13-15;"
        f"2023-03;2023-11;planerat;ja;3 450;Import nummer {n} om kvällsbemanningen.;{ratings}"
        for n in range(IMPORT_ROWS)
    ]
    return write_csv(tmp_path / "erfarenheter.csv", [header, *rows])


def import_state(app_db) -> dict:
    with app_db() as session:
        state = {
            "batches": count(session, ImportBatch),
            "experiences": count(session, Experience),
            "ratings": count(session, ExperienceRating),
            "audit": count(session, AuditRecord),
            "outbox": count(session, SearchOutbox),
        }
        assert stored(session) == fresh(session)  # rating_totals agree with the ratings
        if session.get_bind().dialect.name == "sqlite":
            triggers = session.scalars(text("SELECT name FROM sqlite_master WHERE type='trigger'"))
            assert set(BULK_TRIGGERS) <= set(triggers)
        return state


@pytest.mark.parametrize(("database_url", "pause"), IMPORTS, indirect=["database_url"])
def test_an_import_killed_part_way_leaves_no_row_of_the_batch(app, app_db, make, tmp_path, pause):
    with app_db() as session:
        world = build_world(session, make)
        org_number = session.scalar(select(Supplier.org_number))
    path = experiences_file(tmp_path, org_number)
    before = import_state(app_db)
    run_and_kill(
        app, tmp_path, "import", pause, file=str(path),
        email=world.caseworker_email,
    )  # fmt: skip
    assert import_state(app_db) == before  # no batch, no experience, no rating, no audit

    imported = app.test_cli_runner().invoke(
        args=["kb", "import", "experiences", str(path), "--as", world.caseworker_email]
    )
    assert imported.exit_code == 0, imported.output
    after = import_state(app_db)
    assert after["batches"] == 1
    assert after["experiences"] == before["experiences"] + IMPORT_ROWS
    with app_db() as session:
        batch_id = session.scalar(select(ImportBatch.id))
        audited = session.scalar(
            select(func.count(AuditRecord.id)).where(AuditRecord.batch_id == batch_id)
        )
        assert audited == IMPORT_ROWS  # one record per created experience, ratings within
        assert count(session, ExperienceRating) == before["ratings"] + IMPORT_ROWS * len(Theme)
    assert_drain_resumes_and_index_equals_database(app, app_db)


# --- (c) an outbox drain -----------------------------------------------------------------------


@pytest.fixture
def queued_work(app, app_db, make) -> list[int]:
    """An index built from the world, then five new experiences queued for it."""
    with app_db() as session:
        world = build_world(session, make)
    assert search_cli(app, "rebuild").exit_code == 0
    assert search_cli(app, "drain").exit_code == 0
    with app_db() as session:
        author = session.scalar(select(User).where(User.email == world.caseworker_email))
        for n in range(5):
            session.add(
                Experience(
                    organisation_id=author.organisation_id,
                    author_id=author.id,
                    unit_id=world.unit_id,
                    agreement_area_id=world.area_id,
                    start_year=2023,
                    start_month=1 + n,
                    status=ExperienceStatus.SUBMITTED,
                    worked_md=f"Nattbemanningen brast vecka {n}.",
                )
            )
        session.commit()
        return list(session.scalars(select(SearchOutbox.id).order_by(SearchOutbox.id)))


DRAINS = [
    pytest.param("sqlite", "whoosh", BEFORE_THE_TABLE_OF_CONTENTS, id="sqlite-whoosh-before-toc"),
    pytest.param("sqlite", "whoosh", INDEXED_NOT_DEQUEUED, id="sqlite-whoosh-before-dequeue"),
    pytest.param(
        "postgresql", "whoosh", INDEXED_NOT_DEQUEUED, id="postgresql-whoosh-before-dequeue"
    ),
    pytest.param("postgresql", "postgres", INDEXED_NOT_DEQUEUED, id="postgresql-postgres"),
]


@pytest.mark.parametrize(
    ("database_url", "search_backend", "pause"), DRAINS, indirect=["database_url"]
)
def test_a_drain_killed_part_way_loses_nothing_and_resumes(
    app, app_db, queued_work, tmp_path, search_backend, pause
):
    assert len(queued_work) == 5
    run_and_kill(app, tmp_path, "drain", pause)
    with app_db() as session:
        rows = session.scalars(select(SearchOutbox).order_by(SearchOutbox.id)).all()
        assert [(r.id, r.attempts) for r in rows] == [(i, 0) for i in queued_work]
    if search_backend == "whoosh":
        assert damage(Path(app.config["WHOOSH_INDEX_PATH"])) is None  # whole, lock freed
    assert_drain_resumes_and_index_equals_database(app, app_db)
