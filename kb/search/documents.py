"""Turn database rows into search documents, each carrying what the permission filter needs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kb.experiences.models import Experience, ExperienceStatus
from kb.extensions import db
from kb.findings.models import Finding, FindingEvidence
from kb.followups.models import Deviation, FollowUp, SupplierCheck
from kb.organisations.models import Organisation
from kb.requirements.models import Requirement
from kb.search.access import EVERYONE, curators_token, network_token, organisation_token, user_token
from kb.suppliers.models import Supplier, Unit
from kb.tenders.models import Contract


@dataclass
class SearchDocument:
    key: str
    kind: str
    title: str
    body: str
    date: date | None
    access: list[str]
    area_ids: list[int] = field(default_factory=list)
    supplier_id: int | None = None
    organisation_id: int | None = None
    themes: list[str] = field(default_factory=list)
    status: str | None = None

    @property
    def entity_id(self) -> int:
        return int(self.key.split(":", 1)[1])


def network_of(organisation: Organisation) -> int:
    intermediary = organisation.intermediary
    return intermediary.id if intermediary else organisation.id


def _labels(*values: object) -> str:
    return " ".join(
        str(value.label) for value in values if value is not None and hasattr(value, "label")
    )


def experience_document(experience: Experience) -> SearchDocument:
    unit = experience.unit
    organisation = experience.organisation
    if experience.status == ExperienceStatus.SUBMITTED:
        access = [organisation_token(organisation.id), curators_token(network_of(organisation))]
    else:
        access = [user_token(experience.author_id or 0)]
    rated = [r for r in experience.ratings if r.rating is not None]
    body = "\n".join(
        part
        for part in (
            experience.worked_md,
            experience.not_worked_md,
            experience.advice_md,
            experience.agreement_area.name if experience.agreement_area else "",
            _labels(
                experience.placement_kind,
                experience.legal_basis,
                experience.end_reason,
                experience.would_place_again,
                experience.off_contract_reason,
            ),
        )
        if part
    )
    when = experience.submitted_at or experience.updated_at
    return SearchDocument(
        key=f"experience:{experience.id}",
        kind="experience",
        title=f"{unit.name} – {unit.supplier.name}" if unit else "Erfarenhet",
        body=body,
        date=when.date() if when else None,
        access=access,
        area_ids=[experience.agreement_area_id] if experience.agreement_area_id else [],
        supplier_id=unit.supplier_id if unit else None,
        organisation_id=organisation.id,
        themes=sorted(r.theme.value for r in rated),
        status=experience.status.value,
    )


def finding_document(finding: Finding) -> SearchDocument:
    """Readable as kb.findings.queries.visible_findings says: the owning organisation, its
    network once published, and the authors of the experiences behind it."""
    organisation = finding.organisation
    published = finding.published_at is not None
    authors = sorted(
        {
            row.experience.author_id
            for row in finding.evidence
            if row.experience is not None and row.experience.author_id is not None
        }
    )
    return SearchDocument(
        key=f"finding:{finding.id}",
        kind="finding",
        title=finding.title,
        body="\n".join(
            [
                finding.statement_md,
                finding.recommendation_md,
                finding.proposed_text_md,
                finding.rejection_reason or "",
            ]
        ),
        date=finding.created_at.date(),
        access=[
            network_token(network_of(organisation))
            if published
            else organisation_token(organisation.id),
            *(user_token(author_id) for author_id in authors),
        ],
        area_ids=[finding.agreement_area_id],
        supplier_id=finding.supplier_id,
        organisation_id=organisation.id,
        themes=[finding.theme.value] if finding.theme else [],
        status=finding.status.value,
    )


def followup_document(followup: FollowUp) -> SearchDocument:
    unit = followup.unit
    area_ids = [followup.agreement_area_id] if followup.agreement_area_id else []
    if followup.tender_round is not None:
        area_ids.append(followup.tender_round.agreement_area_id)
    if unit is not None:
        area_ids += [a.id for a in unit.agreement_areas]
    supplier_id = followup.supplier_id or (unit.supplier_id if unit else None)
    if supplier_id is None and followup.contract is not None:
        supplier_id = followup.contract.supplier_id
    return SearchDocument(
        key=f"followup:{followup.id}",
        kind="followup",
        title=followup.title,
        body="\n".join(
            [
                followup.summary_md,
                followup.actions_taken,
                " ".join(followup.method_labels),
                _labels(followup.kind, followup.result),
            ]
        ),
        date=followup.period_end or followup.created_at.date(),
        access=[network_token(network_of(followup.organisation))],
        area_ids=sorted(set(area_ids)),
        supplier_id=supplier_id,
        organisation_id=followup.organisation_id,
        status=followup.result.value if followup.result else None,
    )


def deviation_document(deviation: Deviation) -> SearchDocument:
    unit = deviation.unit
    supplier_id = (
        unit.supplier_id
        if unit
        else (deviation.contract.supplier_id if deviation.contract else None)
    )
    return SearchDocument(
        key=f"deviation:{deviation.id}",
        kind="deviation",
        title=f"{deviation.category.label}: {unit.name if unit else ''}".strip(),
        body="\n".join(
            [
                deviation.description_md,
                deviation.resolution_note,
                _labels(deviation.category, deviation.severity),
            ]
        ),
        date=deviation.occurred_on,
        access=[network_token(network_of(deviation.organisation))],
        area_ids=[a.id for a in unit.agreement_areas] if unit else [],
        supplier_id=supplier_id,
        organisation_id=deviation.organisation_id,
        status="atgardad" if deviation.resolved else "oppen",
    )


def supplier_check_document(check: SupplierCheck) -> SearchDocument:
    target = check.unit.name if check.unit else check.supplier.name
    return SearchDocument(
        key=f"supplier_check:{check.id}",
        kind="supplier_check",
        title=f"{check.kind.label}: {target}",
        body="\n".join([check.note, check.value or "", _labels(check.kind, check.result)]),
        date=check.checked_on,
        access=[network_token(network_of(check.organisation))],
        area_ids=sorted({a.id for a in check.unit.agreement_areas}) if check.unit else [],
        supplier_id=check.supplier_id,
        organisation_id=check.organisation_id,
        status=check.result.value,
    )


def contract_document(contract: Contract) -> SearchDocument:
    tender_round = contract.tender_round
    history = [
        " ".join(
            [
                str(change.to_status.label),
                change.changed_on.isoformat(),
                change.reason,
                change.decision_reference or "",
            ]
        )
        for change in contract.status_changes
    ]
    latest = contract.status_changes[-1].changed_on if contract.status_changes else None
    return SearchDocument(
        key=f"contract:{contract.id}",
        kind="contract",
        title=f"{contract.reference or tender_round.reference} – {contract.supplier.name}",
        body="\n".join([tender_round.title, contract.lot or "", *history]),
        date=latest or tender_round.contract_start,
        access=[EVERYONE],
        area_ids=[tender_round.agreement_area_id],
        supplier_id=contract.supplier_id,
        organisation_id=tender_round.lead_organisation_id,
        status=contract.status.value,
    )


def requirement_document(requirement: Requirement) -> SearchDocument:
    version = requirement.current_version
    body = (
        "\n".join(
            [version.text_md, version.rationale, version.verification, version.followup_method]
        )
        if version
        else ""
    )
    return SearchDocument(
        key=f"requirement:{requirement.id}",
        kind="requirement",
        title=f"{requirement.code} {version.title if version else ''}".strip(),
        body=body,
        date=requirement.updated_at.date(),
        access=[EVERYONE],
        area_ids=[a.id for a in requirement.agreement_areas],
        status=version.kind.value if version else None,
    )


def supplier_document(supplier: Supplier) -> SearchDocument:
    return SearchDocument(
        key=f"supplier:{supplier.id}",
        kind="supplier",
        title=supplier.name,
        body="\n".join(
            [supplier.org_number, str(supplier.legal_form.label), *(u.name for u in supplier.units)]
        ),
        date=supplier.updated_at.date(),
        access=[EVERYONE],
        area_ids=sorted({a.id for u in supplier.units for a in u.agreement_areas}),
        supplier_id=supplier.id,
    )


def unit_document(unit: Unit) -> SearchDocument:
    """Never the address: a protected-address unit must not leak it through search."""
    return SearchDocument(
        key=f"unit:{unit.id}",
        kind="unit",
        title=f"{unit.name} – {unit.supplier.name}",
        body="\n".join(
            filter(
                None,
                [
                    unit.target_profile,
                    unit.municipality,
                    unit.county,
                    *(a.name for a in unit.agreement_areas),
                ],
            )
        ),
        date=unit.updated_at.date(),
        access=[EVERYONE],
        area_ids=[a.id for a in unit.agreement_areas],
        supplier_id=unit.supplier_id,
        status=unit.permit_status.value,
    )


@dataclass(frozen=True)
class DocumentSource:
    model: type
    build: Callable[[object], SearchDocument]
    options: tuple = ()


SOURCES: dict[str, DocumentSource] = {
    "experience": DocumentSource(
        Experience,
        experience_document,
        (
            selectinload(Experience.unit).selectinload(Unit.supplier),
            selectinload(Experience.organisation),
            selectinload(Experience.agreement_area),
            selectinload(Experience.ratings),
        ),
    ),
    "finding": DocumentSource(
        Finding,
        finding_document,
        (
            selectinload(Finding.organisation),
            selectinload(Finding.evidence).selectinload(FindingEvidence.experience),
        ),
    ),
    "followup": DocumentSource(
        FollowUp,
        followup_document,
        (
            selectinload(FollowUp.unit).selectinload(Unit.agreement_areas),
            selectinload(FollowUp.organisation),
            selectinload(FollowUp.tender_round),
            selectinload(FollowUp.contract),
        ),
    ),
    "deviation": DocumentSource(
        Deviation,
        deviation_document,
        (
            selectinload(Deviation.unit).selectinload(Unit.agreement_areas),
            selectinload(Deviation.organisation),
            selectinload(Deviation.contract),
        ),
    ),
    "supplier_check": DocumentSource(
        SupplierCheck,
        supplier_check_document,
        (
            selectinload(SupplierCheck.unit).selectinload(Unit.agreement_areas),
            selectinload(SupplierCheck.supplier),
            selectinload(SupplierCheck.organisation),
        ),
    ),
    "contract": DocumentSource(
        Contract,
        contract_document,
        (
            selectinload(Contract.tender_round),
            selectinload(Contract.supplier),
            selectinload(Contract.status_changes),
        ),
    ),
    "requirement": DocumentSource(
        Requirement,
        requirement_document,
        (selectinload(Requirement.versions), selectinload(Requirement.agreement_areas)),
    ),
    "supplier": DocumentSource(
        Supplier,
        supplier_document,
        (selectinload(Supplier.units).selectinload(Unit.agreement_areas),),
    ),
    "unit": DocumentSource(
        Unit, unit_document, (selectinload(Unit.supplier), selectinload(Unit.agreement_areas))
    ),
}


def load_documents(kind: str, ids: Iterable[int]) -> list[SearchDocument]:
    """Build the documents for existing rows; ids with no row are simply absent."""
    source = SOURCES[kind]
    ids = list(ids)
    rows = db.session.scalars(
        select(source.model).where(source.model.id.in_(ids)).options(*source.options)
    )
    return [source.build(row) for row in rows]


def all_ids(kind: str) -> list[int]:
    model = SOURCES[kind].model
    return list(db.session.scalars(select(model.id).order_by(model.id)))
