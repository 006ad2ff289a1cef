from __future__ import annotations

from datetime import datetime, timedelta
from math import ceil
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from kb.auth.forms import ChangePasswordForm, LoginForm
from kb.auth.rate_limit import AddressLimit, normalise_address, record_failure, refused_until
from kb.auth.services import (
    LockoutPolicy,
    LoginRefusedError,
    PasswordChangeRefusedError,
    authenticate,
    change_password,
)
from kb.database import utcnow
from kb.extensions import db

bp = Blueprint("auth", __name__)


def _lockout_policy() -> LockoutPolicy:
    return LockoutPolicy(
        max_failures=current_app.config["LOGIN_MAX_FAILURES"],
        lockout=timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"]),
    )


def _address_limit() -> AddressLimit:
    return AddressLimit(
        max_failures=current_app.config["LOGIN_IP_MAX_FAILURES"],
        window=timedelta(minutes=current_app.config["LOGIN_IP_WINDOW_MINUTES"]),
    )


def _too_many_attempts(form: LoginForm, until: datetime) -> tuple[str, int, dict[str, str]]:
    flash(
        _(
            "För många misslyckade inloggningar från din adress. Du kan försöka igen "
            "%(time)s. Kontakta administratören om du har glömt ditt lösenord.",
            time=format_datetime(until, "short"),
        ),
        "error",
    )
    wait = max(1, ceil((until - utcnow()).total_seconds()))
    return render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)}


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
        now, address = utcnow(), normalise_address(request.remote_addr)
        until = refused_until(address, now, _address_limit())
        if until is not None:
            return _too_many_attempts(form, until)
        try:
            user = authenticate(form.email.data, form.password.data, now, _lockout_policy())
        except LoginRefusedError as refusal:
            record_failure(address, now, _address_limit())
            db.session.commit()  # keep the failure counts
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


@bp.route("/profil/losenord", methods=["GET", "POST"])
def change_own_password() -> Response | tuple[str, int]:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_password(
                user,
                form.current_password.data,
                form.new_password.data,
                current_app.config["PASSWORD_MIN_LENGTH"],
            )
        except PasswordChangeRefusedError as refusal:
            db.session.rollback()
            for name, messages in refusal.errors.items():
                form[name].errors.extend(messages)
        else:
            db.session.commit()
            login_user(user)  # this session carries the new session version; all others end
            flash(_("Ditt lösenord är bytt. Du är utloggad på alla andra enheter."), "success")
            return redirect(url_for("profile.index"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/change_password.html", form=form), status
