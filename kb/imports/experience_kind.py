"""Importing experiences, matched by extern_id (stored as the experience's submission_key).

The same rules as the form apply (kb.experiences.validation), and the same code copies the
values and renders the Markdown (kb.experiences.services.apply_input). Links are resolved in
bulk, with one query per kind of reference, so large files need no query per row.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from kb.auth.models import User
from kb.experiences.models import Experience, ExperienceStatus
from kb.experiences.services import apply_input
from kb.experiences.validation import ExperienceInput, validate_without_links
from kb.extensions import db
from kb.followups.scopes import followable_rounds
from kb.imports.base import ImportContext, area_ids_by_name, load_in, name_key, write_rows
from kb.imports.bulk import insert_experiences
from kb.imports.rows import ParsedRow, ParsedTable, duplicates
from kb.organisations.models import Organisation
from kb.suppliers.models import Supplier, Unit, unit_agreement_areas
from kb.tenders.models import Contract, TenderRound, contract_units
from kb.themes import Theme

PLAIN_FIELDS = (
    "off_contract_reason",
    "placement_kind",
    "legal_basis",
    "age_band",
    "start",
    "end",
    "end_reason",
    "goal_attainment",
    "daily_price",
    "would_place_again",
)
FIELD_COLUMNS = {
    "unit_id": "unit",
    "agreement_area_id": "agreement_area",
    "contract_id": "contract",
}


@dataclass(frozen=True)
class ContractFacts:
    id: int
    area_id: int
    unit_ids: frozenset[int]
    start: object
    end: object
    extension: object


class Links:
    """Every unit, area, contract and author an experience file can name, loaded at once."""

    def __init__(self, organisation_id: int | None) -> None:
        unit_rows = db.session.execute(
            select(Supplier.org_number, Unit.name, Unit.id).join(Unit.supplier)
        )
        self.units = {(org, name_key(name)): unit_id for org, name, unit_id in unit_rows}
        self.unit_areas: dict[int, set[int]] = {}
        for unit_id, area_id in db.session.execute(select(unit_agreement_areas)):
            self.unit_areas.setdefault(unit_id, set()).add(area_id)
        self.areas = area_ids_by_name()
        organisation = db.session.get(Organisation, organisation_id) if organisation_id else None
        self.contracts = self._contracts(organisation)
        authors = select(func.lower(User.email), User.id).where(
            User.organisation_id == organisation_id
        )
        self.authors = dict(db.session.execute(authors).all())

    @staticmethod
    def _contracts(organisation: Organisation | None) -> dict[str, list[ContractFacts]]:
        """The contracts on the frameworks the organisation uses, as the experience form
        offers them: another network's contract is an unknown reference."""
        units: dict[int, set[int]] = {}
        for contract_id, unit_id in db.session.execute(select(contract_units)):
            units.setdefault(contract_id, set()).add(unit_id)
        statement = select(
            Contract.reference,
            Contract.id,
            TenderRound.agreement_area_id,
            TenderRound.contract_start,
            TenderRound.contract_end,
            TenderRound.extension_until,
        ).join(Contract.tender_round)
        if organisation is not None:
            statement = statement.where(
                Contract.tender_round_id.in_(followable_rounds(organisation))
            )
        found: dict[str, list[ContractFacts]] = {}
        for reference, contract_id, area, start, end, extension in db.session.execute(statement):
            if reference:
                facts = ContractFacts(
                    contract_id, area, frozenset(units.get(contract_id, ())), start, end, extension
                )
                found.setdefault(reference, []).append(facts)
        return found


def check_experiences(parsed: ParsedTable, context: ImportContext) -> None:
    if context.organisation_id is None:
        parsed.problem(None, None, _("Ange vilken organisation erfarenheterna tillhör."))
        return
    duplicates(
        parsed,
        lambda row: row.values.get("external_id"),
        "external_id",
        _("Samma extern_id finns redan på rad %(row)d."),
    )
    links = Links(context.organisation_id)
    owners = _existing_owners(parsed)
    context.progress.start("validate", len(parsed.rows))
    for index, row in enumerate(parsed.rows, start=1):
        _check_row(parsed, row, links, context)
        owner = owners.get(row.values.get("external_id"))  # type: ignore[arg-type]
        if owner is not None and owner != context.organisation_id:
            parsed.problem(
                row,
                "external_id",
                _("En annan organisations erfarenhet har redan detta extern_id."),
            )
        if index % 1000 == 0:
            context.progress.advance(1000)
    context.progress.advance(len(parsed.rows) % 1000)


def _existing_owners(parsed: ParsedTable) -> dict[str, int]:
    keys = [str(row.values["external_id"]) for row in parsed.rows if "external_id" in row.values]
    owners: dict[str, int] = {}
    for start in range(0, len(keys), 5000):
        statement = select(Experience.submission_key, Experience.organisation_id).where(
            Experience.submission_key.in_(keys[start : start + 5000])
        )
        owners.update(db.session.execute(statement).all())
    return owners


