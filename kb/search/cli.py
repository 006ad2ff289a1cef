"""``flask kb search rebuild | drain | check | worker``.

``check`` records its outcome in consistency_checks for the auditor's report
(kb.audit.report): one "search_index" row (documents missing from or extra in the index, and
stale ones, whose index entry waits for queued work) and one "search_outbox" row (pending
work, the oldest's age, failed attempts and the last error).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from kb.database import utcnow
from kb.extensions import db
from kb.search.backend import SearchUnavailableError
from kb.search.documents import SOURCES, all_ids, load_documents
from kb.search.models import ConsistencyCheck, SearchOutbox
from kb.search.outbox import drain
from kb.search.service import backend_for

search_cli = AppGroup("search", help="Sökindexet: bygg om, töm kön, jämför och kör arbetare.")
CHUNK = 500
INDEX_CHECK, OUTBOX_CHECK = "search_index", "search_outbox"
# Queued work older than this means no drainer is keeping up (a worker down, a lock held).
OUTBOX_MAX_AGE = timedelta(minutes=15)
EXAMPLES = 10


@dataclass(frozen=True)
class IndexCheck:
    database: int
    index: int | None  # None: the index could not be read
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.missing and not self.extra

    def summary(self) -> dict:
        return {
            "database": self.database,
            "index": self.index,
            "missing": len(self.missing),
            "extra": len(self.extra),
            "stale": len(self.stale),
            "missing_examples": self.missing[:EXAMPLES],
            "extra_examples": self.extra[:EXAMPLES],
            "error": self.error,
        }


@dataclass(frozen=True)
class OutboxCheck:
    pending: int
    oldest_age_seconds: int | None
    failed: int
    last_error: str | None

    @property
    def ok(self) -> bool:
        too_old = (self.oldest_age_seconds or 0) > OUTBOX_MAX_AGE.total_seconds()
        return self.failed == 0 and not too_old

    def summary(self) -> dict:
        return asdict(self)


def check_index() -> IndexCheck:
    """Compare the index's documents with the database's searchable rows."""
    expected = {f"{kind}:{entity_id}" for kind in SOURCES for entity_id in all_ids(kind)}
    try:
        stored = backend_for(current_app).stored_keys()
    except SearchUnavailableError as error:
        return IndexCheck(len(expected), None, error=str(error))
    queued = {
        f"{entity}:{entity_id}"
        for entity, entity_id in db.session.execute(
            select(SearchOutbox.entity, SearchOutbox.entity_id).distinct()
        )
    }
    return IndexCheck(
        len(expected),
        len(stored),
        missing=sorted(expected - stored),
        extra=sorted(stored - expected),
        stale=sorted(expected & stored & queued),
    )


def check_outbox(now: datetime) -> OutboxCheck:
    """How much index work is queued, how old the oldest is, and what failed last."""
    pending, oldest = db.session.execute(
        select(func.count(SearchOutbox.id), func.min(SearchOutbox.created_at))
    ).one()
    failed = db.session.scalar(select(func.count(SearchOutbox.id)).where(SearchOutbox.attempts > 0))
    last_error = db.session.scalar(
        select(SearchOutbox.last_error)
        .where(SearchOutbox.attempts > 0)
        .order_by(SearchOutbox.available_at.desc(), SearchOutbox.id.desc())
        .limit(1)
    )
    age = None if oldest is None else max(0, int((now - oldest).total_seconds()))
    return OutboxCheck(pending, age, failed or 0, last_error[:300] if last_error else None)


def run_checks(now: datetime) -> tuple[IndexCheck, OutboxCheck]:
    """Run both checks and record them (flushed; the caller commits)."""
    outbox, index = check_outbox(now), check_index()
    for kind, check in ((INDEX_CHECK, index), (OUTBOX_CHECK, outbox)):
        summary = json.dumps(check.summary(), ensure_ascii=False)
        db.session.add(ConsistencyCheck(kind=kind, ran_at=now, ok=check.ok, summary=summary))
    db.session.flush()
    return index, outbox


def _echo_outbox(outbox: OutboxCheck) -> None:
    age = "–" if outbox.oldest_age_seconds is None else f"{outbox.oldest_age_seconds} s"
    click.echo(
        f"Sökkön: {outbox.pending} väntande (äldsta {age}), {outbox.failed} med misslyckade"
        " försök." + (f" Senaste fel: {outbox.last_error}" if outbox.last_error else "")
    )


def _all_documents(progress: bool):  # type: ignore[no-untyped-def]
    keys = [(kind, entity_id) for kind in SOURCES for entity_id in all_ids(kind)]
    with click.progressbar(length=len(keys), label="Läser dokument", hidden=not progress) as bar:
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            for kind in {kind for kind, _ in chunk}:
                yield from load_documents(kind, [i for k, i in chunk if k == kind])
            bar.update(len(chunk))


@search_cli.command("rebuild")
def rebuild_command() -> None:
    """Rebuild the whole index from the database."""
    started = time.perf_counter()
    try:
        count = backend_for(current_app).rebuild(_all_documents(progress=True))
    except SearchUnavailableError as error:  # e.g. another process holds the index's lock
        raise click.ClickException(f"Indexet kunde inte byggas om: {error}") from error
    seconds = time.perf_counter() - started
    click.echo(
        f"{count} dokument indexerade på {seconds:.1f} s ({count / max(seconds, 1e-9):,.0f}/s)."
    )


@search_cli.command("drain")
def drain_command() -> None:
    """Apply all queued index work now."""
    result = drain(backend_for(current_app))
    click.echo(f"{result.applied} ändringar tillämpade.")
    if result.error:
        raise click.ClickException(f"{result.failed} ändringar ligger kvar i kön: {result.error}")


@search_cli.command("check")
def check_command() -> None:
    """Compare the index with the database and report any difference; record the outcome."""
    index, outbox = run_checks(utcnow())
    db.session.commit()
    if index.error is not None:
        _echo_outbox(outbox)
        raise click.ClickException(f"{index.error} Kör: flask kb search rebuild")
    click.echo(f"Databasen: {index.database} dokument. Indexet: {index.index} dokument.")
    if index.missing or index.extra:
        click.echo(f"Saknas i indexet: {len(index.missing)} {index.missing[:EXAMPLES]}")
        click.echo(f"Finns bara i indexet: {len(index.extra)} {index.extra[:EXAMPLES]}")
        _echo_outbox(outbox)
        raise click.ClickException(
            "Indexet skiljer sig från databasen. Kör: flask kb search rebuild"
        )
    click.echo("Indexet stämmer med databasen.")
    if index.stale:
        click.echo(f"Väntar på omindexering (i kön): {len(index.stale)} {index.stale[:EXAMPLES]}")
    _echo_outbox(outbox)


@search_cli.command("worker")
@click.option("--interval", default=1.0, help="Sekunder mellan försök när kön är tom.")
def worker_command(interval: float) -> None:
    """Drain continuously: the single writer for deployments with several app workers."""
    backend = backend_for(current_app)
    click.echo("Sökarbetaren körs. Avsluta med Ctrl+C.")
    while True:
        result = drain(backend)
        db.session.remove()
        if result.applied == 0 or result.error:
            time.sleep(interval)
