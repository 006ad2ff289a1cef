"""``flask kb token ...`` (being built)."""

import click

token_cli = click.Group("token", help="API-nycklar.")
