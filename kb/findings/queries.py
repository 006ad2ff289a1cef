"""Reading findings: the one visibility rule, the filtered list, and what the forms offer.

Visibility (:func:`visible_findings`, used by every page that shows a finding):

- every user of the owning organisation (normally the intermediary) sees all its findings;
- every user in the owning organisation's network (the intermediary and its member
  municipalities) sees the findings that are published (published_at set);
- the author of an experience that is evidence for a finding sees that finding and its status.

Everyone else gets 404 on the finding's page and never sees it listed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import abort
from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from kb.auth.models import User
from kb.catalogue.filters import MAX_ID, page_from_args, parse_choice, parse_positive_int
from kb.catalogue.rows import Page
from kb.experiences.models import Experience
from kb.experiences.visibility import network_organisation_ids
from kb.extensions import db
from kb.findings.evidence import (
    DEVIATION,
    EXPERIENCE,
    FOLLOWUP,
    EvidenceSummary,
    evidence_summaries,
    readable_condition,
)
from kb.findings.models import Finding, FindingEvidence, FindingStatus, ProposedChange
from kb.followups.models import Deviation, FollowUp
from kb.requirements.models import Requirement, requirement_agreement_areas
from kb.suppliers.models import AgreementArea, Supplier, Unit, unit_agreement_areas
from kb.tenders.models import Contract, TenderRound
from kb.themes import Theme

QUEUE_LIMIT = 100
AREA_EVIDENCE_LIMIT = 5


def evidence_authored_by(user: User) -> ColumnElement[bool]:
    """SQL condition: findings with an experience by this user among their evidence."""
    return exists().where(
        FindingEvidence.finding_id == Finding.id,
        FindingEvidence.experience_id == Experience.id,
        Experience.author_id == user.id,
    )


def visible_findings(user: User) -> ColumnElement[bool]:
    """SQL condition: the findings the user may see (the rule in this module's docstring)."""
    return or_(
        Finding.organisation_id == user.organisation_id,
        and_(
            Finding.published_at.is_not(None),
            Finding.organisation_id.in_(network_organisation_ids(user)),
        ),
        evidence_authored_by(user),
    )


def is_visible(user: User, finding_id: int) -> bool:
    return bool(
        db.session.scalar(select(exists().where(Finding.id == finding_id, visible_findings(user))))
    )


def visible_or_404(user: User, finding_id: int) -> Finding:
    """The finding, or 404 when it is missing or the user may not see it."""
    if finding_id > MAX_ID or not is_visible(user, finding_id):
        abort(404)
    return db.session.get(Finding, finding_id)  # type: ignore[return-value]


# --- The list --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingFilter:
    status: FindingStatus | None = None
    area_id: int | None = None
    theme: Theme | None = None
    change: ProposedChange | None = None

    @property
    def active(self) -> bool:
        return any(value is not None for value in self.__dict__.values())

    def query_args(self) -> dict[str, str]:
        args = {
            "status": self.status.value if self.status else None,
            "omrade": self.area_id,
            "tema": self.theme.value if self.theme else None,
            "andring": self.change.value if self.change else None,
        }
        return {name: str(value) for name, value in args.items() if value is not None}


def filter_from_args(args: Mapping[str, str]) -> FindingFilter:
    """Read the list's query parameters; an invalid value counts as not given."""
    return FindingFilter(
        status=parse_choice(FindingStatus, args.get("status")),
        area_id=parse_positive_int(args.get("omrade"), MAX_ID),
        theme=parse_choice(Theme, args.get("tema")),
        change=parse_choice(ProposedChange, args.get("andring")),
    )


@dataclass(frozen=True)
class ListedFinding:
    finding: Finding
    summary: EvidenceSummary


def _conditions(user: User, filters: FindingFilter) -> list[ColumnElement[bool]]:
    conditions = [visible_findings(user)]
    if filters.status is not None:
        conditions.append(Finding.status == filters.status)
    if filters.area_id is not None:
        conditions.append(Finding.agreement_area_id == filters.area_id)
    if filters.theme is not None:
        conditions.append(Finding.theme == filters.theme)
    if filters.change is not None:
        conditions.append(Finding.proposed_change == filters.change)
    return conditions


def _listed(findings: list[Finding]) -> list[ListedFinding]:
    summaries = evidence_summaries(f.id for f in findings)
    return [ListedFinding(f, summaries.get(f.id, EvidenceSummary())) for f in findings]


def finding_page(
    user: User, filters: FindingFilter, args: Mapping[str, str], per_page: int
) -> Page[ListedFinding]:
    """One page of the findings the user may see, newest first, with evidence figures."""
    conditions = _conditions(user, filters)
    total = db.session.scalar(select(func.count(Finding.id)).where(*conditions)) or 0
    page_count = max(1, -(-total // per_page))
    number = min(page_from_args(args), page_count)
    findings = db.session.scalars(
        select(Finding)
        .where(*conditions)
        .options(selectinload(Finding.agreement_area), selectinload(Finding.organisation))
        .order_by(Finding.created_at.desc(), Finding.id.desc())
        .offset((number - 1) * per_page)
        .limit(per_page)
    ).all()
    return Page(_listed(list(findings)), number, page_count, total)


def proposed_queue(user: User, limit: int = QUEUE_LIMIT) -> tuple[list[ListedFinding], int]:
    """The owning organisation's proposed findings, oldest first, and how many there are."""
    conditions = [
        Finding.organisation_id == user.organisation_id,
        Finding.status == FindingStatus.PROPOSED,
    ]
    total = db.session.scalar(select(func.count(Finding.id)).where(*conditions)) or 0
    findings = db.session.scalars(
        select(Finding)
        .where(*conditions)
        .options(selectinload(Finding.agreement_area))
        .order_by(Finding.created_at, Finding.id)
        .limit(limit)
    ).all()
    return _listed(list(findings)), total


def area_options() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(AgreementArea.id, AgreementArea.name).order_by(AgreementArea.name)
    )
    return [(area_id, name) for area_id, name in rows]


def supplier_options() -> list[tuple[int, str]]:
    rows = db.session.execute(select(Supplier.id, Supplier.name).order_by(Supplier.name))
    return [(supplier_id, name) for supplier_id, name in rows]


@dataclass(frozen=True)
class RequirementOption:
    area_name: str
    requirement_id: int
    label: str


def requirement_options() -> list[RequirementOption]:
    """The library's non-retired requirements, once per agreement area they belong to."""
    requirements = db.session.scalars(
        select(Requirement)
        .where(Requirement.retired_at.is_(None))
        .options(selectinload(Requirement.versions), selectinload(Requirement.agreement_areas))
        .order_by(Requirement.code)
    ).all()
    options = []
    for requirement in requirements:
        version = requirement.current_version
        label = f"{requirement.code} {version.title if version else ''}".strip()
        for area in requirement.agreement_areas:
            options.append(RequirementOption(area.name, requirement.id, label))
    return options


def requirement_in_area(requirement_id: int, area_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    requirement_agreement_areas.c.requirement_id == requirement_id,
                    requirement_agreement_areas.c.agreement_area_id == area_id,
                )
            )
        )
    )


