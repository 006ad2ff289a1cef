"""Recording supplier checks, one at a time or for a whole framework. Flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kb.auth.models import User
from kb.experiences.services import PrivacyWarningsNeedConfirmation
from kb.extensions import db
from kb.followups.models import CheckKind, CheckResult, SupplierCheck
from kb.followups.scopes import may_follow_up
from kb.privacy.guard import PrivacyReport, check_fields
from kb.suppliers.models import Supplier, Unit
from kb.tenders.models import Contract, ContractStatus, TenderRound

CREDIT_MIN, CREDIT_MAX = 0, 100
ON_FRAMEWORK = (ContractStatus.ACTIVE, ContractStatus.PAUSED)

__all__ = [
    "CheckInvalid",
    "DueChecks",
    "PrivacyWarningsNeedConfirmation",
    "due_checks",
    "latest_checks",
    "record_batch",
    "record_check",
]


class CheckInvalid(ValueError):  # noqa: N818 (a validation outcome, not a crash)
    """The check breaks a rule; errors maps form field names to Swedish messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class CheckInput:
    supplier_id: int | None
    unit_id: int | None
    kind: CheckKind | None
    checked_on: date | None
    next_due: date | None
    result: CheckResult | None
    value: str = ""
    note: str = ""
    supplier_given: bool = False
    unit_given: bool = False


@dataclass(frozen=True)
class BatchRow:
    supplier_id: int
    result: CheckResult | None  # None: this supplier is skipped
    value: str = ""


@dataclass(frozen=True)
class BatchInput:
    tender_round_id: int | None
    kind: CheckKind | None
    checked_on: date | None
    next_due: date | None
    rows: list[BatchRow]
    note: str = ""
    round_given: bool = False


def round_suppliers(tender_round_id: int) -> list[Supplier]:
    """Suppliers with an active or paused contract on the tender round, by name."""
    on_round = select(Contract.supplier_id).where(
        Contract.tender_round_id == tender_round_id, Contract.status.in_(ON_FRAMEWORK)
    )
    return list(
        db.session.scalars(
            select(Supplier).where(Supplier.id.in_(on_round)).order_by(Supplier.name)
        )
    )


def value_errors(kind: CheckKind | None, value: str) -> list[str]:
    """A credit score is a whole number 0–100; other values are free text."""
    text = value.strip()
    if kind != CheckKind.CREDIT:
        return []
    if not text:
        return [_("Ange kreditbetyget, ett heltal från 0 till 100.")]
    if not (text.isascii() and text.lstrip("-").isdigit()):
        return [
            _("Kreditbetyget ska vara ett heltal från 0 till 100, inte ”%(value)s”.", value=text)
        ]
    if not CREDIT_MIN <= int(text) <= CREDIT_MAX:
        return [_("Kreditbetyget %(value)s ligger utanför skalan 0–100.", value=text)]
    return []


def date_errors(checked_on: date | None, next_due: date | None, today: date) -> dict:
    errors: dict[str, list[str]] = {}
    if checked_on is None:
        errors["checked_on"] = [_("Ange när kontrollen gjordes.")]
    elif checked_on > today:
        errors["checked_on"] = [_("Kontrolldatumet kan inte ligga i framtiden.")]
    if next_due is None:
        errors["next_due"] = [_("Ange när nästa kontroll ska göras.")]
    elif checked_on is not None and next_due <= checked_on:
        errors["next_due"] = [_("Nästa kontroll måste ligga efter kontrolldatumet.")]
    return errors


def _supplier_errors(author: User, data: CheckInput) -> dict[str, list[str]]:
    organisation = author.organisation
    if data.supplier_id is None:
        message = _("Leverantören finns inte.") if data.supplier_given else _("Välj leverantör.")
        return {"supplier_id": [message]}
    if db.session.get(Supplier, data.supplier_id) is None:
        return {"supplier_id": [_("Leverantören finns inte.")]}
    if not may_follow_up(organisation, "supplier", data.supplier_id):
        return {"supplier_id": [_("Din organisation får inte följa upp den här leverantören.")]}
    if data.unit_id is None:
        return {"unit_id": [_("Verksamheten finns inte.")]} if data.unit_given else {}
    unit = db.session.get(Unit, data.unit_id)
    if unit is None:
        return {"unit_id": [_("Verksamheten finns inte.")]}
    if unit.supplier_id != data.supplier_id:
        return {"unit_id": [_("Verksamheten tillhör inte den valda leverantören.")]}
    if data.kind is not None and data.kind != CheckKind.IVO_PERMIT:
        return {"unit_id": [_("Verksamhet anges bara för kontroll av IVO-tillstånd.")]}
    if not may_follow_up(organisation, "unit", data.unit_id):
        return {"unit_id": [_("Din organisation får inte följa upp den här verksamheten.")]}
    return {}


def _privacy(fields: dict[str, tuple[str, str]]) -> PrivacyReport:
    return check_fields(fields)


def _raise_if_invalid(
    errors: dict[str, list[str]], report: PrivacyReport, privacy_confirmed: bool
) -> None:
    for issue in report.errors:
        errors.setdefault(issue.field, []).append(issue.message())
    if errors:
        raise CheckInvalid(errors)
    if report.warnings and not privacy_confirmed:
        raise PrivacyWarningsNeedConfirmation(report)


