"""The learning-loop dashboard's figures, overall or for one agreement area (DESIGN §3).

Builds one FigureSet that the page, ``diagram.json`` and the CSV downloads all serve, so the
three never disagree. The queries live in learning_flow (experiences and findings) and
learning_rounds (round against round).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from kb.auth.models import User
from kb.insight.chart_data import ChartData, Series
from kb.insight.figures import FigureSet, Table
from kb.insight.learning_flow import (
    AppliedShare,
    MonthFigures,
    WaitingFinding,
    applied_shares,
    lead_times,
    monthly_submissions,
    waiting_findings,
)
from kb.insight.learning_rounds import (
    PairComparison,
    chained_pairs,
    compare_pair,
    round_data,
    shown_pairs,
)
from kb.insight.round_comparison import MeasureComparison
from kb.insight.scope import scope_for
from kb.insight.svg_charts import bar_chart, line_chart
from kb.suppliers.models import AgreementArea

MONTHLY, IN_TIME, LEAD_TIMES, APPLIED, WAITING = (
    "erfarenheter-per-manad",
    "inom-30-dagar",
    "ledtider",
    "nadde-upphandling",
    "vantar-langst",
)


@dataclass(frozen=True)
class LearningDashboard:
    area: AgreementArea | None
    figures: FigureSet
    waiting: list[WaitingFinding]
    comparisons: list[PairComparison]

    def table_id(self, comparison: PairComparison) -> str:
        return f"{comparison.figure_id}-tabell"


def learning_dashboard(user: User, area: AgreementArea | None, today: date) -> LearningDashboard:
    area_id = area.id if area else None
    scope = scope_for(user)
    figures = FigureSet(f"larande-{area_id}" if area_id else "larande")
    months = monthly_submissions(scope, area_id)
    figures.add(MONTHLY, _monthly_chart(months), lambda d: line_chart(d, chart_id=MONTHLY))
    figures.add(
        IN_TIME,
        _in_time_chart(months),
        lambda d: line_chart(d, chart_id=IN_TIME, value_range=(0, 100)),
    )
    figures.add(LEAD_TIMES, _lead_time_table(user, area_id))
    figures.add(APPLIED, _applied_table(applied_shares(user, area_id), area is None))
    waiting = waiting_findings(user, area_id, today)
    figures.add(WAITING, _waiting_table(waiting))
    pairs = chained_pairs(area_id)
    data = round_data(user, scope, pairs)
    comparisons = [compare_pair(p, data, scope) for p in shown_pairs(pairs, data, area is not None)]
    for comparison in comparisons:
        chart_id = comparison.figure_id
        figures.add(
            chart_id,
            _means_chart(comparison),
            lambda d, chart_id=chart_id: bar_chart(d, chart_id=chart_id, value_range=(1, 5)),
        )
        figures.add(f"{chart_id}-tabell", _comparison_table(comparison))
    return LearningDashboard(area, figures, waiting, comparisons)


def _monthly_chart(months: list[MonthFigures]) -> ChartData:
    return ChartData(
        title=_("Inskickade erfarenheter per månad"),
        description=_(
            "Antal erfarenheter per månad då de skickades in, de senaste %(n)d månaderna fram "
            "till den senaste inskickade. Månader med färre än tre erfarenheter från andra "
            "organisationer visas inte.",
            n=len(months) or 24,
        ),
        category_label=_("Månad"),
        value_label=_("Antal erfarenheter"),
        categories=[m.label for m in months],
        series=[Series(_("Inskickade erfarenheter"), [m.submitted for m in months])],
        decimals=0,
    )


def _in_time_chart(months: list[MonthFigures]) -> ChartData:
    return ChartData(
        title=_("Andel inskickade inom 30 dagar efter placeringens slut"),
        description=_(
            "Av erfarenheterna som skickades in en viss månad och gäller en avslutad placering: "
            "andelen som kom in senast 30 dagar efter sista dagen i placeringens slutmånad. "
            "Pågående placeringar räknas inte."
        ),
        category_label=_("Månad"),
        value_label=_("Andel (%)"),
        categories=[m.label for m in months],
        series=[Series(_("Inom 30 dagar"), [m.within_30_days_share for m in months])],
        unit="%",
    )


def _lead_time_table(user: User, area_id: int | None) -> Table:
    labels = {
        "experience_to_finding": _("Från erfarenhet till lärdom"),
        "finding_to_acceptance": _("Från lärdom till beslut om att acceptera"),
        "acceptance_to_application": _("Från accepterad till tillämpad i en upphandling"),
        "finding_to_application": _("Från lärdom till tillämpad i en upphandling"),
    }
    rows = [[t.label, t.median_days, t.n] for t in lead_times(user, area_id, labels)]
    return Table(
        title=_("Ledtider i lärloopen"),
        headers=[_("Steg"), _("Median (dagar)"), _("Antal")],
        rows=rows,
        description=_(
            "Erfarenhet till lärdom räknas för varje erfarenhet som används som underlag: från "
            "inskickad till att lärdomen skapades (eller till att erfarenheten kopplades, om den "
            "kom in senare). Beslutet är den tidpunkt då lärdomen accepterades; tillämpad är då "
            "det fastställda förfrågningsunderlaget som använde lärdomen fastställdes. Antal är "
            "hur många värden medianen bygger på."
        ),
    )


def _applied_table(shares: list[AppliedShare], overall: bool) -> Table:
    rows: list[list] = [[s.area_name, s.accepted, s.applied, s.share] for s in shares]
    if overall and len(shares) > 1:
        total = AppliedShare(
            _("Alla avtalsområden"),
            sum(s.accepted for s in shares),
            sum(s.applied for s in shares),
        )
        rows.append([total.area_name, total.accepted, total.applied, total.share])
    return Table(
        title=_("Andel accepterade lärdomar som nått en upphandling"),
        headers=[
            _("Avtalsområde"),
            _("Accepterade, väntar"),
            _("Tillämpade"),
            _("Andel som nått en upphandling (%)"),
        ],
        rows=rows,
        description=_("Tillämpade delat med accepterade och tillämpade lärdomar tillsammans."),
    )


def _waiting_table(waiting: list[WaitingFinding]) -> Table:
    return Table(
        title=_("Lärdomar som väntat längst på beslut"),
        headers=[_("Lärdom"), _("Rubrik"), _("Avtalsområde"), _("Föreslagen"), _("Dagar")],
        rows=[[w.finding_id, w.title, w.area_name, w.proposed_on, w.days_waiting] for w in waiting],
        description=_("Föreslagna lärdomar, äldst först."),
    )


def _theme_label(comparison: PairComparison, index: int) -> str:
    theme = comparison.comparison.themes[index]
    label = str(theme.theme.label)
    return _("%(theme)s (krav ändrade)", theme=label) if theme.requirements_changed else label


def _means_chart(comparison: PairComparison) -> ChartData:
    before, after = comparison.pair.before, comparison.pair.after
    themes = comparison.comparison.themes
    return ChartData(
        title=_(
            "%(area)s: medelbetyg per tema, %(before)s mot %(after)s",
            area=after.agreement_area.name,
            before=before.reference,
            after=after.reference,
        ),
        description=_(
            "Medelbetyg (1–5) i placeringar under avtal från respektive omgång. Teman där "
            "kraven ändrades till den senare omgången är markerade."
        ),
        category_label=_("Tema"),
        value_label=_("Medelbetyg"),
        categories=[_theme_label(comparison, i) for i in range(len(themes))],
        series=[
            Series(before.reference, [t.mean_rating.before for t in themes]),
            Series(after.reference, [t.mean_rating.after for t in themes]),
        ],
        decimals=2,
    )


def _rounded(value: float | None, scale: float = 1.0) -> float | None:
    return None if value is None else round(value * scale, 2)


def _measure_row(name: str, changed: bool | None, m: MeasureComparison, scale: float = 1.0):  # type: ignore[no-untyped-def]
    interval = m.interval
    return [
        name,
        changed,
        _rounded(m.before, scale),
        m.n_before,
        _rounded(m.after, scale),
        m.n_after,
        _rounded(m.difference, scale),
        _rounded(interval.low, scale) if interval else None,
        _rounded(interval.high, scale) if interval else None,
        str(m.verdict.label),
    ]


def _comparison_table(comparison: PairComparison) -> Table:
    before, after = comparison.pair.before.reference, comparison.pair.after.reference
    result = comparison.comparison
    rows = [
        _measure_row(str(t.theme.label), t.requirements_changed, t.mean_rating)
        for t in result.themes
    ]
    rows.append(
        _measure_row(
            _("Sammanbrott per 100 avslutade placeringar"), None, result.breakdown_rate, 100
        )
    )
    rows.append(_measure_row(_("Avvikelser per 100 placeringar"), None, result.deviation_rate, 100))
    return Table(
        title=_(
            "%(before)s mot %(after)s: utfall, skillnad och 95 %% konfidensintervall",
            before=before,
            after=after,
        ),
        headers=[
            _("Mått"),
            _("Krav ändrade"),
            before,
            _("n (%(round)s)", round=before),
            after,
            _("n (%(round)s)", round=after),
            _("Skillnad"),
            _("95 % KI, nedre"),
            _("95 % KI, övre"),
            _("Bedömning"),
        ],
        rows=rows,
    )
