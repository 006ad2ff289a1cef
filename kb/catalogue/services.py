"""Read the supplier register for browsing: filtered, paginated lists and detail views.

Rows are plain dataclasses without addresses, so a list can never show one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import ColumnElement, Select, distinct, func, select
from sqlalchemy.orm import contains_eager, selectinload

from kb.catalogue.filters import CatalogueFilter
from kb.catalogue.rows import (
    AreaDetail,
    AreaRow,
    ContractRow,
    Link,
    Page,
    RoundRow,
    StatusChangeRow,
    SupplierRow,
    UnitRow,
)
from kb.extensions import db
from kb.suppliers.models import (
    AgreementArea,
    Supplier,
    Unit,
    unit_agreement_areas,
)
from kb.tenders.models import (
    Contract,
    TenderRound,
    contract_units,
)


def page_window(total: int, requested: int, per_page: int) -> tuple[int, int]:
    """Return (page number, page count), clamping the request to the pages that exist."""
    page_count = max(1, -(-total // per_page))
    return min(max(requested, 1), page_count), page_count


def _unit_conditions(filters: CatalogueFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.area_id is not None:
        serving = select(unit_agreement_areas.c.unit_id).where(
            unit_agreement_areas.c.agreement_area_id == filters.area_id
        )
        conditions.append(Unit.id.in_(serving))
    if filters.county is not None:
        conditions.append(Unit.county == filters.county)
    if filters.permit_status is not None:
        conditions.append(Unit.permit_status == filters.permit_status)
    return conditions


def _supplier_conditions(filters: CatalogueFilter) -> list[ColumnElement[bool]]:
    """Match suppliers with one unit meeting every unit filter and a contract in that status."""
    conditions: list[ColumnElement[bool]] = []
    unit_conditions = _unit_conditions(filters)
    if unit_conditions:
        conditions.append(Supplier.id.in_(select(Unit.supplier_id).where(*unit_conditions)))
    if filters.contract_status is not None:
        with_status = select(Contract.supplier_id).where(Contract.status == filters.contract_status)
        conditions.append(Supplier.id.in_(with_status))
    return conditions


def _paged(statement: Select, page: int, per_page: int) -> Select:
    return statement.offset((page - 1) * per_page).limit(per_page)


def _count(model: type, conditions: Iterable[ColumnElement[bool]]) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


def _areas_of_suppliers(supplier_ids: list[int]) -> dict[int, list[Link]]:
    rows = db.session.execute(
        select(Unit.supplier_id, AgreementArea.id, AgreementArea.name)
        .join(unit_agreement_areas, unit_agreement_areas.c.unit_id == Unit.id)
        .join(AgreementArea, AgreementArea.id == unit_agreement_areas.c.agreement_area_id)
        .where(Unit.supplier_id.in_(supplier_ids))
        .distinct()
        .order_by(AgreementArea.name)
    )
    areas: dict[int, list[Link]] = defaultdict(list)
    for supplier_id, area_id, name in rows:
        areas[supplier_id].append(Link(area_id, name))
    return areas


def supplier_page(filters: CatalogueFilter, page: int, per_page: int) -> Page[SupplierRow]:
    """Return one page of matching suppliers by name, with unit counts and areas served."""
    conditions = _supplier_conditions(filters)
    total = _count(Supplier, conditions)
    number, page_count = page_window(total, page, per_page)
    statement = select(Supplier).where(*conditions).order_by(Supplier.name, Supplier.id)
    suppliers = list(db.session.scalars(_paged(statement, number, per_page)))
    ids = [supplier.id for supplier in suppliers]
    unit_counts = dict(
        db.session.execute(
            select(Unit.supplier_id, func.count(Unit.id))
            .where(Unit.supplier_id.in_(ids))
            .group_by(Unit.supplier_id)
        ).all()
    )
    areas = _areas_of_suppliers(ids)
    rows = [
        SupplierRow(s.id, s.name, s.org_number, s.legal_form, unit_counts.get(s.id, 0), areas[s.id])
        for s in suppliers
    ]
    return Page(rows, number, page_count, total)


def _unit_row(unit: Unit) -> UnitRow:
    return UnitRow(
        id=unit.id,
        name=unit.name,
        supplier=Link(unit.supplier.id, unit.supplier.name),
        areas=[Link(area.id, area.name) for area in unit.agreement_areas],
        municipality=unit.municipality,
        county=unit.county,
        places=unit.places,
        age_min=unit.age_min,
        age_max=unit.age_max,
        permit_status=unit.permit_status,
    )


def unit_page(filters: CatalogueFilter, page: int, per_page: int) -> Page[UnitRow]:
    """Return one page of matching units by name, with supplier and areas, never an address."""
    conditions = _unit_conditions(filters)
    if filters.contract_status is not None:
        under_contract = (
            select(contract_units.c.unit_id)
            .join(Contract, Contract.id == contract_units.c.contract_id)
            .where(Contract.status == filters.contract_status)
        )
        conditions.append(Unit.id.in_(under_contract))
    total = _count(Unit, conditions)
    number, page_count = page_window(total, page, per_page)
    statement = (
        select(Unit)
        .join(Unit.supplier)
        .options(contains_eager(Unit.supplier), selectinload(Unit.agreement_areas))
        .where(*conditions)
        .order_by(Unit.name, Unit.id)
    )
    units = db.session.scalars(_paged(statement, number, per_page))
    return Page([_unit_row(unit) for unit in units], number, page_count, total)


def _round_row(tender_round: TenderRound) -> RoundRow:
    return RoundRow(
        id=tender_round.id,
        reference=tender_round.reference,
        title=tender_round.title,
        procurement_form=tender_round.procurement_form,
        status=tender_round.status,
        contract_start=tender_round.contract_start,
        contract_end=tender_round.contract_end,
        extension_until=tender_round.extension_until,
        predecessor=(
            Link(tender_round.predecessor.id, tender_round.predecessor.reference)
            if tender_round.predecessor is not None
            else None
        ),
    )


def _chain_start(tender_round: TenderRound) -> tuple[date, int]:
    return tender_round.published_on or tender_round.contract_start or date.max, tender_round.id


def chain_order(rounds: Sequence[TenderRound]) -> list[TenderRound]:
    """Order rounds along predecessor links, each chain oldest first, chains by start."""
    by_id = {r.id: r for r in rounds}
    successor_of = {r.predecessor_id: r for r in rounds if r.predecessor_id in by_id}
    starts = sorted((r for r in rounds if r.predecessor_id not in by_id), key=_chain_start)
    ordered: list[TenderRound] = []
    seen: set[int] = set()
    for start in starts:
        current: TenderRound | None = start
        while current is not None and current.id not in seen:
            ordered.append(current)
            seen.add(current.id)
            current = successor_of.get(current.id)
    leftovers = sorted((r for r in rounds if r.id not in seen), key=lambda r: r.id)
    return ordered + leftovers


def _rounds_by_area(area_ids: list[int]) -> dict[int, list[RoundRow]]:
    rounds = db.session.scalars(
        select(TenderRound)
        .where(TenderRound.agreement_area_id.in_(area_ids))
        .options(selectinload(TenderRound.predecessor))
    ).all()
    grouped: dict[int, list[TenderRound]] = defaultdict(list)
    for tender_round in rounds:
        grouped[tender_round.agreement_area_id].append(tender_round)
    return {
        area_id: [_round_row(r) for r in chain_order(group)] for area_id, group in grouped.items()
    }


def _unit_counts_by_area(area_ids: list[int]) -> dict[int, int]:
    area_column = unit_agreement_areas.c.agreement_area_id
    return dict(
        db.session.execute(
            select(area_column, func.count()).where(area_column.in_(area_ids)).group_by(area_column)
        ).all()
    )


def area_page(page: int, per_page: int) -> Page[AreaRow]:
    """Return one page of agreement areas by name, with unit counts and tender rounds."""
    total = _count(AgreementArea, [])
    number, page_count = page_window(total, page, per_page)
    statement = select(AgreementArea).order_by(AgreementArea.name, AgreementArea.id)
    areas = list(db.session.scalars(_paged(statement, number, per_page)))
    ids = [area.id for area in areas]
    unit_counts = _unit_counts_by_area(ids)
    rounds = _rounds_by_area(ids)
    rows = [
        AreaRow(
            a.id,
            a.name,
            a.category,
            list(a.cpv_codes or []),
            unit_counts.get(a.id, 0),
            rounds.get(a.id, []),
        )
        for a in areas
    ]
    return Page(rows, number, page_count, total)


def area_detail(area_id: int) -> AreaDetail:
    """Return an area's tender rounds in chain order and how many units and suppliers serve it."""
    serving = unit_agreement_areas.c.agreement_area_id == area_id
    supplier_count = db.session.scalar(
        select(func.count(distinct(Unit.supplier_id)))
        .join(unit_agreement_areas, unit_agreement_areas.c.unit_id == Unit.id)
        .where(serving)
    )
    return AreaDetail(
        rounds=_rounds_by_area([area_id]).get(area_id, []),
        unit_count=_unit_counts_by_area([area_id]).get(area_id, 0),
        supplier_count=supplier_count or 0,
    )


