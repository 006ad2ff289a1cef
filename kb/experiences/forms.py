from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import Length, Optional

from kb.experiences.models import (
    AgeBand,
    EndReason,
    Experience,
    LegalBasis,
    OffContractReason,
    PlacementKind,
    WouldPlaceAgain,
)
from kb.experiences.periods import YearMonth, from_columns
from kb.experiences.validation import MAX_NARRATIVE_LENGTH, ExperienceInput
from kb.forms import ChoiceField, enum_choices, select_choices
from kb.themes import Theme

OFF_CONTRACT = "utanfor"
NOT_APPLICABLE = "ej"
BLANK = [("", _l("– Välj –"))]
RATING_CHOICES = select_choices(
    [*BLANK, *((str(n), str(n)) for n in range(1, 6)), (NOT_APPLICABLE, _l("Ej aktuellt"))]
)
GOAL_CHOICES = select_choices(
    [
        ("", _l("Ej bedömd")),
        ("1", _l("1 – Inte alls")),
        ("2", _l("2 – Delvis")),
        ("3", _l("3 – Till stor del")),
        ("4", _l("4 – Helt")),
    ]
)


def _with_blank(enum_class) -> list:  # type: ignore[no-untyped-def]
    return select_choices(BLANK) + enum_choices(enum_class)


def validate_year_month(form: FlaskForm, field: Field) -> None:
    try:
        YearMonth.parse(field.data)
    except ValueError as error:
        raise ValidationError(
            _l("Skriv år och månad som ÅÅÅÅ-MM, till exempel 2024-03.")
        ) from error


