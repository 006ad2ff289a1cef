"""Requirements, findings and tender drafts: the learning loop in the demo."""

from __future__ import annotations

from datetime import datetime, timedelta

from kb.demo.requirement_texts import (
    FINDING_TEXTS,
    REJECTION_REASONS,
    REQUIREMENTS,
    RequirementText,
)
from kb.demo.world import DEMO_TODAY, DemoWorld
from kb.experiences.models import Experience
from kb.extensions import db
from kb.findings.models import Finding, FindingEvidence, FindingStatus, Importance, ProposedChange
from kb.markdown import render_markdown
from kb.requirements.models import Requirement, RequirementKind, RequirementVersion
from kb.tender_drafts.models import (
    DraftSection,
    DraftStatus,
    Provenance,
    TenderDraft,
    TenderDraftItem,
)
from kb.tenders.models import ProcurementForm, TenderRound, TenderRoundStatus

AREA_CODES = {
    "hvb_barn": "HVB",
    "hvb_akut": "AKUT",
    "stodboende": "STOD",
    "skyddat": "SKYDD",
    "familjehem": "FAM",
    "lss": "LSS",
    "missbruk": "MISS",
}
SECTION_OF_KIND = {
    RequirementKind.QUALIFICATION: DraftSection.QUALIFICATION,
    RequirementKind.MANDATORY: DraftSection.SERVICE,
    RequirementKind.AWARD_CRITERION: DraftSection.EVALUATION,
    RequirementKind.CONTRACT_TERM: DraftSection.CONTRACT_TERMS,
    RequirementKind.FOLLOWUP_QUESTION: DraftSection.FOLLOWUP_PLAN,
    RequirementKind.MARKET_QUESTION: DraftSection.MARKET_QUESTIONS,
}
ADULT_AREAS = {"missbruk", "skyddat"}
APPLIED_LEAD = timedelta(days=150)  # > 60 days to the finding + 45 to the decision + margin
# (area, theme, status) for the 30 demo findings. Applied ones changed round 2.
FINDING_PLAN = (
    ("hvb_barn", "bemanning", "tillampad"),
    ("hvb_barn", "kontaktperson", "tillampad"),
    ("hvb_akut", "avvikelsehantering", "tillampad"),
    ("stodboende", "samverkan", "tillampad"),
    ("familjehem", "kontaktperson", "tillampad"),
    ("lss", "halsa", "tillampad"),
    ("missbruk", "lokaler", "tillampad"),
    ("hvb_barn", "skola", "accepterad"),
    ("hvb_barn", "samverkan", "accepterad"),
    ("hvb_barn", "delaktighet", "accepterad"),
    ("hvb_akut", "genomforandeplan", "accepterad"),
    ("stodboende", "bemanning", "accepterad"),
    ("familjehem", "samverkan", "accepterad"),
    ("lss", "delaktighet", "accepterad"),
    ("missbruk", "halsa", "accepterad"),
    ("hvb_barn", "halsa", "foreslagen"),
    ("hvb_akut", "skola", "foreslagen"),
    ("stodboende", "lokaler", "foreslagen"),
    ("familjehem", "avvikelsehantering", "foreslagen"),
    ("lss", "bemanning", "foreslagen"),
    ("missbruk", "samverkan", "foreslagen"),
    ("skyddat", "lokaler", "foreslagen"),
    ("skyddat", "kontaktperson", "foreslagen"),
    ("hvb_barn", "lokaler", "avvisad"),
    ("hvb_akut", "delaktighet", "avvisad"),
    ("stodboende", "genomforandeplan", "avvisad"),
    ("lss", "skola", "avvisad"),
    ("missbruk", "bemanning", "avvisad"),
    ("hvb_akut", "bemanning", "ersatt"),
    ("familjehem", "genomforandeplan", "ersatt"),
)


def _version(
    text: RequirementText,
    number: int,
    created: datetime,
    title: str | None = None,
    body: str | None = None,
) -> RequirementVersion:
    body = body or text.text
    return RequirementVersion(
        number=number,
        title=title or text.title,
        text_md=body,
        text_html=render_markdown(body),
        kind=text.kind,
        weight=text.weight,
        level=text.level,
        rationale=text.rationale,
        verification=text.verification,
        followup_method=text.followup,
        created_at=created,
        updated_at=created,
    )


