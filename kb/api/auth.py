"""Who calls the API: a personal token in ``Authorization: Bearer <token>``, nothing else.

The token's user becomes flask_login's ``current_user`` through the login manager's request
loader, so every visibility rule of the UI applies unchanged. The browser session is never
accepted on /api/v1 (kb.auth.access ignores it there): a request without a valid token gets
401, and since no cookie authenticates a write, no CSRF token is needed (the blueprint is
exempt from CSRFProtect).
"""

from __future__ import annotations

from flask import Request, g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from kb.api.errors import ApiError, is_api_request
from kb.api.tokens import WRITE, TokenRefusal, authenticate, has_scope, touch
from kb.auth.models import Role, User
from kb.database import utcnow
from kb.extensions import db, login_manager

PUBLIC_ENDPOINTS = {"api.openapi_document"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
REFUSAL_MESSAGES = {
    TokenRefusal.MISSING: _l("Ange en API-nyckel: Authorization: Bearer <nyckel>."),
    TokenRefusal.INVALID: _l("API-nyckeln är ogiltig."),
    TokenRefusal.EXPIRED: _l("API-nyckeln har gått ut. Skapa en ny på din profilsida."),
    TokenRefusal.REVOKED: _l("API-nyckeln är återkallad. Skapa en ny på din profilsida."),
    TokenRefusal.INACTIVE_USER: _l("Kontot som äger API-nyckeln är inaktiverat."),
}


def bearer_secret(req: Request) -> str | None:
    header = req.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip() or None


@login_manager.request_loader
def load_user_from_token(req: Request) -> User | None:
    """Sign in the owner of the presented API token, for /api/v1 requests only."""
    if not is_api_request():
        return None
    outcome = authenticate(bearer_secret(req), utcnow())
    if isinstance(outcome, TokenRefusal):
        g.api_refusal = outcome
        return None
    g.api_token = outcome
    return outcome.user


def require_token() -> None:
    """Before every API view: a valid token, and the write scope for changes."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    if not current_user.is_authenticated:
        refusal = g.get("api_refusal", TokenRefusal.MISSING)
        raise ApiError(401, refusal.value, REFUSAL_MESSAGES[refusal])
    token = g.api_token
    if request.method in WRITE_METHODS and not has_scope(token, WRITE):
        raise ApiError(
            403,
            "insufficient_scope",
            _l("API-nyckeln får bara läsa. Skapa en nyckel som får läsa och skriva."),
        )
    if touch(token, utcnow()):
        db.session.commit()


def require_roles(*roles: Role) -> None:
    """The same role rule as the UI's require_role, answered as JSON."""
    if not current_user.has_role(*roles):
        raise ApiError(
            403, "forbidden_role", _l("Din roll får inte göra det här."), [r.value for r in roles]
        )
