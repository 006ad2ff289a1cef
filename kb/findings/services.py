"""Saving findings (lärdomar) from evidence. Services take plain values, flush, never commit.

Deciding them (accept, reject, supersede) is in kb.findings.lifecycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from kb.auth.models import User
from kb.database import utcnow
from kb.experiences.services import PrivacyWarningsNeedConfirmation
from kb.extensions import db
from kb.findings.access import may_create_findings, may_edit
from kb.findings.evidence import (
    COLUMNS,
    KINDS,
    MODELS,
    PARAMS,
    EvidenceIds,
    linked_ids,
    missing_message,
    readable_condition,
)
from kb.findings.models import (
    Finding,
    FindingEvidence,
    FindingStatus,
    Importance,
    ProposedChange,
)
from kb.findings.queries import requirement_in_area
from kb.findings.versions import FindingConflict, check_version, flush_changes
from kb.markdown import render_markdown
from kb.privacy.guard import PrivacyReport, check_fields
from kb.requirements.models import Requirement
from kb.suppliers.models import AgreementArea, Supplier
from kb.themes import Theme

MAX_TITLE_LENGTH = 300
MAX_TEXT_LENGTH = 20_000
TEXT_LABELS = {
    "title": "Rubrik",
    "statement_md": "Iakttagelse",
    "recommendation_md": "Rekommendation",
    "proposed_text_md": "Föreslagen text",
}
TARGETED = frozenset({ProposedChange.CHANGE_REQUIREMENT, ProposedChange.REMOVE_REQUIREMENT})
NEEDS_TEXT = frozenset(set(ProposedChange) - {ProposedChange.REMOVE_REQUIREMENT})
EVIDENCE_ERRORS = "evidence"

__all__ = [
    "FindingConflict",
    "FindingInput",
    "FindingInvalid",
    "PrivacyWarningsNeedConfirmation",
    "save_finding",
]


class FindingInvalid(ValueError):  # noqa: N818
    """The finding or decision breaks a rule; errors maps a form field name to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class FindingInput:
    """What the finding form sends, as plain values; codes are checked here, not trusted."""

    title: str = ""
    theme: str | None = None
    agreement_area_id: int | None = None
    supplier_id: int | None = None
    statement_md: str = ""
    recommendation_md: str = ""
    importance: str | None = Importance.MEDIUM.value
    proposed_change: str | None = None
    target_requirement_id: int | None = None
    proposed_text_md: str = ""
    publish: bool = False
    evidence: EvidenceIds = field(default_factory=dict)


