"""The real agreement-area names from the seed plans, and demo parameters per area."""

from __future__ import annotations

from dataclasses import dataclass

from kb.suppliers.models import AreaCategory


@dataclass(frozen=True)
class AreaPlan:
    key: str
    name: str
    category: AreaCategory
    cpv: tuple[str, ...]
    price_range: tuple[int, int]
    age_bands: tuple[str, ...]
    legal_bases: tuple[str, ...]
    kinds: tuple[str, ...]
    has_rounds: bool


AREAS = (
    AreaPlan(
        "hvb_barn",
        "HVB-hem, Behandling, för barn och unga upp till 20 år",
        AreaCategory.IFO,
        ("85311000", "85311300"),
        (3800, 6200),
        ("13-15", "16-17", "18-20"),
        ("sol", "lvu"),
        ("behandling", "utslussning"),
        True,
    ),
    AreaPlan(
        "hvb_akut",
        "HVB-hem, akut och utredning",
        AreaCategory.IFO,
        ("85311300",),
        (4500, 7500),
        ("6-12", "13-15", "16-17"),
        ("sol", "lvu"),
        ("akut", "utredning"),
        True,
    ),
    AreaPlan(
        "stodboende",
        "Stödboende för ungdomar",
        AreaCategory.IFO,
        ("85311000",),
        (1400, 2600),
        ("16-17", "18-20"),
        ("sol",),
        ("stod", "utslussning"),
        True,
    ),
    AreaPlan(
        "skyddat",
        "Skyddat boende",
        AreaCategory.IFO,
        ("85311000",),
        (2200, 3800),
        ("18-20", "21-29", "30-64"),
        ("sol",),
        ("akut", "stod"),
        False,
    ),
    AreaPlan(
        "familjehem",
        "Konsulentstödd familjehemsvård och behandlingsfamilj",
        AreaCategory.IFO,
        ("85311300",),
        (1900, 3200),
        ("0-5", "6-12", "13-15"),
        ("sol", "lvu"),
        ("behandling", "stod"),
        True,
    ),
    AreaPlan(
        "lss",
        "Enstaka platser i bostad med särskild service, LSS",
        AreaCategory.FO,
        ("85311200",),
        (4200, 8200),
        ("13-15", "16-17", "18-20", "21-29"),
        ("lss",),
        ("stod", "behandling"),
        True,
    ),
    AreaPlan(
        "missbruk",
        "HVB för vuxna missbrukare",
        AreaCategory.IFO,
        ("85311000",),
        (2400, 4200),
        ("21-29", "30-64"),
        ("sol", "lvm"),
        ("behandling", "utredning"),
        True,
    ),
)
