"""PostgreSQL: online backup with ``pg_dump -Fc`` and restore with ``pg_restore``.

pg_dump reads everything in one repeatable-read snapshot, so the dump is consistent while the
app writes. Connection parameters come from the SQLAlchemy URL and reach the tools through
libpq's environment variables; the password is never on a command line. The client tools must
have the server's major version: an older pg_dump cannot dump a newer server, and a newer one
writes settings (e.g. transaction_timeout) that an older server rejects on restore.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import SQLAlchemyError

from kb.backup.services import (
    BackupError,
    BackupSummary,
    disk_message,
    human_size,
    publish,
    temporary_beside,
)

REQUIRED_TABLES = frozenset({"organisations", "users", "experiences", "audit_records"})
QUERY_ENVIRONMENT = {
    "host": "PGHOST",
    "port": "PGPORT",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}
TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (\S+) (\S+) ", re.MULTILINE)
DUMPED_BY = re.compile(r"Dumped by pg_dump version: (\d+)")
TOOL_VERSION = re.compile(r"\(PostgreSQL\)\s+(\S+)")


def connection_environment(url: URL) -> dict[str, str]:
    """libpq variables for the URL's database, the password included (PGPASSWORD)."""
    environment = dict(os.environ)
    for key, value in url.query.items():
        if key in QUERY_ENVIRONMENT:
            environment[QUERY_ENVIRONMENT[key]] = value if isinstance(value, str) else value[0]
    values = {"PGHOST": url.host, "PGPORT": url.port, "PGUSER": url.username}
    values |= {"PGPASSWORD": url.password, "PGDATABASE": url.database}
    environment |= {name: str(value) for name, value in values.items() if value}
    return environment


def find_tool(name: str) -> str:
    """The path of pg_dump or pg_restore: in KB_PG_BINDIR when set, else on the PATH."""
    bindir = os.environ.get("KB_PG_BINDIR")
    found = str(Path(bindir) / name) if bindir else shutil.which(name)
    if not found or not os.access(found, os.X_OK):
        raise BackupError(
            f"{name} hittades inte{f' i {bindir}' if bindir else ''}. Installera "
            "PostgreSQL-klientprogrammen i serverns huvudversion (Debian: sudo apt-get install "
            "postgresql-client) eller ange deras katalog i KB_PG_BINDIR."
        )
    return found


