"""``flask kb audit-report [--format markdown|json] [--check]``."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from kb.audit.report import build_report
from kb.audit.report_markdown import render_markdown_report
from kb.database import utcnow
from kb.extensions import db
from kb.search.cli import run_checks


@click.command("audit-report")
@with_appcontext
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    help="Markdown för människor, JSON för program.",
)
@click.option(
    "--check", is_flag=True, help="Kontrollera sökindex och sökkö först och spara utfallet."
)
def audit_report_command(output_format: str, check: bool) -> None:
    """Print the auditor's report: roles and rights, security settings, last checks, accounts."""
    if check:
        run_checks(utcnow())
        db.session.commit()
    report = build_report(current_app._get_current_object(), utcnow())
    db.session.rollback()
    if output_format == "json":
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(render_markdown_report(report), nl=False)
