"""Supplier and unit pages, with what the viewer may see of the experiences behind them."""

from __future__ import annotations

from flask import Blueprint, render_template

from kb.extensions import db
from kb.suppliers.models import Supplier, Unit

bp = Blueprint("suppliers", __name__)


@bp.route("/leverantorer/<int:supplier_id>")
def supplier(supplier_id: int) -> str:
    found = db.get_or_404(Supplier, supplier_id)
    return render_template("suppliers/supplier.html", supplier=found)


@bp.route("/verksamheter/<int:unit_id>")
def unit(unit_id: int) -> str:
    found = db.get_or_404(Unit, unit_id)
    return render_template("suppliers/unit.html", unit=found)
