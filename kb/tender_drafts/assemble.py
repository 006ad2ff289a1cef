"""Build the DraftDocument that the draft page's exports render (DOCX and Markdown)."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from kb.requirements.models import RequirementKind
from kb.tender_drafts.changes import draft_changes
from kb.tender_drafts.document import (
    DocumentRequirement,
    DocumentSection,
    DraftDocument,
    FollowUpPlanRow,
    OffContractNeed,
    ProvenanceEntry,
)
from kb.tender_drafts.generate import requirement_set
from kb.tender_drafts.models import DraftSection, Provenance, TenderDraft, TenderDraftItem
from kb.tender_drafts.off_contract import reason_counts, since

SECTION_ORDER = list(DraftSection)


def ordered_sections(draft: TenderDraft) -> list[tuple[DraftSection, list[TenderDraftItem]]]:
    """The included items per section, in the document's section order."""
    included = requirement_set(draft)
    sections = []
    for section in SECTION_ORDER:
        items = sorted((i for i in included if i.section == section), key=lambda i: i.position)
        if items or section == DraftSection.SCOPE:
            sections.append((section, items))
    return sections


def numbering(draft: TenderDraft) -> dict[int, str]:
    """Item id -> its number in the document, e.g. "3.2"."""
    numbers = {}
    for section_number, (_section, items) in enumerate(ordered_sections(draft), start=1):
        for index, item in enumerate(items, start=1):
            numbers[item.id] = f"{section_number}.{index}"
    return numbers


def _scope_intro(draft: TenderDraft) -> str:
    tender_round = draft.tender_round
    text = _("Upphandlingen avser avtalsområdet %(area)s.", area=tender_round.agreement_area.name)
    if draft.base_round is not None:
        text += " " + _(
            "Underlaget bygger på föregående omgång %(ref)s, med de ändringar som "
            "erfarenheter och uppföljningar har lett till.",
            ref=draft.base_round.reference,
        )
    return text


def _requirement(number: str, item: TenderDraftItem) -> DocumentRequirement:
    version = item.requirement_version
    return DocumentRequirement(
        number=number,
        code=version.requirement.code,
        version=version.number,
        title=version.title,
        text_md=version.text_md,
        kind=str(version.kind.label),
        level=str(version.level.label),
        weight=version.weight,
        followup_method=version.followup_method,
        provenance="" if item.provenance == Provenance.CARRIED_OVER else str(item.provenance.label),
    )


def _sections(draft: TenderDraft) -> tuple[DocumentSection, ...]:
    sections = []
    for number, (section, items) in enumerate(ordered_sections(draft), start=1):
        requirements = tuple(
            _requirement(f"{number}.{index}", item) for index, item in enumerate(items, start=1)
        )
        intro = _scope_intro(draft) if section == DraftSection.SCOPE else ""
        sections.append(DocumentSection(number, str(section.label), requirements, intro))
    return tuple(sections)


def _off_contract(draft: TenderDraft, min_group_size: int) -> tuple[OffContractNeed, ...]:
    """Reason counts; reasons below the group size are merged, or left out if still small."""
    counts = reason_counts(draft.tender_round, min_group_size)
    shown = [OffContractNeed(c.label, c.count) for c in counts if not c.suppressed]
    small = sum(c.count for c in counts if c.suppressed)
    if small >= min_group_size:
        shown.append(
            OffContractNeed(_("Övriga skäl (färre än %(n)d var)", n=min_group_size), small)
        )
    return tuple(shown)


def _followup_plan(sections: tuple[DocumentSection, ...]) -> tuple[FollowUpPlanRow, ...]:
    return tuple(
        FollowUpPlanRow(r.code, r.title, r.followup_method or r.text_md)
        for section in sections
        for r in section.requirements
        if r.followup_method or r.kind == str(RequirementKind.FOLLOWUP_QUESTION.label)
    )


def _provenance(draft: TenderDraft, numbers: dict[int, str]) -> tuple[ProvenanceEntry, ...]:
    entries = []
    for change in draft_changes(draft):
        if change.item.is_excluded and change.item.finding_id is not None:
            continue  # a finding left out changes nothing in the document
        entries.append(
            ProvenanceEntry(
                number=numbers.get(change.item.id, ""),
                code=change.code,
                title=change.title,
                change=change.label
                + (f": {change.excluded_reason}" if change.excluded_reason else ""),
                previous_version=change.previous.number if change.previous else None,
                new_version=change.current.number if change.current else None,
                findings=tuple(
                    _(
                        "Lärdom %(id)s: %(title)s (%(count)d underlag, %(towns)d kommuner)",
                        id=cause.finding.id,
                        title=cause.finding.title,
                        count=cause.evidence.count,
                        towns=cause.evidence.municipalities,
                    )
                    for cause in change.causes
                ),
            )
        )
    return tuple(entries)


def assemble(draft: TenderDraft, today: date, min_group_size: int) -> DraftDocument:
    tender_round = draft.tender_round
    sections = _sections(draft)
    return DraftDocument(
        title=draft.title,
        round_reference=tender_round.reference,
        round_title=tender_round.title,
        agreement_area=tender_round.agreement_area.name,
        base_round_reference=draft.base_round.reference if draft.base_round else None,
        status=str(draft.status.label),
        produced_on=today,
        organisation=tender_round.lead_organisation.name,
        sections=sections,
        off_contract=_off_contract(draft, min_group_size),
        off_contract_since=since(tender_round),
        followup_plan=_followup_plan(sections),
        provenance=_provenance(draft, numbers=numbering(draft)),
    )
