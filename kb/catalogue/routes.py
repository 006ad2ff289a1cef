"""Browse the supplier register: suppliers, units, agreement areas and tender rounds."""

from __future__ import annotations

from typing import TypeVar

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from kb.catalogue.filters import MAX_ID, filter_from_args, filter_options, page_from_args
from kb.catalogue.services import (
    area_detail,
    area_page,
    contract_page,
    supplier_page,
    unit_page,
)
from kb.extensions import db
from kb.findings.access import may_create_findings
from kb.findings.queries import area_evidence
from kb.suppliers.models import AgreementArea
from kb.tenders.models import TenderRound

bp = Blueprint("catalogue", __name__)

M = TypeVar("M")


def _get_or_404(model: type[M], ident: int) -> M:
    """Load a row by id; an id no database column can hold is simply not found."""
    if ident > MAX_ID:
        abort(404)
    return db.get_or_404(model, ident)


def _page_size() -> int:
    return int(current_app.config["PAGE_SIZE"])


@bp.route("/leverantorer")
def suppliers() -> str:
    filters = filter_from_args(request.args)
    page = supplier_page(filters, page_from_args(request.args), _page_size())
    return render_template(
        "catalogue/suppliers.html", page=page, filters=filters, options=filter_options()
    )


@bp.route("/verksamheter")
def units() -> str:
    filters = filter_from_args(request.args)
    page = unit_page(filters, page_from_args(request.args), _page_size())
    return render_template(
        "catalogue/units.html", page=page, filters=filters, options=filter_options()
    )


@bp.route("/avtalsomraden")
def areas() -> str:
    page = area_page(page_from_args(request.args), _page_size())
    return render_template("catalogue/areas.html", page=page)


@bp.route("/avtalsomraden/<int:area_id>")
def area(area_id: int) -> str:
    found = _get_or_404(AgreementArea, area_id)
    evidence = area_evidence(current_user, found.id) if may_create_findings(current_user) else None
    return render_template(
        "catalogue/area.html", area=found, detail=area_detail(found.id), evidence=evidence
    )


@bp.route("/upphandlingar/<int:round_id>")
def tender_round(round_id: int) -> str:
    found = _get_or_404(TenderRound, round_id)
    contracts = contract_page(found.id, page_from_args(request.args), _page_size())
    return render_template("catalogue/tender_round.html", tender_round=found, contracts=contracts)
