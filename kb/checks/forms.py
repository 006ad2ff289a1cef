"""Forms for one supplier check and for the same check on every supplier of a framework."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, StringField, SubmitField, TextAreaField
from wtforms.validators import Length

from kb.checks.services import BatchInput, BatchRow, CheckInput
from kb.deviations.forms import MAX_TEXT_LENGTH, DayField, parse_id, privacy_box, with_blank
from kb.followups.models import CheckKind, CheckResult
from kb.forms import ChoiceField, enum_choices, select_choices
from kb.submissions.forms import FormKeyMixin
from kb.suppliers.models import Supplier

SKIP = "hoppa"
ROW_RESULTS = enum_choices(CheckResult) + select_choices([(SKIP, _l("Hoppa över"))])
VALUE_HINT = _l("För kreditvärdighet: kreditbetyget, ett heltal 0–100. Annars valfritt.")


class CheckFields(FormKeyMixin, FlaskForm):
    """What every check has: kind, dates and a note."""

    kind = ChoiceField(_l("Typ av kontroll"), choices=with_blank(CheckKind))
    checked_on = DayField(_l("Kontrolldatum"), description=_l("ÅÅÅÅ-MM-DD, inte i framtiden."))
    next_due = DayField(
        _l("Nästa kontroll senast"), description=_l("ÅÅÅÅ-MM-DD, efter kontrolldatumet.")
    )
    note = TextAreaField(
        _l("Anteckning"),
        validators=[Length(max=MAX_TEXT_LENGTH)],
        description=_l("Om leverantören – aldrig namn eller personnummer på företrädare."),
    )
    privacy_confirmed = privacy_box()

    other_errors: list[str]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.other_errors = []

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        """Show each message at its field; messages without one go above the form."""
        for name, messages in errors.items():
            if name in self._fields:
                self[name].errors = [*self[name].errors, *messages]
            else:
                self.other_errors.extend(messages)


class CheckForm(CheckFields):
    supplier_id = ChoiceField(_l("Leverantör"), validate_choice=False)
    unit_id = ChoiceField(
        _l("Verksamhet"),
        validate_choice=False,
        description=_l("Bara för IVO-tillstånd, om kontrollen gäller en enskild verksamhet."),
    )
    result = ChoiceField(_l("Resultat"), choices=enum_choices(CheckResult), default="ok")
    value = StringField(_l("Värde"), validators=[Length(max=100)], description=VALUE_HINT)
    submit = SubmitField(_l("Spara kontroll"))

    def to_input(self) -> CheckInput:
        return CheckInput(
            supplier_id=parse_id(self.supplier_id.data),
            unit_id=parse_id(self.unit_id.data),
            kind=_enum(CheckKind, self.kind.data),
            checked_on=self.checked_on.data,
            next_due=self.next_due.data,
            result=_enum(CheckResult, self.result.data),
            value=self.value.data or "",
            note=self.note.data or "",
            supplier_given=bool(self.supplier_id.data),
            unit_given=bool(self.unit_id.data),
        )


class BatchForm(CheckFields):
    """Subclassed per tender round by batch_form(), with a result and value per supplier."""

    submit = SubmitField(_l("Registrera kontrollen för alla valda leverantörer"))
    suppliers: list[Supplier] = []

    def rows(self) -> list[tuple[Supplier, Field, Field]]:
        return [(s, self[f"result_{s.id}"], self[f"value_{s.id}"]) for s in self.suppliers]

    def to_input(self, tender_round_id: int | None, round_given: bool) -> BatchInput:
        rows = [
            BatchRow(
                supplier.id,
                _enum(CheckResult, None if result.data == SKIP else result.data),
                value.data or "",
            )
            for supplier, result, value in self.rows()
        ]
        return BatchInput(
            tender_round_id=tender_round_id,
            kind=_enum(CheckKind, self.kind.data),
            checked_on=self.checked_on.data,
            next_due=self.next_due.data,
            rows=rows,
            note=self.note.data or "",
            round_given=round_given,
        )


def batch_form(suppliers: list[Supplier], **kwargs: object) -> BatchForm:
    """A batch form with a result (prefilled OK) and a value for each supplier."""
    fields = {}
    for supplier in suppliers:
        fields[f"result_{supplier.id}"] = ChoiceField(
            _l("Resultat för %(name)s", name=supplier.name), choices=ROW_RESULTS, default="ok"
        )
        fields[f"value_{supplier.id}"] = StringField(
            _l("Värde för %(name)s", name=supplier.name), validators=[Length(max=100)]
        )
    form_class = type("RoundBatchForm", (BatchForm,), fields)
    form = form_class(**kwargs)
    form.suppliers = suppliers
    return form


def _enum(enum_class, value: str | None):  # type: ignore[no-untyped-def]
    try:
        return enum_class(value) if value else None
    except ValueError:
        return None
