"""The retention rule: which experience narratives are old enough to be anonymised or removed.

An experience's age is measured from the end of its placement: the first day of the month
after the end month (placements are recorded by year and month only). An experience without
an end (an ongoing placement, or a draft without one) is measured from its submission, and a
draft that was never submitted from its creation. The narrative of an experience whose
reference date lies on or before the cut-off (today minus RETENTION_YEARS years) is handled.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, func, or_

from kb.experiences.models import Experience


class RetentionAction(enum.StrEnum):
    ANONYMISE = "anonymise"
    REMOVE = "remove"


class RetentionConfigError(ValueError):
    """The configured rule cannot be used; the message says why, in Swedish."""


# The free-text fields of an experience, and the HTML rendered from each.
NARRATIVE_FIELDS = ("worked_md", "not_worked_md", "advice_md")
RENDERED_FIELDS = {name: name.replace("_md", "_html") for name in NARRATIVE_FIELDS}


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class RetentionRule:
    years: int
    action: RetentionAction

    @property
    def enabled(self) -> bool:
        return self.years > 0

    def cutoff(self, today: date) -> date:
        return years_before(today, self.years)

    def applies(self, today: date) -> ColumnElement[bool]:
        """SQL condition: experiences old enough and not yet handled."""
        cutoff = self.cutoff(today)
        # The month after the end month starts on or before the cut-off.
        ended = and_(
            Experience.end_year.is_not(None),
            Experience.end_year * 12 + Experience.end_month <= cutoff.year * 12 + cutoff.month - 1,
        )
        since = func.coalesce(Experience.submitted_at, Experience.created_at)
        not_ended = and_(Experience.end_year.is_(None), since <= datetime.combine(cutoff, time.max))
        return and_(Experience.narrative_removed_at.is_(None), or_(ended, not_ended))

    def replacement_text(self) -> str:
        """What "anonymise" writes into every free-text field that held text."""
        return _(
            "Berättelsen har tagits bort enligt gallringsregeln (äldre än %(years)s år).",
            years=self.years,
        )


def reference_date(
    end_year: int | None,
    end_month: int | None,
    submitted_at: datetime | None,
    created_at: datetime,
) -> date:
    """The date an experience's age is measured from (see the module docstring)."""
    if end_year is not None and end_month is not None:
        year, month = divmod(end_year * 12 + end_month, 12)
        return date(year, month + 1, 1)
    return (submitted_at or created_at).date()


def rule_from_config(app: Flask) -> RetentionRule:
    years = app.config.get("RETENTION_YEARS", 0)
    action = app.config.get("RETENTION_ACTION", RetentionAction.ANONYMISE.value)
    if not isinstance(years, int) or years < 0:
        raise RetentionConfigError(
            _("KB_RETENTION_YEARS måste vara ett heltal, 0 eller större (0 stänger av regeln).")
        )
    if action not in {a.value for a in RetentionAction}:
        raise RetentionConfigError(
            _(
                'KB_RETENTION_ACTION måste vara "anonymise" eller "remove", inte %(value)r.',
                value=action,
            )
        )
    return RetentionRule(years, RetentionAction(action))


def notice_for(experience: Experience) -> str | None:
    """What pages and the API show instead of a narrative the rule has removed."""
    if experience.narrative_removed_at is None:
        return None
    return _(
        "Berättelsen har tagits bort enligt gallringsregeln den %(day)s.",
        day=experience.narrative_removed_at.date().isoformat(),
    )
