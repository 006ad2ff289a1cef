"""Error pages in Swedish; nothing reaches the user as a bare traceback."""

from __future__ import annotations

import sqlite3
from contextlib import suppress

from flask import Flask, Response, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from psycopg import Error as PsycopgError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from kb.api import errors as api_errors
from kb.extensions import db
from kb.main import unavailable

ERROR_TEXTS = {
    400: (
        _l("Felaktig begäran"),
        _l("Begäran kunde inte tolkas. Kontrollera uppgifterna och försök igen."),
    ),
    403: (_l("Åtkomst nekad"), _l("Du har inte behörighet till den här sidan.")),
    404: (
        _l("Sidan finns inte"),
        _l("Sidan eller uppgiften du söker finns inte, eller har tagits bort."),
    ),
    405: (_l("Metoden är inte tillåten"), _l("Sidan kan inte användas på det här sättet.")),
    413: (_l("För stor begäran"), _l("Det du skickade är för stort.")),
    429: (_l("För många försök"), _l("Vänta en stund och försök igen.")),
    500: (
        _l("Något gick fel"),
        _l(
            "Ett oväntat fel inträffade. Ingenting av det du sparat tidigare har gått förlorat. "
            "Försök igen, och kontakta administratören om felet kvarstår."
        ),
    ),
}


def _render(status: int, detail: str | None = None) -> Response | tuple[str, int]:
    """The error page; the page layout asks for the signed-in user, so a database that cannot
    answer turns any error page into the 503 page."""
    title, text = ERROR_TEXTS.get(status, ERROR_TEXTS[400])
    try:
        page = render_template("errors/error.html", status=status, title=title, text=detail or text)
    except Exception as error:
        if unavailable.is_database_unavailable(error):
            return _database_unavailable(error)
        raise
    return page, status


def _handle_csrf(error: CSRFError) -> Response | tuple[str, int]:
    return _render(
        400,
        str(
            _l(
                "Formuläret har gått ut eller saknar säkerhetstoken. "
                "Ladda om sidan och försök igen."
            )
        ),
    )


def _handle_http(error: HTTPException) -> Response | tuple[str, int]:
    if api_errors.is_api_request():  # an /api/v1 address no API view matched
        return api_errors.handle_http_error(error)
    status = error.code or 500
    return _render(status if status in ERROR_TEXTS else 400)


def _handle_server_error(error: Exception) -> Response | tuple[str, int]:
    original = getattr(error, "original_exception", None)
    if unavailable.is_database_unavailable(original):  # e.g. from rendering another error page
        return _database_unavailable(original)
    with suppress(Exception):  # the connection may be what failed
        db.session.rollback()
    if api_errors.is_api_request():
        return api_errors.handle_server_error(error)
    return _render(500)


def _database_unavailable(error: BaseException) -> Response:
    """503 without touching the database: the page is rendered without the context
    processors, which would load the signed-in user."""
    unavailable.give_up_on_database()
    current_app.logger.warning(
        "Databasen svarar inte (%s %s): %s", request.method, request.path, error
    )
    if api_errors.is_api_request():
        return api_errors.database_unavailable_response()
    retry_url = request.full_path.rstrip("?") if request.method == "GET" else request.path
    page = current_app.jinja_env.get_template("errors/unavailable.html").render(
        title=unavailable.TITLE, text=unavailable.MESSAGE, status=503, retry_url=retry_url
    )
    response = Response(page, 503, mimetype="text/html")
    response.headers["Retry-After"] = str(unavailable.RETRY_AFTER_SECONDS)
    return response


def _handle_database_error(error: Exception) -> Response:
    """503 when the database cannot answer now; any other database error is the program's
    and goes on to the 500 handling as if unhandled."""
    if unavailable.is_database_unavailable(error):
        return _database_unavailable(error)
    raise error


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(InternalServerError, _handle_server_error)
    app.register_error_handler(SQLAlchemyError, _handle_database_error)
    app.register_error_handler(PsycopgError, _handle_database_error)
    app.register_error_handler(sqlite3.Error, _handle_database_error)