def parse_price(text: str | None) -> Decimal | None:
    """Read a Swedish-written amount: '4 500', '4500,50' or '4 500 kr'."""
    cleaned = (
        (text or "").replace("kr", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    )
    return Decimal(cleaned) if cleaned else None


def validate_price(form: FlaskForm, field: Field) -> None:
    try:
        parse_price(field.data)
    except InvalidOperation as error:
        raise ValidationError(_l("Skriv dygnspriset i kronor, till exempel 4 500.")) from error


class ExperienceForm(FlaskForm):
    submission_key = HiddenField()
    unit_id = ChoiceField(_l("Verksamhet"), coerce=int, validate_choice=False, default=0)
    agreement_area_id = ChoiceField(
        _l("Avtalsområde"), coerce=int, validate_choice=False, default=0
    )
    contract_id = ChoiceField(
        _l("Avtal"),
        validate_choice=False,
        default="",
        description=_l("Avtal som gällde för verksamheten under placeringen, eller utanför avtal."),
    )
    off_contract_reason = ChoiceField(
        _l("Skäl till placering utanför avtal"), choices=_with_blank(OffContractReason)
    )
    placement_kind = ChoiceField(
        _l("Typ av placering"), choices=_with_blank(PlacementKind), default=""
    )
    legal_basis = ChoiceField(_l("Lagrum"), choices=_with_blank(LegalBasis), default="")
    age_band = ChoiceField(_l("Åldersgrupp"), choices=_with_blank(AgeBand), default="")
    start = StringField(
        _l("Startmånad"),
        validators=[validate_year_month],
        description=_l("ÅÅÅÅ-MM"),
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 7},
    )
    end = StringField(
        _l("Slutmånad"),
        validators=[validate_year_month],
        description=_l("ÅÅÅÅ-MM. Lämna tomt om placeringen pågår."),
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 7},
    )
    end_reason = ChoiceField(
        _l("Hur slutade placeringen?"), choices=_with_blank(EndReason), default=""
    )
    goal_attainment = ChoiceField(_l("Måluppfyllelse"), choices=GOAL_CHOICES, default="")
    daily_price = StringField(
        _l("Dygnspris (kr)"),
        validators=[Optional(), Length(max=20), validate_price],
        render_kw={"inputmode": "decimal"},
    )
    extra_cost_claims = BooleanField(_l("Leverantören begärde tilläggskostnader"))
    invoicing_problems = BooleanField(_l("Det fanns problem med faktureringen"))
    would_place_again = ChoiceField(
        _l("Skulle ni placera här igen?"), choices=_with_blank(WouldPlaceAgain)
    )
    worked_md = TextAreaField(_l("Vad fungerade"), validators=[Length(max=MAX_NARRATIVE_LENGTH)])
    not_worked_md = TextAreaField(
        _l("Vad fungerade inte"), validators=[Length(max=MAX_NARRATIVE_LENGTH)]
    )
    advice_md = TextAreaField(
        _l("Råd till nästa placering"), validators=[Length(max=MAX_NARRATIVE_LENGTH)]
    )
    privacy_confirmed = BooleanField(
        _l("Jag har kontrollerat att uppgifterna inte pekar ut någon person och vill spara ändå.")
    )
    preview = SubmitField(_l("Förhandsgranska"))
    save_draft = SubmitField(_l("Spara utkast"))
    submit_experience = SubmitField(_l("Skicka in"))

    def rating_fields(self) -> list[tuple[Theme, Field]]:
        return [(theme, self[f"rating_{theme.value}"]) for theme in Theme]

    def action(self) -> str:
        if self.submit_experience.data:
            return "submit"
        return "draft" if self.save_draft.data else "preview"

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            field = self._fields.get(name, self.worked_md)
            field.errors = [*field.errors, *messages]

    def to_input(self) -> ExperienceInput:
        contract = self.contract_id.data or ""
        return ExperienceInput(
            unit_id=self.unit_id.data or None,
            agreement_area_id=self.agreement_area_id.data or None,
            contract_id=int(contract) if contract.isdigit() else None,
            off_contract=contract == OFF_CONTRACT,
            off_contract_reason=_enum(OffContractReason, self.off_contract_reason.data),
            placement_kind=_enum(PlacementKind, self.placement_kind.data),
            legal_basis=_enum(LegalBasis, self.legal_basis.data),
            age_band=_enum(AgeBand, self.age_band.data),
            start=YearMonth.parse(self.start.data),
            end=YearMonth.parse(self.end.data),
            end_reason=_enum(EndReason, self.end_reason.data),
            goal_attainment=int(self.goal_attainment.data) if self.goal_attainment.data else None,
            daily_price=parse_price(self.daily_price.data),
            extra_cost_claims=self.extra_cost_claims.data,
            invoicing_problems=self.invoicing_problems.data,
            would_place_again=_enum(WouldPlaceAgain, self.would_place_again.data),
            ratings={
                theme: None if field.data == NOT_APPLICABLE else int(field.data)
                for theme, field in self.rating_fields()
                if field.data
            },
            worked_md=self.worked_md.data or "",
            not_worked_md=self.not_worked_md.data or "",
            advice_md=self.advice_md.data or "",
            submission_key=self.submission_key.data or None,
        )

    def fill_from(self, experience: Experience) -> None:
        """Show a stored experience in the form (GET of the edit page)."""
        for name in (
            "worked_md",
            "not_worked_md",
            "advice_md",
            "extra_cost_claims",
            "invoicing_problems",
        ):
            self[name].data = getattr(experience, name)
        self.unit_id.data = experience.unit_id or 0
        self.agreement_area_id.data = experience.agreement_area_id or 0
        self.contract_id.data = (
            OFF_CONTRACT if experience.off_contract else str(experience.contract_id or "")
        )
        for name in (
            "off_contract_reason",
            "placement_kind",
            "legal_basis",
            "age_band",
            "end_reason",
            "would_place_again",
        ):
            value = getattr(experience, name)
            self[name].data = value.value if value is not None else ""
        self.goal_attainment.data = str(experience.goal_attainment or "")
        self.daily_price.data = (
            f"{experience.daily_price:f}".rstrip("0").rstrip(".")
            if experience.daily_price is not None
            else ""
        )
        start = from_columns(experience.start_year, experience.start_month)
        end = from_columns(experience.end_year, experience.end_month)
        self.start.data, self.end.data = str(start or ""), str(end or "")
        for rating in experience.ratings:
            self[f"rating_{rating.theme.value}"].data = (
                NOT_APPLICABLE if rating.rating is None else str(rating.rating)
            )


for _theme in Theme:
    setattr(
        ExperienceForm, f"rating_{_theme.value}", ChoiceField(_theme.label, choices=RATING_CHOICES)
    )


def _enum(enum_class, value: str | None):  # type: ignore[no-untyped-def]
    return enum_class(value) if value else None
