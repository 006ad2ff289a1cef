"""The supplier register: agreement areas, suppliers, units, tender rounds and contracts.

Every signed-in user reads the register in the UI (kb.catalogue, kb.suppliers, kb.tenders),
so every token does here. Lists reuse the UI's page queries and filters; no unit's address is
ever listed, and a protected-address unit's detail has "address": null.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kb.api.blueprint import bp
from kb.api.params import (
    check_known,
    choice_arg,
    clamped_rows,
    get_or_404,
    int_arg,
    listing,
    page_of,
    paging,
    text_arg,
)
from kb.api.serializers import (
    area_detail_item,
    area_item,
    contract_item,
    round_item,
    supplier_detail,
    supplier_item,
    unit_detail,
    unit_item,
)
from kb.catalogue.filters import CatalogueFilter
from kb.catalogue.services import area_detail, area_page, supplier_page, unit_page
from kb.suppliers.models import AgreementArea, PermitStatus, Supplier, Unit
from kb.tenders.models import Contract, ContractStatus, TenderRound, TenderRoundStatus

CATALOGUE_FILTERS = ("area_id", "county", "permit_status", "contract_status")


def _catalogue_filter() -> CatalogueFilter:
    check_known(*CATALOGUE_FILTERS)
    return CatalogueFilter(
        area_id=int_arg("area_id"),
        county=text_arg("county", 100),
        permit_status=choice_arg("permit_status", PermitStatus),
        contract_status=choice_arg("contract_status", ContractStatus),
    )


@bp.get("/agreement-areas")
def agreement_areas() -> dict:
    check_known()
    page, per_page = paging()
    found = area_page(page, per_page)
    rows = clamped_rows(found.rows, found.number, page)
    return listing(map(area_item, rows), bool(rows) and found.has_next, page)


@bp.get("/agreement-areas/<int:area_id>")
def agreement_area(area_id: int) -> dict:
    area = get_or_404(AgreementArea, area_id)
    return area_detail_item(area, area_detail(area.id))


@bp.get("/suppliers")
def suppliers() -> dict:
    filters = _catalogue_filter()
    page, per_page = paging()
    found = supplier_page(filters, page, per_page)
    rows = clamped_rows(found.rows, found.number, page)
    return listing(map(supplier_item, rows), bool(rows) and found.has_next, page)


@bp.get("/suppliers/<int:supplier_id>")
def supplier(supplier_id: int) -> dict:
    return supplier_detail(get_or_404(Supplier, supplier_id))


@bp.get("/units")
def units() -> dict:
    filters = _catalogue_filter()
    page, per_page = paging()
    found = unit_page(filters, page, per_page)
    rows = clamped_rows(found.rows, found.number, page)
    return listing(map(unit_item, rows), bool(rows) and found.has_next, page)


@bp.get("/units/<int:unit_id>")
def unit(unit_id: int) -> dict:
    return unit_detail(get_or_404(Unit, unit_id))


def _round_statement():  # type: ignore[no-untyped-def]
    return select(TenderRound).options(
        selectinload(TenderRound.agreement_area),
        selectinload(TenderRound.lead_organisation),
        selectinload(TenderRound.participants),
        selectinload(TenderRound.successor),
    )


@bp.get("/tender-rounds")
def tender_rounds() -> dict:
    check_known("area_id", "status")
    area_id, status = int_arg("area_id"), choice_arg("status", TenderRoundStatus)
    page, per_page = paging()
    statement = _round_statement().order_by(TenderRound.id)
    if area_id is not None:
        statement = statement.where(TenderRound.agreement_area_id == area_id)
    if status is not None:
        statement = statement.where(TenderRound.status == status)
    rows, has_next = page_of(statement, page, per_page)
    return listing(map(round_item, rows), has_next, page)


@bp.get("/tender-rounds/<int:round_id>")
def tender_round(round_id: int) -> dict:
    return round_item(get_or_404(TenderRound, round_id))


@bp.get("/contracts")
def contracts() -> dict:
    check_known("tender_round_id", "supplier_id", "unit_id", "status")
    round_id, supplier_id = int_arg("tender_round_id"), int_arg("supplier_id")
    unit_id, status = int_arg("unit_id"), choice_arg("status", ContractStatus)
    page, per_page = paging()
    statement = (
        select(Contract)
        .options(
            selectinload(Contract.tender_round),
            selectinload(Contract.supplier),
            selectinload(Contract.units),
            selectinload(Contract.status_changes),
        )
        .order_by(Contract.id)
    )
    if round_id is not None:
        statement = statement.where(Contract.tender_round_id == round_id)
    if supplier_id is not None:
        statement = statement.where(Contract.supplier_id == supplier_id)
    if unit_id is not None:
        statement = statement.where(Contract.units.any(Unit.id == unit_id))
    if status is not None:
        statement = statement.where(Contract.status == status)
    rows, has_next = page_of(statement, page, per_page)
    return listing(map(contract_item, rows), has_next, page)


@bp.get("/contracts/<int:contract_id>")
def contract(contract_id: int) -> dict:
    return contract_item(get_or_404(Contract, contract_id))
