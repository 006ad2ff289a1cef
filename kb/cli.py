"""``flask kb ...`` commands."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup
from sqlalchemy import select

from kb.admin.services import AdminError, UserData, save_user
from kb.audit.context import Actor, acting_as
from kb.auth.models import Role
from kb.extensions import db
from kb.organisations.models import Organisation

kb_cli = AppGroup("kb", help="Kunskapsbanken: demodata och administration.")
CLI_ACTOR = Actor(None, "cli", None)


@kb_cli.command("demo")
@click.option("--scale", type=int, default=0, help="Generate N extra experiences for benchmarks.")
def demo_command(scale: int) -> None:
    """Load the fictional demo data set when the database is empty."""
    from kb.demo.loader import DEMO_PASSWORD, demo_logins, generate_scale, load_demo

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
    click.echo(f"\nDemoinloggningar (lösenord för alla: {DEMO_PASSWORD}):")
    for role, email in demo_logins():
        click.echo(f"  {role:<40} {email}")


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
