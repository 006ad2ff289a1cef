"""The deviation and follow-up figures of the agreement-area overview.

Deviations and follow-ups are readable by the whole network (kb.followups.scopes), so their
counts carry no unreadable rows and are never suppressed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from flask_babel import gettext as _
from markupsafe import Markup

from kb.followups.models import DeviationCategory, FollowUpResult
from kb.insight.area_records import (
    contract_period_label,
    deviation_counts,
    followup_coverage,
    followup_results,
)
from kb.insight.chart_data import ChartData, Series
from kb.insight.figures import FigureSet, Table
from kb.insight.svg_charts import bar_chart
from kb.tenders.models import TenderRound

PERCENT = (0.0, 100.0)


def drawer(
    figure_id: str, value_range: tuple[float, float] | None = None
) -> Callable[[ChartData], Markup]:
    """Draw the figure as a bar chart with a page-unique id."""
    return partial(bar_chart, chart_id=f"diagram-{figure_id}", value_range=value_range)


def add_deviation_figures(figures: FigureSet, network: tuple[int, ...], area_id: int) -> None:
    counts = deviation_counts(network, area_id)
    totals = {c: [0, 0] for c in DeviationCategory}
    per_unit: dict[int | None, list] = {}
    for one in counts:
        totals[one.category][0] += one.total
        totals[one.category][1] += one.unresolved
        row = per_unit.setdefault(
            one.unit_id,
            [one.unit_name or _("Ingen verksamhet angiven"), one.supplier_name, 0, 0, 0],
        )
        row[2] += one.total
        row[3] += one.unresolved
        row[4] += one.severe
    figures.add(
        "avvikelser-kategori",
        ChartData(
            title=_("Avvikelser per kategori"),
            description=_(
                "Avvikelser i området som registrerats i ditt nätverk: på områdets avtal, eller "
                "utan avtal på verksamheter i området."
            ),
            category_label=_("Kategori"),
            value_label=_("Avvikelser"),
            categories=[str(c.label) for c in DeviationCategory],
            series=[
                Series(_("Avvikelser"), [totals[c][0] for c in DeviationCategory]),
                Series(_("Olösta"), [totals[c][1] for c in DeviationCategory]),
            ],
        ),
        drawer("avvikelser-kategori"),
    )
    rows = sorted(per_unit.values(), key=lambda r: (-r[2], str(r[0]).casefold()))
    figures.add(
        "avvikelser-verksamhet",
        Table(
            title=_("Avvikelser per verksamhet"),
            headers=[
                _("Verksamhet"),
                _("Leverantör"),
                _("Avvikelser"),
                _("Olösta"),
                _("Hög eller allvarlig"),
            ],
            rows=rows,
        ),
    )


def add_followup_figures(
    figures: FigureSet, network: tuple[int, ...], area_id: int, rounds: list[TenderRound]
) -> None:
    results = followup_results(network, area_id)
    kinds = list(FollowUpResult) + ([None] if None in results else [])
    figures.add(
        "uppfoljningar-resultat",
        ChartData(
            title=_("Uppföljningar per resultat"),
            description=_(
                "Uppföljningar i ditt nätverk av området, dess omgångar, avtal, verksamheter "
                "eller leverantörer."
            ),
            category_label=_("Resultat"),
            value_label=_("Uppföljningar"),
            categories=[str(r.label) if r else _("Inget resultat angivet") for r in kinds],
            series=[Series(_("Uppföljningar"), [results.get(r, 0) for r in kinds])],
        ),
        drawer("uppfoljningar-resultat"),
    )
    coverage = followup_coverage(network, area_id)
    rows = []
    for tender_round in rounds:
        found = coverage.get(tender_round.id)
        contracts, covered = (found.contracts, found.covered) if found else (0, 0)
        percent = round(100 * covered / contracts, 1) if contracts else None
        rows.append([contract_period_label(tender_round), contracts, covered, percent])
    description = _(
        "Andelen av omgångens avtal som haft minst en uppföljning under avtalsperioden: av "
        "avtalet, någon av dess verksamheter, leverantören, omgången eller området."
    )
    figures.add(
        "uppfoljningstackning",
        ChartData(
            title=_("Uppföljningstäckning per avtalsperiod"),
            description=description,
            category_label=_("Upphandlingsomgång"),
            value_label=_("Andel avtal med uppföljning"),
            categories=[row[0] for row in rows],
            series=[Series(_("Andel avtal med uppföljning"), [row[3] for row in rows])],
            unit="%",
        ),
        drawer("uppfoljningstackning", PERCENT),
    )
    figures.add(
        "uppfoljningstackning-antal",
        Table(
            title=_("Avtal med uppföljning per avtalsperiod"),
            headers=[
                _("Upphandlingsomgång"),
                _("Avtal"),
                _("Avtal med uppföljning"),
                _("Andel (%)"),
            ],
            rows=rows,
            description=description,
        ),
    )
