"""Tell a database that cannot answer now from other database errors.

A stopped or restarting PostgreSQL, a dropped connection, an exhausted pool or a SQLite file
locked by another process all mean "try again shortly": the pages answer 503 with Retry-After,
the API too (kb.api.errors). Anything else stays an error of the program (500).
"""

from __future__ import annotations

import sqlite3
from contextlib import suppress

import psycopg
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from kb.extensions import db

RETRY_AFTER_SECONDS = 30
TITLE = _l("Kunskapsbanken är tillfälligt otillgänglig")
MESSAGE = _l(
    "Databasen svarar inte just nu. Försök igen om en stund. Det du sparat tidigare finns "
    "kvar, men det du skickade nyss har inte sparats: skicka det igen när sidan fungerar."
)
SQLITE_BUSY = ("database is locked", "database table is locked", "unable to open database file")


def _busy_sqlite(error: BaseException) -> bool:
    text = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and any(m in text for m in SQLITE_BUSY)


def is_database_unavailable(error: BaseException | None) -> bool:
    """Whether the error means the database cannot be reached or is busy right now."""
    if isinstance(error, DisconnectionError | PoolTimeoutError):
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated or isinstance(error, InterfaceError):
            return True
        if isinstance(error, OperationalError):
            return is_database_unavailable(error.orig)
        return False
    # psycopg's OperationalError: the connection failed, the server shut down, a lock or
    # statement timed out, the server's disk is full. Its InterfaceError: a closed connection.
    if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return True
    return _busy_sqlite(error) if error is not None else False


def discard_session() -> None:
    """Roll back what the request had begun; a dead connection may refuse even that."""
    with suppress(Exception):
        db.session.rollback()
