"""The requirement library (kravbibliotek): everyone signed in reads it, curators write it."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from kb.auth.access import require_role
from kb.auth.models import Role
from kb.catalogue.filters import MAX_ID, parse_positive_int
from kb.extensions import db
from kb.requirements.access import may_maintain
from kb.requirements.forms import ConfirmForm, EditRequirementForm, NewRequirementForm
from kb.requirements.models import Requirement, RequirementKind, RequirementLevel
from kb.requirements.queries import (
    area_options,
    filter_from_args,
    format_weight,
    library_page,
    requirement_or_404,
    rounds_using,
    version_changes,
    version_or_404,
)
from kb.requirements.services import (
    NothingChanged,
    RequirementInvalid,
    StaleVersion,
    code_prefix_for,
    create_requirement,
    edit_requirement,
    next_free_code,
)
from kb.requirements.services import restore as restore_requirement
from kb.requirements.services import retire as retire_requirement
from kb.search.sync import wake_drainer
from kb.submissions.views import SubmitOnce
from kb.suppliers.models import AgreementArea

bp = Blueprint("requirements", __name__, url_prefix="/krav")


@bp.route("/")
def index() -> str:
    filters = filter_from_args(request.args)
    if filters.text:
        wake_drainer(current_app._get_current_object())  # catch up on work queued elsewhere
    library = library_page(current_user, filters, request.args, current_app.config["PAGE_SIZE"])
    return render_template(
        "requirements/list.html",
        library=library,
        filters=filters,
        areas=area_options(),
        kinds=list(RequirementKind),
        levels=list(RequirementLevel),
    )


@bp.route("/<int:requirement_id>")
def detail(requirement_id: int) -> str:
    return _detail_page(requirement_or_404(requirement_id))


def _detail_page(requirement: Requirement) -> str:
    return render_template(
        "requirements/detail.html",
        requirement=requirement,
        versions=list(reversed(requirement.versions)),
        rounds=rounds_using([version.id for version in requirement.versions]),
        confirm=ConfirmForm(),
        may_maintain=may_maintain(current_user, requirement),
    )


def _maintained_or_403(requirement_id: int) -> Requirement:
    """The requirement, if the user's network owns it; 404 when missing, else 403."""
    requirement = requirement_or_404(requirement_id)
    if not may_maintain(current_user, requirement):
        abort(403)
    return requirement


@bp.route("/<int:requirement_id>/version/<int:number>")
def version(requirement_id: int, number: int) -> str:
    requirement = requirement_or_404(requirement_id)
    shown = version_or_404(requirement, number)
    previous = next((v for v in requirement.versions if v.number == number - 1), None)
    return render_template(
        "requirements/version.html",
        requirement=requirement,
        version=shown,
        previous=previous,
        changes=version_changes(previous, shown) if previous else [],
        rounds=rounds_using([shown.id]).get(shown.id, []),
    )


@bp.route("/ny", methods=["GET", "POST"])
@require_role(Role.CURATOR)
def new() -> Response | str:
    form = NewRequirementForm()
    once = SubmitOnce(form)
    if (earlier := once.repeat()) is not None:
        return earlier
    form.set_area_choices(_all_areas())
    if not form.is_submitted():
        area_id = parse_positive_int(request.args.get("omrade"), MAX_ID)
        form.code.data = next_free_code(code_prefix_for(area_id))
        form.area_ids.data = [str(area_id)] if area_id else []
    elif form.validate():
        if (earlier := once.claim()) is not None:
            return earlier
        try:
            requirement = create_requirement(current_user, form.to_new_requirement())
        except RequirementInvalid as invalid:
            db.session.rollback()
            form.add_errors(invalid.errors)
        else:
            url = url_for("requirements.detail", requirement_id=requirement.id)
            if (earlier := once.commit(url)) is not None:
                return earlier
            flash(_("Kravet %(code)s är sparat.", code=requirement.code), "success")
            return redirect(url)
    return render_template("requirements/form.html", form=form, requirement=None)


@bp.route("/<int:requirement_id>/redigera", methods=["GET", "POST"])
@require_role(Role.CURATOR)
def edit(requirement_id: int) -> Response | str:
    requirement = _maintained_or_403(requirement_id)
    form = EditRequirementForm()
    form.set_area_choices(_all_areas())
    if not form.is_submitted():
        form.fill_from(requirement)
    elif form.validate():
        try:
            return _save_edit(form, requirement)
        except RequirementInvalid as invalid:
            db.session.rollback()
            form.add_errors(invalid.errors)
            if isinstance(invalid, StaleVersion):
                form.based_on.data = str(invalid.current_number)
    return render_template("requirements/form.html", form=form, requirement=requirement)


def _save_edit(form: EditRequirementForm, requirement: Requirement) -> Response:
    """Save, commit once and redirect; raise RequirementInvalid for the form."""
    try:
        fields, areas = form.version_fields(), form.chosen_area_ids()
        saved = edit_requirement(current_user, requirement, form.based_on_number(), fields, areas)
    except NothingChanged:
        db.session.rollback()
        flash(_("Du ändrade ingenting, så ingen ny version sparades."), "info")
        return redirect(url_for("requirements.detail", requirement_id=requirement.id))
    db.session.commit()
    if saved is None:
        flash(
            _("Avtalsområdena är ändrade. Kravtexten är densamma, så ingen ny version behövdes."),
            "success",
        )
    else:
        flash(_("Ändringen är sparad som version %(n)d.", n=saved.number), "success")
    return redirect(url_for("requirements.detail", requirement_id=requirement.id))


@bp.route("/<int:requirement_id>/avveckla", methods=["POST"])
@require_role(Role.CURATOR)
def retire(requirement_id: int) -> Response | tuple[str, int]:
    requirement = _maintained_or_403(requirement_id)
    if requirement.retired_at is not None:  # a replayed form: nothing left to do
        flash(_("Kravet %(code)s är redan avvecklat.", code=requirement.code), "error")
        return _detail_page(requirement), 403
    retire_requirement(requirement)
    db.session.commit()
    flash(_("Kravet %(code)s är avvecklat.", code=requirement.code), "success")
    return redirect(url_for("requirements.detail", requirement_id=requirement.id))


@bp.route("/<int:requirement_id>/aterinfor", methods=["POST"])
@require_role(Role.CURATOR)
def restore(requirement_id: int) -> Response | tuple[str, int]:
    requirement = _maintained_or_403(requirement_id)
    if requirement.retired_at is None:
        flash(_("Kravet %(code)s är inte avvecklat.", code=requirement.code), "error")
        return _detail_page(requirement), 403
    restore_requirement(requirement)
    db.session.commit()
    flash(_("Kravet %(code)s är återinfört.", code=requirement.code), "success")
    return redirect(url_for("requirements.detail", requirement_id=requirement.id))


def _all_areas() -> list[AgreementArea]:
    return list(db.session.scalars(select(AgreementArea).order_by(AgreementArea.name)))


@bp.context_processor
def _helpers() -> dict:
    return {
        "format_weight": format_weight,
        "local_time": lambda moment: format_datetime(moment, "yyyy-MM-dd HH:mm"),
    }
