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
    may_decide,
    may_edit,
    may_manage,
    may_supersede,
)
from kb.findings.clusters import PRESELECT_LIMIT, evidence_clusters, min_cluster_size
from kb.findings.conflicts import Conflict, conflict_for
from kb.findings.evidence import DEVIATION, EXPERIENCE, PARAMS
from kb.findings.forms import DecisionForm, FindingForm, SupersedeForm
from kb.findings.lifecycle import decide_finding, supersede_finding
from kb.findings.models import Finding
from kb.findings.queries import (
    MAX_ID,
    filter_from_args,
    finding_page,
    proposed_queue,
    visible_or_404,
)
from kb.findings.services import FindingInvalid, PrivacyWarningsNeedConfirmation, save_finding
from kb.findings.versions import FindingConflict
from kb.submissions.views import SubmitOnce

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
def new() -> Response | tuple[str, int] | str:
    return _form_page(None)


@bp.route("/<int:finding_id>/redigera", methods=["GET", "POST"])
@require_role(*FINDING_ROLES)
def edit(finding_id: int) -> Response | tuple[str, int] | str:
    finding = _managed_or_abort(finding_id)
    if not may_edit(current_user, finding):
        status = str(finding.status.label).lower()
        flash(_("Lärdomen är %(status)s och kan inte längre ändras.", status=status), "error")
        return redirect(url_for("findings.detail", finding_id=finding.id))
    return _form_page(finding)


@bp.route("/<int:finding_id>/beslut", methods=["POST"])
@require_role(*FINDING_ROLES)
def decide(finding_id: int) -> Response | tuple[str, int] | str:
    finding = _managed_or_abort(finding_id)
    if request.form.get("decision") == finding.status.value:
        abort(403)  # a replayed form: the finding already has that status
    form = DecisionForm()
    warnings: list = []
    if form.validate():
        try:
            done, warnings = _run(form, lambda: _decide(form, finding))
        except FindingConflict:
            return _conflict_page(finding, decision_form=form)
        if done is not None:
            db.session.commit()
            status = str(finding.status.label).lower()
            flash(_("Lärdomen är nu %(status)s.", status=status), "success")
            return redirect(url_for("findings.detail", finding_id=finding.id))
    return _detail_page(finding, decision_form=form, warnings=warnings)


@bp.route("/<int:finding_id>/ersatt", methods=["POST"])
@require_role(*FINDING_ROLES)
def supersede(finding_id: int) -> Response | tuple[str, int] | str:
    finding = _managed_or_abort(finding_id)
    form = SupersedeForm()
    replacement = form.replacement_id()
    if replacement is not None and replacement <= MAX_ID and db.session.get(Finding, replacement):
        visible_or_404(current_user, replacement)  # another network's finding: tampered form
    if form.validate():
        try:
            done, _warnings = _run(form, lambda: _supersede(form, finding))
        except FindingConflict:
            return _conflict_page(finding, supersede_form=form)
        if done is not None:
            db.session.commit()
            flash(_("Lärdomen är markerad som ersatt."), "success")
            return redirect(url_for("findings.detail", finding_id=finding.id))
    return _detail_page(finding, supersede_form=form)


# --- Helpers ---------------------------------------------------------------------------------

CONFLICT = 409


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
        read_version=form.read_version(),
    )


def _supersede(form: SupersedeForm, finding: Finding) -> Finding:
    return supersede_finding(
        current_user, finding, form.replacement_id(), read_version=form.read_version()
    )


def _run(form: object, action: Callable[[], Finding]) -> tuple[Finding | None, list]:
    """Run the service (it flushes; the caller commits). On a broken rule or a privacy warning
    roll back and return None with the warnings to confirm; on a conflict roll back and raise."""
    try:
        return action(), []
    except FindingInvalid as invalid:
        db.session.rollback()
        form.add_errors(invalid.errors)  # type: ignore[attr-defined]
        return None, []
    except PrivacyWarningsNeedConfirmation as needs_confirmation:
        db.session.rollback()
        return None, list(needs_confirmation.report.warnings)
    except FindingConflict:
        db.session.rollback()
        raise


def _form_page(finding: Finding | None) -> Response | tuple[str, int] | str:
    """Validate, save, commit once and redirect; else show the form with what was typed."""
    form, hidden_evidence = pages.prepared_form(current_user, finding, request.args)
    if form.is_submitted() and pages.posts_unreadable_evidence(current_user, form):
        abort(404)
    once = SubmitOnce(form, active=finding is None)
    if (earlier := once.repeat()) is not None:
        return earlier
    warnings: list = []
    if form.validate_on_submit():
        if (earlier := once.claim()) is not None:
            return earlier
        try:
            saved, warnings = _run(form, lambda: _save(form, finding))
        except FindingConflict:
            conflict = conflict_for(finding, form.to_input())  # type: ignore[arg-type]
            form.show_version_of(finding)  # type: ignore[arg-type]
            page = _form_template(form, finding, hidden_evidence, [], conflict)
            return page, CONFLICT
        if saved is not None:
            url = url_for("findings.detail", finding_id=saved.id)
            if (earlier := once.commit(url)) is not None:
                return earlier
            flash(_("Lärdomen är sparad."), "success")
            return redirect(url)
    return _form_template(form, finding, hidden_evidence, warnings)


def _form_template(
    form: FindingForm,
    finding: Finding | None,
    hidden_evidence: int,
    warnings: list,
    conflict: Conflict | None = None,
) -> str:
    return render_template(
        "findings/form.html",
        form=form,
        finding=finding,
        warnings=warnings,
        hidden_evidence=hidden_evidence,
        conflict=conflict,
    )


def _save(form: FindingForm, finding: Finding | None) -> Finding:
    return save_finding(
        current_user,
        form.to_input(),
        privacy_confirmed=bool(form.privacy_confirmed.data),
        finding=finding,
        read_version=form.read_version() if finding is not None else None,
    )


def _conflict_page(
    finding: Finding,
    decision_form: DecisionForm | None = None,
    supersede_form: SupersedeForm | None = None,
) -> tuple[str, int]:
    """The finding as it is now, with the form as it was posted but at the current version,
    so that posting it again is a deliberate choice."""
    decision_form = decision_form if may_decide(current_user, finding) else None
    supersede_form = supersede_form if may_supersede(current_user, finding) else None
    for form in (decision_form, supersede_form):
        if form is not None:
            form.show_version_of(finding)
    page = _detail_page(finding, decision_form, supersede_form, conflict=conflict_for(finding))
    return page, CONFLICT


def _detail_page(
    finding: Finding,
    decision_form: DecisionForm | None = None,
    supersede_form: SupersedeForm | None = None,
    warnings: list | None = None,
    conflict: Conflict | None = None,
) -> str:
    context = pages.detail_context(current_user, finding, decision_form, supersede_form)
    return render_template(
        "findings/detail.html", warnings=warnings or [], conflict=conflict, **context
    )


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
