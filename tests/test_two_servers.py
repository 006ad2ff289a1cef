"""Two app servers, one PostgreSQL database (issue 10): what one does, the other shows.

Two gunicorn instances on different loopback ports serve one migrated PostgreSQL database with
SEARCH_BACKEND=postgres and the same SECRET_KEY, as an intermediary's load balancer would see
them. Both drain the search outbox after their own commits.
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, text

from tests.concurrency_client import Browser, Stats, post_forms_on
from tests.concurrency_people import Person, Records
from tests.concurrency_server import gunicorn, installation, postgres_database
from tests.conftest import POSTGRES_URL, require_postgres
from tests.test_concurrency import read_world

CASEWORKER, CURATOR = "socsek2@alvsjohamn.example", "kunskap@vidala.example"
SAVERS = 8  # threads saving through both servers at once
# A log of every write to a search document, made by this test in its own database only.
APPLIED_LOG = """
CREATE TABLE applied_search_writes (key text, at timestamptz DEFAULT clock_timestamp());
CREATE FUNCTION log_search_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO applied_search_writes (key) VALUES (NEW.key); RETURN NEW; END $$;
CREATE TRIGGER log_search_write AFTER INSERT OR UPDATE ON search_documents
  FOR EACH ROW EXECUTE FUNCTION log_search_write();
"""


def _found_by_search(browser: Browser, word: str) -> bool:
    page = browser.get("sök", "/sok?" + urlencode({"q": word}))
    return page is not None and page.status == 200 and word in page.body


def _pause(browser: Browser, contract_id: int) -> None:
    page = browser.get("avtal", f"/avtal/{contract_id}")
    assert page is not None and page.status == 200
    (form,) = [f for f in post_forms_on(page.body) if f.value("to_status") is not None]
    answer = browser.post(
        "avtal",
        form.action,
        form.filled(
            {
                "to_status": "uteslutet",
                "changed_on": time.strftime("%Y-%m-%d"),
                "decision_reference": "Beslut 2026:17",
                "reason": "Tillfälligt uteslutet i väntan på IVO:s granskning.",
            }
        ),
    )
    assert answer is not None and answer.status == 302, answer.body[:2000] if answer else None


def test_two_servers_share_one_database(tmp_path: Path) -> None:
    if not POSTGRES_URL:
        require_postgres()
    with postgres_database(POSTGRES_URL) as database_url:
        setup = installation(tmp_path, database_url, "postgres")
        engine = create_engine(database_url)
        world = read_world(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql(APPLIED_LOG)
        try:
            with gunicorn(setup, 1, "a") as server_a, gunicorn(setup, 1, "b") as server_b:
                _check_sessions_searches_and_contracts(server_a, server_b, world)
                saved = _save_through_both_at_once(server_a, server_b, world)
                _check_each_save_indexed_exactly_once(engine, saved)
        finally:
            engine.dispose()


def _check_sessions_searches_and_contracts(server_a: str, server_b: str, world) -> None:
    stats = Stats()
    # One cookie jar for both addresses: signed in through A, the session works on B.
    browser = Browser(server_a, stats, 30)
    browser.sign_in(CASEWORKER, world.password)
    browser.base_url = server_b
    start = browser.get("start", "/")
    assert start is not None and start.status == 200 and "Logga ut" in start.body

    # Saved through A, found by search through B within a second.
    browser.base_url = server_a
    person = Person(browser, world, Records(), time.monotonic() + 60, 1, random.Random(1))
    experience_id = person.new_experience(twice=False)
    saved_at = time.monotonic()
    assert experience_id is not None, person.records.surprises
    marker = person.records.experience_texts[experience_id]
    reader = Browser(server_b, stats, 30)
    reader.sign_in(CASEWORKER, world.password)
    while not _found_by_search(reader, marker):
        assert time.monotonic() - saved_at < 1.0, "not found through the other server in 1 s"
        time.sleep(0.05)

    # A contract paused through A shows as paused through B.
    curator = Browser(server_a, stats, 30)
    curator.sign_in(CURATOR, world.password)
    contract_id = world.placements[0].contract_id
    _pause(curator, contract_id)
    curator.base_url = server_b
    page = curator.get("avtal", f"/avtal/{contract_id}")
    assert page is not None and "Tillfälligt uteslutet från avrop" in page.body
    assert "Beslut 2026:17" in page.body
    assert not stats.errors, stats.error_samples


def _save_through_both_at_once(server_a: str, server_b: str, world) -> list[int]:
    """SAVERS people, half on each server, save experiences at the same time: both servers
    drain the outbox after their commits, often at the same moment."""
    stats, records = Stats(), Records()
    people = []
    for number in range(SAVERS):
        browser = Browser((server_a, server_b)[number % 2], stats, 60)
        browser.sign_in(CASEWORKER, world.password)
        people.append(
            Person(
                browser, world, records, time.monotonic() + 60, 10 + number, random.Random(number)
            )
        )
    saved: list[int] = []
    lock = threading.Lock()

    def save_three(person: Person) -> None:
        for _ in range(3):
            found = person.new_experience(twice=False)
            if found is not None:
                with lock:
                    saved.append(found)

    threads = [threading.Thread(target=save_three, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not stats.errors and not records.surprises, (stats.error_samples, records.surprises)
    assert len(saved) == 3 * SAVERS
    return saved


def _check_each_save_indexed_exactly_once(engine, saved: list[int]) -> None:
    deadline = time.monotonic() + 30
    with engine.connect() as connection:
        while connection.scalar(text("SELECT count(*) FROM search_outbox")):
            assert time.monotonic() < deadline, "the outbox was not drained"
            time.sleep(0.2)
            connection.rollback()
        writes = dict(
            connection.execute(
                text(
                    "SELECT key, count(*) FROM applied_search_writes"
                    " WHERE key = ANY(:keys) GROUP BY key"
                ),
                {"keys": [f"experience:{number}" for number in saved]},
            ).all()
        )
    assert writes == {f"experience:{number}": 1 for number in saved}
