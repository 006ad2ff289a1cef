"""Importing tender rounds (matched by reference) and contracts (by reference, or round and
supplier)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from kb.extensions import db
from kb.imports.base import (
    ImportContext,
    area_ids_by_name,
    assign,
    name_key,
    organisation_ids_by_name,
    resolve_names,
    write_rows,
)
from kb.imports.catalogue_kinds import check_supplier_reference
from kb.imports.rows import ParsedRow, ParsedTable, duplicates
from kb.organisations.models import Organisation
from kb.suppliers.models import Unit
from kb.tenders.models import (
    Contract,
    ContractStatus,
    ContractStatusChange,
    TenderRound,
    TenderRoundStatus,
)

ROUND_FIELDS = ("title", "procurement_form", "published_on", "contract_start", "contract_end")


def _rounds_by_reference() -> dict[str, TenderRound]:
    return {r.reference: r for r in db.session.scalars(select(TenderRound))}


def check_tender_rounds(parsed: ParsedTable, context: ImportContext) -> None:
    duplicates(
        parsed,
        lambda row: row.values.get("reference"),
        "reference",
        _("Diarienumret finns redan på rad %(row)d."),
    )
    areas, organisations = area_ids_by_name(), organisation_ids_by_name()
    rounds = _rounds_by_reference()
    file_areas = {}
    for row in parsed.rows:
        area = name_key(str(row.values.get("agreement_area", "")))
        row.resolved["area_id"] = areas.get(area)
        file_areas[row.values.get("reference")] = areas.get(area)
        if area and area not in areas:
            parsed.problem(
                row,
                "agreement_area",
                _("Okänt avtalsområde: %(n)s.", n=row.values["agreement_area"]),
            )
        _check_lead(parsed, row, organisations, context)
        row.resolved["participant_ids"] = resolve_names(
            parsed, row, "participants", organisations, _("Okänd organisation: %(name)s.")
        )
        _check_dates(parsed, row)
    for row in parsed.rows:
        _check_predecessor(parsed, row, rounds, file_areas)


def _check_lead(
    parsed: ParsedTable, row: ParsedRow, organisations: dict[str, int], context: ImportContext
) -> None:
    lead = row.values.get("lead_organisation")
    if lead is None:
        row.resolved["lead_id"] = context.organisation_id
        if context.organisation_id is None:
            parsed.problem(row, "lead_organisation", _("Ange ledande organisation."))
    elif name_key(str(lead)) in organisations:
        row.resolved["lead_id"] = organisations[name_key(str(lead))]
    else:
        parsed.problem(row, "lead_organisation", _("Okänd organisation: %(n)s.", n=lead))


def _check_dates(parsed: ParsedTable, row: ParsedRow) -> None:
    start, end = row.values.get("contract_start"), row.values.get("contract_end")
    extension = row.values.get("extension_until")
    if start and end and start > end:  # type: ignore[operator]
        parsed.problem(row, "contract_end", _("Avtalsslutet ligger före avtalsstarten."))
    if extension and end and extension < end:  # type: ignore[operator]
        parsed.problem(row, "extension_until", _("Förlängningen slutar före avtalsslutet."))


def _check_predecessor(
    parsed: ParsedTable, row: ParsedRow, rounds: dict[str, TenderRound], file_areas: dict
) -> None:
    reference = row.values.get("predecessor")
    if reference is None:
        return
    if reference == row.values.get("reference"):
        parsed.problem(row, "predecessor", _("En omgång kan inte föregå sig själv."))
    elif reference in file_areas:
        area = file_areas[reference]
    elif reference in rounds:
        area = rounds[reference].agreement_area_id
    else:
        parsed.problem(row, "predecessor", _("Okänd föregående omgång: %(n)s.", n=reference))
        return
    if reference != row.values.get("reference") and area != row.resolved["area_id"]:
        parsed.problem(
            row, "predecessor", _("Den föregående omgången gäller ett annat avtalsområde.")
        )


def write_tender_rounds(parsed: ParsedTable, context: ImportContext) -> None:
    rounds = _rounds_by_reference()
    organisations = {o.id: o for o in db.session.scalars(select(Organisation))}

    def write_one(row: ParsedRow) -> str | None:
        values = {name: row.values.get(name) for name in ROUND_FIELDS}
        values["extension_until"] = row.values.get("extension_until")
        values["agreement_area_id"] = row.resolved["area_id"]
        values["lead_organisation_id"] = row.resolved["lead_id"]
        values["status"] = row.values.get("status", TenderRoundStatus.PLANNING)
        if "participants" in row.values:
            values["participants"] = [organisations[i] for i in row.resolved["participant_ids"]]  # type: ignore[attr-defined]
        tender_round = rounds.get(str(row.values["reference"]))
        if tender_round is None:
            tender_round = rounds[str(row.values["reference"])] = TenderRound(
                reference=row.values["reference"]
            )
            assign(tender_round, values)
            db.session.add(tender_round)
            return "created"
        return "updated" if assign(tender_round, values) else None

    outcomes: dict[str, str | None] = {}
    write_rows(
        parsed,
        context,
        lambda row: outcomes.setdefault(str(row.values["reference"]), write_one(row)),
    )
    for row in parsed.rows:  # second pass: predecessors may be rounds of the same file
        if "predecessor" not in row.values:
            continue
        tender_round = rounds[str(row.values["reference"])]
        predecessor = rounds[str(row.values["predecessor"])]
        changed = assign(tender_round, {"predecessor": predecessor})
        if changed and outcomes[str(row.values["reference"])] is None:
            context.updated += 1
    db.session.flush()


def _contract_key(row: ParsedRow) -> object:
    if row.values.get("reference"):
        return ("reference", row.values["reference"])
    return ("round", row.values.get("tender_round"), row.values.get("supplier_org_number"))


def check_contracts(parsed: ParsedTable, context: ImportContext) -> None:
    check_supplier_reference(parsed)
    duplicates(parsed, _contract_key, "reference", _("Samma avtal finns redan på rad %(row)d."))
    rounds = {r.reference: r.id for r in db.session.scalars(select(TenderRound))}
    supplier_ids = {row.resolved.get("supplier_id") for row in parsed.rows}
    units = {
        (unit.supplier_id, name_key(unit.name)): unit.id
        for unit in db.session.scalars(select(Unit).where(Unit.supplier_id.in_(supplier_ids)))
    }
    for row in parsed.rows:
        reference = row.values.get("tender_round")
        row.resolved["round_id"] = rounds.get(str(reference))
        if reference is not None and reference not in rounds:
            parsed.problem(row, "tender_round", _("Okänd upphandlingsomgång: %(n)s.", n=reference))
        supplier_units = {
            name: unit_id
            for (supplier, name), unit_id in units.items()
            if supplier == row.resolved.get("supplier_id")
        }
        row.resolved["unit_ids"] = resolve_names(
            parsed,
            row,
            "units",
            supplier_units,
            _("Leverantören har ingen verksamhet som heter %(name)s."),
        )
    _check_contract_references(parsed)


def _check_contract_references(parsed: ParsedTable) -> None:
    references = {row.values["reference"] for row in parsed.rows if "reference" in row.values}
    counts: dict[str, int] = {}
    for reference in db.session.scalars(
        select(Contract.reference).where(Contract.reference.in_(references))
    ):
        counts[reference] = counts.get(reference, 0) + 1
    for row in parsed.rows:
        if counts.get(row.values.get("reference"), 0) > 1:  # type: ignore[arg-type]
            parsed.problem(row, "reference", _("Flera avtal har redan den referensen."))


def write_contracts(parsed: ParsedTable, context: ImportContext) -> None:
    contracts = list(db.session.scalars(select(Contract)))
    by_reference = {c.reference: c for c in contracts if c.reference}
    by_pair = {(c.tender_round_id, c.supplier_id): c for c in contracts}
    units = {
        u.id: u
        for u in db.session.scalars(
            select(Unit).where(
                Unit.id.in_(
                    {i for row in parsed.rows for i in row.resolved["unit_ids"]}  # type: ignore[attr-defined]
                )
            )
        )
    }

    def write_one(row: ParsedRow) -> str | None:
        pair = (row.resolved["round_id"], row.resolved["supplier_id"])
        contract = by_reference.get(row.values.get("reference")) or by_pair.get(pair)  # type: ignore[arg-type]
        values: dict[str, object] = {"lot": row.values.get("lot")}
        if "units" in row.values:
            values["units"] = [units[i] for i in row.resolved["unit_ids"]]  # type: ignore[attr-defined]
        if contract is None:
            contract = Contract(
                tender_round_id=pair[0], supplier_id=pair[1], reference=row.values.get("reference")
            )
            contract.status = row.values.get("status", ContractStatus.ACTIVE)  # type: ignore[assignment]
            assign(contract, values)
            db.session.add(contract)
            by_pair[pair] = contract
            return "created"
        values.update(tender_round_id=pair[0], supplier_id=pair[1])
        if "reference" in row.values:
            values["reference"] = row.values["reference"]
        changed = assign(contract, values)
        return "updated" if _change_status(contract, row, context) or changed else None

    write_rows(parsed, context, write_one)


def _change_status(contract: Contract, row: ParsedRow, context: ImportContext) -> bool:
    """Keep a status change from the file like any other: dated, with its reason."""
    status = row.values.get("status")
    if status is None or status == contract.status:
        return False
    contract.status_changes.append(
        ContractStatusChange(
            from_status=contract.status,
            to_status=status,
            changed_on=context.now.date(),
            reason=_("Ändrat genom import av %(file)s.", file=context.filename),
            changed_by_id=context.user_id,
        )
    )
    contract.status = status  # type: ignore[assignment]
    return True
