"""Supplier checks (kontroller): record one, or the same for every supplier on a framework."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from kb.auth.access import require_role
from kb.catalogue.filters import MAX_ID, page_from_args, parse_choice, parse_positive_int
from kb.catalogue.rows import Page
from kb.checks.choices import round_choices, supplier_choices, unit_choices
from kb.checks.forms import CheckFields, CheckForm, batch_form
from kb.checks.services import (
    OVERDUE,
    SOON,
    CheckInvalid,
    PrivacyWarningsNeedConfirmation,
    due_status,
    latest_checks,
    record_batch,
    record_check,
    round_suppliers,
)
from kb.deviations.forms import parse_id
from kb.experiences.visibility import network_organisation_ids
from kb.extensions import db
from kb.followups.models import CheckKind, SupplierCheck
from kb.followups.scopes import FOLLOW_UP_ROLES, may_follow_up, may_write, readable_or_404
from kb.forms import select_choices
from kb.offered import refuse_unoffered
from kb.submissions.views import SubmitOnce
from kb.suppliers.models import Supplier, Unit
from kb.tenders.models import TenderRound

bp = Blueprint("checks", __name__, url_prefix="/kontroller")
DEFAULT_INTERVAL = timedelta(days=182)  # twice a year, as Uppsala does for HVB


@bp.route("/")
def index() -> str:
    kind = parse_choice(CheckKind, request.args.get("typ"))
    status = request.args.get("status", "")
    status = status if status in {OVERDUE, SOON} else ""
    supplier_id = parse_positive_int(request.args.get("leverantor"), MAX_ID)
    today = date.today()
    checks = latest_checks(network_organisation_ids(current_user), kind, supplier_id)
    rank = {OVERDUE: 0, SOON: 1}
    checks = sorted(
        (c for c in checks if not status or due_status(c, today) == status),
        key=lambda c: (rank.get(due_status(c, today), 2), c.next_due or date.max, c.supplier.name),
    )
    return render_template(
        "checks/index.html",
        page=_page(checks, page_from_args(request.args), current_app.config["PAGE_SIZE"]),
        kinds=list(CheckKind),
        kind=kind,
        status=status,
        supplier_id=supplier_id,
        args=_args(typ=kind.value if kind else None, status=status, leverantor=supplier_id),
        status_of=lambda check: due_status(check, today),
        can_write=may_write(current_user),
    )


def _args(**values: object) -> dict[str, str]:
    return {name: str(value) for name, value in values.items() if value}


def _page(rows: list, requested: int, per_page: int) -> Page:
    page_count = max(1, -(-len(rows) // per_page))
    number = min(requested, page_count)
    return Page(rows[(number - 1) * per_page : number * per_page], number, page_count, len(rows))


@bp.route("/<int:check_id>")
def detail(check_id: int) -> str:
    check = readable_or_404(current_user, SupplierCheck, check_id)
    return render_template(
        "checks/detail.html", check=check, status=due_status(check, date.today())
    )


@bp.route("/ny", methods=["GET", "POST"])
@require_role(*FOLLOW_UP_ROLES)
def new() -> Response | str:
    form = CheckForm()
    once = SubmitOnce(form)
    if (earlier := once.repeat()) is not None:
        return earlier
    if not form.is_submitted():
        form.supplier_id.data = request.args.get("leverantor", "")
        form.checked_on.data = date.today()
    form.supplier_id.choices = select_choices(
        [("", _("– Välj –")), *supplier_choices(current_user)]
    )
    form.unit_id.choices = select_choices([("", _("– Ingen –")), *unit_choices(current_user)])
    refuse_unoffered(form, {"supplier_id": Supplier, "unit_id": Unit})
    warnings: list = []
    if form.validate_on_submit():
        if (earlier := once.claim()) is not None:
            return earlier
        saved, warnings = _try_save(
            form, lambda: [record_check(current_user, form.to_input(), **_opts(form))]
        )
        if saved:
            url = url_for("checks.detail", check_id=saved[0].id)
            if (earlier := once.commit(url)) is not None:
                return earlier
            flash(_("Kontrollen är registrerad."), "success")
            return redirect(url)
    return render_template("checks/form.html", form=form, warnings=warnings)


def _opts(form: CheckForm) -> dict:
    return {"today": date.today(), "privacy_confirmed": form.privacy_confirmed.data}


def _try_save(form: CheckFields, save: Callable[[], list[SupplierCheck]]) -> tuple[list, list]:
    """Save (the caller commits); on a broken rule or a privacy warning, roll back and say why."""
    try:
        return save(), []
    except CheckInvalid as invalid:
        db.session.rollback()
        form.add_errors(invalid.errors)
        return [], []
    except PrivacyWarningsNeedConfirmation as needs_confirmation:
        db.session.rollback()
        return [], list(needs_confirmation.report.warnings)


@bp.route("/omgang", methods=["GET", "POST"])
@require_role(*FOLLOW_UP_ROLES)
def batch() -> Response | str:
    raw_round = request.args.get("omgang", "")
    tender_round = _followable_round(raw_round)
    round_id = parse_id(raw_round) if tender_round is None else None
    if request.method == "POST" and round_id and db.session.get(TenderRound, round_id):
        abort(404)  # a round the organisation may not follow up: a tampered address
    form = batch_form(round_suppliers(tender_round.id) if tender_round else [])
    once = SubmitOnce(form)
    if (earlier := once.repeat()) is not None:
        return earlier
    if not form.is_submitted():
        form.checked_on.data = date.today()
        form.next_due.data = date.today() + DEFAULT_INTERVAL
    warnings: list = []
    if form.validate_on_submit():
        if (earlier := once.claim()) is not None:
            return earlier
        data = form.to_input(parse_id(raw_round), bool(raw_round))
        saved, warnings = _try_save(form, lambda: record_batch(current_user, data, **_opts(form)))
        if saved:
            url = url_for("checks.index", typ=saved[0].kind.value)
            if (earlier := once.commit(url)) is not None:
                return earlier
            flash(_batch_message(len(saved)), "success")
            return redirect(url)
    if raw_round and tender_round is None and not form.other_errors:
        form.other_errors.append(_("Din organisation får inte följa upp den upphandlingsomgången."))
    return render_template(
        "checks/batch.html",
        form=form,
        warnings=warnings,
        rounds=round_choices(current_user),
        tender_round=tender_round,
    )


def _followable_round(raw: str) -> TenderRound | None:
    round_id = parse_id(raw)
    if round_id is None or not may_follow_up(current_user.organisation, "tender_round", round_id):
        return None
    return db.session.get(TenderRound, round_id)


def _batch_message(count: int) -> str:
    return ngettext(
        "Kontrollen är registrerad för %(num)d leverantör.",
        "Kontrollen är registrerad för %(num)d leverantörer.",
        count,
    )
