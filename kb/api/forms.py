from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from kb.api.tokens import READ, WRITE
from kb.forms import no_identity_number, select_choices

EXPIRY_CHOICES = select_choices(
    [
        ("30", _l("30 dagar")),
        ("90", _l("90 dagar")),
        ("365", _l("Ett år")),
        ("", _l("Går inte ut")),
    ]
)


class TokenForm(FlaskForm):
    name = StringField(
        _l("Namn"),
        validators=[DataRequired(_l("Ge nyckeln ett namn.")), Length(max=100), no_identity_number],
        description=_l("Vad nyckeln används till, till exempel verksamhetssystemet."),
    )
    scope = RadioField(
        _l("Behörighet"),
        choices=select_choices([(READ, _l("Läsa")), (WRITE, _l("Läsa och skriva"))]),
        default=READ,
        validators=[DataRequired(_l("Välj behörighet."))],
    )
    expires_in_days = SelectField(_l("Giltig"), choices=EXPIRY_CHOICES, default="90")
    submit = SubmitField(_l("Skapa API-nyckel"))

    def expiry_days(self) -> int | None:
        return int(self.expires_in_days.data) if self.expires_in_days.data else None


class RevokeForm(FlaskForm):
    submit = SubmitField(_l("Återkalla"))
