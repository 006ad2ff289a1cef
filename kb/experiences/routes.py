"""The caseworker's side: log, edit, read and list placement experiences."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from kb.auth.access import require_role
from kb.auth.models import Role
from kb.catalogue.filters import page_from_args
from kb.database import utcnow
from kb.experiences import form_options
from kb.experiences.forms import ExperienceForm
from kb.experiences.models import Experience
from kb.experiences.queries import findings_fed_by, my_experiences
from kb.experiences.services import (
    ExperienceInvalid,
    PrivacyWarningsNeedConfirmation,
    find_by_submission_key,
    save_experience,
)
from kb.experiences.validation import is_foreign_contract
from kb.experiences.visibility import can_edit, can_read
from kb.extensions import db

bp = Blueprint("experiences", __name__, url_prefix="/erfarenheter")


@bp.route("/mina")
@require_role(Role.CASEWORKER)
def mine() -> str:
    page = my_experiences(
        current_user, page_from_args(request.args), current_app.config["PAGE_SIZE"]
    )
    fed = findings_fed_by([e.id for e in page.rows], current_user)
    return render_template("experiences/mine.html", page=page, experiences=page.rows, fed=fed)


@bp.route("/<int:experience_id>")
def detail(experience_id: int) -> str:
    experience = db.get_or_404(Experience, experience_id)
    if not can_read(current_user, experience):
        abort(404)
    fed = findings_fed_by([experience.id], current_user).get(experience.id, [])
    return render_template("experiences/detail.html", experience=experience, fed=fed)


@bp.route("/ny", methods=["GET", "POST"], defaults={"experience_id": None})
@bp.route("/<int:experience_id>/redigera", methods=["GET", "POST"])
@require_role(Role.CASEWORKER)
def edit(experience_id: int | None) -> Response | str:
    experience = db.get_or_404(Experience, experience_id) if experience_id else None
    if experience is not None and not can_edit(current_user, experience):
        abort(403)
    form = form_options.prepared_form(experience, request.args.get("unit", type=int))
    if form.is_submitted() and _names_a_foreign_contract(form, experience):
        abort(404)
    warnings: list = []
    if form.is_submitted() and form.action() != "preview" and form.validate():
        saved, warnings = _try_save(form, experience)
        if saved is not None:
            flash(form_options.saved_message(saved), "success")
            return redirect(url_for("experiences.detail", experience_id=saved.id))
    return render_template(
        "experiences/form.html",
        form=form_options.with_choices(form, current_user.organisation),
        experience=experience,
        warnings=warnings,
    )


def _names_a_foreign_contract(form: ExperienceForm, experience: Experience | None) -> bool:
    """A contract of another network, which the form never offers (kept when unchanged)."""
    chosen = form.contract_id.data or ""
    contract_id = int(chosen) if chosen.isdigit() else None
    if experience is not None and contract_id == experience.contract_id:
        return False
    return is_foreign_contract(current_user.organisation, contract_id)


def _try_save(
    form: ExperienceForm, experience: Experience | None
) -> tuple[Experience | None, list]:
    """Save and commit once; on a rule or privacy warning, roll back and say why."""
    try:
        saved = save_experience(
            current_user,
            form.to_input(),
            submit=form.action() == "submit",
            privacy_confirmed=form.privacy_confirmed.data,
            now=utcnow(),
            experience=experience,
        )
        db.session.commit()
        return saved, []
    except ExperienceInvalid as invalid:
        db.session.rollback()
        form.add_errors(invalid.errors)
        return None, []
    except PrivacyWarningsNeedConfirmation as needs_confirmation:
        db.session.rollback()
        return None, list(needs_confirmation.report.warnings)
    except IntegrityError:
        db.session.rollback()  # a double submit raced us: show the one that was saved
        return find_by_submission_key(current_user, form.submission_key.data), []


@bp.route("/avtal")
@require_role(Role.CASEWORKER)
def contract_options() -> Response:
    """JSON for the form's script: the unit's areas and the contracts valid in the period."""
    return jsonify(form_options.contract_options_json(request.args, current_user.organisation))
