"""The demo data set: complete, fictional, deterministic, loadable once, and scalable."""

from __future__ import annotations

import hashlib
import re
from itertools import pairwise
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from stdnum.se import orgnr, personnummer

from config import TestConfig
from kb import create_app
from kb.audit.models import AuditRecord
from kb.auth.models import Role, User
from kb.database import Base
from kb.demo.loader import DEMO_PASSWORD, demo_logins, generate_scale, load_demo
from kb.demo.narratives import split_sentences
from kb.demo.vocabulary import INTERMEDIARY, MUNICIPALITIES, SUPPLIER_STEMS
from kb.experiences.models import Experience, ExperienceRating
from kb.extensions import db as kb_db
from kb.findings.models import Finding, FindingStatus
from kb.followups.models import Deviation, FollowUp, SupplierCheck
from kb.organisations.models import Organisation, OrganisationKind
from kb.requirements.models import Requirement, RequirementVersion
from kb.search.models import SearchOutbox
from kb.suppliers.models import AgreementArea, Supplier, Unit
from kb.tender_drafts.models import DraftStatus, TenderDraft
from kb.tenders.models import Contract, ContractStatus, TenderRound, TenderRoundStatus
from tests.conftest import post_form

DESIGN_AREAS = {
    "HVB-hem, Behandling, för barn och unga upp till 20 år",
    "HVB-hem, akut och utredning",
    "Stödboende för ungdomar",
    "Skyddat boende",
    "Konsulentstödd familjehemsvård och behandlingsfamilj",
    "Enstaka platser i bostad med särskild service, LSS",
    "HVB för vuxna missbrukare",
}
UNALLOCATED_SERIES = ("55999", "80299", "80298", "76999", "21299", "22299")


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_loads_the_full_fictional_world_once(db):
    assert load_demo() is True
    db.session.commit()
    intermediary = db.session.scalar(select(Organisation).where(Organisation.name == INTERMEDIARY))
    assert intermediary.kind == OrganisationKind.INTERMEDIARY
    assert sorted(m.name for m in intermediary.members) == sorted(MUNICIPALITIES)
    assert {a.name for a in db.session.scalars(select(AgreementArea))} == DESIGN_AREAS
    assert count(db, Supplier) == 40
    assert 65 <= count(db, Unit) <= 75
    assert count(db, Experience) == 600
    assert count(db, ExperienceRating) == 600 * 9
    assert (
        count(db, FollowUp) >= 20 and count(db, Deviation) >= 40 and count(db, SupplierCheck) >= 80
    )
    assert 75 <= count(db, Requirement) <= 100
    assert count(db, RequirementVersion) > count(db, Requirement)
    statuses = set(db.session.scalars(select(Finding.status)))
    assert statuses == set(FindingStatus)
    assert 28 <= count(db, Finding) <= 32
    open_drafts = db.session.scalars(
        select(TenderDraft).where(TenderDraft.status == DraftStatus.DRAFT)
    ).all()
    assert len(open_drafts) == 1
    before = {model: count(db, model) for model in (Organisation, User, Experience, Finding)}
    assert load_demo() is False
    db.session.commit()
    assert {model: count(db, model) for model in before} == before


def test_six_areas_have_two_chained_rounds_one_ended_one_active(db):
    load_demo()
    db.session.commit()
    chained = db.session.scalars(
        select(TenderRound).where(
            TenderRound.predecessor_id.is_not(None), TenderRound.status == TenderRoundStatus.ACTIVE
        )
    ).all()
    assert len(chained) == 6
    for second in chained:
        assert second.predecessor.status == TenderRoundStatus.ENDED
        assert second.predecessor.agreement_area_id == second.agreement_area_id
        assert second.predecessor.contract_end < second.contract_start


def test_demo_findings_follow_their_evidence_and_precede_their_application(db):
    load_demo()
    db.session.commit()
    findings = db.session.scalars(select(Finding)).all()
    assert any(f.applied_at for f in findings)
    for finding in findings:
        submitted = [e.experience.submitted_at for e in finding.evidence if e.experience_id]
        assert all(when <= finding.created_at for when in submitted), finding.title
        steps = [finding.created_at, finding.decided_at, finding.applied_at]
        known = [when for when in steps if when is not None]
        assert known == sorted(known), finding.title


