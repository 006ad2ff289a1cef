from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectChoice, SelectField, SubmitField

from kb.imports.columns import KINDS


class ImportForm(FlaskForm):
    kind = SelectField(
        _l("Vad importeras"), choices=[SelectChoice(key, kind.label) for key, kind in KINDS.items()]
    )
    file = FileField(
        _l("Fil"),
        validators=[FileRequired(_l("Välj en fil."))],
        description=_l("CSV (semikolon eller komma), XLSX eller JSON Lines."),
    )
    organisation = SelectField(
        _l("Organisation"),
        coerce=int,
        description=_l("Erfarenheterna tillhör denna organisation; omgångar leds av den."),
    )
    dry_run = BooleanField(_l("Kontrollera bara – spara ingenting"))
    submit = SubmitField(_l("Importera"))
