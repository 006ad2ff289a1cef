"""Scorecard arithmetic and small-group suppression, on plain facts."""

from __future__ import annotations

from decimal import Decimal

from kb.experiences.models import EndReason, WouldPlaceAgain
from kb.suppliers.scorecard import ExperienceFacts, build_scorecard, scorecards
from kb.themes import Theme

OWN, OTHER = 1, 2


def fact(
    number: int,
    org: int = OWN,
    *,
    rating: int | None = 4,
    end: EndReason = EndReason.PLANNED,
    again: WouldPlaceAgain = WouldPlaceAgain.YES,
    price: int | None = 4000,
    area: str = "HVB",
    round_label: str | None = "R2",
) -> ExperienceFacts:
    return ExperienceFacts(
        id=number,
        organisation_id=org,
        area_id=1,
        area_name=area,
        round_label=round_label,
        end_reason=end,
        would_place_again=again,
        daily_price=Decimal(price) if price is not None else None,
        ratings={theme: rating for theme in Theme},
    )


def test_counts_means_distribution_and_shares():
    facts = [
        fact(1, rating=5, price=3000),
        fact(2, rating=3, end=EndReason.BREAKDOWN, again=WouldPlaceAgain.NO, price=5000),
        fact(3, rating=4, end=EndReason.ONGOING, again=WouldPlaceAgain.UNSURE, price=4000),
        fact(4, rating=None, price=None),
    ]
    card = build_scorecard("Totalt", facts, {OWN}, min_size=3)
    assert card.n == 4 and not card.suppressed
    bemanning = next(t for t in card.themes if t.theme == Theme.BEMANNING)
    assert bemanning.n == 3 and bemanning.mean == 4.0
    assert bemanning.distribution == {5: 1, 3: 1, 4: 1}
    assert card.breakdown_share == 1 / 3  # ongoing placements are not counted as ended
    assert card.place_again_share == 2 / 4
    assert (card.price_min, card.price_median, card.price_max) == (
        Decimal(3000),
        Decimal(4000),
        Decimal(5000),
    )


def test_small_groups_are_hidden_only_when_they_hold_experiences_the_viewer_cannot_read():
    mixed = [fact(1), fact(2, org=OTHER)]
    hidden = build_scorecard("Grupp", mixed, {OWN}, min_size=3)
    assert hidden.suppressed and hidden.themes == []
    assert hidden.breakdown_share is None and hidden.price_median is None
    own_only = build_scorecard("Grupp", [fact(1), fact(2)], {OWN}, min_size=3)
    assert not own_only.suppressed and own_only.price_median == Decimal(4000)
    curator = build_scorecard("Grupp", mixed, {OWN, OTHER}, min_size=3)
    assert not curator.suppressed


def test_theme_rows_with_few_ratings_are_hidden_inside_a_shown_group():
    facts = [fact(1, org=OTHER), fact(2, org=OTHER), fact(3, org=OTHER, rating=None)]
    card = build_scorecard("Grupp", facts, {OWN}, min_size=3)
    assert not card.suppressed and card.n == 3
    assert all(t.suppressed and t.mean is None and t.distribution == {} for t in card.themes)


def test_threshold_is_configurable():
    facts = [fact(n, org=OTHER) for n in range(1, 5)]
    assert not build_scorecard("G", facts, {OWN}, min_size=3).suppressed
    assert build_scorecard("G", facts, {OWN}, min_size=5).suppressed


def test_groups_per_area_and_round_with_off_contract_separate():
    facts = [
        fact(1, round_label="R1"),
        fact(2, round_label="R2"),
        fact(3, round_label=None, area="LSS"),
    ]
    cards = scorecards(facts, {OWN}, 3, "Totalt", "Utanför avtal")
    assert [c.label for c in cards["overall"]] == ["Totalt"]
    assert {c.label: c.n for c in cards["areas"]} == {"HVB": 2, "LSS": 1}
    assert {c.label: c.n for c in cards["rounds"]} == {"R1": 1, "R2": 1, "Utanför avtal": 1}
