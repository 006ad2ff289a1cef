"""Preview and apply the retention rule. Services flush and never commit; the caller commits
each batch (kb.retention.cli)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from kb.audit.context import Actor, acting_as
from kb.experiences.models import Experience
from kb.extensions import db
from kb.markdown import render_markdown
from kb.organisations.models import Organisation
from kb.retention.audit_redaction import audit_updates_allowed, redact_narratives
from kb.retention.rule import (
    NARRATIVE_FIELDS,
    RENDERED_FIELDS,
    RetentionAction,
    RetentionRule,
    reference_date,
)

ACTOR_LABEL = "gallring"


@dataclass(frozen=True)
class OrganisationShare:
    organisation: str
    count: int
    oldest: date
    newest: date


@dataclass(frozen=True)
class RetentionPreview:
    rule: RetentionRule
    cutoff: date
    organisations: list[OrganisationShare]
    already_handled: int
    last_handled_at: datetime | None

    @property
    def total(self) -> int:
        return sum(share.count for share in self.organisations)


def candidate_ids(rule: RetentionRule, today: date) -> list[int]:
    """Ids of the experiences the rule would handle now, oldest id first."""
    if not rule.enabled:
        return []
    statement = select(Experience.id).where(rule.applies(today)).order_by(Experience.id)
    return list(db.session.scalars(statement))


def preview(rule: RetentionRule, today: date) -> RetentionPreview:
    """What the rule would handle: counts and date range per organisation, never any text."""
    dates: dict[str, list[date]] = defaultdict(list)
    if rule.enabled:
        columns = (
            Organisation.name,
            Experience.end_year,
            Experience.end_month,
            Experience.submitted_at,
            Experience.created_at,
        )
        statement = (
            select(*columns)
            .join(Organisation, Organisation.id == Experience.organisation_id)
            .where(rule.applies(today))
        )
        for name, *when in db.session.execute(statement):
            dates[name].append(reference_date(*when))
    handled, last = db.session.execute(
        select(func.count(Experience.id), func.max(Experience.narrative_removed_at)).where(
            Experience.narrative_removed_at.is_not(None)
        )
    ).one()
    shares = [
        OrganisationShare(name, len(found), min(found), max(found))
        for name, found in sorted(dates.items())
    ]
    return RetentionPreview(rule, rule.cutoff(today), shares, handled, last)


def _new_texts(rule: RetentionRule, experience: Experience) -> dict[str, str]:
    replacement = rule.replacement_text() if rule.action == RetentionAction.ANONYMISE else ""
    return {
        name: replacement if getattr(experience, name).strip() else "" for name in NARRATIVE_FIELDS
    }


def _handle(rule: RetentionRule, experience: Experience, now: datetime) -> dict[str, str]:
    """Replace the free text; return every text field's new value."""
    kept = {}
    for name, value in _new_texts(rule, experience).items():
        kept[name], kept[RENDERED_FIELDS[name]] = value, render_markdown(value)
    for name, value in kept.items():
        setattr(experience, name, value)
    experience.narrative_removed_at = now
    return kept


def handle_batch(rule: RetentionRule, ids: list[int], today: date, now: datetime) -> int:
    """Anonymise or remove the narratives of these experiences (those still due) and redact
    them from the audit trail. Each organisation's changes are logged in its own name."""
    if not rule.enabled or not ids:
        return 0
    with audit_updates_allowed():
        statement = (
            select(Experience)
            .where(Experience.id.in_(ids), rule.applies(today))
            .order_by(Experience.id)
            .with_for_update()
        )
        by_organisation: dict[int, list[Experience]] = defaultdict(list)
        for experience in db.session.scalars(statement):
            by_organisation[experience.organisation_id].append(experience)
        kept: dict[int, dict[str, str]] = {}
        for organisation_id, experiences in by_organisation.items():
            with acting_as(Actor(None, ACTOR_LABEL, organisation_id)):
                for experience in experiences:
                    kept[experience.id] = _handle(rule, experience, now)
                db.session.flush()
        redact_narratives(kept)
    return len(kept)
