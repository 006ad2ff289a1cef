from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, StringField, SubmitField, TextAreaField
from wtforms.validators import Optional

from kb.forms import ChoiceField
from kb.tenders.models import Contract, ContractStatus
from kb.tenders.status import ACTION_LABELS, StatusChangeInput, possible_changes


class ContractStatusForm(FlaskForm):
    to_status = ChoiceField(_l("Ändring"), validate_choice=False)
    changed_on = DateField(
        _l("Beslutsdatum"), validators=[Optional()], description=_l("Till exempel 2026-03-01.")
    )
    decision_reference = StringField(
        _l("Beslutsreferens"),
        description=_l("Diarienummer eller annan referens till beslutet."),
    )
    reason = TextAreaField(
        _l("Skäl"),
        description=_l("Varför avtalet ändras. Skriv om leverantören, aldrig om enskilda."),
    )
    submit = SubmitField(_l("Spara statusändring"))

    def offer_changes(self, contract: Contract) -> None:
        self.to_status.choices = [SelectChoice("", _l("– Välj ändring –"))] + [
            SelectChoice(status.value, ACTION_LABELS[status])
            for status in possible_changes(contract)
        ]

    def to_input(self) -> StatusChangeInput:
        try:
            to_status = ContractStatus(self.to_status.data) if self.to_status.data else None
        except ValueError:
            to_status = None
        return StatusChangeInput(
            to_status=to_status,
            changed_on=self.changed_on.data,
            reason=self.reason.data or "",
            decision_reference=self.decision_reference.data or "",
        )

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            field = self._fields.get(name, self.reason)
            field.errors = [*field.errors, *messages]
