"""Supplier and unit pages, with what the viewer may see of the experiences behind them."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from kb.extensions import db
from kb.insight.supplier_charts import charts_for_supplier, charts_for_unit
from kb.suppliers.models import Supplier, Unit
from kb.suppliers.services import knowledge_for, supplier_contracts

bp = Blueprint("suppliers", __name__)


@bp.route("/leverantorer/<int:supplier_id>")
def supplier(supplier_id: int) -> str:
    found = db.get_or_404(Supplier, supplier_id)
    knowledge = knowledge_for(
        current_user, [u.id for u in found.units], found.id, current_app.config["MIN_GROUP_SIZE"]
    )
    return render_template(
        "suppliers/supplier.html",
        supplier=found,
        contracts=supplier_contracts(found.id),
        knowledge=knowledge,
        charts=charts_for_supplier(current_user, found, request.args.get("tema")),
    )


@bp.route("/verksamheter/<int:unit_id>")
def unit(unit_id: int) -> str:
    found = db.get_or_404(Unit, unit_id)
    knowledge = knowledge_for(
        current_user, [found.id], found.supplier_id, current_app.config["MIN_GROUP_SIZE"]
    )
    return render_template(
        "suppliers/unit.html",
        unit=found,
        contracts=supplier_contracts(found.supplier_id, unit_id=found.id),
        knowledge=knowledge,
        charts=charts_for_unit(current_user, found, request.args.get("tema")),
    )
