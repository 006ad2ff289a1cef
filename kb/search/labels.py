"""Swedish labels for search facets and result kinds."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from kb.experiences.models import ExperienceStatus
from kb.extensions import db
from kb.findings.models import FindingStatus
from kb.followups.models import CheckResult, FollowUpResult
from kb.organisations.models import Organisation
from kb.requirements.models import RequirementKind
from kb.search.backend import FacetCount
from kb.suppliers.models import AgreementArea, PermitStatus, Supplier
from kb.tenders.models import ContractStatus
from kb.themes import Theme

KIND_LABELS = {
    "experience": _l("Erfarenhet"),
    "finding": _l("Lärdom"),
    "followup": _l("Uppföljning"),
    "deviation": _l("Avvikelse"),
    "supplier_check": _l("Kontroll"),
    "contract": _l("Avtal"),
    "requirement": _l("Krav"),
    "supplier": _l("Leverantör"),
    "unit": _l("Verksamhet"),
}
FACET_LABELS = {
    "kind": _l("Typ"),
    "area": _l("Avtalsområde"),
    "supplier": _l("Leverantör"),
    "organisation": _l("Organisation"),
    "year": _l("År"),
    "theme": _l("Tema"),
    "status": _l("Status"),
}
THEME_LABELS = {theme.value: theme.label for theme in Theme}
STATUS_LABELS = {
    **{m.value: m.label for m in ExperienceStatus},
    **{m.value: m.label for m in FindingStatus},
    **{m.value: m.label for m in FollowUpResult},
    **{m.value: m.label for m in CheckResult},
    **{m.value: m.label for m in ContractStatus},
    **{m.value: m.label for m in RequirementKind},
    **{m.value: m.label for m in PermitStatus},
    "oppen": _l("Öppen"),
    "atgardad": _l("Åtgärdad"),
}


def _names(model: type, ids: set[str]) -> dict[str, str]:
    numeric = [int(i) for i in ids if i.isdigit()]
    if not numeric:
        return {}
    rows = db.session.execute(select(model.id, model.name).where(model.id.in_(numeric)))
    return {str(row_id): name for row_id, name in rows}


def facet_value_labels(facets: dict[str, list[FacetCount]]) -> dict[str, dict[str, str]]:
    values = {name: {c.value for c in counts} for name, counts in facets.items()}
    return {
        "kind": {v: str(KIND_LABELS.get(v, v)) for v in values.get("kind", ())},
        "area": _names(AgreementArea, values.get("area", set())),
        "supplier": _names(Supplier, values.get("supplier", set())),
        "organisation": _names(Organisation, values.get("organisation", set())),
        "year": {v: v for v in values.get("year", ())},
        "theme": {
            v: str(Theme(v).label) for v in values.get("theme", ()) if v in Theme._value2member_map_
        },
        "status": {v: str(STATUS_LABELS.get(v, v)) for v in values.get("status", ())},
    }
