"""The start page figures, computed on the demo world and scoped to the reader's organisation."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from kb.auth.models import Role, User
from kb.demo.loader import load_demo
from kb.experiences.models import Experience, ExperienceStatus
from kb.findings.models import Finding, FindingStatus
from kb.main.services import start_figures
from kb.organisations.models import Organisation, OrganisationKind
from kb.tenders.models import Contract, ContractStatus

TODAY = date(2026, 11, 15)


def figures_of(db, email: str) -> dict[Role, dict[str, int]]:
    user = db.session.scalar(select(User).where(User.email == email))
    return {block.role: block.figures for block in start_figures(user, TODAY)}


def test_role_figures_on_the_demo_world(db):
    load_demo()
    db.session.commit()
    caseworker = db.session.scalar(
        select(User).where(User.email == "handlaggare@alvsjohamn.example")
    )
    own_drafts = db.session.scalar(
        select(func.count(Experience.id)).where(
            Experience.author_id == caseworker.id, Experience.status == ExperienceStatus.DRAFT
        )
    )
    figures = figures_of(db, "handlaggare@alvsjohamn.example")[Role.CASEWORKER]
    assert figures["drafts"] == own_drafts
    assert figures["submitted"] > 0
    assert figures["findings_fed"] >= 0
    paused = db.session.scalar(
        select(func.count(Contract.id)).where(Contract.status == ContractStatus.PAUSED)
    )
    assert (
        figures_of(db, "samordnare@alvsjohamn.example")[Role.COORDINATOR]["paused_contracts"]
        == paused
    )
    proposed = db.session.scalar(
        select(func.count(Finding.id)).where(Finding.status == FindingStatus.PROPOSED)
    )
    assert figures_of(db, "kunskap@vidala.example")[Role.CURATOR]["proposed_findings"] == proposed
    procurer = figures_of(db, "upphandlare@vidala.example")[Role.PROCURER]
    assert procurer["rounds_in_preparation"] == 1
    assert procurer["accepted_not_applied"] == 8


def test_an_unrelated_organisation_sees_none_of_the_demo_network(db):
    load_demo()
    outsider_org = Organisation(name="Fristående kommun", kind=OrganisationKind.MUNICIPALITY)
    outsider = User(
        name="Utomstående",
        email="ute@fristaende.example",
        organisation=outsider_org,
        password_hash="x",
    )
    outsider.set_roles({Role.COORDINATOR, Role.CURATOR, Role.PROCURER})
    db.session.add(outsider)
    db.session.commit()
    figures = figures_of(db, "ute@fristaende.example")
    assert all(value == 0 for block in figures.values() for value in block.values())
