"""Read browse filters and page numbers from query parameters; bad values are ignored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TypeVar

from sqlalchemy import select

from kb.extensions import db
from kb.suppliers.models import AgreementArea, PermitStatus, Unit
from kb.tenders.models import ContractStatus

MAX_ID = 2**31 - 1
MAX_PAGE = 1_000_000
MAX_TEXT = 100

E = TypeVar("E", bound=Enum)


@dataclass(frozen=True)
class CatalogueFilter:
    """What the supplier and unit lists are narrowed to; None means no narrowing."""

    area_id: int | None = None
    county: str | None = None
    permit_status: PermitStatus | None = None
    contract_status: ContractStatus | None = None

    @property
    def active(self) -> bool:
        return any(
            value is not None
            for value in (self.area_id, self.county, self.permit_status, self.contract_status)
        )

    def query_args(self) -> dict[str, str]:
        """Return the filter as the query parameters that produce it, for links that keep it."""
        args = {
            "omrade": None if self.area_id is None else str(self.area_id),
            "lan": self.county,
            "ivo": None if self.permit_status is None else self.permit_status.value,
            "avtal": None if self.contract_status is None else self.contract_status.value,
        }
        return {name: value for name, value in args.items() if value is not None}


def parse_positive_int(raw: str | None, maximum: int) -> int | None:
    """Return a whole number from 1 to maximum written in ASCII digits, else None."""
    text = (raw or "").strip()
    if not text or len(text) > len(str(maximum)) or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 1 <= number <= maximum else None


def parse_choice(enum_class: type[E], raw: str | None) -> E | None:
    """Return the enum member whose value is raw, else None."""
    try:
        return enum_class((raw or "").strip())
    except ValueError:
        return None


def parse_text(raw: str | None) -> str | None:
    """Return the stripped text, or None when it is empty or implausibly long."""
    text = (raw or "").strip()
    return text if text and len(text) <= MAX_TEXT else None


def filter_from_args(args: Mapping[str, str]) -> CatalogueFilter:
    """Read omrade, lan, ivo and avtal; an invalid value counts as not given."""
    return CatalogueFilter(
        area_id=parse_positive_int(args.get("omrade"), MAX_ID),
        county=parse_text(args.get("lan")),
        permit_status=parse_choice(PermitStatus, args.get("ivo")),
        contract_status=parse_choice(ContractStatus, args.get("avtal")),
    )


def page_from_args(args: Mapping[str, str]) -> int:
    """Read the page number from sida; anything invalid means the first page."""
    return parse_positive_int(args.get("sida"), MAX_PAGE) or 1


@dataclass(frozen=True)
class FilterOptions:
    """The choices a filter form offers."""

    areas: list[tuple[int, str]]
    counties: list[str]
    permit_statuses: list[PermitStatus] = field(default_factory=lambda: list(PermitStatus))
    contract_statuses: list[ContractStatus] = field(default_factory=lambda: list(ContractStatus))


def filter_options() -> FilterOptions:
    """Return every agreement area and every county a unit is in, by name."""
    areas = db.session.execute(
        select(AgreementArea.id, AgreementArea.name).order_by(AgreementArea.name)
    ).all()
    counties = db.session.scalars(
        select(Unit.county).where(Unit.county.is_not(None)).distinct().order_by(Unit.county)
    )
    return FilterOptions(list(areas), [county for county in counties if county.strip()])
