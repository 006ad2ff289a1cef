"""The view side of one-time form keys: give the form a key, catch a repeat, save once.

A creating view uses it like this::

    form = DeviationForm()
    once = SubmitOnce(form)
    if (earlier := once.repeat()) is not None:
        return earlier                       # "Det här var redan sparat."
    if form.validate_on_submit():
        if (earlier := once.claim()) is not None:
            return earlier                   # a twin posted at the same moment saved it
        saved = record_deviation(...)        # the service flushes
        if (earlier := once.commit(url_for("deviations.detail", deviation_id=saved.id))):
            return earlier

``claim`` stores the key before the object is created. A twin of the post (a double click)
that arrives meanwhile waits for this transaction at the key's primary key, and then fails
there and is sent to this one's result, before it has created anything: so a natural unique
key of the object (a requirement's code) never makes the twin fail instead.
"""

from __future__ import annotations

from flask import flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from kb.extensions import db
from kb.submissions.models import FormSubmission
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
        self.claimed: FormSubmission | None = None
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
            and earlier.result_url
            and earlier.user_id == current_user.id
            and earlier.endpoint == self.endpoint
        ):
            flash(_("Det här var redan sparat."), "info")
            return redirect(earlier.result_url)
        flash(_("Formuläret var inaktuellt och har inte sparats. Fyll i det på nytt."), "error")
        return redirect(request.full_path.rstrip("?"))

    def claim(self) -> Response | None:
        """Store the key before saving; a redirect when a twin stored it first."""
        key = valid_form_key(self.posted) if self.active else None
        if key is None:
            return None
        try:
            self.claimed = remember_submission(current_user.id, key, self.endpoint, "")
        except IntegrityError:
            db.session.rollback()
            return self._twin_result()
        return None

    def commit(self, result_url: str) -> Response | None:
        """Store the result with the key and commit; if a twin committed first, roll back
        and return the redirect to its result."""
        key = valid_form_key(self.posted) if self.active else None
        try:
            if self.claimed is not None:
                self.claimed.result_url = result_url
            elif key:
                remember_submission(current_user.id, key, self.endpoint, result_url)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            if key is None:
                raise
            return self._twin_result()
        return None

    def _twin_result(self) -> Response:
        earlier = self.repeat()
        if earlier is None:  # the key is free again: its holder rolled back
            flash(_("Formuläret kunde inte sparas. Försök igen."), "error")
            return redirect(request.full_path.rstrip("?"))
        return earlier
