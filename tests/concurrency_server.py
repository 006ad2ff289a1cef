"""An installation for the concurrency run: migrated database, demo data, index, gunicorn.

Everything is done as an operator would: ``flask db upgrade``, ``flask kb demo`` and
``flask kb search rebuild`` in subprocesses, then ``gunicorn "wsgi:app"`` with 2 workers on a
free 127.0.0.1 port, with the production settings (KB_ENV=production, search drained by a
background thread after each commit). Plain http on 127.0.0.1 means secure cookies are off.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Installation:
    database_url: str
    env: dict[str, str]
    folder: Path

    def flask(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def flask_ok(self, *args: str) -> str:
        done = self.flask(*args)
        assert done.returncode == 0, f"flask {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout


def installation(folder: Path, database_url: str, search_backend: str) -> Installation:
    """Migrate, load the demo and build the index."""
    env = {
        **os.environ,
        "KB_INSTANCE_PATH": str(folder / "instance"),
        "DATABASE_URL": database_url,
        "SEARCH_BACKEND": search_backend,
        "SECRET_KEY": "samtidighet-" + os.urandom(8).hex(),
        "KB_ENV": "production",
        "KB_SECURE_COOKIES": "0",
        "KB_SEARCH_SYNC": "thread",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("KB_TEST_DATABASE_URL", None)
    setup = Installation(database_url, env, folder)
    setup.flask_ok("db", "upgrade")
    setup.flask_ok("kb", "demo")
    setup.flask_ok("kb", "search", "rebuild")
    return setup


@contextmanager
def postgres_database(test_url: str) -> Iterator[str]:
    """A database of its own next to the test database, dropped afterwards."""
    url = make_url(test_url)
    name = f"{url.database}_samtidighet"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(base_url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"gunicorn stopped:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(base_url + "/logga-in", timeout=5) as answer:
                if answer.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"gunicorn did not answer in time:\n{log.read_text()[-3000:]}")


@contextmanager
def gunicorn(setup: Installation, workers: int = 2, name: str = "gunicorn") -> Iterator[str]:
    """Serve the installation; stop gracefully (SIGTERM) when done. The log is <name>.log."""
    port = free_port()
    log = setup.folder / f"{name}.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "120",
                "--graceful-timeout",
                "60",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=setup.env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base_url, server, log)
        yield base_url
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(90)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(30)


def server_log(setup: Installation) -> str:
    path = setup.folder / "gunicorn.log"
    return path.read_text() if path.exists() else ""
