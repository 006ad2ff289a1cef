"""``flask kb token create|list|revoke``: an admin manages a user's personal API tokens."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from kb.api.tokens import (
    MAX_EXPIRY_DAYS,
    READ,
    WRITE,
    create_token,
    is_usable,
    revoke_token,
    token_of_user,
    tokens_of_user,
)
from kb.audit.context import Actor, acting_as
from kb.auth.models import User
from kb.auth.services import find_user_by_email
from kb.database import utcnow
from kb.extensions import db

CLI_ACTOR = Actor(None, "cli", None)

token_cli = click.Group("token", help="API-nycklar: skapa, lista och återkalla.")


def _user(email: str) -> User:
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"Ingen användare med e-postadressen {email}.")
    return user


@token_cli.command("create")
@click.argument("email")
@click.option("--name", default="Skapad från kommandoraden", show_default=True)
@click.option("--scope", type=click.Choice([READ, WRITE]), default=READ, show_default=True)
@click.option(
    "--expires-days",
    type=click.IntRange(1, MAX_EXPIRY_DAYS),
    default=None,
    help="Antal dagar nyckeln gäller (utan: går inte ut).",
)
@with_appcontext
def create_command(email: str, name: str, scope: str, expires_days: int | None) -> None:
    """Create a token for the user with EMAIL and print it, once."""
    user = _user(email)
    if not user.active:
        raise click.ClickException(f"{email} är inaktiverad.")
    if not name.strip() or len(name.strip()) > 100:
        raise click.ClickException("Namnet ska ha 1–100 tecken.")
    with acting_as(CLI_ACTOR):
        created = create_token(user, name, scope, expires_days, utcnow())
        db.session.commit()
    click.echo(f"API-nyckel {created.token.id} för {user.email} ({created.token.scopes}):")
    click.echo(created.secret)
    click.echo("Spara den nu – den visas inte igen.", err=True)


@token_cli.command("list")
@click.argument("email")
@with_appcontext
def list_command(email: str) -> None:
    """List the user's tokens (never the tokens themselves)."""
    now = utcnow()
    for token in tokens_of_user(_user(email)):
        state = "aktiv" if is_usable(token, now) else "utgången"
        state = "återkallad" if token.revoked_at else state
        expires = token.expires_at.strftime("%Y-%m-%d") if token.expires_at else "aldrig"
        click.echo(
            f"{token.id:>5}  {token.prefix}…  {token.scopes:<10}  {state:<10}  "
            f"går ut {expires}  {token.name}"
        )


@token_cli.command("revoke")
@click.argument("email")
@click.argument("token_id", type=int)
@with_appcontext
def revoke_command(email: str, token_id: int) -> None:
    """Revoke the user's token with TOKEN_ID (see ``list``)."""
    token = token_of_user(_user(email), token_id)
    if token is None:
        raise click.ClickException(f"{email} har ingen API-nyckel {token_id}.")
    with acting_as(CLI_ACTOR):
        revoke_token(token, utcnow())
        db.session.commit()
    click.echo(f"API-nyckel {token_id} ({token.name}) är återkallad.")
