"""The import upload page, templates, progress, batches and undo (curators and admins)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from kb.audit.context import Actor
from kb.audit.labels import entity_label
from kb.auth.access import require_role
from kb.auth.models import Role
from kb.extensions import db
from kb.imports import jobs, queries
from kb.imports.columns import KINDS
from kb.imports.forms import ImportForm
from kb.imports.models import ImportBatch
from kb.imports.problems import ImportRejected
from kb.imports.readers import FORMATS, limit
from kb.imports.services import ImportRequest
from kb.imports.undo import UndoRefused, undo_batch
from kb.insight.csv_export import csv_response

bp = Blueprint("imports", __name__, url_prefix="/import")
IMPORTERS = (Role.CURATOR, Role.ADMIN)


def _form(read_request: bool = True) -> ImportForm:
    form = ImportForm() if read_request else ImportForm(formdata=None)
    form.organisation.choices = [
        SelectChoice(value, label) for value, label in queries.organisation_choices(current_user)
    ]
    if request.method == "GET" or not read_request:
        form.organisation.data = current_user.organisation_id
    return form


def _page(form: ImportForm, problems: list | None = None, status: int = 200) -> tuple[str, int]:
    batches = queries.recent_batches(current_user)
    html = render_template(
        "imports/index.html", form=form, kinds=KINDS, batches=batches, problems=problems or []
    )
    return html, status


@bp.route("/", methods=["GET", "POST"])
@require_role(*IMPORTERS)
def index() -> tuple[str, int] | Response:
    if (
        request.method == "POST"
        and (request.content_length or 0) > limit("IMPORT_MAX_BYTES") + 65536
    ):
        # refused from the Content-Length alone: the body is never parsed
        return _page(_form(read_request=False), [_("Filen är för stor. Dela upp filen.")], 413)
    form = _form()
    if _names_another_organisation(form):
        abort(404)  # the form only offers the user's own organisations
    if not form.validate_on_submit():
        return _page(form, status=400 if form.errors else 200)
    upload = form.file.data
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in FORMATS:
        return _page(form, [_("Filen ska vara .csv, .xlsx eller .jsonl (JSON Lines).")], 400)
    try:
        token, path = jobs.save_upload(upload.stream, suffix)
    except ImportRejected as rejected:
        return _page(form, [p.message for p in rejected.problems], 413)
    user = current_user
    import_request = ImportRequest(
        form.kind.data, path, upload.filename, form.organisation.data, user.id, form.dry_run.data
    )
    jobs.start_job(token, import_request, Actor(user.id, user.email, user.organisation_id))
    return redirect(url_for("imports.job", token=token))


def _names_another_organisation(form: ImportForm) -> bool:
    if not form.is_submitted():
        return False
    chosen = request.form.get("organisation", "")
    return bool(chosen) and chosen not in {str(c.value) for c in form.organisation.choices}


@bp.route("/mall/<kind>.csv")
@require_role(*IMPORTERS)
def template(kind: str) -> Response:
    if kind not in KINDS:
        abort(404)
    return csv_response(f"mall-{kind}.csv", *queries.template_table(KINDS[kind]))


def _job_record(token: str) -> dict:
    record = jobs.read_record(token)
    if record is None or (
        record.get("user_id") != current_user.id and not current_user.has_role(Role.ADMIN)
    ):
        abort(404)
    return record


@bp.route("/jobb/<token>")
@require_role(*IMPORTERS)
def job(token: str) -> str:
    return render_template("imports/job.html", record=_job_record(token), token=token)


@bp.route("/jobb/<token>.json")
@require_role(*IMPORTERS)
def job_status(token: str) -> Response:
    return jsonify(_job_record(token))


@bp.route("/<int:batch_id>")
@require_role(*IMPORTERS)
def batch(batch_id: int) -> str:
    return _batch_page(queries.batch_for(current_user, batch_id) or abort(404))


def _batch_page(found: ImportBatch) -> str:
    return render_template(
        "imports/batch.html",
        batch=found,
        summary=queries.batch_summary(found.id),
        records=queries.batch_records(found.id),
        entity_label=entity_label,
    )


@bp.route("/<int:batch_id>/angra", methods=["POST"])
@require_role(Role.ADMIN)
def undo(batch_id: int) -> Response | tuple[str, int]:
    found = queries.batch_for(current_user, batch_id) or abort(404)
    try:
        undo_batch(found, current_user.id)
    except UndoRefused as refused:  # already undone (a replayed form), or built upon since
        db.session.rollback()
        flash(str(refused), "error")
        return _batch_page(found), 403
    db.session.commit()
    flash(_("Importen är ångrad."), "success")
    return redirect(url_for("imports.batch", batch_id=batch_id))
