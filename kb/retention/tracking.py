"""A narrative written again after retention is a narrative again.

When the author edits a handled experience's free text, or an import updates it, the mark
narrative_removed_at is cleared in the same flush: the page and the API show the new text,
and the next retention run handles it again (its age still counts from the placement). The
retention run itself sets the mark in the flush that changes the text, and is left alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from kb.experiences.models import Experience
from kb.retention.rule import NARRATIVE_FIELDS


def _new_text(experience: Experience) -> bool:
    state = inspect(experience)
    if state.attrs.narrative_removed_at.history.has_changes():
        return False  # the retention run (or whoever sets the mark) is writing it
    return any(
        state.attrs[name].history.has_changes() and getattr(experience, name)
        for name in NARRATIVE_FIELDS
    )


def _clear_marks(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in session.dirty:
        handled = isinstance(obj, Experience) and obj.narrative_removed_at is not None
        if handled and _new_text(obj):
            obj.narrative_removed_at = None


def install() -> None:
    if not event.contains(Session, "before_flush", _clear_marks):
        event.listen(Session, "before_flush", _clear_marks)
