"""Round against round: the outcomes of chained tender rounds, aggregated in SQL and compared.

An experience belongs to the round of the contract it was placed under; off-contract
placements belong to no round. Per round and theme the ratings' count, sum and sum of squares
are read from the stored totals (rating_totals, kept by triggers); placements, ended
placements and breakdowns are counted in one GROUP BY; deviations recorded against the
round's contracts, or against a unit under one of its contracts during the round's contract
period, in another. A theme counts as changed when a finding with that theme, visible to the
viewer, was applied in the later round (the finalised tender draft of that round used it).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, func, or_, select, union_all
from sqlalchemy.orm import selectinload

from kb.auth.models import User
from kb.experiences.models import EndReason, Experience
from kb.extensions import db
from kb.findings.models import Finding
from kb.findings.queries import visible_findings
from kb.followups.models import Deviation
from kb.insight.models import ALL_THEMES, RatingTotal
from kb.insight.round_comparison import RatingSums, RoundComparison, RoundOutcomes, compare_rounds
from kb.insight.scope import InsightScope
from kb.tenders.models import Contract, TenderRound, contract_units
from kb.themes import Theme


@dataclass(frozen=True)
class RoundPair:
    before: TenderRound
    after: TenderRound


@dataclass(frozen=True)
class PairComparison:
    pair: RoundPair
    comparison: RoundComparison
    changed_themes: frozenset[Theme]
    suppressed_small_groups: bool  # values resting on too few experiences are hidden

    @property
    def figure_id(self) -> str:
        return f"omgangar-{self.pair.before.id}-{self.pair.after.id}"


def chained_pairs(area_id: int | None) -> list[RoundPair]:
    """Every (round N, round N+1) in the same agreement area, newest successor first."""
    conditions = [TenderRound.predecessor_id.is_not(None)]
    if area_id is not None:
        conditions.append(TenderRound.agreement_area_id == area_id)
    successors = db.session.scalars(
        select(TenderRound)
        .where(*conditions)
        .options(selectinload(TenderRound.predecessor), selectinload(TenderRound.agreement_area))
        .order_by(TenderRound.id.desc())
    ).all()
    return [
        RoundPair(after.predecessor, after)
        for after in successors
        if after.predecessor is not None
        and after.predecessor.agreement_area_id == after.agreement_area_id
    ]


def _placed_in(scope: InsightScope, round_ids: Collection[int]) -> list[ColumnElement[bool]]:
    """Conditions on Contract joined to Experience: counted experiences under the rounds.

    Per contract, ix_experiences_contract_outcomes holds (contract, status, organisation) first
    and every column the aggregates read, so the experiences come from that index alone.
    """
    return [Contract.tender_round_id.in_(round_ids), scope.counted()]


def _rating_sums(
    scope: InsightScope, round_ids: Collection[int]
) -> dict[int, dict[Theme, RatingSums]]:
    """Per round and theme: count, sum and sum of squares of the network's ratings.

    Read from rating_totals (kept by triggers, submitted experiences only) through the rounds'
    contracts: a few rows per contract and organisation instead of every rating.
    """
    rows = db.session.execute(
        select(
            Contract.tender_round_id,
            RatingTotal.theme,
            func.sum(RatingTotal.n),
            func.sum(RatingTotal.total),
            func.sum(RatingTotal.total_of_squares),
        )
        .select_from(Contract)
        .join(RatingTotal, RatingTotal.contract_id == Contract.id)
        .where(
            Contract.tender_round_id.in_(round_ids),
            RatingTotal.organisation_id.in_(scope.network),
            RatingTotal.theme != ALL_THEMES,
        )
        .group_by(Contract.tender_round_id, RatingTotal.theme)
        .having(func.sum(RatingTotal.n) > 0)
    ).all()
    sums: dict[int, dict[Theme, RatingSums]] = {}
    for round_id, theme, n, total, squares in rows:
        sums.setdefault(round_id, {})[Theme(theme)] = RatingSums(int(n), int(total), int(squares))
    return sums


def _placements(scope: InsightScope, round_ids: Collection[int]) -> dict[int, tuple[int, ...]]:
    """round id -> (placements, unreadable, ended placements, breakdowns)."""
    ended = and_(Experience.end_reason.is_not(None), Experience.end_reason != EndReason.ONGOING)
    breakdown = Experience.end_reason == EndReason.BREAKDOWN
    rows = db.session.execute(
        select(
            Contract.tender_round_id,
            func.count(),
            scope.unreadable_count(Experience.organisation_id),
            func.coalesce(func.sum(case((ended, 1), else_=0)), 0),
            func.coalesce(func.sum(case((breakdown, 1), else_=0)), 0),
        )
        .select_from(Contract)
        .join(Experience, Experience.contract_id == Contract.id)
        .where(*_placed_in(scope, round_ids))
        .group_by(Contract.tender_round_id)
    ).all()
    return {row[0]: tuple(int(value) for value in row[1:]) for row in rows}


def _deviations(scope: InsightScope, round_ids: Collection[int]) -> dict[int, int]:
    """Deviations per round: recorded on one of its contracts, or on a unit under one of its
    contracts while the round's contract period ran (deviations often name only the unit)."""
    in_network = Deviation.organisation_id.in_(scope.network)
    on_contract = (
        select(Contract.tender_round_id.label("round_id"), Deviation.id.label("deviation_id"))
        .join(Contract, Contract.id == Deviation.contract_id)
        .where(Contract.tender_round_id.in_(round_ids), in_network)
    )
    period_end = func.coalesce(TenderRound.extension_until, TenderRound.contract_end)
    on_unit = (
        select(TenderRound.id, Deviation.id)
        .select_from(Deviation)
        .join(contract_units, contract_units.c.unit_id == Deviation.unit_id)
        .join(Contract, Contract.id == contract_units.c.contract_id)
        .join(TenderRound, TenderRound.id == Contract.tender_round_id)
        .where(
            TenderRound.id.in_(round_ids),
            in_network,
            Deviation.contract_id.is_(None),
            Deviation.occurred_on >= TenderRound.contract_start,
            or_(period_end.is_(None), Deviation.occurred_on <= period_end),
        )
    )
    both = union_all(on_contract, on_unit).subquery()
    rows = db.session.execute(
        select(both.c.round_id, func.count(func.distinct(both.c.deviation_id))).group_by(
            both.c.round_id
        )
    ).all()
    return {round_id: int(count) for round_id, count in rows}


