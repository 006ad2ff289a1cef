"""One app, one database and one world per test module, shared by every fuzz example in it.

Each user of the world has a signed-in test client. Before every request its session cookie is
put back to the one it had after signing in, so examples never see each other's flash messages
or a sign-out; after every request that changed the database, the database is put back (see
tests/fuzz_database.py). The number of examples and requests that ran is added to
test-results/fuzz-count.txt when the module ends.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from config import TestConfig
from kb import create_app
from kb.database import Base
from kb.extensions import db
from tests.conftest import csrf_token_from, require_postgres
from tests.factories import Factory
from tests.fuzz_database import Snapshot, restore
from tests.fuzz_html import HtmlForm, form_posting_to
from tests.fuzz_world import FuzzWorld, build_fuzz_world

COUNT_FILE = Path(__file__).resolve().parent.parent / "test-results" / "fuzz-count.txt"
SESSION_COOKIE = "session"


def examples(default: int) -> int:
    """Examples per property and target: KB_FUZZ_EXAMPLES_SCALE multiplies every default."""
    return max(1, round(default * float(os.environ.get("KB_FUZZ_EXAMPLES_SCALE", "1"))))


# Shrinking a failure takes minutes with these inputs; the first failing example is reported
# as found unless KB_FUZZ_SHRINK=1 asks for the smallest one.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + (
    [Phase.shrink] if os.environ.get("KB_FUZZ_SHRINK") == "1" else []
)


def run_examples(default: int, body: Callable[[st.DataObject], None]) -> None:
    """Run ``body`` with Hypothesis, on fixed examples (derandomize) so CI repeats them.

    The test's fixtures stay out of Hypothesis's sight: handed to a ``@given`` test, the
    module's world made Hypothesis report a failing example as "inconsistent data generation"
    instead of the failure."""

    @settings(
        max_examples=examples(default),
        deadline=None,
        derandomize=True,
        database=None,
        phases=PHASES,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        body(data)

    run()


@dataclass
class Outcome:
    """What one request did: the answer, the flash messages it left, and the database after."""

    status: int
    location: str
    body: str
    flashes: list[tuple[str, str]]
    after: Snapshot
    changed: list[str]
    error: str = ""  # a traceback when the app raised
    job: dict | None = None  # an import's job record

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def error_flashed(self) -> bool:
        return any(category == "error" for category, _message in self.flashes)


@dataclass(repr=False, eq=False)
class FuzzSession:
    app: Flask
    world: FuzzWorld
    sqlite_copy: str | None
    backend: str
    clients: dict[str, FlaskClient] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    baseline: Snapshot | None = None
    counts: Counter = field(default_factory=Counter)
    _forms: dict[tuple[str, str, str], HtmlForm] = field(default_factory=dict)

    def __repr__(self) -> str:  # short: Hypothesis prints it with every failing example
        return f"<FuzzSession {self.backend}>"

    # -- clients ------------------------------------------------------------------------------

    def sign_in_everyone(self) -> None:
        for number, (key, email) in enumerate(sorted(self.world.users.items()), start=1):
            client = self.app.test_client()
            client.environ_base["REMOTE_ADDR"] = f"10.99.0.{number}"
            token = csrf_token_from(client.get("/logga-in").get_data(as_text=True))
            data = {"email": email, "password": Factory.PASSWORD, "csrf_token": token}
            response = client.post("/logga-in", data=data)
            assert response.status_code == 302, response.get_data(as_text=True)[:300]
            client.get("/profil")  # a page with a form puts the CSRF secret in the session
            self.cookies[key] = client.get_cookie(SESSION_COOKIE).value
            self.clients[key] = client
        anonymous = self.app.test_client()
        anonymous.environ_base["REMOTE_ADDR"] = "10.99.1.1"
        anonymous.get("/logga-in")  # a session with a CSRF secret, kept like the others'
        self.cookies["anonymous"] = anonymous.get_cookie(SESSION_COOKIE).value
        self.clients["anonymous"] = anonymous

    def client(self, user: str) -> FlaskClient:
        client = self.clients[user]
        if user in self.cookies:
            client.set_cookie(SESSION_COOKIE, self.cookies[user])
        else:
            client.delete_cookie(SESSION_COOKIE)
        return client

    def form(self, user: str, page: str, action: str) -> HtmlForm:
        """The form on ``page`` that posts to ``action``, as the user sees it (cached: the
        database is the same every time the page is read)."""
        key = (user, page, action)
        if key not in self._forms:
            response = self.client(user).get(page)
            assert response.status_code == 200, f"{page}: {response.status_code}"
            found = form_posting_to(response.get_data(as_text=True), page, action)
            assert found is not None, f"no form posting to {action} on {page}"
            self._forms[key] = found
        return self._forms[key]

    # -- requests -----------------------------------------------------------------------------

    @contextmanager
    def request(self, user: str, method: str, url: str, **kwargs: Any) -> Iterator[Outcome]:
        """Send one request and yield what it did; afterwards the database is put back."""
        self.counts["requests"] += 1
        client = self.client(user)
        try:
            response = client.open(url, method=method, **kwargs)
            status, body = response.status_code, response.get_data(as_text=True)
            location, error = response.headers.get("Location", ""), ""
        except Exception as raised:  # with TESTING on, Flask hands us the app's exception
            frames = traceback.format_tb(raised.__traceback__)
            frames = "".join([f for f in frames if "/kb/" in f][-4:] + frames[-2:])
            error = f"{frames}{type(raised).__name__}: {str(raised)[:800]}"
            status, body, location = 500, "", ""
        job = self._wait_for_job(client, location) if "/import/jobb/" in location else None
        flashes = self._flashes(client)
        after = Snapshot.take(self.engine)
        outcome = Outcome(status, location, body, flashes, after, [], error, job)
        outcome.changed = self.baseline.changed_tables(after)
        try:
            yield outcome
        finally:
            if outcome.changed:
                restore(self.engine, self.baseline, after, self.sqlite_copy)

    def _flashes(self, client: FlaskClient) -> list[tuple[str, str]]:
        if client.get_cookie(SESSION_COOKIE) is None:
            return []
        with client.session_transaction() as session:
            return list(session.get("_flashes", []))

    def _wait_for_job(self, client: FlaskClient, location: str) -> dict:
        for _attempt in range(400):
            record = client.get(location.split("?")[0] + ".json").get_json()
            if record.get("state") != "running":
                return record
            time.sleep(0.025)
        raise AssertionError(f"the import at {location} did not finish")

    @property
    def engine(self):  # type: ignore[no-untyped-def]
        with self.app.app_context():
            return db.engine


# --- The module fixture -----------------------------------------------------------------------


def _database_url(backend: str, folder: Path, sqlite_template: Path, postgres_engine) -> str:
    if backend == "sqlite":
        path = folder / "fuzz.sqlite"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    if postgres_engine is None:
        require_postgres()
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with postgres_engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return str(postgres_engine.url.render_as_string(hide_password=False))


def open_session(backend: str, folder: Path, sqlite_template: Path, postgres_engine):
    url = _database_url(backend, folder, sqlite_template, postgres_engine)
    search = "whoosh" if backend == "sqlite" else "postgres"  # each as in production
    app = create_app(
        TestConfig,
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": folder / "instance",
            "SEARCH_BACKEND": search,
        },
    )

    @contextmanager
    def app_db() -> Iterator:
        with app.app_context():
            yield db.session
            db.session.rollback()

    with app_db() as session:
        world = build_fuzz_world(session, Factory(app_db), folder)
    fuzz = FuzzSession(app, world, None, backend)
    fuzz.sign_in_everyone()
    fuzz.baseline = Snapshot.take(fuzz.engine)
    if backend == "sqlite":
        fuzz.sqlite_copy = str(folder / "baseline.sqlite")
        fuzz.engine.dispose()
        shutil.copyfile(url.removeprefix("sqlite:///"), fuzz.sqlite_copy)
    return fuzz


def record_counts(module: str, backend: str, counts: Counter) -> None:
    """Keep one line per module and backend in test-results/fuzz-count.txt, and totals."""
    COUNT_FILE.parent.mkdir(exist_ok=True)
    lines = COUNT_FILE.read_text().splitlines() if COUNT_FILE.exists() else []
    table = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 4 and parts[0] not in ("total", "#"):
            table[(parts[0], parts[1])] = (int(parts[2]), int(parts[3]))
    table[(module, backend)] = (counts["examples"], counts["requests"])
    out = ["# module backend examples requests"]
    out += [f"{m} {b} {e} {r}" for (m, b), (e, r) in sorted(table.items())]
    for each in sorted({b for _m, b in table}):
        rows = [v for (_m, b), v in table.items() if b == each]
        out.append(f"total {each} {sum(e for e, _ in rows)} {sum(r for _, r in rows)}")
    COUNT_FILE.write_text("\n".join(out) + "\n")


def fuzz_fixture():  # type: ignore[no-untyped-def]
    """A module-scoped ``fuzz`` fixture for a test module: ``fuzz = fuzz_fixture()``."""

    @pytest.fixture(scope="module", params=["sqlite", "postgresql"])
    def fuzz(request, tmp_path_factory, sqlite_template, postgres_engine):  # type: ignore[no-untyped-def]
        folder = tmp_path_factory.mktemp("fuzz")
        session = open_session(request.param, folder, sqlite_template, postgres_engine)
        yield session
        record_counts(Path(request.module.__file__).name, session.backend, session.counts)
        with session.app.app_context():
            db.session.remove()
            db.engine.dispose()

    return fuzz
