from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import Optional

from kb.deviations.forms import parse_id
from kb.forms import ChoiceField, enum_choices, select_choices
from kb.requirements.forms import parse_weight, validate_weight
from kb.requirements.models import RequirementKind, RequirementLevel, RequirementVersion
from kb.requirements.queries import format_weight
from kb.requirements.services import VersionFields
from kb.submissions.forms import FormKeyMixin
from kb.tenders.models import ProcurementForm, TenderRound
from kb.tenders.rounds import NextRoundInput


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class NextRoundForm(FormKeyMixin, FlaskForm):
    area_id = ChoiceField(_l("Avtalsområde"), validate_choice=False)
    predecessor_id = ChoiceField(
        _l("Föregående omgång"),
        validate_choice=False,
        description=_l("Underlaget byggs från den omgångens krav plus accepterade lärdomar."),
    )
    reference = StringField(_l("Diarienummer"), description=_l("Till exempel KFV 2027/12."))
    title = StringField(_l("Rubrik"))
    procurement_form = ChoiceField(
        _l("Upphandlingsform"), choices=enum_choices(ProcurementForm), validate_choice=False
    )
    published_on = DateField(_l("Planerad annonsering"), validators=[Optional()])
    contract_start = DateField(_l("Avtalsstart"), validators=[Optional()])
    contract_end = DateField(_l("Avtalsslut"), validators=[Optional()])
    submit = SubmitField(_l("Skapa omgången"))

    def offer(self, areas: list, predecessors: list[TenderRound]) -> None:
        self.area_id.choices = select_choices(
            [("", _l("– Välj –"))] + [(a.id, a.name) for a in areas]
        )
        self.predecessor_id.choices = select_choices(
            [("", _l("Ingen – första omgången"))]
            + [(r.id, f"{r.reference} {r.title}") for r in predecessors]
        )

    def to_input(self) -> NextRoundInput:
        return NextRoundInput(
            area_id=parse_id(self.area_id.data),
            predecessor_id=parse_id(self.predecessor_id.data),
            reference=self.reference.data or "",
            title=self.title.data or "",
            procurement_form=self.procurement_form.data or None,
            published_on=self.published_on.data,
            contract_start=self.contract_start.data,
            contract_end=self.contract_end.data,
        )


class ExcludeForm(FlaskForm):
    reason = TextAreaField(_l("Skäl att utesluta"))
    submit = SubmitField(_l("Uteslut"))


class IncludeFindingForm(FlaskForm):
    finding_id = IntegerField(_l("Lärdom"), validators=[Optional()])
    submit = SubmitField(_l("Ta med lärdomen"))


class ItemTextForm(FlaskForm):
    based_on = HiddenField()
    title = StringField(_l("Rubrik"))
    text_md = TextAreaField(
        _l("Kravtext"), description=_l("Markdown: **fet**, *kursiv*, listor med -.")
    )
    kind = ChoiceField(_l("Typ"), choices=enum_choices(RequirementKind), validate_choice=False)
    level = ChoiceField(_l("Nivå"), choices=enum_choices(RequirementLevel), validate_choice=False)
    weight = StringField(
        _l("Vikt (%)"),
        validators=[validate_weight],
        description=_l("Bara för utvärderingskriterier, t.ex. 20 eller 12,5."),
    )
    rationale = TextAreaField(_l("Motiv"))
    verification = TextAreaField(_l("Verifikat"))
    followup_method = TextAreaField(_l("Uppföljningsmetod"))
    submit = SubmitField(_l("Spara som ny version"))

    def fill(self, version: RequirementVersion) -> None:
        self.based_on.data = str(version.id)
        for name in ("title", "text_md", "rationale", "verification", "followup_method"):
            getattr(self, name).data = getattr(version, name)
        self.kind.data, self.level.data = version.kind.value, version.level.value
        self.weight.data = format_weight(version.weight) if version.weight is not None else ""

    def to_fields(self) -> VersionFields:
        return VersionFields(
            title=_text(self.title.data),
            text_md=_text(self.text_md.data),
            kind=self.kind.data or None,
            weight=parse_weight(self.weight.data),
            level=self.level.data or None,
            rationale=_text(self.rationale.data),
            verification=_text(self.verification.data),
            followup_method=_text(self.followup_method.data),
        )

    def based_on_id(self) -> int | None:
        return parse_id(self.based_on.data)

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            field = self._fields.get(name, self.text_md)
            field.errors = [*field.errors, *messages]


def _text(value: str | None) -> str:
    """Browsers send CRLF; what was stored has LF and no outer whitespace."""
    return (value or "").replace("\r\n", "\n").strip()
