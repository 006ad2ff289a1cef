"""Demo agreement areas, about 40 invented suppliers and about 70 units."""

from __future__ import annotations

from datetime import timedelta

from kb.demo.areas import AREAS
from kb.demo.vocabulary import (
    COUNTY,
    MUNICIPALITIES,
    STREETS,
    SUPPLIER_STEMS,
    SUPPLIER_SUFFIXES,
    UNIT_KINDS,
    fictional_org_number,
)
from kb.demo.world import DEMO_TODAY, DemoWorld
from kb.extensions import db
from kb.suppliers.models import AgreementArea, LegalForm, PermitStatus, Supplier, Unit
from kb.themes import Theme

ORG_NUMBER_SERIES = {"ab": "55999", "stiftelse": "80299", "ideell": "80298", "ek_for": "76999"}
AGE_RANGES = {
    "hvb_barn": (12, 20),
    "hvb_akut": (8, 17),
    "stodboende": (16, 20),
    "skyddat": (18, 67),
    "familjehem": (0, 17),
    "lss": (13, 30),
    "missbruk": (21, 67),
}
PROFILES = {
    "hvb_barn": "Ungdomar med normbrytande beteende, skolfrånvaro eller psykosocial problematik.",
    "hvb_akut": "Akuta placeringar och utredning av barn och unga, dygnet runt.",
    "stodboende": "Ungdomar som tränar på eget boende med stöd av boendestödjare.",
    "skyddat": "Våldsutsatta vuxna, med eller utan medföljande barn.",
    "familjehem": "Familjehem med konsulentstöd och behandlingsfamiljer.",
    "lss": "Unga och vuxna med intellektuell funktionsnedsättning eller autism.",
    "missbruk": "Vuxna med alkohol- eller narkotikaberoende, frivilligt eller enligt LVM.",
}


def build_areas(world: DemoWorld) -> None:
    for plan in AREAS:
        area = AgreementArea(name=plan.name, category=plan.category, cpv_codes=list(plan.cpv))
        db.session.add(area)
        world.areas[plan.key] = area
        world.units_by_area[plan.key] = []
    db.session.flush()


def _supplier(world: DemoWorld, index: int, stem: str) -> Supplier:
    suffix, form = SUPPLIER_SUFFIXES[index % len(SUPPLIER_SUFFIXES)]
    name = suffix.format(stem=stem) if "{stem}" in suffix else f"{stem}s {suffix}"
    return Supplier(
        name=name,
        org_number=fictional_org_number(ORG_NUMBER_SERIES[form], index + 11),
        legal_form=LegalForm(form),
    )


def _unit(world: DemoWorld, supplier: Supplier, stem: str, area_key: str, number: int) -> Unit:
    rng = world.rng
    age_min, age_max = AGE_RANGES[area_key]
    protected = area_key == "skyddat"
    kind = rng.choice(UNIT_KINDS[area_key])
    return Unit(
        supplier=supplier,
        name=f"{stem} {kind}" + (f" {number}" if number > 1 else ""),
        age_min=age_min,
        age_max=age_max,
        target_profile=PROFILES[area_key],
        places=rng.randint(4, 16),
        municipality=rng.choice(MUNICIPALITIES).removesuffix(" kommun").removesuffix("s"),
        county=COUNTY,
        address=f"{rng.choice(STREETS)} {rng.randint(1, 90)}",
        protected_address=protected,
        permit_status=_permit_status(area_key, rng.random()),
        permit_reference=f"IVO 8.5-{rng.randint(10000, 99999)}/{rng.randint(2012, 2024)}",
        last_ivo_inspection=DEMO_TODAY - timedelta(days=rng.randint(60, 900)),
    )


def _permit_status(area_key: str, draw: float) -> PermitStatus:
    if area_key == "stodboende" and draw < 0.3:
        return PermitStatus.NOT_REQUIRED
    return PermitStatus.APPLIED if draw > 0.97 else PermitStatus.GRANTED


def build_suppliers_and_units(world: DemoWorld) -> None:
    rng = world.rng
    area_keys = [plan.key for plan in AREAS]
    for index, stem in enumerate(SUPPLIER_STEMS):
        supplier = _supplier(world, index, stem)
        db.session.add(supplier)
        world.suppliers.append(supplier)
        primary = area_keys[index % len(area_keys)]
        served = [primary]
        if rng.random() < 0.3:
            served.append(rng.choice([k for k in area_keys if k not in (primary, "skyddat")]))
        unit_count = 1 + (index % 2 == 0) + (index % 7 == 0) + (index % 11 == 0)
        for number in range(1, unit_count + 1):
            area_key = served[(number - 1) % len(served)]
            unit = _unit(world, supplier, stem, area_key, number)
            unit.agreement_areas = [world.areas[area_key]]
            if area_key == "hvb_barn" and rng.random() < 0.3:
                unit.agreement_areas.append(world.areas["hvb_akut"])
            db.session.add(unit)
            world.units_by_area[area_key].append(unit)
    db.session.flush()
    for area_key, units in world.units_by_area.items():
        for unit in units:
            world.area_of_unit[unit.id] = area_key
            base = rng.gauss(3.4, 0.7)
            world.unit_quality[unit.id] = {
                theme.value: min(5.0, max(1.0, rng.gauss(base, 0.6))) for theme in Theme
            }
