from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from kb.auth.forms import LoginForm
from kb.auth.services import LockoutPolicy, LoginRefusedError, authenticate
from kb.database import utcnow
from kb.extensions import db

bp = Blueprint("auth", __name__)


def _lockout_policy() -> LockoutPolicy:
    return LockoutPolicy(
        max_failures=current_app.config["LOGIN_MAX_FAILURES"],
        lockout=timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"]),
    )


def _refusal_message(refusal: LoginRefusedError) -> str:
    if refusal.reason == "locked" and refusal.locked_until is not None:
        return _(
            "För många misslyckade inloggningar. Kontot är spärrat till %(time)s. "
            "Försök igen då eller kontakta administratören.",
            time=format_datetime(refusal.locked_until, "short"),
        )
    if refusal.reason == "inactive":
        return _("Kontot är inaktiverat. Kontakta administratören.")
    return _("Fel e-postadress eller lösenord.")


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not urlsplit(target).netloc and "//" not in target:
        return target
    return url_for("main.index")


@bp.route("/logga-in", methods=["GET", "POST"])
def login() -> Response | str:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data, utcnow(), _lockout_policy())
        except LoginRefusedError as refusal:
            db.session.commit()  # keep the failure count
            flash(_refusal_message(refusal), "error")
            return render_template("auth/login.html", form=form), 401
        db.session.commit()
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logga-ut", methods=["POST"])
def logout() -> Response:
    logout_user()
    flash(_("Du är utloggad."), "info")
    return redirect(url_for("auth.login"))
