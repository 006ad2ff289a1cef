"""Retention: old experience narratives are anonymised or removed, dry run first, audited, and
nothing else changes (ratings, aggregates). Runs on SQLite and PostgreSQL.

The world is one intermediary network. Every narrative carries a marker word that appears
nowhere else, so "no old narrative remains readable" is a plain substring search through the
audit records, the API and the pages. The recent experience keeps its marker, which shows
the searches can find a marker that is there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from kb.api.tokens import create_token
from kb.audit.models import AuditRecord
from kb.auth.models import Role, User
from kb.experiences.models import (
    AgeBand,
    EndReason,
    Experience,
    ExperienceRating,
    ExperienceStatus,
    LegalBasis,
    PlacementKind,
    WouldPlaceAgain,
)
from kb.insight.models import RatingTotal
from kb.markdown import render_markdown
from kb.organisations.models import Organisation, OrganisationKind
from kb.retention.rule import RetentionAction, RetentionRule, reference_date, years_before
from kb.retention.services import candidate_ids
from kb.suppliers.models import AgreementArea, AreaCategory, LegalForm, Supplier, Unit
from kb.suppliers.services import knowledge_for
from kb.tenders.models import Contract, ProcurementForm, TenderRound
from kb.themes import Theme
from tests.factories import Factory, fictional_org_number

# The words only the narratives that the rule handles hold (and one that it keeps).
OLD_MARKERS = {
    "ended": ("Akvarellmålning", "Ponnyridning", "Kanotpaddling"),
    "ongoing": ("Fågelskådning", "", ""),
    "draft": ("Svampplockning", "", "Bärplockning"),
}
KEPT_MARKER = "Trädgårdsodling"
HANDLED_TEXT = "Tidigare gallrad text"
NARRATIVES = ("worked", "not_worked", "advice")
ALL_OLD = [word for words in OLD_MARKERS.values() for word in words if word]


@dataclass(frozen=True)
class RetentionWorld:
    ids: dict[str, int]
    emails: dict[str, str]
    supplier_id: int


def _experience(author: User, unit: Unit, area, contract, key: str, **fields) -> Experience:
    worked, not_worked, advice = OLD_MARKERS.get(key, (KEPT_MARKER, "", ""))
    texts = fields.pop("texts", None) or {
        "worked_md": f"Det gick bra med {worked}." if worked else "",
        "not_worked_md": f"Sämre: {not_worked}." if not_worked else "",
        "advice_md": f"Råd: {advice}." if advice else "",
    }
    status = fields.pop("status", ExperienceStatus.SUBMITTED)
    experience = Experience(
        organisation_id=author.organisation_id,
        author=author,
        unit=unit,
        agreement_area=area,
        contract=contract,
        start_year=fields.pop("start_year", 2008),
        start_month=1,
        end_reason=fields.pop("end_reason", EndReason.PLANNED),
        would_place_again=WouldPlaceAgain.YES,
        placement_kind=PlacementKind.TREATMENT,
        legal_basis=LegalBasis.SOL,
        age_band=AgeBand.AGE_13_15,
        daily_price=4200,
        status=status,
        ratings=[
            ExperienceRating(theme=theme, rating=1 + (index + len(key)) % 5)
            for index, theme in enumerate(Theme)
        ],
        **texts,
        **{name.replace("_md", "_html"): render_markdown(value) for name, value in texts.items()},
        **fields,
    )
    return experience


def build_retention_world(session, make: Factory) -> RetentionWorld:
    intermediary = Organisation(name="Gallringsförbundet", kind=OrganisationKind.INTERMEDIARY)
    home = Organisation(name="Äldreby", kind=OrganisationKind.MUNICIPALITY, member_of=intermediary)
    other = Organisation(name="Nyby", kind=OrganisationKind.MUNICIPALITY, member_of=intermediary)
    area = AgreementArea(name="Gallringsområde HVB", category=AreaCategory.IFO)
    supplier = Supplier(
        name="Arkivhemmet AB", org_number=fictional_org_number(961), legal_form=LegalForm.AKTIEBOLAG
    )
    unit = Unit(supplier=supplier, name="Arkivgården", agreement_areas=[area])
    tender_round = TenderRound(
        reference="GAL 2007/1",
        title="Gamla ramavtalet",
        agreement_area=area,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=intermediary,
        contract_start=date(2007, 1, 1),
        contract_end=date(2030, 12, 31),
    )
    contract = Contract(tender_round=tender_round, supplier=supplier, units=[unit], reference="G-1")
    session.add_all([home, other, contract])
    session.commit()
    users = {
        "author": make.user(Role.CASEWORKER, organisation=home.id),
        "neighbour": make.user(Role.CASEWORKER, organisation=other.id),
        "curator": make.user(Role.CURATOR, organisation=intermediary.id),
        "admin": make.user(Role.ADMIN, organisation=intermediary.id),
    }
    author, neighbour = session.get(User, users["author"]), session.get(User, users["neighbour"])
    rows = {
        "ended": _experience(
            author,
            unit,
            area,
            contract,
            "ended",
            end_year=2009,
            end_month=6,
            submitted_at=datetime(2009, 7, 1),
        ),
        "ongoing": _experience(
            neighbour,
            unit,
            area,
            contract,
            "ongoing",
            end_reason=EndReason.ONGOING,
            submitted_at=datetime(2011, 2, 1),
        ),
        "draft": _experience(
            author,
            unit,
            area,
            contract,
            "draft",
            status=ExperienceStatus.DRAFT,
            created_at=datetime(2010, 1, 1),
        ),
        "recent": _experience(
            author,
            unit,
            area,
            contract,
            "recent",
            start_year=2024,
            end_year=2024,
            end_month=5,
            submitted_at=datetime(2024, 6, 1),
        ),
        "handled": _experience(
            author,
            unit,
            area,
            contract,
            "handled",
            end_year=2005,
            end_month=1,
            start_year=2004,
            submitted_at=datetime(2005, 2, 1),
            narrative_removed_at=datetime(2020, 1, 1),
            texts={"worked_md": HANDLED_TEXT, "not_worked_md": "", "advice_md": ""},
        ),
    }
    session.add_all(rows.values())
    session.commit()
    ids = {key: row.id for key, row in rows.items()}
    emails = {key: session.get(User, user_id).email for key, user_id in users.items()}
    return RetentionWorld(ids | {"unit": unit.id}, emails, supplier.id)


@pytest.fixture
def world(app, app_db, make) -> RetentionWorld:
    app.config.update(RETENTION_YEARS=10, RETENTION_ACTION="anonymise")
    with app_db() as session:
        return build_retention_world(session, make)


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["kb", "retention", *args])


def audit_text(session) -> str:
    return json.dumps(list(session.scalars(select(AuditRecord.changes))), ensure_ascii=False)


def experience_state(session) -> dict[int, dict]:
    """Every column of every experience, and its ratings."""
    state = {}
    for experience in session.scalars(select(Experience)):
        columns = {c.key: getattr(experience, c.key) for c in Experience.__mapper__.column_attrs}
        columns["ratings"] = sorted((r.theme.value, r.rating) for r in experience.ratings)
        state[experience.id] = columns
    return state


# --- the rule ----------------------------------------------------------------------------------


def test_age_is_measured_from_the_month_after_the_placement_ended():
    assert reference_date(2014, 3, datetime(2014, 5, 2), datetime(2014, 1, 1)) == date(2014, 4, 1)
    assert reference_date(2014, 12, None, datetime(2014, 1, 1)) == date(2015, 1, 1)
    assert reference_date(None, None, datetime(2012, 2, 3, 10), datetime(2011, 1, 1)) == date(
        2012, 2, 3
    )
    assert reference_date(None, None, None, datetime(2011, 1, 5)) == date(2011, 1, 5)
    assert years_before(date(2024, 2, 29), 10) == date(2014, 2, 28)


def test_the_cut_off_day_is_included_and_the_day_before_is_not(app, app_db, world):
    rule = RetentionRule(10, RetentionAction.ANONYMISE)
    with app_db():
        # "ended" ended in June 2009: its age counts from 2009-07-01.
        assert world.ids["ended"] in candidate_ids(rule, date(2019, 7, 1))
        assert world.ids["ended"] not in candidate_ids(rule, date(2019, 6, 30))
        # "ongoing" has no end: from its submission, 2011-02-01.
        assert world.ids["ongoing"] in candidate_ids(rule, date(2021, 2, 1))
        assert world.ids["ongoing"] not in candidate_ids(rule, date(2021, 1, 31))
        # The draft was never submitted: from its creation, 2010-01-01.
        assert world.ids["draft"] in candidate_ids(rule, date(2020, 1, 1))
        assert world.ids["draft"] not in candidate_ids(rule, date(2019, 12, 31))
        assert world.ids["handled"] not in candidate_ids(rule, date(2099, 1, 1))
        assert candidate_ids(RetentionRule(0, RetentionAction.REMOVE), date(2099, 1, 1)) == []


# --- dry run -------------------------------------------------------------------------------------


def test_the_dry_run_shows_counts_per_organisation_and_changes_nothing(app, app_db, world):
    with app_db() as session:
        before, audit_rows = (
            experience_state(session),
            session.scalar(select(func.count(AuditRecord.id))),
        )
    result = run(app)
    assert result.exit_code == 0, result.output
    assert "Berörs nu: 3 erfarenheter." in result.output
    lines = result.output.splitlines()
    assert any(line.split() == ["Äldreby", "2", "2009-07-01", "2010-01-01"] for line in lines)
    assert any(line.split() == ["Nyby", "1", "2011-02-01", "2011-02-01"] for line in lines)
    assert "Redan gallrade (hoppas över): 1" in result.output
    assert "Torrkörning: ingenting har ändrats." in result.output
    assert not any(word in result.output for word in [*ALL_OLD, KEPT_MARKER, HANDLED_TEXT])
    with app_db() as session:
        assert experience_state(session) == before
        assert session.scalar(select(func.count(AuditRecord.id))) == audit_rows


def test_a_rule_of_zero_years_is_off_and_a_wrong_action_is_refused(app, app_db, world):
    with app_db() as session:
        before = experience_state(session)
    app.config["RETENTION_YEARS"] = 0
    off = run(app, "--apply")
    assert off.exit_code == 0 and "Gallringsregeln är avstängd" in off.output
    app.config.update(RETENTION_YEARS=10, RETENTION_ACTION="radera")
    wrong = run(app, "--apply")
    assert wrong.exit_code != 0
    assert 'KB_RETENTION_ACTION måste vara "anonymise" eller "remove"' in wrong.output
    assert "Traceback" not in wrong.output
    with app_db() as session:
        assert experience_state(session) == before


# --- apply ---------------------------------------------------------------------------------------


def test_anonymise_replaces_every_free_text_and_keeps_the_structured_fields(app, app_db, world):
    with app_db() as session:
        before = experience_state(session)
    result = run(app, "--apply", "--batch-size", "2")
    assert result.exit_code == 0, result.output
    assert "Gallrade 3 erfarenheter i 2 omgångar." in result.output
    notice = "Berättelsen har tagits bort enligt gallringsregeln (äldre än 10 år)."
    with app_db() as session:
        after = experience_state(session)
    text_fields = {f"{name}_{kind}" for name in NARRATIVES for kind in ("md", "html")}
    for key in ("ended", "ongoing", "draft"):
        old, new = before[world.ids[key]], after[world.ids[key]]
        assert new["narrative_removed_at"] is not None
        for name in ("worked_md", "not_worked_md", "advice_md"):
            assert new[name] == (notice if old[name] else "")
            assert new[name.replace("_md", "_html")] == (f"<p>{notice}</p>\n" if old[name] else "")
        unchanged = set(old) - text_fields - {"narrative_removed_at", "updated_at"}
        assert {k: new[k] for k in unchanged} == {k: old[k] for k in unchanged}
    for key in ("recent", "handled"):
        assert after[world.ids[key]] == before[world.ids[key]]
    again = run(app, "--apply")
    assert "Gallrade 0 erfarenheter" in again.output


def test_remove_empties_the_texts_and_the_pages_and_api_show_the_notice(
    app, app_db, world, client, login
):
    app.config["RETENTION_ACTION"] = "remove"
    with app_db() as session:
        author = session.scalar(select(User).where(User.email == world.emails["author"]))
        token = create_token(author, "Prov", "read", None, datetime(2025, 1, 1)).secret
        session.commit()
    assert run(app, "--apply").exit_code == 0
    with app_db() as session:
        ended = session.get(Experience, world.ids["ended"])
        texts = [
            getattr(ended, f"{n}_{k}")
            for n in ("worked", "not_worked", "advice")
            for k in ("md", "html")
        ]
        assert texts == [""] * 6 and ended.narrative_removed_at is not None
        day = ended.narrative_removed_at.date().isoformat()
    notice = f"Berättelsen har tagits bort enligt gallringsregeln den {day}."
    api = client.get(
        f"/api/v1/experiences/{world.ids['ended']}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 200
    assert api.get_json()["narrative_notice"] == notice
    assert not any(word in api.get_data(as_text=True) for word in ALL_OLD)
    recent = client.get(
        f"/api/v1/experiences/{world.ids['recent']}",
        headers={"Authorization": f"Bearer {token}"},
    ).get_json()
    assert recent["narrative_notice"] is None and KEPT_MARKER in recent["worked_md"]
    login(world.emails["author"])
    page = client.get(f"/erfarenheter/{world.ids['ended']}").get_data(as_text=True)
    assert notice in page and not any(word in page for word in ALL_OLD)
    assert KEPT_MARKER in client.get(f"/erfarenheter/{world.ids['recent']}").get_data(as_text=True)


def test_each_change_is_audited_and_no_audit_record_keeps_the_old_text(app, app_db, world):
    with app_db() as session:
        assert all(word in audit_text(session) for word in ALL_OLD)  # the creation records
    assert run(app, "--apply").exit_code == 0
    with app_db() as session:
        logged = audit_text(session)
        assert not any(word in logged for word in ALL_OLD)
        assert KEPT_MARKER in logged
        records = session.scalars(
            select(AuditRecord).where(AuditRecord.actor_label == "gallring")
        ).all()
        assert sorted(int(r.entity_id) for r in records) == sorted(
            world.ids[key] for key in ("ended", "ongoing", "draft")
        )
        home, other = (
            session.scalar(select(Organisation.id).where(Organisation.name == name))
            for name in ("Äldreby", "Nyby")
        )
        by_id = {int(r.entity_id): r for r in records}
        assert by_id[world.ids["ended"]].organisation_id == home
        assert by_id[world.ids["ongoing"]].organisation_id == other
        change = by_id[world.ids["ended"]].changes["worked_md"]
        assert change == [
            "[gallrat]",
            "Berättelsen har tagits bort enligt gallringsregeln (äldre än 10 år).",
        ]
        assert by_id[world.ids["ended"]].changes["narrative_removed_at"][0] is None


def test_the_audit_trail_is_append_only_again_after_a_run(app, app_db, world):
    assert run(app, "--apply").exit_code == 0
    with app_db() as session:
        with pytest.raises(DatabaseError, match="append-only"):
            session.execute(text("UPDATE audit_records SET actor_label = 'x'"))
        session.rollback()
        with pytest.raises(DatabaseError, match="append-only"):
            session.execute(text("DELETE FROM audit_records"))


def test_a_failed_batch_is_rolled_back_and_the_ones_before_it_stay(app, app_db, world, monkeypatch):
    """Injected: the audit redaction of the second batch raises after its experiences were
    flushed. The first batch ("ended") stays done, the second ("ongoing") is untouched."""
    from kb.retention import services

    real, calls = services.redact_narratives, []

    def fails_the_second_time(kept):
        calls.append(kept)
        if len(calls) == 2:
            raise RuntimeError("injected failure")
        return real(kept)

    monkeypatch.setattr(services, "redact_narratives", fails_the_second_time)
    with app_db() as session:
        before = experience_state(session)
    failed = run(app, "--apply", "--batch-size", "1")
    assert failed.exit_code == 1, failed.output
    assert "Gallrade 1 erfarenheter i 1 omgångar." in failed.output
    assert "Gallringen avbröts (RuntimeError: injected failure)" in failed.output
    with app_db() as session:
        after = experience_state(session)
        assert after[world.ids["ended"]]["narrative_removed_at"] is not None
        assert after[world.ids["ongoing"]] == before[world.ids["ongoing"]]
        assert after[world.ids["draft"]] == before[world.ids["draft"]]
        logged = audit_text(session)
        assert "Akvarellmålning" not in logged and "Fågelskådning" in logged
        with pytest.raises(DatabaseError, match="append-only"):
            session.execute(text("UPDATE audit_records SET actor_label = 'x'"))
    monkeypatch.setattr(services, "redact_narratives", real)
    rest = run(app, "--apply")
    assert rest.exit_code == 0 and "Gallrade 2 erfarenheter" in rest.output


def test_ratings_and_aggregates_are_unchanged(app, app_db, world, client, login):
    login(world.emails["curator"])
    url = f"/leverantorer/{world.supplier_id}/diagram.json"
    charts_before = client.get(url).get_json()
    cards_before = scorecards_by_viewer(app_db, world)
    assert cards_before["curator"]["overall"][0].n == 4  # every submitted one, old or not
    with app_db() as session:
        totals_before = sorted(
            tuple(getattr(row, c.key) for c in RatingTotal.__mapper__.column_attrs)
            for row in session.scalars(select(RatingTotal))
        )
        assert totals_before  # the submitted experiences' ratings are counted
    assert run(app, "--apply").exit_code == 0
    with app_db() as session:
        totals_after = sorted(
            tuple(getattr(row, c.key) for c in RatingTotal.__mapper__.column_attrs)
            for row in session.scalars(select(RatingTotal))
        )
    assert totals_after == totals_before
    assert client.get(url).get_json() == charts_before
    assert scorecards_by_viewer(app_db, world) == cards_before


def scorecards_by_viewer(app_db, world: RetentionWorld) -> dict:
    """The supplier page's scorecards as the curator and as the other member's caseworker."""
    cards = {}
    with app_db() as session:
        for key in ("curator", "neighbour"):
            viewer = session.scalar(select(User).where(User.email == world.emails[key]))
            view = knowledge_for(viewer, [world.ids["unit"]], world.supplier_id, 3)
            cards[key] = view.scorecards
    return cards


def test_a_narrative_written_again_is_shown_and_handled_again(app, app_db, world, client):
    """The author writes new text into a handled experience (through the API, as the form
    does): the notice gives way to the text, and the next run handles it again."""
    with app_db() as session:
        author = session.scalar(select(User).where(User.email == world.emails["author"]))
        token = create_token(author, "Prov", "write", None, datetime(2025, 1, 1)).secret
        session.commit()
    assert run(app, "--apply").exit_code == 0
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/experiences/{world.ids['ended']}"
    rating_only = client.patch(url, json={"goal_attainment": 3}, headers=headers)
    assert rating_only.status_code == 200, rating_only.get_data(as_text=True)
    assert rating_only.get_json()["narrative_notice"] is not None  # the text was not touched
    written = client.patch(url, json={"worked_md": "Ny text om Fiskeutflykt."}, headers=headers)
    assert written.status_code == 200, written.get_data(as_text=True)
    body = written.get_json()
    assert body["narrative_notice"] is None and "Fiskeutflykt" in body["worked_html"]
    again = run(app)
    assert "Berörs nu: 1 erfarenheter." in again.output
    assert run(app, "--apply").exit_code == 0
    with app_db() as session:
        assert "Fiskeutflykt" not in audit_text(session)
        assert session.get(Experience, world.ids["ended"]).narrative_removed_at is not None


# --- the admin page ----------------------------------------------------------------------------


def test_admins_see_the_rule_and_the_dry_run_numbers(app, world, client, login):
    login(world.emails["admin"])
    page = client.get("/admin/gallring")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "KB_RETENTION_YEARS=10" in html and "Skulle gallras nu: 3 erfarenheter" in html
    assert "Äldreby" in html and "2009-07-01" in html
    assert not any(word in html for word in [*ALL_OLD, KEPT_MARKER])


def test_only_admins_open_the_retention_page(app, world, client, login):
    for key in ("author", "curator"):
        login(world.emails[key])
        assert client.get("/admin/gallring").status_code == 403
        client.post("/logga-ut", data={})
        client.delete_cookie("session")
