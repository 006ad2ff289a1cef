"""The view side of one-time form keys: give the form a key, catch a repeat, commit once.

A creating view uses it like this::

    form = DeviationForm()
    once = SubmitOnce(form)
    if (earlier := once.repeat()) is not None:
        return earlier                       # "Det här var redan sparat."
    ...
    saved = record_deviation(...)            # the service flushes
    if (earlier := once.commit(url_for("deviations.detail", deviation_id=saved.id))):
        return earlier                       # a concurrent twin committed first
"""

from __future__ import annotations

from flask import flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from kb.extensions import db
from kb.submissions.services import (
    earlier_submission,
    new_form_key,
    remember_submission,
    valid_form_key,
)


class SubmitOnce:
    """Guard one creating form against double submits; with active=False (a view that also
    edits) it only commits."""

    def __init__(self, form: FlaskForm, *, active: bool = True) -> None:
        self.endpoint = request.endpoint or ""
        self.active = active
        self.posted: str = (form.form_key.data or "") if form.is_submitted() and active else ""
        if active and not self.posted:
            # Shown for the first time, or posted without a key (a script): the form that
            # is shown next carries a new key.
            form.form_key.data = new_form_key()

    def repeat(self) -> Response | None:
        """A redirect when this key was used before, else None (go on and save)."""
        if not self.posted:
            return None
        key = valid_form_key(self.posted)
        earlier = earlier_submission(key) if key else None
        if key and earlier is None:
            return None
        if (
            earlier is not None
            and earlier.user_id == current_user.id
            and earlier.endpoint == self.endpoint
        ):
            flash(_("Det här var redan sparat."), "info")
            return redirect(earlier.result_url)
        flash(_("Formuläret var inaktuellt och har inte sparats. Fyll i det på nytt."), "error")
        return redirect(request.full_path.rstrip("?"))

    def commit(self, result_url: str) -> Response | None:
        """Store the key with the result and commit; if a concurrent post with the same key
        committed first, roll back and return the redirect to its result."""
        key = valid_form_key(self.posted) if self.active else None
        try:
            if key:
                remember_submission(current_user.id, key, self.endpoint, result_url)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            earlier = self.repeat() if key else None
            if earlier is None:
                raise
            return earlier
        return None
