"""The profile page, /profil: who you are, and your personal API tokens.

Every signed-in user has one. A new token is shown once, on the page that created it (never
put in a flash message or a redirect, so it is not stored in the session cookie).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from kb.api.forms import RevokeForm, TokenForm
from kb.api.tokens import create_token, is_usable, revoke_token, token_of_user, tokens_of_user
from kb.catalogue.filters import MAX_ID
from kb.database import utcnow
from kb.extensions import db

bp = Blueprint("profile", __name__, url_prefix="/profil")


def _page(form: TokenForm, new_secret: str | None = None, status: int = 200) -> tuple[str, int]:
    return render_template(
        "api/profile.html",
        form=form,
        revoke_form=RevokeForm(formdata=None),
        tokens=tokens_of_user(current_user),
        usable=lambda token: is_usable(token, utcnow()),
        new_secret=new_secret,
    ), status


@bp.get("")
def index() -> tuple[str, int]:
    return _page(TokenForm(formdata=None))


@bp.post("/nycklar")
def create() -> tuple[str, int] | tuple[str, int, dict[str, str]]:
    form = TokenForm()
    if not form.validate():
        return _page(form, status=400)
    created = create_token(
        current_user, form.name.data, form.scope.data, form.expiry_days(), utcnow()
    )
    db.session.commit()
    flash(_("API-nyckeln är skapad. Kopiera den nu – den visas bara en gång."), "success")
    page, status = _page(TokenForm(formdata=None), created.secret, 201)
    return page, status, {"Cache-Control": "no-store"}  # the one page showing the token


@bp.post("/nycklar/<int:token_id>/aterkalla")
def revoke(token_id: int) -> Response:
    form = RevokeForm()
    token = token_of_user(current_user, token_id) if token_id <= MAX_ID else None
    if token is None:
        abort(404)
    if token.revoked_at is not None:
        abort(404)  # a replayed form: no active token by that id
    if not form.validate():
        abort(400)
    revoke_token(token, utcnow())
    db.session.commit()
    flash(_("API-nyckeln %(name)s är återkallad.", name=token.name), "success")
    return redirect(url_for("profile.index"))
