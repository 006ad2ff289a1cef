"""Experience aggregates of one agreement area, grouped in SQL: per tender round, per year and
per off-contract reason (one query), and per unit for the ranking (one query).

Every count comes with the number of its experiences the viewer may not read, so each cell can
be suppressed on its own (DESIGN section 5). Python only adds up the small grouped results.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Subquery, and_, case, func, select

from kb.experiences.models import (
    EndReason,
    Experience,
    OffContractReason,
    WouldPlaceAgain,
)
from kb.extensions import db
from kb.insight.models import ALL_THEMES, RatingTotal
from kb.insight.scope import InsightScope
from kb.suppliers.models import Supplier, Unit
from kb.tenders.models import Contract, TenderRound

ENDED = (EndReason.PLANNED, EndReason.BREAKDOWN, EndReason.MOVED)


@dataclass
class Tally:
    """A count and how many of the counted experiences the viewer may not read."""

    n: int = 0
    unreadable: int = 0

    def add(self, n: int, unreadable: int) -> None:
        self.n += n
        self.unreadable += unreadable


@dataclass
class RoundTally:
    round_id: int | None
    reference: str | None
    experiences: Tally = field(default_factory=Tally)
    ended: Tally = field(default_factory=Tally)


@dataclass
class YearTally:
    on_contract: Tally = field(default_factory=Tally)
    off_contract: Tally = field(default_factory=Tally)
    unknown: Tally = field(default_factory=Tally)  # neither a contract nor marked off-contract

    @property
    def known(self) -> Tally:
        """Placements whose contract status is known: the share's denominator."""
        return Tally(
            self.on_contract.n + self.off_contract.n,
            self.on_contract.unreadable + self.off_contract.unreadable,
        )


@dataclass
class PlacementTallies:
    rounds: dict[int | None, RoundTally]  # None: not on a contract
    off_contract: RoundTally
    without_contract: RoundTally  # neither a contract nor marked off-contract
    years: dict[int | None, YearTally]
    reasons: dict[OffContractReason | None, Tally]


def area_condition(scope: InsightScope, area_id: int) -> ColumnElement[bool]:
    """The experiences of the area that feed the viewer's figures."""
    return and_(scope.counted(), Experience.agreement_area_id == area_id)


def placement_tallies(scope: InsightScope, area_id: int) -> PlacementTallies:
    """Counts per tender round, per start year and per off-contract reason, in one query."""
    rows = db.session.execute(
        select(
            Experience.start_year,
            TenderRound.id,
            TenderRound.reference,
            Experience.off_contract,
            Experience.off_contract_reason,
            Experience.end_reason,
            func.count(Experience.id),
            scope.unreadable_count(Experience.organisation_id),
        )
        .outerjoin(Contract, Contract.id == Experience.contract_id)
        .outerjoin(TenderRound, TenderRound.id == Contract.tender_round_id)
        .where(area_condition(scope, area_id))
        .group_by(
            Experience.start_year,
            TenderRound.id,
            TenderRound.reference,
            Experience.off_contract,
            Experience.off_contract_reason,
            Experience.end_reason,
        )
    ).all()
    tallies = PlacementTallies({}, RoundTally(None, None), RoundTally(None, None), {}, {})
    for year, round_id, reference, off, reason, end_reason, n, unreadable in rows:
        _add_row(tallies, year, round_id, reference, bool(off), reason, end_reason, n, unreadable)
    return tallies


def _add_row(
    tallies: PlacementTallies,
    year: int | None,
    round_id: int | None,
    reference: str | None,
    off: bool,
    reason: OffContractReason | None,
    end_reason: EndReason | None,
    n: int,
    unreadable: int,
) -> None:
    unreadable = int(unreadable or 0)
    year_tally = tallies.years.setdefault(year, YearTally())
    if round_id is not None:
        group = tallies.rounds.setdefault(round_id, RoundTally(round_id, reference))
        year_tally.on_contract.add(n, unreadable)
    elif off:
        group = tallies.off_contract
        year_tally.off_contract.add(n, unreadable)
        tallies.reasons.setdefault(reason, Tally()).add(n, unreadable)
    else:
        group = tallies.without_contract
        year_tally.unknown.add(n, unreadable)
    group.experiences.add(n, unreadable)
    if end_reason in ENDED:
        group.ended.add(n, unreadable)


@dataclass(frozen=True)
class UnitFacts:
    """What the ranking needs about one unit's experiences in the area."""

    unit_id: int
    unit_name: str
    supplier_name: str
    experiences: int
    unreadable: int
    ended: int
    breakdowns: int
    answered: int  # answered "would place again"
    yes: int
    rated: int = 0  # experiences with at least one theme rating
    rating_sum: int = 0
    rating_count: int = 0


def unit_facts(scope: InsightScope, area_id: int) -> list[UnitFacts]:
    """Per unit: counts of experiences, endings, breakdowns and answers, plus rating sums.

    One pass over the area's experiences (ix_experiences_area_figures), joined to the unit's
    stored rating totals (rating_totals, kept by triggers: a few rows per unit, contract and
    organisation instead of every rating row).
    """
    ratings = _unit_rating_totals(scope, area_id)
    rows = db.session.execute(
        select(
            Unit.id,
            Unit.name,
            Supplier.name,
            func.count(Experience.id),
            scope.unreadable_count(Experience.organisation_id),
            _count_where(Experience.end_reason.in_(ENDED)),
            _count_where(Experience.end_reason == EndReason.BREAKDOWN),
            _count_where(Experience.would_place_again.is_not(None)),
            _count_where(Experience.would_place_again == WouldPlaceAgain.YES),
            func.coalesce(ratings.c.rated, 0),
            func.coalesce(ratings.c.rating_sum, 0),
            func.coalesce(ratings.c.rating_count, 0),
        )
        .join(Unit, Unit.id == Experience.unit_id)
        .join(Supplier, Supplier.id == Unit.supplier_id)
        .outerjoin(ratings, ratings.c.unit_id == Unit.id)
        .where(area_condition(scope, area_id))
        .group_by(
            Unit.id,
            Unit.name,
            Supplier.name,
            ratings.c.rated,
            ratings.c.rating_sum,
            ratings.c.rating_count,
        )
    ).all()
    return [
        UnitFacts(row[0], row[1], row[2], *(int(value or 0) for value in row[3:])) for row in rows
    ]


def _unit_rating_totals(scope: InsightScope, area_id: int) -> Subquery:
    """Per unit of the area: rated experiences, and the sum and count of their ratings.

    rating_totals covers submitted experiences only, as scope.counted() does.
    """
    theme_row = RatingTotal.theme != ALL_THEMES
    return (
        select(
            RatingTotal.unit_id,
            func.sum(case((theme_row, 0), else_=RatingTotal.n)).label("rated"),
            func.sum(case((theme_row, RatingTotal.total), else_=0)).label("rating_sum"),
            func.sum(case((theme_row, RatingTotal.n), else_=0)).label("rating_count"),
        )
        .where(
            RatingTotal.agreement_area_id == area_id,
            RatingTotal.organisation_id.in_(scope.network),
        )
        .group_by(RatingTotal.unit_id)
        .subquery()
    )


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