def _changed_themes(user: User, later_ids: Collection[int]) -> dict[int, set[Theme]]:
    rows = db.session.execute(
        select(Finding.applied_in_round_id, Finding.theme)
        .where(
            Finding.applied_in_round_id.in_(later_ids),
            Finding.theme.is_not(None),
            visible_findings(user),
        )
        .distinct()
    ).all()
    changed: dict[int, set[Theme]] = {}
    for round_id, theme in rows:
        changed.setdefault(round_id, set()).add(Theme(theme))
    return changed


@dataclass(frozen=True)
class RoundData:
    """Everything aggregated for a set of rounds, by round id."""

    ratings: dict[int, dict[Theme, RatingSums]]
    placements: dict[int, tuple[int, ...]]
    deviations: dict[int, int]
    changed: dict[int, set[Theme]]

    def outcomes(self, round_id: int) -> RoundOutcomes:
        placements, _unreadable, ended, breakdowns = self.placements.get(round_id, (0, 0, 0, 0))
        return RoundOutcomes(
            ratings=self.ratings.get(round_id, {}),
            ended_placements=ended,
            breakdowns=breakdowns,
            placements=placements,
            deviations=self.deviations.get(round_id, 0),
        )

    def placed(self, round_id: int) -> int:
        return self.placements.get(round_id, (0,))[0]

    def unreadable(self, round_id: int) -> int:
        return self.placements.get(round_id, (0, 0))[1]


def round_data(user: User, scope: InsightScope, pairs: Iterable[RoundPair]) -> RoundData:
    """Aggregate the outcomes of the rounds of the pairs."""
    pairs = list(pairs)
    round_ids = frozenset(r.id for pair in pairs for r in (pair.before, pair.after))
    if not round_ids:
        return RoundData({}, {}, {}, {})
    return RoundData(
        ratings=_rating_sums(scope, round_ids),
        placements=_placements(scope, round_ids),
        deviations=_deviations(scope, round_ids),
        changed=_changed_themes(user, {pair.after.id for pair in pairs}),
    )


def shown_pairs(pairs: list[RoundPair], data: RoundData, one_area: bool) -> list[RoundPair]:
    """All pairs for one area; overall, per area the newest pair with placements in both."""
    if one_area:
        return pairs
    chosen: dict[int, RoundPair] = {}
    for pair in pairs:  # newest first
        area = pair.after.agreement_area_id
        has_outcomes = data.placed(pair.before.id) and data.placed(pair.after.id)
        if area not in chosen or (has_outcomes and not _has_outcomes(chosen[area], data)):
            chosen[area] = pair
    return sorted(chosen.values(), key=lambda pair: pair.after.agreement_area.name)


def _has_outcomes(pair: RoundPair, data: RoundData) -> bool:
    return bool(data.placed(pair.before.id) and data.placed(pair.after.id))


def compare_pair(pair: RoundPair, data: RoundData, scope: InsightScope) -> PairComparison:
    """Compare one pair; small groups are suppressed when any experience is unreadable."""
    unreadable = data.unreadable(pair.before.id) + data.unreadable(pair.after.id)
    suppress_below = scope.min_group_size if unreadable else 0
    changed = frozenset(data.changed.get(pair.after.id, set()))
    comparison = compare_rounds(
        data.outcomes(pair.before.id),
        data.outcomes(pair.after.id),
        changed_themes=changed,
        suppress_below=suppress_below,
    )
    return PairComparison(pair, comparison, changed, bool(suppress_below))
