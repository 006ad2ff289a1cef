"""``flask kb import KIND FILE`` (being built)."""

import click

import_command = click.Group("import", help="Importera data.")
