"""Contract status (avtalsstatus): pause from call-offs, lift the pause, terminate, rescind, end.

Every change needs a reason and a decision reference and is kept as a ContractStatusChange.
Rescinded and ended contracts are final. Only coordinators and curators of an organisation
that may follow up the contract change it (kb.followups.scopes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from kb.auth.models import User
from kb.extensions import db
from kb.followups.scopes import may_follow_up, may_write
from kb.privacy.guard import check_fields
from kb.tenders.models import Contract, ContractStatus, ContractStatusChange

S = ContractStatus
ALLOWED_CHANGES: dict[ContractStatus, tuple[ContractStatus, ...]] = {
    S.ACTIVE: (S.PAUSED, S.TERMINATED, S.RESCINDED, S.ENDED),
    S.PAUSED: (S.ACTIVE, S.TERMINATED, S.RESCINDED, S.ENDED),
    S.TERMINATED: (S.RESCINDED, S.ENDED),
    S.RESCINDED: (),
    S.ENDED: (),
}
FINAL = frozenset(status for status, onward in ALLOWED_CHANGES.items() if not onward)
# What the change is called when made, by target status (and from a pause, for ACTIVE).
ACTION_LABELS = {
    S.PAUSED: _l("Uteslut tillfälligt från avrop (pausa)"),
    S.ACTIVE: _l("Häv pausen"),
    S.TERMINATED: _l("Säg upp avtalet"),
    S.RESCINDED: _l("Häv avtalet"),
    S.ENDED: _l("Avsluta avtalet"),
}
MAX_REASON_LENGTH = 4000
MAX_REFERENCE_LENGTH = 50


@dataclass(frozen=True)
class StatusChangeInput:
    to_status: ContractStatus | None
    changed_on: date | None
    reason: str
    decision_reference: str


class StatusChangeInvalid(ValueError):  # noqa: N818 (a validation outcome, not a crash)
    """The change breaks a rule; ``errors`` maps form field names to Swedish messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def may_change_status(user: User, contract: Contract) -> bool:
    return may_write(user) and may_follow_up(user.organisation, "contract", contract.id)


def possible_changes(contract: Contract) -> tuple[ContractStatus, ...]:
    return ALLOWED_CHANGES[contract.status]


def _errors(contract: Contract, change: StatusChangeInput, today: date) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    current = contract.status
    if change.to_status is None:
        add("to_status", _("Välj vilken ändring du vill göra."))
    elif current in FINAL:
        add(
            "to_status",
            _(
                "Avtalet är redan %(status)s och kan inte ändras mer.",
                status=str(current.label).lower(),
            ),
        )
    elif change.to_status == current:
        add("to_status", _("Avtalet har redan status %(status)s.", status=current.label))
    elif change.to_status not in ALLOWED_CHANGES[current]:
        add(
            "to_status",
            _(
                "Ett avtal med status %(current)s kan inte få status %(wanted)s.",
                current=current.label,
                wanted=change.to_status.label,
            ),
        )
    if change.changed_on is None:
        add("changed_on", _("Ange datum för beslutet."))
    elif change.changed_on > today:
        add("changed_on", _("Datumet kan inte ligga i framtiden."))
    else:
        latest = contract.status_changes[-1].changed_on if contract.status_changes else None
        if latest and change.changed_on < latest:
            add(
                "changed_on",
                _("Datumet kan inte vara före förra statusändringen (%(day)s).", day=latest),
            )
    if not change.reason.strip():
        add("reason", _("Ange skälet till ändringen."))
    elif len(change.reason) > MAX_REASON_LENGTH:
        add("reason", _("Skälet får vara högst %(n)d tecken.", n=MAX_REASON_LENGTH))
    if not change.decision_reference.strip():
        add("decision_reference", _("Ange beslutets diarienummer eller referens."))
    elif len(change.decision_reference) > MAX_REFERENCE_LENGTH:
        add(
            "decision_reference",
            _("Referensen får vara högst %(n)d tecken.", n=MAX_REFERENCE_LENGTH),
        )
    report = check_fields(
        {
            "reason": (_("Skäl"), change.reason),
            "decision_reference": (_("Beslutsreferens"), change.decision_reference),
        }
    )
    for issue in report.errors:
        add(issue.field, issue.message())
    return errors


def change_contract_status(
    user: User, contract: Contract, change: StatusChangeInput, today: date
) -> ContractStatusChange:
    """Record the change and set the contract's status; flushes, never commits."""
    errors = _errors(contract, change, today)
    if errors:
        raise StatusChangeInvalid(errors)
    assert change.to_status is not None and change.changed_on is not None
    record = ContractStatusChange(
        contract=contract,
        from_status=contract.status,
        to_status=change.to_status,
        changed_on=change.changed_on,
        reason=change.reason.strip(),
        decision_reference=change.decision_reference.strip(),
        changed_by_id=user.id,
    )
    contract.status = change.to_status
    db.session.add(record)
    db.session.flush()
    return record
