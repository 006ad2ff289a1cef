"""Findings, the requirement library and search, each through the UI's own visibility rules.

- findings: kb.findings.queries.visible_findings (list and detail, others 404); the evidence
  shown is what kb.findings.pages.readable_evidence_of lets the user read;
- requirements: the library, which every signed-in user reads; origin findings are listed
  only when the user may see them;
- search: kb.search.service.search_for with the user's access tokens, filtered in the engine.
"""

from __future__ import annotations

from flask import current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from kb.api.blueprint import bp
from kb.api.errors import ApiError
from kb.api.params import (
    bool_arg,
    check_known,
    choice_arg,
    clamped_rows,
    int_arg,
    listing,
    next_url,
    paging,
    text_arg,
)
from kb.api.serializers import (
    evidence_entry,
    finding_item,
    requirement_item,
    version_item,
)
from kb.catalogue.filters import MAX_ID
from kb.extensions import db
from kb.findings.evidence import EvidenceSummary, evidence_summaries
from kb.findings.models import Finding, FindingStatus, ProposedChange
from kb.findings.pages import readable_evidence_of
from kb.findings.queries import FindingFilter, finding_page, visible_findings, visible_or_404
from kb.requirements.models import RequirementKind, RequirementLevel
from kb.requirements.queries import LibraryFilter, library_page, requirement_or_404, rounds_using
from kb.search.backend import FACETS
from kb.search.service import MAX_PAGE as SEARCH_MAX_PAGE
from kb.search.service import search_for
from kb.search.sync import wake_drainer
from kb.themes import Theme

SEARCH_ORDERS = ("relevance", "date")
SEARCH_LINKS = {
    "experience": "api.experience",
    "finding": "api.finding",
    "requirement": "api.requirement",
    "supplier": "api.supplier",
    "unit": "api.unit",
    "contract": "api.contract",
}


@bp.get("/findings")
def findings() -> dict:
    check_known("status", "area_id", "theme", "proposed_change")
    filters = FindingFilter(
        status=choice_arg("status", FindingStatus),
        area_id=int_arg("area_id"),
        theme=choice_arg("theme", Theme),
        change=choice_arg("proposed_change", ProposedChange),
    )
    page, per_page = paging()
    found = finding_page(current_user, filters, {"sida": str(page)}, per_page)
    rows = clamped_rows(found.rows, found.number, page)
    items = [finding_item(row.finding, row.summary) for row in rows]
    return listing(items, bool(rows) and found.has_next, page)


@bp.get("/findings/<int:finding_id>")
def finding(finding_id: int) -> dict:
    found = visible_or_404(current_user, finding_id)
    summary = evidence_summaries([found.id]).get(found.id, EvidenceSummary())
    shown, hidden = readable_evidence_of(current_user, found)
    return {
        **finding_item(found, summary),
        "evidence": [evidence_entry(item) for item in shown],
        "hidden_evidence_count": hidden,
    }


@bp.get("/requirements")
def requirements() -> dict:
    check_known("q", "area_id", "kind", "level", "include_retired")
    filters = LibraryFilter(
        text=text_arg("q"),
        area_id=int_arg("area_id"),
        kind=choice_arg("kind", RequirementKind),
        level=choice_arg("level", RequirementLevel),
        include_retired=bool_arg("include_retired"),
    )
    page, per_page = paging()
    if filters.text:
        wake_drainer(current_app._get_current_object())
    library = library_page(current_user, filters, {"sida": str(page)}, per_page)
    rows = clamped_rows(library.page.rows, library.page.number, page)
    return listing(map(requirement_item, rows), bool(rows) and library.page.has_next, page)


@bp.get("/requirements/<int:requirement_id>")
def requirement(requirement_id: int) -> dict:
    if requirement_id > MAX_ID:
        raise ApiError(404, "not_found")
    found = requirement_or_404(requirement_id)
    origin_ids = {f.id for v in found.versions for f in v.origin_findings}
    visible = set(
        db.session.scalars(
            select(Finding.id).where(Finding.id.in_(origin_ids), visible_findings(current_user))
        )
    )
    rounds = rounds_using([v.id for v in found.versions])
    return {
        **requirement_item(found),
        "versions": [version_item(v, visible, rounds.get(v.id, [])) for v in found.versions],
    }


@bp.get("/search")
def search() -> dict:
    check_known("q", "order", *FACETS)
    text = text_arg("q", 1000) or ""
    filters = {name: text_arg(name, 100) or "" for name in FACETS}
    order = _order()
    page = int_arg("page", SEARCH_MAX_PAGE, 1) or 1
    _, per_page = paging()
    wake_drainer(current_app._get_current_object())
    outcome = search_for(current_user, text, filters, order, page, per_page)
    total = outcome.page.total if outcome.page else 0
    items = [
        {
            "id": row.entity_id,
            "kind": row.kind,
            "title": _title(row.kind, row.obj),
            "snippet_html": row.snippet_html,
            "url": _api_url(row.kind, row.entity_id),
        }
        for row in outcome.rows
    ]
    facets = outcome.page.facets if outcome.page else {}
    has_next = page * per_page < total and page < SEARCH_MAX_PAGE
    return {
        "items": items,
        "next": next_url(has_next, page),
        "total": total,
        "facets": {
            name: [{"value": c.value, "count": c.count} for c in counts]
            for name, counts in facets.items()
        },
        "unavailable": outcome.unavailable,
    }


def _order() -> str:
    order = request.args.get("order", "relevance")
    if order not in SEARCH_ORDERS:
        raise ApiError(
            400,
            "invalid_parameter",
            _("order ska vara relevance eller date."),
            {"parameter": "order"},
        )
    return order


def _api_url(kind: str, entity_id: int) -> str | None:
    endpoint = SEARCH_LINKS.get(kind)
    if endpoint is None:
        return None
    name = {"experience": "experience_id", "finding": "finding_id"}.get(kind, f"{kind}_id")
    return url_for(endpoint, _external=True, **{name: entity_id})


def _title(kind: str, obj: object) -> str:
    """The result's title, as the search page shows it."""
    if kind == "experience":
        unit = obj.unit  # type: ignore[attr-defined]
        return unit.name if unit else _("Erfarenhet")
    if kind == "requirement":
        version = obj.current_version  # type: ignore[attr-defined]
        return f"{obj.code} {version.title if version else ''}".strip()  # type: ignore[attr-defined]
    if kind == "deviation":
        return f"{obj.category.label} {obj.occurred_on}"  # type: ignore[attr-defined]
    if kind == "supplier_check":
        target = obj.unit.name if obj.unit else obj.supplier.name  # type: ignore[attr-defined]
        return f"{obj.kind.label}: {target}"  # type: ignore[attr-defined]
    if kind == "contract":
        reference = obj.reference or obj.tender_round.reference  # type: ignore[attr-defined]
        return f"{reference} – {obj.supplier.name}"  # type: ignore[attr-defined]
    return str(getattr(obj, "name", None) or getattr(obj, "title", ""))
