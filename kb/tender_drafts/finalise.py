"""Finalising a draft: freeze its versions, mark its findings applied, all or nothing.

Everything happens in the caller's one transaction; a refusal changes nothing.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from kb.auth.models import User
from kb.database import utcnow
from kb.extensions import db
from kb.findings.models import FindingStatus
from kb.requirements.services import freeze
from kb.tender_drafts.editing import conflicts, refuse_if_final
from kb.tender_drafts.generate import DraftInvalid, requirement_set
from kb.tender_drafts.models import DraftStatus, TenderDraft


def finalise_draft(user: User, draft: TenderDraft) -> None:
    refuse_if_final(draft)
    included = requirement_set(draft)
    if not included:
        raise DraftInvalid(
            _(
                "Underlaget har inga krav att fastställa. Omgången har ingen föregående omgång "
                "att bygga på och inga lärdomar har tagits med. Ta med accepterade lärdomar "
                "eller lägg till krav i kravbiblioteket först."
            )
        )
    unresolved = conflicts(draft)
    if unresolved:
        raise DraftInvalid(
            _(
                "Lös konflikterna först: flera lärdomar ändrar %(codes)s. Välj vilken ändring "
                "som ska gälla.",
                codes=", ".join(c.requirement.code for c in unresolved),
            )
        )
    applied = [item.finding for item in draft.items if item.finding and not item.is_excluded]
    for finding in applied:
        if finding.status != FindingStatus.ACCEPTED:
            raise DraftInvalid(
                _(
                    "Lärdom %(id)s är inte längre accepterad (%(status)s). Uteslut den ur "
                    "underlaget eller ta upp den på nytt.",
                    id=finding.id,
                    status=finding.status.label,
                )
            )
    now = utcnow()
    freeze([item.requirement_version for item in included], now)
    for finding in applied:
        finding.status = FindingStatus.APPLIED
        finding.applied_in_round = draft.tender_round
        finding.applied_at = now
    draft.status = DraftStatus.FINAL
    draft.finalised_at = now
    draft.finalised_by = user
    try:
        db.session.flush()
    except StaleDataError as error:  # a finding was edited since it was read (its version)
        raise DraftInvalid(
            _(
                "En lärdom i underlaget ändrades av någon annan medan underlaget fastställdes. "
                "Inget är ändrat. Kontrollera lärdomarna och fastställ igen."
            )
        ) from error
