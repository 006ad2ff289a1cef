"""``flask kb backup FILE`` and ``flask kb restore FILE [--force]``."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

import click
from flask.cli import with_appcontext

from kb.backup.operations import ENGINE_LABELS, make_backup, restore_backup
from kb.backup.services import BackupError, human_size
from kb.extensions import db
from kb.search.cli import check_command, rebuild_command

Result = TypeVar("Result")
FILE = click.Path(dir_okay=False, path_type=Path)


class BackupFailed(click.ClickException):
    """A failure shown as 'Fel: …' (Swedish) with exit status 1."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Fel: {self.format_message()}", err=True, file=file)


def _attempt(operation: Callable[..., Result], *arguments: Any) -> Result:
    try:
        return operation(*arguments)
    except BackupError as error:
        raise BackupFailed(str(error)) from error


@click.command("backup")
@click.argument("file", type=FILE)
@with_appcontext
def backup_command(file: Path) -> None:
    """Säkerhetskopiera databasen till FILE medan appen körs."""
    started = time.perf_counter()
    summary = _attempt(make_backup, db.engine, file)
    seconds = f"{time.perf_counter() - started:.1f}".replace(".", ",")
    click.echo(
        f"Säkerhetskopian är klar: {summary.path} ({human_size(summary.size)}, {seconds} s)."
    )
    revision = summary.revision or "okänd (ingen alembic_version i databasen)"
    click.echo(f"Databas: {ENGINE_LABELS[summary.backend]}. Schemaversion: {revision}.")
    for line in summary.details:
        click.echo(line)


@click.command("restore")
@click.argument("file", type=FILE)
@click.option("--force", is_flag=True, help="Skriv över en databas som redan har innehåll.")
@click.pass_context
@with_appcontext
def restore_command(context: click.Context, file: Path, force: bool) -> None:
    """Återställ säkerhetskopian FILE till den konfigurerade databasen och bygg om sökindexet."""
    db.session.remove()
    outcome = _attempt(restore_backup, db.engine, file, force)
    db.session.remove()
    click.echo(outcome.message)
    click.echo(outcome.revision.note)
    if not outcome.revision.current:
        click.echo("Sökindexet byggs om först när schemat är uppgraderat (se ovan).")
        return
    click.echo("Bygger om sökindexet från den återställda databasen …")
    context.invoke(rebuild_command)
    context.invoke(check_command)
