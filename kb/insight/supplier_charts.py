"""The scorecard charts of a supplier or unit page, each compared with its agreement areas.

One FigureSet serves the page, ``diagram.json`` and the CSV files alike. Every aggregate over
experiences passes the viewer's suppression rule (DESIGN section 5): a cell resting on fewer
than MIN_GROUP_SIZE experiences, any of them unreadable to the viewer, is shown as a gap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup

from kb.auth.models import User
from kb.insight import svg_charts
from kb.insight.chart_data import ChartData, Series, TimelineData
from kb.insight.figures import FigureSet, Table
from kb.insight.scope import InsightScope, scope_for
from kb.insight.supplier_queries import (
    AREA,
    OWN,
    Cell,
    Outcomes,
    RatingFigures,
    outcomes,
    price_medians,
    rating_figures,
    with_theme,
)
from kb.insight.supplier_records import MAX_EVENTS, deviation_counts, timeline_events
from kb.insight.supplier_subject import ChartSubject, supplier_subject, unit_subject
from kb.insight.supplier_texts import comparison_text, suppression_text
from kb.insight.supplier_themes import theme_figures, theme_rows
from kb.suppliers.models import Supplier, Unit
from kb.themes import Theme

RATING_RANGE = (1, 5)
PERCENT_RANGE = (0, 100)


@dataclass(frozen=True)
class SupplierCharts:
    """The figures of one page and the theme the rating charts show."""

    figures: FigureSet
    theme: Theme  # the theme the rating charts show
    rated_themes: list[Theme]  # the themes the subject itself has ratings on

    @property
    def themes(self) -> list[Theme]:
        """The themes the viewer can choose between: all of them."""
        return list(Theme)


def charts_for_supplier(viewer: User, supplier: Supplier, theme_arg: str | None) -> SupplierCharts:
    scope = scope_for(viewer)
    return _charts(scope, supplier_subject(scope, supplier), theme_arg)


def charts_for_unit(viewer: User, unit: Unit, theme_arg: str | None) -> SupplierCharts:
    scope = scope_for(viewer)
    return _charts(scope, unit_subject(scope, unit), theme_arg)


def _charts(scope: InsightScope, subject: ChartSubject, theme_arg: str | None) -> SupplierCharts:
    figures = FigureSet(subject.name)
    ratings = rating_figures(scope, subject)
    rated = [theme for theme in Theme if theme in ratings.own]
    theme = _chosen_theme(theme_arg, rated or [theme for theme in Theme if theme in ratings.area])
    ratings = with_theme(scope, subject, ratings, theme)
    over_time, distribution = theme_figures(scope, subject, theme, ratings)
    figures.add("betyg-over-tid", over_time, _line)
    figures.add("betygsfordelning", distribution, _bars("betygsfordelning", PERCENT_RANGE))
    figures.add("betyg-per-tema", _theme_table(scope, subject, ratings))
    found = outcomes(scope, subject)
    figures.add(
        "sammanbrott", _breakdown_chart(scope, subject, found), _bars("sammanbrott", PERCENT_RANGE)
    )
    figures.add(
        "placera-igen",
        _place_again_chart(scope, subject, found),
        _bars("placera-igen", PERCENT_RANGE),
    )
    figures.add("dygnspris", _price_chart(scope, subject, found), _reference)
    figures.add("avvikelser", _deviation_chart(scope, subject), _bars("avvikelser", None))
    figures.add("tidslinje", _timeline(scope, subject), _timeline_drawing)
    return SupplierCharts(figures=figures, theme=theme, rated_themes=rated)


def _chosen_theme(theme_arg: str | None, with_data: list[Theme]) -> Theme:
    """The theme asked for in ?tema=, else the first with ratings; bad input is ignored."""
    try:
        return Theme((theme_arg or "").strip())
    except ValueError:
        return with_data[0] if with_data else next(iter(Theme))


def _line(data: ChartData) -> Markup:
    return svg_charts.line_chart(data, chart_id="betyg-over-tid", value_range=RATING_RANGE)


def _bars(chart_id: str, value_range: tuple[float, float] | None) -> Callable[[ChartData], Markup]:
    return lambda data: svg_charts.bar_chart(data, chart_id=chart_id, value_range=value_range)


def _reference(data: ChartData) -> Markup:
    return svg_charts.reference_chart(data, chart_id="dygnspris")


def _timeline_drawing(data: TimelineData) -> Markup:
    return svg_charts.timeline_chart(data, chart_id="tidslinje")


def _shown(scope: InsightScope, cell: Cell | None, factor: float = 1, digits: int = 1):
    if cell is None or cell.value is None:
        return None
    value = scope.shown(cell.value, cell.n, cell.unreadable)
    return None if value is None else round(value * factor, digits)


def _keyed_chart(
    scope: InsightScope,
    subject: ChartSubject,
    cells: dict[tuple[int, int], Cell],
    text: dict[str, str],
    factor: float = 100,
    digits: int = 1,
) -> ChartData:
    rows = subject.keyed_rows(_("Hela leverantören"))
    own = [_shown(scope, cells.get((key, OWN)), factor, digits) for key, _name in rows]
    area = [_shown(scope, cells.get((key, AREA)), factor, digits) for key, _name in rows]
    return ChartData(
        title=text["title"],
        description=" ".join([text["description"], comparison_text(subject)]),
        category_label=_("Verksamhet"),
        value_label=text["value_label"],
        categories=[name for _key, name in rows],
        series=[
            Series(text["own"], own),
            Series(text.get("area", _("Avtalsområdets genomsnitt")), area),
        ],
        unit=text.get("unit", "%"),
        decimals=1 if digits else 0,
    )


def _breakdown_chart(scope: InsightScope, subject: ChartSubject, found: Outcomes) -> ChartData:
    text = {
        "title": _("Oplanerade avbrott (sammanbrott)"),
        "description": _(
            "Andel av avslutade placeringar som slutade i oplanerat avbrott/sammanbrott."
            " Pågående placeringar räknas inte."
        )
        + " "
        + suppression_text(scope),
        "value_label": _("Andel sammanbrott"),
        "own": _("Andel sammanbrott"),
    }
    return _keyed_chart(scope, subject, found.breakdown, text)


def _place_again_chart(scope: InsightScope, subject: ChartSubject, found: Outcomes) -> ChartData:
    text = {
        "title": _("Skulle placera igen"),
        "description": _("Andel som svarat ja bland dem som besvarat frågan.")
        + " "
        + suppression_text(scope),
        "value_label": _("Andel ja"),
        "own": _("Andel ja"),
    }
    return _keyed_chart(scope, subject, found.place_again, text)


def _price_chart(scope: InsightScope, subject: ChartSubject, found: Outcomes) -> ChartData:
    text = {
        "title": _("Dygnspris jämfört med avtalsområdets median"),
        "description": _("Mediandygnspris enligt erfarenheterna.") + " " + suppression_text(scope),
        "value_label": _("Dygnspris"),
        "own": _("Mediandygnspris"),
        "area": _("Avtalsområdets median"),
        "unit": _("kr"),
    }
    medians = price_medians(scope, subject, found.priced)
    return _keyed_chart(scope, subject, medians, text, 1, 0)


def _deviation_chart(scope: InsightScope, subject: ChartSubject) -> ChartData:
    from kb.followups.models import DeviationCategory

    counts = deviation_counts(scope.network, subject)
    categories = list(DeviationCategory)
    own = [counts.own.get(category, 0) for category in categories]
    series = [Series(_("Antal"), own)]
    if subject.whole_supplier and counts.own_units:
        per_unit = [round(n / counts.own_units, 2) for n in own]
        series.append(Series(_("Per verksamhet"), per_unit))
    area = [
        round(counts.area.get(category, 0) / counts.area_units, 2) if counts.area_units else None
        for category in categories
    ]
    series.append(Series(_("Avtalsområdets snitt per verksamhet"), area))
    description = _(
        "Avvikelser registrerade i ditt nätverk mot %(subject)s, per kategori, och"
        " avtalsområdets snitt per verksamhet (%(units)s verksamheter).",
        subject=subject.label,
        units=counts.area_units,
    )
    return ChartData(
        title=_("Avvikelser per kategori"),
        description=f"{description} {comparison_text(subject)}",
        category_label=_("Kategori"),
        value_label=_("Antal avvikelser"),
        categories=[str(category.label) for category in categories],
        series=series,
        decimals=2,
    )


def _timeline(scope: InsightScope, subject: ChartSubject) -> TimelineData:
    return TimelineData(
        title=_("Händelser över tid"),
        description=_(
            "Ändrad avtalsstatus, IVO-anmärkningar och -inspektioner samt kontroller"
            " registrerade i ditt nätverk; de senaste %(n)s händelserna.",
            n=MAX_EVENTS,
        ),
        events=timeline_events(scope.network, subject),
    )


def _theme_table(scope: InsightScope, subject: ChartSubject, ratings: RatingFigures) -> Table:
    headers = [_("Tema"), *(_("Betyg %(n)s", n=n) for n in range(1, 6))]
    headers += [_("Antal"), _("Medelbetyg"), _("Avtalsområdets medelbetyg")]
    return Table(
        title=_("Betyg per tema"),
        headers=headers,
        rows=theme_rows(scope, ratings),
        description=" ".join([comparison_text(subject), suppression_text(scope)]),
    )
