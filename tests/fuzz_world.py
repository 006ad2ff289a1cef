"""One fictional world in which every form and API write of the app has something to act on.

It joins the learning-loop world (tests/draft_world.py: Lärförbundet's findings, requirements,
a finalised round and the next one) and the follow-up world (tests/followup_world.py: Hemby's
contracts, deviations and experiences), and adds what neither has: an admin, a user for the
admin to edit, a follow-up, a generated tender draft with an unresolved conflict and an
excluded item, an accepted finding the draft does not hold yet, a retired requirement, a
second round in planning (without predecessor), an import batch, and API tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from kb.api.tokens import create_token
from kb.auth.models import Role, User
from kb.extensions import db
from kb.findings.models import Finding, FindingStatus, ProposedChange
from kb.followups.models import FollowUp, FollowUpKind, FollowUpScope
from kb.imports.services import ImportRequest, run_import
from kb.requirements.models import Requirement
from kb.requirements.services import retire
from kb.suppliers.models import Supplier
from kb.tender_drafts.editing import conflicts, exclude_item
from kb.tender_drafts.generate import generate_draft
from kb.tender_drafts.models import Provenance, TenderDraft, TenderDraftItem
from kb.tenders.models import ProcurementForm, TenderRound, TenderRoundStatus
from tests.draft_world import build_draft_world
from tests.factories import Factory, fictional_org_number
from tests.followup_world import build_followup_world

ADMIN = "admin@larforbundet.example"
EDITED_USER = "redigeras@larforbundet.example"
IMPORT_CSV = (
    f"organisationsnummer;namn;bolagsform\r\n{fictional_org_number(9401)};Importgården AB;ab\r\n"
).encode()


@dataclass
class FuzzWorld:
    """Who acts (role key -> e-mail) and on what (name -> id)."""

    users: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    api_tokens: dict[str, str] = field(default_factory=dict)  # role key -> secret
    org_number: str = ""  # of the supplier "supplier"

    def __getitem__(self, name: str) -> int:
        return self.ids[name]


def _user_id(email: str) -> int:
    return db.session.scalar(select(User.id).where(User.email == email))


def _conflicting_finding(session, draft_world) -> Finding:
    """A second accepted change to LRN-01, so the generated draft has a conflict to resolve."""
    change = session.get(Finding, draft_world.findings["change"])
    return Finding(
        organisation_id=change.organisation_id,
        author_id=change.author_id,
        title="Kvällsbemanningen ska mätas",
        agreement_area_id=change.agreement_area_id,
        statement_md="Två kommuner såg samma sak.",
        recommendation_md="Mät bemanningen.",
        proposed_change=ProposedChange.CHANGE_REQUIREMENT,
        target_requirement_id=change.target_requirement_id,
        proposed_text_md="Bemanningen ska redovisas **varje kväll**.",
        status=FindingStatus.ACCEPTED,
    )


def _round_in_planning(session, draft_world, reference: str) -> TenderRound:
    first = session.get(TenderRound, draft_world.first_round_id)
    tender_round = TenderRound(
        reference=reference,
        title="Ramavtal Lärområde HVB, extra omgång",
        agreement_area_id=first.agreement_area_id,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation_id=first.lead_organisation_id,
        status=TenderRoundStatus.PLANNING,
    )
    session.add(tender_round)
    return tender_round


def _followup(followup_world) -> FollowUp:
    coordinator = _user_id(followup_world.coordinator)
    return FollowUp(
        organisation_id=followup_world.home_org,
        author_id=coordinator,
        title="Löpande uppföljning av Solgården",
        kind=FollowUpKind.CONTINUOUS,
        scope=FollowUpScope.UNIT,
        unit_id=followup_world.unit_id,
        methods=["rutingranskning"],
        period_start=date(2025, 1, 1),
        summary_md="Rutinerna **finns**.",
        summary_html="<p>Rutinerna <strong>finns</strong>.</p>",
    )


def _import_batch(admin_id: int, organisation_id: int, folder) -> int:
    path = folder / "fuzz-import.csv"
    path.write_bytes(IMPORT_CSV)
    request = ImportRequest("suppliers", path, path.name, organisation_id, admin_id)
    result = run_import(request, None)
    assert result.batch_id is not None, result
    return result.batch_id


def build_fuzz_world(session, make: Factory, folder) -> FuzzWorld:
    """Build everything in the app context's session; ``folder`` holds the import file."""
    drafts = build_draft_world(session, make)
    follow = build_followup_world(session, make)
    admin = make.user(Role.ADMIN, organisation=drafts.intermediary_org, email=ADMIN)
    edited = make.user(Role.CASEWORKER, organisation=drafts.intermediary_org, email=EDITED_USER)
    session.add(_conflicting_finding(session, drafts))
    spare_round = _round_in_planning(session, drafts, "LRN 2026/2")
    followup = _followup(follow)
    session.add(followup)
    session.commit()
    procurer = session.get(User, _user_id(drafts.procurer))
    draft = generate_draft(procurer, session.get(TenderRound, drafts.next_round_id))
    items = _draft_items(draft)
    exclude_item(draft, items["excluded"], "Behövs inte i den här omgången.")
    offered = _accepted_later(session, drafts)
    retired = session.get(Requirement, drafts.requirement_ids["LRN-03"])
    retire(retired)
    session.commit()
    world = FuzzWorld()
    world.users.update(
        admin=ADMIN,
        caseworker=follow.caseworker,
        coordinator=follow.coordinator,
        curator=drafts.curator,
        procurer=drafts.procurer,
    )
    world.ids.update(
        admin=admin,
        edited_user=edited,
        organisation=follow.neighbour_org,
        intermediary=drafts.intermediary_org,
        contract=follow.contract_id,
        deviation=follow.home_deviation,
        unit=follow.unit_id,
        area=follow.area_id,
        supplier=follow.supplier_id,
        round=follow.round_id,
        home_experience=follow.home_experience,
        home_draft=follow.home_draft,
        followup=followup.id,
        requirement=drafts.requirement_ids["LRN-02"],
        proposed_finding=drafts.findings["proposed"],
        replacement_finding=drafts.findings["market"],
        evidence=drafts.evidence_experience,
        finding_area=drafts.area_id,
        spare_round=spare_round.id,
        retired_requirement=retired.id,
        offered_finding=offered.id,
        draft=draft.id,
        draft_item=items["plain"].id,
        excluded_item=items["excluded"].id,
        conflict_item=items["conflict"].id,
        import_batch=_import_batch(admin, drafts.intermediary_org, folder),
    )
    world.org_number = session.get(Supplier, follow.supplier_id).org_number
    for key in ("caseworker", "admin"):
        user = session.get(User, _user_id(world.users[key]))
        token = create_token(user, "Fuzz", "write", None, datetime(2025, 1, 1))
        world.api_tokens[key] = token.secret
        world.ids[f"{key}_token"] = token.token.id
    session.commit()
    return world


def _draft_items(draft: TenderDraft) -> dict[str, TenderDraftItem]:
    """An item in a conflict, and two plain ones: one to exclude, one to edit and move."""
    found = conflicts(draft)
    assert found, "the world's draft should have a conflict"
    in_conflict = {item.id for conflict in found for item in conflict.items}
    plain = [
        item
        for item in sorted(draft.items, key=lambda item: item.id)
        if item.id not in in_conflict and item.provenance != Provenance.REMOVED
    ]
    return {"conflict": found[0].items[0], "excluded": plain[0], "plain": plain[1]}


def _accepted_later(session, drafts) -> Finding:
    """An accepted finding the draft does not hold yet, for "include a finding"."""
    market = session.get(Finding, drafts.findings["market"])
    finding = Finding(
        organisation_id=market.organisation_id,
        author_id=market.author_id,
        title="Fråga om platser för syskon över 18",
        agreement_area_id=market.agreement_area_id,
        proposed_change=ProposedChange.MARKET_QUESTION,
        proposed_text_md="Kan ni ta emot syskon som fyllt 18?",
        status=FindingStatus.ACCEPTED,
    )
    session.add(finding)
    session.flush()
    return finding
