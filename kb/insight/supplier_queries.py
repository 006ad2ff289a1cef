"""The experience aggregates behind the supplier and unit charts, each one GROUP BY in SQL.

Every query reads one source: the viewer's counted experiences, once per comparison key on the
subject's side (each unit, and key 0 for the whole supplier) and once per key on the area side
(the experiences in the areas that key is compared with). Each result cell carries its count
and how many of its experiences the viewer may not read, so suppression needs no second pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Integer, Subquery, case, func, literal, select, union_all

from kb.experiences.models import EndReason, Experience, ExperienceRating, WouldPlaceAgain
from kb.extensions import db
from kb.insight.scope import InsightScope
from kb.insight.sql_stats import grouped_median
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
    rated: bool = False,
) -> Subquery:
    """Counted experiences with (key, side, organisation_id, *columns), both sides."""

    def branch(key: ColumnElement, side: int, mapping: Subquery | None = None):
        statement = select(
            key.label("key"),
            literal(side, Integer).label("side"),
            Experience.organisation_id.label("organisation_id"),
            *columns,
        ).select_from(Experience)
        if rated:
            statement = statement.join(
                ExperienceRating, ExperienceRating.experience_id == Experience.id
            )
        if mapping is not None:
            statement = statement.join(mapping, mapping.c.area_id == Experience.agreement_area_id)
            return statement.where(scope.counted())
        return statement.where(scope.counted(), Experience.unit_id.in_(subject.unit_ids))

    branches = [branch(Experience.unit_id, OWN)]
    if subject.whole_supplier:
        branches.append(branch(literal(WHOLE_SUPPLIER, Integer), OWN))
    mapping = subject.area_mapping
    branches.append(branch(mapping.c.key, AREA, mapping))
    return union_all(*branches).subquery("compared")


def theme_half_years(scope: InsightScope, subject: ChartSubject) -> list[ThemeHalfYear]:
    """Mean rating per theme and half-year, for the subject as a whole and its areas."""
    source = _source(
        scope,
        subject,
        [
            ExperienceRating.theme.label("theme"),
            ExperienceRating.rating.label("rating"),
            *half_year_columns(),
        ],
        rated=True,
    )
    rows = db.session.execute(
        select(
            source.c.side,
            source.c.theme,
            source.c.year,
            source.c.half,
            func.avg(source.c.rating),
            func.count(),
            scope.unreadable_count(source.c.organisation_id),
        )
        .where(
            source.c.key == subject.own_key,
            source.c.rating.is_not(None),
            source.c.year.is_not(None),
        )
        .group_by(source.c.side, source.c.theme, source.c.year, source.c.half)
    ).all()
    return [
        ThemeHalfYear(side, theme, int(year), int(half), Cell(_float(mean), n, int(unreadable)))
        for side, theme, year, half, mean, n, unreadable in rows
    ]


def rating_counts(
    scope: InsightScope, subject: ChartSubject
) -> dict[tuple[int, Theme], dict[int, Cell]]:
    """How many ratings of each value (1–5) per side and theme, for the subject as a whole."""
    source = _source(
        scope,
        subject,
        [ExperienceRating.theme.label("theme"), ExperienceRating.rating.label("rating")],
        rated=True,
    )
    rows = db.session.execute(
        select(
            source.c.side,
            source.c.theme,
            source.c.rating,
            func.count(),
            scope.unreadable_count(source.c.organisation_id),
        )
        .where(source.c.key == subject.own_key, source.c.rating.is_not(None))
        .group_by(source.c.side, source.c.theme, source.c.rating)
    ).all()
    counts: dict[tuple[int, Theme], dict[int, Cell]] = {}
    for side, theme, rating, n, unreadable in rows:
        counts.setdefault((side, theme), {})[int(rating)] = Cell(n, n, int(unreadable))
    return counts


def _share_query(
    scope: InsightScope, subject: ChartSubject, column: ColumnElement, answered, hit
) -> dict[tuple[int, int], Cell]:
    """Share of rows where `hit` holds among rows where `answered` holds, per key and side."""
    source = _source(scope, subject, [column.label("answer")])
    answer = source.c.answer
    rows = db.session.execute(
        select(
            source.c.key,
            source.c.side,
            func.sum(case((hit(answer), 1), else_=0)),
            func.count(),
            scope.unreadable_count(source.c.organisation_id),
        )
        .where(answered(answer))
        .group_by(source.c.key, source.c.side)
    ).all()
    return {
        (key, side): Cell(int(hits) / n if n else None, n, int(unreadable))
        for key, side, hits, n, unreadable in rows
    }


def breakdown_rates(scope: InsightScope, subject: ChartSubject) -> dict[tuple[int, int], Cell]:
    """Unplanned endings (sammanbrott) among ended placements, per key and side."""
    return _share_query(
        scope,
        subject,
        Experience.end_reason,
        lambda answer: answer.is_not(None) & (answer != EndReason.ONGOING),
        lambda answer: answer == EndReason.BREAKDOWN,
    )


def place_again_shares(scope: InsightScope, subject: ChartSubject) -> dict[tuple[int, int], Cell]:
    """ "Would place again: yes" among those who answered, per key and side."""
    return _share_query(
        scope,
        subject,
        Experience.would_place_again,
        lambda answer: answer.is_not(None),
        lambda answer: answer == WouldPlaceAgain.YES,
    )


def price_medians(scope: InsightScope, subject: ChartSubject) -> dict[tuple[int, int], Cell]:
    """Median daily price per key and side."""
    source = _source(scope, subject, [Experience.daily_price.label("value")])
    medians = {
        (key, side): _float(median)
        for key, side, median, _n in db.session.execute(
            grouped_median(source, groups=["key", "side"])
        )
    }
    counts = db.session.execute(
        select(
            source.c.key,
            source.c.side,
            func.count(),
            scope.unreadable_count(source.c.organisation_id),
        )
        .where(source.c.value.is_not(None))
        .group_by(source.c.key, source.c.side)
    ).all()
    return {
        (key, side): Cell(medians.get((key, side)), n, int(unreadable))
        for key, side, n, unreadable in counts
    }


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]
