"""Read-side queries for experiences: the author's list and the findings they fed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from kb.auth.models import User
from kb.catalogue.rows import Page
from kb.catalogue.services import page_window
from kb.experiences.models import Experience
from kb.extensions import db
from kb.findings.models import Finding, FindingEvidence, FindingStatus
from kb.findings.queries import visible_findings
from kb.suppliers.models import Unit


@dataclass(frozen=True)
class FedFinding:
    id: int
    title: str
    status: FindingStatus
    applied_in: str | None


def my_experiences(author: User, page: int = 1, per_page: int = 50) -> Page[Experience]:
    """One page of the author's experiences, the most recently changed first."""
    mine = Experience.author_id == author.id
    total = db.session.scalar(select(func.count(Experience.id)).where(mine)) or 0
    number, page_count = page_window(total, page, per_page)
    statement = (
        select(Experience)
        .where(mine)
        .options(
            selectinload(Experience.unit).selectinload(Unit.supplier),
            selectinload(Experience.agreement_area),
        )
        .order_by(Experience.updated_at.desc(), Experience.id.desc())
        .offset((number - 1) * per_page)
        .limit(per_page)
    )
    return Page(list(db.session.scalars(statement)), number, page_count, total)


def findings_fed_by(experience_ids: list[int], reader: User) -> dict[int, list[FedFinding]]:
    """Map each experience id to the findings it is evidence for that the reader may see
    (kb.findings.queries.visible_findings), with their status. The author sees them all; a
    colleague reading the experience does not see an unpublished finding of the intermediary."""
    if not experience_ids:
        return {}
    rows = db.session.execute(
        select(FindingEvidence.experience_id, Finding)
        .join(Finding, Finding.id == FindingEvidence.finding_id)
        .where(FindingEvidence.experience_id.in_(experience_ids), visible_findings(reader))
        .options(selectinload(Finding.applied_in_round))
        .order_by(Finding.created_at)
    ).all()
    fed: dict[int, list[FedFinding]] = {}
    for experience_id, finding in rows:
        round_reference = finding.applied_in_round.reference if finding.applied_in_round else None
        fed.setdefault(experience_id, []).append(
            FedFinding(
                id=finding.id,
                title=finding.title,
                status=finding.status,
                applied_in=round_reference,
            )
        )
    return fed
