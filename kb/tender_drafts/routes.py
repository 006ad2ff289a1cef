"""Tender rounds in planning and their drafts (förfrågningsunderlag)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response as WerkzeugResponse

from kb.auth.access import require_role
from kb.auth.models import Role
from kb.deviations.forms import parse_id
from kb.experiences.models import OffContractReason
from kb.extensions import db
from kb.requirements.services import RequirementInvalid
from kb.submissions.views import SubmitOnce
from kb.tender_drafts import editing, queries
from kb.tender_drafts.access import buildable_draft_or_error, draft_or_404, may_build, round_or_404
from kb.tender_drafts.assemble import assemble
from kb.tender_drafts.changes import draft_changes
from kb.tender_drafts.finalise import finalise_draft
from kb.tender_drafts.forms import (
    ActionForm,
    ExcludeForm,
    IncludeFindingForm,
    ItemTextForm,
    NextRoundForm,
)
from kb.tender_drafts.generate import DraftInvalid, generate_draft
from kb.tender_drafts.models import DraftStatus, TenderDraft, TenderDraftItem
from kb.tender_drafts.off_contract import readable_placements
from kb.tenders.rounds import RoundInvalid, create_next_round

bp = Blueprint("drafts", __name__, url_prefix="/underlag")


@bp.route("/")
def index() -> str:
    return render_template(
        "tender_drafts/index.html", rows=queries.planning_rows(current_user), form=ActionForm()
    )


@bp.route("/ny-omgang", methods=["GET", "POST"])
@require_role(Role.PROCURER)
def new_round() -> WerkzeugResponse | str:
    form = NextRoundForm()
    once = SubmitOnce(form)
    if (earlier := once.repeat()) is not None:
        return earlier
    area_id = parse_id(request.values.get("area_id")) or parse_id(request.args.get("omrade"))
    predecessors = queries.possible_predecessors(current_user, area_id)
    form.offer(queries.plannable_areas(current_user), predecessors)
    if request.method == "GET" and area_id:
        form.area_id.data = str(area_id)
        form.predecessor_id.data = queries.latest_predecessor_id(current_user, area_id)
    chosen = parse_id(form.predecessor_id.data) if form.is_submitted() else None
    if chosen is not None and not queries.may_build_on(current_user, chosen):
        abort(404)  # another network's round: never offered as a predecessor
    if form.validate_on_submit():
        if (earlier := once.claim()) is not None:
            return earlier
        try:
            tender_round = create_next_round(current_user, form.to_input())
        except RoundInvalid as invalid:
            db.session.rollback()
            for name, messages in invalid.errors.items():
                form[name].errors = [*form[name].errors, *messages]
        else:
            url = url_for("drafts.round_page", round_id=tender_round.id)
            if (earlier := once.commit(url)) is not None:
                return earlier
            flash(_("Omgången %(ref)s är skapad.", ref=tender_round.reference), "success")
            return redirect(url)
    return render_template("tender_drafts/new_round.html", form=form)


@bp.route("/omgang/<int:round_id>")
def round_page(round_id: int) -> WerkzeugResponse | str:
    tender_round = round_or_404(current_user, round_id)
    draft = queries.draft_of(tender_round)
    if draft is not None:
        return redirect(url_for("drafts.detail", draft_id=draft.id))
    return render_template(
        "tender_drafts/round.html",
        tender_round=tender_round,
        may_build=may_build(current_user, tender_round),
        form=ActionForm(),
        findings=queries.accepted_for(tender_round),
    )


@bp.route("/omgang/<int:round_id>/generera", methods=["POST"])
@require_role(Role.PROCURER)
def generate(round_id: int) -> WerkzeugResponse:
    tender_round = round_or_404(current_user, round_id)
    if not may_build(current_user, tender_round):
        abort(403)
    if not ActionForm().validate_on_submit():
        flash(_("Formuläret hade gått ut. Försök igen."), "error")
        return redirect(url_for("drafts.round_page", round_id=round_id))
    try:
        draft = generate_draft(current_user, tender_round)
        db.session.commit()
    except DraftInvalid as invalid:
        db.session.rollback()
        flash(invalid.message, "error")
        return redirect(url_for("drafts.round_page", round_id=round_id))
    except IntegrityError:
        db.session.rollback()  # a twin of this post (a double click) made the draft just now
        if queries.draft_of(tender_round) is None:
            raise
        flash(_("Det här var redan sparat."), "info")
        return redirect(url_for("drafts.round_page", round_id=round_id))
    flash(_("Utkastet är genererat med %(n)d krav.", n=len(draft.items)), "success")
    return redirect(url_for("drafts.detail", draft_id=draft.id))


@bp.route("/<int:draft_id>")
def detail(draft_id: int) -> str:
    draft = draft_or_404(current_user, draft_id)
    return render_template(
        "tender_drafts/detail.html", **queries.detail_context(current_user, draft)
    )


def _refuse_final(draft: TenderDraft) -> tuple[str, int]:
    """A change posted to a finalised draft (a replayed form): 403, with the draft and why."""
    flash(_("Underlaget är fastställt. Dess kravversioner är låsta och kan inte ändras."), "error")
    context = queries.detail_context(current_user, draft)
    return render_template("tender_drafts/detail.html", **context), 403


def _act(
    draft_id: int, action: Callable[[TenderDraft], str], form: object = None
) -> Response | tuple[str, int]:
    """Run a change on a buildable draft, commit once, and go back to the draft."""
    draft = buildable_draft_or_error(current_user, draft_id)
    if draft.status == DraftStatus.FINAL:
        return _refuse_final(draft)
    form = form or ActionForm()
    if not form.validate_on_submit():  # type: ignore[attr-defined]
        flash(_("Formuläret hade gått ut. Försök igen."), "error")
    else:
        try:
            message = action(draft)
            db.session.commit()
        except (DraftInvalid, RequirementInvalid) as invalid:
            db.session.rollback()
            flash(getattr(invalid, "message", None) or _("Ändringen kunde inte sparas."), "error")
        else:
            flash(message, "success")
    return redirect(
        url_for("drafts.detail", draft_id=draft_id, _anchor=request.form.get("anchor", ""))
    )


def _item(draft: TenderDraft, item_id: int) -> TenderDraftItem:
    item = next((i for i in draft.items if i.id == item_id), None)
    if item is None:
        abort(404)
    return item


@bp.route("/<int:draft_id>/krav/<int:item_id>/flytta", methods=["POST"])
@require_role(Role.PROCURER)
def move_item(draft_id: int, item_id: int) -> Response | tuple[str, int]:
    def move(draft: TenderDraft) -> str:
        editing.move_item(draft, _item(draft, item_id), request.form.get("riktning", ""))
        return _("Kravet är flyttat.")

    return _act(draft_id, move)


@bp.route("/<int:draft_id>/krav/<int:item_id>/uteslut", methods=["POST"])
@require_role(Role.PROCURER)
def exclude_item(draft_id: int, item_id: int) -> Response | tuple[str, int]:
    form = ExcludeForm()

    def exclude(draft: TenderDraft) -> str:
        editing.exclude_item(draft, _item(draft, item_id), form.reason.data or "")
        return _("Kravet är uteslutet. Skälet syns i underlaget.")

    return _act(draft_id, exclude, form)


@bp.route("/<int:draft_id>/krav/<int:item_id>/ta-med", methods=["POST"])
@require_role(Role.PROCURER)
def restore_item(draft_id: int, item_id: int) -> Response | tuple[str, int]:
    def restore(draft: TenderDraft) -> str:
        editing.restore_item(draft, _item(draft, item_id))
        return _("Kravet är med i underlaget igen.")

    return _act(draft_id, restore)


@bp.route("/<int:draft_id>/krav/<int:item_id>/valj", methods=["POST"])
@require_role(Role.PROCURER)
def choose_item(draft_id: int, item_id: int) -> Response | tuple[str, int]:
    def choose(draft: TenderDraft) -> str:
        editing.choose_in_conflict(draft, _item(draft, item_id))
        return _("Konflikten är löst. De andra ändringarna är uteslutna med skäl.")

    return _act(draft_id, choose)


@bp.route("/<int:draft_id>/lardomar", methods=["POST"])
@require_role(Role.PROCURER)
def include_finding(draft_id: int) -> Response | tuple[str, int]:
    form = IncludeFindingForm()
    draft = buildable_draft_or_error(current_user, draft_id)
    if form.finding_id.data is not None and not queries.may_use_finding(
        draft, form.finding_id.data
    ):
        abort(404)  # another network's finding: the draft page never offers it

    def include(draft: TenderDraft) -> str:
        item = editing.include_finding(current_user, draft, form.finding_id.data)
        return _("Lärdom %(id)s är tillagd i underlaget.", id=item.finding_id)

    return _act(draft_id, include, form)


@bp.route("/<int:draft_id>/faststall", methods=["POST"])
@require_role(Role.PROCURER)
def finalise(draft_id: int) -> Response | tuple[str, int]:
    def run(draft: TenderDraft) -> str:
        finalise_draft(current_user, draft)
        return _("Underlaget är fastställt. Versionerna är låsta och lärdomarna tillämpade.")

    return _act(draft_id, run)


@bp.route("/<int:draft_id>/krav/<int:item_id>/redigera", methods=["GET", "POST"])
@require_role(Role.PROCURER)
def edit_item(draft_id: int, item_id: int) -> WerkzeugResponse | str | tuple[str, int]:
    draft = buildable_draft_or_error(current_user, draft_id)
    item = _item(draft, item_id)
    if draft.status == DraftStatus.FINAL:
        return _refuse_final(draft)
    form = ItemTextForm()
    if request.method == "GET":
        form.fill(item.requirement_version)
    elif form.validate_on_submit():
        try:
            editing.edit_item_text(current_user, draft, item, form.to_fields(), form.based_on_id())
            db.session.commit()
        except RequirementInvalid as invalid:
            db.session.rollback()
            form.add_errors(invalid.errors)
        except DraftInvalid as invalid:
            db.session.rollback()
            form.text_md.errors = [*form.text_md.errors, invalid.message]
        else:
            flash(_("Texten är sparad som en ny version av kravet."), "success")
            return redirect(url_for("drafts.detail", draft_id=draft.id, _anchor=f"krav-{item.id}"))
    return render_template("tender_drafts/edit_item.html", draft=draft, item=item, form=form)


@bp.route("/<int:draft_id>/andringar")
def changes(draft_id: int) -> str:
    draft = draft_or_404(current_user, draft_id)
    return render_template("tender_drafts/changes.html", draft=draft, changes=draft_changes(draft))


@bp.route("/<int:draft_id>/utanfor-avtal")
def off_contract(draft_id: int) -> str:
    draft = draft_or_404(current_user, draft_id)
    code = request.args.get("skal", "")
    reason = OffContractReason(code) if code in {r.value for r in OffContractReason} else None
    placements = readable_placements(current_user, draft.tender_round, reason)
    return render_template(
        "tender_drafts/off_contract.html", draft=draft, reason=reason, placements=placements
    )


def _document(draft: TenderDraft):  # type: ignore[no-untyped-def]
    return assemble(draft, date.today(), current_app.config["MIN_GROUP_SIZE"])


def _filename(draft: TenderDraft, suffix: str) -> str:
    safe = "".join(c if c.isalnum() else "-" for c in draft.tender_round.reference).strip("-")
    return f"forfragningsunderlag-{safe or draft.id}.{suffix}"


@bp.route("/<int:draft_id>/export.docx")
def export_docx(draft_id: int) -> Response:
    from kb.tender_drafts.export_docx import draft_to_docx

    draft = draft_or_404(current_user, draft_id)
    response = Response(
        draft_to_docx(_document(draft)),
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename(draft, "docx")}"'
    return response


@bp.route("/<int:draft_id>/export.md")
def export_markdown(draft_id: int) -> Response:
    from kb.tender_drafts.export_markdown import draft_to_markdown

    draft = draft_or_404(current_user, draft_id)
    response = Response(draft_to_markdown(_document(draft)), mimetype="text/markdown")
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename(draft, "md")}"'
    return response
