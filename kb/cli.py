"""``flask kb ...`` commands."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select
from stdnum.se import orgnr

from kb.admin.services import (
    AdminError,
    OrganisationData,
    UserData,
    save_organisation,
    save_user,
)
from kb.api.cli import token_cli
from kb.audit.context import Actor, acting_as
from kb.audit.report_cli import audit_report_command
from kb.auth.models import Role
from kb.backup.cli import backup_command, restore_command
from kb.exchange.cli import export_cli
from kb.extensions import db
from kb.imports.cli import import_command
from kb.organisations.models import Organisation, OrganisationKind
from kb.retention.cli import retention_command
from kb.search.cli import search_cli

kb_cli = AppGroup("kb", help="Kunskapsbanken: demodata och administration.")
for command in (
    search_cli,
    import_command,
    export_cli,
    token_cli,
    backup_command,
    restore_command,
    retention_command,
    audit_report_command,
):
    kb_cli.add_command(command)
CLI_ACTOR = Actor(None, "cli", None)


@kb_cli.command("demo")
@click.option("--scale", type=int, default=0, help="Generate N extra experiences for benchmarks.")
def demo_command(scale: int) -> None:
    """Load the fictional demo data set when the database is empty."""
    from kb.demo.loader import (
        DEMO_PASSWORD,
        demo_logins,
        generate_scale,
        load_demo,
        refresh_statistics,
    )

    current_app.config["SEARCH_SYNC"] = "off"  # a short-lived process: `kb search drain` indexes
    with acting_as(Actor(None, "demo", None)):
        loaded = load_demo()
        db.session.commit()
        click.echo(
            "Demodata laddad." if loaded else "Databasen har redan data; demodata laddas inte igen."
        )
        if scale > 0:
            started = time.perf_counter()
            generate_scale(scale)
            db.session.commit()
            elapsed = time.perf_counter() - started
            click.echo(
                f"{scale} erfarenheter skapade på {elapsed:.1f} s ({scale / elapsed:,.0f}/s)."
            )
            refresh_statistics()
    click.echo(f"\nDemoinloggningar (lösenord för alla: {DEMO_PASSWORD}):")
    for role, email in demo_logins():
        click.echo(f"  {role:<40} {email}")


@kb_cli.command("create-organisation")
@click.argument("name")
@click.option("--kind", type=click.Choice([k.value for k in OrganisationKind]), default="kommun")
@click.option("--org-number", default=None, help="Organisationsnummer, t.ex. 212000-0142.")
@click.option("--member-of", default=None, help="Namnet på intermediären organisationen tillhör.")
def create_organisation_command(
    name: str, kind: str, org_number: str | None, member_of: str | None
) -> None:
    """Create an organisation, e.g. the first one of a new installation."""
    parent_id = None
    if member_of:
        parent_id = db.session.scalar(select(Organisation.id).where(Organisation.name == member_of))
        if parent_id is None:
            raise click.ClickException(f"Organisationen {member_of!r} finns inte.")
    if org_number and not orgnr.is_valid(org_number):
        raise click.ClickException("Organisationsnumret är inte giltigt.")
    data = OrganisationData(name, OrganisationKind(kind), org_number, parent_id)
    try:
        with acting_as(CLI_ACTOR):
            save_organisation(data)
            db.session.commit()
    except AdminError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Organisationen {name} är skapad.")


@kb_cli.command("create-user")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--organisation", "organisation_name", required=True)
@click.option("--role", "roles", multiple=True, type=click.Choice([r.value for r in Role]))
@click.password_option()
def create_user_command(
    email: str, name: str, organisation_name: str, roles: tuple[str, ...], password: str
) -> None:
    """Create an account, e.g. the first administrator of a new installation."""
    organisation = db.session.scalar(
        select(Organisation).where(Organisation.name == organisation_name)
    )
    if organisation is None:
        raise click.ClickException(f"Organisationen {organisation_name!r} finns inte.")
    data = UserData(
        name, email, organisation.id, {Role(r) for r in roles} or {Role.ADMIN}, True, password
    )
    try:
        with acting_as(CLI_ACTOR):
            save_user(data)
            db.session.commit()
    except AdminError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Kontot {email} är skapat.")
