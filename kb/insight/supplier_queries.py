"""The experience aggregates behind the supplier and unit charts, grouped in SQL.

The figures compare the viewer's counted experiences of the subject (each unit, and key 0 for
the whole supplier) with those of the areas each key is compared with. Sums and counts are
grouped per unit and per area and added up per key in Python, so every area is read once; the
areas' ratings per theme come from rating_totals, and only the chosen theme's ratings are read
row by row. Medians are not additive and stay one window query per key. Each result cell
carries its count and how many of its experiences the viewer may not read, so suppression
needs no second pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import ColumnElement, Integer, Subquery, case, func, literal, select, union_all

from kb.experiences.models import EndReason, Experience, ExperienceRating, WouldPlaceAgain
from kb.extensions import db
from kb.insight.models import ALL_THEMES, RatingTotal
from kb.insight.scope import InsightScope
from kb.insight.sql_stats import grouped_median, not_indexed
from kb.insight.supplier_subject import WHOLE_SUPPLIER, ChartSubject
from kb.themes import Theme

OWN, AREA = 0, 1  # the two sides of every comparison


@dataclass(frozen=True)
class Cell:
    """One aggregate: its value, the experiences it rests on, and how many the viewer can't read."""

    value: float | None
    n: int
    unreadable: int


@dataclass(frozen=True)
class ThemeHalfYear:
    side: int
    theme: Theme
    year: int
    half: int
    cell: Cell


def half_year_columns() -> list[ColumnElement]:
    """Year and half (1 or 2) of the placement's end, or of its start while it has none."""
    ended = Experience.end_year.is_not(None)
    month = case((ended, Experience.end_month), else_=Experience.start_month)
    return [
        case((ended, Experience.end_year), else_=Experience.start_year).label("year"),
        case((month <= 6, 1), else_=2).label("half"),
    ]


def _source(
    scope: InsightScope,
    subject: ChartSubject,
    columns: Sequence[ColumnElement],
) -> Subquery:
    """Counted experiences with (key, side, organisation_id, *columns), both sides.

    Each key's areas are written out (subject.area_pairs), so every branch reads an index
    range instead of joining the mapping subquery, which PostgreSQL answered by scanning the
    whole area index.
    """

    def branch(key: ColumnElement, side: int, where: ColumnElement[bool]):
        return select(
            key.label("key"),
            literal(side, Integer).label("side"),
            Experience.organisation_id.label("organisation_id"),
            *columns,
        ).where(scope.counted(), where)

    in_units = Experience.unit_id.in_(subject.unit_ids)
    branches = [branch(Experience.unit_id, OWN, in_units)]
    if subject.whole_supplier:
        branches.append(branch(literal(WHOLE_SUPPLIER, Integer), OWN, in_units))
    keys = sorted({key for key, _area_id in subject.area_pairs})
    for key in keys:
        in_areas = Experience.agreement_area_id.in_(subject.area_ids(key))
        branches.append(branch(literal(key, Integer), AREA, in_areas))
    return union_all(*branches).subquery("compared")


@dataclass(frozen=True)
class RatingFigures:
    """The subject's ratings against its areas' (each for the subject as a whole).

    own: per theme, a Cell per rating value 1–5 (value = the count). area: per theme, the
    mean, count and unreadable count of the areas' ratings. chosen: per side, a Cell per
    rating value of the chosen theme. half_years: the chosen theme's mean per half-year.
    """

    own: dict[Theme, dict[int, Cell]]
    area: dict[Theme, Cell]
    chosen: dict[int, dict[int, Cell]] = field(default_factory=dict)
    half_years: list[ThemeHalfYear] = field(default_factory=list)


def rating_figures(scope: InsightScope, subject: ChartSubject) -> RatingFigures:
    """Rating counts per theme and value of the subject, and per theme of its areas.

    The areas' side is read from rating_totals (kept by triggers, see kb.insight.models): a
    row per area, unit, contract, organisation and theme, instead of every rating.
    """
    rated = db.session.execute(
        select(
            ExperienceRating.theme,
            ExperienceRating.rating,
            func.count(),
            scope.unreadable_count(Experience.organisation_id),
        )
        .join(Experience, Experience.id == ExperienceRating.experience_id)
        .where(
            scope.counted(),
            Experience.unit_id.in_(subject.unit_ids),
            ExperienceRating.rating.is_not(None),
        )
        .group_by(ExperienceRating.theme, ExperienceRating.rating)
    ).all()
    own: dict[Theme, dict[int, Cell]] = {}
    for theme, rating, n, unreadable in rated:
        own.setdefault(theme, {})[int(rating)] = Cell(n, n, int(unreadable))
    unreadable = case((RatingTotal.organisation_id.in_(scope.readable), 0), else_=RatingTotal.n)
    totals = db.session.execute(
        select(
            RatingTotal.theme,
            func.sum(RatingTotal.n),
            func.sum(RatingTotal.total),
            func.sum(unreadable),
        )
        .where(
            RatingTotal.agreement_area_id.in_(subject.own_area_ids),
            RatingTotal.organisation_id.in_(scope.network),
            RatingTotal.theme != ALL_THEMES,
        )
        .group_by(RatingTotal.theme)
    ).all()
    area = {
        Theme(theme): Cell(int(total) / int(n), int(n), int(unreadable))
        for theme, n, total, unreadable in totals
        if n
    }
    return RatingFigures(own=own, area=area)


