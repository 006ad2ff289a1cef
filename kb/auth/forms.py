from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from kb.auth.passwords import MAX_LENGTH


class LoginForm(FlaskForm):
    email = StringField(
        _l("E-postadress"),
        validators=[DataRequired(_l("Fyll i din e-postadress.")), Length(max=254)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        _l("Lösenord"),
        validators=[DataRequired(_l("Fyll i ditt lösenord.")), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Logga in"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Nuvarande lösenord"),
        validators=[
            DataRequired(_l("Fyll i ditt nuvarande lösenord.")),
            Length(max=MAX_LENGTH),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("Nytt lösenord"),
        validators=[DataRequired(_l("Fyll i ett nytt lösenord."))],
        render_kw={"autocomplete": "new-password"},
    )
    repeat_password = PasswordField(
        _l("Upprepa det nya lösenordet"),
        validators=[
            DataRequired(_l("Skriv det nya lösenordet en gång till.")),
            EqualTo("new_password", _l("Lösenorden är inte likadana.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Byt lösenord"))
