""" "Vad har ändrats och varför": a draft against its predecessor round's requirement set."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from kb.findings.evidence import EvidenceSummary, evidence_summaries
from kb.findings.models import Finding
from kb.requirements.models import RequirementVersion
from kb.tender_drafts.models import Provenance, TenderDraft, TenderDraftItem


@dataclass(frozen=True)
class FindingCause:
    finding: Finding
    evidence: EvidenceSummary


@dataclass(frozen=True)
class Change:
    """One difference from the predecessor round, with the findings that caused it."""

    item: TenderDraftItem
    label: str
    previous: RequirementVersion | None
    current: RequirementVersion | None
    causes: list[FindingCause] = field(default_factory=list)
    excluded_reason: str | None = None

    @property
    def code(self) -> str:
        version = self.current or self.previous
        return version.requirement.code if version else ""

    @property
    def title(self) -> str:
        version = self.current or self.previous
        return version.title if version else ""


def _label(item: TenderDraftItem) -> str:
    if item.is_excluded:
        return _("Utesluten av upphandlaren")
    if item.is_edited_by_hand:
        return _("Ändrad av upphandlaren")
    label = str(item.provenance.label)
    finding = item.finding
    if (
        finding is not None
        and item.provenance != Provenance.REMOVED
        and item.requirement_version.text_md.strip() != finding.proposed_text_md.strip()
    ):
        label += " " + _("(texten redigerad i utkastet)")
    return label


def _is_change(item: TenderDraftItem) -> bool:
    if item.is_excluded:
        return item.provenance == Provenance.CARRIED_OVER or item.finding_id is not None
    return item.provenance != Provenance.CARRIED_OVER or item.is_edited_by_hand


def draft_changes(draft: TenderDraft) -> list[Change]:
    items = [item for item in draft.items if _is_change(item)]
    summaries = evidence_summaries([i.finding_id for i in items if i.finding_id])
    changes = []
    for item in items:
        removed = item.provenance == Provenance.REMOVED
        changes.append(
            Change(
                item=item,
                label=_label(item),
                previous=item.previous_version,
                current=None if removed else item.requirement_version,
                causes=[
                    FindingCause(item.finding, summaries.get(item.finding.id, EvidenceSummary()))
                ]
                if item.finding
                else [],
                excluded_reason=item.excluded_reason,
            )
        )
    return changes
