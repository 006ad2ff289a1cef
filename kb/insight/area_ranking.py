"""The unit ranking of an agreement area: a composite anyone can recompute from the table.

composite = 50 % × rating points + 25 % × share without breakdown + 25 % × would-place-again share

where rating points = (mean theme rating − 1) / 4 × 100, and both shares are percentages, so
every part and the composite run from 0 to 100. A unit is ranked only with at least
MIN_RANKED_EXPERIENCES experiences in the area and at least MIN_GROUP_SIZE ended placements,
MIN_GROUP_SIZE answers to "would place again" and one rated experience; others are listed as
"för litet underlag".
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from kb.insight.area_experiences import UnitFacts
from kb.insight.figures import Table
from kb.insight.scope import InsightScope

MIN_RANKED_EXPERIENCES = 5
RATING_WEIGHT, STABILITY_WEIGHT, AGAIN_WEIGHT = 0.5, 0.25, 0.25


@dataclass(frozen=True)
class RankedUnit:
    facts: UnitFacts
    mean_rating: float | None
    rating_points: float | None
    without_breakdown: float | None  # percent of ended placements
    place_again: float | None  # percent of answers
    composite: float | None  # None: not ranked
    suppressed: bool


def _percent(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def rank_unit(facts: UnitFacts, scope: InsightScope) -> RankedUnit:
    """Compute the components and, with enough data, the composite of one unit."""
    suppressed = scope.suppressed(facts.experiences, facts.unreadable)
    mean = facts.rating_sum / facts.rating_count if facts.rating_count else None
    points = None if mean is None else (mean - 1) / 4 * 100
    breakdown_share = _percent(facts.breakdowns, facts.ended)
    stability = None if breakdown_share is None else 100 - breakdown_share
    again = _percent(facts.yes, facts.answered)
    enough = (
        facts.experiences >= max(MIN_RANKED_EXPERIENCES, scope.min_group_size)
        and facts.ended >= scope.min_group_size
        and facts.answered >= scope.min_group_size
        and points is not None
    )
    composite = None
    if enough and points is not None and stability is not None and again is not None:
        composite = RATING_WEIGHT * points + STABILITY_WEIGHT * stability + AGAIN_WEIGHT * again

    def hidden(value: float | None, base: int) -> float | None:
        return None if suppressed or scope.suppressed(base, facts.unreadable) else value

    return RankedUnit(
        facts=facts,
        mean_rating=hidden(mean, facts.rated),
        rating_points=hidden(points, facts.rated),
        without_breakdown=hidden(stability, facts.ended),
        place_again=hidden(again, facts.answered),
        composite=composite,
        suppressed=suppressed,
    )


def ranking(facts: list[UnitFacts], scope: InsightScope) -> list[RankedUnit]:
    """Ranked units first (highest composite), then the rest by name."""
    units = [rank_unit(one, scope) for one in facts]
    return sorted(
        units,
        key=lambda u: (
            u.composite is None,
            -(u.composite or 0),
            -u.facts.experiences,
            u.facts.unit_name.casefold(),
        ),
    )


def _one_decimal(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def ranking_table(units: list[RankedUnit]) -> Table:
    """The ranking as a table: place, unit, every component and the composite."""
    headers = [
        _("Plats"),
        _("Verksamhet"),
        _("Leverantör"),
        _("Erfarenheter"),
        _("Medelbetyg (1–5)"),
        _("Betygspoäng (0–100)"),
        _("Andel utan sammanbrott (%)"),
        _("Andel som skulle placera igen (%)"),
        _("Sammanvägt värde (0–100)"),
    ]
    rows = []
    place = 0
    for unit in units:
        if unit.composite is not None:
            place += 1
        rows.append(
            [
                place if unit.composite is not None else _("för litet underlag"),
                unit.facts.unit_name,
                unit.facts.supplier_name,
                None if unit.suppressed else unit.facts.experiences,
                None if unit.mean_rating is None else round(unit.mean_rating, 2),
                _one_decimal(unit.rating_points),
                _one_decimal(unit.without_breakdown),
                _one_decimal(unit.place_again),
                _one_decimal(unit.composite),
            ]
        )
    return Table(
        title=_("Rangordning av verksamheter"),
        headers=headers,
        rows=rows,
        description=_(
            "Verksamheterna i området ordnade efter sammanvägt värde. Formeln står ovanför "
            "tabellen; alla delar visas så att vem som helst kan räkna om värdet."
        ),
    )


def formula_text(min_group_size: int) -> str:
    """The composite formula as shown on the page."""
    return _(
        "Sammanvägt värde = 50 %% × betygspoäng + 25 %% × andel utan sammanbrott + 25 %% × "
        "andel som skulle placera igen. Betygspoäng = (medelbetyg − 1) / 4 × 100, där "
        "medelbetyget är medelvärdet av alla temabetyg (1–5) i verksamhetens erfarenheter i "
        "området. Andel utan sammanbrott räknas på avslutade placeringar (planerat avslut, "
        "sammanbrott eller flytt) och andelen som skulle placera igen på dem som svarat. Alla "
        "delar går från 0 till 100. En verksamhet rangordnas när den har minst %(min)d "
        "erfarenheter i området, minst %(group)d avslutade placeringar och minst %(group)d svar "
        "på frågan om att placera igen; övriga visas som ”för litet underlag”.",
        min=max(MIN_RANKED_EXPERIENCES, min_group_size),
        group=min_group_size,
    )
