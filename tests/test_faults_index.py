"""Faults in the search index, survived with nothing lost (issue 9, faults).

Every test runs on SQLite and on PostgreSQL (the Whoosh index is files either way). What is
injected, from the test harness (tests/fault_whoosh.py), never through a hook in the app:

- the Whoosh index folder deleted, its segment files cut to half their length or to nothing,
  or its table of contents cut in half, while the app runs;
- Whoosh's writer lock held by another process, for real;
- a full disk: every file Whoosh creates shares a budget of bytes, then writes raise ENOSPC;
- on the PostgreSQL search backend, another connection holding an EXCLUSIVE lock on the
  index table, so the drain's write runs into its lock timeout.

Afterwards the database still holds every saved experience, the work is still in the outbox,
and after ``flask kb search rebuild`` or the next drain ``flask kb search check`` reports no
difference.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text
from whoosh.reading import ReaderClosed

from config import TestConfig
from kb import create_app
from kb.auth.models import User
from kb.database import utcnow
from kb.experiences.models import Experience, ExperienceStatus
from kb.extensions import db as kb_db
from kb.search import postgres_backend, whoosh_backend
from kb.search.models import SearchOutbox
from kb.search.outbox import drain
from kb.search.service import backend_for
from kb.search.whoosh_files import damage
from tests.conftest import post_form
from tests.experience_world import World, build_world, complete_form
from tests.factories import Factory
from tests.fault_whoosh import DAMAGES, damage_index, disk_full_after, writer_lock_held

OLD_TEXT = "Familjehemsplaceringen fungerade väl och kvällsbemanningen var stabil."
NEW_TEXT = "Specialpedagogen på skolan gjorde skillnad under hela hösten."
REBUILDING = "Sökindexet byggs om just nu"


@pytest.fixture
def search_backend() -> str:
    return "whoosh"


@pytest.fixture
def app(app, search_backend):
    app.config["SEARCH_BACKEND"] = search_backend
    return app


@pytest.fixture
def world(app, app_db, make) -> World:
    """The experience world with one submitted experience, and an index built from it."""
    with app_db() as session:
        world = build_world(session, make)
        author = session.scalar(select(User).where(User.email == world.caseworker_email))
        session.add(
            Experience(
                organisation_id=author.organisation_id,
                author_id=author.id,
                unit_id=world.unit_id,
                agreement_area_id=world.area_id,
                start_year=2023,
                start_month=3,
                status=ExperienceStatus.SUBMITTED,
                worked_md=OLD_TEXT,
            )
        )
        session.commit()
    assert search_cli(app, "rebuild").exit_code == 0
    assert search_cli(app, "drain").exit_code == 0  # the setup's own queued work
    assert queued(app_db) == []
    assert_index_equals_database(app)
    return world


@pytest.fixture
def restarted(app) -> Iterator[Callable[[str], FlaskClient]]:
    """Sign in to a second app on the same database and instance folder: a process started
    after the fault, which has no index files open yet."""
    started: list[Flask] = []

    def start(email: str) -> FlaskClient:
        other = create_app(
            TestConfig,
            {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "INSTANCE_PATH")},
        )
        started.append(other)
        client = other.test_client()
        response = post_form(client, "/logga-in", {"email": email, "password": Factory.PASSWORD})
        assert response.status_code == 302
        return client

    yield start
    for other in started:
        with other.app_context():
            kb_db.session.remove()
            kb_db.engine.dispose()


def search_cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["kb", "search", *args])


def assert_index_equals_database(app) -> None:
    result = search_cli(app, "check")
    assert result.exit_code == 0, result.output
    assert "Indexet stämmer med databasen." in result.output


def index_path(app) -> Path:
    return Path(app.config["WHOOSH_INDEX_PATH"])


def queued(app_db) -> list[SearchOutbox]:
    with app_db() as session:
        rows = list(session.scalars(select(SearchOutbox).order_by(SearchOutbox.id)))
        session.expunge_all()
        return rows


def search_page(client, query: str) -> str:
    response = client.get("/sok", query_string={"q": query})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def save_through_form(client, world: World, key: str) -> int:
    data = complete_form(world, worked_md=NEW_TEXT, submission_key=key)
    response = post_form(client, "/erfarenheter/ny", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def wait_for_retry(app_db) -> None:
    """Sleep until the queued rows' back-off has passed (a few seconds at most)."""
    due = max(row.available_at for row in queued(app_db))
    time.sleep(max(0.0, (due - utcnow()).total_seconds()) + 0.05)


