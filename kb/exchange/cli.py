"""``flask kb export ...`` (being built)."""

import click

export_cli = click.Group("export", help="Exportera data.")
