"""Load the demo data set into an empty database. Flushes; the caller commits."""

from __future__ import annotations

from sqlalchemy import func, select

from kb.demo import catalogue, experiences, followups, learning, people, tenders
from kb.demo.people import DEMO_PASSWORD, demo_logins
from kb.demo.scale import generate_scale, refresh_statistics
from kb.demo.world import DemoWorld
from kb.extensions import db
from kb.organisations.models import Organisation

__all__ = ["DEMO_PASSWORD", "demo_logins", "generate_scale", "load_demo", "refresh_statistics"]


def database_is_empty() -> bool:
    return not db.session.scalar(select(func.count(Organisation.id)))


def load_demo() -> bool:
    """Build the demo world when the database is empty; return whether anything was loaded."""
    if not database_is_empty():
        return False
    world = DemoWorld()
    people.build_organisations(world)
    people.build_accounts(world)
    catalogue.build_areas(world)
    catalogue.build_suppliers_and_units(world)
    tenders.build_rounds_and_contracts(world)
    experiences.build_experiences(world)
    followups.build_deviations(world)
    followups.build_followups(world)
    followups.build_supplier_checks(world)
    learning.build_requirements(world)
    findings = learning.build_findings(world)
    learning.build_drafts(world, findings)
    followups.build_recent_concerns(world)
    return True