def record_check(
    author: User, data: CheckInput, *, today: date, privacy_confirmed: bool
) -> SupplierCheck:
    """Record one check for the author's organisation; raise on a broken rule."""
    errors = {
        **_supplier_errors(author, data),
        **date_errors(data.checked_on, data.next_due, today),
    }
    if data.kind is None:
        errors["kind"] = [_("Välj typ av kontroll.")]
    if data.result is None:
        errors["result"] = [_("Välj resultat.")]
    if found := value_errors(data.kind, data.value):
        errors["value"] = found
    report = _privacy({"note": (_("Anteckning"), data.note), "value": (_("Värde"), data.value)})
    _raise_if_invalid(errors, report, privacy_confirmed)
    check = _new_check(author, data, data.supplier_id, data.result, data.value)
    check.unit_id = data.unit_id
    db.session.flush()
    return check


def _new_check(
    author: User,
    data: CheckInput | BatchInput,
    supplier_id: int | None,
    result: CheckResult | None,
    value: str,
) -> SupplierCheck:
    check = SupplierCheck(
        organisation_id=author.organisation_id,
        supplier_id=supplier_id,
        kind=data.kind,
        checked_on=data.checked_on,
        next_due=data.next_due,
        result=result,
        value=value.strip() or None,
        note=data.note.strip(),
    )
    db.session.add(check)
    return check


def _round_errors(author: User, data: BatchInput) -> dict[str, list[str]]:
    if data.tender_round_id is None:
        message = _("Upphandlingsomgången finns inte.") if data.round_given else _("Välj omgång.")
        return {"tender_round_id": [message]}
    if db.session.get(TenderRound, data.tender_round_id) is None:
        return {"tender_round_id": [_("Upphandlingsomgången finns inte.")]}
    if not may_follow_up(author.organisation, "tender_round", data.tender_round_id):
        return {
            "tender_round_id": [
                _("Din organisation får inte följa upp den här upphandlingsomgången.")
            ]
        }
    return {}


def _row_errors(data: BatchInput) -> dict[str, list[str]]:
    on_round = {supplier.id for supplier in round_suppliers(data.tender_round_id)}
    errors: dict[str, list[str]] = {}
    for row in data.rows:
        if row.supplier_id not in on_round:
            errors[f"result_{row.supplier_id}"] = [
                _("Leverantören har inget gällande avtal i omgången.")
            ]
        elif row.result is not None and (found := value_errors(data.kind, row.value)):
            errors[f"value_{row.supplier_id}"] = found
    if not any(row.result is not None for row in data.rows):
        errors["rows"] = [_("Välj resultat för minst en leverantör.")]
    return errors


def record_batch(
    author: User, data: BatchInput, *, today: date, privacy_confirmed: bool
) -> list[SupplierCheck]:
    """Record the same check for every chosen supplier on the round; all or nothing."""
    errors = _round_errors(author, data)
    if errors:
        raise CheckInvalid(errors)
    errors = {**date_errors(data.checked_on, data.next_due, today), **_row_errors(data)}
    if data.kind is None:
        errors["kind"] = [_("Välj typ av kontroll.")]
    fields = {"note": (_("Anteckning"), data.note)}
    fields.update({f"value_{r.supplier_id}": (_("Värde"), r.value) for r in data.rows})
    _raise_if_invalid(errors, _privacy(fields), privacy_confirmed)
    checks = [
        _new_check(author, data, row.supplier_id, row.result, row.value)
        for row in data.rows
        if row.result is not None
    ]
    db.session.flush()
    return checks


OVERDUE, SOON, CURRENT = "forfallen", "snart", "aktuell"


@dataclass(frozen=True)
class DueChecks:
    """Newest checks whose next due date has passed, or falls within the coming days."""

    overdue: list[SupplierCheck]
    soon: list[SupplierCheck]


def latest_checks(
    organisation_ids: list[int], kind: CheckKind | None = None, supplier_id: int | None = None
) -> list[SupplierCheck]:
    """The newest check per supplier, unit and kind recorded by these organisations."""
    statement = (
        select(SupplierCheck)
        .where(SupplierCheck.organisation_id.in_(organisation_ids))
        .options(selectinload(SupplierCheck.supplier), selectinload(SupplierCheck.unit))
        .order_by(SupplierCheck.checked_on.desc(), SupplierCheck.id.desc())
    )
    if kind is not None:
        statement = statement.where(SupplierCheck.kind == kind)
    if supplier_id is not None:
        statement = statement.where(SupplierCheck.supplier_id == supplier_id)
    newest: dict[tuple, SupplierCheck] = {}
    for check in db.session.scalars(statement):
        newest.setdefault((check.supplier_id, check.unit_id, check.kind), check)
    return list(newest.values())


def due_status(check: SupplierCheck, today: date, within_days: int = 30) -> str:
    """forfallen when next_due has passed, snart when it is within the days, else aktuell."""
    if check.next_due is None:
        return CURRENT
    if check.next_due < today:
        return OVERDUE
    return SOON if check.next_due <= today + timedelta(days=within_days) else CURRENT


def due_checks(
    organisation_ids: list[int], today: date | None = None, within_days: int = 30
) -> DueChecks:
    """Overdue and soon-due checks, considering only the newest per supplier, unit and kind."""
    today = today or date.today()
    checks = sorted(
        (c for c in latest_checks(organisation_ids) if c.next_due is not None),
        key=lambda c: (c.next_due, c.supplier.name),
    )
    return DueChecks(
        overdue=[c for c in checks if due_status(c, today, within_days) == OVERDUE],
        soon=[c for c in checks if due_status(c, today, within_days) == SOON],
    )