def _check_row(parsed: ParsedTable, row: ParsedRow, links: Links, context: ImportContext) -> None:
    data = _input(row)
    status = row.values.get("status", ExperienceStatus.SUBMITTED)
    errors: dict[str, list[str]] = {}
    _check_links(row, data, links, errors)
    for field, messages in validate_without_links(
        data, status == ExperienceStatus.SUBMITTED
    ).items():
        if FIELD_COLUMNS.get(field, field) not in errors:
            errors[field] = messages
    email = row.values.get("author_email")
    row.resolved["author_id"] = context.user_id
    if email is not None:
        row.resolved["author_id"] = links.authors.get(str(email).lower())
        if row.resolved["author_id"] is None:
            errors.setdefault("author_email", []).append(
                _("Ingen användare i organisationen har e-postadressen %(e)s.", e=email)
            )
    for field, messages in errors.items():
        column = FIELD_COLUMNS.get(field, field)
        if column not in parsed.headers and column.removesuffix("_id") in parsed.headers:
            column = column.removesuffix("_id")
        known = column in {c.key for c in parsed.kind.columns}
        for message in messages:
            parsed.problem(row, column if known else None, message)
    row.resolved["input"] = data


def _input(row: ParsedRow) -> ExperienceInput:
    values = row.values
    data = ExperienceInput(
        off_contract=bool(values.get("off_contract", False)),
        extra_cost_claims=bool(values.get("extra_cost_claims", False)),
        invoicing_problems=bool(values.get("invoicing_problems", False)),
        worked_md=str(values.get("worked_md", "")),
        not_worked_md=str(values.get("not_worked_md", "")),
        advice_md=str(values.get("advice_md", "")),
        submission_key=str(values["external_id"]) if "external_id" in values else None,
        ratings={
            theme: values[f"rating_{theme.value}"]  # type: ignore[misc]
            for theme in Theme
            if f"rating_{theme.value}" in values
        },
    )
    for name in PLAIN_FIELDS:
        setattr(data, name, values.get(name))
    return data


def _check_links(row: ParsedRow, data: ExperienceInput, links: Links, errors: dict) -> None:
    unit_key = (row.values.get("supplier_org_number"), name_key(str(row.values.get("unit", ""))))
    data.unit_id = links.units.get(unit_key)  # type: ignore[arg-type]
    if data.unit_id is None and "unit" in row.values and "supplier_org_number" in row.values:
        errors.setdefault("unit", []).append(
            _("Leverantören har ingen verksamhet som heter %(n)s.", n=row.values["unit"])
        )
    data.agreement_area_id = links.areas.get(name_key(str(row.values.get("agreement_area", ""))))
    if data.agreement_area_id is None and "agreement_area" in row.values:
        errors.setdefault("agreement_area", []).append(
            _("Okänt avtalsområde: %(n)s.", n=row.values["agreement_area"])
        )
    elif data.unit_id and data.agreement_area_id not in links.unit_areas.get(data.unit_id, ()):
        errors.setdefault("agreement_area", []).append(
            _("Verksamheten finns inte inom det avtalsområdet.")
        )
    reference = row.values.get("contract")
    if reference is not None:
        data.contract_id = _contract_for(str(reference), data, links, errors)


def _contract_for(reference: str, data: ExperienceInput, links: Links, errors: dict) -> int | None:
    candidates = links.contracts.get(reference, [])
    if not candidates:
        errors.setdefault("contract", []).append(_("Okänt avtal: %(n)s.", n=reference))
        return None
    for facts in candidates:
        same_place = facts.area_id == data.agreement_area_id and data.unit_id in facts.unit_ids
        if same_place and (data.start is None or _covers(facts, data)):
            return facts.id
    errors.setdefault("contract", []).append(
        _("Avtalet gäller inte verksamheten, området och perioden.")
    )
    return None


def _covers(facts: ContractFacts, data: ExperienceInput) -> bool:
    first, last = data.start.first_day, (data.end or data.start).last_day  # type: ignore[union-attr]
    starts_in_time = facts.start is None or facts.start <= last
    still_running = (
        facts.end is None
        or facts.end >= first
        or (facts.extension is not None and facts.extension >= first)
    )
    return starts_in_time and still_running


def write_experiences(parsed: ParsedTable, context: ImportContext) -> None:
    """Update existing experiences through the ORM; insert new ones in bulk."""
    keys = [str(row.values["external_id"]) for row in parsed.rows]
    existing = {e.submission_key: e for e in load_in(Experience, Experience.submission_key, keys)}
    known = [row for row in parsed.rows if row.values["external_id"] in existing]
    new = [row for row in parsed.rows if row.values["external_id"] not in existing]

    def write_one(row: ParsedRow) -> str | None:
        data: ExperienceInput = row.resolved["input"]  # type: ignore[assignment]
        experience = existing[str(row.values["external_id"])]
        experience.author_id = row.resolved["author_id"]  # type: ignore[assignment]
        apply_input(experience, data)
        status = row.values.get("status", ExperienceStatus.SUBMITTED)
        if status != experience.status:
            experience.status = status  # type: ignore[assignment]
        if status == ExperienceStatus.SUBMITTED and experience.submitted_at is None:
            experience.submitted_at = context.now
        return "updated" if _modified(experience) else None

    known_table = ParsedTable(parsed.kind, known, parsed.headers, [], [])
    write_rows(known_table, context, write_one, total=len(parsed.rows))
    insert_experiences(new, context)


def _modified(experience: Experience) -> bool:
    parts = [experience, *experience.ratings]
    return any(part in db.session.new or db.session.is_modified(part) for part in parts)
