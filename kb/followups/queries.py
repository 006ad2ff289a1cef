"""Reading follow-ups: the filtered list, and the choices the follow-up form offers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import selectinload

from kb.auth.models import User
from kb.catalogue.filters import MAX_ID, page_from_args, parse_choice, parse_positive_int
from kb.catalogue.rows import Page
from kb.experiences.models import Experience, ExperienceStatus
from kb.experiences.visibility import network_organisation_ids, readable_by
from kb.extensions import db
from kb.followups.models import (
    Deviation,
    FollowUp,
    FollowUpKind,
    FollowUpResult,
)
from kb.followups.scopes import SCOPE_QUERIES
from kb.organisations.models import Organisation
from kb.suppliers.models import AgreementArea, Supplier, Unit, unit_agreement_areas
from kb.tenders.models import Contract, TenderRound, contract_units

MIN_YEAR, MAX_YEAR = 1990, 2100


@dataclass(frozen=True)
class FollowUpFilter:
    """What the follow-up list is narrowed to; None means no narrowing."""

    area_id: int | None = None
    supplier_id: int | None = None
    unit_id: int | None = None
    year: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    kind: FollowUpKind | None = None
    result: FollowUpResult | None = None

    @property
    def active(self) -> bool:
        return any(value is not None for value in self.__dict__.values())

    def query_args(self, without: str | None = None) -> dict[str, str]:
        """The query parameters that produce this filter, for links that keep it."""
        args = {
            "omrade": self.area_id,
            "leverantor": self.supplier_id,
            "verksamhet": self.unit_id,
            "ar": self.year,
            "fran": self.date_from.isoformat() if self.date_from else None,
            "till": self.date_to.isoformat() if self.date_to else None,
            "typ": self.kind.value if self.kind else None,
            "resultat": self.result.value if self.result else None,
        }
        return {
            name: str(value)
            for name, value in args.items()
            if value is not None and name != without
        }


def _parse_date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip()[:10])
    except ValueError:
        return None


def filter_from_args(args: Mapping[str, str]) -> FollowUpFilter:
    """Read the list's query parameters; an invalid value counts as not given."""
    year = parse_positive_int(args.get("ar"), MAX_YEAR)
    return FollowUpFilter(
        area_id=parse_positive_int(args.get("omrade"), MAX_ID),
        supplier_id=parse_positive_int(args.get("leverantor"), MAX_ID),
        unit_id=parse_positive_int(args.get("verksamhet"), MAX_ID),
        year=year if year and year >= MIN_YEAR else None,
        date_from=_parse_date(args.get("fran")),
        date_to=_parse_date(args.get("till")),
        kind=parse_choice(FollowUpKind, args.get("typ")),
        result=parse_choice(FollowUpResult, args.get("resultat")),
    )


def _rounds_in_area(area_id: int) -> Select:
    return select(TenderRound.id).where(TenderRound.agreement_area_id == area_id)


def _area_condition(area_id: int) -> ColumnElement[bool]:
    """The area itself, its tender rounds and their contracts, and units serving the area."""
    rounds = _rounds_in_area(area_id)
    units = select(unit_agreement_areas.c.unit_id).where(
        unit_agreement_areas.c.agreement_area_id == area_id
    )
    return or_(
        FollowUp.agreement_area_id == area_id,
        FollowUp.tender_round_id.in_(rounds),
        FollowUp.contract_id.in_(select(Contract.id).where(Contract.tender_round_id.in_(rounds))),
        FollowUp.unit_id.in_(units),
    )


def _supplier_condition(supplier_id: int) -> ColumnElement[bool]:
    """The supplier itself, its units and its contracts."""
    return or_(
        FollowUp.supplier_id == supplier_id,
        FollowUp.unit_id.in_(select(Unit.id).where(Unit.supplier_id == supplier_id)),
        FollowUp.contract_id.in_(select(Contract.id).where(Contract.supplier_id == supplier_id)),
    )


def _unit_condition(unit_id: int) -> ColumnElement[bool]:
    """The unit itself, the contracts it is on and its supplier as a whole."""
    contracts = select(contract_units.c.contract_id).where(contract_units.c.unit_id == unit_id)
    return or_(
        FollowUp.unit_id == unit_id,
        FollowUp.contract_id.in_(contracts),
        FollowUp.supplier_id.in_(select(Unit.supplier_id).where(Unit.id == unit_id)),
    )


def _period_condition(start: date | None, end: date | None) -> ColumnElement[bool]:
    """Follow-ups whose period overlaps [start, end]; an open end is still running."""
    conditions = [FollowUp.period_start.is_not(None)]
    if end is not None:
        conditions.append(FollowUp.period_start <= end)
    if start is not None:
        conditions.append(or_(FollowUp.period_end.is_(None), FollowUp.period_end >= start))
    return and_(*conditions)


