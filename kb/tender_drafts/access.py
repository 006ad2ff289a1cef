"""Who reads and who builds tender drafts.

The organisations that may follow up a round read its draft (kb.followups.scopes); procurers of
the round's lead organisation, or of the intermediary it belongs to, build and finalise it.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import exists, select

from kb.auth.models import Role, User
from kb.catalogue.filters import MAX_ID
from kb.extensions import db
from kb.followups.scopes import followable_rounds
from kb.tender_drafts.models import TenderDraft
from kb.tenders.models import TenderRound


def may_read_round(user: User, tender_round: TenderRound) -> bool:
    readable = followable_rounds(user.organisation).subquery()
    column = next(iter(readable.c))
    return bool(db.session.scalar(select(exists().where(column == tender_round.id))))


def may_build(user: User, tender_round: TenderRound) -> bool:
    """Procurers of the lead organisation or of its intermediary."""
    if not user.is_authenticated or not user.has_role(Role.PROCURER):
        return False
    lead = tender_round.lead_organisation
    return user.organisation_id in {lead.id, lead.member_of_id}


def may_plan_for(user: User) -> bool:
    return user.is_authenticated and user.has_role(Role.PROCURER)


def round_or_404(user: User, round_id: int) -> TenderRound:
    found = db.session.get(TenderRound, round_id) if round_id <= MAX_ID else None
    if found is None or not may_read_round(user, found):
        abort(404)
    return found


def draft_or_404(user: User, draft_id: int) -> TenderDraft:
    found = db.session.get(TenderDraft, draft_id) if draft_id <= MAX_ID else None
    if found is None or not may_read_round(user, found.tender_round):
        abort(404)
    return found


def buildable_draft_or_error(user: User, draft_id: int) -> TenderDraft:
    """The draft for a change: 404 when unreadable, 403 when the user may read but not build."""
    found = draft_or_404(user, draft_id)
    if not may_build(user, found.tender_round):
        abort(403)
    return found
