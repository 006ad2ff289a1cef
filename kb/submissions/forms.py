"""The hidden one-time key of a creating form (see kb.submissions.services)."""

from __future__ import annotations

from wtforms import HiddenField


class FormKeyMixin:
    """Mix into a creating FlaskForm; render ``form.form_key`` inside the form."""

    form_key = HiddenField()
