"""The finding lifecycle. Services take plain values, flush, never commit.

föreslagen → accepterad | avvisad (a reason is required); föreslagen or accepterad → ersatt,
pointing to another current finding of the same owner and agreement area. tillämpad is set
only when a finalised tender draft uses the finding (kb.tender_drafts), never here.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from kb.auth.models import User
from kb.database import utcnow
from kb.experiences.services import PrivacyWarningsNeedConfirmation
from kb.extensions import db
from kb.findings.access import SUPERSEDABLE_STATUSES, may_decide, may_supersede
from kb.findings.models import Finding, FindingStatus
from kb.findings.queries import is_visible
from kb.findings.services import MAX_TEXT_LENGTH, FindingInvalid
from kb.findings.versions import check_version, flush_changes
from kb.privacy.guard import check_fields

DECISIONS = frozenset({FindingStatus.ACCEPTED, FindingStatus.REJECTED})

__all__ = ["decide_finding", "supersede_finding"]


def _add(errors: dict[str, list[str]], name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def _decision_error(finding: Finding, decision: str) -> str | None:
    if decision == FindingStatus.APPLIED.value:
        return _(
            "En lärdom blir tillämpad när ett fastställt förfrågningsunderlag använder den – "
            "den statusen kan inte sättas här."
        )
    if finding.status != FindingStatus.PROPOSED:
        return _(
            "Lärdomen är redan beslutad (%(status)s). Bara föreslagna lärdomar kan accepteras "
            "eller avvisas.",
            status=str(finding.status.label).lower(),
        )
    if decision == FindingStatus.SUPERSEDED.value:
        return _("Använd Ersätt med en annan lärdom för att markera lärdomen som ersatt.")
    if decision not in {status.value for status in DECISIONS}:
        return _("Välj om lärdomen ska accepteras eller avvisas.")
    return None


def decide_finding(
    user: User,
    finding: Finding,
    decision: str,
    reason: str = "",
    *,
    privacy_confirmed: bool = False,
    read_version: int | None = None,
    now: datetime | None = None,
) -> Finding:
    """Accept or reject a proposed finding read at read_version; a rejection needs a reason."""
    check_version(finding, read_version)
    errors: dict[str, list[str]] = {}
    message = _decision_error(finding, decision)
    if message:
        _add(errors, "decision", message)
    elif not may_decide(user, finding):
        _add(errors, "decision", _("Bara kunskapsansvariga i lärdomens organisation beslutar."))
    rejecting = decision == FindingStatus.REJECTED.value
    if rejecting and not reason.strip():
        _add(errors, "rejection_reason", _("Ange varför lärdomen avvisas."))
    elif len(reason) > MAX_TEXT_LENGTH:
        _add(
            errors, "rejection_reason", _("Texten får vara högst %(n)d tecken.", n=MAX_TEXT_LENGTH)
        )
    report = check_fields({"rejection_reason": (_("Skäl"), reason if rejecting else "")})
    for issue in report.errors:
        _add(errors, issue.field, issue.message())
    if errors:
        raise FindingInvalid(errors)
    if report.warnings and not privacy_confirmed:
        raise PrivacyWarningsNeedConfirmation(report)
    now = now or utcnow()
    finding.status = FindingStatus(decision)
    finding.rejection_reason = reason.strip() if rejecting else None
    finding.decided_at = now
    finding.decided_by_id = user.id
    flush_changes(finding, now)
    return finding


def _replacement_error(user: User, finding: Finding, replacement: Finding | None) -> str | None:
    if replacement is None or replacement.organisation_id != finding.organisation_id:
        return _("Den valda lärdomen finns inte bland dem som kan ersätta den här.")
    if replacement.id == finding.id:
        return _("En lärdom kan inte ersätta sig själv.")
    if not is_visible(user, replacement.id):
        return _("Den valda lärdomen finns inte bland dem som kan ersätta den här.")
    if replacement.agreement_area_id != finding.agreement_area_id:
        return _(
            "Lärdomen som ersätter måste gälla samma avtalsområde (%(area)s).",
            area=finding.agreement_area.name,
        )
    if replacement.status == FindingStatus.SUPERSEDED:
        return _("Lärdom %(id)s är själv ersatt. Välj den lärdom som gäller nu.", id=replacement.id)
    if replacement.status == FindingStatus.REJECTED:
        return _("Lärdom %(id)s är avvisad och kan inte ersätta en annan.", id=replacement.id)
    seen, step = set(), replacement
    while step is not None and step.id not in seen:
        if step.id == finding.id:
            return _("Det skulle bli en cirkel: lärdomarna skulle ersätta varandra.")
        seen.add(step.id)
        step = step.superseded_by
    return None


def supersede_finding(
    user: User,
    finding: Finding,
    replacement_id: int | None,
    *,
    read_version: int | None = None,
    now: datetime | None = None,
) -> Finding:
    """Mark a proposed or accepted finding, read at read_version, as superseded by another
    current finding."""
    check_version(finding, read_version)
    errors: dict[str, list[str]] = {}
    if not may_supersede(user, finding):
        status = str(finding.status.label).lower()
        message = _(
            "Bara föreslagna eller accepterade lärdomar kan ersättas; den här är %(status)s.",
            status=status,
        )
        if finding.status in SUPERSEDABLE_STATUSES:
            message = _("Bara kunskapsansvariga i lärdomens organisation beslutar.")
        _add(errors, "superseded_by_id", message)
    elif replacement_id is None:
        _add(errors, "superseded_by_id", _("Välj den lärdom som ersätter den här."))
    else:
        replacement = db.session.get(Finding, replacement_id)
        message = _replacement_error(user, finding, replacement)
        if message:
            _add(errors, "superseded_by_id", message)
    if errors:
        raise FindingInvalid(errors)
    now = now or utcnow()
    finding.status = FindingStatus.SUPERSEDED
    finding.superseded_by_id = replacement_id
    finding.decided_at = now
    finding.decided_by_id = user.id
    flush_changes(finding, now)
    return finding
