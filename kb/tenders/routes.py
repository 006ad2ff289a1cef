"""A contract's page: its units, status history, and the status change form."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from kb.auth.access import require_role
from kb.extensions import db
from kb.followups.scopes import FOLLOW_UP_ROLES
from kb.tenders.forms import ContractStatusForm
from kb.tenders.models import Contract
from kb.tenders.status import (
    FINAL,
    StatusChangeInvalid,
    change_contract_status,
    may_change_status,
)

bp = Blueprint("contracts", __name__, url_prefix="/avtal")


def _render(contract: Contract, form: ContractStatusForm | None) -> str:
    return render_template(
        "tenders/contract.html",
        contract=contract,
        form=form,
        history=list(reversed(contract.status_changes)),
    )


@bp.route("/<int:contract_id>")
def contract(contract_id: int) -> str:
    found = db.get_or_404(Contract, contract_id)
    form = None
    if may_change_status(current_user, found):
        form = ContractStatusForm()
        form.offer_changes(found)
    return _render(found, form)


@bp.route("/<int:contract_id>/status", methods=["POST"])
@require_role(*FOLLOW_UP_ROLES)
def change_status(contract_id: int) -> Response | str | tuple[str, int]:
    found = db.get_or_404(Contract, contract_id)
    if not may_change_status(current_user, found):
        abort(403)
    # A replayed form: the contract already has that status, or can change no more.
    replayed = found.status in FINAL or request.form.get("to_status") == found.status.value
    form = ContractStatusForm()
    form.offer_changes(found)
    if form.validate():
        try:
            change = change_contract_status(current_user, found, form.to_input(), date.today())
            db.session.commit()
        except StatusChangeInvalid as invalid:
            db.session.rollback()
            form.add_errors(invalid.errors)
        else:
            flash(_("Avtalets status är nu: %(status)s.", status=change.to_status.label), "success")
            return redirect(url_for("contracts.contract", contract_id=found.id))
    return _render(found, form), 403 if replayed else 200
