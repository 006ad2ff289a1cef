"""Generating a tender draft: the predecessor round's requirements plus accepted findings.

Every item records where it came from, so "what changed and why" can always be shown.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import selectinload

from kb.auth.models import User
from kb.extensions import db
from kb.findings.models import Finding, FindingStatus, ProposedChange
from kb.organisations.models import Organisation
from kb.requirements.models import Requirement, RequirementKind, RequirementVersion
from kb.requirements.services import (
    NewRequirement,
    RequirementInvalid,
    VersionFields,
    add_version,
    code_prefix_for,
    create_requirement,
    next_free_code,
)
from kb.tender_drafts.models import (
    DraftSection,
    DraftStatus,
    Provenance,
    TenderDraft,
    TenderDraftItem,
)
from kb.tenders.models import TenderRound

SECTION_OF_KIND = {
    RequirementKind.QUALIFICATION: DraftSection.QUALIFICATION,
    RequirementKind.MANDATORY: DraftSection.SERVICE,
    RequirementKind.AWARD_CRITERION: DraftSection.EVALUATION,
    RequirementKind.CONTRACT_TERM: DraftSection.CONTRACT_TERMS,
    RequirementKind.FOLLOWUP_QUESTION: DraftSection.FOLLOWUP_PLAN,
    RequirementKind.MARKET_QUESTION: DraftSection.MARKET_QUESTIONS,
}
KIND_OF_NEW = {
    ProposedChange.ADD_REQUIREMENT: RequirementKind.MANDATORY,
    ProposedChange.MARKET_QUESTION: RequirementKind.MARKET_QUESTION,
    ProposedChange.FOLLOWUP_QUESTION: RequirementKind.FOLLOWUP_QUESTION,
}


class DraftInvalid(ValueError):  # noqa: N818
    """The draft action breaks a rule; message is Swedish and meant for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def final_draft_of(tender_round: TenderRound | None) -> TenderDraft | None:
    if tender_round is None:
        return None
    return db.session.scalar(
        select(TenderDraft).where(
            TenderDraft.tender_round_id == tender_round.id,
            TenderDraft.status == DraftStatus.FINAL,
        )
    )


def requirement_set(draft: TenderDraft | None) -> list[TenderDraftItem]:
    """The items a draft puts in its tender: not excluded, not removed."""
    if draft is None:
        return []
    return [
        item
        for item in draft.items
        if not item.is_excluded and item.provenance != Provenance.REMOVED
    ]


def base_versions(draft: TenderDraft) -> dict[int, RequirementVersion]:
    """Requirement id -> the version the predecessor round used."""
    base = final_draft_of(draft.base_round)
    return {
        item.requirement_version.requirement_id: item.requirement_version
        for item in requirement_set(base)
    }


def usable_by(tender_round: TenderRound) -> ColumnElement[bool]:
    """SQL condition: findings the round's lead organisation may build on, as it sees them
    (kb.findings.queries): its own, and those published in its network. Another network's
    findings never reach this round's tender."""
    lead = tender_round.lead_organisation
    top = lead.member_of_id or lead.id  # the intermediary, or the organisation on its own
    network = select(Organisation.id).where(
        or_(Organisation.id == top, Organisation.member_of_id == top)
    )
    return or_(
        Finding.organisation_id == lead.id,
        and_(Finding.published_at.is_not(None), Finding.organisation_id.in_(network)),
    )


def accepted_findings(tender_round: TenderRound) -> list[Finding]:
    """The accepted findings of the round's area that the round may use."""
    area_id = tender_round.agreement_area_id
    return list(
        db.session.scalars(
            select(Finding)
            .where(
                Finding.agreement_area_id == area_id,
                Finding.status == FindingStatus.ACCEPTED,
                usable_by(tender_round),
            )
            .options(selectinload(Finding.target_requirement).selectinload(Requirement.versions))
            .order_by(Finding.created_at, Finding.id)
        )
    )


def _next_position(draft: TenderDraft, section: DraftSection) -> int:
    return 1 + max((i.position for i in draft.items if i.section == section), default=-1)


def _add_item(draft: TenderDraft, version: RequirementVersion, **values: object) -> TenderDraftItem:
    section = SECTION_OF_KIND[version.kind]
    item = TenderDraftItem(
        section=section,
        position=_next_position(draft, section),
        requirement_version=version,
        **values,
    )
    draft.items.append(item)
    return item


