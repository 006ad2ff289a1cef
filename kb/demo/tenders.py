"""Two chained tender rounds per agreement area, with contracts and their status history."""

from __future__ import annotations

from datetime import date

from kb.demo.areas import AREAS
from kb.demo.world import DemoWorld
from kb.extensions import db
from kb.suppliers.models import Supplier, Unit
from kb.tenders.models import (
    Contract,
    ContractStatus,
    ContractStatusChange,
    ProcurementForm,
    TenderRound,
    TenderRoundStatus,
)

ROUND_PERIODS = (
    (date(2018, 10, 1), date(2019, 3, 1), date(2022, 2, 28), None, TenderRoundStatus.ENDED),
    (
        date(2021, 9, 15),
        date(2022, 3, 1),
        date(2026, 2, 28),
        date(2027, 2, 28),
        TenderRoundStatus.ACTIVE,
    ),
)
STATUS_EVENTS = (
    (
        ContractStatus.PAUSED,
        date(2025, 4, 8),
        "Allvarliga brister i bemanningen vid oanmält platsbesök; uteslutet från avrop tills åtgärdsplan godkänts.",
    ),
    (
        ContractStatus.PAUSED,
        date(2025, 9, 22),
        "Återkommande avvikelser i fakturering och rapportering; uteslutet från avrop i tre månader.",
    ),
    (
        ContractStatus.PAUSED,
        date(2026, 6, 2),
        "IVO har inlett tillsyn efter lex Sarah-rapport; avrop pausas under utredningen.",
    ),
    (
        ContractStatus.TERMINATED,
        date(2024, 11, 30),
        "Leverantören har inte åtgärdat påtalade brister i genomförandeplaner och rapportering.",
    ),
    (
        ContractStatus.TERMINATED,
        date(2025, 12, 15),
        "Leverantören har sagt upp avtalet med hänvisning till bristande beläggning.",
    ),
    (
        ContractStatus.RESCINDED,
        date(2025, 2, 14),
        "Avtalet hävs: IVO-tillståndet återkallades och leverantören har brustit i väsentlig grad.",
    ),
)


def _round(
    world: DemoWorld, area_key: str, number: int, predecessor: TenderRound | None
) -> TenderRound:
    published, start, end, extension, status = ROUND_PERIODS[number - 1]
    area = world.areas[area_key]
    tender_round = TenderRound(
        reference=f"KFV {start.year - 1}/{100 + 10 * list(world.areas).index(area_key) + number}",
        title=f"{area.name} – ramavtal {start.year}–{end.year}",
        agreement_area=area,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=world.intermediary,
        status=status,
        published_on=published,
        contract_start=start,
        contract_end=end,
        extension_until=extension,
        predecessor=predecessor,
    )
    tender_round.participants = list(world.municipalities)
    db.session.add(tender_round)
    return tender_round


def _suppliers_of(units: list[Unit]) -> dict[int, tuple[Supplier, list[Unit]]]:
    grouped: dict[int, tuple[Supplier, list[Unit]]] = {}
    for unit in units:
        grouped.setdefault(unit.supplier.id, (unit.supplier, []))[1].append(unit)
    return grouped


def _contract(
    tender_round: TenderRound, supplier: Supplier, units: list[Unit], number: int
) -> Contract:
    contract = Contract(
        tender_round=tender_round,
        supplier=supplier,
        reference=f"{tender_round.reference}-{number:02d}",
        status=ContractStatus.ACTIVE,
    )
    contract.units = list(units)
    contract.status_changes.append(
        ContractStatusChange(
            from_status=None,
            to_status=ContractStatus.ACTIVE,
            changed_on=tender_round.contract_start,
            reason="Avtal tecknat efter tilldelning.",
            decision_reference=f"{tender_round.reference} tilldelningsbeslut",
        )
    )
    db.session.add(contract)
    return contract


def _change_status(
    contract: Contract, to_status: ContractStatus, on: date, reason: str, decision: str
) -> None:
    contract.status_changes.append(
        ContractStatusChange(
            from_status=contract.status,
            to_status=to_status,
            changed_on=on,
            reason=reason,
            decision_reference=decision,
        )
    )
    contract.status = to_status


def build_rounds_and_contracts(world: DemoWorld) -> None:
    rng = world.rng
    for plan in AREAS:
        if not plan.has_rounds:
            continue
        first = _round(world, plan.key, 1, None)
        second = _round(world, plan.key, 2, first)
        world.rounds[plan.key] = [first, second]
        for number, (supplier, units) in enumerate(
            _suppliers_of(world.units_by_area[plan.key]).values(), 1
        ):
            if rng.random() < 0.85:
                ended = _contract(first, supplier, units, number)
                _change_status(
                    ended,
                    ContractStatus.ENDED,
                    first.contract_end,
                    "Avtalsperioden löpte ut.",
                    f"{first.reference} avslut",
                )
                world.contracts.append(ended)
            if rng.random() < 0.9:
                world.contracts.append(_contract(second, supplier, units, number))
    db.session.flush()
    _apply_status_events(world)


def _apply_status_events(world: DemoWorld) -> None:
    active = [c for c in world.contracts if c.status == ContractStatus.ACTIVE]
    chosen = world.rng.sample(active, len(STATUS_EVENTS))
    for index, (contract, (status, on, reason)) in enumerate(
        zip(chosen, STATUS_EVENTS, strict=True)
    ):
        decision = f"KFV {on.year}/{400 + index}"
        _change_status(contract, status, on, reason, decision)
        if status == ContractStatus.PAUSED and index == 0:
            _change_status(
                contract,
                ContractStatus.ACTIVE,
                date(2025, 8, 20),
                "Åtgärdsplanen är genomförd och godkänd vid uppföljande besök.",
                f"KFV 2025/{450 + index}",
            )
    db.session.flush()


def contract_for(
    world: DemoWorld, unit: Unit, area_key: str, year: int, month: int
) -> Contract | None:
    """Return the contract covering the unit in the given month, if any."""
    when = date(year, month, 1)
    for contract in world.contracts:
        tender_round = contract.tender_round
        if tender_round.agreement_area_id != world.areas[area_key].id or unit not in contract.units:
            continue
        end = tender_round.extension_until or tender_round.contract_end
        if tender_round.contract_start <= when <= end:
            return contract
    return None
