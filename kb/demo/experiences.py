"""About 600 placement experiences with believable, never-repeated Swedish narratives."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from kb.demo.areas import AREAS, AreaPlan
from kb.demo.narratives import compose_narrative
from kb.demo.world import DEMO_TODAY, DemoWorld
from kb.experiences.models import Experience, ExperienceRating, ExperienceStatus
from kb.extensions import db
from kb.markdown import render_markdown
from kb.themes import Theme

DEMO_EXPERIENCES = 600
AREA_WEIGHTS = {
    "hvb_barn": 30,
    "hvb_akut": 14,
    "stodboende": 15,
    "skyddat": 5,
    "familjehem": 16,
    "lss": 10,
    "missbruk": 10,
}
DURATION_MONTHS = {
    "akut": (1, 3),
    "utredning": (2, 5),
    "behandling": (4, 24),
    "stod": (3, 18),
    "utslussning": (2, 9),
}
FIRST_MONTH = 2019 * 12 + 2  # March 2019, as (year * 12 + month - 1)
LAST_MONTH = 2026 * 12 + 8  # September 2026
NOT_FOR_ADULTS = {Theme.SKOLA.value}
OFF_CONTRACT_REASONS = (
    "kompetens",
    "geografi",
    "lokaler",
    "kapacitet",
    "kvarboende",
    "aldersgrans",
    "annat",
)


@dataclass(frozen=True)
class Placement:
    """The structured facts of one generated placement, before it becomes rows."""

    plan: AreaPlan
    unit_id: int
    start: tuple[int, int]
    end: tuple[int, int] | None
    placement_kind: str
    ratings: dict[str, int | None]
    end_reason: str
    would_place_again: str


def _month(index: int) -> tuple[int, int]:
    return index // 12, index % 12 + 1


def _ratings(
    rng: random.Random, quality: dict[str, float], plan: AreaPlan
) -> dict[str, int | None]:
    adults = plan.key in {"missbruk", "skyddat"}
    ratings: dict[str, int | None] = {}
    for theme in Theme:
        if rng.random() < 0.08 or (adults and theme.value in NOT_FOR_ADULTS):
            ratings[theme.value] = None
        else:
            ratings[theme.value] = int(min(5, max(1, round(rng.gauss(quality[theme.value], 0.8)))))
    return ratings


def _end_reason(rng: random.Random, mean: float, ongoing: bool) -> str:
    if ongoing:
        return "pagar"
    breakdown = 0.5 if mean < 2.5 else 0.2 if mean < 3.3 else 0.06
    draw = rng.random()
    return "sammanbrott" if draw < breakdown else "flytt" if draw < breakdown + 0.08 else "planerat"


def _would_place_again(rng: random.Random, mean: float, end_reason: str) -> str:
    if mean >= 3.7 and end_reason != "sammanbrott":
        return "ja" if rng.random() < 0.9 else "osaker"
    if mean <= 2.6 or end_reason == "sammanbrott":
        return "nej" if rng.random() < 0.75 else "osaker"
    return rng.choice(("ja", "osaker", "osaker", "nej"))


def plan_placement(world: DemoWorld, rng: random.Random) -> Placement:
    area_key = rng.choices(list(AREA_WEIGHTS), weights=list(AREA_WEIGHTS.values()))[0]
    plan = next(p for p in AREAS if p.key == area_key)
    unit = rng.choice(world.units_by_area[area_key])
    kind = rng.choice(plan.kinds)
    start_index = rng.randint(FIRST_MONTH, LAST_MONTH)
    end_index = start_index + rng.randint(*DURATION_MONTHS[kind])
    ongoing = end_index > DEMO_TODAY.year * 12 + DEMO_TODAY.month - 1
    ratings = _ratings(rng, world.unit_quality[unit.id], plan)
    rated = [r for r in ratings.values() if r is not None]
    mean = sum(rated) / len(rated)
    end_reason = _end_reason(rng, mean, ongoing)
    return Placement(
        plan=plan,
        unit_id=unit.id,
        start=_month(start_index),
        end=None if ongoing else _month(end_index),
        placement_kind=kind,
        ratings=ratings,
        end_reason=end_reason,
        would_place_again=_would_place_again(rng, mean, end_reason),
    )


def submitted_at(rng: random.Random, placement: Placement) -> datetime:
    year, month = placement.end or placement.start
    base = date(year, month, 28) + timedelta(days=rng.randint(1, 75 if placement.end else 120))
    base = min(base, DEMO_TODAY - timedelta(days=1))
    return datetime(base.year, base.month, base.day, rng.randint(8, 16), rng.randint(0, 59))


def experience_fields(
    world: DemoWorld,
    rng: random.Random,
    placement: Placement,
    contract_id: int | None,
    used: set[str] | None,
) -> dict:
    """Return the column values of one experience (shared by the demo and --scale)."""
    plan = placement.plan
    low, high = plan.price_range
    price = rng.randint(low, high) * (1.15 if contract_id is None else 1.0)
    rated = [r for r in placement.ratings.values() if r is not None]
    mean = sum(rated) / len(rated)
    narrative = compose_narrative(
        rng,
        ratings=placement.ratings,
        end_reason=placement.end_reason,
        placement_kind=placement.placement_kind,
        area_kind=plan.key,
        would_place_again=placement.would_place_again,
        used_sentences=used,
    )
    goal = (
        None
        if placement.end is None or rng.random() < 0.1
        else int(min(4, max(1, round(mean - 0.6 + rng.random()))))
    )
    return {
        "unit_id": placement.unit_id,
        "agreement_area_id": world.areas[plan.key].id,
        "contract_id": contract_id,
        "off_contract": contract_id is None,
        "off_contract_reason": None
        if contract_id
        else (
            "kapacitet"
            if plan.key == "skyddat" and rng.random() < 0.5
            else rng.choice(OFF_CONTRACT_REASONS)
        ),
        "placement_kind": placement.placement_kind,
        "legal_basis": rng.choice(plan.legal_bases),
        "age_band": rng.choice(plan.age_bands),
        "start_year": placement.start[0],
        "start_month": placement.start[1],
        "end_year": placement.end[0] if placement.end else None,
        "end_month": placement.end[1] if placement.end else None,
        "end_reason": placement.end_reason,
        "goal_attainment": goal,
        "daily_price": Decimal(round(price, -1)),
        "extra_cost_claims": rng.random() < (0.25 if mean < 2.8 else 0.06),
        "invoicing_problems": rng.random() < (0.2 if mean < 2.8 else 0.04),
        "would_place_again": placement.would_place_again,
        "worked_md": narrative.worked,
        "not_worked_md": narrative.not_worked,
        "advice_md": narrative.advice,
        "worked_html": render_markdown(narrative.worked),
        "not_worked_html": render_markdown(narrative.not_worked),
        "advice_html": render_markdown(narrative.advice),
    }


def build_experiences(world: DemoWorld, count: int = DEMO_EXPERIENCES) -> None:
    from kb.demo.tenders import contract_for

    rng = world.rng
    used: set[str] = set()
    authors = [(m, user) for m in world.municipalities for user in world.caseworkers[m.id]]
    for index in range(count):
        municipality, author = authors[index % len(authors)]
        placement = plan_placement(world, rng)
        unit = db.session.get(type(world.units_by_area[placement.plan.key][0]), placement.unit_id)
        contract = (
            None
            if rng.random() < 0.1
            else contract_for(world, unit, placement.plan.key, *placement.start)
        )
        fields = experience_fields(world, rng, placement, contract.id if contract else None, used)
        draft = index % 40 == 0
        when = submitted_at(rng, placement)
        experience = Experience(
            organisation=municipality,
            author=author,
            status=ExperienceStatus.DRAFT if draft else ExperienceStatus.SUBMITTED,
            submitted_at=None if draft else when,
            created_at=when - timedelta(days=rng.randint(0, 3)),
            updated_at=when,
            **fields,
        )
        experience.ratings = [
            ExperienceRating(theme=Theme(theme), rating=value)
            for theme, value in placement.ratings.items()
        ]
        db.session.add(experience)
        world.experiences.append(experience)
    db.session.flush()
