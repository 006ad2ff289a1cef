"""The follow-up form. Codes and ids are read as text here and checked in the service."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    SelectChoice,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)

from kb.experiences.models import Experience
from kb.followups.models import (
    SCOPE_COLUMNS,
    Deviation,
    FollowUp,
    FollowUpKind,
    FollowUpMethod,
    FollowUpResult,
    FollowUpScope,
)
from kb.followups.services import MAX_TITLE_LENGTH, FollowUpInput
from kb.followups.templates_data import FollowUpTemplate
from kb.forms import ChoiceField, MultiCheckboxField, enum_choices, select_choices
from kb.main.template_helpers import period
from kb.submissions.forms import FormKeyMixin

BLANK = select_choices([("", _l("– Välj –"))])
OBJECT_FIELDS = tuple(SCOPE_COLUMNS.values())


def _parse_date(text: str | None) -> date | None:
    text = (text or "").strip()
    return date.fromisoformat(text) if text else None


def validate_date(form: FlaskForm, field: Field) -> None:
    try:
        _parse_date(field.data)
    except ValueError as error:
        message = _l("Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2025-03-31.")
        raise ValidationError(message) from error


def validate_ids(form: FlaskForm, field: Field) -> None:
    if any(not (str(value).isascii() and str(value).isdigit()) for value in field.data or []):
        raise ValidationError(_l("Välj i listan; ett av valen är inget giltigt nummer."))


def _id(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def _object_field(label: object, description: object) -> ChoiceField:
    return ChoiceField(label, validate_choice=False, description=description)


class FollowUpForm(FormKeyMixin, FlaskForm):
    title = StringField(_l("Rubrik"), render_kw={"maxlength": MAX_TITLE_LENGTH})
    kind = ChoiceField(
        _l("Typ av uppföljning"), choices=BLANK + enum_choices(FollowUpKind), validate_choice=False
    )
    scope = ChoiceField(
        _l("Uppföljningen gäller"),
        choices=BLANK + enum_choices(FollowUpScope),
        validate_choice=False,
        description=_l("Välj först vad som följs upp och sedan vilket i listan nedan."),
    )
    supplier_id = _object_field(_l("Leverantör"), None)
    unit_id = _object_field(_l("Verksamhet"), _l("Grupperade per leverantör."))
    contract_id = _object_field(_l("Avtal"), _l("Grupperade per upphandlingsomgång."))
    tender_round_id = _object_field(_l("Upphandlingsomgång"), _l("Grupperade per avtalsområde."))
    agreement_area_id = _object_field(_l("Avtalsområde"), None)
    methods = MultiCheckboxField(
        _l("Metoder"), choices=enum_choices(FollowUpMethod), validate_choice=False
    )
    period_start = StringField(
        _l("Periodens början"), validators=[validate_date], render_kw={"type": "date"}
    )
    period_end = StringField(
        _l("Periodens slut"),
        validators=[validate_date],
        render_kw={"type": "date"},
        description=_l("Lämna tomt om uppföljningen pågår."),
    )
    summary_md = TextAreaField(
        _l("Sammanfattning"),
        render_kw={"rows": 16},
        description=_l("Markdown: # rubrik, **fet**, *kursiv* och listor med - i början av raden."),
    )
    result = ChoiceField(
        _l("Resultat"),
        choices=select_choices([("", _l("Inte bedömt ännu"))]) + enum_choices(FollowUpResult),
        validate_choice=False,
    )
    actions_taken = TextAreaField(_l("Vidtagna åtgärder"), render_kw={"rows": 4})
    experience_ids = SelectMultipleField(
        _l("Erfarenheter som uppföljningen bygger på"),
        validate_choice=False,
        validators=[validate_ids],
        render_kw={"size": 8},
        description=_l("Håll ned Ctrl (Cmd på Mac) för att välja flera."),
    )
    deviation_ids = SelectMultipleField(
        _l("Avvikelser som ledde till uppföljningen"),
        validate_choice=False,
        validators=[validate_ids],
        render_kw={"size": 8},
    )
    privacy_confirmed = BooleanField(
        _l("Jag har kontrollerat att uppgifterna inte pekar ut någon person och vill spara ändå.")
    )
    save = SubmitField(_l("Spara uppföljning"))

    def object_fields(self) -> list[Field]:
        return [self[name] for name in OBJECT_FIELDS]

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            field = self._fields.get(name, self.summary_md)
            field.errors = [*field.errors, *messages]

    def to_input(self) -> FollowUpInput:
        scope = self.scope.data or None
        column = SCOPE_COLUMNS.get(FollowUpScope(scope)) if scope in set(FollowUpScope) else None
        return FollowUpInput(
            title=self.title.data or "",
            kind=self.kind.data or None,
            scope=scope,
            object_id=_id(self[column].data) if column else None,
            methods=list(self.methods.data or []),
            period_start=_parse_date(self.period_start.data),
            period_end=_parse_date(self.period_end.data),
            summary_md=self.summary_md.data or "",
            result=self.result.data or None,
            actions_taken=self.actions_taken.data or "",
            experience_ids=[int(v) for v in self.experience_ids.data or []],
            deviation_ids=[int(v) for v in self.deviation_ids.data or []],
        )

    def fill_from(self, followup: FollowUp) -> None:
        """Show a stored follow-up in the form (GET of the edit page)."""
        self.title.data = followup.title
        self.kind.data = followup.kind.value
        self.scope.data = followup.scope.value
        for name in OBJECT_FIELDS:
            value = getattr(followup, name)
            self[name].data = str(value) if value else ""
        self.methods.data = list(followup.methods)
        self.period_start.data = followup.period_start.isoformat() if followup.period_start else ""
        self.period_end.data = followup.period_end.isoformat() if followup.period_end else ""
        self.summary_md.data = followup.summary_md
        self.result.data = followup.result.value if followup.result else ""
        self.actions_taken.data = followup.actions_taken
        self.experience_ids.data = [str(e.id) for e in followup.cited_experiences]
        self.deviation_ids.data = [str(d.id) for d in followup.cited_deviations]

    def fill_from_template(self, template: FollowUpTemplate) -> None:
        self.title.data = template.title
        self.kind.data = template.kind.value
        self.scope.data = template.scope.value
        self.methods.data = template.method_codes
        self.summary_md.data = template.summary_md()

    def preselect(self, scope: str | None, object_id: int | None) -> None:
        """Start with ?scope=unit&id=N chosen; anything unknown is left unchosen."""
        if scope in set(FollowUpScope) and object_id:
            self.scope.data = scope
            self[SCOPE_COLUMNS[FollowUpScope(scope)]].data = str(object_id)


def _grouped(items: Iterable[tuple[str, str, str]]) -> list[SelectChoice]:
    """(group, value, label) triples as choices, grouped and sorted by group name."""
    ordered = sorted(items, key=lambda item: (item[0].casefold(), item[2].casefold()))
    return [SelectChoice(value, label, optgroup=group) for group, value, label in ordered]


def set_object_choices(form: FollowUpForm, objects: dict[str, list]) -> None:
    """Give the five object lists the objects the organisation may follow up."""
    form.agreement_area_id.choices = BLANK + [
        SelectChoice(str(area.id), area.name) for area in objects["agreement_area"]
    ]
    form.supplier_id.choices = BLANK + [
        SelectChoice(str(supplier.id), supplier.name) for supplier in objects["supplier"]
    ]
    form.tender_round_id.choices = BLANK + _grouped(
        (r.agreement_area.name, str(r.id), f"{r.reference} – {r.title}")
        for r in objects["tender_round"]
    )
    form.unit_id.choices = BLANK + _grouped(
        (unit.supplier.name, str(unit.id), unit.name) for unit in objects["unit"]
    )
    form.contract_id.choices = BLANK + _grouped(
        (
            f"{c.tender_round.reference} – {c.tender_round.title}",
            str(c.id),
            f"{c.reference or _('Avtal %(id)s', id=c.id)} – {c.supplier.name}",
        )
        for c in objects["contract"]
    )


def set_citation_choices(
    form: FollowUpForm, experiences: list[Experience], deviations: list[Deviation]
) -> None:
    form.experience_ids.choices = _grouped(
        (
            e.unit.name if e.unit else _("Ingen verksamhet vald"),
            str(e.id),
            _("Erfarenhet %(id)s · %(period)s", id=e.id, period=period(e)),
        )
        for e in experiences
    )
    form.deviation_ids.choices = [
        SelectChoice(
            str(d.id),
            f"{d.occurred_on.isoformat()} · {d.category.label} · {d.severity.label} · "
            f"{d.unit.name if d.unit else (d.contract.reference or '')}",
        )
        for d in deviations
    ]
