"""Keep the index in step: drain the outbox after every commit that queued index work.

``SEARCH_SYNC`` chooses how: ``thread`` (default) wakes one background drainer per process,
``sync`` drains before the commit returns (tests), ``off`` leaves it to
``flask kb search drain`` or ``flask kb search worker``. Work that is queued but not drained
(a crash, a lock held by another process) stays in the outbox and is picked up later.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from kb.search.outbox import drain
from kb.search.service import backend_for

PENDING = "kb_search_pending"
RETRY_SECONDS = 30.0
log = logging.getLogger(__name__)


def mark_pending(session: Session) -> None:
    session.info[PENDING] = True


class BackgroundDrainer:
    """One daemon thread per application that drains when woken, and every RETRY_SECONDS."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wake = threading.Event()
        self.thread = threading.Thread(target=self._run, name="kb-search-drain", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            self.wake.wait(RETRY_SECONDS)
            self.wake.clear()
            drain_now(self.app)


def drain_now(app: Flask) -> None:
    """Drain; a failed batch is logged by the drain and stays queued for a retry."""
    with app.app_context():
        try:
            drain(backend_for(app))
        except Exception:  # the drainer must survive anything; rows stay in the outbox
            log.exception("search drain crashed; rows stay in the outbox")


def wake_drainer(app: Flask) -> None:
    """Start (once) and wake the background drainer, e.g. when someone searches."""
    if app.config.get("SEARCH_SYNC", "thread") != "thread":
        return
    drainer = app.extensions.get("kb_search_drainer")
    if drainer is None:
        drainer = app.extensions["kb_search_drainer"] = BackgroundDrainer(app)
    drainer.wake.set()


def _after_commit(session: Session) -> None:
    if not session.info.pop(PENDING, False):
        return
    from flask import current_app, has_app_context

    if not has_app_context():
        return
    app = current_app._get_current_object()
    mode = app.config.get("SEARCH_SYNC", "thread")
    if mode == "sync":
        drain_now(app)
    elif mode == "thread":
        wake_drainer(app)


def _after_rollback(session: Session, previous_transaction: object) -> None:
    session.info.pop(PENDING, None)


def install() -> None:
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)
