"""The requirement forms. Kinds, levels and area ids are read as text and checked in the service."""

from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    Field,
    HiddenField,
    SelectChoice,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)

from kb.catalogue.filters import MAX_ID, parse_positive_int
from kb.forms import ChoiceField, MultiCheckboxField, enum_choices, select_choices
from kb.requirements.models import Requirement, RequirementKind, RequirementLevel
from kb.requirements.queries import format_weight
from kb.requirements.services import MAX_TITLE_LENGTH, NewRequirement, VersionFields
from kb.submissions.forms import FormKeyMixin
from kb.suppliers.models import AgreementArea

BLANK = select_choices([("", _l("– Välj –"))])
WEIGHT = re.compile(r"^-?\d{1,10}(?:[.,](\d+))?$")
MARKDOWN_HINT = _l("Markdown: **fet**, *kursiv* och listor med - i början av raden.")


def _weight_text(text: str | None) -> str:
    return (text or "").strip().replace(" ", "").replace("\u00a0", "")


def parse_weight(text: str | None) -> Decimal | None:
    """A weight written as 20, 12,5 or 12.5; empty is None. Raise ValueError otherwise."""
    cleaned = _weight_text(text)
    if not cleaned:
        return None
    match = WEIGHT.match(cleaned)
    if match is None:
        raise ValueError(cleaned)
    return Decimal(cleaned.replace(",", "."))


def validate_weight(form: FlaskForm, field: Field) -> None:
    match = WEIGHT.match(_weight_text(field.data))
    if _weight_text(field.data) and match is None:
        raise ValidationError(_l("Ange vikten som ett tal, t.ex. 20 eller 12,5."))
    if match and match.group(1) and len(match.group(1)) > 2:
        raise ValidationError(_l("Ange vikten med högst två decimaler, t.ex. 12,5."))


def validate_ids(form: FlaskForm, field: Field) -> None:
    if any(parse_positive_int(str(value), MAX_ID) is None for value in field.data or []):
        raise ValidationError(_l("Välj i listan; ett av valen är inget giltigt nummer."))


class RequirementForm(FlaskForm):
    title = StringField(_l("Rubrik"), render_kw={"maxlength": MAX_TITLE_LENGTH})
    text_md = TextAreaField(_l("Kravtext"), render_kw={"rows": 12}, description=MARKDOWN_HINT)
    kind = ChoiceField(
        _l("Typ av krav"), choices=BLANK + enum_choices(RequirementKind), validate_choice=False
    )
    weight = StringField(
        _l("Vikt (procent)"),
        validators=[validate_weight],
        render_kw={"inputmode": "decimal"},
        description=_l("Bara för utvärderingskriterier, och då obligatorisk: 0–100, t.ex. 12,5."),
    )
    level = ChoiceField(
        _l("Nivå"), choices=enum_choices(RequirementLevel), validate_choice=False, default="bas"
    )
    rationale = TextAreaField(
        _l("Motiv"), render_kw={"rows": 4}, description=_l("Varför kravet finns.")
    )
    verification = TextAreaField(
        _l("Verifikat"),
        render_kw={"rows": 3},
        description=_l("Hur anbudsgivaren visar att kravet uppfylls i anbudet."),
    )
    followup_method = TextAreaField(
        _l("Uppföljningsmetod"),
        render_kw={"rows": 3},
        description=_l("Hur kravet följs upp under avtalstiden."),
    )
    area_ids = MultiCheckboxField(
        _l("Avtalsområden"), validate_choice=False, validators=[validate_ids]
    )
    save = SubmitField(_l("Spara"))

    def set_area_choices(self, areas: list[AgreementArea]) -> None:
        self.area_ids.choices = [SelectChoice(str(area.id), area.name) for area in areas]

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        """Show a service's errors at their fields; the rest above the form."""
        for name, messages in errors.items():
            field = self._fields.get(name)
            if field is None or isinstance(field, HiddenField):
                self.form_errors.extend(messages)
            else:
                field.errors = [*field.errors, *messages]

    def version_fields(self) -> VersionFields:
        return VersionFields(
            title=self.title.data or "",
            text_md=self.text_md.data or "",
            kind=self.kind.data or None,
            weight=parse_weight(self.weight.data),
            level=self.level.data or None,
            rationale=self.rationale.data or "",
            verification=self.verification.data or "",
            followup_method=self.followup_method.data or "",
        )

    def chosen_area_ids(self) -> list[int]:
        return [int(value) for value in self.area_ids.data or []]


class NewRequirementForm(FormKeyMixin, RequirementForm):
    code = StringField(
        _l("Kod"),
        render_kw={"maxlength": 30, "autocapitalize": "characters"},
        description=_l(
            "Versaler, siffror, punkt och bindestreck, t.ex. HVB-14. Förslaget är nästa lediga kod."
        ),
    )
    save = SubmitField(_l("Spara kravet"))

    def to_new_requirement(self) -> NewRequirement:
        return NewRequirement(
            code=self.code.data or "",
            area_ids=self.chosen_area_ids(),
            fields=self.version_fields(),
        )


class EditRequirementForm(RequirementForm):
    based_on = HiddenField()
    save = SubmitField(_l("Spara som ny version"))

    def based_on_number(self) -> int | None:
        text = (self.based_on.data or "").strip()
        return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None

    def fill_from(self, requirement: Requirement) -> None:
        """Show the current version in the form (GET of the edit page)."""
        version = requirement.current_version
        self.area_ids.data = [str(area.id) for area in requirement.agreement_areas]
        if version is None:
            self.based_on.data = "0"
            return
        self.based_on.data = str(version.number)
        self.title.data = version.title
        self.text_md.data = version.text_md
        self.kind.data = version.kind.value
        self.weight.data = "" if version.weight is None else format_weight(version.weight)
        self.level.data = version.level.value
        self.rationale.data = version.rationale
        self.verification.data = version.verification
        self.followup_method.data = version.followup_method


class ConfirmForm(FlaskForm):
    """A button that only carries the CSRF token (retire and restore)."""

    submit = SubmitField(_l("Bekräfta"))
