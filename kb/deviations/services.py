"""Recording and resolving deviations. Services take plain values, flush, and never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import exists, select

from kb.auth.models import User
from kb.experiences.services import PrivacyWarningsNeedConfirmation
from kb.extensions import db
from kb.followups.models import Deviation, DeviationCategory, Severity
from kb.followups.scopes import followable_contracts, followable_units, may_follow_up
from kb.markdown import render_markdown
from kb.privacy.guard import PrivacyReport, check_fields
from kb.suppliers.models import Supplier, Unit
from kb.tenders.models import Contract, contract_units

__all__ = [
    "DeviationInput",
    "DeviationInvalid",
    "PrivacyWarningsNeedConfirmation",
    "record_deviation",
    "resolve_deviation",
]


class DeviationInvalid(ValueError):  # noqa: N818
    """The deviation breaks a rule; errors maps form field names to Swedish messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class DeviationInput:
    unit_id: int | None
    contract_id: int | None
    occurred_on: date | None
    category: DeviationCategory | None
    severity: Severity | None
    description_md: str
    unit_given: bool = False
    contract_given: bool = False


def supplier_of(deviation: Deviation) -> Supplier | None:
    """The supplier a deviation concerns: through its unit, else through its contract."""
    if deviation.unit is not None:
        return deviation.unit.supplier
    return deviation.contract.supplier if deviation.contract is not None else None


def unit_choices(author: User) -> list[tuple[int, str]]:
    """Units the author's organisation may follow up, as (id, 'Unit – Supplier')."""
    rows = db.session.execute(
        select(Unit.id, Unit.name, Supplier.name)
        .join(Supplier, Unit.supplier_id == Supplier.id)
        .where(Unit.id.in_(followable_units(author.organisation)))
        .order_by(Unit.name, Supplier.name)
    ).all()
    return [(unit_id, f"{unit} – {supplier}") for unit_id, unit, supplier in rows]


def contract_choices(author: User) -> list[tuple[int, str]]:
    """Contracts the author's organisation may follow up, labelled by supplier and round."""
    contracts = db.session.scalars(
        select(Contract)
        .join(Supplier, Contract.supplier_id == Supplier.id)
        .where(Contract.id.in_(followable_contracts(author.organisation)))
        .order_by(Supplier.name, Contract.id)
    ).all()
    return [(contract.id, contract_label(contract)) for contract in contracts]


def contract_label(contract: Contract) -> str:
    tender_round = contract.tender_round
    reference = contract.reference or tender_round.reference
    return f"{contract.supplier.name} · {reference} · {tender_round.title}"


def _target_errors(author: User, data: DeviationInput) -> dict[str, list[str]]:
    """Check that the unit and contract exist, may be followed up, and fit together."""
    organisation = author.organisation
    errors: dict[str, list[str]] = {}
    if (
        data.unit_id is None
        and data.contract_id is None
        and not (data.unit_given or data.contract_given)
    ):
        return {"unit_id": [_("Välj en verksamhet, ett avtal eller båda.")]}
    if data.unit_given and (data.unit_id is None or db.session.get(Unit, data.unit_id) is None):
        errors["unit_id"] = [_("Verksamheten finns inte.")]
    elif data.unit_id is not None and not may_follow_up(organisation, "unit", data.unit_id):
        errors["unit_id"] = [_("Din organisation får inte följa upp den här verksamheten.")]
    if data.contract_given and (
        data.contract_id is None or db.session.get(Contract, data.contract_id) is None
    ):
        errors["contract_id"] = [_("Avtalet finns inte.")]
    elif data.contract_id is not None and not may_follow_up(
        organisation, "contract", data.contract_id
    ):
        errors["contract_id"] = [_("Din organisation får inte följa upp det här avtalet.")]
    if errors or data.unit_id is None or data.contract_id is None:
        return errors
    covered = db.session.scalar(
        select(
            exists().where(
                contract_units.c.contract_id == data.contract_id,
                contract_units.c.unit_id == data.unit_id,
            )
        )
    )
    if not covered:
        errors["contract_id"] = [_("Avtalet omfattar inte den valda verksamheten.")]
    return errors


def _privacy(data: DeviationInput) -> PrivacyReport:
    return check_fields({"description_md": (_("Beskrivning"), data.description_md)})


def validate(author: User, data: DeviationInput, today: date) -> dict[str, list[str]]:
    """Return every broken rule as field name -> Swedish messages."""
    errors = _target_errors(author, data)
    if data.occurred_on is None:
        errors.setdefault("occurred_on", []).append(_("Ange när avvikelsen inträffade."))
    elif data.occurred_on > today:
        errors.setdefault("occurred_on", []).append(_("Datumet kan inte ligga i framtiden."))
    if data.category is None:
        errors["category"] = [_("Välj en kategori.")]
    if data.severity is None:
        errors["severity"] = [_("Välj allvarlighetsgrad.")]
    if not data.description_md.strip():
        errors["description_md"] = [_("Beskriv avvikelsen.")]
    return errors


def record_deviation(
    author: User, data: DeviationInput, *, today: date, privacy_confirmed: bool
) -> Deviation:
    """Create a deviation for the author's organisation; raise on a broken rule."""
    errors = validate(author, data, today)
    report = _privacy(data)
    for issue in report.errors:
        errors.setdefault(issue.field, []).append(issue.message())
    if errors:
        raise DeviationInvalid(errors)
    if report.warnings and not privacy_confirmed:
        raise PrivacyWarningsNeedConfirmation(report)
    text = data.description_md.strip()
    deviation = Deviation(
        organisation_id=author.organisation_id,
        reported_by_id=author.id,
        unit_id=data.unit_id,
        contract_id=data.contract_id,
        occurred_on=data.occurred_on,
        category=data.category,
        severity=data.severity,
        description_md=text,
        description_html=render_markdown(text),
        resolved=False,
    )
    db.session.add(deviation)
    db.session.flush()
    return deviation


def may_resolve(user: User, deviation: Deviation) -> bool:
    """Coordinators and curators resolve their own organisation's deviations."""
    return deviation.organisation_id == user.organisation_id


def resolve_deviation(
    deviation: Deviation, note: str, *, today: date, privacy_confirmed: bool
) -> Deviation:
    """Mark the deviation resolved today with a note; raise on a broken rule."""
    text = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if deviation.resolved:
        errors["resolution_note"] = [
            _("Avvikelsen är redan åtgärdad (%(day)s).", day=deviation.resolved_on or "")
        ]
    elif not text:
        errors["resolution_note"] = [_("Skriv hur avvikelsen åtgärdades.")]
    report = check_fields({"resolution_note": (_("Åtgärd"), text)})
    for issue in report.errors:
        errors.setdefault(issue.field, []).append(issue.message())
    if errors:
        raise DeviationInvalid(errors)
    if report.warnings and not privacy_confirmed:
        raise PrivacyWarningsNeedConfirmation(report)
    deviation.resolved = True
    deviation.resolved_on = today
    deviation.resolution_note = text
    db.session.flush()
    return deviation
