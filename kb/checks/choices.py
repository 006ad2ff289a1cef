"""The choices the check forms offer: what the author's organisation may follow up."""

from __future__ import annotations

from sqlalchemy import select

from kb.auth.models import User
from kb.extensions import db
from kb.followups.scopes import followable_rounds, followable_suppliers, followable_units
from kb.suppliers.models import Supplier, Unit
from kb.tenders.models import TenderRound, TenderRoundStatus


def supplier_choices(author: User) -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Supplier.id, Supplier.name)
        .where(Supplier.id.in_(followable_suppliers(author.organisation)))
        .order_by(Supplier.name)
    ).all()
    return [(row.id, row.name) for row in rows]


def unit_choices(author: User) -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Unit.id, Unit.name, Supplier.name)
        .join(Supplier, Unit.supplier_id == Supplier.id)
        .where(Unit.id.in_(followable_units(author.organisation)))
        .order_by(Supplier.name, Unit.name)
    ).all()
    return [(unit_id, f"{supplier} – {unit}") for unit_id, unit, supplier in rows]


def round_choices(author: User) -> list[tuple[int, str]]:
    rounds = db.session.scalars(
        select(TenderRound)
        .where(TenderRound.id.in_(followable_rounds(author.organisation)))
        .order_by(TenderRound.status == TenderRoundStatus.ENDED, TenderRound.reference)
    ).all()
    return [(r.id, f"{r.reference} · {r.title} ({r.status.label})") for r in rounds]
