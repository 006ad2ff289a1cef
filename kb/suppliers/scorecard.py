"""The experience scorecard: counts, means, distributions and shares, with small groups hidden.

A figure shown to a viewer who may not read every experience behind it is suppressed when it
rests on fewer than MIN_GROUP_SIZE experiences (DESIGN section 5).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import ColumnElement, select

from kb.experiences.models import EndReason, Experience, ExperienceRating, WouldPlaceAgain
from kb.extensions import db
from kb.tenders.models import Contract, TenderRound
from kb.themes import Theme


@dataclass(frozen=True)
class ExperienceFacts:
    id: int
    organisation_id: int
    area_id: int | None
    area_name: str | None
    round_label: str | None
    end_reason: EndReason | None
    would_place_again: WouldPlaceAgain | None
    daily_price: Decimal | None
    ratings: dict[Theme, int | None] = field(default_factory=dict)


@dataclass(frozen=True)
class ThemeFigures:
    theme: Theme
    n: int
    mean: float | None
    distribution: dict[int, int]
    suppressed: bool


@dataclass(frozen=True)
class Scorecard:
    label: str
    n: int
    suppressed: bool
    themes: list[ThemeFigures]
    breakdown_share: float | None
    place_again_share: float | None
    price_min: Decimal | None
    price_median: Decimal | None
    price_max: Decimal | None


def load_facts(condition: ColumnElement[bool]) -> list[ExperienceFacts]:
    """Fetch what the scorecard needs for the experiences matching the condition, in two queries."""
    from kb.suppliers.models import AgreementArea

    connection = db.session.connection()  # plain rows: no ORM bookkeeping for thousands of them
    rows = connection.execute(
        select(
            Experience.id,
            Experience.organisation_id,
            Experience.agreement_area_id,
            AgreementArea.name,
            TenderRound.reference,
            TenderRound.title,
            Experience.end_reason,
            Experience.would_place_again,
            Experience.daily_price,
        )
        .outerjoin(AgreementArea, AgreementArea.id == Experience.agreement_area_id)
        .outerjoin(Contract, Contract.id == Experience.contract_id)
        .outerjoin(TenderRound, TenderRound.id == Contract.tender_round_id)
        .where(condition)
    ).all()
    ratings: dict[int, dict[Theme, int | None]] = {}
    for experience_id, theme, rating in connection.execute(
        select(ExperienceRating.experience_id, ExperienceRating.theme, ExperienceRating.rating)
        .join(Experience, Experience.id == ExperienceRating.experience_id)
        .where(condition)
    ):
        ratings.setdefault(experience_id, {})[theme] = rating
    return [
        ExperienceFacts(
            id=row[0],
            organisation_id=row[1],
            area_id=row[2],
            area_name=row[3],
            round_label=f"{row[4]} {row[5]}" if row[4] else None,
            end_reason=row[6],
            would_place_again=row[7],
            daily_price=row[8],
            ratings=ratings.get(row[0], {}),
        )
        for row in rows
    ]


def _share(values: Iterable[bool]) -> float | None:
    answers = list(values)
    return sum(answers) / len(answers) if answers else None


def _theme_figures(
    facts: list[ExperienceFacts], theme: Theme, hide_small: bool, min_size: int
) -> ThemeFigures:
    rated = [f.ratings[theme] for f in facts if f.ratings.get(theme) is not None]
    suppressed = hide_small and len(rated) < min_size
    return ThemeFigures(
        theme=theme,
        n=len(rated),
        mean=None if suppressed or not rated else statistics.fmean(rated),
        distribution={} if suppressed else dict(Counter(rated)),
        suppressed=suppressed,
    )


def build_scorecard(
    label: str, facts: list[ExperienceFacts], readable_orgs: set[int], min_size: int
) -> Scorecard:
    """Aggregate one group; hide figures resting on few experiences the viewer can't read."""
    hide_small = any(f.organisation_id not in readable_orgs for f in facts)
    suppressed = hide_small and len(facts) < min_size
    ended = [f.end_reason for f in facts if f.end_reason not in (None, EndReason.ONGOING)]
    answered = [f.would_place_again for f in facts if f.would_place_again is not None]
    prices = sorted(f.daily_price for f in facts if f.daily_price is not None)
    show_prices = not suppressed and not (hide_small and len(prices) < min_size) and prices
    return Scorecard(
        label=label,
        n=len(facts),
        suppressed=suppressed,
        themes=[]
        if suppressed
        else [_theme_figures(facts, t, hide_small, min_size) for t in Theme],
        breakdown_share=None
        if suppressed or (hide_small and len(ended) < min_size)
        else _share(r == EndReason.BREAKDOWN for r in ended),
        place_again_share=None
        if suppressed or (hide_small and len(answered) < min_size)
        else _share(a == WouldPlaceAgain.YES for a in answered),
        price_min=prices[0] if show_prices else None,
        price_median=Decimal(statistics.median(prices)) if show_prices else None,
        price_max=prices[-1] if show_prices else None,
    )


def scorecards(
    facts: list[ExperienceFacts],
    readable_orgs: set[int],
    min_size: int,
    overall_label: str,
    off_contract_label: str,
) -> dict[str, list[Scorecard]]:
    """Overall, per agreement area and per tender round."""
    by_area: dict[str, list[ExperienceFacts]] = {}
    by_round: dict[str, list[ExperienceFacts]] = {}
    for fact in facts:
        by_area.setdefault(fact.area_name or "–", []).append(fact)
        by_round.setdefault(fact.round_label or off_contract_label, []).append(fact)

    def build(groups: dict[str, list[ExperienceFacts]]) -> list[Scorecard]:
        return [
            build_scorecard(label, group, readable_orgs, min_size)
            for label, group in sorted(groups.items())
        ]

    return {
        "overall": [build_scorecard(overall_label, facts, readable_orgs, min_size)],
        "areas": build(by_area),
        "rounds": build(by_round),
    }
