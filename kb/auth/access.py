"""Sign-in and role rules, enforced on the server for every request."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from kb.api.errors import is_api_request
from kb.auth.models import Role, User
from kb.extensions import db, login_manager

PUBLIC_ENDPOINTS = {"auth.login", "static", "ops.healthz", "ops.readyz"}  # kb/ops/health.py

F = TypeVar("F", bound=Callable[..., Any])


def require_role(*roles: Role) -> Callable[[F], F]:
    """Allow the view only to users holding one of the roles; others get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def _require_sign_in() -> Any:
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if is_api_request():  # the API signs in by token and answers 401 itself (kb.api.auth)
        return None
    if not current_user.is_authenticated:
        flash(str(login_manager.login_message), login_manager.login_message_category)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return None


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The active user whose current session id ("<id>:<session version>") this is.

    A cookie from before the last password change or deactivation carries an older version,
    and a cookie of the old form "<id>" none: both sign no one in.
    """
    if is_api_request():  # the API never accepts the browser session, only a token
        return None
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()) or len(session_id) > 40:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Logga in för att fortsätta.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.before_request(_require_sign_in)
