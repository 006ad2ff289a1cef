"""A small fictional world for the learning loop: a finalised round, findings, the next round.

Lärförbundet (an intermediary) led round LRN 2022/1 for its members Ekby and Åby, with three
requirements: LRN-01 (skall-krav), LRN-02 (utvärderingskriterium, 20 %) and LRN-03
(avtalsvillkor). Five accepted findings change the set: LRN-01 gets new text, LRN-03 goes, a
requirement, a market question and a follow-up question are added. One finding is only
proposed and one is rejected: neither may reach a draft. Round LRN 2026/1 follows, in planning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from kb.auth.models import Role, User
from kb.experiences.models import Experience, ExperienceStatus, OffContractReason
from kb.findings.models import Finding, FindingEvidence, FindingStatus, ProposedChange
from kb.organisations.models import Organisation, OrganisationKind
from kb.requirements.models import (
    Requirement,
    RequirementKind,
    RequirementLevel,
    RequirementVersion,
)
from kb.suppliers.models import AgreementArea, AreaCategory, LegalForm, Supplier, Unit
from kb.tender_drafts.models import (
    DraftSection,
    DraftStatus,
    Provenance,
    TenderDraft,
    TenderDraftItem,
)
from kb.tenders.models import ProcurementForm, TenderRound, TenderRoundStatus
from tests.factories import Factory, fictional_org_number

FROZEN = datetime(2022, 3, 1, 9, 0)


@dataclass(frozen=True)
class DraftWorld:
    intermediary_org: int
    procurer: str
    curator: str
    caseworker: str  # Ekby; author of the evidence
    member_procurer: str  # Åby: reads the round, may not build it
    outsider_procurer: str  # Fjärrby: not in the network
    area_id: int
    first_round_id: int
    next_round_id: int
    requirement_ids: dict[str, int]  # code -> id
    findings: dict[str, int]  # change, remove, add, market, followup, proposed, rejected
    evidence_experience: int


def _version(title: str, kind: RequirementKind, **fields) -> RequirementVersion:
    text = fields.pop("text", f"{title}: leverantören ska redovisa hur kravet uppfylls.")
    return RequirementVersion(
        number=1,
        title=title,
        text_md=text,
        text_html=f"<p>{text}</p>",
        kind=kind,
        level=RequirementLevel.BASIC,
        frozen_at=FROZEN,
        **fields,
    )


def _requirement(code: str, owner: Organisation, area: AgreementArea, version) -> Requirement:
    requirement = Requirement(code=code, owner_organisation=owner, agreement_areas=[area])
    requirement.versions.append(version)
    return requirement


def _experience(author: User, unit: Unit, area: AgreementArea, year: int, **fields) -> Experience:
    return Experience(
        organisation_id=author.organisation_id,
        author_id=author.id,
        unit_id=unit.id,
        agreement_area_id=area.id,
        start_year=year,
        start_month=3,
        status=ExperienceStatus.SUBMITTED,
        submitted_at=datetime(year, 9, 1),
        worked_md="Kvällsbemanningen räckte inte till.",
        **fields,
    )


def _finding(curator: User, area: AgreementArea, title: str, change: ProposedChange, **fields):
    return Finding(
        organisation_id=curator.organisation_id,
        author_id=curator.id,
        title=title,
        agreement_area=area,
        statement_md="Flera placeringar visar samma brist.",
        recommendation_md="Skärp kravet.",
        proposed_change=change,
        status=fields.pop("status", FindingStatus.ACCEPTED),
        **fields,
    )


def build_draft_world(session, make: Factory) -> DraftWorld:
    intermediary = Organisation(name="Lärförbundet", kind=OrganisationKind.INTERMEDIARY)
    ekby = Organisation(name="Ekby", kind=OrganisationKind.MUNICIPALITY, member_of=intermediary)
    aby = Organisation(name="Åby", kind=OrganisationKind.MUNICIPALITY, member_of=intermediary)
    outsider = Organisation(name="Fjärrby", kind=OrganisationKind.MUNICIPALITY)
    area = AgreementArea(name="Lärområde HVB", category=AreaCategory.IFO)
    supplier = Supplier(
        name="Lärhemmet Omsorg AB",
        org_number=fictional_org_number(911),
        legal_form=LegalForm.AKTIEBOLAG,
    )
    unit = Unit(supplier=supplier, name="Lärgården", agreement_areas=[area])
    session.add_all([intermediary, ekby, aby, outsider, area, unit])
    session.flush()
    requirements = [
        _requirement(
            "LRN-01", intermediary, area, _version("Kvällsbemanning", RequirementKind.MANDATORY)
        ),
        _requirement(
            "LRN-02",
            intermediary,
            area,
            _version("Kontinuitet", RequirementKind.AWARD_CRITERION, weight=Decimal("20")),
        ),
        _requirement(
            "LRN-03",
            intermediary,
            area,
            _version(
                "Rapportering",
                RequirementKind.CONTRACT_TERM,
                followup_method="Fakturastickprov varje halvår.",
            ),
        ),
    ]
    first = TenderRound(
        reference="LRN 2022/1",
        title="Ramavtal Lärområde HVB 2022–2025",
        agreement_area=area,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=intermediary,
        status=TenderRoundStatus.ACTIVE,
        published_on=date(2021, 10, 1),
        contract_start=date(2022, 4, 1),
        contract_end=date(2025, 12, 31),
        participants=[ekby, aby],
    )
    first_draft = TenderDraft(
        tender_round=first,
        title="Förfrågningsunderlag LRN 2022/1",
        status=DraftStatus.FINAL,
        finalised_at=FROZEN,
    )
    for position, requirement in enumerate(requirements):
        first_draft.items.append(
            TenderDraftItem(
                section=(
                    DraftSection.SERVICE,
                    DraftSection.EVALUATION,
                    DraftSection.CONTRACT_TERMS,
                )[position],
                position=0,
                requirement_version=requirement.versions[0],
                provenance=Provenance.CARRIED_OVER,
            )
        )
    next_round = TenderRound(
        reference="LRN 2026/1",
        title="Ramavtal Lärområde HVB 2026–2029",
        agreement_area=area,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=intermediary,
        status=TenderRoundStatus.PLANNING,
        predecessor=first,
        participants=[ekby, aby],
    )
    session.add_all([*requirements, first, first_draft, next_round])
    session.commit()

    def user(role: Role, organisation: Organisation, email: str) -> User:
        return session.get(User, make.user(role, organisation=organisation.id, email=email))

    caseworker = user(Role.CASEWORKER, ekby, "socsek@ekby.example")
    curator = user(Role.CURATOR, intermediary, "kunskap@larforbundet.example")
    procurer = user(Role.PROCURER, intermediary, "upphandlare@larforbundet.example")
    member_procurer = user(Role.PROCURER, aby, "upphandlare@aby.example")
    outsider_procurer = user(Role.PROCURER, outsider, "upphandlare@fjarrby.example")

    evidence = _experience(caseworker, unit, area, 2024)
    off_contract = [
        _experience(caseworker, unit, area, 2023, off_contract=True, off_contract_reason=reason)
        for reason in [OffContractReason.COMPETENCE] * 3 + [OffContractReason.GEOGRAPHY]
    ]
    before_round = _experience(
        caseworker,
        unit,
        area,
        2021,
        off_contract=True,
        off_contract_reason=OffContractReason.COMPETENCE,
    )
    session.add_all([evidence, *off_contract, before_round])
    session.flush()
    r1, _r2, r3 = requirements
    findings = {
        "change": _finding(
            curator,
            area,
            "Kvällsbemanningen räcker inte",
            ProposedChange.CHANGE_REQUIREMENT,
            target_requirement=r1,
            proposed_text_md="Minst två vuxna ska arbeta **kvällstid** varje dag.",
        ),
        "remove": _finding(
            curator,
            area,
            "Rapporteringskravet ger inget",
            ProposedChange.REMOVE_REQUIREMENT,
            target_requirement=r3,
        ),
        "add": _finding(
            curator,
            area,
            "Skolgång saknas i kraven",
            ProposedChange.ADD_REQUIREMENT,
            proposed_text_md="Leverantören ska säkra skolgång från första veckan.",
        ),
        "market": _finding(
            curator,
            area,
            "Hur många platser finns för syskon?",
            ProposedChange.MARKET_QUESTION,
            proposed_text_md="Hur många platser kan ni erbjuda för syskongrupper?",
        ),
        "followup": _finding(
            curator,
            area,
            "Följ upp kontaktpersonens tillgänglighet",
            ProposedChange.FOLLOWUP_QUESTION,
            proposed_text_md="Hur ofta träffade kontaktpersonen den placerade?",
        ),
        "proposed": _finding(
            curator,
            area,
            "Lokalerna är slitna",
            ProposedChange.ADD_REQUIREMENT,
            status=FindingStatus.PROPOSED,
            proposed_text_md="Lokalerna ska vara renoverade.",
        ),
        "rejected": _finding(
            curator,
            area,
            "Byt kvällskrav",
            ProposedChange.REMOVE_REQUIREMENT,
            status=FindingStatus.REJECTED,
            rejection_reason="Underlaget räcker inte.",
            target_requirement=r1,
        ),
    }
    findings["change"].evidence = [FindingEvidence(experience=evidence)]
    session.add_all(findings.values())
    session.commit()
    return DraftWorld(
        intermediary_org=intermediary.id,
        procurer=procurer.email,
        curator=curator.email,
        caseworker=caseworker.email,
        member_procurer=member_procurer.email,
        outsider_procurer=outsider_procurer.email,
        area_id=area.id,
        first_round_id=first.id,
        next_round_id=next_round.id,
        requirement_ids={r.code: r.id for r in requirements},
        findings={name: finding.id for name, finding in findings.items()},
        evidence_experience=evidence.id,
    )