def build_requirements(world: DemoWorld) -> None:
    created = datetime(2018, 8, 20, 10, 0)
    for area_key, area in world.areas.items():
        world.requirements[area_key] = []
        for index, text in enumerate(REQUIREMENTS, start=1):
            if text.key == "skola" and area_key in ADULT_AREAS:
                continue
            requirement = Requirement(
                code=f"{AREA_CODES[area_key]}-{index:02d}",
                owner_organisation=world.intermediary,
                agreement_areas=[area],
                created_at=created,
                updated_at=created,
            )
            requirement.versions.append(_version(text, 1, created))
            db.session.add(requirement)
            world.requirements[area_key].append(requirement)
    db.session.flush()


def _evidence_for(
    world: DemoWorld, area_key: str, theme: str, submitted_before: datetime | None
) -> list[Experience]:
    area_id = world.areas[area_key].id
    candidates = [
        e
        for e in world.experiences
        if e.agreement_area_id == area_id
        and e.submitted_at is not None
        and (submitted_before is None or e.submitted_at < submitted_before)
        and (rating := next((r.rating for r in e.ratings if r.theme.value == theme), None))
        is not None
        and rating <= 2
    ]
    candidates.sort(key=lambda e: e.submitted_at)
    return candidates[:6]


def _finding(world: DemoWorld, area_key: str, theme: str, status: str, index: int) -> Finding:
    title, statement, recommendation, _req_title, req_text = FINDING_TEXTS[theme]
    target = next((r for r in world.requirements[area_key] if _theme_of(r) == theme), None)
    change = ProposedChange.CHANGE_REQUIREMENT if target else ProposedChange.ADD_REQUIREMENT
    applied = status == "tillampad"
    # A finding applied in round 2 was found, decided and applied before that round was
    # published: its evidence was submitted at least APPLIED_LEAD before publication.
    cutoff = None
    if applied:
        published = world.rounds[area_key][1].published_on
        cutoff = datetime(published.year, published.month, published.day) - APPLIED_LEAD
    evidence = _evidence_for(world, area_key, theme, cutoff)
    first = evidence[-1].submitted_at if evidence else datetime(2021, 3, 1)
    created = first + timedelta(days=world.rng.randint(7, 60))
    finding = Finding(
        organisation=world.intermediary,
        author=world.curator,
        title=f"{title} ({AREA_CODES[area_key]})",
        theme=theme,
        agreement_area=world.areas[area_key],
        statement_md=statement,
        statement_html=render_markdown(statement),
        recommendation_md=recommendation,
        recommendation_html=render_markdown(recommendation),
        importance=(Importance.HIGH, Importance.MEDIUM, Importance.LOW)[index % 3],
        status=FindingStatus(status),
        proposed_change=change,
        target_requirement=target,
        proposed_text_md=req_text,
        created_at=created,
        updated_at=created,
    )
    if status != "foreslagen":
        finding.decided_at = min(
            created + timedelta(days=world.rng.randint(5, 45)), datetime(2026, 11, 1)
        )
        finding.decided_by = world.procurer if status != "avvisad" else world.curator
    if status == "avvisad":
        finding.rejection_reason = REJECTION_REASONS[index % len(REJECTION_REASONS)]
    if status != "foreslagen" or index % 2:
        finding.published_at = finding.decided_at or created
    finding.evidence = [FindingEvidence(experience=e) for e in evidence]
    db.session.add(finding)
    return finding


def _theme_of(requirement: Requirement) -> str | None:
    title = requirement.versions[0].title
    return next((t.theme for t in REQUIREMENTS if t.title == title), None)


def build_findings(world: DemoWorld) -> list[Finding]:
    findings = [_finding(world, *plan, index) for index, plan in enumerate(FINDING_PLAN)]
    db.session.flush()
    accepted = [f for f in findings if f.status == FindingStatus.ACCEPTED]
    for finding in (f for f in findings if f.status == FindingStatus.SUPERSEDED):
        finding.superseded_by = next(
            (a for a in accepted if a.agreement_area_id == finding.agreement_area_id), accepted[0]
        )
    for deviation, finding in zip(world.deviations[:10], findings[:10], strict=False):
        finding.evidence.append(FindingEvidence(deviation=deviation))
    for followup, finding in zip(world.followups[:6], findings[7:13], strict=False):
        finding.evidence.append(FindingEvidence(followup=followup))
    db.session.flush()
    return findings


def _items_from(requirements: list[Requirement]) -> list[TenderDraftItem]:
    return [
        TenderDraftItem(
            section=SECTION_OF_KIND[r.current_version.kind],
            position=position,
            requirement_version=r.current_version,
            provenance=Provenance.CARRIED_OVER,
        )
        for position, r in enumerate(requirements)
    ]


