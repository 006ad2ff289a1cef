"""``flask kb export ocds [OUT]`` and ``flask kb export all DIR``."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import select

from kb.exchange.everything import ExchangeError, export_all, import_all
from kb.exchange.ocds import release_package, settings_for
from kb.extensions import db
from kb.imports.cli import ProgressBar
from kb.tenders.models import TenderRound

export_cli = click.Group("export", help="Exportera data.")


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@export_cli.command("ocds")
@click.argument("out", type=click.Path(path_type=Path), default=Path("ocds"))
@click.option(
    "--base-url", default=None, help="Adressen där API:t nås, t.ex. https://kb.example.se."
)
@with_appcontext
def export_ocds_command(out: Path, base_url: str | None) -> None:
    """Write every tender round as OCDS 1.1.

    OUT ending in .json: one release package with every round. Otherwise a directory with one
    package per round, tender-round-<id>.json.
    """
    settings = settings_for(current_app, base_url)
    rounds = db.session.scalars(select(TenderRound).order_by(TenderRound.id)).all()
    if out.suffix == ".json":
        out.parent.mkdir(parents=True, exist_ok=True)
        _write_json(out, release_package(rounds, settings, f"{settings.base_url}/ocds/{out.name}"))
        click.echo(
            _("%(count)d upphandlingsomgångar skrivna till %(out)s.", count=len(rounds), out=out)
        )
        return
    out.mkdir(parents=True, exist_ok=True)
    for tender_round in rounds:
        uri = settings.round_uri(tender_round.id)
        _write_json(
            out / f"tender-round-{tender_round.id}.json",
            release_package([tender_round], settings, uri),
        )
    click.echo(
        _("%(count)d upphandlingsomgångar skrivna till %(out)s.", count=len(rounds), out=out)
    )


@export_cli.command("all")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export_all_command(directory: Path) -> None:
    """Write every table as JSON Lines plus manifest.json to DIRECTORY."""
    if directory.exists() and any(directory.iterdir()):
        raise click.ClickException(
            _("%(directory)s är inte tom. Välj en ny eller tom katalog.", directory=directory)
        )
    progress = ProgressBar()
    try:
        counts = export_all(directory, progress)
    except ExchangeError as error:
        raise click.ClickException(str(error)) from error
    finally:
        progress.finish()
    click.echo(
        _(
            "%(rows)d rader i %(tables)d tabeller skrivna till %(directory)s.",
            rows=sum(counts.values()),
            tables=len(counts),
            directory=directory,
        )
    )


def import_directory(directory: Path) -> None:
    """``flask kb import all DIR``: load an export into the empty database, with progress."""
    progress = ProgressBar()
    try:
        counts = import_all(directory, progress)
    except ExchangeError as error:
        raise click.ClickException(str(error)) from error
    finally:
        progress.finish()
    click.echo(
        _(
            "%(rows)d rader i %(tables)d tabeller importerade från %(directory)s. "
            "Sökindexet är ombyggt.",
            rows=sum(counts.values()),
            tables=len(counts),
            directory=directory,
        )
    )
