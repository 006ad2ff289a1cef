"""Drain the search outbox into the index: nothing is lost, nothing is applied twice for long.

Rows are written in the same transaction as the change (kb.audit.recorder). A drain reads a
batch, applies it to the index (one index commit per operation kind), and deletes the rows
only after the index has committed. If the drain dies part-way, the rows are still there and
the next drain applies them again; upserts and deletes are idempotent, so that is safe. On
PostgreSQL several drainers may run at once: ``FOR UPDATE SKIP LOCKED`` gives each its own rows.

A failed batch stays queued with its attempts and a readable reason, and is retried after a
back-off. An index that is missing or unreadable (SearchIndexDamagedError) is rebuilt from the
database by the drain itself rather than started afresh with only the batch in it; so is one
the search page found damaged, which queues a rebuild request (``request_rebuild``) for
whichever process drains.
"""

from __future__ import annotations

import errno
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select

from kb.database import utcnow
from kb.extensions import db
from kb.search.backend import SearchBackend, SearchIndexDamagedError, SearchUnavailableError
from kb.search.documents import SOURCES, SearchDocument, all_ids, load_documents
from kb.search.models import SearchOutbox

BATCH_SIZE = 500
MAX_BACKOFF = timedelta(minutes=10)
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
REBUILD_ENTITY = "index"  # an outbox row of this entity asks for a rebuild of the whole index
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DrainResult:
    applied: int
    failed: int = 0
    error: str | None = None
    rebuilt: bool = False


def database_documents() -> Iterator[SearchDocument]:
    """Every searchable row as a document, read in batches: what a rebuild indexes."""
    for kind in SOURCES:
        ids = list(all_ids(kind))
        for start in range(0, len(ids), BATCH_SIZE):
            yield from load_documents(kind, ids[start : start + BATCH_SIZE])


def describe(error: Exception) -> str:
    """Why a batch failed, for the outbox row, the log and the operator."""
    if isinstance(error, SearchUnavailableError):
        return str(error)
    if isinstance(error, OSError) and error.errno in DISK_FULL:
        return (
            f"Disken är full, sökindexet kunde inte skrivas ({error.strerror}). Frigör "
            "utrymme; ändringen ligger kvar i kön och görs vid nästa försök."
        )
    return f"{type(error).__name__}: {error}"


def _claim(batch_size: int) -> list[SearchOutbox]:
    statement = (
        select(SearchOutbox)
        .where(SearchOutbox.available_at <= utcnow())
        .order_by(SearchOutbox.id)
        .limit(batch_size)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    return list(db.session.scalars(statement))


def _plan(rows: list[SearchOutbox]) -> tuple[dict[str, set[int]], list[str]]:
    """The last operation per document wins; unknown kinds are dropped."""
    latest: dict[tuple[str, int], str] = {}
    for row in rows:
        if row.entity in SOURCES:
            latest[(row.entity, row.entity_id)] = row.operation
    upserts: dict[str, set[int]] = defaultdict(set)
    deletes: list[str] = []
    for (kind, entity_id), operation in latest.items():
        if operation == "delete":
            deletes.append(f"{kind}:{entity_id}")
        else:
            upserts[kind].add(entity_id)
    return upserts, deletes


def _apply(backend: SearchBackend, rows: list[SearchOutbox]) -> None:
    upserts, deletes = _plan(rows)
    documents = []
    for kind, ids in upserts.items():
        found = load_documents(kind, ids)
        documents += found
        present = {document.entity_id for document in found}
        deletes += [f"{kind}:{missing}" for missing in ids - present]  # gone since queued
    if deletes:
        backend.delete(deletes)
    if documents:
        backend.upsert(documents)


def request_rebuild() -> None:
    """Queue a rebuild of the whole index, unless one is queued already; flushes."""
    pending = db.session.scalar(
        select(SearchOutbox.id).where(SearchOutbox.entity == REBUILD_ENTITY).limit(1)
    )
    if pending is None:
        db.session.add(SearchOutbox(entity=REBUILD_ENTITY, entity_id=0, operation="rebuild"))
        db.session.flush()


def _postpone(row_ids: list[int], reason: str) -> None:
    for row in db.session.scalars(select(SearchOutbox).where(SearchOutbox.id.in_(row_ids))):
        row.attempts += 1
        row.last_error = reason[:1000]
        row.available_at = utcnow() + min(MAX_BACKOFF, timedelta(seconds=2**row.attempts))


def _rebuild(backend: SearchBackend, reason: str) -> None:
    log.warning("%s Sökindexet byggs om från databasen.", reason)
    count = backend.rebuild(database_documents())
    log.warning("Sökindexet är ombyggt: %d dokument.", count)


def _apply_or_rebuild(backend: SearchBackend, rows: list[SearchOutbox]) -> bool:
    """Apply the rows; if the index is missing or unreadable, or a rebuild was asked for,
    rebuild it from the database instead, which holds the rows' changes too (they were
    committed before they were read). Returns whether it rebuilt."""
    if any(row.entity == REBUILD_ENTITY for row in rows):
        _rebuild(backend, "Sökindexet skulle byggas om.")
        return True
    try:
        _apply(backend, rows)
    except SearchIndexDamagedError as damaged:
        _rebuild(backend, str(damaged))
        return True
    return False


def drain_once(backend: SearchBackend, batch_size: int = BATCH_SIZE) -> DrainResult:
    """Apply one batch; commit the database. Failures stay in the outbox for a later retry."""
    rows = _claim(batch_size)
    if not rows:
        db.session.rollback()
        return DrainResult(0)
    row_ids = [row.id for row in rows]
    try:
        rebuilt = _apply_or_rebuild(backend, rows)
    except Exception as error:  # any index failure must leave the rows queued
        reason = describe(error)
        log.warning("%d indexändringar ligger kvar i kön: %s", len(row_ids), reason)
        db.session.rollback()
        _postpone(row_ids, reason)
        db.session.commit()
        return DrainResult(0, failed=len(row_ids), error=reason)
    db.session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(row_ids)))
    db.session.commit()
    return DrainResult(len(row_ids), rebuilt=rebuilt)


def drain(
    backend: SearchBackend, batch_size: int = BATCH_SIZE, max_batches: int = 1000
) -> DrainResult:
    """Drain until the outbox is empty, a batch fails, or max_batches is reached."""
    applied, rebuilt = 0, False
    for _ in range(max_batches):
        result = drain_once(backend, batch_size)
        applied, rebuilt = applied + result.applied, rebuilt or result.rebuilt
        if result.error is not None:
            return DrainResult(applied, result.failed, result.error, rebuilt)
        if result.applied == 0:
            break
    return DrainResult(applied, rebuilt=rebuilt)
