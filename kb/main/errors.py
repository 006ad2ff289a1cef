"""Error pages in Swedish; nothing reaches the user as a bare traceback."""

from __future__ import annotations

from flask import Flask, Response, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from kb.api import errors as api_errors
from kb.extensions import db

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


def _render(status: int, detail: str | None = None) -> tuple[str, int]:
    title, text = ERROR_TEXTS.get(status, ERROR_TEXTS[400])
    return render_template(
        "errors/error.html", status=status, title=title, text=detail or text
    ), status


def _handle_csrf(error: CSRFError) -> tuple[str, int]:
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
    db.session.rollback()
    if api_errors.is_api_request():
        return api_errors.handle_server_error(error)
    return _render(500)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(InternalServerError, _handle_server_error)
