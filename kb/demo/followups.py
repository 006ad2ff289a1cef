"""Demo follow-ups, deviations and supplier checks."""

from __future__ import annotations

from datetime import date, timedelta

from kb.demo.world import DEMO_TODAY, DemoWorld
from kb.extensions import db
from kb.followups.models import (
    CheckKind,
    CheckResult,
    Deviation,
    DeviationCategory,
    FollowUp,
    FollowUpKind,
    FollowUpMethod,
    FollowUpResult,
    FollowUpScope,
    Severity,
    SupplierCheck,
)
from kb.followups.templates_data import template_for_area
from kb.markdown import render_markdown
from kb.themes import Theme

DEVIATION_TEXTS = {
    DeviationCategory.INVOICING: (
        "Fakturan avsåg fler dygn än placeringen varade.",
        "Tilläggskostnad för extra personal fakturerades utan föregående överenskommelse.",
    ),
    DeviationCategory.REPORTING: (
        "Månadsrapporten uteblev två månader i rad.",
        "Genomförandeplanen var inte upprättad sex veckor efter inskrivning.",
    ),
    DeviationCategory.STAFFING: (
        "Nattbemanningen bestod av en person trots avtalad dubbelbemanning.",
        "Hög andel timvikarier utan introduktion under sommaren.",
    ),
    DeviationCategory.INCIDENT: (
        "Den placerade avvek och verksamheten meddelade socialtjänsten först nästa dag.",
        "Våldsincident mellan två placerade som inte rapporterades till handläggaren.",
    ),
    DeviationCategory.LEX_SARAH: (
        "Verksamheten har gjort en lex Sarah-utredning efter brister i tillsynen nattetid.",
        "Missförhållande i läkemedelshanteringen anmält enligt lex Sarah.",
    ),
    DeviationCategory.BREAKDOWN: (
        "Placeringen avbröts med en dags varsel utan att avslutsmöte hölls.",
        "Leverantören sade upp placeringen med hänvisning till att behoven var för stora.",
    ),
    DeviationCategory.PREMISES: (
        "Brandskyddet var bristfälligt vid platsbesöket.",
        "Lokalerna var i dåligt skick och ett rum saknade fönster som går att öppna.",
    ),
    DeviationCategory.OTHER: (
        "Verksamheten bytte föreståndare utan att informera beställaren.",
        "Avtalad kontaktperson fanns inte på plats under hela placeringen.",
    ),
}
SEVERITY_WEIGHTS = {Severity.LOW: 30, Severity.MEDIUM: 40, Severity.HIGH: 22, Severity.CRITICAL: 8}
SURVEY_OBSERVATIONS = {
    Theme.GENOMFORANDEPLAN: (
        "Genomförandeplaner upprättades i regel i tid, men rapporteringen varierade.",
        "Två av tre leverantörer rapporterade månadsvis enligt avtalet.",
    ),
    Theme.BEMANNING: (
        "Kontinuiteten i bemanningen var den största skillnaden mellan leverantörerna.",
        "Andelen timvikarier var hög under sommaren hos flera leverantörer.",
    ),
    Theme.KONTAKTPERSON: (
        "Nästan alla placerade hade en namngiven kontaktperson från första veckan.",
        "Kontaktpersonen byttes under placeringen i ungefär var fjärde placering.",
    ),
    Theme.SAMVERKAN: (
        "Socialsekreterarna beskrev informationen vid incidenter som snabb och tydlig.",
        "Information vid avvikelser kom ofta först dagen efter.",
    ),
    Theme.AVVIKELSEHANTERING: (
        "Rutinerna fanns men var inte kända av all personal.",
        "Avvikelser återkopplades med åtgärder i de flesta fall.",
    ),
    Theme.HALSA: (
        "Tillgången till hälso- och sjukvård var god; läkemedelshanteringen brast hos en leverantör.",
        "Kontakten med psykiatrin fungerade väl där den behövdes.",
    ),
    Theme.SKOLA: (
        "Skolgången kom i gång inom två veckor för de flesta placerade.",
        "Stödet till studier och sysselsättning varierade mellan boendena.",
    ),
    Theme.LOKALER: (
        "Lokalerna motsvarade anbuden; ett boende saknade godkänt brandskydd.",
        "Lokalerna var ändamålsenliga och i gott skick.",
    ),
    Theme.DELAKTIGHET: (
        "De placerade upplevde i regel att de fick vara med och påverka.",
        "Flera placerade beskrev att de inte fått ta del av sin genomförandeplan.",
    ),
}


