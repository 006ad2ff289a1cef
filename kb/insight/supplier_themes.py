"""Theme ratings of a supplier or unit against its agreement areas: over time and distribution.

Built from the small grouped results of kb.insight.supplier_queries (RatingFigures: counts per
theme and rating value, the areas' totals per theme, the chosen theme per half-year), never
from experience rows.
"""

from __future__ import annotations

from flask_babel import gettext as _

from kb.insight.chart_data import ChartData, Series
from kb.insight.scope import InsightScope
from kb.insight.supplier_queries import (
    AREA,
    OWN,
    Cell,
    RatingFigures,
    ThemeHalfYear,
    rating_total,
)
from kb.insight.supplier_subject import ChartSubject
from kb.insight.supplier_texts import comparison_text, suppression_text
from kb.themes import Theme

RATINGS = range(1, 6)


def half_year_label(year: int, half: int) -> str:
    return f"{year} H{half}"


def _half_year_span(points: list[ThemeHalfYear]) -> list[tuple[int, int]]:
    """Every half-year from the first to the last with ratings, gaps included."""
    if not points:
        return []
    first = min((p.year, p.half) for p in points)
    last = max((p.year, p.half) for p in points)
    span, current = [], first
    while current <= last:
        span.append(current)
        year, half = current
        current = (year, 2) if half == 1 else (year + 1, 1)
    return span


def theme_figures(
    scope: InsightScope,
    subject: ChartSubject,
    theme: Theme,
    figures: RatingFigures,
) -> tuple[ChartData, ChartData]:
    """The chosen theme's mean rating per half-year and its distribution, against the areas."""
    notes = f"{comparison_text(subject)} {suppression_text(scope)}"
    return _over_time(scope, subject, theme, figures.half_years, notes), _distribution(
        scope, subject, theme, figures.chosen, notes
    )


def _over_time(
    scope: InsightScope,
    subject: ChartSubject,
    theme: Theme,
    half_years: list[ThemeHalfYear],
    notes: str,
) -> ChartData:
    points = [p for p in half_years if p.theme == theme]
    cells = {(p.side, p.year, p.half): p.cell for p in points}
    span = _half_year_span(points)

    def values(side: int) -> list[float | None]:
        shown = [_shown_mean(scope, cells.get((side, *half))) for half in span]
        return shown

    description = _(
        "Medelbetyg (1–5) per halvår för %(theme)s. Halvåret räknas från placeringens slut,"
        " eller från starten om den pågår.",
        theme=str(theme.label).lower(),
    )
    return ChartData(
        title=_("Betyg över tid: %(theme)s", theme=theme.label),
        description=f"{description} {notes}",
        category_label=_("Halvår"),
        value_label=_("Medelbetyg"),
        categories=[half_year_label(*half) for half in span],
        series=[Series(subject.label, values(OWN)), Series(_("Avtalsområdet"), values(AREA))],
        decimals=2,
    )


def _shown_mean(scope: InsightScope, cell: Cell | None) -> float | None:
    if cell is None or cell.value is None:
        return None
    value = scope.shown(cell.value, cell.n, cell.unreadable)
    return None if value is None else round(value, 2)


def _distribution(
    scope: InsightScope,
    subject: ChartSubject,
    theme: Theme,
    chosen: dict[int, dict[int, Cell]],
    notes: str,
) -> ChartData:
    def shares(side: int) -> list[float | None]:
        by_rating = chosen.get(side, {})
        total = rating_total(by_rating)
        if scope.shown(total.n, total.n, total.unreadable) is None:
            return [None for _rating in RATINGS]
        return [
            round(100 * by_rating[r].n / total.n, 1) if r in by_rating else 0.0 for r in RATINGS
        ]

    description = _(
        "Hur betygen för %(theme)s fördelar sig, som andel av alla betyg på temat.",
        theme=str(theme.label).lower(),
    )
    return ChartData(
        title=_("Betygsfördelning: %(theme)s", theme=theme.label),
        description=f"{description} {notes}",
        category_label=_("Betyg"),
        value_label=_("Andel av betygen"),
        categories=[_("Betyg %(n)s", n=r) for r in RATINGS],
        series=[Series(subject.label, shares(OWN)), Series(_("Avtalsområdet"), shares(AREA))],
        unit="%",
    )


def theme_rows(scope: InsightScope, figures: RatingFigures) -> list[list]:
    """Per theme: the number of ratings 1–5, their count and mean, and the areas' mean."""
    rows = []
    for theme in Theme:
        own = figures.own.get(theme, {})
        own_total = rating_total(own)
        area_total = figures.area.get(theme, Cell(None, 0, 0))
        shown = scope.shown(True, own_total.n, own_total.unreadable)
        rating_counts = [own[r].n if r in own else 0 for r in RATINGS] if shown else [None] * 5
        rows.append(
            [
                str(theme.label),
                *rating_counts,
                own_total.n if shown else None,
                _shown_mean(scope, own_total),
                _shown_mean(scope, area_total),
            ]
        )
    return rows
