"""How the loop flows: experiences reported, findings made, decided and applied in a tender.

Every figure is one aggregate query; no experience rows are fetched into Python. Experience
figures count the viewer's network (InsightScope) and suppress small groups; finding figures
count the findings the viewer may see (kb.findings.queries.visible_findings).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, case, extract, func, or_, select
from sqlalchemy.orm import aliased

from kb.auth.models import User
from kb.experiences.models import EndReason, Experience
from kb.extensions import db
from kb.findings.models import Finding, FindingEvidence, FindingStatus
from kb.findings.queries import visible_findings
from kb.insight.learning_sql import days_between, reporting_deadline
from kb.insight.scope import InsightScope
from kb.insight.sql_stats import grouped_median
from kb.suppliers.models import AgreementArea

MONTHS_SHOWN = 24
WAITING_SHOWN = 10


@dataclass(frozen=True)
class MonthFigures:
    """One month of submissions: None where a value is suppressed or has nothing to rest on."""

    year: int
    month: int
    submitted: int | None
    ended: int  # placements among them that had ended (the 30-day share's base)
    within_30_days_share: float | None  # percent

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def _ended() -> ColumnElement[bool]:
    """SQL condition: the placement has an end month and is not marked as ongoing."""
    return and_(
        Experience.end_year.is_not(None),
        or_(Experience.end_reason.is_(None), Experience.end_reason != EndReason.ONGOING),
    )


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def monthly_submissions(scope: InsightScope, area_id: int | None) -> list[MonthFigures]:
    """The last MONTHS_SHOWN months up to the latest submission, empty months included."""
    year = extract("year", Experience.submitted_at)
    month = extract("month", Experience.submitted_at)
    in_time = Experience.submitted_at < reporting_deadline(
        Experience.end_year, Experience.end_month
    )
    conditions = [scope.counted()]
    if area_id is not None:
        conditions.append(Experience.agreement_area_id == area_id)
    latest = db.session.scalar(select(func.max(Experience.submitted_at)).where(*conditions))
    if latest is None:
        return []
    first_year, first_month = _last_months((latest.year, latest.month))[0]
    # Only the months shown: a range on ix_experiences_submissions, not every submission.
    conditions.append(Experience.submitted_at >= datetime(first_year, first_month, 1))
    rows = db.session.execute(
        select(
            year.label("year"),
            month.label("month"),
            func.count().label("n"),
            scope.unreadable_count(Experience.organisation_id).label("unreadable"),
            _count_where(_ended()).label("ended"),
            _count_where(and_(_ended(), in_time)).label("in_time"),
        )
        .where(*conditions)
        .group_by(year, month)
    ).all()
    by_month = {(int(r.year), int(r.month)): r for r in rows}
    return [_month(scope, key, by_month.get(key)) for key in _last_months(max(by_month))]


def _last_months(latest: tuple[int, int]) -> list[tuple[int, int]]:
    index = latest[0] * 12 + latest[1] - 1
    months = (divmod(i, 12) for i in range(index - MONTHS_SHOWN + 1, index + 1))
    return [(year, month0 + 1) for year, month0 in months]


def _month(scope: InsightScope, key: tuple[int, int], row) -> MonthFigures:  # type: ignore[no-untyped-def]
    year, month = key
    if row is None:
        return MonthFigures(year, month, 0, 0, None)
    n, unreadable, ended = int(row.n), int(row.unreadable), int(row.ended)
    suppressed = scope.suppressed(n, unreadable)
    share_hidden = suppressed or ended == 0 or scope.suppressed(ended, unreadable)
    return MonthFigures(
        year=year,
        month=month,
        submitted=None if suppressed else n,
        ended=0 if suppressed else ended,
        within_30_days_share=None if share_hidden else round(100 * int(row.in_time) / ended, 1),
    )


# --- Findings: lead times, the applied share, the waiting list --------------------------------


@dataclass(frozen=True)
class LeadTime:
    label: str
    median_days: float | None
    n: int


def _finding_conditions(user: User, area_id: int | None) -> list[ColumnElement[bool]]:
    conditions = [visible_findings(user)]
    if area_id is not None:
        conditions.append(Finding.agreement_area_id == area_id)
    return conditions


def _median_of(days: ColumnElement[float], conditions: list[ColumnElement[bool]], join=None):  # type: ignore[no-untyped-def]
    source = select(days.label("value")).select_from(Finding)
    if join is not None:
        source = join(source)
    row = db.session.execute(grouped_median(source.where(*conditions).subquery())).first()
    if row is None or row.median is None:  # no values: an aggregate without groups gives NULL
        return None, 0
    return round(float(row.median), 1), int(row.n)


# Aliases, so the visibility rule's own EXISTS over evidence and experiences stays correlated
# to the finding only.
LINK = aliased(FindingEvidence)
EVIDENCE = aliased(Experience)


def _evidence_join(source):  # type: ignore[no-untyped-def]
    return source.join(LINK, LINK.finding_id == Finding.id).join(
        EVIDENCE, EVIDENCE.id == LINK.experience_id
    )


def lead_times(user: User, area_id: int | None, labels: dict[str, str]) -> list[LeadTime]:
    """Median days per step of the loop, over the findings the viewer may see.

    An experience became evidence when its finding was created, or when it was linked later
    if it was submitted after that. Acceptance is the decision time stored on the finding.
    """
    base = _finding_conditions(user, area_id)
    accepted = Finding.status.in_([FindingStatus.ACCEPTED, FindingStatus.APPLIED])
    applied = Finding.status == FindingStatus.APPLIED
    became_evidence = case(
        (EVIDENCE.submitted_at > Finding.created_at, LINK.created_at),
        else_=Finding.created_at,
    )
    steps = {
        "experience_to_finding": (
            days_between(EVIDENCE.submitted_at, became_evidence),
            [*base, EVIDENCE.submitted_at.is_not(None)],
            _evidence_join,
        ),
        "finding_to_acceptance": (
            days_between(Finding.created_at, Finding.decided_at),
            [*base, accepted, Finding.decided_at.is_not(None)],
            None,
        ),
        "acceptance_to_application": (
            days_between(Finding.decided_at, Finding.applied_at),
            [*base, applied, Finding.decided_at.is_not(None), Finding.applied_at.is_not(None)],
            None,
        ),
        "finding_to_application": (
            days_between(Finding.created_at, Finding.applied_at),
            [*base, applied, Finding.applied_at.is_not(None)],
            None,
        ),
    }
    result = []
    for key, (days, conditions, join) in steps.items():
        median, n = _median_of(days, conditions, join)
        result.append(LeadTime(labels[key], median, n))
    return result


@dataclass(frozen=True)
class AppliedShare:
    area_name: str
    accepted: int  # accepted and still waiting for a tender
    applied: int

    @property
    def share(self) -> float | None:
        total = self.accepted + self.applied
        return round(100 * self.applied / total, 1) if total else None


def applied_shares(user: User, area_id: int | None) -> list[AppliedShare]:
    """Per agreement area: accepted findings still waiting and those applied in a tender."""
    rows = db.session.execute(
        select(
            AgreementArea.name,
            _count_where(Finding.status == FindingStatus.ACCEPTED).label("accepted"),
            _count_where(Finding.status == FindingStatus.APPLIED).label("applied"),
        )
        .join(AgreementArea, AgreementArea.id == Finding.agreement_area_id)
        .where(
            *_finding_conditions(user, area_id),
            Finding.status.in_([FindingStatus.ACCEPTED, FindingStatus.APPLIED]),
        )
        .group_by(AgreementArea.id, AgreementArea.name)
        .order_by(AgreementArea.name)
    ).all()
    return [AppliedShare(name, int(accepted), int(applied)) for name, accepted, applied in rows]


@dataclass(frozen=True)
class WaitingFinding:
    finding_id: int
    title: str
    area_name: str
    proposed_on: date
    days_waiting: int


def waiting_findings(user: User, area_id: int | None, today: date) -> list[WaitingFinding]:
    """The proposed findings that have waited longest for a decision, oldest first."""
    rows = db.session.execute(
        select(Finding.id, Finding.title, AgreementArea.name, Finding.created_at)
        .join(AgreementArea, AgreementArea.id == Finding.agreement_area_id)
        .where(*_finding_conditions(user, area_id), Finding.status == FindingStatus.PROPOSED)
        .order_by(Finding.created_at, Finding.id)
        .limit(WAITING_SHOWN)
    ).all()
    return [
        WaitingFinding(finding_id, title, area, _day(created), (today - _day(created)).days)
        for finding_id, title, area, created in rows
    ]


def _day(moment: datetime | date) -> date:
    return moment.date() if isinstance(moment, datetime) else moment
