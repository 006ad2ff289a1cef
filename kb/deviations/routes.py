"""Deviations (avvikelser): record against a unit or contract, resolve with a note."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from kb.auth.access import require_role
from kb.catalogue.filters import page_from_args
from kb.deviations.flags import flagged_suppliers
from kb.deviations.forms import DeviationForm, ResolveForm
from kb.deviations.queries import OPEN, RESOLVED, deviation_page, filter_from_args, filter_suppliers
from kb.deviations.services import (
    DeviationInvalid,
    PrivacyWarningsNeedConfirmation,
    contract_choices,
    may_resolve,
    record_deviation,
    resolve_deviation,
    supplier_of,
    unit_choices,
)
from kb.experiences.visibility import network_organisation_ids
from kb.extensions import db
from kb.followups.models import Deviation, DeviationCategory, Severity
from kb.followups.scopes import FOLLOW_UP_ROLES, may_write, readable_or_404
from kb.forms import select_choices
from kb.offered import refuse_unoffered
from kb.submissions.views import SubmitOnce
from kb.suppliers.models import AgreementArea, Unit
from kb.tenders.models import Contract

bp = Blueprint("deviations", __name__, url_prefix="/avvikelser")


def event_followup_url(supplier_id: int) -> str:
    """Where a coordinator starts an event-driven follow-up of the supplier."""
    return url_for("followups.new", scope="supplier", id=supplier_id, kind="handelsestyrd")


def _readable_or_404(deviation_id: int) -> Deviation:
    return readable_or_404(current_user, Deviation, deviation_id)


def _may_resolve(deviation: Deviation) -> bool:
    return may_write(current_user) and may_resolve(current_user, deviation)


@bp.route("/")
def index() -> str:
    network = network_organisation_ids(current_user)
    filters = filter_from_args(request.args)
    page = deviation_page(
        network, filters, page_from_args(request.args), current_app.config["PAGE_SIZE"]
    )
    return render_template(
        "deviations/index.html",
        page=page,
        filters=filters,
        statuses=[("", _("Alla")), (OPEN, _("Öppna")), (RESOLVED, _("Åtgärdade"))],
        severities=list(Severity),
        categories=list(DeviationCategory),
        suppliers=filter_suppliers(network),
        areas=db.session.scalars(select(AgreementArea).order_by(AgreementArea.name)).all(),
        unit=db.session.get(Unit, filters.unit_id) if filters.unit_id else None,
        flags=flagged_suppliers(network),
        followup_url=event_followup_url,
        can_write=may_write(current_user),
    )


@bp.route("/ny", methods=["GET", "POST"])
@require_role(*FOLLOW_UP_ROLES)
def new() -> Response | str:
    form = DeviationForm()
    once = SubmitOnce(form)
    if (earlier := once.repeat()) is not None:
        return earlier
    if not form.is_submitted():
        form.unit_id.data = request.args.get("verksamhet", "")
        form.contract_id.data = request.args.get("avtal", "")
    form.unit_id.choices = select_choices([("", _("– Ingen vald –")), *unit_choices(current_user)])
    form.contract_id.choices = select_choices(
        [("", _("– Inget valt –")), *contract_choices(current_user)]
    )
    refuse_unoffered(form, {"unit_id": Unit, "contract_id": Contract})
    warnings: list = []
    if form.validate_on_submit():
        if (earlier := once.claim()) is not None:
            return earlier
        saved, warnings = _try_record(form)
        if saved is not None:
            url = url_for("deviations.detail", deviation_id=saved.id)
            if (earlier := once.commit(url)) is not None:
                return earlier
            flash(_("Avvikelsen är registrerad."), "success")
            return redirect(url)
    return render_template("deviations/form.html", form=form, warnings=warnings)


def _try_record(form: DeviationForm) -> tuple[Deviation | None, list]:
    """Save (the caller commits); on a broken rule or a privacy warning, roll back and say why."""
    try:
        saved = record_deviation(
            current_user,
            form.to_input(),
            today=date.today(),
            privacy_confirmed=form.privacy_confirmed.data,
        )
        return saved, []
    except DeviationInvalid as invalid:
        db.session.rollback()
        form.add_errors(invalid.errors)
    except PrivacyWarningsNeedConfirmation as needs_confirmation:
        db.session.rollback()
        return None, list(needs_confirmation.report.warnings)
    return None, []


@bp.route("/<int:deviation_id>")
def detail(deviation_id: int) -> str:
    return _detail_page(_readable_or_404(deviation_id), ResolveForm(formdata=None), [])


def _detail_page(deviation: Deviation, form: ResolveForm, warnings: list) -> str:
    supplier = supplier_of(deviation)
    network = network_organisation_ids(current_user)
    flags = flagged_suppliers(network, supplier_id=supplier.id) if supplier else []
    return render_template(
        "deviations/detail.html",
        deviation=deviation,
        supplier=supplier,
        flag=flags[0] if flags else None,
        resolve_form=form if _may_resolve(deviation) else None,
        warnings=warnings,
        followup_url=event_followup_url,
        can_write=may_write(current_user),
    )


@bp.route("/<int:deviation_id>/atgarda", methods=["POST"])
@require_role(*FOLLOW_UP_ROLES)
def resolve(deviation_id: int) -> Response | str:
    deviation = _readable_or_404(deviation_id)
    if not _may_resolve(deviation) or deviation.resolved:  # resolved: a replayed form
        abort(403)
    form, warnings = ResolveForm(), []
    if form.validate_on_submit():
        try:
            resolve_deviation(
                deviation,
                form.resolution_note.data,
                today=date.today(),
                privacy_confirmed=form.privacy_confirmed.data,
            )
            db.session.commit()
            flash(_("Avvikelsen är markerad som åtgärdad."), "success")
            return redirect(url_for("deviations.detail", deviation_id=deviation.id))
        except DeviationInvalid as invalid:
            db.session.rollback()
            form.add_errors(invalid.errors)
        except PrivacyWarningsNeedConfirmation as needs_confirmation:
            db.session.rollback()
            warnings = list(needs_confirmation.report.warnings)
    return _detail_page(deviation, form, warnings)
