"""Which PostgreSQL database ``make bench`` measures on.

KB_BENCH_DATABASE_URL names one explicitly; it is emptied, as by every bench. Without it the
report makes its own database, ``kb_bench_report``, on the server at
KB_BENCH_POSTGRES_ADMIN_URL (default: user postgres on 127.0.0.1), and drops it at the end,
so no other database is ever touched. KB_BENCH_POSTGRES=off measures SQLite only.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

REPORT_DATABASE = "kb_bench_report"
DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1/postgres"


def admin_statement(admin_url: str, statement: str) -> None:
    engine = create_engine(
        admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


@contextmanager
def bench_postgres(say) -> Iterator[str | None]:  # type: ignore[no-untyped-def]
    """Yield the PostgreSQL URL to measure on, or None (with the reason said) for none."""
    explicit = os.environ.get("KB_BENCH_DATABASE_URL")
    if explicit:
        database = make_url(explicit).database
        say(f"postgres: measured on {database} (KB_BENCH_DATABASE_URL; it was emptied)")
        yield explicit
        return
    if os.environ.get("KB_BENCH_POSTGRES", "").lower() == "off":
        say("postgres: not measured (KB_BENCH_POSTGRES=off)")
        yield None
        return
    admin_url = os.environ.get("KB_BENCH_POSTGRES_ADMIN_URL", DEFAULT_ADMIN_URL)
    try:
        admin_statement(admin_url, f"DROP DATABASE IF EXISTS {REPORT_DATABASE} WITH (FORCE)")
        admin_statement(admin_url, f"CREATE DATABASE {REPORT_DATABASE}")
    except DBAPIError as error:  # no server, or not allowed to create a database
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        say(
            f"postgres: not measured (could not make {REPORT_DATABASE} at "
            f"{make_url(admin_url).render_as_string(hide_password=True)}: {reason}; "
            "set KB_BENCH_DATABASE_URL)"
        )
        yield None
        return
    say(f"postgres: measured on {REPORT_DATABASE}, a database made for this run")
    try:
        yield (
            make_url(admin_url).set(database=REPORT_DATABASE).render_as_string(hide_password=False)
        )
    finally:
        started = time.perf_counter()
        admin_statement(admin_url, f"DROP DATABASE IF EXISTS {REPORT_DATABASE} WITH (FORCE)")
        say(f"postgres: dropped {REPORT_DATABASE} in {time.perf_counter() - started:.1f} s")
