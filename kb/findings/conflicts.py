"""What the second editor of a finding is shown: who changed it, when, and how the stored
finding now differs from what they typed (kb.findings.versions raises the conflict)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from kb.audit.models import AuditRecord
from kb.auth.models import User
from kb.extensions import db
from kb.findings.evidence import linked_ids
from kb.findings.models import Finding, Importance, ProposedChange
from kb.findings.services import FindingInput
from kb.requirements.models import Requirement
from kb.suppliers.models import AgreementArea, Supplier
from kb.themes import Theme


@dataclass(frozen=True)
class Difference:
    label: str
    current: str
    typed: str


@dataclass(frozen=True)
class Conflict:
    changed_at: datetime | None
    changed_by: str | None
    differences: list[Difference] = field(default_factory=list)


def _last_change(finding: Finding) -> tuple[datetime | None, str | None]:
    record = db.session.scalar(
        select(AuditRecord)
        .where(AuditRecord.entity == "Finding", AuditRecord.entity_id == str(finding.id))
        .order_by(AuditRecord.id.desc())
        .limit(1)
    )
    if record is None:
        return finding.updated_at, None
    user = db.session.get(User, record.actor_id) if record.actor_id else None
    return record.occurred_at, user.name if user else record.actor_label


def _name(model: type, row_id: int | None, attribute: str = "name") -> str:
    row = db.session.get(model, row_id) if row_id else None
    return str(getattr(row, attribute)) if row is not None else "–"


def _label(enum_class: type, value: object) -> str:
    try:
        return str(enum_class(value).label) if value else "–"
    except ValueError:
        return str(value)


def _yes_no(value: bool) -> str:
    return _("Ja") if value else _("Nej")


def _evidence_text(ids: dict[str, list[int]]) -> str:
    count = sum(len(values) for values in ids.values())
    return _("%(num)s underlag", num=count)


FIELD_LABELS = {
    "title": _l("Rubrik"),
    "agreement_area_id": _l("Avtalsområde"),
    "theme": _l("Tema"),
    "supplier_id": _l("Leverantör"),
    "statement_md": _l("Iakttagelse"),
    "recommendation_md": _l("Rekommendation"),
    "importance": _l("Vikt"),
    "proposed_change": _l("Föreslagen ändring"),
    "target_requirement_id": _l("Krav som ändras eller tas bort"),
    "proposed_text_md": _l("Föreslagen text"),
    "publish": _l("Publicerad för medlemskommunerna"),
    "evidence": _l("Underlag"),
}


def _pairs(finding: Finding, typed: FindingInput) -> dict[str, tuple[object, object, str, str]]:
    """Per field: (stored value, typed value, stored as shown, typed as shown)."""
    stored_theme = finding.theme.value if finding.theme else None
    stored_evidence = linked_ids(finding.evidence)
    typed_evidence = {kind: sorted(ids) for kind, ids in typed.evidence.items()}
    stored_sorted = {kind: sorted(stored_evidence.get(kind, [])) for kind in typed_evidence}
    return {
        "title": (finding.title, typed.title.strip(), finding.title, typed.title),
        "agreement_area_id": (
            finding.agreement_area_id,
            typed.agreement_area_id,
            _name(AgreementArea, finding.agreement_area_id),
            _name(AgreementArea, typed.agreement_area_id),
        ),
        "theme": (
            stored_theme,
            typed.theme,
            _label(Theme, stored_theme),
            _label(Theme, typed.theme),
        ),
        "supplier_id": (
            finding.supplier_id,
            typed.supplier_id,
            _name(Supplier, finding.supplier_id),
            _name(Supplier, typed.supplier_id),
        ),
        "statement_md": (
            finding.statement_md,
            typed.statement_md.strip(),
            finding.statement_md,
            typed.statement_md,
        ),
        "recommendation_md": (
            finding.recommendation_md,
            typed.recommendation_md.strip(),
            finding.recommendation_md,
            typed.recommendation_md,
        ),
        "importance": (
            finding.importance.value,
            typed.importance,
            _label(Importance, finding.importance.value),
            _label(Importance, typed.importance),
        ),
        "proposed_change": (
            finding.proposed_change.value,
            typed.proposed_change,
            _label(ProposedChange, finding.proposed_change.value),
            _label(ProposedChange, typed.proposed_change),
        ),
        "target_requirement_id": (
            finding.target_requirement_id,
            typed.target_requirement_id,
            _name(Requirement, finding.target_requirement_id, "code"),
            _name(Requirement, typed.target_requirement_id, "code"),
        ),
        "proposed_text_md": (
            finding.proposed_text_md,
            typed.proposed_text_md.strip(),
            finding.proposed_text_md,
            typed.proposed_text_md,
        ),
        "publish": (
            finding.published_at is not None,
            typed.publish,
            _yes_no(finding.published_at is not None),
            _yes_no(typed.publish),
        ),
        "evidence": (
            stored_sorted,
            typed_evidence,
            _evidence_text(stored_sorted),
            _evidence_text(typed_evidence),
        ),
    }


def conflict_for(finding: Finding, typed: FindingInput | None = None) -> Conflict:
    """The finding as stored now (reload it first), compared with what the editor typed."""
    changed_at, changed_by = _last_change(finding)
    differences = []
    if typed is not None:
        for name, (stored, wanted, shown, typed_shown) in _pairs(finding, typed).items():
            if stored != wanted:
                differences.append(Difference(str(FIELD_LABELS[name]), shown, typed_shown))
    return Conflict(changed_at, changed_by, differences)
