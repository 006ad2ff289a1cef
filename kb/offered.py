"""Refuse a posted id that the form never offered: another organisation's object.

A form offers only the objects the user may use (their organisation's units, contracts,
experiences …). A posted id of an existing object outside those choices is not a mistake to
explain on the form but a request for an object the user may not touch (a tampered form), so
it gets 404 and nothing is saved. An id of nothing at all stays a mistake the form explains.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import abort, request
from flask_wtf import FlaskForm

from kb.extensions import db

MAX_ID = 2**31 - 1


def _offered_values(choices: object) -> set[str]:
    if isinstance(choices, dict):  # {group: [choices]}
        return set().union(*(_offered_values(group) for group in choices.values()))
    values = set()
    for choice in choices or ():
        value = choice.value if hasattr(choice, "value") else choice[0]
        values.add(str(value))
    return values


def refuse_unoffered(form: FlaskForm, fields: Mapping[str, type]) -> None:
    """abort(404) when a submitted value of one of the fields (name: model) is the id of an
    existing object that is not among the field's choices."""
    if not form.is_submitted():
        return
    for name, model in fields.items():
        offered = _offered_values(form[name].choices)
        for value in request.form.getlist(name):
            if value in offered or not value.isdecimal() or int(value) > MAX_ID:
                continue  # no such object: the form explains
            if db.session.get(model, int(value)) is not None:
                abort(404)
