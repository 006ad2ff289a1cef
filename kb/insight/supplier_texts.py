"""Shared descriptions of the supplier and unit charts: what they compare with, what is hidden."""

from __future__ import annotations

from flask_babel import gettext as _

from kb.insight.scope import InsightScope
from kb.insight.supplier_subject import ChartSubject


def comparison_text(subject: ChartSubject) -> str:
    """Say what the subject is compared with: its area, or its areas combined."""
    names = ", ".join(subject.area_names)
    if not subject.area_names:
        return _("Det finns inget avtalsområde att jämföra med.")
    if subject.whole_supplier:
        return _(
            "Varje verksamhet jämförs med de avtalsområden den tjänar eller placerats inom;"
            " leverantören som helhet med alla sina avtalsområden sammantagna (%(areas)s).",
            areas=names,
        )
    if len(subject.area_names) == 1:
        return _("Jämförs med avtalsområdet %(area)s.", area=names)
    return _("Jämförs med avtalsområdena %(areas)s sammantagna.", areas=names)


def suppression_text(scope: InsightScope) -> str:
    return _(
        "Värden som vilar på färre än %(n)s erfarenheter, varav någon från en organisation vars"
        " erfarenheter du inte får läsa, visas inte.",
        n=scope.min_group_size,
    )
