"""Who is acting: the signed-in user in a request, or a named system actor elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from flask import has_request_context
from flask_login import current_user


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    label: str
    organisation_id: int | None


SYSTEM_ACTOR = Actor(None, "system", None)
_cli_actor: ContextVar[Actor | None] = ContextVar("kb_audit_actor", default=None)
_batch_id: ContextVar[int | None] = ContextVar("kb_audit_batch_id", default=None)


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    """Attribute changes made inside the block to the given actor (CLI, imports, demo)."""
    token = _cli_actor.set(actor)
    try:
        yield
    finally:
        _cli_actor.reset(token)


def current_actor() -> Actor:
    explicit = _cli_actor.get()
    if explicit is not None:
        return explicit
    if has_request_context() and current_user.is_authenticated:
        return Actor(current_user.id, current_user.email, current_user.organisation_id)
    return SYSTEM_ACTOR


@contextmanager
def in_batch(batch_id: int) -> Iterator[None]:
    """Tag audit records written inside the block with an import batch id."""
    token = _batch_id.set(batch_id)
    try:
        yield
    finally:
        _batch_id.reset(token)


def current_batch_id() -> int | None:
    return _batch_id.get()
