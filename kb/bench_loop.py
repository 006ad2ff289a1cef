"""``make bench-loop``: generate a tender draft at scale and export it.

One agreement area with KB_BENCH_LOOP_EXPERIENCES experiences (default 20,000), a finalised
predecessor round of 150 requirements and 300 accepted findings (120 change a requirement,
20 remove one, 100 add one, 40 market and 20 follow-up questions), each with five pieces of
evidence. Prints the time to generate the draft (commit included) and to export it.
Set KB_BENCH_DATABASE_URL to a PostgreSQL URL to measure there too (that database is emptied).
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import insert, select, update

from kb.audit.context import acting_as
from kb.auth.models import Role, User
from kb.benchmarks.report import Report
from kb.benchmarks.worlds import BENCH_ACTOR, bench_app, dispose, fresh_demo, grow_to
from kb.experiences.models import Experience
from kb.extensions import db
from kb.findings.models import Finding, FindingEvidence, FindingStatus, ProposedChange
from kb.requirements.models import Requirement, RequirementKind, RequirementVersion
from kb.tender_drafts.assemble import assemble
from kb.tender_drafts.export_docx import draft_to_docx
from kb.tender_drafts.export_markdown import draft_to_markdown
from kb.tender_drafts.generate import SECTION_OF_KIND, generate_draft
from kb.tender_drafts.models import DraftStatus, Provenance, TenderDraft, TenderDraftItem
from kb.tenders.models import ProcurementForm, TenderRound, TenderRoundStatus

EXPERIENCES = int(os.environ.get("KB_BENCH_LOOP_EXPERIENCES", "20000"))
KINDS = (
    RequirementKind.MANDATORY,
    RequirementKind.QUALIFICATION,
    RequirementKind.AWARD_CRITERION,
    RequirementKind.CONTRACT_TERM,
)
TEXT = (
    "Leverantören ska säkerställa att bemanningen kvällstid motsvarar de placerades behov, "
    "redovisa hur kontinuiteten upprätthålls och rapportera avvikelser till placerande "
    "kommun inom 24 timmar.\n\n- Rutin för introduktion av ny personal\n- Schema för de "
    "kommande fyra veckorna\n- **Namngiven** kontaktperson för varje placerad\n"
)
CHANGES = (
    [ProposedChange.CHANGE_REQUIREMENT] * 120
    + [ProposedChange.REMOVE_REQUIREMENT] * 20
    + [ProposedChange.ADD_REQUIREMENT] * 100
    + [ProposedChange.MARKET_QUESTION] * 40
    + [ProposedChange.FOLLOWUP_QUESTION] * 20
)


def _requirements(owner_id: int, area_id: int) -> list[Requirement]:
    created = datetime(2021, 5, 1)
    requirements = []
    for number in range(1, 151):
        kind = KINDS[number % len(KINDS)]
        requirement = Requirement(code=f"BEN-{number:03d}", owner_organisation_id=owner_id)
        requirement.versions.append(
            RequirementVersion(
                number=1,
                title=f"Krav {number} om bemanning och kontinuitet",
                text_md=TEXT * 2,
                text_html="",
                kind=kind,
                weight=5 if kind == RequirementKind.AWARD_CRITERION else None,
                followup_method="Enkät till socialsekreterare" if number % 3 == 0 else "",
                frozen_at=created,
            )
        )
        requirements.append(requirement)
    db.session.add_all(requirements)
    db.session.flush()
    db.session.execute(
        insert(Requirement.agreement_areas.property.secondary),
        [{"requirement_id": r.id, "agreement_area_id": area_id} for r in requirements],
    )
    return requirements


def _rounds(owner_id: int, area_id: int, requirements: list[Requirement]) -> TenderRound:
    base = TenderRound(
        reference="BENCH 2021/1",
        title="Bänkomgång 2021",
        agreement_area_id=area_id,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation_id=owner_id,
        status=TenderRoundStatus.ACTIVE,
        contract_start=date(2021, 6, 1),
    )
    draft = TenderDraft(tender_round=base, title="Bänkunderlag 2021", status=DraftStatus.FINAL)
    for position, requirement in enumerate(requirements):
        version = requirement.versions[0]
        draft.items.append(
            TenderDraftItem(
                section=SECTION_OF_KIND[version.kind],
                position=position,
                requirement_version=version,
                provenance=Provenance.CARRIED_OVER,
            )
        )
    following = TenderRound(
        reference="BENCH 2026/1",
        title="Bänkomgång 2026",
        agreement_area_id=area_id,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation_id=owner_id,
        predecessor=base,
    )
    db.session.add_all([base, draft, following])
    db.session.flush()
    return following


def _findings(owner_id: int, area_id: int, requirements: list[Requirement]) -> None:
    evidence_ids = db.session.scalars(
        select(Experience.id).where(Experience.agreement_area_id == area_id).limit(1500)
    ).all()
    findings = []
    for index, change in enumerate(CHANGES):
        targeted = change in (ProposedChange.CHANGE_REQUIREMENT, ProposedChange.REMOVE_REQUIREMENT)
        target = requirements[index].id if targeted else None
        findings.append(
            Finding(
                organisation_id=owner_id,
                title=f"Lärdom {index + 1} om kvällsbemanning",
                agreement_area_id=area_id,
                statement_md="Flera placeringar visar samma brist.",
                proposed_change=change,
                target_requirement_id=target,
                proposed_text_md="Minst två vuxna ska arbeta kvällstid. " * 4,
                status=FindingStatus.ACCEPTED,
            )
        )
    db.session.add_all(findings)
    db.session.flush()
    db.session.execute(
        insert(FindingEvidence),
        [
            {"finding_id": f.id, "experience_id": evidence_ids[(i * 5 + k) % len(evidence_ids)]}
            for i, f in enumerate(findings)
            for k in range(5)
        ],
    )


def build_world() -> tuple[TenderRound, User]:
    procurer = db.session.scalar(select(User).where(User.email == "upphandlare@vidala.example"))
    assert procurer is not None and procurer.has_role(Role.PROCURER)
    area_id = db.session.scalar(
        select(TenderRound.agreement_area_id).where(TenderRound.reference == "KFV 2026/201")
    )
    db.session.execute(update(Experience).values(agreement_area_id=area_id))
    requirements = _requirements(procurer.organisation_id, area_id)
    following = _rounds(procurer.organisation_id, area_id, requirements)
    _findings(procurer.organisation_id, area_id, requirements)
    db.session.commit()
    return following, procurer


def _seconds(action) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def measure_loop(report: Report, app: Flask, label: str, size: int) -> None:
    """Build the area's findings and requirements, then generate and export the draft."""
    with app.app_context(), acting_as(BENCH_ACTOR):
        following, procurer = build_world()
        experiences = db.session.query(Experience).count()

        def generate() -> TenderDraft:
            draft = generate_draft(procurer, following)
            db.session.commit()
            return draft

        generate_s, draft = _seconds(generate)
        document_s, document = _seconds(lambda: assemble(draft, date.today(), 3))
        docx_s, data = _seconds(lambda: draft_to_docx(document))
        markdown_s, _text = _seconds(lambda: draft_to_markdown(document))
        items = len(draft.items)
    prefix = f"loop.{label}.{size}"
    detail = f"{experiences} experiences, 150 requirements, 300 findings, {items} items"
    figures = {
        key: report.record(
            f"{prefix}.{key}_ms", text, seconds * 1000, "ms", "loop", size=size, note=detail
        )
        for key, text, seconds in (
            ("generate_draft", "Generate the tender draft (commit included)", generate_s),
            ("assemble", "Assemble the draft document", document_s),
            ("docx_export", "DOCX export (assemble + write)", document_s + docx_s),
            ("markdown_export", "Markdown export (assemble + write)", document_s + markdown_s),
        )
    }
    print(
        f"{label}: {experiences} experiences in the area, 150 requirements, 300 findings "
        f"-> {items} draft items"
    )
    generate_ms = figures["generate_draft"].value
    print(f"{label}: generate draft (commit included)  {generate_ms:7.0f} ms  target < 1000")
    print(f"{label}: assemble document                {figures['assemble'].value:7.0f} ms")
    print(
        f"{label}: DOCX export (assemble + write)   {figures['docx_export'].value:7.0f} ms  "
        f"target < 1000  ({len(data) / 1024:,.0f} KiB)"
    )
    print(f"{label}: Markdown export (assemble + write) {figures['markdown_export'].value:5.0f} ms")


def run(report: Report, label: str, url: str, folder: Path, size: int = EXPERIENCES) -> None:
    app = bench_app(url, folder)
    fresh_demo(app)
    grow_to(app, size, seed=7)
    measure_loop(report, app, label, size)
    dispose(app)


def main() -> None:
    report = Report()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        run(report, "sqlite", f"sqlite:///{path / 'bench.sqlite'}", path)
        postgres_url = os.environ.get("KB_BENCH_DATABASE_URL")
        if postgres_url:
            run(report, "postgres", postgres_url, path)
        else:
            print("postgres: not measured (set KB_BENCH_DATABASE_URL to a PostgreSQL URL)")


if __name__ == "__main__":
    main()
