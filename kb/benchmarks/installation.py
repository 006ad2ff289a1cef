"""An installation served as an operator would: migrated, demo data, index, gunicorn.

Everything runs in subprocesses: ``flask db upgrade``, ``flask kb demo [--scale N]``,
``flask kb search rebuild``, then ``gunicorn "wsgi:app"`` on a free 127.0.0.1 port with the
production settings (KB_ENV=production, search drained by a background thread after each
commit). gunicorn reads the repository's gunicorn.conf.py (gthread workers, KB_THREADS threads
each); the command line sets the port, the worker count and the timeouts. Plain http on
127.0.0.1 means secure cookies are off. Used by the load test and by the concurrency and
two-server tests.
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

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Installation:
    database_url: str
    env: dict[str, str]
    folder: Path

    def flask(self, *args: str, timeout: float = 3600) -> subprocess.CompletedProcess:
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
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)}:\n{done.stdout}\n{done.stderr}")
        return done.stdout


def served_installation(
    folder: Path, database_url: str, search_backend: str, name: str = "kb", **settings: str
) -> Installation:
    """The environment an operator would set for a database that is already installed."""
    env = {
        **os.environ,
        "KB_INSTANCE_PATH": str(folder / "instance"),
        "DATABASE_URL": database_url,
        "SEARCH_BACKEND": search_backend,
        "SECRET_KEY": f"{name}-" + os.urandom(8).hex(),
        "KB_ENV": "production",
        "KB_SECURE_COOKIES": "0",
        "KB_SEARCH_SYNC": "thread",
        "PYTHONUNBUFFERED": "1",
        **settings,
    }
    env.pop("KB_TEST_DATABASE_URL", None)
    return Installation(database_url, env, folder)


def installation(
    folder: Path,
    database_url: str,
    search_backend: str,
    scale: int = 0,
    name: str = "kb",
    **settings: str,
) -> Installation:
    """Migrate, load the demo (and ``scale`` generated experiences) and build the index."""
    setup = served_installation(folder, database_url, search_backend, name, **settings)
    setup.flask_ok("db", "upgrade")
    setup.flask_ok("kb", "demo", *(["--scale", str(scale)] if scale else []))
    setup.flask_ok("kb", "search", "rebuild")
    return setup


@dataclass(frozen=True)
class Served:
    base_url: str
    process: subprocess.Popen
    log: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(served: Served, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped:\n{served.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(served.base_url + "/logga-in", timeout=5) as answer:
                if answer.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer in time:\n{served.log.read_text()[-3000:]}")


@contextmanager
def gunicorn(env: dict[str, str], log: Path, workers: int = 2) -> Iterator[Served]:
    """Serve the app with env; stop gracefully (SIGTERM) when done. Output goes to log."""
    port = free_port()
    with log.open("w") as output:
        process = subprocess.Popen(
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
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    served = Served(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_until_serving(served)
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(90)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)
