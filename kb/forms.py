"""Helpers shared by every feature's forms, and the one rule for what a form reads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.form import SUBMIT_METHODS as SUBMITS
from flask_wtf.form import _Auto
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms import Field, Form, SelectChoice, SelectField, SelectMultipleField, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from kb.catalogue.filters import MAX_ID
from kb.database import LabelledEnum
from kb.privacy.guard import check_text

_flask_wtf_formdata = FlaskForm.Meta.wrap_formdata


def _posted_fields_only(meta: Any, form: Form, formdata: Any) -> Any:
    """What a form reads from the request: Flask-WTF's choice, with three holes closed.

    Flask-WTF hands every uploaded file to the field of the same name, so a file posted in
    place of a text field reached validators and services that expect text (a 500). It reads
    a JSON body as form data, which breaks on anything but a flat object. And it passes on NUL
    characters, which no keyboard types and PostgreSQL cannot store (a 500 there only). Here
    files reach file fields only, a form never reads JSON (such a request is an empty form),
    and NUL characters are dropped.
    """
    if formdata is not _Auto or not has_request_context() or request.method not in SUBMITS:
        return _flask_wtf_formdata(meta, form, formdata)
    fields = MultiDict(
        [(name, value.replace("\x00", "")) for name, value in request.form.items(multi=True)]
    )
    if request.files:
        wanted = {name for name, field in form._fields.items() if isinstance(field, FileField)}
        files = MultiDict(
            [(name, value) for name, value in request.files.items(multi=True) if name in wanted]
        )
        return CombinedMultiDict((files, fields))
    return fields or None


FlaskForm.Meta.wrap_formdata = _posted_fields_only


def no_identity_number(form: Form, field: Field) -> None:
    """Refuse a personnummer or samordningsnummer in a short text field (the privacy guard);
    longer texts are checked by their services, which also ask about e-mail and phone."""
    text = field.data if isinstance(field.data, str) else ""
    for issue in check_text(text, field.name, str(field.label.text)).errors:
        raise ValidationError(issue.message())


def enum_choices(enum_class: type[LabelledEnum]) -> list[SelectChoice]:
    return [SelectChoice(member.value, member.label) for member in enum_class]


def select_choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice rendered as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ChoiceField(SelectField):
    """A select whose value is its default (the blank choice) when the browser sent nothing.

    A number beyond the database's integers (an id no row can have, which the database itself
    cannot even compare) is refused here, before anything looks it up.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            self.data = self.default
            return
        super().process_formdata(valuelist)
        if isinstance(self.data, int) and not -MAX_ID <= self.data <= MAX_ID:
            self.data = self.default
            raise ValueError(_l("Välj i listan."))
