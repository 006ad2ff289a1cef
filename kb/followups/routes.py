"""Follow-ups (uppföljningar): create, edit, view and list; start from a template."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from kb.auth.access import require_role
from kb.experiences.models import Experience
from kb.experiences.visibility import can_read
from kb.extensions import db
from kb.followups.forms import FollowUpForm, set_citation_choices, set_object_choices
from kb.followups.models import Deviation, FollowUp, FollowUpKind
from kb.followups.queries import (
    filter_from_args,
    followable_objects,
    followup_page,
    list_options,
    network_deviations,
    readable_experiences,
)
from kb.followups.scopes import FOLLOW_UP_ROLES, may_write, readable_or_404
from kb.followups.services import (
    FollowUpInvalid,
    PrivacyWarningsNeedConfirmation,
    may_edit,
    save_followup,
)
from kb.followups.templates_data import TEMPLATES, template_for
from kb.offered import refuse_unoffered
from kb.submissions.views import SubmitOnce
from kb.suppliers.models import AgreementArea, Supplier, Unit
from kb.tenders.models import Contract, TenderRound

bp = Blueprint("followups", __name__, url_prefix="/uppfoljningar")


def _readable_or_404(followup_id: int) -> FollowUp:
    return readable_or_404(current_user, FollowUp, followup_id)


@bp.route("/")
def index() -> str:
    filters = filter_from_args(request.args)
    page = followup_page(current_user, filters, request.args, current_app.config["PAGE_SIZE"])
    return render_template(
        "followups/list.html",
        page=page,
        filters=filters,
        options=list_options(filters),
        may_write=may_write(current_user),
    )


@bp.route("/<int:followup_id>")
def detail(followup_id: int) -> str:
    followup = _readable_or_404(followup_id)
    cited = [e for e in followup.cited_experiences if can_read(current_user, e)]
    return render_template(
        "followups/detail.html",
        followup=followup,
        cited_experiences=cited,
        hidden_experiences=len(followup.cited_experiences) - len(cited),
        may_edit=may_edit(current_user, followup),
    )


@bp.route("/ny", methods=["GET", "POST"])
@require_role(*FOLLOW_UP_ROLES)
def new() -> Response | str:
    return _form_page(None)


@bp.route("/<int:followup_id>/redigera", methods=["GET", "POST"])
@require_role(*FOLLOW_UP_ROLES)
def edit(followup_id: int) -> Response | str:
    followup = _readable_or_404(followup_id)
    if not may_edit(current_user, followup):
        abort(403)
    return _form_page(followup)


OFFERED_FIELDS = {
    "agreement_area_id": AgreementArea,
    "supplier_id": Supplier,
    "tender_round_id": TenderRound,
    "unit_id": Unit,
    "contract_id": Contract,
    "experience_ids": Experience,
    "deviation_ids": Deviation,
}


def _form_page(followup: FollowUp | None) -> Response | str:
    """Validate, save, commit once and redirect; else show the form with what was typed."""
    form = _prepared_form(followup)
    refuse_unoffered(form, OFFERED_FIELDS)
    once = SubmitOnce(form, active=followup is None)
    if (earlier := once.repeat()) is not None:
        return earlier
    warnings: list = []
    if form.validate_on_submit():
        if (earlier := once.claim()) is not None:
            return earlier
        saved, warnings = _try_save(form, followup)
        if saved is not None:
            url = url_for("followups.detail", followup_id=saved.id)
            if (earlier := once.commit(url)) is not None:
                return earlier
            flash(_("Uppföljningen är sparad."), "success")
            return redirect(url)
    return render_template(
        "followups/form.html",
        form=form,
        followup=followup,
        warnings=warnings,
        templates=TEMPLATES if followup is None else (),
        args=request.args.to_dict(),
    )


def _prepared_form(followup: FollowUp | None) -> FollowUpForm:
    """The form with its choices; on GET filled from the follow-up, a template or the URL."""
    form = FollowUpForm()
    experiences = readable_experiences(current_user)
    deviations = network_deviations(current_user)
    set_object_choices(form, followable_objects(current_user.organisation))
    set_citation_choices(form, experiences, deviations)
    if form.is_submitted():
        return form
    if followup is not None:
        form.fill_from(followup)
        return form
    template = template_for(request.args.get("mall"))
    if template is not None:
        form.fill_from_template(template)
    form.preselect(request.args.get("scope"), request.args.get("id", type=int))
    if request.args.get("kind") in {kind.value for kind in FollowUpKind}:
        form.kind.data = request.args["kind"]
    cited = request.args.get("erfarenhet", "")
    if cited in {str(e.id) for e in experiences}:
        form.experience_ids.data = [cited]
    deviation = request.args.get("avvikelse", "")
    if deviation in {str(d.id) for d in deviations}:
        form.deviation_ids.data = [deviation]
    return form


def _try_save(form: FollowUpForm, followup: FollowUp | None) -> tuple[FollowUp | None, list]:
    """Save (the caller commits); on a rule or privacy warning, roll back and say why."""
    try:
        saved = save_followup(
            current_user,
            form.to_input(),
            privacy_confirmed=form.privacy_confirmed.data,
            followup=followup,
        )
        return saved, []
    except FollowUpInvalid as invalid:
        db.session.rollback()
        form.add_errors(invalid.errors)
        return None, []
    except PrivacyWarningsNeedConfirmation as needs_confirmation:
        db.session.rollback()
        return None, list(needs_confirmation.report.warnings)


@bp.context_processor
def _helpers() -> dict:
    return {"followup_target": followup_target}


def followup_target(followup: FollowUp) -> tuple[str, str | None]:
    """The name of what the follow-up covers, and the page where it is shown."""
    if followup.unit is not None:
        return followup.unit.name, url_for("suppliers.unit", unit_id=followup.unit_id)
    if followup.supplier is not None:
        return followup.supplier.name, url_for(
            "suppliers.supplier", supplier_id=followup.supplier_id
        )
    if followup.contract is not None:
        contract = followup.contract
        reference = contract.reference or _("Avtal %(id)s", id=contract.id)
        name = f"{reference} – {contract.supplier.name}"
        return name, url_for("catalogue.tender_round", round_id=contract.tender_round_id)
    if followup.tender_round is not None:
        return (
            f"{followup.tender_round.reference} – {followup.tender_round.title}",
            url_for("catalogue.tender_round", round_id=followup.tender_round_id),
        )
    if followup.agreement_area is not None:
        return followup.agreement_area.name, url_for(
            "catalogue.area", area_id=followup.agreement_area_id
        )
    return "–", None
