"""Tender drafts: generation from the predecessor plus accepted findings, the procurer's edits,
conflicts, finalising in one step, and the change list."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kb.auth.models import User
from kb.findings.models import Finding, FindingStatus
from kb.requirements.models import Requirement, RequirementKind, RequirementVersion
from kb.requirements.services import VersionFields
from kb.tender_drafts import editing
from kb.tender_drafts.assemble import assemble, numbering
from kb.tender_drafts.changes import draft_changes
from kb.tender_drafts.finalise import finalise_draft
from kb.tender_drafts.generate import DraftInvalid, generate_draft, requirement_set
from kb.tender_drafts.models import DraftSection, DraftStatus, Provenance, TenderDraft
from kb.tender_drafts.off_contract import reason_counts
from kb.tenders.models import TenderRound
from tests.draft_world import DraftWorld, build_draft_world


@pytest.fixture
def world(db, make) -> DraftWorld:
    return build_draft_world(db.session, make)


def _user(db, email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _generate(db, world: DraftWorld) -> TenderDraft:
    draft = generate_draft(
        _user(db, world.procurer), db.session.get(TenderRound, world.next_round_id)
    )
    db.session.commit()
    return draft


def _by_code(draft: TenderDraft) -> dict[str, list]:
    items: dict[str, list] = {}
    for item in draft.items:
        items.setdefault(item.requirement_version.requirement.code, []).append(item)
    return items


def test_generation_carries_over_the_predecessor_set_and_applies_every_accepted_finding(db, world):
    draft = _generate(db, world)
    items = _by_code(draft)
    finding = world.findings

    (kept,) = items["LRN-02"]
    assert kept.provenance == Provenance.CARRIED_OVER and kept.requirement_version.number == 1

    (changed,) = items["LRN-01"]
    assert changed.provenance == Provenance.CHANGED and changed.finding_id == finding["change"]
    assert changed.requirement_version.number == 2
    assert changed.previous_version.number == 1
    assert "kvällstid" in changed.requirement_version.text_md
    assert [f.id for f in changed.requirement_version.origin_findings] == [finding["change"]]

    (removed,) = items["LRN-03"]
    assert removed.provenance == Provenance.REMOVED and removed.finding_id == finding["remove"]

    added = {i.finding_id: i for i in draft.items if i.provenance == Provenance.ADDED}
    assert set(added) == {finding["add"], finding["market"], finding["followup"]}
    assert added[finding["add"]].requirement_version.requirement.code == "LRN-04"
    assert added[finding["market"]].section == DraftSection.MARKET_QUESTIONS
    assert added[finding["followup"]].section == DraftSection.FOLLOWUP_PLAN
    assert added[finding["market"]].requirement_version.kind == RequirementKind.MARKET_QUESTION
    used = {i.finding_id for i in draft.items}
    assert finding["proposed"] not in used and finding["rejected"] not in used


def test_a_round_can_have_only_one_draft(db, world):
    _generate(db, world)
    with pytest.raises(DraftInvalid, match="redan ett förfrågningsunderlag"):
        generate_draft(_user(db, world.procurer), db.session.get(TenderRound, world.next_round_id))


def test_off_contract_needs_are_counted_by_reason_since_the_predecessor_started(db, world):
    tender_round = db.session.get(TenderRound, world.next_round_id)
    counts = {c.reason.value: c for c in reason_counts(tender_round, min_group_size=3)}
    # The 2021 placement came before the predecessor's contracts started (2022-04).
    assert counts["kompetens"].count == 3 and not counts["kompetens"].suppressed
    assert counts["geografi"].count == 1 and counts["geografi"].suppressed


def test_finalising_freezes_versions_links_the_round_and_applies_the_findings(db, world):
    draft = _generate(db, world)
    finalise_draft(_user(db, world.procurer), draft)
    db.session.commit()

    assert draft.status == DraftStatus.FINAL and draft.finalised_at is not None
    assert all(item.requirement_version.is_frozen for item in requirement_set(draft))
    applied = db.session.scalars(
        select(Finding).where(Finding.applied_in_round_id == world.next_round_id)
    ).all()
    assert {f.id for f in applied} == {
        world.findings[name] for name in ("change", "remove", "add", "market", "followup")
    }
    assert {f.status for f in applied} == {FindingStatus.APPLIED}
    assert db.session.get(Finding, world.findings["proposed"]).status == FindingStatus.PROPOSED


def test_a_finalised_draft_refuses_every_change(db, world):
    draft = _generate(db, world)
    procurer = _user(db, world.procurer)
    finalise_draft(procurer, draft)
    db.session.commit()
    item = _by_code(draft)["LRN-02"][0]
    fields = VersionFields.of(item.requirement_version, text_md="Ny text i efterhand.")
    with pytest.raises(DraftInvalid, match="fastställt"):
        editing.edit_item_text(procurer, draft, item, fields, item.requirement_version_id)
    with pytest.raises(DraftInvalid, match="fastställt"):
        editing.exclude_item(draft, item, "Behövs inte")
    with pytest.raises(DraftInvalid, match="fastställt"):
        finalise_draft(procurer, draft)
    assert item.requirement_version.number == 1 and not item.is_excluded


def test_finalising_a_round_without_predecessor_or_requirements_is_refused(db, world, make):
    procurer = _user(db, world.procurer)
    lonely = TenderRound(
        reference="LRN 2026/9",
        title="Ny upphandling utan föregångare",
        agreement_area_id=make.agreement_area("Tomt område"),
        procurement_form="lou_ramavtal",
        lead_organisation_id=world.intermediary_org,
    )
    db.session.add(lonely)
    db.session.commit()
    draft = generate_draft(procurer, lonely)
    db.session.commit()
    assert draft.items == []
    with pytest.raises(DraftInvalid, match="inga krav att fastställa"):
        finalise_draft(procurer, draft)
    db.session.rollback()
    assert db.session.get(TenderDraft, draft.id).status == DraftStatus.DRAFT


def _conflicting_finding(db, world) -> Finding:
    second = Finding(
        organisation_id=world.intermediary_org,
        title="Kvällsbemanning: tre vuxna",
        agreement_area_id=world.area_id,
        proposed_change="andra_krav",
        target_requirement_id=world.requirement_ids["LRN-01"],
        proposed_text_md="Minst tre vuxna ska arbeta kvällstid.",
        status=FindingStatus.ACCEPTED,
    )
    db.session.add(second)
    db.session.commit()
    return second


def test_two_findings_changing_one_requirement_are_a_conflict_the_procurer_resolves(db, world):
    second = _conflicting_finding(db, world)
    draft = _generate(db, world)
    procurer = _user(db, world.procurer)
    (conflict,) = editing.conflicts(draft)
    assert conflict.requirement.code == "LRN-01"
    assert {i.finding_id for i in conflict.items} == {world.findings["change"], second.id}

    with pytest.raises(DraftInvalid, match="LRN-01"):
        finalise_draft(procurer, draft)
    db.session.rollback()
    draft = db.session.get(TenderDraft, draft.id)
    chosen = next(i for i in draft.items if i.finding_id == second.id)
    editing.choose_in_conflict(draft, chosen)
    db.session.commit()

    other = next(i for i in draft.items if i.finding_id == world.findings["change"])
    assert other.is_excluded and f"lärdom {second.id}" in other.excluded_reason
    assert editing.conflicts(draft) == []
    finalise_draft(procurer, draft)
    db.session.commit()
    assert db.session.get(Finding, second.id).status == FindingStatus.APPLIED
    assert db.session.get(Finding, world.findings["change"]).status == FindingStatus.ACCEPTED


def test_excluding_needs_a_reason_and_an_excluded_change_restores_the_previous_version(db, world):
    draft = _generate(db, world)
    changed = _by_code(draft)["LRN-01"][0]
    with pytest.raises(DraftInvalid, match="Ange varför"):
        editing.exclude_item(draft, changed, "   ")
    assert not changed.is_excluded

    editing.exclude_item(draft, changed, "Kostnaden är för hög för mindre kommuner.")
    db.session.commit()
    active = [i for i in _by_code(draft)["LRN-01"] if not i.is_excluded]
    assert [(i.provenance, i.requirement_version.number) for i in active] == [
        (Provenance.CARRIED_OVER, 1)
    ]

    editing.restore_item(draft, changed)
    db.session.commit()
    assert [i for i in _by_code(draft)["LRN-01"] if not i.is_excluded] == [changed]


def test_editing_text_creates_a_new_version_and_keeps_the_old_one(db, world):
    draft = _generate(db, world)
    procurer = _user(db, world.procurer)
    item = _by_code(draft)["LRN-02"][0]
    original = item.requirement_version
    fields = VersionFields.of(original, text_md="Kontinuitet mäts som andel fast anställda.")

    with pytest.raises(DraftInvalid, match="ändrats sedan"):
        editing.edit_item_text(procurer, draft, item, fields, based_on=original.id + 999)
    with pytest.raises(DraftInvalid, match="inte ändrat"):
        editing.edit_item_text(procurer, draft, item, VersionFields.of(original), original.id)

    editing.edit_item_text(procurer, draft, item, fields, original.id)
    db.session.commit()
    assert item.requirement_version.number == 2
    assert item.previous_version_id == original.id and item.is_edited_by_hand
    assert db.session.get(RequirementVersion, original.id).text_md.startswith("Kontinuitet:")
    labels = {c.code: c.label for c in draft_changes(draft)}
    assert labels["LRN-02"] == "Ändrad av upphandlaren"


def test_a_finding_accepted_later_can_be_included_by_hand(db, world):
    draft = _generate(db, world)
    late = db.session.get(Finding, world.findings["proposed"])
    late.status = FindingStatus.ACCEPTED
    db.session.commit()
    assert late in editing.offered_findings(draft)

    item = editing.include_finding(_user(db, world.procurer), draft, late.id)
    db.session.commit()
    assert item.provenance == Provenance.ADDED and item.finding_id == late.id
    assert late not in editing.offered_findings(draft)
    with pytest.raises(DraftInvalid, match="accepterad lärdom"):
        editing.include_finding(_user(db, world.procurer), draft, world.findings["rejected"])


def test_items_move_within_their_section_and_numbering_follows(db, world):
    draft = _generate(db, world)
    first_round = db.session.get(TenderRound, world.first_round_id)
    db.session.add(
        Requirement(code="LRN-09", owner_organisation_id=world.intermediary_org)
    )  # unrelated library entry must not appear
    db.session.commit()
    service = [i for i in requirement_set(draft) if i.section == DraftSection.SERVICE]
    assert len(service) == 2 and first_round is not None
    before = numbering(draft)
    editing.move_item(draft, service[1], "upp")
    db.session.commit()
    after = numbering(draft)
    assert after[service[1].id] == before[service[0].id]
    assert after[service[0].id] == before[service[1].id]
    with pytest.raises(DraftInvalid):
        editing.move_item(draft, service[1], "upp")


def test_the_document_numbers_sections_and_explains_every_change(db, world):
    draft = _generate(db, world)
    document = assemble(draft, draft.created_at.date(), min_group_size=3)
    titles = [s.title for s in document.sections]
    assert titles[0] == "Omfattning" and "Marknadsfrågor" in titles
    numbers = [r.number for s in document.sections for r in s.requirements]
    assert numbers[0].startswith("2.") and len(numbers) == len(set(numbers))
    by_code = {e.code: e for e in document.provenance}
    assert by_code["LRN-01"].previous_version == 1 and by_code["LRN-01"].new_version == 2
    assert "1 underlag, 1 kommuner" in by_code["LRN-01"].findings[0]
    assert by_code["LRN-03"].new_version is None and by_code["LRN-03"].number == ""
    assert "LRN-02" not in by_code
    assert [(n.reason, n.count) for n in document.off_contract] == [("Kompetens", 3)]
    assert any(row.code == "LRN-03" for row in document.followup_plan) is False
