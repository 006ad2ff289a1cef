"""JSON errors for /api/v1: {"error": {"code", "message", "details"}}, with Swedish messages.

Codes are stable: clients may branch on them. Messages are for people and may change.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from kb.extensions import db
from kb.main import unavailable

API_PREFIX = "/api/v1"

HTTP_ERRORS: dict[int, tuple[str, Any]] = {
    400: ("bad_request", _l("Begäran kunde inte tolkas.")),
    401: ("unauthorized", _l("Ange en giltig API-nyckel: Authorization: Bearer <nyckel>.")),
    403: ("forbidden", _l("Du har inte behörighet till det här.")),
    404: ("not_found", _l("Det du söker finns inte, eller så får du inte se det.")),
    405: ("method_not_allowed", _l("Metoden är inte tillåten för den här adressen.")),
    409: ("conflict", _l("Begäran krockar med det som redan finns.")),
    413: ("payload_too_large", _l("Det du skickade är för stort.")),
    415: ("unsupported_media_type", _l("Skicka innehållet som application/json.")),
    422: ("validation_failed", _l("Uppgifterna uppfyller inte reglerna.")),
    429: ("too_many_requests", _l("För många förfrågningar. Vänta en stund och försök igen.")),
    500: (
        "internal_error",
        _l("Ett oväntat fel inträffade. Ingenting har sparats. Försök igen senare."),
    ),
    503: ("database_unavailable", unavailable.API_MESSAGE),
}


class ApiError(Exception):
    """An error answered as JSON with a stable code and a Swedish message."""

    def __init__(
        self, status: int, code: str, message: Any | None = None, details: Any = None
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def error_response(
    status: int, code: str | None = None, message: Any | None = None, details: Any = None
) -> Response:
    default_code, default_message = HTTP_ERRORS.get(status, HTTP_ERRORS[400])
    body = {
        "error": {
            "code": code or default_code,
            "message": str(message or default_message),
            "details": details,
        }
    }
    response = jsonify(body)
    response.status_code = status if status in HTTP_ERRORS else 400
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="kunskapsbanken"'
    return response


def is_api_request() -> bool:
    path = request.path
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def handle_api_error(error: ApiError) -> Response:
    if error.status >= 400:
        db.session.rollback()
    return error_response(error.status, error.code, error.message, error.details)


def handle_http_error(error: HTTPException) -> Response:
    status = error.code or 500
    if status >= 500:
        db.session.rollback()
    response = error_response(status if status in HTTP_ERRORS else 400)
    if status == 405 and isinstance(error, HTTPException) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def database_unavailable_response() -> Response:
    response = error_response(503)
    response.headers["Retry-After"] = str(unavailable.RETRY_AFTER_SECONDS)
    return response


def handle_server_error(error: Exception) -> Response:
    if unavailable.is_database_unavailable(error):
        current_app.logger.warning(
            "Databasen svarar inte (%s %s): %s", request.method, request.path, error
        )
        unavailable.give_up_on_database()
        return database_unavailable_response()
    current_app.logger.error("API error on %s %s", request.method, request.path, exc_info=error)
    db.session.rollback()
    return error_response(500)


def register(app_or_blueprint: Any) -> None:
    """Answer every error raised in an API view as JSON."""
    app_or_blueprint.register_error_handler(ApiError, handle_api_error)
    app_or_blueprint.register_error_handler(HTTPException, handle_http_error)
    app_or_blueprint.register_error_handler(Exception, handle_server_error)
