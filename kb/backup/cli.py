"""``flask kb backup FILE`` and ``flask kb restore FILE`` (being built)."""

import click

backup_command = click.Group("backup", help="Säkerhetskopiera databasen.")
restore_command = click.Group("restore", help="Återställ en säkerhetskopia.")