def _apply(
    world: DemoWorld, area_key: str, finding: Finding, when: datetime, position: int
) -> TenderDraftItem:
    """Create the requirement version a finding asks for and the draft item that uses it."""
    _title, _s, _r, req_title, req_text = FINDING_TEXTS[str(finding.theme)]
    target = finding.target_requirement
    if target is None:
        highest = max(int(r.code.rsplit("-", 1)[1]) for r in world.requirements[area_key])
        code = f"{AREA_CODES[area_key]}-{highest + 1:02d}"
        target = Requirement(
            code=code,
            owner_organisation=world.intermediary,
            agreement_areas=[world.areas[area_key]],
        )
        template = next(t for t in REQUIREMENTS if t.key == "skola")
        version = _version(template, 1, when, req_title, req_text)
        world.requirements[area_key].append(target)
        provenance, previous = Provenance.ADDED, None
    else:
        previous = target.current_version
        template = next(t for t in REQUIREMENTS if t.title == target.versions[0].title)
        version = _version(template, previous.number + 1, when, req_title, req_text)
        provenance = Provenance.CHANGED
    version.origin_findings = [finding]
    target.versions.append(version)
    db.session.add(target)
    return TenderDraftItem(
        section=SECTION_OF_KIND[version.kind],
        position=position,
        requirement_version=version,
        previous_version=previous,
        provenance=provenance,
        finding=finding,
    )


def _finalise(draft: TenderDraft, when: datetime, world: DemoWorld) -> None:
    draft.status = DraftStatus.FINAL
    draft.finalised_at = when
    draft.finalised_by = world.procurer
    for item in draft.items:
        item.requirement_version.frozen_at = item.requirement_version.frozen_at or when


def _round_two_items(
    world: DemoWorld, area_key: str, findings: list[Finding], when: datetime
) -> list[TenderDraftItem]:
    applied = [
        f
        for f in findings
        if f.agreement_area_id == world.areas[area_key].id and f.status == FindingStatus.APPLIED
    ]
    changed_ids = {f.target_requirement_id for f in applied if f.target_requirement_id}
    items = _items_from([r for r in world.requirements[area_key] if r.id not in changed_ids])
    for finding in applied:
        items.append(_apply(world, area_key, finding, when - timedelta(days=30), len(items)))
        finding.applied_in_round = world.rounds[area_key][1]
        finding.applied_at = when
    return items


def build_drafts(world: DemoWorld, findings: list[Finding]) -> None:
    for area_key, (first, second) in world.rounds.items():
        first_draft = TenderDraft(
            tender_round=first,
            title=f"Förfrågningsunderlag {first.title}",
            created_by=world.procurer,
        )
        first_draft.items = _items_from(world.requirements[area_key])
        _finalise(
            first_draft, datetime(first.published_on.year, first.published_on.month, 1, 9, 0), world
        )
        finalised = datetime(second.published_on.year, second.published_on.month, 1, 9, 0)
        second_draft = TenderDraft(
            tender_round=second,
            base_round=first,
            title=f"Förfrågningsunderlag {second.title}",
            created_by=world.procurer,
        )
        second_draft.items = _round_two_items(world, area_key, findings, finalised)
        _finalise(second_draft, finalised, world)
        db.session.add_all([first_draft, second_draft])
        db.session.flush()
    _build_open_draft(world, findings)


def _build_open_draft(world: DemoWorld, findings: list[Finding]) -> None:
    """The one draft in progress: the next HVB round, built from round 2 plus accepted findings."""
    area_key = "hvb_barn"
    previous = world.rounds[area_key][1]
    next_round = TenderRound(
        reference="KFV 2026/201",
        title=f"{previous.agreement_area.name} – ramavtal 2027–2031",
        agreement_area=previous.agreement_area,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=world.intermediary,
        status=TenderRoundStatus.PLANNING,
        predecessor=previous,
    )
    next_round.participants = list(world.municipalities)
    accepted = [
        f
        for f in findings
        if f.agreement_area_id == previous.agreement_area_id and f.status == FindingStatus.ACCEPTED
    ]
    changed_ids = {f.target_requirement_id for f in accepted if f.target_requirement_id}
    draft = TenderDraft(
        tender_round=next_round,
        base_round=previous,
        title="Förfrågningsunderlag HVB 2027 (utkast)",
        created_by=world.procurer,
    )
    draft.items = _items_from([r for r in world.requirements[area_key] if r.id not in changed_ids])
    when = datetime(DEMO_TODAY.year, DEMO_TODAY.month, 1, 9, 0)
    for finding in accepted:
        draft.items.append(_apply(world, area_key, finding, when, len(draft.items)))
    db.session.add_all([next_round, draft])
    db.session.flush()
