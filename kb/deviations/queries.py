"""The deviation list: filters from the query string, open ones first by severity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.orm import selectinload

from kb.catalogue.filters import MAX_ID, parse_choice, parse_positive_int
from kb.catalogue.rows import Page
from kb.extensions import db
from kb.followups.models import Deviation, DeviationCategory, Severity
from kb.suppliers.models import Supplier, Unit, unit_agreement_areas
from kb.tenders.models import Contract, TenderRound

OPEN, RESOLVED = "oppen", "atgardad"
SEVERITY_RANK = {Severity.CRITICAL: 4, Severity.HIGH: 3, Severity.MEDIUM: 2, Severity.LOW: 1}


@dataclass(frozen=True)
class DeviationFilter:
    """What the list is narrowed to; None (or an empty status) means no narrowing."""

    status: str = ""
    severity: Severity | None = None
    category: DeviationCategory | None = None
    supplier_id: int | None = None
    unit_id: int | None = None
    area_id: int | None = None

    def query_args(self) -> dict[str, str]:
        args = {
            "status": self.status or None,
            "allvarlighet": self.severity.value if self.severity else None,
            "kategori": self.category.value if self.category else None,
            "leverantor": _text(self.supplier_id),
            "verksamhet": _text(self.unit_id),
            "omrade": _text(self.area_id),
        }
        return {name: value for name, value in args.items() if value is not None}

    @property
    def active(self) -> bool:
        return bool(self.query_args())


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


def filter_from_args(args: Mapping[str, str]) -> DeviationFilter:
    """Read the filters; an invalid value counts as not given."""
    status = (args.get("status") or "").strip()
    return DeviationFilter(
        status=status if status in {OPEN, RESOLVED} else "",
        severity=parse_choice(Severity, args.get("allvarlighet")),
        category=parse_choice(DeviationCategory, args.get("kategori")),
        supplier_id=parse_positive_int(args.get("leverantor"), MAX_ID),
        unit_id=parse_positive_int(args.get("verksamhet"), MAX_ID),
        area_id=parse_positive_int(args.get("omrade"), MAX_ID),
    )


def of_supplier(supplier_id: int) -> ColumnElement[bool]:
    """SQL condition: the deviation concerns the supplier, through its unit or its contract."""
    return or_(
        Deviation.unit_id.in_(select(Unit.id).where(Unit.supplier_id == supplier_id)),
        Deviation.contract_id.in_(select(Contract.id).where(Contract.supplier_id == supplier_id)),
    )


def _in_area(area_id: int) -> ColumnElement[bool]:
    serving = select(unit_agreement_areas.c.unit_id).where(
        unit_agreement_areas.c.agreement_area_id == area_id
    )
    in_round = (
        select(Contract.id)
        .join(TenderRound, Contract.tender_round_id == TenderRound.id)
        .where(TenderRound.agreement_area_id == area_id)
    )
    return or_(Deviation.unit_id.in_(serving), Deviation.contract_id.in_(in_round))


def _conditions(organisation_ids: list[int], filters: DeviationFilter) -> list:
    conditions: list = [Deviation.organisation_id.in_(organisation_ids)]
    if filters.status:
        conditions.append(Deviation.resolved.is_(filters.status == RESOLVED))
    if filters.severity is not None:
        conditions.append(Deviation.severity == filters.severity)
    if filters.category is not None:
        conditions.append(Deviation.category == filters.category)
    if filters.supplier_id is not None:
        conditions.append(of_supplier(filters.supplier_id))
    if filters.unit_id is not None:
        conditions.append(Deviation.unit_id == filters.unit_id)
    if filters.area_id is not None:
        conditions.append(_in_area(filters.area_id))
    return conditions


def severity_rank() -> ColumnElement[int]:
    return case(
        *((Deviation.severity == severity, rank) for severity, rank in SEVERITY_RANK.items()),
        else_=0,
    )


def deviation_page(
    organisation_ids: list[int], filters: DeviationFilter, page: int, per_page: int
) -> Page[Deviation]:
    """Deviations of these organisations: open first, then by severity and newest first."""
    conditions = _conditions(organisation_ids, filters)
    total = db.session.scalar(select(func.count(Deviation.id)).where(*conditions)) or 0
    page_count = max(1, -(-total // per_page))
    number = min(max(page, 1), page_count)
    rows = db.session.scalars(
        select(Deviation)
        .where(*conditions)
        .options(
            selectinload(Deviation.unit).selectinload(Unit.supplier),
            selectinload(Deviation.contract).selectinload(Contract.supplier),
            selectinload(Deviation.organisation),
        )
        .order_by(
            Deviation.resolved,
            severity_rank().desc(),
            Deviation.occurred_on.desc(),
            Deviation.id.desc(),
        )
        .offset((number - 1) * per_page)
        .limit(per_page)
    ).all()
    return Page(list(rows), number, page_count, total)


def filter_suppliers(organisation_ids: list[int]) -> list[tuple[int, str]]:
    """Suppliers with a deviation these organisations recorded, for the filter's list."""
    through_unit = (
        select(Unit.supplier_id)
        .join(Deviation, Deviation.unit_id == Unit.id)
        .where(Deviation.organisation_id.in_(organisation_ids))
    )
    through_contract = (
        select(Contract.supplier_id)
        .join(Deviation, Deviation.contract_id == Contract.id)
        .where(Deviation.organisation_id.in_(organisation_ids))
    )
    rows = db.session.execute(
        select(Supplier.id, Supplier.name)
        .where(or_(Supplier.id.in_(through_unit), Supplier.id.in_(through_contract)))
        .order_by(Supplier.name)
    ).all()
    return [(row.id, row.name) for row in rows]
