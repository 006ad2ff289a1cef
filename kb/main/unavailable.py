"""Tell a database that cannot answer now from other database errors.

A stopped or restarting PostgreSQL, a dropped connection, an exhausted pool, a SQLite file
locked by another process or a full disk under the database all mean "try again shortly": the
pages answer 503 with Retry-After, the API too (kb.api.errors). Anything else (a missing
table, a violated constraint) stays an error of the program: 500.
"""

from __future__ import annotations

import sqlite3
from contextlib import suppress

import psycopg
from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from kb.extensions import db, login_manager

RETRY_AFTER_SECONDS = 30
TITLE = _l("Kunskapsbanken är tillfälligt otillgänglig")
MESSAGE = _l(
    "Databasen svarar inte just nu. Försök igen om en stund. Det du sparat tidigare finns "
    "kvar, men det du skickade nyss har inte sparats: skicka det igen när sidan fungerar."
)
API_MESSAGE = _l(
    "Databasen svarar inte just nu. Försök igen om en stund; det som skickades har inte sparats."
)
SQLITE_UNAVAILABLE = (
    "database is locked",
    "database table is locked",
    "unable to open database file",
    "database or disk is full",
    "disk i/o error",
)


def _sqlite_unavailable(error: BaseException) -> bool:
    text = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and any(
        message in text for message in SQLITE_UNAVAILABLE
    )


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
    return _sqlite_unavailable(error) if error is not None else False


def give_up_on_database() -> None:
    """Roll back what the request had begun (a dead connection may refuse even that) and treat
    the rest of the request as signed out, so that what runs after the error (the request
    log, templates) does not ask the database for the signed-in user again."""
    with suppress(Exception):
        db.session.rollback()
    g._login_user = login_manager.anonymous_user()  # Flask-Login's per-request user