class CodeAllocator:
    """Codes for the requirements one generation adds: the area's prefix, numbered onwards."""

    def __init__(self, area_id: int) -> None:
        self.prefix = code_prefix_for(area_id)
        self.number = int(next_free_code(self.prefix).rsplit("-", 1)[1])

    def next(self) -> str:
        code = f"{self.prefix}-{self.number:02d}"
        self.number += 1
        return code


def _new_requirement(
    user: User | None, draft: TenderDraft, finding: Finding, codes: CodeAllocator
) -> Requirement:
    area = draft.tender_round.agreement_area
    kind = KIND_OF_NEW[finding.proposed_change]
    fields = VersionFields(
        title=finding.title,
        text_md=finding.proposed_text_md,
        kind=kind.value,
        rationale=finding.recommendation_md,
    )
    data = NewRequirement(code=codes.next(), area_ids=[area.id], fields=fields)
    creator = user or draft.created_by
    return create_requirement(creator, data, origin_findings=[finding], flush=False)


def _carried_item(draft: TenderDraft, requirement_id: int) -> TenderDraftItem | None:
    return next(
        (
            item
            for item in draft.items
            if item.provenance == Provenance.CARRIED_OVER
            and not item.is_excluded
            and item.requirement_version.requirement_id == requirement_id
        ),
        None,
    )


def apply_finding(
    user: User | None,
    draft: TenderDraft,
    finding: Finding,
    bases: dict[int, RequirementVersion],
    codes: CodeAllocator,
) -> TenderDraftItem:
    """Turn one finding into a draft item; a change replaces the carried-over requirement.

    Nothing is flushed here, so that a draft of hundreds of findings flushes once."""
    change = finding.proposed_change
    if change in KIND_OF_NEW:
        requirement = _new_requirement(user, draft, finding, codes)
        return _add_item(
            draft, requirement.versions[0], provenance=Provenance.ADDED, finding=finding
        )
    target = finding.target_requirement
    carried = _carried_item(draft, target.id)
    previous = carried.requirement_version if carried else bases.get(target.id)
    previous = previous or target.current_version
    if carried is not None:
        draft.items.remove(carried)
    if change == ProposedChange.REMOVE_REQUIREMENT:
        return _add_item(
            draft,
            previous,
            previous_version=previous,
            provenance=Provenance.REMOVED,
            finding=finding,
        )
    fields = VersionFields.of(previous, text_md=finding.proposed_text_md or previous.text_md)
    version = add_version(user, target, fields, origin_findings=[finding], flush=False)
    return _add_item(
        draft, version, previous_version=previous, provenance=Provenance.CHANGED, finding=finding
    )


def generate_draft(user: User, tender_round: TenderRound) -> TenderDraft:
    """Build the draft of a round; raise DraftInvalid when it already has one."""
    existing = db.session.scalar(
        select(TenderDraft).where(TenderDraft.tender_round_id == tender_round.id)
    )
    if existing is not None:
        raise DraftInvalid(_("Omgången har redan ett förfrågningsunderlag."))
    draft = TenderDraft(
        tender_round=tender_round,
        base_round=tender_round.predecessor,
        title=_("Förfrågningsunderlag %(title)s", title=tender_round.title)[:300],
        created_by=user,
    )
    db.session.add(draft)
    bases = base_versions(draft)
    findings = accepted_findings(tender_round)
    codes = CodeAllocator(tender_round.agreement_area_id)
    with db.session.no_autoflush:
        for version in bases.values():
            _add_item(draft, version, provenance=Provenance.CARRIED_OVER)
        for finding in findings:
            apply_finding_or_explain(user, draft, finding, bases, codes)
    db.session.flush()
    return draft


def apply_finding_or_explain(
    user: User | None,
    draft: TenderDraft,
    finding: Finding,
    bases: dict[int, RequirementVersion],
    codes: CodeAllocator,
) -> TenderDraftItem:
    """apply_finding, with a finding that cannot become a requirement named in the error."""
    try:
        return apply_finding(user, draft, finding, bases, codes)
    except RequirementInvalid as invalid:
        problems = " ".join(m for messages in invalid.errors.values() for m in messages)
        raise DraftInvalid(
            _(
                "Lärdom %(id)s (%(title)s) kan inte tillämpas: %(problems)s "
                "Rätta lärdomens föreslagna text och försök igen.",
                id=finding.id,
                title=finding.title,
                problems=problems,
            )
        ) from invalid
