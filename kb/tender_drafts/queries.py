"""Read-side queries for tender drafts: the planning list and everything the draft page shows."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kb.auth.models import User
from kb.catalogue.filters import MAX_ID
from kb.extensions import db
from kb.findings.models import Finding
from kb.followups.scopes import followable_rounds
from kb.suppliers.models import AgreementArea
from kb.tender_drafts import editing
from kb.tender_drafts.access import may_build
from kb.tender_drafts.assemble import SECTION_ORDER, numbering
from kb.tender_drafts.changes import evidence_summaries
from kb.tender_drafts.forms import ActionForm, ExcludeForm, IncludeFindingForm
from kb.tender_drafts.generate import accepted_findings, usable_by
from kb.tender_drafts.models import DraftStatus, TenderDraft, TenderDraftItem
from kb.tender_drafts.off_contract import reason_counts, since
from kb.tenders.models import TenderRound, TenderRoundStatus
from kb.tenders.rounds import open_ends

PLANNING = (TenderRoundStatus.PLANNING, TenderRoundStatus.DRAFT)


@dataclass(frozen=True)
class PlanningRow:
    tender_round: TenderRound
    draft: TenderDraft | None


def planning_rows(user: User) -> list[PlanningRow]:
    """Rounds the user may read that are being planned or have a draft, newest first."""
    drafts = {
        d.tender_round_id: d
        for d in db.session.scalars(
            select(TenderDraft).where(
                TenderDraft.tender_round_id.in_(followable_rounds(user.organisation))
            )
        )
    }
    rounds = db.session.scalars(
        select(TenderRound)
        .where(
            TenderRound.id.in_(followable_rounds(user.organisation)),
            TenderRound.status.in_(PLANNING) | TenderRound.id.in_(list(drafts)),
        )
        .options(selectinload(TenderRound.agreement_area))
        .order_by(TenderRound.id.desc())
    )
    return [PlanningRow(r, drafts.get(r.id)) for r in rounds]


def plannable_areas(user: User) -> list[AgreementArea]:
    return list(db.session.scalars(select(AgreementArea).order_by(AgreementArea.name)))


def possible_predecessors(user: User, area_id: int | None) -> list[TenderRound]:
    """The area's open-ended rounds that the user's organisation took part in."""
    if not area_id:
        return []
    usable = set(db.session.scalars(followable_rounds(user.organisation)))
    return [r for r in open_ends(area_id) if r.id in usable]


def latest_predecessor_id(user: User, area_id: int) -> str:
    ends = possible_predecessors(user, area_id)
    return str(ends[0].id) if ends else ""


def may_build_on(user: User, round_id: int) -> bool:
    """May the user's next round follow this one? Only a round its organisation took part in."""
    statement = followable_rounds(user.organisation).where(TenderRound.id == round_id)
    return db.session.scalar(statement) is not None


def draft_of(tender_round: TenderRound) -> TenderDraft | None:
    return db.session.scalar(
        select(TenderDraft).where(TenderDraft.tender_round_id == tender_round.id)
    )


def accepted_for(tender_round: TenderRound) -> list[Finding]:
    return accepted_findings(tender_round)


def may_use_finding(draft: TenderDraft, finding_id: int) -> bool:
    """Is the finding one the draft's round may build on (kb.tender_drafts.generate)?"""
    if not 0 < finding_id <= MAX_ID:
        return False
    statement = select(Finding.id).where(Finding.id == finding_id, usable_by(draft.tender_round))
    return db.session.scalar(statement) is not None


def _sections(draft: TenderDraft) -> list[tuple[object, list[TenderDraftItem]]]:
    """Every item, excluded and removed ones too, per section in document order."""
    return [
        (
            section,
            sorted((i for i in draft.items if i.section == section), key=lambda i: i.position),
        )
        for section in SECTION_ORDER
    ]


def detail_context(user: User, draft: TenderDraft) -> dict[str, object]:
    buildable = may_build(user, draft.tender_round) and draft.status == DraftStatus.DRAFT
    min_group_size = current_app.config["MIN_GROUP_SIZE"]
    conflicts = editing.conflicts(draft)
    return {
        "draft": draft,
        "sections": _sections(draft),
        "numbers": numbering(draft),
        "conflicts": conflicts,
        "conflicted_ids": {i.id for c in conflicts for i in c.items},
        "evidence": evidence_summaries([i.finding_id for i in draft.items if i.finding_id]),
        "offered": editing.offered_findings(draft) if buildable else [],
        "off_contract": reason_counts(draft.tender_round, min_group_size),
        "off_contract_since": since(draft.tender_round),
        "min_group_size": min_group_size,
        "may_build": buildable,
        "action_form": ActionForm(),
        "exclude_form": ExcludeForm(),
        "include_form": IncludeFindingForm(),
    }