def _contract_row(contract: Contract) -> ContractRow:
    changes = sorted(contract.status_changes, key=lambda change: (change.changed_on, change.id))
    return ContractRow(
        id=contract.id,
        reference=contract.reference,
        lot=contract.lot,
        status=contract.status,
        supplier=Link(contract.supplier.id, contract.supplier.name),
        units=[Link(unit.id, unit.name) for unit in contract.units],
        history=[
            StatusChangeRow(
                c.changed_on, c.from_status, c.to_status, c.reason, c.decision_reference
            )
            for c in changes
        ],
    )


def contract_page(round_id: int, page: int, per_page: int) -> Page[ContractRow]:
    """Return one page of a tender round's contracts by supplier, with status histories."""
    conditions = [Contract.tender_round_id == round_id]
    total = _count(Contract, conditions)
    number, page_count = page_window(total, page, per_page)
    statement = (
        select(Contract)
        .join(Contract.supplier)
        .options(
            contains_eager(Contract.supplier),
            selectinload(Contract.units),
            selectinload(Contract.status_changes),
        )
        .where(*conditions)
        .order_by(Supplier.name, Contract.lot, Contract.reference, Contract.id)
    )
    contracts = db.session.scalars(_paged(statement, number, per_page))
    return Page([_contract_row(c) for c in contracts], number, page_count, total)
