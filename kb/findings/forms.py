"""The finding form, and the decision and supersede forms on a finding's page.

Codes and ids are read as text here and checked in the service. The evidence fields carry
the same names as the query parameters that preselect them (erfarenhet, uppfoljning,
avvikelse), so a GET form anywhere in the app can start a finding.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    RadioField,
    SelectChoice,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)

from kb.findings.evidence import KINDS, PARAMS, EvidenceIds, EvidenceItem, bad_ids_message
from kb.findings.evidence import parse_ids as parse_evidence_ids
from kb.findings.models import Finding, FindingStatus, Importance, ProposedChange
from kb.findings.queries import RequirementOption
from kb.findings.services import MAX_TITLE_LENGTH, FindingInput
from kb.findings.versions import parse_version
from kb.forms import ChoiceField, MultiCheckboxField, enum_choices, select_choices
from kb.submissions.forms import FormKeyMixin
from kb.themes import Theme

BLANK = select_choices([("", _l("– Välj –"))])
PRIVACY_CONFIRMATION = _l(
    "Jag har kontrollerat att uppgifterna inte pekar ut någon person och vill spara ändå."
)


def _id(text: str | None) -> int | None:
    ids, _bad = parse_evidence_ids([text]) if (text or "").strip() else ([], [])
    return ids[0] if ids else None


def valid_ids(form: FlaskForm, field: Field) -> None:
    _ids, bad = parse_evidence_ids(field.data or [])
    if bad:
        raise ValidationError(bad_ids_message(bad))


def _evidence_field(label: object) -> MultiCheckboxField:
    return MultiCheckboxField(label, validate_choice=False, validators=[valid_ids])


class VersionedForm(FlaskForm):
    """A form that changes a finding: it carries the version the finding was read at."""

    version = HiddenField()

    def read_version(self) -> int | None:
        return parse_version(self.version.data)

    def show_version_of(self, finding: Finding) -> None:
        self.version.data = str(finding.version)


class FindingForm(FormKeyMixin, VersionedForm):
    title = StringField(_l("Rubrik"), render_kw={"maxlength": MAX_TITLE_LENGTH})
    agreement_area_id = ChoiceField(_l("Avtalsområde"), validate_choice=False)
    theme = ChoiceField(
        _l("Tema"),
        choices=select_choices([("", _l("Inget särskilt tema"))]) + enum_choices(Theme),
        validate_choice=False,
    )
    supplier_id = ChoiceField(
        _l("Leverantör"),
        validate_choice=False,
        description=_l("Bara om lärdomen gäller en viss leverantör."),
    )
    importance = RadioField(
        _l("Vikt"),
        choices=enum_choices(Importance),
        default=Importance.MEDIUM.value,
        validate_choice=False,
    )
    statement_md = TextAreaField(
        _l("Iakttagelse"),
        render_kw={"rows": 8},
        description=_l(
            "Vad visar underlaget? Markdown: **fet**, *kursiv* och listor med - i början av raden."
        ),
    )
    recommendation_md = TextAreaField(
        _l("Rekommendation"),
        render_kw={"rows": 6},
        description=_l("Vad bör nästa upphandling göra annorlunda?"),
    )
    proposed_change = RadioField(
        _l("Föreslagen ändring"), choices=enum_choices(ProposedChange), validate_choice=False
    )
    target_requirement_id = ChoiceField(
        _l("Krav som ändras eller tas bort"),
        validate_choice=False,
        description=_l(
            "Behövs när ett krav ändras eller tas bort. Kravet måste höra till lärdomens "
            "avtalsområde; listan är grupperad per område."
        ),
    )
    proposed_text_md = TextAreaField(
        _l("Föreslagen text"),
        render_kw={"rows": 6},
        description=_l(
            "Det nya kravets text, kravets nya lydelse, marknadsfrågan eller uppföljningsfrågan. "
            "Behövs inte när ett krav tas bort."
        ),
    )
    publish = BooleanField(
        _l("Publicera för medlemskommunerna"),
        description=_l("Alla i nätverket kan då läsa lärdomen och dess status."),
    )
    erfarenhet = _evidence_field(_l("Erfarenheter"))
    uppfoljning = _evidence_field(_l("Uppföljningar"))
    avvikelse = _evidence_field(_l("Avvikelser"))
    privacy_confirmed = BooleanField(PRIVACY_CONFIRMATION)
    save = SubmitField(_l("Spara lärdom"))

    other_errors: list[str]

    def evidence_fields(self) -> list[Field]:
        return [self[PARAMS[kind]] for kind in KINDS]

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        """Put each message on its field; messages for no field go above the form."""
        self.other_errors = list(getattr(self, "other_errors", []))
        for name, messages in errors.items():
            field = self._fields.get(name)
            if field is None:
                self.other_errors += messages
            else:
                field.errors = [*field.errors, *messages]

    def evidence_ids(self) -> EvidenceIds:
        return {kind: parse_evidence_ids(self[PARAMS[kind]].data or [])[0] for kind in KINDS}

    def to_input(self) -> FindingInput:
        return FindingInput(
            title=self.title.data or "",
            theme=self.theme.data or None,
            agreement_area_id=_id(self.agreement_area_id.data),
            supplier_id=_id(self.supplier_id.data),
            statement_md=self.statement_md.data or "",
            recommendation_md=self.recommendation_md.data or "",
            importance=self.importance.data or None,
            proposed_change=self.proposed_change.data or None,
            target_requirement_id=_id(self.target_requirement_id.data),
            proposed_text_md=self.proposed_text_md.data or "",
            publish=bool(self.publish.data),
            evidence=self.evidence_ids(),
        )

    def fill_from(self, finding: Finding, linked: EvidenceIds) -> None:
        """Show a stored finding in the form (GET of the edit page)."""
        self.show_version_of(finding)
        self.title.data = finding.title
        self.agreement_area_id.data = str(finding.agreement_area_id)
        self.theme.data = finding.theme.value if finding.theme else ""
        self.supplier_id.data = str(finding.supplier_id) if finding.supplier_id else ""
        self.importance.data = finding.importance.value
        self.statement_md.data = finding.statement_md
        self.recommendation_md.data = finding.recommendation_md
        self.proposed_change.data = finding.proposed_change.value
        target = finding.target_requirement_id
        self.target_requirement_id.data = str(target) if target else ""
        self.proposed_text_md.data = finding.proposed_text_md
        self.publish.data = finding.published_at is not None
        self.select_evidence(linked)

    def select_evidence(self, selected: EvidenceIds) -> None:
        for kind in KINDS:
            self[PARAMS[kind]].data = [str(i) for i in selected.get(kind, [])]

    def preselect(self, area_id: int | None, theme: str | None, supplier_id: int | None) -> None:
        """Start with ?omrade=…&tema=…&leverantor=… chosen; unknown values stay unchosen."""
        if area_id:
            self.agreement_area_id.data = str(area_id)
        if theme in {member.value for member in Theme}:
            self.theme.data = theme
        if supplier_id:
            self.supplier_id.data = str(supplier_id)


def set_choices(
    form: FindingForm,
    areas: Iterable[tuple[int, str]],
    suppliers: Iterable[tuple[int, str]],
    requirements: Iterable[RequirementOption],
) -> None:
    form.agreement_area_id.choices = BLANK + [SelectChoice(str(i), name) for i, name in areas]
    form.supplier_id.choices = select_choices([("", _l("Ingen särskild leverantör"))]) + [
        SelectChoice(str(i), name) for i, name in suppliers
    ]
    ordered = sorted(requirements, key=lambda o: (o.area_name.casefold(), o.label.casefold()))
    form.target_requirement_id.choices = select_choices([("", _l("Inget krav valt"))]) + [
        SelectChoice(str(o.requirement_id), o.label, optgroup=o.area_name) for o in ordered
    ]


def set_evidence_choices(form: FindingForm, offered: dict[str, list[EvidenceItem]]) -> None:
    for kind in KINDS:
        form[PARAMS[kind]].choices = [
            SelectChoice(str(item.id), item.label) for item in offered.get(kind, [])
        ]


class DecisionForm(VersionedForm):
    decision = RadioField(
        _l("Beslut"),
        choices=[
            SelectChoice(FindingStatus.ACCEPTED.value, _l("Acceptera")),
            SelectChoice(FindingStatus.REJECTED.value, _l("Avvisa")),
        ],
        validate_choice=False,
    )
    rejection_reason = TextAreaField(
        _l("Skäl till avvisning"),
        render_kw={"rows": 4},
        description=_l("Krävs när lärdomen avvisas. Skälet visas för alla som ser lärdomen."),
    )
    privacy_confirmed = BooleanField(PRIVACY_CONFIRMATION)
    decide = SubmitField(_l("Spara beslut"))

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            field = self._fields.get(name, self.decision)
            field.errors = [*field.errors, *messages]


class SupersedeForm(VersionedForm):
    superseded_by_id = ChoiceField(_l("Ersätts av"), validate_choice=False)
    supersede = SubmitField(_l("Markera som ersatt"))

    def offer(self, candidates: Iterable[Finding]) -> None:
        self.superseded_by_id.choices = BLANK + [
            SelectChoice(str(f.id), _("%(id)s: %(title)s", id=f.id, title=f.title))
            for f in candidates
        ]

    def replacement_id(self) -> int | None:
        return _id(self.superseded_by_id.data)

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            field = self._fields.get(name, self.superseded_by_id)
            field.errors = [*field.errors, *messages]