def assert_pages_serve(client, world: World, experience_id: int) -> None:
    for url in (
        "/",
        f"/verksamheter/{world.unit_id}",
        f"/erfarenheter/{experience_id}",
        "/erfarenheter/mina",
        "/erfarenheter/ny",
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("how", DAMAGES)
def test_a_damaged_index_keeps_the_site_up_and_the_save_queued_until_rebuilt(
    app, app_db, client, world, login, restarted, how
):
    """The index is damaged while the app runs: pages and saving still work, search says it
    is being rebuilt, the save waits in the outbox, and a rebuild makes index equal database."""
    login(world.caseworker_email)
    assert "1 träff" in search_page(client, "familjehemsplacering")  # the index is open
    damage_index(index_path(app), how)

    new_id = save_through_form(client, world, f"skada-{how}")
    assert_pages_serve(client, world, new_id)
    page = search_page(client, "kvällsbemanning")  # may still read the files it has open
    assert REBUILDING in page or how != "deleted"
    assert REBUILDING in search_page(restarted(world.caseworker_email), "kvällsbemanning")
    waiting = [(r.entity, r.entity_id, r.operation) for r in queued(app_db)]
    assert waiting == [("experience", new_id, "upsert"), ("index", 0, "rebuild")]

    rebuilt = search_cli(app, "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert_index_equals_database(app)
    assert "1 träff" in search_page(client, "specialpedagogen")
    assert "1 träff" in search_page(restarted(world.caseworker_email), "familjehemsplacering")
    drained = search_cli(app, "drain")
    assert drained.exit_code == 0 and "2 ändringar tillämpade" in drained.output
    assert queued(app_db) == []
    assert_index_equals_database(app)


@pytest.mark.parametrize("how", ["deleted", "segments-halved"])
def test_a_search_that_finds_the_index_damaged_has_the_next_drain_rebuild_it(
    app, app_db, client, world, login, restarted, how
):
    """No save needed and no operator: the search page queues a rebuild for the drainer."""
    damage_index(index_path(app), how)
    searcher = restarted(world.caseworker_email)
    assert REBUILDING in search_page(searcher, "familjehemsplacering")
    assert [(r.entity, r.operation) for r in queued(app_db)] == [("index", "rebuild")]
    assert REBUILDING in search_page(searcher, "kvällsbemanning")  # asked once is enough
    assert len(queued(app_db)) == 1
    with app.app_context():
        result = drain(backend_for(app))
    assert result.rebuilt and result.applied == 1 and queued(app_db) == []
    assert "1 träff" in search_page(searcher, "familjehemsplacering")
    assert_index_equals_database(app)


@pytest.mark.parametrize("how", DAMAGES)
def test_a_drain_that_finds_the_index_damaged_rebuilds_it_from_the_database(
    app, app_db, client, world, login, how
):
    """Rather than start an index holding only the change, the drain rebuilds all of it."""
    app.config["SEARCH_SYNC"] = "sync"
    login(world.caseworker_email)
    damage_index(index_path(app), how)
    save_through_form(client, world, f"sjalvlakning-{how}")
    assert queued(app_db) == []
    assert damage(index_path(app)) is None
    assert_index_equals_database(app)
    assert "1 träff" in search_page(client, "specialpedagogen")
    assert "1 träff" in search_page(client, "familjehemsplacering")


def test_a_writer_lock_held_by_another_process_keeps_the_change_queued_until_released(
    app, app_db, client, world, login, monkeypatch
):
    """Another process holds Whoosh's writer lock: saving and searching still work, the drain
    gives up after its timeout with the work still queued, and succeeds once it is released."""
    monkeypatch.setattr(whoosh_backend, "WRITER_TIMEOUT_SECONDS", 0.3)
    login(world.caseworker_email)
    with writer_lock_held(index_path(app)):
        new_id = save_through_form(client, world, "last-1")
        assert "1 träff" in search_page(client, "familjehemsplacering")
        held = search_cli(app, "drain")  # refused, not crashed, still queued
        assert held.exit_code == 1 and "1 ändringar ligger kvar i kön" in held.output
        assert "Traceback" not in held.output
        (row,) = queued(app_db)
        assert (row.entity, row.entity_id, row.attempts) == ("experience", new_id, 1)
        assert "låst av en annan process" in row.last_error
        assert "Inga träffar" in search_page(client, "specialpedagogen")
    wait_for_retry(app_db)
    drained = search_cli(app, "drain")
    assert drained.exit_code == 0 and "1 ändringar tillämpade" in drained.output, drained.output
    assert queued(app_db) == []
    assert_index_equals_database(app)
    assert "1 träff" in search_page(client, "specialpedagogen")


@pytest.mark.parametrize("budget", [0, 700, 10000, 15500])
def test_a_full_disk_while_writing_the_index_is_reported_and_retried(
    app, app_db, client, world, login, caplog, budget
):
    """Whoosh's writes fail with ENOSPC after `budget` bytes, part-way through the drain's
    segment or table of contents. The drain reports it, the experience stays saved, the index
    stays whole and unlocked, and the next drain with room on the disk indexes it."""
    login(world.caseworker_email)
    new_id = save_through_form(client, world, f"disk-{budget}")
    with app.app_context(), disk_full_after(budget) as disk:
        result = drain(backend_for(app))
    assert disk["left"] == 0, "the budget was never used up: no fault was injected"
    assert result.applied == 0 and result.failed == 1
    assert "Disken är full" in result.error
    (row,) = queued(app_db)
    assert (row.entity_id, row.attempts) == (new_id, 1)
    assert "Disken är full" in row.last_error and "No space left on device" in row.last_error
    assert any(
        r.name == "kb.search.outbox"
        and r.levelno == logging.WARNING
        and "Disken är full" in r.getMessage()
        for r in caplog.records
    )
    with app_db() as session:
        assert session.get(Experience, new_id).worked_md == NEW_TEXT
    assert damage(index_path(app)) is None
    difference = search_cli(app, "check")  # whole, and without the new experience yet
    assert difference.exit_code == 1
    assert f"Saknas i indexet: 1 ['experience:{new_id}']" in difference.output

    wait_for_retry(app_db)
    with app.app_context():
        assert drain(backend_for(app)).applied == 1
    assert queued(app_db) == []
    assert_index_equals_database(app)
    assert "1 träff" in search_page(client, "specialpedagogen")


@pytest.mark.parametrize("search_backend", ["postgres"])
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_failed_drain_on_the_postgres_backend_stays_queued(
    app, app_db, client, world, login, monkeypatch
):
    """Another connection holds an EXCLUSIVE lock on the index table (reads still pass), so
    the drain's upsert times out: rolled back, still queued, applied once the lock is gone."""
    monkeypatch.setattr(postgres_backend, "WRITER_TIMEOUT_SECONDS", 0.2)
    login(world.caseworker_email)
    new_id = save_through_form(client, world, "pg-las-1")
    locker = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with locker.connect() as connection:
            connection.execute(text("LOCK TABLE search_documents IN EXCLUSIVE MODE"))
            with app.app_context():
                result = drain(backend_for(app))
            assert result.failed == 1 and "lock timeout" in result.error
            (row,) = queued(app_db)
            assert (row.entity_id, row.attempts) == (new_id, 1)
            assert "lock timeout" in row.last_error
            assert "1 träff" in search_page(client, "familjehemsplacering")
            connection.rollback()
    finally:
        locker.dispose()
    wait_for_retry(app_db)
    with app.app_context():
        assert drain(backend_for(app)).applied == 1
        kb_db.session.remove()
    assert queued(app_db) == []
    assert_index_equals_database(app)
    assert "1 träff" in search_page(client, "specialpedagogen")


def test_a_search_whose_segments_a_drain_closes_meanwhile_runs_again(
    app, app_db, client, world, login, monkeypatch
):
    """Injected: between taking the searcher and reading it, another thread drains two saves
    and refreshes the searcher, which closes the readers of merged-away segments. The search
    runs again on the new generation instead of failing."""
    login(world.caseworker_email)
    save_through_form(client, world, "samtidig-1")
    backend = backend_for(app)
    search_once = backend._search
    closed = []

    def another_thread_refreshes_first(searcher, snapshot, request):
        if not closed:
            for edit in range(2):  # two index commits: the segment read so far is merged away
                with app_db() as session:
                    session.get(Experience, 1).worked_md = f"{OLD_TEXT} Ändring {edit}."
                    session.commit()
                assert drain(backend).error is None
            backend._current()
            try:
                return search_once(searcher, snapshot, request)
            except ReaderClosed:
                closed.append(True)
                raise
        return search_once(searcher, snapshot, request)

    monkeypatch.setattr(backend, "_search", another_thread_refreshes_first)
    assert "1 träff" in search_page(client, "specialpedagogen")
    assert closed == [True], "the old searcher was not closed: no fault was injected"
