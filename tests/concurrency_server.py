"""An installation for the concurrency run: kb/benchmarks/installation.py, with the demo only,
served by gunicorn with 2 workers; and a PostgreSQL database of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kb.benchmarks.installation import ROOT, Installation
from kb.benchmarks.installation import gunicorn as serve
from kb.benchmarks.installation import installation as install

__all__ = ["ROOT", "Installation", "gunicorn", "installation", "postgres_database", "server_log"]


def installation(folder: Path, database_url: str, search_backend: str) -> Installation:
    """Migrate, load the demo and build the index."""
    return install(folder, database_url, search_backend, name="samtidighet")


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


@contextmanager
def gunicorn(setup: Installation, workers: int = 2, name: str = "gunicorn") -> Iterator[str]:
    """Serve the installation; stop gracefully (SIGTERM) when done. The log is <name>.log."""
    with serve(setup.env, setup.folder / f"{name}.log", workers) as served:
        yield served.base_url


def server_log(setup: Installation) -> str:
    path = setup.folder / "gunicorn.log"
    return path.read_text() if path.exists() else ""
