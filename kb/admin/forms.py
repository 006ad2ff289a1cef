from __future__ import annotations

from flask import current_app
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

from kb.auth.models import Role
from kb.auth.passwords import password_problems
from kb.forms import MultiCheckboxField, enum_choices, no_identity_number
from kb.organisations.models import OrganisationKind


def validate_org_number(form: FlaskForm, field: StringField) -> None:
    if field.data and not orgnr.is_valid(field.data):
        raise ValidationError(_l("Organisationsnumret är inte giltigt. Skriv det som 212000-0142."))


class OrganisationForm(FlaskForm):
    name = StringField(
        _l("Namn"),
        validators=[DataRequired(_l("Fyll i ett namn.")), Length(max=200), no_identity_number],
    )
    kind = SelectField(_l("Typ"), choices=enum_choices(OrganisationKind))
    org_number = StringField(
        _l("Organisationsnummer"),
        validators=[Optional(), Length(max=13), validate_org_number, no_identity_number],
        description=_l("Tio siffror, till exempel 212000-0142."),
    )
    member_of_id = SelectField(_l("Medlem i intermediär"), coerce=int, choices=[])
    submit = SubmitField(_l("Spara"))


class UserForm(FlaskForm):
    name = StringField(
        _l("Namn"),
        validators=[DataRequired(_l("Fyll i ett namn.")), Length(max=200), no_identity_number],
    )
    email = EmailField(
        _l("E-postadress"),
        validators=[
            DataRequired(_l("Fyll i en e-postadress.")),
            Email(_l("Skriv en giltig e-postadress."), check_deliverability=False),
            Length(max=254),
            no_identity_number,
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
        validators=[Optional()],
        description=_l(
            "Lämna tomt för att behålla nuvarande lösenord. Ett nytt lösenord loggar ut "
            "användaren på alla enheter."
        ),
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Spara"))

    def validate_password(self, field: PasswordField) -> None:
        """The password rules of kb.auth.passwords, for a password the admin sets."""
        if not field.data:
            return
        problems = password_problems(
            field.data,
            current_app.config["PASSWORD_MIN_LENGTH"],
            email=self.email.data or "",
            name=self.name.data or "",
        )
        if problems:
            raise ValidationError(" ".join(problems))


class NewUserForm(UserForm):
    password = PasswordField(
        _l("Lösenord"),
        validators=[DataRequired(_l("Fyll i ett lösenord."))],
        render_kw={"autocomplete": "new-password"},
    )
