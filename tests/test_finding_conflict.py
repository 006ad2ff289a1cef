"""Edit conflicts on findings: two editors of one finding never overwrite each other silently.

Every form that changes a finding (edit, decide, supersede) carries the version it was read
at. The first save wins; the second gets HTTP 409 with the conflict message, keeps what it
typed and sees the stored values. Races that pass the version check together are caught when
the UPDATE is flushed (``WHERE version = <read>``), both between two sessions and between two
threads posting at once.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import kb.findings.routes as finding_routes
from kb.audit.models import AuditRecord
from kb.auth.models import User
from kb.extensions import db as kb_db
from kb.findings.models import Finding, FindingStatus
from kb.findings.services import FindingInput, save_finding
from kb.findings.versions import FindingConflict
from kb.tender_drafts.finalise import finalise_draft
from kb.tender_drafts.generate import DraftInvalid, generate_draft
from kb.tender_drafts.models import DraftStatus, TenderDraft
from kb.tenders.models import TenderRound
from tests.conftest import csrf_token_from
from tests.draft_world import build_draft_world
from tests.factories import Factory
from tests.followup_world import FollowUpWorld, build_followup_world
from tests.test_findings import add_finding, finding_form

CONFLICT_MESSAGE = "Lärdomen har ändrats av någon annan sedan du öppnade den"
VERSION = re.compile(
    r'<input[^>]*name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"'
)


@pytest.fixture
def world(app_db, make) -> FollowUpWorld:
    with app_db() as session:
        return build_followup_world(session, make)


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    token = csrf_token_from(client.get("/logga-in").get_data(as_text=True))
    response = client.post(
        "/logga-in", data={"email": email, "password": Factory.PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client


class OpenForm:
    """A form page as one editor opened it: its CSRF token and the version it shows."""

    def __init__(self, client: FlaskClient, page_url: str) -> None:
        response = client.get(page_url)
        assert response.status_code == 200, page_url
        html = response.get_data(as_text=True)
        self.client = client
        self.token = csrf_token_from(html)
        match = VERSION.search(html)
        assert match, f"no version field on {page_url}"
        self.version = match.group(1) or match.group(2)

    def post(self, url: str, data: dict):
        return self.client.post(
            url, data={**data, "csrf_token": self.token, "version": self.version}
        )


def versions_on(page: str) -> list[str]:
    return [a or b for a, b in VERSION.findall(page)]


def stored(app_db, finding_id: int) -> Finding:
    with app_db() as session:
        finding = session.get(Finding, finding_id)
        session.expunge(finding)
        return finding


def finding_updates(app_db, finding_id: int) -> list[dict]:
    with app_db() as session:
        return [
            record.changes
            for record in session.scalars(
                select(AuditRecord).where(
                    AuditRecord.entity == "Finding",
                    AuditRecord.entity_id == str(finding_id),
                    AuditRecord.action == "update",
                )
            )
        ]


def edit_url(finding_id: int) -> str:
    return f"/lardomar/{finding_id}/redigera"


def test_two_editors_the_first_wins_and_the_second_gets_the_conflict(app, world, app_db):
    finding_id = add_finding(app_db, world, experiences=(world.home_experience,))
    first, second = signed_in(app, world.curator), signed_in(app, world.curator)
    first_form = OpenForm(first, edit_url(finding_id))
    second_form = OpenForm(second, edit_url(finding_id))
    assert first_form.version == second_form.version == "1"

    saved = first_form.post(edit_url(finding_id), finding_form(world, title="Förstas rubrik"))
    assert saved.status_code == 302
    refused = second_form.post(
        edit_url(finding_id),
        finding_form(world, title="Andras rubrik", statement_md="Andras iakttagelse."),
    )

    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert CONFLICT_MESSAGE in page
    assert 'value="Andras rubrik"' in page  # what the second editor typed stays in the form
    assert "Andras iakttagelse." in page
    assert "Förstas rubrik" in page  # the stored value is shown beside it
    now = stored(app_db, finding_id)
    assert (now.title, now.version) == ("Förstas rubrik", 2)
    assert "Andras" not in now.statement_md
    updates = finding_updates(app_db, finding_id)
    assert len(updates) == 1 and updates[0]["title"] == ["Lärdom om Solgården", "Förstas rubrik"]
    assert "version" not in updates[0]
    assert versions_on(page) == ["2"]  # saving again is a deliberate overwrite


def test_saving_again_after_the_conflict_is_a_deliberate_overwrite(app, world, app_db):
    finding_id = add_finding(app_db, world, experiences=(world.home_experience,))
    first, second = signed_in(app, world.curator), signed_in(app, world.curator)
    first_form, second_form = (
        OpenForm(first, edit_url(finding_id)),
        OpenForm(second, edit_url(finding_id)),
    )
    first_form.post(edit_url(finding_id), finding_form(world, title="Förstas rubrik"))
    refused = second_form.post(edit_url(finding_id), finding_form(world, title="Andras rubrik"))
    assert refused.status_code == 409

    second_form.version = versions_on(refused.get_data(as_text=True))[0]
    again = second_form.post(edit_url(finding_id), finding_form(world, title="Andras rubrik"))
    assert again.status_code == 302
    assert (stored(app_db, finding_id).title, stored(app_db, finding_id).version) == (
        "Andras rubrik",
        3,
    )
    assert len(finding_updates(app_db, finding_id)) == 2


def test_a_decision_on_a_finding_changed_meanwhile_is_refused(app, world, app_db):
    finding_id = add_finding(app_db, world, experiences=(world.home_experience,))
    editor, decider = signed_in(app, world.curator), signed_in(app, world.curator)
    decision_form = OpenForm(decider, f"/lardomar/{finding_id}")
    edit_form = OpenForm(editor, edit_url(finding_id))
    assert (
        edit_form.post(edit_url(finding_id), finding_form(world, title="Ny rubrik")).status_code
        == 302
    )

    refused = decision_form.post(f"/lardomar/{finding_id}/beslut", {"decision": "accepterad"})

    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert CONFLICT_MESSAGE in page and "Ny rubrik" in page
    now = stored(app_db, finding_id)
    assert now.status == FindingStatus.PROPOSED and now.decided_at is None
    assert len(finding_updates(app_db, finding_id)) == 1


def test_a_decision_taken_meanwhile_stops_a_second_decision_and_a_supersede(app, world, app_db):
    finding_id = add_finding(app_db, world, experiences=(world.home_experience,))
    other_id = add_finding(app_db, world, title="Ersättaren", experiences=(world.home_experience,))
    first, second = signed_in(app, world.curator), signed_in(app, world.curator)
    first_form, second_form = (
        OpenForm(first, f"/lardomar/{finding_id}"),
        OpenForm(second, f"/lardomar/{finding_id}"),
    )
    accepted = first_form.post(f"/lardomar/{finding_id}/beslut", {"decision": "accepterad"})
    assert accepted.status_code == 302

    rejected = second_form.post(
        f"/lardomar/{finding_id}/beslut", {"decision": "avvisad", "rejection_reason": "Nej."}
    )
    superseded = second_form.post(
        f"/lardomar/{finding_id}/ersatt", {"superseded_by_id": str(other_id)}
    )

    assert (rejected.status_code, superseded.status_code) == (409, 409)
    assert CONFLICT_MESSAGE in superseded.get_data(as_text=True)
    now = stored(app_db, finding_id)
    assert (now.status, now.rejection_reason, now.superseded_by_id) == (
        FindingStatus.ACCEPTED,
        None,
        None,
    )
    assert len(finding_updates(app_db, finding_id)) == 1


def test_changing_only_the_evidence_raises_the_version(app, world, app_db):
    finding_id = add_finding(app_db, world, experiences=(world.home_experience,))
    first, second = signed_in(app, world.curator), signed_in(app, world.curator)
    first_form, second_form = (
        OpenForm(first, edit_url(finding_id)),
        OpenForm(second, edit_url(finding_id)),
    )
    same_fields = {
        "title": "Lärdom om Solgården",
        "agreement_area_id": str(world.area_id),
        "importance": "medel",
        "statement_md": "Kontinuiteten brister.",
        "proposed_change": "marknadsfraga",
        "proposed_text_md": "Hur arbetar ni med kontinuitet?",
    }
    more_evidence = {
        **same_fields,
        "erfarenhet": [str(world.home_experience), str(world.neighbour_experience)],
    }
    assert first_form.post(edit_url(finding_id), more_evidence).status_code == 302
    assert stored(app_db, finding_id).version == 2
    assert finding_updates(app_db, finding_id) == []  # no field of the finding itself changed

    refused = second_form.post(
        edit_url(finding_id), {**same_fields, "erfarenhet": [str(world.home_experience)]}
    )
    assert refused.status_code == 409
    with app_db() as session:
        evidence = session.get(Finding, finding_id).evidence
        assert sorted(e.experience_id for e in evidence) == sorted(
            [world.home_experience, world.neighbour_experience]
        )


def test_a_version_that_is_not_a_number_is_a_conflict_not_an_error(app, world, app_db):
    finding_id = add_finding(app_db, world, experiences=(world.home_experience,))
    form = OpenForm(signed_in(app, world.curator), edit_url(finding_id))
    form.version = "<script>"
    response = form.post(edit_url(finding_id), finding_form(world, title="Aldrig sparad"))
    assert response.status_code == 409
    assert stored(app_db, finding_id).title == "Lärdom om Solgården"


def _edit_input(world: FollowUpWorld, title: str) -> FindingInput:
    return FindingInput(
        title=title,
        agreement_area_id=world.area_id,
        statement_md="Kontinuiteten brister.",
        importance="medel",
        proposed_change="marknadsfraga",
        proposed_text_md="Hur arbetar ni med kontinuitet?",
        evidence={"experience": [world.home_experience], "followup": [], "deviation": []},
    )


def test_two_sessions_that_read_the_same_version_cannot_both_save(app, world, app_db):
    """The version check passes for both (each read version 1); the flush's
    UPDATE … WHERE version = 1 of the later one matches no row and becomes FindingConflict."""
    finding_id = add_finding(app_db, world, experiences=(world.home_experience,))
    with app.app_context():
        curator = kb_db.session.scalar(select(User).where(User.email == world.curator))
        late = kb_db.session.get(Finding, finding_id)
        assert late.version == 1
        with app.app_context():  # a second request: its own session
            early_user = kb_db.session.get(User, curator.id)
            early = kb_db.session.get(Finding, finding_id)
            save_finding(
                early_user,
                _edit_input(world, "Tidig"),
                privacy_confirmed=False,
                finding=early,
                read_version=1,
            )
            kb_db.session.commit()
        with pytest.raises(FindingConflict):
            save_finding(
                curator,
                _edit_input(world, "Sen"),
                privacy_confirmed=False,
                finding=late,
                read_version=1,
            )
        kb_db.session.rollback()
    now = stored(app_db, finding_id)
    assert (now.title, now.version) == ("Tidig", 2)
    assert len(finding_updates(app_db, finding_id)) == 1


def test_editors_posting_at_the_same_moment_get_one_winner(app, world, app_db, monkeypatch):
    """Injected: a barrier in front of save_finding, so that every thread has loaded the
    finding at version 1 and passed the form's version check before any of them saves."""
    finding_id = add_finding(app_db, world, experiences=(world.home_experience,))
    editors = 4
    forms = [OpenForm(signed_in(app, world.curator), edit_url(finding_id)) for _ in range(editors)]
    barrier = threading.Barrier(editors, timeout=30)
    real_save: Callable = finding_routes.save_finding

    def save_together(*args, **kwargs):
        barrier.wait()
        return real_save(*args, **kwargs)

    monkeypatch.setattr(finding_routes, "save_finding", save_together)
    statuses: dict[int, int] = {}

    def post(number: int) -> None:
        data = finding_form(world, title=f"Redaktör {number}")
        statuses[number] = forms[number].post(edit_url(finding_id), data).status_code

    threads = [threading.Thread(target=post, args=(number,)) for number in range(editors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    winners = [number for number, status in statuses.items() if status == 302]
    assert sorted(statuses.values()) == [302] + [409] * (editors - 1), statuses
    now = stored(app_db, finding_id)
    assert (now.title, now.version) == (f"Redaktör {winners[0]}", 2)
    assert len(finding_updates(app_db, finding_id)) == 1


def test_every_form_that_changes_a_finding_carries_its_version(app, world, app_db):
    finding_id = add_finding(app_db, world, experiences=(world.home_experience,))
    add_finding(app_db, world, title="En annan", experiences=(world.home_experience,))
    with app_db() as session:
        session.get(Finding, finding_id).title = "Ändrad en gång"
        session.commit()  # the mapper raises the version of any UPDATE
    client = signed_in(app, world.curator)
    detail = client.get(f"/lardomar/{finding_id}").get_data(as_text=True)
    edit = client.get(edit_url(finding_id)).get_data(as_text=True)
    assert f'action="/lardomar/{finding_id}/ersatt"' in detail
    assert versions_on(detail) == ["2", "2"]  # decide and supersede
    assert versions_on(edit) == ["2"]


def test_finalising_a_draft_whose_finding_changed_meanwhile_changes_nothing(app, app_db, make):
    """The draft's findings are read at their versions; a curator's edit committed before the
    finalisation flushes makes its UPDATE … WHERE version match no row: DraftInvalid, and
    the whole finalisation is rolled back."""
    with app_db() as session:
        draft_world = build_draft_world(session, make)
    market = draft_world.findings["market"]
    with app.app_context():
        procurer = kb_db.session.scalar(select(User).where(User.email == draft_world.procurer))
        tender_round = kb_db.session.get(TenderRound, draft_world.next_round_id)
        draft_id = generate_draft(procurer, tender_round).id
        kb_db.session.commit()
    with app.app_context():
        procurer = kb_db.session.scalar(select(User).where(User.email == draft_world.procurer))
        draft = kb_db.session.get(TenderDraft, draft_id)
        assert market in {item.finding_id for item in draft.items}
        read_versions = {
            item.finding.id: item.finding.version for item in draft.items if item.finding
        }
        with app.app_context():  # the curator's edit, in a request of its own
            kb_db.session.get(Finding, market).title = "Ändrad under tiden"
            kb_db.session.commit()
        with pytest.raises(DraftInvalid, match="ändrades av någon annan"):
            finalise_draft(procurer, draft)
        kb_db.session.rollback()
    with app_db() as session:
        assert session.get(TenderDraft, draft_id).status == DraftStatus.DRAFT
        for finding_id, version in read_versions.items():
            finding = session.get(Finding, finding_id)
            assert finding.status == FindingStatus.ACCEPTED and finding.applied_at is None
            assert finding.version == version + (1 if finding_id == market else 0)
        assert session.get(Finding, market).title == "Ändrad under tiden"