def _add(errors: dict[str, list[str]], name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def _field_errors(data: FindingInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not data.title.strip():
        _add(errors, "title", _("Ge lärdomen en rubrik."))
    elif len(data.title) > MAX_TITLE_LENGTH:
        _add(errors, "title", _("Rubriken får vara högst %(n)d tecken.", n=MAX_TITLE_LENGTH))
    if data.theme and data.theme not in {theme.value for theme in Theme}:
        _add(errors, "theme", _("Välj ett tema i listan."))
    if data.agreement_area_id is None:
        _add(errors, "agreement_area_id", _("Välj avtalsområde."))
    elif db.session.get(AgreementArea, data.agreement_area_id) is None:
        _add(errors, "agreement_area_id", _("Avtalsområdet finns inte. Välj i listan."))
    if data.supplier_id is not None and db.session.get(Supplier, data.supplier_id) is None:
        _add(errors, "supplier_id", _("Leverantören finns inte. Välj i listan."))
    if not data.statement_md.strip():
        _add(errors, "statement_md", _("Beskriv vad underlaget visar."))
    if data.importance not in {importance.value for importance in Importance}:
        _add(errors, "importance", _("Välj hur viktig lärdomen är."))
    for name in ("statement_md", "recommendation_md", "proposed_text_md"):
        if len(getattr(data, name)) > MAX_TEXT_LENGTH:
            _add(errors, name, _("Texten får vara högst %(n)d tecken.", n=MAX_TEXT_LENGTH))
    return errors


TEXT_MISSING = {
    ProposedChange.ADD_REQUIREMENT: _l("Skriv texten till det nya kravet."),
    ProposedChange.CHANGE_REQUIREMENT: _l("Skriv kravets nya text."),
    ProposedChange.MARKET_QUESTION: _l("Skriv marknadsfrågan."),
    ProposedChange.FOLLOWUP_QUESTION: _l("Skriv uppföljningsfrågan."),
}


def _target_error(data: FindingInput, change: ProposedChange) -> str | None:
    if data.target_requirement_id is None:
        if change == ProposedChange.REMOVE_REQUIREMENT:
            return _("Välj vilket krav som ska tas bort.")
        return _("Välj vilket krav som ska ändras.")
    requirement = db.session.get(Requirement, data.target_requirement_id)
    if requirement is None or requirement.retired_at is not None:
        return _("Kravet finns inte i kravbiblioteket eller är avvecklat. Välj i listan.")
    if data.agreement_area_id is not None and not requirement_in_area(
        requirement.id, data.agreement_area_id
    ):
        area = db.session.get(AgreementArea, data.agreement_area_id)
        return _(
            "Krav %(code)s hör inte till avtalsområdet %(area)s. Välj ett krav i området.",
            code=requirement.code,
            area=area.name if area else data.agreement_area_id,
        )
    return None


def _change_errors(data: FindingInput) -> dict[str, list[str]]:
    if data.proposed_change not in {change.value for change in ProposedChange}:
        return {"proposed_change": [_("Välj vilken ändring lärdomen föreslår.")]}
    change = ProposedChange(data.proposed_change)
    errors: dict[str, list[str]] = {}
    if change in TARGETED:
        message = _target_error(data, change)
        if message:
            _add(errors, "target_requirement_id", message)
    if change in NEEDS_TEXT and not data.proposed_text_md.strip():
        _add(errors, "proposed_text_md", str(TEXT_MISSING[change]))
    return errors


def _chosen_evidence(
    user: User, wanted: EvidenceIds, already: EvidenceIds, errors: dict[str, list[str]]
) -> EvidenceIds:
    """The readable evidence asked for, plus linked evidence the user cannot read (kept as is:
    the form never offered it)."""
    chosen: EvidenceIds = {}
    for kind in KINDS:
        asked, before = set(wanted.get(kind, [])), set(already.get(kind, []))
        model = MODELS[kind]
        readable = set(
            db.session.scalars(
                select(model.id).where(model.id.in_(asked | before), readable_condition(user, kind))
            )
        )
        if asked - readable:
            _add(errors, PARAMS[kind], missing_message(kind, asked - readable))
        chosen[kind] = sorted((asked & readable) | (before - readable))
    if not any(chosen.values()) and not any(PARAMS[kind] in errors for kind in KINDS):
        _add(
            errors,
            EVIDENCE_ERRORS,
            _("Välj minst ett underlag: en erfarenhet, en uppföljning eller en avvikelse."),
        )
    return chosen


def privacy_report(data: FindingInput) -> PrivacyReport:
    return check_fields(
        {name: (_(label), getattr(data, name)) for name, label in TEXT_LABELS.items()}
    )


def _apply(finding: Finding, data: FindingInput, now: datetime) -> None:
    change = ProposedChange(data.proposed_change)
    finding.title = data.title.strip()
    finding.theme = Theme(data.theme) if data.theme else None
    finding.agreement_area_id = data.agreement_area_id  # type: ignore[assignment]
    finding.supplier_id = data.supplier_id
    finding.statement_md = data.statement_md.strip()
    finding.statement_html = render_markdown(finding.statement_md)
    finding.recommendation_md = data.recommendation_md.strip()
    finding.recommendation_html = render_markdown(finding.recommendation_md)
    finding.importance = Importance(data.importance)
    finding.proposed_change = change
    finding.target_requirement_id = data.target_requirement_id if change in TARGETED else None
    finding.proposed_text_md = data.proposed_text_md.strip()
    finding.published_at = (finding.published_at or now) if data.publish else None


def _set_evidence(finding: Finding, chosen: EvidenceIds) -> bool:
    """Link exactly the chosen evidence, keeping the rows of evidence already linked; return
    whether the links changed."""
    existing = {
        (kind, getattr(row, COLUMNS[kind].key)): row for row in finding.evidence for kind in KINDS
    }
    rows = []
    for kind in KINDS:
        for evidence_id in chosen[kind]:
            row = existing.get((kind, evidence_id))
            rows.append(row or FindingEvidence(**{COLUMNS[kind].key: evidence_id}))
    changed = {id(row) for row in rows} != {id(row) for row in finding.evidence}
    finding.evidence = rows
    return changed


def save_finding(
    user: User,
    data: FindingInput,
    *,
    privacy_confirmed: bool,
    finding: Finding | None = None,
    read_version: int | None = None,
    now: datetime | None = None,
) -> Finding:
    """Create or update the finding read at read_version; raise FindingConflict,
    FindingInvalid or PrivacyWarningsNeedConfirmation."""
    if finding is not None:
        check_version(finding, read_version)
    if finding is None and not may_create_findings(user):
        raise FindingInvalid({EVIDENCE_ERRORS: [_("Bara kunskapsansvariga skapar lärdomar.")]})
    if finding is not None and not may_edit(user, finding):
        message = _(
            "Lärdomen är %(status)s och kan inte längre ändras.",
            status=str(finding.status.label).lower(),
        )
        raise FindingInvalid({EVIDENCE_ERRORS: [message]})
    errors = {**_field_errors(data), **_change_errors(data)}
    already = linked_ids(finding.evidence) if finding is not None else {}
    chosen = _chosen_evidence(user, data.evidence, already, errors)
    report = privacy_report(data)
    for issue in report.errors:
        _add(errors, issue.field, issue.message())
    if errors:
        raise FindingInvalid(errors)
    if report.warnings and not privacy_confirmed:
        raise PrivacyWarningsNeedConfirmation(report)
    if finding is None:
        finding = Finding(organisation_id=user.organisation_id, author_id=user.id)
        finding.status = FindingStatus.PROPOSED
        db.session.add(finding)
    now = now or utcnow()
    _apply(finding, data, now)
    flush_changes(finding, now, linked_changed=_set_evidence(finding, chosen))
    return finding
