"""The local OCDS extension "kunskapsbanken" (schema: docs/ocds-extension/release-schema.json).

What the learning loop adds to a round's release:
- the published findings applied in the round or used by its finalised tender draft;
- the requirement changes of the finalised draft against the previous round;
- aggregates of the submitted experiences placed under the round's contracts, each withheld
  (null, "suppressed": true) when it rests on fewer than MIN_GROUP_SIZE experiences.

Never any experience text, user, e-mail or address. Aggregates are published for the whole
round only, not per contract, so that no small cell can be recovered by subtracting one
published figure from another.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import and_, case, func, or_, select

from kb.experiences.models import EndReason, Experience, ExperienceRating, ExperienceStatus
from kb.extensions import db
from kb.findings.models import Finding
from kb.followups.models import FollowUp
from kb.tender_drafts.changes import draft_changes
from kb.tender_drafts.models import DraftStatus, Provenance, TenderDraft
from kb.tenders.models import Contract, TenderRound
from kb.themes import Theme

ENDED = (EndReason.PLANNED, EndReason.BREAKDOWN, EndReason.MOVED)
CHANGE_KIND = {
    Provenance.ADDED: "added",
    Provenance.CHANGED: "changed",
    Provenance.REMOVED: "removed",
    Provenance.CARRIED_OVER: "carriedOver",
}


def round_network(tender_round: TenderRound) -> set[int]:
    """The organisations the round belongs to: the lead, its intermediary and the
    intermediary's members, and the participants."""
    lead = tender_round.lead_organisation
    network = {lead.id, *(o.id for o in tender_round.participants)}
    if (intermediary := lead.intermediary) is not None:
        network |= {intermediary.id, *(member.id for member in intermediary.members)}
    return network


def round_extension(tender_round: TenderRound, contracts: list[Contract]) -> dict:
    """The release-level extension object for one round."""
    draft = db.session.scalar(
        select(TenderDraft).where(
            TenderDraft.tender_round_id == tender_round.id,
            TenderDraft.status == DraftStatus.FINAL,
        )
    )
    findings = _findings(tender_round, draft)
    return {
        "tenderRoundReference": tender_round.reference,
        "roundStatus": tender_round.status.value,
        "procurementForm": tender_round.procurement_form.value,
        "agreementArea": {
            "id": str(tender_round.agreement_area_id),
            "name": tender_round.agreement_area.name,
            "category": tender_round.agreement_area.category.value,
        },
        "findings": [_finding(f, tender_round) for f in findings],
        "requirementChanges": _requirement_changes(draft, {f.id for f in findings}),
        "experienceAggregates": experience_aggregates(
            [c.id for c in contracts], round_network(tender_round)
        ),
    }


def contract_extension(contract: Contract) -> dict:
    """The contract's local status, its status history and its units, without free text."""
    return {
        "reference": contract.reference,
        "lot": contract.lot,
        "status": contract.status.value,
        "statusHistory": [
            {
                "date": change.changed_on.isoformat(),
                "fromStatus": change.from_status.value if change.from_status else None,
                "toStatus": change.to_status.value,
                "decisionReference": change.decision_reference,
            }
            for change in contract.status_changes
        ],
        "units": [
            {
                "id": str(unit.id),
                "name": unit.name,
                # a protected-address unit shows nothing of where it is (DESIGN section 5)
                "municipality": None if unit.protected_address else unit.municipality,
            }
            for unit in contract.units
        ],
    }


def milestone_extension(followup: FollowUp) -> dict:
    return {
        "kind": followup.kind.value,
        "scope": followup.scope.value,
        "methods": list(followup.methods),
        "result": followup.result.value if followup.result else None,
        "periodStart": followup.period_start.isoformat() if followup.period_start else None,
        "periodEnd": followup.period_end.isoformat() if followup.period_end else None,
    }


