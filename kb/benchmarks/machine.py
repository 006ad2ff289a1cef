"""What the figures were measured on: the machine, its load, and the software versions."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from config import BASE_DIR


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1_048_576, 1)
    except OSError:
        pass
    return None


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def machine() -> dict[str, Any]:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "system": f"{platform.system()} {platform.release()}",
    }


def _git(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *arguments], cwd=BASE_DIR, capture_output=True, text=True, check=False
    )


def git_commit() -> dict[str, Any]:
    """HEAD, and whether tracked files differ from it (untracked files are not counted)."""
    head = _git("rev-parse", "HEAD")
    if head.returncode != 0:
        return {"commit": None, "changed_files": None}
    changed = _git("diff", "--name-only", "HEAD").stdout.split()
    return {"commit": head.stdout.strip(), "changed_files": len(changed)}


def postgres_server_version(url: str | None) -> str | None:
    if not url:
        return None
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SHOW server_version")).scalar()
    finally:
        engine.dispose()


def versions(postgres_url: str | None) -> dict[str, Any]:
    import whoosh

    packages = ("SQLAlchemy", "Flask", "psycopg", "Werkzeug")
    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql_server": postgres_server_version(postgres_url),
        "whoosh": whoosh.versionstring(),
        **{name.lower(): metadata.version(name) for name in packages},
        **git_commit(),
    }
