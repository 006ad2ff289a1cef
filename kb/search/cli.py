"""``flask kb search rebuild | drain | check | worker``."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from kb.extensions import db
from kb.search.backend import SearchUnavailableError
from kb.search.documents import SOURCES, all_ids, load_documents
from kb.search.outbox import drain
from kb.search.service import backend_for

search_cli = AppGroup("search", help="Sökindexet: bygg om, töm kön, jämför och kör arbetare.")
CHUNK = 500


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
    count = backend_for(current_app).rebuild(_all_documents(progress=True))
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
    """Compare the index with the database and report any difference."""
    expected = {f"{kind}:{entity_id}" for kind in SOURCES for entity_id in all_ids(kind)}
    try:
        stored = backend_for(current_app).stored_keys()
    except SearchUnavailableError as error:
        raise click.ClickException(f"{error} Kör: flask kb search rebuild") from error
    missing, extra = sorted(expected - stored), sorted(stored - expected)
    click.echo(f"Databasen: {len(expected)} dokument. Indexet: {len(stored)} dokument.")
    if missing or extra:
        click.echo(f"Saknas i indexet: {len(missing)} {missing[:10]}")
        click.echo(f"Finns bara i indexet: {len(extra)} {extra[:10]}")
        raise click.ClickException(
            "Indexet skiljer sig från databasen. Kör: flask kb search rebuild"
        )
    click.echo("Indexet stämmer med databasen.")


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
