"""What the simulated users need to know of the data, read from the database before the run."""

from __future__ import annotations

import random

from flask import Flask
from sqlalchemy import extract, func, select

from kb.auth.models import Role, User, UserRole
from kb.bench_search import queries
from kb.demo.people import DEMO_PASSWORD
from kb.experiences.models import Experience
from kb.extensions import db
from kb.findings.models import Finding, FindingStatus
from kb.suppliers.models import AgreementArea, Supplier, Unit
from kb.tenders.models import Contract
from kb.themes import Theme

SAMPLE = 300  # suppliers and units the page views pick from
ROLES = {"caseworker": Role.CASEWORKER, "coordinator": Role.COORDINATOR, "curator": Role.CURATOR}


def _emails(role: Role) -> list[str]:
    return list(
        db.session.scalars(
            select(User.email)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == role, User.active.is_(True))
            .order_by(User.id)
        )
    )


def _placements() -> list[tuple[int, int, int]]:
    contracts = db.session.scalars(
        select(Contract).where(Contract.status == "aktivt").order_by(Contract.id).limit(40)
    ).all()
    return [(c.units[0].id, c.tender_round.agreement_area_id, c.id) for c in contracts if c.units]


def read_world(app: Flask, seed: int = 10) -> dict:
    rng = random.Random(seed)
    with app.app_context():
        suppliers = list(db.session.scalars(select(Supplier.id).order_by(Supplier.id)))
        units = list(db.session.scalars(select(Unit.id).order_by(Unit.id)))
        years = db.session.scalars(
            select(extract("year", Experience.submitted_at))
            .where(Experience.submitted_at.is_not(None))
            .group_by(extract("year", Experience.submitted_at))
        )
        world = {
            "password": DEMO_PASSWORD,
            "accounts": {name: _emails(role) for name, role in ROLES.items()},
            "placements": _placements(),
            "supplier_ids": rng.sample(suppliers, min(SAMPLE, len(suppliers))),
            "unit_ids": rng.sample(units, min(SAMPLE, len(units))),
            "area_ids": list(db.session.scalars(select(AgreementArea.id))),
            "finding_ids": list(
                db.session.scalars(
                    select(Finding.id).where(
                        Finding.status.in_([FindingStatus.PROPOSED, FindingStatus.ACCEPTED])
                    )
                )
            ),
            "themes": [theme.value for theme in Theme],
            "years": sorted(str(int(year)) for year in years if year),
            "queries": queries(rng, 200),
            "experiences": db.session.scalar(select(func.count(Experience.id))),
        }
        db.session.remove()
    missing = [name for name, values in world.items() if isinstance(values, list) and not values]
    missing += [role for role, emails in world["accounts"].items() if not emails]
    if missing:
        raise RuntimeError(f"the data has no {', '.join(missing)} for the load test")
    return world
