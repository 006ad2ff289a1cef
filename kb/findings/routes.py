"""Findings (lärdomar): list, queue, create from evidence, edit, read, decide and supersede.

Access (see kb.findings.access and kb.findings.queries for the rules):

- index, detail: every signed-in user, for the findings visible to them (others: 404);
- queue, new: curators (others: 403);
- edit, decide, supersede: curators of the owning organisation (other curators: 403;
  findings they cannot see: 404).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from kb.auth.access import require_role
from kb.extensions import db
from kb.findings import pages
from kb.findings.access import (
    FINDING_ROLES,
    may_create_findings,
    may_edit,
    may_manage,
)
from kb.findings.clusters import PRESELECT_LIMIT, evidence_clusters, min_cluster_size
from kb.findings.evidence import DEVIATION, EXPERIENCE, PARAMS
from kb.findings.forms import DecisionForm, FindingForm, SupersedeForm
from kb.findings.lifecycle import decide_finding, supersede_finding
from kb.findings.models import Finding
from kb.findings.queries import (
    filter_from_args,
    finding_page,
    proposed_queue,
    visible_or_404,
)
from kb.findings.services import FindingInvalid, PrivacyWarningsNeedConfirmation, save_finding

bp = Blueprint("findings", __name__, url_prefix="/lardomar")


@bp.route("/")
def index() -> str:
    filters = filter_from_args(request.args)
    page = finding_page(current_user, filters, request.args, current_app.config["PAGE_SIZE"])
    return render_template(
        "findings/index.html", page=page, filters=filters, options=pages.list_options()
    )


@bp.route("/ko")
@require_role(*FINDING_ROLES)
def queue() -> str:
    proposed, proposed_total = proposed_queue(current_user)
    return render_template(
        "findings/queue.html",
        proposed=proposed,
        proposed_total=proposed_total,
        clusters=evidence_clusters(current_user),
        min_size=min_cluster_size(),
        preselect_limit=PRESELECT_LIMIT,
    )


@bp.route("/<int:finding_id>")
def detail(finding_id: int) -> str:
    return _detail_page(visible_or_404(current_user, finding_id))


@bp.route("/ny", methods=["GET", "POST"])
@require_role(*FINDING_ROLES)
def new() -> Response | str:
    return _form_page(None)


@bp.route("/<int:finding_id>/redigera", methods=["GET", "POST"])
@require_role(*FINDING_ROLES)
def edit(finding_id: int) -> Response | str:
    finding = _managed_or_abort(finding_id)
    if not may_edit(current_user, finding):
        status = str(finding.status.label).lower()
        flash(_("Lärdomen är %(status)s och kan inte längre ändras.", status=status), "error")
        return redirect(url_for("findings.detail", finding_id=finding.id))
    return _form_page(finding)


@bp.route("/<int:finding_id>/beslut", methods=["POST"])
@require_role(*FINDING_ROLES)
def decide(finding_id: int) -> Response | str:
    finding = _managed_or_abort(finding_id)
    form = DecisionForm()
    warnings: list = []
    if form.validate():
        done, warnings = _commit_or_show(form, lambda: _decide(form, finding))
        if done is not None:
            status = str(finding.status.label).lower()
            flash(_("Lärdomen är nu %(status)s.", status=status), "success")
            return redirect(url_for("findings.detail", finding_id=finding.id))
    return _detail_page(finding, decision_form=form, warnings=warnings)


@bp.route("/<int:finding_id>/ersatt", methods=["POST"])
@require_role(*FINDING_ROLES)
def supersede(finding_id: int) -> Response | str:
    finding = _managed_or_abort(finding_id)
    form = SupersedeForm()
    if form.validate():
        replacement_id = form.replacement_id()
        done, _warnings = _commit_or_show(
            form, lambda: supersede_finding(current_user, finding, replacement_id)
        )
        if done is not None:
            flash(_("Lärdomen är markerad som ersatt."), "success")
            return redirect(url_for("findings.detail", finding_id=finding.id))
    return _detail_page(finding, supersede_form=form)


# --- Helpers ---------------------------------------------------------------------------------


def _managed_or_abort(finding_id: int) -> Finding:
    finding = visible_or_404(current_user, finding_id)
    if not may_manage(current_user, finding):
        abort(403)
    return finding


def _decide(form: DecisionForm, finding: Finding) -> Finding:
    return decide_finding(
        current_user,
        finding,
        form.decision.data or "",
        form.rejection_reason.data or "",
        privacy_confirmed=bool(form.privacy_confirmed.data),
    )


def _commit_or_show(form: object, action: Callable[[], Finding]) -> tuple[Finding | None, list]:
    """Run the service and commit once; on a broken rule or privacy warning, roll back and
    return None with the warnings to confirm."""
    try:
        finding = action()
        db.session.commit()
        return finding, []
    except FindingInvalid as invalid:
        db.session.rollback()
        form.add_errors(invalid.errors)  # type: ignore[attr-defined]
        return None, []
    except PrivacyWarningsNeedConfirmation as needs_confirmation:
        db.session.rollback()
        return None, list(needs_confirmation.report.warnings)


def _form_page(finding: Finding | None) -> Response | str:
    """Validate, save, commit once and redirect; else show the form with what was typed."""
    form, hidden_evidence = pages.prepared_form(current_user, finding, request.args)
    warnings: list = []
    if form.validate_on_submit():
        saved, warnings = _commit_or_show(form, lambda: _save(form, finding))
        if saved is not None:
            flash(_("Lärdomen är sparad."), "success")
            return redirect(url_for("findings.detail", finding_id=saved.id))
    return render_template(
        "findings/form.html",
        form=form,
        finding=finding,
        warnings=warnings,
        hidden_evidence=hidden_evidence,
    )


def _save(form: FindingForm, finding: Finding | None) -> Finding:
    return save_finding(
        current_user,
        form.to_input(),
        privacy_confirmed=bool(form.privacy_confirmed.data),
        finding=finding,
    )


def _detail_page(
    finding: Finding,
    decision_form: DecisionForm | None = None,
    supersede_form: SupersedeForm | None = None,
    warnings: list | None = None,
) -> str:
    context = pages.detail_context(current_user, finding, decision_form, supersede_form)
    return render_template("findings/detail.html", warnings=warnings or [], **context)


def requirement_url(requirement_id: int) -> str | None:
    """The requirement's page, once the requirement library has one."""
    try:
        return url_for("requirements.detail", requirement_id=requirement_id)
    except BuildError:
        return None


EVIDENCE_ENDPOINTS = {
    EXPERIENCE: ("experiences.detail", "experience_id"),
    DEVIATION: ("deviations.detail", "deviation_id"),
}


def evidence_url(kind: str, evidence_id: int) -> str:
    endpoint, name = EVIDENCE_ENDPOINTS.get(kind, ("followups.detail", "followup_id"))
    return url_for(endpoint, **{name: evidence_id})


def current_user_creates_findings() -> bool:
    return may_create_findings(current_user)


@bp.record_once
def _template_globals(state: BlueprintSetupState) -> None:
    """Globals, so that imported macros (e.g. suppliers/_knowledge.html) see them too."""
    state.app.jinja_env.globals.update(
        creates_findings=current_user_creates_findings,
        evidence_params=PARAMS,
        evidence_url=evidence_url,
        requirement_url=requirement_url,
    )
