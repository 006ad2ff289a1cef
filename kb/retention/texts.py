"""Swedish descriptions of the retention rule, shared by the CLI, the admin page and the
auditor's report."""

from __future__ import annotations

from flask_babel import gettext as _

from kb.retention.rule import RetentionAction, RetentionRule


def describe_rule(rule: RetentionRule) -> str:
    if not rule.enabled:
        return _("Gallringsregeln är avstängd (KB_RETENTION_YEARS=0).")
    if rule.action == RetentionAction.ANONYMISE:
        return _(
            "Berättelser (fritext) äldre än %(years)s år ersätts med en fast text; betyg och "
            "andra strukturerade uppgifter behålls.",
            years=rule.years,
        )
    return _(
        "Berättelser (fritext) äldre än %(years)s år töms; betyg och andra strukturerade "
        "uppgifter behålls.",
        years=rule.years,
    )


def measured_from() -> str:
    return _(
        "Åldern räknas från placeringens slut (första dagen i månaden efter slutmånaden), "
        "annars från när erfarenheten skickades in, och för ett utkast som aldrig skickats in "
        "från när det skapades."
    )