def _findings(tender_round: TenderRound, draft: TenderDraft | None) -> list[Finding]:
    """Published findings applied in the round or used by its finalised draft."""
    used = [item.finding_id for item in draft.items if item.finding_id] if draft else []
    return list(
        db.session.scalars(
            select(Finding)
            .where(
                Finding.published_at.is_not(None),
                or_(Finding.applied_in_round_id == tender_round.id, Finding.id.in_(used)),
            )
            .order_by(Finding.id)
        )
    )


def _finding(finding: Finding, tender_round: TenderRound) -> dict:
    return {
        "id": f"finding-{finding.id}",
        "title": finding.title,
        "theme": finding.theme.value if finding.theme else None,
        "status": finding.status.value,
        "importance": finding.importance.value,
        "proposedChange": finding.proposed_change.value,
        "statement": finding.statement_md,
        "recommendation": finding.recommendation_md,
        "appliedInThisRound": finding.applied_in_round_id == tender_round.id,
    }


def _requirement_changes(draft: TenderDraft | None, listed: set[int]) -> list[dict]:
    if draft is None:
        return []
    changes = []
    for change in draft_changes(draft):
        item = change.item
        version = change.current or change.previous
        kind = CHANGE_KIND[item.provenance]
        if item.is_excluded:
            kind = "excluded"
        elif item.is_edited_by_hand:
            kind = "editedByProcurer"
        changes.append(
            {
                "requirementCode": change.code,
                "title": change.title,
                "change": kind,
                "section": item.section.value,
                "requirementKind": version.kind.value if version else None,
                "level": version.level.value if version else None,
                "weight": float(version.weight) if version and version.weight is not None else None,
                "version": change.current.number if change.current else None,
                "previousVersion": change.previous.number if change.previous else None,
                "findingID": f"finding-{item.finding_id}" if item.finding_id in listed else None,
            }
        )
    return changes


def _shown(value: Any, n: int, minimum: int) -> Any:
    return None if n < minimum else value


def _theme_rating(theme: Theme, n: int, mean: Any, minimum: int) -> dict:
    return {
        "theme": theme.value,
        "ratedCount": _shown(n, n, minimum),
        "meanRating": _shown(round(float(mean), 2), n, minimum) if mean is not None else None,
        "suppressed": n < minimum,
    }


def experience_aggregates(contract_ids: list[int], organisation_ids: set[int]) -> dict:
    """Counts, breakdown share and mean theme ratings of the network's submitted experiences
    under these contracts; every figure on fewer than MIN_GROUP_SIZE experiences is null."""
    minimum = current_app.config["MIN_GROUP_SIZE"]
    under = and_(
        Experience.status == ExperienceStatus.SUBMITTED,
        Experience.contract_id.in_(contract_ids),
        Experience.organisation_id.in_(organisation_ids),
    )
    count, ended, breakdowns = db.session.execute(
        select(
            func.count(Experience.id),
            func.count(case((Experience.end_reason.in_(ENDED), 1))),
            func.count(case((Experience.end_reason == EndReason.BREAKDOWN, 1))),
        ).where(under)
    ).one()
    rows = db.session.execute(
        select(ExperienceRating.theme, func.count(), func.avg(ExperienceRating.rating))
        .join(Experience, Experience.id == ExperienceRating.experience_id)
        .where(under, ExperienceRating.rating.is_not(None))
        .group_by(ExperienceRating.theme)
    ).all()
    ratings = {theme: (n, mean) for theme, n, mean in rows}
    return {
        "minGroupSize": minimum,
        "experienceCount": _shown(count, count, minimum),
        "endedCount": _shown(ended, ended, minimum),
        "breakdownShare": _shown(round(breakdowns / ended, 3) if ended else None, ended, minimum),
        "suppressed": count < minimum,
        "themeRatings": [
            _theme_rating(theme, *ratings.get(theme, (0, None)), minimum) for theme in Theme
        ],
    }
