"""Demo organisations and accounts: one intermediary, six member municipalities."""

from __future__ import annotations

from functools import cache

from werkzeug.security import generate_password_hash

from kb.auth.models import Role, User
from kb.demo.vocabulary import (
    FIRST_NAMES,
    INTERMEDIARY,
    LAST_NAMES,
    MUNICIPALITIES,
    fictional_org_number,
    slug,
)
from kb.demo.world import DemoWorld
from kb.extensions import db
from kb.organisations.models import Organisation, OrganisationKind

DEMO_PASSWORD = "Kunskapsbanken-demo"
CASEWORKERS_PER_MUNICIPALITY = 3

# (role, e-mail, name, organisation index: None = the intermediary, else municipality index)
DEMO_ACCOUNTS = (
    (Role.CASEWORKER, "handlaggare@alvsjohamn.example", "Sara Lind", 0),
    (Role.COORDINATOR, "samordnare@alvsjohamn.example", "Jonas Ek", 0),
    (Role.CURATOR, "kunskap@vidala.example", "Amira Holm", None),
    (Role.PROCURER, "upphandlare@vidala.example", "Henrik Strand", None),
    (Role.ADMIN, "admin@vidala.example", "Karin Dahl", None),
)


def _person_name(world: DemoWorld) -> str:
    return f"{world.rng.choice(FIRST_NAMES)} {world.rng.choice(LAST_NAMES)}"


@cache
def _demo_password_hash() -> str:
    """Hash the shared demo password once; hashing is deliberately slow."""
    return generate_password_hash(DEMO_PASSWORD)


def _account(email: str, name: str, organisation: Organisation, *roles: Role) -> User:
    user = User(name=name, email=email, organisation=organisation, active=True)
    user.password_hash = _demo_password_hash()
    user.set_roles(set(roles))
    db.session.add(user)
    return user


def build_organisations(world: DemoWorld) -> None:
    world.intermediary = Organisation(
        name=INTERMEDIARY,
        kind=OrganisationKind.INTERMEDIARY,
        org_number=fictional_org_number("22299", 1),
    )
    db.session.add(world.intermediary)
    for index, name in enumerate(MUNICIPALITIES, start=1):
        municipality = Organisation(
            name=name,
            kind=OrganisationKind.MUNICIPALITY,
            org_number=fictional_org_number("21299", index),
            member_of=world.intermediary,
        )
        db.session.add(municipality)
        world.municipalities.append(municipality)
    db.session.flush()


def build_accounts(world: DemoWorld) -> None:
    for role, email, name, org_index in DEMO_ACCOUNTS:
        organisation = world.intermediary if org_index is None else world.municipalities[org_index]
        user = _account(email, name, organisation, role)
        if role == Role.CASEWORKER:
            world.caseworkers.setdefault(organisation.id, []).append(user)
        elif role == Role.COORDINATOR:
            world.coordinators[organisation.id] = user
        elif role == Role.CURATOR:
            world.curator = user
        elif role == Role.PROCURER:
            world.procurer = user
    for municipality in world.municipalities:
        place = slug(municipality.name)
        staff = world.caseworkers.setdefault(municipality.id, [])
        for number in range(len(staff) + 1, CASEWORKERS_PER_MUNICIPALITY + 1):
            email = f"socsek{number}@{place}.example"
            staff.append(_account(email, _person_name(world), municipality, Role.CASEWORKER))
        if municipality.id not in world.coordinators:
            world.coordinators[municipality.id] = _account(
                f"samordnare@{place}.example", _person_name(world), municipality, Role.COORDINATOR
            )
    db.session.flush()


def demo_logins() -> list[tuple[str, str]]:
    return [(str(role.label), email) for role, email, _name, _org in DEMO_ACCOUNTS]