def list_conditions(viewer: User, filters: FollowUpFilter) -> list[ColumnElement[bool]]:
    conditions = [FollowUp.organisation_id.in_(network_organisation_ids(viewer))]
    if filters.area_id is not None:
        conditions.append(_area_condition(filters.area_id))
    if filters.supplier_id is not None:
        conditions.append(_supplier_condition(filters.supplier_id))
    if filters.unit_id is not None:
        conditions.append(_unit_condition(filters.unit_id))
    if filters.year is not None:
        conditions.append(_period_condition(date(filters.year, 1, 1), date(filters.year, 12, 31)))
    if filters.date_from is not None or filters.date_to is not None:
        conditions.append(_period_condition(filters.date_from, filters.date_to))
    if filters.kind is not None:
        conditions.append(FollowUp.kind == filters.kind)
    if filters.result is not None:
        conditions.append(FollowUp.result == filters.result)
    return conditions


def followup_page(
    viewer: User, filters: FollowUpFilter, args: Mapping[str, str], per_page: int
) -> Page[FollowUp]:
    """One page of the follow-ups the viewer may read, newest period first."""
    conditions = list_conditions(viewer, filters)
    total = db.session.scalar(select(func.count(FollowUp.id)).where(*conditions)) or 0
    page_count = max(1, -(-total // per_page))
    number = min(page_from_args(args), page_count)
    rows = db.session.scalars(
        select(FollowUp)
        .where(*conditions)
        .options(
            selectinload(FollowUp.organisation),
            selectinload(FollowUp.supplier),
            selectinload(FollowUp.unit),
            selectinload(FollowUp.contract).selectinload(Contract.supplier),
            selectinload(FollowUp.tender_round),
            selectinload(FollowUp.agreement_area),
        )
        .order_by(FollowUp.period_end.desc().nulls_first(), FollowUp.id.desc())
        .offset((number - 1) * per_page)
        .limit(per_page)
    ).all()
    return Page(list(rows), number, page_count, total)


@dataclass(frozen=True)
class ListOptions:
    areas: list[tuple[int, str]]
    suppliers: list[tuple[int, str]]
    unit_name: str | None
    kinds: list[tuple[str, str]]
    results: list[tuple[str, str]]


def list_options(filters: FollowUpFilter) -> ListOptions:
    areas = db.session.execute(
        select(AgreementArea.id, AgreementArea.name).order_by(AgreementArea.name)
    ).all()
    suppliers = db.session.execute(select(Supplier.id, Supplier.name).order_by(Supplier.name)).all()
    unit = db.session.get(Unit, filters.unit_id) if filters.unit_id else None
    return ListOptions(
        list(areas),
        list(suppliers),
        unit.name if unit else None,
        [(kind.value, str(kind.label)) for kind in FollowUpKind],
        [(result.value, str(result.label)) for result in FollowUpResult],
    )


# --- What the form offers -------------------------------------------------------------------


def followable_objects(organisation: Organisation) -> dict[str, list]:
    """Per scope, the objects the organisation may follow up, in a sensible order."""
    ids = {scope: query(organisation) for scope, query in SCOPE_QUERIES.items()}
    return {
        "agreement_area": db.session.scalars(
            select(AgreementArea)
            .where(AgreementArea.id.in_(ids["agreement_area"]))
            .order_by(AgreementArea.name)
        ).all(),
        "tender_round": db.session.scalars(
            select(TenderRound)
            .where(TenderRound.id.in_(ids["tender_round"]))
            .options(selectinload(TenderRound.agreement_area))
            .order_by(TenderRound.contract_start.desc().nulls_last(), TenderRound.reference)
        ).all(),
        "supplier": db.session.scalars(
            select(Supplier).where(Supplier.id.in_(ids["supplier"])).order_by(Supplier.name)
        ).all(),
        "unit": db.session.scalars(
            select(Unit)
            .where(Unit.id.in_(ids["unit"]))
            .options(selectinload(Unit.supplier))
            .order_by(Unit.name)
        ).all(),
        "contract": db.session.scalars(
            select(Contract)
            .where(Contract.id.in_(ids["contract"]))
            .options(selectinload(Contract.supplier), selectinload(Contract.tender_round))
            .order_by(Contract.reference, Contract.id)
        ).all(),
    }


def readable_experiences(viewer: User) -> list[Experience]:
    """Submitted experiences whose text the viewer may read, newest first."""
    return list(
        db.session.scalars(
            select(Experience)
            .where(readable_by(viewer), Experience.status == ExperienceStatus.SUBMITTED)
            .options(selectinload(Experience.unit))
            .order_by(Experience.submitted_at.desc().nulls_last(), Experience.id.desc())
        )
    )


def network_deviations(viewer: User) -> list[Deviation]:
    """Deviations recorded in the viewer's network, newest first."""
    return list(
        db.session.scalars(
            select(Deviation)
            .where(Deviation.organisation_id.in_(network_organisation_ids(viewer)))
            .options(selectinload(Deviation.unit), selectinload(Deviation.contract))
            .order_by(Deviation.occurred_on.desc(), Deviation.id.desc())
        )
    )
