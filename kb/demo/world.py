"""What the demo steps have built so far, passed from one step to the next."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from kb.auth.models import User
from kb.experiences.models import Experience
from kb.followups.models import Deviation, FollowUp
from kb.organisations.models import Organisation
from kb.requirements.models import Requirement
from kb.suppliers.models import AgreementArea, Supplier, Unit
from kb.tenders.models import Contract, TenderRound

DEMO_SEED = 20261122
DEMO_TODAY = date(2026, 11, 15)


@dataclass
class DemoWorld:
    rng: random.Random = field(default_factory=lambda: random.Random(DEMO_SEED))
    intermediary: Organisation | None = None
    municipalities: list[Organisation] = field(default_factory=list)
    caseworkers: dict[int, list[User]] = field(default_factory=dict)
    coordinators: dict[int, User] = field(default_factory=dict)
    curator: User | None = None
    procurer: User | None = None
    areas: dict[str, AgreementArea] = field(default_factory=dict)
    suppliers: list[Supplier] = field(default_factory=list)
    units_by_area: dict[str, list[Unit]] = field(default_factory=dict)
    area_of_unit: dict[int, str] = field(default_factory=dict)
    unit_quality: dict[int, dict[str, float]] = field(default_factory=dict)
    rounds: dict[str, list[TenderRound]] = field(default_factory=dict)
    contracts: list[Contract] = field(default_factory=list)
    experiences: list[Experience] = field(default_factory=list)
    followups: list[FollowUp] = field(default_factory=list)
    deviations: list[Deviation] = field(default_factory=list)
    requirements: dict[str, list[Requirement]] = field(default_factory=dict)
