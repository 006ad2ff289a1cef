"""Remember the dashboard's heavy aggregates until the data changes.

Every create, update and delete of a domain object writes an audit record in the same
transaction (DESIGN §6), so the highest audit record id is a cheap, exact change marker: one
primary-key lookup. Aggregates are kept per app under (that marker, the caller's key) and at
most MAX_AGE seconds, which also bounds the one race the marker misses (a transaction with a
lower audit id committing after a higher one was read). Only plain values are cached, never
ORM rows, and only what depends on the key: the viewer's network and readable organisations
belong in it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app
from sqlalchemy import func, select

from kb.audit.models import AuditRecord
from kb.extensions import db

T = TypeVar("T")
MAX_AGE = 300.0
MAX_ENTRIES = 256
_EXTENSION = "kb.insight.learning_cache"


def change_marker() -> int:
    """The id of the newest audit record: it grows with every change to the data."""
    return db.session.scalar(select(func.max(AuditRecord.id))) or 0


def cached(key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """Return compute(), or the value kept for this key since the last change to the data."""
    store: dict[tuple[Hashable, ...], tuple[float, object]] = current_app.extensions.setdefault(
        _EXTENSION, {}
    )
    full_key = (change_marker(), *key)
    now = time.monotonic()
    kept = store.get(full_key)
    if kept is not None and now - kept[0] < MAX_AGE:
        return kept[1]  # type: ignore[return-value]
    value = compute()
    if len(store) >= MAX_ENTRIES:
        store.clear()
    store[full_key] = (now, value)
    return value


def forget_all() -> None:
    """Drop every kept aggregate (the bench measures the uncached cost with this)."""
    current_app.extensions.pop(_EXTENSION, None)
