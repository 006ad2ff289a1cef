from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from kb.admin.forms import NewUserForm, OrganisationForm, UserForm
from kb.admin.services import (
    AdminError,
    OrganisationData,
    UserData,
    intermediaries,
    organisations_for_select,
    save_organisation,
    save_user,
)
from kb.auth.access import require_role
from kb.auth.models import Role, User
from kb.extensions import db
from kb.forms import select_choices
from kb.organisations.models import Organisation, OrganisationKind

bp = Blueprint("admin", __name__, url_prefix="/admin")
NO_PARENT = 0


@bp.route("/organisationer")
@require_role(Role.ADMIN)
def organisations() -> str:
    rows = db.session.scalars(select(Organisation).order_by(Organisation.kind, Organisation.name))
    return render_template("admin/organisations.html", organisations=list(rows))


def _organisation_form(organisation: Organisation | None) -> OrganisationForm:
    form = OrganisationForm(obj=organisation)
    form.member_of_id.choices = select_choices(
        [(NO_PARENT, _("Ingen"))]
        + [
            (o.id, o.name)
            for o in intermediaries()
            if organisation is None or o.id != organisation.id
        ]
    )
    if organisation is not None and not form.is_submitted():
        form.kind.data = organisation.kind.value
        form.member_of_id.data = organisation.member_of_id or NO_PARENT
    return form


@bp.route("/organisationer/ny", methods=["GET", "POST"], defaults={"organisation_id": None})
@bp.route("/organisationer/<int:organisation_id>", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def edit_organisation(organisation_id: int | None) -> Response | str:
    organisation = db.get_or_404(Organisation, organisation_id) if organisation_id else None
    form = _organisation_form(organisation)
    if form.validate_on_submit():
        data = OrganisationData(
            name=form.name.data,
            kind=OrganisationKind(form.kind.data),
            org_number=form.org_number.data or None,
            member_of_id=form.member_of_id.data or None,
        )
        try:
            save_organisation(data, organisation)
        except AdminError as error:
            db.session.rollback()
            form[error.field or "name"].errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Organisationen %(name)s är sparad.", name=data.name), "success")
            return redirect(url_for("admin.organisations"))
    return render_template("admin/organisation_form.html", form=form, organisation=organisation)


@bp.route("/anvandare")
@require_role(Role.ADMIN)
def users() -> str:
    rows = db.session.scalars(select(User).order_by(User.name))
    return render_template("admin/users.html", users=list(rows))


def _user_form(user: User | None) -> UserForm:
    form = UserForm(obj=user) if user else NewUserForm()
    form.organisation_id.choices = select_choices(
        (o.id, o.name) for o in organisations_for_select()
    )
    if user is not None and not form.is_submitted():
        form.roles.data = sorted(role.value for role in user.roles)
    rules = _(
        "Minst %(count)d tecken, inte ett vanligt lösenord, inte bara siffror och inte "
        "personens namn eller e-postadress.",
        count=current_app.config["PASSWORD_MIN_LENGTH"],
    )
    form.password.description = f"{rules} {form.password.description or ''}".strip()
    return form


@bp.route("/anvandare/ny", methods=["GET", "POST"], defaults={"user_id": None})
@bp.route("/anvandare/<int:user_id>", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def edit_user(user_id: int | None) -> Response | str:
    user = db.get_or_404(User, user_id) if user_id else None
    form = _user_form(user)
    if form.validate_on_submit():
        data = UserData(
            name=form.name.data,
            email=form.email.data,
            organisation_id=form.organisation_id.data,
            roles={Role(value) for value in form.roles.data},
            active=form.active.data,
            password=form.password.data or None,
        )
        try:
            save_user(data, user, acting_user_id=current_user.id)
        except AdminError as error:
            db.session.rollback()
            form[error.field or "email"].errors.append(str(error))
        else:
            db.session.commit()
            if user is not None and user.id == current_user.id:
                login_user(user)  # a new own password ended every session, this one too
            flash(_("Kontot för %(name)s är sparat.", name=data.name), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)
