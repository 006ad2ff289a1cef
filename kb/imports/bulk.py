"""Insert new experiences in bulk, with exactly the audit and outbox rows a flush would write.

The ORM flush costs some milliseconds per experience with its nine ratings; a 100,000-row
import would take many minutes. New rows are therefore inserted with executemany, in the same
transaction, and for each row the audit records (one per experience and per rating, with the
batch id) and the search-outbox row that kb.audit.recorder writes for a flush. Rows that
already exist go through the ORM, so their before-values are logged as usual.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from kb.audit.context import current_actor, current_batch_id
from kb.audit.models import AuditRecord
from kb.audit.recorder import to_json_value
from kb.database import utcnow
from kb.experiences.models import Experience, ExperienceRating, ExperienceStatus
from kb.experiences.validation import NARRATIVE_FIELDS, ExperienceInput
from kb.extensions import db
from kb.imports.base import ImportContext, chunks
from kb.imports.rows import ParsedRow
from kb.markdown import render_markdown
from kb.search.models import SearchOutbox
from kb.search.sync import mark_pending

CHUNK = 2000
COPIED = (
    "unit_id",
    "agreement_area_id",
    "placement_kind",
    "legal_basis",
    "age_band",
    "end_reason",
    "goal_attainment",
    "daily_price",
    "extra_cost_claims",
    "invoicing_problems",
    "would_place_again",
)


def experience_columns(row: ParsedRow, context: ImportContext) -> dict[str, Any]:
    """The column values the form's apply_input would set, for a new experience."""
    data: ExperienceInput = row.resolved["input"]  # type: ignore[assignment]
    values: dict[str, Any] = {name: getattr(data, name) for name in COPIED}
    status = row.values.get("status", ExperienceStatus.SUBMITTED)
    values.update(
        organisation_id=context.organisation_id,
        author_id=row.resolved["author_id"],
        submission_key=data.submission_key,
        contract_id=None if data.off_contract else data.contract_id,
        off_contract=data.off_contract,
        off_contract_reason=data.off_contract_reason if data.off_contract else None,
        start_year=data.start.year if data.start else None,
        start_month=data.start.month if data.start else None,
        end_year=data.end.year if data.end else None,
        end_month=data.end.month if data.end else None,
        status=status,
        submitted_at=context.now if status == ExperienceStatus.SUBMITTED else None,
    )
    for name in NARRATIVE_FIELDS:
        text = getattr(data, name).strip()
        values[name] = text
        values[name.replace("_md", "_html")] = render_markdown(text)
    return values


def insert_experiences(rows: list[ParsedRow], context: ImportContext) -> None:
    """Insert the rows as new experiences, chunk by chunk, reporting progress."""
    for part in chunks(rows, CHUNK):
        columns = [experience_columns(row, context) for row in part]
        ids = db.session.scalars(
            insert(Experience.__table__).returning(
                Experience.__table__.c.id, sort_by_parameter_order=True
            ),
            columns,
        ).all()
        ratings = [
            {"experience_id": new_id, "theme": theme, "rating": value}
            for new_id, row in zip(ids, part, strict=True)
            for theme, value in row.resolved["input"].ratings.items()  # type: ignore[attr-defined]
        ]
        if ratings:
            db.session.execute(insert(ExperienceRating.__table__), ratings)
        _log(ids, columns, ratings)
        context.created += len(part)
        context.progress.advance(len(part))
    mark_pending(db.session)


def _log(ids: list[int], columns: list[dict[str, Any]], ratings: list[dict[str, Any]]) -> None:
    actor, batch_id, now = current_actor(), current_batch_id(), utcnow()

    def record(entity: str, entity_id: str, values: dict[str, Any]) -> dict[str, Any]:
        return {
            "occurred_at": now,
            "actor_id": actor.user_id,
            "actor_label": actor.label,
            "organisation_id": actor.organisation_id,
            "action": "create",
            "entity": entity,
            "entity_id": entity_id,
            "changes": {key: [None, to_json_value(value)] for key, value in values.items()},
            "batch_id": batch_id,
        }

    audit = [
        record("Experience", str(new_id), {"id": new_id, **_logged(values)})
        for new_id, values in zip(ids, columns, strict=True)
    ]
    audit += [
        record("ExperienceRating", f"{r['experience_id']}:{r['theme'].value}", r) for r in ratings
    ]
    db.session.execute(insert(AuditRecord.__table__), audit)
    outbox = [
        {
            "entity": "experience",
            "entity_id": new_id,
            "operation": "upsert",
            "created_at": now,
            "available_at": now,
            "attempts": 0,
        }
        for new_id in ids
    ]
    db.session.execute(insert(SearchOutbox.__table__), outbox)


def _logged(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if not key.endswith("_html")}
