"""``flask kb demo --scale N``: N extra experiences for benchmarks, inserted in bulk.

The ORM unit of work is bypassed for speed, so the audit trail gets one record for the
whole batch, and the search outbox gets its rows in the same transaction.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date

from sqlalchemy import Table, func, insert, select, text

from kb.audit.context import current_actor
from kb.audit.models import AuditRecord
from kb.auth.models import Role, User, UserRole
from kb.database import utcnow
from kb.demo import experiences as demo_experiences
from kb.demo.world import DemoWorld
from kb.experiences.models import Experience, ExperienceRating
from kb.extensions import db
from kb.organisations.models import Organisation, OrganisationKind
from kb.search.models import SearchOutbox
from kb.suppliers.models import AgreementArea, Unit
from kb.tenders.models import Contract

BATCH_SIZE = 2000


def _world_from_database(seed: int) -> DemoWorld:
    """Rebuild just what placement planning needs from the stored demo data."""
    from kb.demo.areas import AREAS

    world = DemoWorld(rng=random.Random(seed))
    area_key_by_name = {plan.name: plan.key for plan in AREAS}
    for area in db.session.scalars(select(AgreementArea)):
        key = area_key_by_name.get(area.name)
        if key:
            world.areas[key] = area
            world.units_by_area[key] = []
    for unit in db.session.scalars(select(Unit)):
        for area in unit.agreement_areas[:1]:
            key = area_key_by_name.get(area.name)
            if key:
                world.units_by_area[key].append(unit)
        base = world.rng.gauss(3.4, 0.7)
        world.unit_quality[unit.id] = {
            t: min(5.0, max(1.0, world.rng.gauss(base, 0.6))) for t in _themes()
        }
    world.municipalities = list(
        db.session.scalars(
            select(Organisation).where(Organisation.kind == OrganisationKind.MUNICIPALITY)
        )
    )
    return world


def _themes() -> list[str]:
    from kb.themes import Theme

    return [theme.value for theme in Theme]


def _contract_index() -> dict[tuple[int, int], list[tuple[date, date, int]]]:
    """(unit id, area id) -> [(start, end, contract id)] for fast lookups."""
    index: dict[tuple[int, int], list[tuple[date, date, int]]] = {}
    for contract in db.session.scalars(select(Contract)):
        tender_round = contract.tender_round
        end = tender_round.extension_until or tender_round.contract_end
        for unit in contract.units:
            key = (unit.id, tender_round.agreement_area_id)
            index.setdefault(key, []).append((tender_round.contract_start, end, contract.id))
    return index


def _authors(world: DemoWorld) -> list[tuple[int, int]]:
    rows = db.session.execute(
        select(User.id, User.organisation_id).join(UserRole).where(UserRole.role == Role.CASEWORKER)
    ).all()
    municipality_ids = {m.id for m in world.municipalities}
    return [(user_id, org_id) for user_id, org_id in rows if org_id in municipality_ids]


def _rows(world: DemoWorld, count: int) -> Iterator[tuple[dict, dict[str, int | None]]]:
    rng = world.rng
    contracts = _contract_index()
    authors = _authors(world)
    for _ in range(count):
        placement = demo_experiences.plan_placement(world, rng)
        area_id = world.areas[placement.plan.key].id
        when = date(placement.start[0], placement.start[1], 1)
        contract_id = next(
            (
                cid
                for start, end, cid in contracts.get((placement.unit_id, area_id), [])
                if start <= when <= end
            ),
            None,
        )
        fields = demo_experiences.experience_fields(world, rng, placement, contract_id, None)
        author_id, organisation_id = rng.choice(authors)
        submitted = demo_experiences.submitted_at(rng, placement)
        fields.update(
            organisation_id=organisation_id,
            author_id=author_id,
            status="inskickad",
            submitted_at=submitted,
            created_at=submitted,
            updated_at=submitted,
        )
        yield fields, placement.ratings


def _insert_batch(batch: list[tuple[dict, dict[str, int | None]]], first_id: int) -> list[int]:
    ids = list(range(first_id, first_id + len(batch)))
    for experience_id, (fields, _ratings) in zip(ids, batch, strict=True):
        fields["id"] = experience_id
    _bulk_insert(Experience.__table__, [fields for fields, _ in batch])
    ratings = [
        {"experience_id": experience_id, "theme": theme, "rating": value}
        for experience_id, (_fields, by_theme) in zip(ids, batch, strict=True)
        for theme, value in by_theme.items()
    ]
    _bulk_insert(ExperienceRating.__table__, ratings)
    now = utcnow()
    outbox = [
        {
            "entity": "experience",
            "entity_id": i,
            "operation": "upsert",
            "created_at": now,
            "available_at": now,
            "attempts": 0,
        }
        for i in ids
    ]
    _bulk_insert(SearchOutbox.__table__, outbox)
    return ids


def _bulk_insert(table: Table, rows: list[dict]) -> None:
    """Insert many rows: COPY on PostgreSQL, executemany elsewhere."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    columns = list(rows[0])
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])


def _next_experience_id() -> int:
    return (db.session.scalar(select(func.max(Experience.id))) or 0) + 1


def _advance_id_sequence() -> None:
    """Ids were assigned here for speed; move PostgreSQL's sequence past them."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('experiences', 'id'), (SELECT max(id) FROM experiences))"
            )
        )


def generate_scale(count: int, seed: int = 7) -> int:
    """Insert ``count`` generated experiences in batches; return how many were written."""
    world = _world_from_database(seed)
    if not world.municipalities or not any(world.units_by_area.values()):
        raise RuntimeError("Ladda demodata först: flask kb demo")
    written: list[int] = []
    batch: list[tuple[dict, dict[str, int | None]]] = []
    next_id = _next_experience_id()
    for row in _rows(world, count):
        batch.append(row)
        if len(batch) == BATCH_SIZE:
            written += _insert_batch(batch, next_id + len(written))
            batch = []
    if batch:
        written += _insert_batch(batch, next_id + len(written))
    _advance_id_sequence()
    actor = current_actor()
    db.session.execute(
        insert(AuditRecord),
        [
            {
                "occurred_at": utcnow(),
                "actor_id": actor.user_id,
                "actor_label": actor.label,
                "organisation_id": actor.organisation_id,
                "action": "create",
                "entity": "Experience",
                "entity_id": f"{written[0]}-{written[-1]}" if written else "-",
                "changes": {"bulk_generated": [None, len(written)]},
            }
        ],
    )
    return len(written)


def refresh_statistics() -> None:
    """Refresh the query planner's statistics after a bulk load; call it after the commit.

    Without statistics SQLite drives the insight figures from the wrong index, and PostgreSQL
    also needs VACUUM to mark the new pages all-visible before its covering indexes give
    index-only scans (autovacuum would get there, later). VACUUM cannot run in a transaction,
    so PostgreSQL gets its own autocommit connection.
    """
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