def test_some_contracts_are_paused_or_terminated_with_their_history(db):
    load_demo()
    db.session.commit()
    changed = db.session.scalars(
        select(Contract).where(
            Contract.status.in_(
                [ContractStatus.PAUSED, ContractStatus.TERMINATED, ContractStatus.RESCINDED]
            )
        )
    ).all()
    assert len(changed) >= 4
    for contract in changed:
        history = contract.status_changes
        assert history[-1].to_status == contract.status
        assert history[-1].reason and history[-1].decision_reference
        assert all(a.to_status == b.from_status for a, b in pairwise(history))


def test_every_narrative_sentence_is_unique_and_free_of_identity_numbers(db):
    load_demo()
    db.session.commit()
    sentences: list[str] = []
    for worked, not_worked, advice in db.session.execute(
        select(Experience.worked_md, Experience.not_worked_md, Experience.advice_md)
    ):
        for part in (worked, not_worked, advice):
            sentences += split_sentences(part)
            for digits in re.findall(r"\d[\d -]{8,}\d", part):
                assert not personnummer.is_valid(digits), digits
    assert len(sentences) > 2500
    assert len(sentences) == len(set(sentences))


def test_demo_organisation_numbers_are_valid_but_in_unallocated_series(db):
    load_demo()
    db.session.commit()
    numbers = list(db.session.scalars(select(Supplier.org_number))) + [
        n for n in db.session.scalars(select(Organisation.org_number)) if n
    ]
    assert len(numbers) == 47
    for number in numbers:
        assert orgnr.is_valid(number), number
        assert number.replace("-", "").startswith(UNALLOCATED_SERIES), number
    stems = {name for name in db.session.scalars(select(Supplier.name))}
    assert all(any(stem in name for stem in SUPPLIER_STEMS) for name in stems)


def test_every_demo_login_reaches_its_start_page(app, client, app_db):
    with app.app_context():
        load_demo()
        kb_db.session.commit()
    for _label, email in demo_logins():
        response = post_form(client, "/logga-in", {"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        assert "Välkommen" in client.get("/").get_data(as_text=True)
        post_form(client, "/logga-ut", {}, form_url="/")
    with app_db() as session:
        roles = {role for user in session.scalars(select(User)) for role in user.roles}
    assert roles == set(Role)


def test_scale_adds_experiences_with_ratings_outbox_rows_and_one_audit_record(db):
    load_demo()
    db.session.commit()
    audit_before = count(db, AuditRecord)
    outbox_before = count(db, SearchOutbox)
    assert generate_scale(750) == 750
    db.session.commit()
    assert count(db, Experience) == 1350
    assert count(db, ExperienceRating) == 1350 * 9
    assert count(db, SearchOutbox) == outbox_before + 750
    assert count(db, AuditRecord) == audit_before + 1
    orphans = db.session.scalar(
        select(func.count(Experience.id)).where(Experience.unit_id.is_(None))
    )
    assert orphans == 0


def test_cli_loads_once_and_prints_the_demo_logins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["kb", "demo"])
    assert first.exit_code == 0, first.output
    assert "Demodata laddad." in first.output
    for _label, email in demo_logins():
        assert email in first.output
    assert DEMO_PASSWORD in first.output
    second = runner.invoke(args=["kb", "demo"])
    assert "laddas inte igen" in second.output


def _fingerprint(url: str, tmp_path: Path) -> str:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tmp_path})
    with app.app_context():
        load_demo()
        kb_db.session.commit()
        rows = kb_db.session.execute(
            text(
                "SELECT unit_id, contract_id, start_year, start_month, end_reason, daily_price,"
                " worked_md, not_worked_md, advice_md FROM experiences ORDER BY id"
            )
        ).all()
        kb_db.engine.dispose()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_demo_is_deterministic(tmp_path):
    first = _fingerprint(f"sqlite:///{tmp_path / 'a.sqlite'}", tmp_path / "a")
    second = _fingerprint(f"sqlite:///{tmp_path / 'b.sqlite'}", tmp_path / "b")
    assert first == second
