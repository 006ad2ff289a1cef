"""What each role should do next: the figures behind the start page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Select, func, or_, select

from kb.auth.models import Role, User
from kb.experiences.models import Experience, ExperienceStatus
from kb.extensions import db
from kb.findings.models import Finding, FindingEvidence, FindingStatus
from kb.main.coordinator import CoordinatorOverview, coordinator_overview
from kb.organisations.models import Organisation
from kb.tenders.models import (
    TenderRound,
    TenderRoundStatus,
    tender_round_participants,
)


@dataclass
class StartFigures:
    role: Role
    figures: dict[str, int] = field(default_factory=dict)
    detail: CoordinatorOverview | None = None  # what the block lists, beyond its figures


def organisation_scope(user: User) -> list[int]:
    """Return the organisation ids whose knowledge the user's organisation curates."""
    organisation = user.organisation
    if organisation.is_intermediary:
        member_ids = db.session.scalars(
            select(Organisation.id).where(Organisation.member_of_id == organisation.id)
        ).all()
        return [organisation.id, *member_ids]
    return [organisation.id]


def _rounds_involving(user: User) -> Select:
    """Ids of tender rounds the user's organisation leads or takes part in."""
    organisation_id = user.organisation_id
    participating = select(tender_round_participants.c.tender_round_id).where(
        tender_round_participants.c.organisation_id == organisation_id
    )
    return select(TenderRound.id).where(
        or_(TenderRound.lead_organisation_id == organisation_id, TenderRound.id.in_(participating))
    )


def _count(statement: Select) -> int:
    return db.session.scalar(statement) or 0


def caseworker_figures(user: User) -> dict[str, int]:
    mine = select(func.count(Experience.id)).where(Experience.author_id == user.id)
    return {
        "drafts": _count(mine.where(Experience.status == ExperienceStatus.DRAFT)),
        "submitted": _count(mine.where(Experience.status == ExperienceStatus.SUBMITTED)),
        "findings_fed": _count(
            select(func.count(func.distinct(FindingEvidence.finding_id)))
            .join(Experience, Experience.id == FindingEvidence.experience_id)
            .where(Experience.author_id == user.id)
        ),
    }


def coordinator_block(user: User, today: date) -> StartFigures:
    """The coordinator's figures are counts of the overview the page lists in full."""
    overview = coordinator_overview(user, today)
    figures = {
        "open_deviations": overview.open_deviation_count,
        "checks_due": len(overview.checks.overdue) + len(overview.checks.soon),
        "paused_contracts": len(overview.paused),
    }
    return StartFigures(Role.COORDINATOR, figures, overview)


def curator_figures(user: User, today: date) -> dict[str, int]:
    scope = organisation_scope(user)
    return {
        "proposed_findings": _count(
            select(func.count(Finding.id)).where(
                Finding.status == FindingStatus.PROPOSED, Finding.organisation_id.in_(scope)
            )
        ),
        "recent_experiences": _count(
            select(func.count(Experience.id)).where(
                Experience.organisation_id.in_(scope),
                Experience.status == ExperienceStatus.SUBMITTED,
                Experience.submitted_at >= today - timedelta(days=30),
            )
        ),
    }


def procurer_figures(user: User) -> dict[str, int]:
    intermediary = user.organisation.intermediary
    curated_by = [intermediary.id] if intermediary else [user.organisation_id]
    return {
        "rounds_in_preparation": _count(
            select(func.count(TenderRound.id)).where(
                TenderRound.status.in_([TenderRoundStatus.PLANNING, TenderRoundStatus.DRAFT]),
                TenderRound.id.in_(_rounds_involving(user)),
            )
        ),
        "accepted_not_applied": _count(
            select(func.count(Finding.id)).where(
                Finding.status == FindingStatus.ACCEPTED, Finding.organisation_id.in_(curated_by)
            )
        ),
    }


def admin_figures() -> dict[str, int]:
    return {
        "organisations": _count(select(func.count(Organisation.id))),
        "active_users": _count(select(func.count(User.id)).where(User.active.is_(True))),
        "inactive_users": _count(select(func.count(User.id)).where(User.active.is_(False))),
    }


def start_figures(user: User, today: date) -> list[StartFigures]:
    """Return one block of figures per role the user holds, in a fixed order."""
    builders = {
        Role.CASEWORKER: lambda: StartFigures(Role.CASEWORKER, caseworker_figures(user)),
        Role.COORDINATOR: lambda: coordinator_block(user, today),
        Role.CURATOR: lambda: StartFigures(Role.CURATOR, curator_figures(user, today)),
        Role.PROCURER: lambda: StartFigures(Role.PROCURER, procurer_figures(user)),
        Role.ADMIN: lambda: StartFigures(Role.ADMIN, admin_figures()),
    }
    return [build() for role, build in builders.items() if user.has_role(role)]


def recent_experiences(user: User, limit: int = 5) -> list[Experience]:
    return list(
        db.session.scalars(
            select(Experience)
            .where(Experience.author_id == user.id)
            .order_by(Experience.updated_at.desc(), Experience.id.desc())
            .limit(limit)
        )
    )
