"""Forms for recording and resolving deviations."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SubmitField, TextAreaField
from wtforms.validators import Length

from kb.catalogue.filters import MAX_ID, parse_positive_int
from kb.deviations.services import DeviationInput
from kb.followups.models import DeviationCategory, Severity
from kb.forms import ChoiceField, enum_choices, select_choices
from kb.submissions.forms import FormKeyMixin

MAX_TEXT_LENGTH = 10_000
BLANK = [("", _l("– Välj –"))]


def with_blank(enum_class) -> list:  # type: ignore[no-untyped-def]
    return select_choices(BLANK) + enum_choices(enum_class)


def parse_id(raw: Any) -> int | None:
    """Return a row id from a form or query value, or None when it cannot be one."""
    return parse_positive_int(str(raw) if raw is not None else None, MAX_ID)


class DayField(DateField):
    """A date written ÅÅÅÅ-MM-DD; a value that is not a date gets a Swedish message."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = (valuelist[0] if valuelist else "") or ""
        self.data = None
        if not text.strip():
            return
        try:
            self.data = date.fromisoformat(text.strip())
        except ValueError as error:
            message = _l("Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2024-03-15.")
            raise ValueError(message) from error


def privacy_box() -> BooleanField:
    """The box that confirms text the privacy guard warned about."""
    return BooleanField(
        _l("Jag har kontrollerat att uppgifterna inte pekar ut någon person och vill spara ändå.")
    )


class DeviationForm(FormKeyMixin, FlaskForm):
    unit_id = ChoiceField(_l("Verksamhet"), validate_choice=False)
    contract_id = ChoiceField(
        _l("Avtal"),
        validate_choice=False,
        description=_l("Välj verksamhet, avtal eller båda. Avtalet måste omfatta verksamheten."),
    )
    category = ChoiceField(_l("Kategori"), choices=with_blank(DeviationCategory))
    severity = ChoiceField(_l("Allvarlighetsgrad"), choices=with_blank(Severity))
    occurred_on = DayField(_l("Datum"), description=_l("När avvikelsen inträffade, ÅÅÅÅ-MM-DD."))
    description_md = TextAreaField(
        _l("Beskrivning"),
        validators=[Length(max=MAX_TEXT_LENGTH)],
        description=_l(
            "Beskriv vad som hänt hos leverantören – aldrig namn, personnummer eller annat "
            "som pekar ut den placerade. Du kan använda Markdown."
        ),
    )
    privacy_confirmed = privacy_box()
    submit = SubmitField(_l("Spara avvikelse"))

    def to_input(self) -> DeviationInput:
        return DeviationInput(
            unit_id=parse_id(self.unit_id.data),
            contract_id=parse_id(self.contract_id.data),
            unit_given=bool(self.unit_id.data),
            contract_given=bool(self.contract_id.data),
            occurred_on=self.occurred_on.data,
            category=_enum(DeviationCategory, self.category.data),
            severity=_enum(Severity, self.severity.data),
            description_md=self.description_md.data or "",
        )

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            field = self._fields.get(name, self.description_md)
            field.errors = [*field.errors, *messages]


class ResolveForm(FlaskForm):
    resolution_note = TextAreaField(
        _l("Hur åtgärdades avvikelsen?"), validators=[Length(max=MAX_TEXT_LENGTH)]
    )
    privacy_confirmed = privacy_box()
    submit = SubmitField(_l("Markera som åtgärdad"))

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            field = self._fields.get(name, self.resolution_note)
            field.errors = [*field.errors, *messages]


def _enum(enum_class, value: str | None):  # type: ignore[no-untyped-def]
    try:
        return enum_class(value) if value else None
    except ValueError:
        return None
