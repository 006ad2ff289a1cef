from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from stdnum.se import orgnr
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    ValidationError,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from kb.admin.services import MIN_PASSWORD_LENGTH
from kb.auth.models import Role
from kb.forms import MultiCheckboxField, enum_choices
from kb.organisations.models import OrganisationKind


def validate_org_number(form: FlaskForm, field: StringField) -> None:
    if field.data and not orgnr.is_valid(field.data):
        raise ValidationError(_l("Organisationsnumret är inte giltigt. Skriv det som 212000-0142."))


class OrganisationForm(FlaskForm):
    name = StringField(
        _l("Namn"), validators=[DataRequired(_l("Fyll i ett namn.")), Length(max=200)]
    )
    kind = SelectField(_l("Typ"), choices=enum_choices(OrganisationKind))
    org_number = StringField(
        _l("Organisationsnummer"),
        validators=[Optional(), Length(max=13), validate_org_number],
        description=_l("Tio siffror, till exempel 212000-0142."),
    )
    member_of_id = SelectField(_l("Medlem i intermediär"), coerce=int, choices=[])
    submit = SubmitField(_l("Spara"))


class UserForm(FlaskForm):
    name = StringField(
        _l("Namn"), validators=[DataRequired(_l("Fyll i ett namn.")), Length(max=200)]
    )
    email = EmailField(
        _l("E-postadress"),
        validators=[
            DataRequired(_l("Fyll i en e-postadress.")),
            Email(_l("Skriv en giltig e-postadress."), check_deliverability=False),
            Length(max=254),
        ],
    )
    organisation_id = SelectField(_l("Organisation"), coerce=int, choices=[])
    roles = MultiCheckboxField(
        _l("Roller"),
        choices=enum_choices(Role),
        validators=[DataRequired(_l("Välj minst en roll."))],
    )
    active = BooleanField(_l("Aktivt konto"), default=True)
    password = PasswordField(
        _l("Nytt lösenord"),
        validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
        description=_l("Minst 12 tecken. Lämna tomt för att behålla nuvarande lösenord."),
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Spara"))


class NewUserForm(UserForm):
    password = PasswordField(
        _l("Lösenord"),
        validators=[
            DataRequired(_l("Fyll i ett lösenord.")),
            Length(min=MIN_PASSWORD_LENGTH, max=200),
        ],
        description=_l("Minst 12 tecken."),
        render_kw={"autocomplete": "new-password"},
    )