def _run(command: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(command, env=environment, capture_output=True, text=True)
    except OSError as error:
        raise BackupError(f"{command[0]} gick inte att starta: {error}.") from error


def _tail(stderr: str) -> str:
    return " ".join(stderr.strip().splitlines()[-3:]) or "inget felmeddelande"


def _major(version: str) -> int:
    match = re.search(r"(\d+)", version)
    if not match:
        raise BackupError(f"Versionen {version!r} gick inte att tolka.")
    return int(match.group(1))


def server_major(engine: Engine) -> int:
    try:
        with engine.connect() as connection:
            number = connection.execute(text("SHOW server_version_num")).scalar_one()
    except SQLAlchemyError as error:
        raise BackupError(f"Databasen går inte att nå: {error.__cause__ or error}") from error
    return int(number) // 10000


def tool_version(tool: str) -> str:
    """The version a client tool reports, e.g. '15.20'."""
    match = TOOL_VERSION.search(_run([tool, "--version"], dict(os.environ)).stdout)
    if not match:
        raise BackupError(f"{tool} --version gav ingen PostgreSQL-version.")
    return match.group(1)


def require_matching_version(tool: str, engine: Engine) -> str:
    """Refuse client tools whose major version differs from the server's; return theirs."""
    client_version = tool_version(tool)
    client, server = _major(client_version), server_major(engine)
    if client != server:
        raise BackupError(
            f"{Path(tool).name} har version {client} men databasservern kör PostgreSQL "
            f"{server}. Använd klientprogram med samma huvudversion (Debian: sudo apt-get "
            f"install postgresql-client-{server}, och sätt KB_PG_BINDIR="
            f"/usr/lib/postgresql/{server}/bin)."
        )
    return client_version


def backup_postgres(engine: Engine, target: Path) -> BackupSummary:
    """Dump the database in custom format to a temporary file and rename it to target."""
    pg_dump = find_tool("pg_dump")
    version = require_matching_version(pg_dump, engine)
    environment = connection_environment(engine.url)
    with temporary_beside(target) as temporary:
        command = [pg_dump, "--format=custom", "--no-password", f"--file={temporary}"]
        result = _run(command, environment)
        if result.returncode != 0:
            if "No space left" in result.stderr:
                raise BackupError(disk_message(target, OSError(28, result.stderr)))
            raise BackupError(f"pg_dump misslyckades: {_tail(result.stderr)}")
        tables, revisions = read_archive(temporary)
        size = publish(temporary, target)
    details = [f"{len(tables)} tabeller", f"pg_dump {version}, eget format (-Fc)"]
    return BackupSummary(target, size, "postgresql", ", ".join(revisions) or None, details)


def read_archive(path: Path) -> tuple[set[str], list[str]]:
    """Check that path is a pg_dump archive of this app; return its tables and revisions."""
    pg_restore = find_tool("pg_restore")
    listing = _run([pg_restore, "--list", str(path)], dict(os.environ))
    if listing.returncode != 0:
        raise BackupError(
            f"Säkerhetskopian {path} går inte att läsa ({_tail(listing.stderr)}). "
            "Databasen har inte ändrats."
        )
    tables = {name for _schema, name in TOC_TABLE.findall(listing.stdout)}
    missing = REQUIRED_TABLES - tables
    if missing:
        raise BackupError(
            f"Arkivet {path} är ingen säkerhetskopia av Kunskapsbanken (tabeller saknas: "
            f"{', '.join(sorted(missing))}). Databasen har inte ändrats."
        )
    dumped_by = DUMPED_BY.search(listing.stdout)
    restore_major = _major(tool_version(pg_restore))
    if dumped_by and int(dumped_by.group(1)) > restore_major:
        raise BackupError(
            f"Säkerhetskopian gjordes med pg_dump {dumped_by.group(1)}, men pg_restore har "
            f"version {restore_major}. Använd klientprogram av minst samma version."
        )
    return tables, _archive_revisions(pg_restore, path, "alembic_version" in tables)


def _archive_revisions(pg_restore: str, path: Path, present: bool) -> list[str]:
    if not present:
        return []
    command = [pg_restore, "--data-only", "--table=alembic_version", "--file=-", str(path)]
    result = _run(command, dict(os.environ))
    if result.returncode != 0:
        raise BackupError(
            f"Säkerhetskopian {path} är skadad eller ofullständig ({_tail(result.stderr)}). "
            "Databasen har inte ändrats."
        )
    lines = result.stdout.splitlines()
    starts = [n for n, line in enumerate(lines) if line.startswith("COPY ")]
    if not starts:
        return []
    data = lines[starts[0] + 1 :]
    return sorted(line.strip() for line in data[: data.index("\\.")] if line.strip())


def restore_postgres(engine: Engine, path: Path) -> str:
    """Replace the configured database's objects with the archive's, in one transaction."""
    pg_restore = find_tool("pg_restore")
    require_matching_version(pg_restore, engine)
    engine.dispose()  # our pooled connections must not hold locks the DROPs wait for
    command = [
        pg_restore,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        "--no-password",
        f"--dbname={engine.url.database}",
        str(path),
    ]
    result = _run(command, connection_environment(engine.url))
    if result.returncode != 0:
        raise BackupError(
            f"pg_restore misslyckades: {_tail(result.stderr)}. Återställningen gjordes i en "
            "enda transaktion, så databasen är oförändrad."
        )
    return f"{human_size(path.stat().st_size)} återställt till databasen {engine.url.database}."