def build_deviations(world: DemoWorld, count: int = 64) -> None:
    rng = world.rng
    units = [unit for units in world.units_by_area.values() for unit in units]
    weak = sorted(units, key=lambda u: sum(world.unit_quality[u.id].values()))[: len(units) // 3]
    for index in range(count):
        unit = rng.choice(weak if index % 3 else units)
        category = rng.choice(list(DeviationCategory))
        severity = rng.choices(list(SEVERITY_WEIGHTS), weights=list(SEVERITY_WEIGHTS.values()))[0]
        occurred = DEMO_TODAY - timedelta(days=rng.randint(10, 1500))
        text = rng.choice(DEVIATION_TEXTS[category])
        resolved = occurred < DEMO_TODAY - timedelta(days=120) or rng.random() < 0.3
        deviation = Deviation(
            organisation=rng.choice(world.municipalities),
            unit=unit,
            occurred_on=occurred,
            category=category,
            severity=severity,
            description_md=text,
            description_html=render_markdown(text),
            resolved=resolved,
            resolved_on=occurred + timedelta(days=rng.randint(5, 90)) if resolved else None,
            resolution_note="Åtgärdat enligt leverantörens åtgärdsplan." if resolved else "",
        )
        deviation.reported_by = world.coordinators[deviation.organisation.id]
        db.session.add(deviation)
        world.deviations.append(deviation)
    db.session.flush()


def _followup(world: DemoWorld, **fields: object) -> FollowUp:
    summary = str(fields.pop("summary"))
    followup = FollowUp(
        organisation=fields.pop("organisation", world.intermediary),
        author=fields.pop("author", world.curator),
        summary_md=summary,
        summary_html=render_markdown(summary),
        **fields,
    )
    db.session.add(followup)
    world.followups.append(followup)
    return followup


def _observations(index: int) -> dict[Theme, str]:
    """One observation per survey theme, varied by area without drawing on the random stream."""
    return {
        theme: texts[(index + offset) % len(texts)]
        for offset, (theme, texts) in enumerate(SURVEY_OBSERVATIONS.items())
    }


def build_followups(world: DemoWorld) -> None:
    rng = world.rng
    for area_index, (area_key, (_first, second)) in enumerate(world.rounds.items()):
        area = world.areas[area_key]
        template = template_for_area(area.name)
        year = second.contract_start.year + 2
        _followup(
            world,
            title=f"{template.title} {year}: {area.name}",
            kind=template.kind,
            scope=FollowUpScope.TENDER_ROUND,
            tender_round=second,
            period_start=date(year, 1, 1),
            period_end=date(year, 6, 30),
            methods=template.method_codes,
            summary=template.summary_md(
                _observations(area_index),
                "Svarsfrekvensen bland socialsekreterarna var god. Kontinuiteten i bemanningen "
                "var den största skillnaden mellan leverantörerna.",
            ),
            result=rng.choice([FollowUpResult.NO_REMARKS, FollowUpResult.REMARKS]),
            actions_taken="Återkoppling till varje leverantör; två leverantörer lämnade åtgärdsplaner.",
        )
    for index, deviation in enumerate(
        d for d in world.deviations if d.severity in {Severity.HIGH, Severity.CRITICAL}
    ):
        if index >= 14:
            break
        followup = _followup(
            world,
            organisation=deviation.organisation,
            author=world.coordinators[deviation.organisation.id],
            title=f"Händelsestyrd uppföljning av {deviation.unit.name}",
            kind=FollowUpKind.EVENT_DRIVEN,
            scope=FollowUpScope.UNIT,
            unit=deviation.unit,
            period_start=deviation.occurred_on,
            period_end=deviation.occurred_on + timedelta(days=30),
            methods=[
                FollowUpMethod.UNANNOUNCED_VISIT.value,
                FollowUpMethod.STAFF_INTERVIEW.value,
                FollowUpMethod.ROUTINE_REVIEW.value,
            ],
            summary=f"Oanmält platsbesök efter avvikelse ({deviation.category.label}). Rutiner och bemanningsscheman granskades.",
            result=FollowUpResult.SERIOUS
            if deviation.severity == Severity.CRITICAL
            else FollowUpResult.REMARKS,
            actions_taken="Leverantören ska redovisa åtgärdsplan inom 30 dagar.",
        )
        followup.cited_deviations = [deviation]
    for unit_index, unit in enumerate(
        rng.sample([u for us in world.units_by_area.values() for u in us], 12)
    ):
        municipality = world.municipalities[unit_index % len(world.municipalities)]
        _followup(
            world,
            organisation=municipality,
            author=world.coordinators[municipality.id],
            title=f"Löpande uppföljning av placeringar vid {unit.name}",
            kind=FollowUpKind.CONTINUOUS,
            scope=FollowUpScope.UNIT,
            unit=unit,
            period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31),
            methods=[FollowUpMethod.SURVEY_CASEWORKERS.value, FollowUpMethod.QUALITY_REPORT.value],
            summary="Genomgång av rapporter och samtal med ansvariga socialsekreterare om pågående placeringar.",
            result=FollowUpResult.NO_REMARKS
            if sum(world.unit_quality[unit.id].values()) > 30
            else FollowUpResult.REMARKS,
            actions_taken="",
        )
    db.session.flush()


