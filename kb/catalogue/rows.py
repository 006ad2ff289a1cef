"""The rows the browse pages show: plain dataclasses without addresses, so no list can show one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from kb.suppliers.models import AreaCategory, LegalForm, PermitStatus
from kb.tenders.models import ContractStatus, ProcurementForm, TenderRoundStatus

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    number: int
    page_count: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.page_count


@dataclass(frozen=True)
class Link:
    id: int
    name: str


@dataclass(frozen=True)
class SupplierRow:
    id: int
    name: str
    org_number: str
    legal_form: LegalForm
    unit_count: int
    areas: list[Link]


@dataclass(frozen=True)
class UnitRow:
    id: int
    name: str
    supplier: Link
    areas: list[Link]
    municipality: str | None
    county: str | None
    places: int | None
    age_min: int | None
    age_max: int | None
    permit_status: PermitStatus


@dataclass(frozen=True)
class RoundRow:
    id: int
    reference: str
    title: str
    procurement_form: ProcurementForm
    status: TenderRoundStatus
    contract_start: date | None
    contract_end: date | None
    extension_until: date | None
    predecessor: Link | None


@dataclass(frozen=True)
class AreaRow:
    id: int
    name: str
    category: AreaCategory
    cpv_codes: list[str]
    unit_count: int
    rounds: list[RoundRow]


@dataclass(frozen=True)
class AreaDetail:
    rounds: list[RoundRow]
    unit_count: int
    supplier_count: int


@dataclass(frozen=True)
class StatusChangeRow:
    changed_on: date
    from_status: ContractStatus | None
    to_status: ContractStatus
    reason: str
    decision_reference: str | None


@dataclass(frozen=True)
class ContractRow:
    id: int
    reference: str | None
    lot: str | None
    status: ContractStatus
    supplier: Link
    units: list[Link]
    history: list[StatusChangeRow]
