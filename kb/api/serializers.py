"""JSON shapes of the API's items. Plain dicts; a unit's address only via display_address."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from kb.catalogue.rows import AreaDetail, AreaRow, Link, SupplierRow, UnitRow
from kb.experiences.models import Experience
from kb.findings.evidence import EvidenceItem, EvidenceSummary
from kb.findings.models import Finding
from kb.requirements.models import Requirement, RequirementVersion
from kb.retention.rule import notice_for
from kb.suppliers.models import AgreementArea, Supplier, Unit
from kb.tenders.models import Contract, TenderRound
from kb.themes import Theme


def iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    return value.isoformat()


def code(member: Any) -> str | None:
    return None if member is None else member.value


def ref(obj: Any, label: str = "name") -> dict | None:
    """A linked row as {"id", label}."""
    if obj is None:
        return None
    if isinstance(obj, Link):
        return {"id": obj.id, label: obj.name}
    return {"id": obj.id, label: getattr(obj, label)}


def area_item(row: AreaRow) -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "category": row.category.value,
        "cpv_codes": row.cpv_codes,
        "unit_count": row.unit_count,
        "tender_rounds": [{"id": r.id, "reference": r.reference} for r in row.rounds],
    }


def area_detail_item(area: AgreementArea, detail: AreaDetail) -> dict:
    return {
        "id": area.id,
        "name": area.name,
        "category": area.category.value,
        "cpv_codes": list(area.cpv_codes or []),
        "unit_count": detail.unit_count,
        "tender_rounds": [{"id": r.id, "reference": r.reference} for r in detail.rounds],
        "supplier_count": detail.supplier_count,
        "description": area.description,
    }


def supplier_item(row: SupplierRow) -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "org_number": row.org_number,
        "legal_form": row.legal_form.value,
        "unit_count": row.unit_count,
        "agreement_areas": [ref(area) for area in row.areas],
    }


def supplier_detail(supplier: Supplier) -> dict:
    areas = {area.id: area for unit in supplier.units for area in unit.agreement_areas}
    return {
        "id": supplier.id,
        "name": supplier.name,
        "org_number": supplier.org_number,
        "legal_form": supplier.legal_form.value,
        "unit_count": len(supplier.units),
        "agreement_areas": [ref(a) for a in sorted(areas.values(), key=lambda a: (a.name, a.id))],
        "website_note": supplier.website_note,
        "units": [ref(unit) for unit in supplier.units],
    }


def unit_item(row: UnitRow) -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "supplier": ref(row.supplier),
        "agreement_areas": [ref(area) for area in row.areas],
        "municipality": row.municipality,
        "county": row.county,
        "places": row.places,
        "age_min": row.age_min,
        "age_max": row.age_max,
        "permit_status": row.permit_status.value,
    }


def unit_detail(unit: Unit) -> dict:
    return {
        "id": unit.id,
        "name": unit.name,
        "supplier": ref(unit.supplier),
        "agreement_areas": [ref(area) for area in unit.agreement_areas],
        "municipality": unit.municipality,
        "county": unit.county,
        "places": unit.places,
        "age_min": unit.age_min,
        "age_max": unit.age_max,
        "permit_status": unit.permit_status.value,
        "target_profile": unit.target_profile,
        "protected_address": unit.protected_address,
        "address": unit.display_address,  # None for a protected address, always
        "permit_reference": unit.permit_reference,
        "last_ivo_inspection": iso(unit.last_ivo_inspection),
    }


def round_item(tender_round: TenderRound) -> dict:
    successor = tender_round.successor
    return {
        "id": tender_round.id,
        "reference": tender_round.reference,
        "title": tender_round.title,
        "agreement_area": ref(tender_round.agreement_area),
        "procurement_form": tender_round.procurement_form.value,
        "status": tender_round.status.value,
        "lead_organisation": ref(tender_round.lead_organisation),
        "participants": [ref(o) for o in tender_round.participants],
        "published_on": iso(tender_round.published_on),
        "contract_start": iso(tender_round.contract_start),
        "contract_end": iso(tender_round.contract_end),
        "extension_until": iso(tender_round.extension_until),
        "predecessor_id": tender_round.predecessor_id,
        "successor_id": successor.id if successor else None,
    }


def contract_item(contract: Contract) -> dict:
    changes = sorted(contract.status_changes, key=lambda c: (c.changed_on, c.id))
    return {
        "id": contract.id,
        "reference": contract.reference,
        "lot": contract.lot,
        "status": contract.status.value,
        "tender_round": ref(contract.tender_round, "reference"),
        "supplier": ref(contract.supplier),
        "units": [ref(unit) for unit in contract.units],
        "status_history": [
            {
                "changed_on": iso(c.changed_on),
                "from_status": code(c.from_status),
                "to_status": c.to_status.value,
                "reason": c.reason,
                "decision_reference": c.decision_reference,
            }
            for c in changes
        ],
    }


def finding_item(finding: Finding, summary: EvidenceSummary) -> dict:
    applied = finding.applied_in_round
    return {
        "id": finding.id,
        "title": finding.title,
        "status": finding.status.value,
        "theme": code(finding.theme),
        "importance": finding.importance.value,
        "agreement_area": ref(finding.agreement_area),
        "supplier": ref(finding.supplier),
        "organisation": ref(finding.organisation),
        "proposed_change": finding.proposed_change.value,
        "target_requirement_id": finding.target_requirement_id,
        "statement_md": finding.statement_md,
        "statement_html": finding.statement_html,
        "recommendation_md": finding.recommendation_md,
        "recommendation_html": finding.recommendation_html,
        "proposed_text_md": finding.proposed_text_md,
        "rejection_reason": finding.rejection_reason,
        "applied_in_round": ref(applied, "reference"),
        "published_at": iso(finding.published_at),
        "decided_at": iso(finding.decided_at),
        "created_at": iso(finding.created_at),
        "evidence_count": summary.count,
        "evidence_municipalities": summary.municipalities,
    }


def evidence_entry(item: EvidenceItem) -> dict:
    return {"kind": item.kind, "id": item.id, "label": item.label}


def version_item(
    version: RequirementVersion, visible_finding_ids: set[int], rounds: list[TenderRound]
) -> dict:
    return {
        "id": version.id,
        "number": version.number,
        "title": version.title,
        "kind": version.kind.value,
        "level": version.level.value,
        "weight": float(version.weight) if version.weight is not None else None,
        "text_md": version.text_md,
        "text_html": version.text_html,
        "rationale": version.rationale,
        "verification": version.verification,
        "followup_method": version.followup_method,
        "frozen": version.is_frozen,
        "created_at": iso(version.created_at),
        "origin_finding_ids": sorted(
            f.id for f in version.origin_findings if f.id in visible_finding_ids
        ),
        "used_in_rounds": [ref(r, "reference") for r in rounds],
    }


def requirement_item(requirement: Requirement) -> dict:
    current = requirement.current_version
    return {
        "id": requirement.id,
        "code": requirement.code,
        "retired": requirement.retired_at is not None,
        "agreement_areas": [ref(area) for area in requirement.agreement_areas],
        "current_version": (
            {
                "number": current.number,
                "title": current.title,
                "kind": current.kind.value,
                "level": current.level.value,
                "weight": float(current.weight) if current.weight is not None else None,
                "text_md": current.text_md,
                "text_html": current.text_html,
            }
            if current is not None
            else None
        ),
    }


def _month(year: int | None, month: int | None) -> str | None:
    return f"{year:04d}-{month:02d}" if year and month else None


def experience_item(experience: Experience, viewer_id: int) -> dict:
    ratings = {rating.theme.value: rating.rating for rating in experience.ratings}
    return {
        "id": experience.id,
        "status": experience.status.value,
        "mine": experience.author_id == viewer_id,
        "organisation": ref(experience.organisation),
        "unit": ref(experience.unit),
        "agreement_area": ref(experience.agreement_area),
        "contract_id": experience.contract_id,
        "off_contract": experience.off_contract,
        "off_contract_reason": code(experience.off_contract_reason),
        "placement_kind": code(experience.placement_kind),
        "legal_basis": code(experience.legal_basis),
        "age_band": code(experience.age_band),
        "start": _month(experience.start_year, experience.start_month),
        "end": _month(experience.end_year, experience.end_month),
        "end_reason": code(experience.end_reason),
        "goal_attainment": experience.goal_attainment,
        "daily_price": float(experience.daily_price)
        if experience.daily_price is not None
        else None,
        "extra_cost_claims": experience.extra_cost_claims,
        "invoicing_problems": experience.invoicing_problems,
        "would_place_again": code(experience.would_place_again),
        "ratings": {theme.value: ratings[theme.value] for theme in Theme if theme.value in ratings},
        "worked_md": experience.worked_md,
        "not_worked_md": experience.not_worked_md,
        "advice_md": experience.advice_md,
        "worked_html": experience.worked_html,
        "not_worked_html": experience.not_worked_html,
        "advice_html": experience.advice_html,
        "narrative_removed_at": iso(experience.narrative_removed_at),
        "narrative_notice": notice_for(experience),
        "submission_key": experience.submission_key if experience.author_id == viewer_id else None,
        "submitted_at": iso(experience.submitted_at),
        "created_at": iso(experience.created_at),
        "updated_at": iso(experience.updated_at),
    }
