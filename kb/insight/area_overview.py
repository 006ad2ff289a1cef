"""The agreement-area overview: its figures, built from a fixed number of grouped queries.

Experience figures count the viewer's network (scope.counted()) and hide every cell that rests
on fewer than MIN_GROUP_SIZE experiences when some of them are unreadable to the viewer.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from kb.experiences.models import OffContractReason
from kb.insight.area_experiences import Tally, YearTally, placement_tallies, unit_facts
from kb.insight.area_ranking import formula_text, ranking, ranking_table
from kb.insight.area_record_figures import (
    PERCENT,
    add_deviation_figures,
    add_followup_figures,
    drawer,
)
from kb.insight.area_records import area_rounds, contract_period_label, current_framework
from kb.insight.chart_data import ChartData, Series
from kb.insight.figures import FigureSet, Table
from kb.insight.scope import InsightScope
from kb.suppliers.models import AgreementArea
from kb.tenders.models import TenderRound

FIGURE_IDS = (
    "ramavtal",
    "omgangar",
    "avtalstrohet",
    "avtalstrohet-antal",
    "skal-utanfor-avtal",
    "rangordning",
    "avvikelser-kategori",
    "avvikelser-verksamhet",
    "uppfoljningar-resultat",
    "uppfoljningstackning",
    "uppfoljningstackning-antal",
)


@dataclass(frozen=True)
class AreaOverview:
    area: AgreementArea
    figures: FigureSet
    supplier_count: int
    unit_count: int
    contract_count: int
    formula: str


def shown_count(scope: InsightScope, tally: Tally) -> int | None:
    """The count, or None when the cell is suppressed; zero is shown as zero."""
    return None if scope.suppressed(tally.n, tally.unreadable) else tally.n


def share(scope: InsightScope, part: Tally, rest: Tally) -> float | None:
    """part / (part + rest) in percent; hidden when either count is hidden (so the share can't
    reveal a suppressed count) or there is nothing to divide."""
    whole = part.n + rest.n
    if whole == 0 or shown_count(scope, part) is None or shown_count(scope, rest) is None:
        return None
    return round(100 * part.n / whole, 1)


def area_overview(area: AgreementArea, scope: InsightScope) -> AreaOverview:
    figures = FigureSet(f"avtalsomrade-{area.id}")
    rounds = area_rounds(area.id)
    framework = current_framework(area.id)
    figures.add("ramavtal", _framework_table(framework))
    _add_placement_figures(figures, scope, area.id, rounds)
    figures.add("rangordning", ranking_table(ranking(unit_facts(scope, area.id), scope)))
    add_deviation_figures(figures, scope.network, area.id)
    add_followup_figures(figures, scope.network, area.id, rounds)
    return AreaOverview(
        area=area,
        figures=figures,
        supplier_count=len({c.supplier_id for c in framework}),
        unit_count=len({unit for c in framework for unit in c.units}),
        contract_count=len(framework),
        formula=formula_text(scope.min_group_size),
    )


def _framework_table(framework) -> Table:  # type: ignore[no-untyped-def]
    return Table(
        title=_("Leverantörer och verksamheter på gällande ramavtal"),
        headers=[
            _("Leverantör"),
            _("Avtal"),
            _("Omgång"),
            _("Avtalsstatus"),
            _("Antal verksamheter"),
            _("Verksamheter"),
        ],
        rows=[
            [
                c.supplier_name,
                " · ".join(part for part in (c.reference, c.lot) if part) or None,
                c.round_reference,
                str(c.status.label),
                len(c.units),
                ", ".join(name for _id, name in c.units) or None,
            ]
            for c in framework
        ],
        description=_(
            "Avtalen i områdets upphandlingsomgångar med status Aktiv, med avtalens nuvarande "
            "status och verksamheterna som ingår i dem."
        ),
    )


def _add_placement_figures(
    figures: FigureSet, scope: InsightScope, area_id: int, rounds: list[TenderRound]
) -> None:
    tallies = placement_tallies(scope, area_id)
    groups = [(contract_period_label(r), tallies.rounds.get(r.id)) for r in rounds]
    known = {r.id for r in rounds}
    groups += [(t.reference, t) for rid, t in tallies.rounds.items() if rid not in known]
    groups.append((_("Utanför avtal"), tallies.off_contract))
    if tallies.without_contract.experiences.n:
        groups.append((_("Utan uppgift om avtal"), tallies.without_contract))
    empty = Tally()
    figures.add(
        "omgangar",
        ChartData(
            title=_("Placeringar per upphandlingsomgång"),
            description=_(
                "Inskickade erfarenheter per omgång, via avtalet placeringen gjordes på. Varje "
                "erfarenhet beskriver en placering; avslutade placeringar har ett angivet slut."
            ),
            category_label=_("Upphandlingsomgång"),
            value_label=_("Antal"),
            categories=[label for label, _t in groups],
            series=[
                Series(
                    _("Erfarenheter (placeringar)"),
                    [shown_count(scope, t.experiences if t else empty) for _l, t in groups],
                ),
                Series(
                    _("Avslutade placeringar"),
                    [shown_count(scope, t.ended if t else empty) for _l, t in groups],
                ),
            ],
        ),
        drawer("omgangar"),
    )
    _add_compliance_figures(figures, scope, tallies.years)
    _add_reason_figure(figures, scope, tallies.reasons)


def _add_reason_figure(
    figures: FigureSet, scope: InsightScope, counts: dict[OffContractReason | None, Tally]
) -> None:
    reasons = list(OffContractReason) + ([None] if None in counts else [])
    figures.add(
        "skal-utanfor-avtal",
        ChartData(
            title=_("Skäl till placeringar utanför avtal"),
            description=_("Placeringar utanför avtal i området, per angivet skäl, alla år."),
            category_label=_("Skäl"),
            value_label=_("Placeringar"),
            categories=[str(r.label) if r else _("Inget skäl angivet") for r in reasons],
            series=[
                Series(
                    _("Placeringar utanför avtal"),
                    [shown_count(scope, counts.get(r, Tally())) for r in reasons],
                )
            ],
        ),
        drawer("skal-utanfor-avtal"),
    )


def _add_compliance_figures(
    figures: FigureSet, scope: InsightScope, years: dict[int | None, YearTally]
) -> None:
    ordered = sorted(years.items(), key=lambda item: (item[0] is None, item[0] or 0))
    labels = [str(year) if year is not None else _("Okänt år") for year, _t in ordered]
    shares = [share(scope, t.on_contract, t.off_contract) for _y, t in ordered]
    figures.add(
        "avtalstrohet",
        ChartData(
            title=_("Avtalstrohet per år"),
            description=_(
                "Andelen av områdets placeringar som gjordes på avtal, av dem där det är känt om "
                "placeringen var på avtal eller utanför, efter placeringens startår."
            ),
            category_label=_("Startår"),
            value_label=_("Andel på avtal"),
            categories=labels,
            series=[Series(_("Andel på avtal"), shares)],
            unit="%",
        ),
        drawer("avtalstrohet", PERCENT),
    )
    figures.add(
        "avtalstrohet-antal",
        Table(
            title=_("Placeringar på och utanför avtal per år"),
            headers=[
                _("Startår"),
                _("På avtal"),
                _("Utanför avtal"),
                _("Utan uppgift om avtal"),
                _("Andel på avtal (%)"),
            ],
            rows=[
                [
                    label,
                    shown_count(scope, t.on_contract),
                    shown_count(scope, t.off_contract),
                    shown_count(scope, t.unknown),
                    value,
                ]
                for label, (_y, t), value in zip(labels, ordered, shares, strict=True)
            ],
            description=_(
                "Celler med färre än %(n)d erfarenheter som du inte får läsa visas inte.",
                n=scope.min_group_size,
            ),
        ),
    )