def supersede_candidates(user: User, finding: Finding) -> list[Finding]:
    """Findings that may replace this one: same owner and area, not itself, still current."""
    return list(
        db.session.scalars(
            select(Finding)
            .where(
                Finding.id != finding.id,
                Finding.organisation_id == finding.organisation_id,
                Finding.agreement_area_id == finding.agreement_area_id,
                Finding.status.not_in([FindingStatus.SUPERSEDED, FindingStatus.REJECTED]),
                visible_findings(user),
            )
            .order_by(Finding.created_at.desc(), Finding.id.desc())
        )
    )


# --- Evidence to choose from on an agreement area's page ---------------------------------------


def _area_units(area_id: int) -> Select:
    return select(unit_agreement_areas.c.unit_id).where(
        unit_agreement_areas.c.agreement_area_id == area_id
    )


def _area_rounds(area_id: int) -> Select:
    return select(TenderRound.id).where(TenderRound.agreement_area_id == area_id)


def area_evidence(user: User, area_id: int, limit: int = AREA_EVIDENCE_LIMIT) -> dict[str, list]:
    """The most recent readable experiences, follow-ups and deviations of an agreement area."""
    area_contracts = select(Contract.id).where(Contract.tender_round_id.in_(_area_rounds(area_id)))
    conditions = {
        EXPERIENCE: Experience.agreement_area_id == area_id,
        FOLLOWUP: or_(
            FollowUp.agreement_area_id == area_id,
            FollowUp.tender_round_id.in_(_area_rounds(area_id)),
            FollowUp.contract_id.in_(area_contracts),
            FollowUp.unit_id.in_(_area_units(area_id)),
        ),
        DEVIATION: or_(
            Deviation.contract_id.in_(area_contracts), Deviation.unit_id.in_(_area_units(area_id))
        ),
    }
    orders = {
        EXPERIENCE: (Experience.submitted_at.desc().nulls_last(), Experience.id.desc()),
        FOLLOWUP: (FollowUp.period_start.desc().nulls_last(), FollowUp.id.desc()),
        DEVIATION: (Deviation.occurred_on.desc(), Deviation.id.desc()),
    }
    models = {EXPERIENCE: Experience, FOLLOWUP: FollowUp, DEVIATION: Deviation}
    options = {
        EXPERIENCE: (selectinload(Experience.unit).selectinload(Unit.supplier),),
        FOLLOWUP: (),
        DEVIATION: (selectinload(Deviation.unit),),
    }
    return {
        kind: list(
            db.session.scalars(
                select(model)
                .where(conditions[kind], readable_condition(user, kind))
                .options(*options[kind])
                .order_by(*orders[kind])
                .limit(limit)
            )
        )
        for kind, model in models.items()
    }