def with_theme(
    scope: InsightScope, subject: ChartSubject, figures: RatingFigures, theme: Theme
) -> RatingFigures:
    """Add the chosen theme's ratings per side, half-year and value (one query, one theme)."""

    def branch(side: int, where: ColumnElement[bool]):
        return (
            select(
                literal(side, Integer).label("side"),
                *half_year_columns(),
                ExperienceRating.rating.label("rating"),
                Experience.organisation_id.label("organisation_id"),
            )
            .select_from(Experience)
            .join(ExperienceRating, ExperienceRating.experience_id == Experience.id)
            .where(
                scope.counted(),
                where,
                not_indexed(ExperienceRating.theme) == theme,
                ExperienceRating.rating.is_not(None),
            )
        )

    source = union_all(
        branch(OWN, Experience.unit_id.in_(subject.unit_ids)),
        branch(AREA, Experience.agreement_area_id.in_(subject.own_area_ids)),
    ).subquery("chosen")
    rows = db.session.execute(
        select(
            source.c.side,
            source.c.year,
            source.c.half,
            source.c.rating,
            func.count(),
            scope.unreadable_count(source.c.organisation_id),
        ).group_by(source.c.side, source.c.year, source.c.half, source.c.rating)
    ).all()
    chosen: dict[int, dict[int, Cell]] = {}
    halves: dict[tuple[int, int, int], dict[int, Cell]] = {}
    for side, year, half, rating, n, unreadable in rows:
        by_value = chosen.setdefault(side, {})
        previous = by_value.get(int(rating), Cell(0, 0, 0))
        total = previous.n + n
        by_value[int(rating)] = Cell(total, total, previous.unreadable + int(unreadable))
        if year is not None:
            halves.setdefault((side, int(year), int(half)), {})[int(rating)] = Cell(
                n, n, int(unreadable)
            )
    half_years = [
        ThemeHalfYear(side, theme, year, half, rating_total(by_value))
        for (side, year, half), by_value in halves.items()
    ]
    return replace(figures, chosen=chosen, half_years=half_years)


def rating_total(by_rating: dict[int, Cell]) -> Cell:
    """The mean, count and unreadable count of ratings counted per value."""
    n = sum(cell.n for cell in by_rating.values())
    unreadable = sum(cell.unreadable for cell in by_rating.values())
    mean = sum(rating * cell.n for rating, cell in by_rating.items()) / n if n else None
    return Cell(mean, n, unreadable)


@dataclass(frozen=True)
class Outcomes:
    """Per (key, side): unplanned endings among ended placements, "would place again: yes"
    among answers, and the count of daily prices (value None: the median is asked apart)."""

    breakdown: dict[tuple[int, int], Cell]
    place_again: dict[tuple[int, int], Cell]
    priced: dict[tuple[int, int], Cell]


def outcomes(scope: InsightScope, subject: ChartSubject) -> Outcomes:
    """The sharing and counting figures of every key, in one query.

    Units are grouped by unit and areas by area; a key's figures are the sums over its
    units or areas, exact because each experience has one unit and one area.
    """
    ended = Experience.end_reason.is_not(None) & (Experience.end_reason != EndReason.ONGOING)
    answered = Experience.would_place_again.is_not(None)
    priced = Experience.daily_price.is_not(None)
    unreadable = Experience.organisation_id.not_in(scope.readable)

    def tally(condition: ColumnElement[bool]):
        return func.sum(case((condition, 1), else_=0))

    measures = [
        tally(ended),
        tally(Experience.end_reason == EndReason.BREAKDOWN),
        tally(ended & unreadable),
        tally(answered),
        tally(Experience.would_place_again == WouldPlaceAgain.YES),
        tally(answered & unreadable),
        tally(priced),
        tally(priced & unreadable),
    ]
    own = select(literal(OWN, Integer), Experience.unit_id, *measures).where(
        scope.counted(), Experience.unit_id.in_(subject.unit_ids)
    )
    area_ids = sorted({area_id for _key, area_id in subject.area_pairs})
    area = select(literal(AREA, Integer), Experience.agreement_area_id, *measures).where(
        scope.counted(), Experience.agreement_area_id.in_(area_ids)
    )
    rows = db.session.execute(
        union_all(own.group_by(Experience.unit_id), area.group_by(Experience.agreement_area_id))
    ).all()
    sums = {(side, group): [int(value or 0) for value in values] for side, group, *values in rows}
    members = {(OWN, unit_id): [unit_id] for unit_id in subject.unit_ids}
    if subject.whole_supplier:
        members[(OWN, WHOLE_SUPPLIER)] = subject.unit_ids
    for key, area_id in subject.area_pairs:
        members.setdefault((AREA, key), []).append(area_id)
    found = Outcomes({}, {}, {})
    for (side, key), groups in members.items():
        side_sums = [sums.get((side, group), [0] * 8) for group in groups]
        total = [sum(column) for column in zip(*side_sums, strict=True)] or [0] * 8
        n, hits, hidden = total[0], total[1], total[2]
        if n:
            found.breakdown[(key, side)] = Cell(hits / n, n, hidden)
        n, hits, hidden = total[3], total[4], total[5]
        if n:
            found.place_again[(key, side)] = Cell(hits / n, n, hidden)
        if total[6]:
            found.priced[(key, side)] = Cell(None, total[6], total[7])
    return found


def price_medians(
    scope: InsightScope, subject: ChartSubject, priced: dict[tuple[int, int], Cell]
) -> dict[tuple[int, int], Cell]:
    """Median daily price per key and side, with the counts from outcomes()."""
    source = _source(scope, subject, [Experience.daily_price.label("value")])
    medians = {
        (key, side): _float(median)
        for key, side, median, _n in db.session.execute(
            grouped_median(source, groups=["key", "side"])
        )
    }
    return {key: Cell(medians.get(key), cell.n, cell.unreadable) for key, cell in priced.items()}


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]
