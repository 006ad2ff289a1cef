"""A private, throwaway PostgreSQL cluster that a test may stop and start.

The machine's own cluster is shared with other test runs and CI, so it is never stopped. This
one lives in a temporary folder: ``initdb`` with trust authentication, a free port on
127.0.0.1 and its socket in the same folder, run as the ``postgres`` OS user when the tests
run as root (PostgreSQL refuses to run as root). ``KB_PG_BINDIR`` names the server's
programs; otherwise the newest /usr/lib/postgresql/<version>/bin is used.

Without initdb the tests that need it skip with a Swedish reason, or fail under
KB_REQUIRE_POSTGRES=1, like the other PostgreSQL tests (tests/conftest.py).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from tests.conftest import REQUIRE_POSTGRES

SERVER_USER = "postgres"


def server_programs() -> Path | None:
    """The folder holding initdb and pg_ctl, or None."""
    named = os.environ.get("KB_PG_BINDIR")
    candidates = [Path(named)] if named else []
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        versions = sorted(root.iterdir(), key=lambda p: int(p.name) if p.name.isdigit() else 0)
        candidates += [version / "bin" for version in reversed(versions)]
    return next((c for c in candidates if (c / "initdb").is_file()), None)


def require_private_cluster() -> Path:
    """The server's programs, or skip (fail under KB_REQUIRE_POSTGRES=1) saying what is missing."""
    programs = server_programs()
    problem = None
    if programs is None:
        problem = "initdb saknas (installera postgresql eller sätt KB_PG_BINDIR)"
    elif os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            problem = f"användaren {SERVER_USER} saknas, och PostgreSQL kör inte som root"
    if problem is None:
        return programs
    message = f"Databasavbrottstestet behöver ett eget PostgreSQL-kluster: {problem}"
    if REQUIRE_POSTGRES:
        pytest.fail(message + " (KB_REQUIRE_POSTGRES=1)")
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateCluster:
    def __init__(self, programs: Path, folder: Path) -> None:
        self.programs, self.folder = programs, folder
        self.data, self.log = folder / "data", folder / "server.log"
        self.port = _free_port()

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.programs / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{program} failed:\n{result.stdout}\n{result.stderr}"

    def init(self) -> None:
        self._run(
            "initdb",
            *("-D", str(self.data), "-U", SERVER_USER, "--auth=trust"),
            *("--encoding=UTF8", "--locale=C", "--no-sync"),
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SERVER_USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=SERVER_USER, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    """A started cluster in a temporary folder; stopped and removed afterwards."""
    programs = require_private_cluster()
    folder = Path(tempfile.mkdtemp(prefix="kb-pg-"))  # /tmp, which the server user can reach
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVER_USER)
        os.chown(folder, account.pw_uid, account.pw_gid)
    cluster = PrivateCluster(programs, folder)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        if cluster.running():
            cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)
