"""``flask kb import KIND FILE``: import suppliers, units, tender rounds, contracts or
experiences from CSV, XLSX or JSON Lines, with a progress bar; ``KIND all`` reads a directory
written by ``flask kb export all``.

Experiences belong to an organisation and have an author: ``--as EMAIL`` names the user the
import is made as (the author, unless the file's forfattare_epost column says otherwise, and
who the audit trail shows), and ``--organisation`` (name, organisation number or id) the
owner; it defaults to that user's organisation.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from kb.audit.context import Actor, acting_as
from kb.auth.models import User
from kb.extensions import db
from kb.imports.columns import KINDS
from kb.imports.services import ImportRequest, ImportResult, run_import
from kb.organisations.models import Organisation

STAGE_LABELS = {"parse": "Läser rader   ", "validate": "Kontrollerar  ", "write": "Skriver       "}
KIND_CHOICES = [*KINDS, "tender-rounds", "all"]


class ProgressBar:
    """One click progress bar per stage, on stderr so output stays clean."""

    def __init__(self) -> None:
        self.bar: Any = None

    def start(self, stage: str, total: int) -> None:
        self.finish()
        if stage in STAGE_LABELS and total:
            self.bar = click.progressbar(
                length=total, label=STAGE_LABELS[stage], file=sys.stderr, show_pos=True
            )
            self.bar.__enter__()

    def advance(self, count: int) -> None:
        if self.bar is not None and count:
            self.bar.update(count)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _user(email: str | None) -> User | None:
    if not email:
        return None
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if user is None:
        raise click.ClickException(_("Ingen användare har e-postadressen %(e)s.", e=email))
    return user


def _organisation(text: str | None, user: User | None) -> int | None:
    if not text:
        return user.organisation_id if user else None
    conditions = [Organisation.name == text, Organisation.org_number == text]
    if text.isdigit():
        conditions.append(Organisation.id == int(text))
    found = db.session.scalar(select(Organisation.id).where(or_(*conditions)))
    if found is None:
        raise click.ClickException(_("Okänd organisation: %(o)s.", o=text))
    return found


def _report(result: ImportResult) -> None:
    for warning in result.warnings:
        click.echo(_("Varning, %(p)s", p=warning.as_text()), err=True)
    if result.problems:
        for problem in result.problems:
            click.echo(problem.as_text(), err=True)
        raise click.ClickException(
            _("%(n)d fel – ingenting har importerats.", n=len(result.problems))
        )
    if result.dry_run:
        click.echo(
            _("%(n)d rader kontrollerade utan fel (provkörning, inget sparat).", n=result.row_count)
        )
        return
    click.echo(
        _(
            "Import %(id)d: %(rows)d rader, %(c)d nya, %(u)d ändrade, %(s)d oförändrade. "
            "Sökindexet uppdateras efteråt (flask kb search drain gör det direkt).",
            id=result.batch_id,
            rows=result.row_count,
            c=result.created,
            u=result.updated,
            s=result.unchanged,
        )
    )


def _import_all(directory: Path) -> None:
    from kb.exchange.cli import import_directory  # progress bar, Swedish errors, summary

    if not directory.is_dir():
        raise click.ClickException(
            _("För KIND all ska FILE vara en mapp från flask kb export all.")
        )
    import_directory(directory)


@click.command("import")
@click.argument("kind", type=click.Choice(KIND_CHOICES, case_sensitive=False))
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Kontrollera bara; skriv ingenting.")
@click.option("--organisation", help="Ägande organisation (namn, organisationsnummer eller id).")
@click.option("--as", "email", help="Importera som denna användare (e-post).")
@with_appcontext
def import_command(
    kind: str, file: Path, dry_run: bool, organisation: str | None, email: str | None
) -> None:
    """Importera KIND (suppliers, units, tender_rounds, contracts, experiences) från FILE."""
    if kind == "all":
        with acting_as(Actor(None, "import", None)):
            _import_all(file)
        return
    progress = ProgressBar()
    if file.is_dir():
        raise click.ClickException(_("FILE ska vara en fil, inte en mapp."))
    user = _user(email)
    actor = (
        Actor(user.id, user.email, user.organisation_id) if user else Actor(None, "import", None)
    )
    request = ImportRequest(
        kind, file, file.name, _organisation(organisation, user), user.id if user else None, dry_run
    )
    with acting_as(actor):
        result = run_import(request, progress)
        progress.finish()
        if result.batch_id is not None:
            db.session.commit()
        else:
            db.session.rollback()
    _report(result)
