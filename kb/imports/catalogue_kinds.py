"""Importing suppliers (matched by organisation number) and units (by supplier and name)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from kb.extensions import db
from kb.imports.base import (
    ImportContext,
    area_ids_by_name,
    assign,
    load_in,
    name_key,
    resolve_names,
    write_rows,
)
from kb.imports.rows import ParsedRow, ParsedTable, duplicates
from kb.suppliers.models import AgreementArea, PermitStatus, Supplier, Unit

SUPPLIER_FIELDS = ("name", "legal_form", "website_note")
UNIT_FIELDS = (
    "age_min",
    "age_max",
    "target_profile",
    "places",
    "municipality",
    "county",
    "address",
    "permit_reference",
    "last_ivo_inspection",
)


def supplier_ids_by_org_number(numbers: set[str]) -> dict[str, int]:
    rows = db.session.execute(
        select(Supplier.org_number, Supplier.id).where(Supplier.org_number.in_(numbers))
    )
    return dict(rows.all())


def check_supplier_reference(parsed: ParsedTable, key: str = "supplier_org_number") -> None:
    """Resolve each row's supplier organisation number; report unknown suppliers."""
    numbers = {r.values[key] for r in parsed.rows if key in r.values}
    known = supplier_ids_by_org_number(numbers)  # type: ignore[arg-type]
    for row in parsed.rows:
        number = row.values.get(key)
        if number is None:
            continue
        if number in known:
            row.resolved["supplier_id"] = known[number]  # type: ignore[index]
        else:
            parsed.problem(
                row, key, _("Det finns ingen leverantör med organisationsnummer %(n)s.", n=number)
            )


def check_suppliers(parsed: ParsedTable, context: ImportContext) -> None:
    duplicates(
        parsed,
        lambda row: row.values.get("org_number"),
        "org_number",
        _("Organisationsnumret finns redan på rad %(row)d."),
    )


def write_suppliers(parsed: ParsedTable, context: ImportContext) -> None:
    existing = {
        s.org_number: s
        for s in load_in(
            Supplier, Supplier.org_number, (r.values["org_number"] for r in parsed.rows)
        )
    }

    def write_one(row: ParsedRow) -> str | None:
        values = {name: row.values.get(name) for name in SUPPLIER_FIELDS}
        supplier = existing.get(row.values["org_number"])  # type: ignore[arg-type]
        if supplier is None:
            db.session.add(Supplier(org_number=row.values["org_number"], **values))
            return "created"
        return "updated" if assign(supplier, values) else None

    write_rows(parsed, context, write_one)


def check_units(parsed: ParsedTable, context: ImportContext) -> None:
    check_supplier_reference(parsed)
    duplicates(
        parsed,
        lambda row: (row.values.get("supplier_org_number"), name_key(str(row.values.get("name")))),
        "name",
        _("Samma leverantör och verksamhet finns redan på rad %(row)d."),
    )
    areas = area_ids_by_name()
    for row in parsed.rows:
        row.resolved["area_ids"] = resolve_names(
            parsed, row, "agreement_areas", areas, _("Okänt avtalsområde: %(name)s.")
        )
        low, high = row.values.get("age_min"), row.values.get("age_max")
        if low is not None and high is not None and low > high:  # type: ignore[operator]
            parsed.problem(row, "age_max", _("Högsta ålder är lägre än lägsta ålder."))
        if row.values.get("places") is not None and row.values["places"] < 0:  # type: ignore[operator]
            parsed.problem(row, "places", _("Antalet platser kan inte vara negativt."))


def _unit_values(row: ParsedRow, areas: dict[int, AgreementArea]) -> dict[str, object]:
    values: dict[str, object] = {name: row.values.get(name) for name in UNIT_FIELDS}
    values["protected_address"] = bool(row.values.get("protected_address", False))
    values["permit_status"] = row.values.get("permit_status", PermitStatus.GRANTED)
    if "agreement_areas" in row.values:
        values["agreement_areas"] = [areas[i] for i in row.resolved["area_ids"]]  # type: ignore[attr-defined]
    return values


def write_units(parsed: ParsedTable, context: ImportContext) -> None:
    supplier_ids = {row.resolved["supplier_id"] for row in parsed.rows}
    existing = {
        (unit.supplier_id, name_key(unit.name)): unit
        for unit in load_in(Unit, Unit.supplier_id, supplier_ids)
    }
    areas = {area.id: area for area in db.session.scalars(select(AgreementArea))}

    def write_one(row: ParsedRow) -> str | None:
        values = _unit_values(row, areas)
        unit = existing.get((row.resolved["supplier_id"], name_key(str(row.values["name"]))))
        if unit is None:
            unit = Unit(supplier_id=row.resolved["supplier_id"], name=row.values["name"])
            assign(unit, values)
            db.session.add(unit)
            return "created"
        return "updated" if assign(unit, values) else None

    write_rows(parsed, context, write_one)
