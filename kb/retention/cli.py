"""``flask kb retention [--apply]``: dry run first, then anonymise or remove in batches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from kb.database import utcnow
from kb.extensions import db
from kb.retention.rule import RetentionConfigError, RetentionRule, rule_from_config
from kb.retention.services import RetentionPreview, candidate_ids, handle_batch, preview
from kb.retention.texts import describe_rule, measured_from
from kb.search.outbox import drain
from kb.search.service import backend_for

BATCH_SIZE = 200


def _print_preview(found: RetentionPreview) -> None:
    click.echo(_("Gränsdatum: %(day)s.", day=found.cutoff.isoformat()) + " " + measured_from())
    click.echo(_("Berörs nu: %(count)s erfarenheter.", count=found.total))
    if found.organisations:
        width = max(len(share.organisation) for share in found.organisations) + 2
        heading = _("Organisation").ljust(width) + _("Antal").rjust(7)
        click.echo(f"  {heading}  {_('Äldsta'):<10}  {_('Nyaste')}")
        for share in found.organisations:
            click.echo(
                f"  {share.organisation.ljust(width)}{share.count:>7}"
                f"  {share.oldest.isoformat()}  {share.newest.isoformat()}"
            )
    if found.already_handled:
        click.echo(
            _(
                "Redan gallrade (hoppas över): %(count)s, senast %(day)s.",
                count=found.already_handled,
                day=found.last_handled_at.date().isoformat() if found.last_handled_at else "–",
            )
        )


@dataclass
class Outcome:
    handled: int = 0
    batches: int = 0
    error: Exception | None = None


def _apply(rule: RetentionRule, today: date, batch_size: int) -> Outcome:
    """Handle every due experience, one transaction per batch. A failing batch is rolled back
    and ends the run; the batches before it stay done."""
    outcome, sync = Outcome(), current_app.config.get("SEARCH_SYNC")
    current_app.config["SEARCH_SYNC"] = "off"  # the index is drained once, afterwards
    try:
        ids = candidate_ids(rule, today)
        db.session.rollback()
        for start in range(0, len(ids), batch_size):
            outcome.handled += handle_batch(rule, ids[start : start + batch_size], today, utcnow())
            db.session.commit()
            outcome.batches += 1
    except Exception as error:  # reported in Swedish by the command, after the drain
        outcome.error = error
    finally:
        db.session.rollback()
        current_app.config["SEARCH_SYNC"] = sync
    return outcome


@click.command("retention")
@with_appcontext
@click.option("--apply", "apply_rule", is_flag=True, help="Gallra på riktigt (annars torrkörning).")
@click.option("--batch-size", default=BATCH_SIZE, type=click.IntRange(1, 5000))
def retention_command(apply_rule: bool, batch_size: int) -> None:
    """Show (or with --apply, carry out) the retention rule for experience narratives."""
    try:
        rule = rule_from_config(current_app)
    except RetentionConfigError as error:
        raise click.ClickException(str(error)) from error
    click.echo(describe_rule(rule))
    if not rule.enabled:
        return
    today = utcnow().date()
    _print_preview(preview(rule, today))
    db.session.rollback()
    if not apply_rule:
        click.echo(_("Torrkörning: ingenting har ändrats. Kör med --apply för att gallra."))
        return
    outcome = _apply(rule, today, batch_size)
    click.echo(
        _(
            "Gallrade %(count)s erfarenheter i %(batches)s omgångar.",
            count=outcome.handled,
            batches=outcome.batches,
        )
    )
    result = drain(backend_for(current_app))
    click.echo(_("Sökindexet: %(count)s ändringar tillämpade.", count=result.applied))
    if outcome.error is not None:
        raise click.ClickException(
            _(
                "Gallringen avbröts (%(error)s). Omgångar som hann sparas är kvar; kör "
                "kommandot igen för resten.",
                error=f"{type(outcome.error).__name__}: {outcome.error}",
            )
        )
    if result.error:
        raise click.ClickException(
            _(
                "%(count)s ändringar ligger kvar i sökkön (%(error)s). Kör: flask kb search drain",
                count=result.failed,
                error=result.error,
            )
        )