def build_supplier_checks(world: DemoWorld) -> None:
    rng = world.rng
    for supplier in world.suppliers:
        for kind in (CheckKind.CREDIT, CheckKind.TAXES):
            checked = DEMO_TODAY - timedelta(days=rng.randint(20, 380))
            result = CheckResult.OK if rng.random() < 0.88 else CheckResult.REMARK
            db.session.add(
                SupplierCheck(
                    organisation=world.intermediary,
                    supplier=supplier,
                    kind=kind,
                    checked_on=checked,
                    result=result,
                    # A credit score on the 0–100 scale the check form takes.
                    value=str(rng.randint(1, 5) * 18 + 5) if kind == CheckKind.CREDIT else None,
                    note=""
                    if result == CheckResult.OK
                    else "Betalningsanmärkning registrerad; följs upp.",
                    next_due=checked + timedelta(days=365),
                )
            )
        for unit in supplier.units:
            checked = DEMO_TODAY - timedelta(days=rng.randint(20, 700))
            db.session.add(
                SupplierCheck(
                    organisation=world.intermediary,
                    supplier=supplier,
                    unit=unit,
                    kind=CheckKind.IVO_PERMIT,
                    checked_on=checked,
                    result=CheckResult.OK
                    if unit.permit_status.value in {"beviljat", "ej_krav"}
                    else CheckResult.REMARK,
                    value=unit.permit_reference,
                    next_due=checked + timedelta(days=730),
                )
            )
    db.session.flush()


RECENT_CONCERNS = (  # (days before DEMO_TODAY, category, severity, text)
    (41, DeviationCategory.STAFFING, Severity.HIGH, DEVIATION_TEXTS[DeviationCategory.STAFFING][0]),
    (
        23,
        DeviationCategory.REPORTING,
        Severity.MEDIUM,
        DEVIATION_TEXTS[DeviationCategory.REPORTING][0],
    ),
    (9, DeviationCategory.INCIDENT, Severity.HIGH, DEVIATION_TEXTS[DeviationCategory.INCIDENT][0]),
)


def build_recent_concerns(world: DemoWorld) -> None:
    """Three recent deviations at the weakest unit, recorded after every follow-up, so the
    coordinator's start page shows a supplier flagged for an event-driven follow-up.

    Draws nothing from world.rng, so the rest of the demo stays as it was."""
    units = [unit for units in world.units_by_area.values() for unit in units]
    weakest = min(units, key=lambda u: (sum(world.unit_quality[u.id].values()), u.id))
    reporter = world.municipalities[0]
    for days, category, severity, text in RECENT_CONCERNS:
        db.session.add(
            Deviation(
                organisation=reporter,
                unit=weakest,
                reported_by=world.coordinators[reporter.id],
                occurred_on=DEMO_TODAY - timedelta(days=days),
                category=category,
                severity=severity,
                description_md=text,
                description_html=render_markdown(text),
            )
        )
    db.session.flush()
