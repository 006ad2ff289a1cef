"""Tender rounds, contracts and experiences imported in a chain; batch audit and undo."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from kb.audit.context import Actor, acting_as
from kb.audit.models import AuditRecord
from kb.auth.models import Role
from kb.experiences.models import Experience, ExperienceRating, ExperienceStatus
from kb.extensions import db
from kb.imports.models import ImportBatch
from kb.imports.undo import UndoRefused, undo_batch
from kb.suppliers.models import AgreementArea, Supplier, Unit
from kb.tenders.models import Contract, ContractStatus, TenderRound
from kb.themes import Theme
from tests.conftest import post_form
from tests.import_helpers import messages, run, write_csv, write_jsonl
from tests.test_rating_totals import fresh, stored

AREA = "HVB-hem, akut och utredning"
EXPERIENCE_HEADER = (
    "extern_id;leverantor_organisationsnummer;verksamhet;avtalsomrade;avtalsreferens;"
    "placeringstyp;lagrum;aldersgrupp;start;slut;slutorsak;placera_igen;dygnspris;"
    "vad_fungerade;" + ";".join(f"betyg_{t.value}" for t in Theme)
)


@pytest.fixture
def world(app, app_db, make, tmp_path: Path) -> dict:
    organisation = make.organisation("Påhittstad kommun")
    user = make.user(organisation=organisation)
    area = make.agreement_area(AREA)
    supplier = make.supplier()
    unit = make.unit(supplier, name="Påhittade gården")
    with app_db() as session:
        unit_row = session.get(Unit, unit)
        unit_row.agreement_areas.append(session.get(AgreementArea, area))
        session.commit()
        org_number = session.get(Supplier, supplier).org_number
    rounds = write_csv(
        tmp_path / "omgangar.csv",
        [
            "diarienummer;titel;avtalsomrade;upphandlingsform;status;avtalsstart;avtalsslut;foregaende_diarienummer",
            f"KF 2020/1;HVB 2020;{AREA};lou_ramavtal;avslutad;2020-03-01;2022-02-28;",
            f"KF 2022/1;HVB 2022;{AREA};LOU ramavtal;aktiv;2022-03-01;2026-02-28;KF 2020/1",
        ],
    )
    result = run(app, "tender-rounds", rounds, organisation=organisation)
    assert result.ok and result.created == 2, messages(result)
    contracts = write_csv(
        tmp_path / "avtal.csv",
        [
            "avtalsreferens;upphandling_diarienummer;leverantor_organisationsnummer;status;verksamheter",
            f"KF 2022/1-01;KF 2022/1;{org_number};aktivt;Påhittade gården",
        ],
    )
    result = run(app, "contracts", contracts, organisation=organisation)
    assert result.ok and result.created == 1, messages(result)
    return {"organisation": organisation, "user": user, "org_number": org_number, "unit": unit}


def _row(world: dict, key: str, text: str = "Bra **struktur**.", rating: str = "4") -> str:
    ratings = ";".join([rating] + ["ej aktuellt"] * (len(Theme) - 1))
    return (
        f"{key};{world['org_number']};påhittade  gården;{AREA};KF 2022/1-01;behandling;lvu;13-15;"
        f"2023-03;2023-11;planerat;ja;3 450,50;{text};{ratings}"
    )


def test_rounds_and_contracts_chain(app, app_db, world) -> None:
    with app_db() as session:
        newer = session.scalar(select(TenderRound).where(TenderRound.reference == "KF 2022/1"))
        assert newer.predecessor.reference == "KF 2020/1"
        assert newer.lead_organisation_id == world["organisation"]
        contract = session.scalar(select(Contract))
        assert [u.id for u in contract.units] == [world["unit"]]


def test_contract_status_change_is_kept(app, app_db, world, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "avtal.csv",
        [
            "avtalsreferens;upphandling_diarienummer;leverantor_organisationsnummer;status",
            f"KF 2022/1-01;KF 2022/1;{world['org_number']};uppsagt",
        ],
    )
    result = run(app, "contracts", path)
    assert result.ok and result.updated == 1, messages(result)
    with app_db() as session:
        contract = session.scalar(select(Contract))
        assert contract.status == ContractStatus.TERMINATED
        assert contract.status_changes[-1].to_status == ContractStatus.TERMINATED


def test_experiences_import_render_markdown_and_ratings(app, app_db, world, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "erf.csv", [EXPERIENCE_HEADER, _row(world, "ext-1")])
    result = run(app, "experiences", path, organisation=world["organisation"], user=world["user"])
    assert result.ok, messages(result)
    with app_db() as session:
        experience = session.scalar(select(Experience))
        assert experience.submission_key == "ext-1"
        assert experience.worked_html == "<p>Bra <strong>struktur</strong>.</p>\n"
        assert experience.status == ExperienceStatus.SUBMITTED and experience.submitted_at
        assert str(experience.daily_price) == "3450.50"
        assert experience.rating_for(Theme.GENOMFORANDEPLAN) == 4
        assert experience.rating_for(Theme.LOKALER) is None and len(experience.ratings) == len(
            Theme
        )
        assert experience.author_id == world["user"]
        records = list(
            session.scalars(select(AuditRecord).where(AuditRecord.batch_id == result.batch_id))
        )
        # One record per bulk-created experience; its ratings are in the same record.
        assert [(r.entity, r.action) for r in records] == [("Experience", "create")]
        ratings = records[0].changes["ratings"]
        assert ratings[0] is None and len(ratings[1]) == len(Theme)
        assert ratings[1][Theme.GENOMFORANDEPLAN.value] == 4
        assert ratings[1][Theme.LOKALER.value] is None
        assert records[0].changes["worked_md"] == [None, "Bra **struktur**."]
        assert "worked_html" not in records[0].changes


def test_experience_reimport_by_external_id_updates(app, app_db, world, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "erf.csv", [EXPERIENCE_HEADER, _row(world, "ext-1")])
    run(app, "experiences", path, organisation=world["organisation"])
    path = write_csv(tmp_path / "erf.csv", [EXPERIENCE_HEADER, _row(world, "ext-1", "Nytt.", "2")])
    result = run(app, "experiences", path, organisation=world["organisation"])
    assert (result.created, result.updated) == (0, 1), messages(result)
    with app_db() as session:
        assert session.scalar(select(func.count()).select_from(Experience)) == 1
        experience = session.scalar(select(Experience))
        assert experience.worked_html == "<p>Nytt.</p>\n"
        assert experience.rating_for(Theme.GENOMFORANDEPLAN) == 2


def test_experience_problems(app, app_db, world, tmp_path: Path) -> None:
    bad = _row(world, "ext-2", "Pojken 19121212-1212 mådde bra").replace(
        "KF 2022/1-01", "KF 1999/9"
    )
    path = write_csv(tmp_path / "erf.csv", [EXPERIENCE_HEADER, _row(world, "ext-1"), bad])
    result = run(app, "experiences", path, organisation=world["organisation"])
    text = messages(result)
    assert (
        "rad 3, kolumn vad_fungerade: vad_fungerade innehåller något som ser ut som ett "
        "personnummer" in text
    )
    assert "rad 3, kolumn avtalsreferens: Okänt avtal: KF 1999/9." in text
    assert "rad 2" not in text
    with app_db() as session:
        assert session.scalar(select(func.count()).select_from(Experience)) == 0


def test_experiences_from_jsonl(app, app_db, world, tmp_path: Path) -> None:
    item = {
        "external_id": "j-1",
        "supplier_org_number": world["org_number"],
        "unit": "Påhittade gården",
        "agreement_area": AREA,
        "off_contract": True,
        "off_contract_reason": "kapacitet",
        "status": "utkast",
        "worked": "Ok",
        "daily_price": 3000.5,
    }
    result = run(
        app,
        "experiences",
        write_jsonl(tmp_path / "e.jsonl", [item]),
        organisation=world["organisation"],
    )
    assert result.ok, messages(result)
    with app_db() as session:
        experience = session.scalar(select(Experience))
        assert experience.status == ExperienceStatus.DRAFT and experience.off_contract


def _undo(app, batch_id: int, user: int | None = None) -> None:
    with app.app_context(), acting_as(Actor(user, "test", None)):
        try:
            undo_batch(db.session.get(ImportBatch, batch_id), user)
            db.session.commit()
        except UndoRefused:
            db.session.rollback()
            raise


def test_undo_deletes_created_and_restores_updated(app, app_db, world, tmp_path: Path) -> None:
    first = run(
        app,
        "experiences",
        write_csv(tmp_path / "a.csv", [EXPERIENCE_HEADER, _row(world, "ext-1")]),
        organisation=world["organisation"],
    )
    second = run(
        app,
        "experiences",
        write_csv(
            tmp_path / "b.csv",
            [EXPERIENCE_HEADER, _row(world, "ext-1", "Ändrat.", "1"), _row(world, "ext-2")],
        ),
        organisation=world["organisation"],
    )
    assert (second.created, second.updated) == (1, 1)
    with pytest.raises(UndoRefused):
        _undo(app, first.batch_id)  # the later batch changed what the first created
    _undo(app, second.batch_id)
    with app_db() as session:
        experiences = list(session.scalars(select(Experience)))
        assert [e.submission_key for e in experiences] == ["ext-1"]
        assert experiences[0].worked_html == "<p>Bra <strong>struktur</strong>.</p>\n"
        assert experiences[0].rating_for(Theme.GENOMFORANDEPLAN) == 4
        assert session.scalar(select(func.count()).select_from(ExperienceRating)) == len(Theme)
        assert session.get(ImportBatch, second.batch_id).status == "undone"
    with pytest.raises(UndoRefused, match="redan ångrad"):
        _undo(app, second.batch_id)


def test_undo_refused_when_something_refers_to_created_rows(
    app, app_db, make, tmp_path: Path
) -> None:
    area = make.agreement_area(AREA)
    organisation = make.organisation()
    supplier = make.supplier()
    with app_db() as session:
        org_number = session.get(Supplier, supplier).org_number
    units = run(
        app,
        "units",
        write_csv(
            tmp_path / "u.csv", ["leverantor_organisationsnummer;namn", f"{org_number};Nya gården"]
        ),
    )
    assert units.ok, messages(units)
    with app_db() as session:
        unit = session.scalar(select(Unit).where(Unit.name == "Nya gården"))
        session.add(
            Experience(organisation_id=organisation, unit_id=unit.id, agreement_area_id=area)
        )
        session.commit()
    with pytest.raises(UndoRefused, match="bygger på"):
        _undo(app, units.batch_id)
    with app_db() as session:
        assert session.scalar(select(Unit).where(Unit.name == "Nya gården")) is not None


def test_change_log_shows_a_bulk_created_experiences_ratings(
    app, client, make, login, world, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "erf.csv", [EXPERIENCE_HEADER, _row(world, "ext-1")])
    result = run(app, "experiences", path, organisation=world["organisation"], user=world["user"])
    assert result.ok, messages(result)
    outsider = make.user(Role.ADMIN)
    login(make.email_of(make.user(Role.ADMIN, organisation=world["organisation"])))
    page = client.get("/logg/?entity=Experience").get_data(as_text=True)
    assert "<dt>ratings</dt>" in page
    assert f"{Theme.GENOMFORANDEPLAN.value}: 4, " in page
    assert f"{Theme.LOKALER.value}: –" in page
    post_form(client, "/logga-ut", {}, form_url="/")
    login(make.email_of(outsider))  # may not read the experience: its ratings are hidden too
    page = client.get("/logg/?entity=Experience").get_data(as_text=True)
    assert '<dt>ratings</dt><dd><span class="before">[dolt]</span>' in page
    assert f"{Theme.GENOMFORANDEPLAN.value}: 4" not in page


def test_bulk_import_keeps_rating_totals_and_their_triggers(
    app, app_db, world, tmp_path: Path
) -> None:
    rows = [_row(world, f"ext-{n}", rating=str(n % 5 + 1)) for n in range(5)]
    path = write_csv(tmp_path / "erf.csv", [EXPERIENCE_HEADER, *rows])
    result = run(app, "experiences", path, organisation=world["organisation"])
    assert result.ok and result.created == 5, messages(result)
    with app_db() as session:
        assert stored(session) == fresh(session) != {}
    _undo(app, result.batch_id)
    with app_db() as session:
        assert stored(session) == fresh(session) == {}
    result = run(app, "experiences", path, organisation=world["organisation"])
    with app_db() as session:
        experience = session.scalar(select(Experience).order_by(Experience.id))
        experience.ratings[0].rating = 5  # the row triggers are back after the import
        session.commit()
        assert stored(session) == fresh(session) != {}


def test_another_organisations_contract_is_an_unknown_reference(app, app_db, world, make, tmp_path):
    """The rounds and the contract belong to Påhittstad; Annanstad (no network in common)
    may not tie its experiences to them, as its experience form would not offer them."""
    elsewhere = make.organisation("Annanstad kommun")
    path = write_csv(tmp_path / "erf.csv", [EXPERIENCE_HEADER, _row(world, "ext-9")])
    result = run(app, "experiences", path, organisation=elsewhere)
    assert "rad 2, kolumn avtalsreferens: Okänt avtal: KF 2022/1-01." in messages(result)
    with app_db() as session:
        assert session.scalar(select(func.count()).select_from(Experience)) == 0
    own = run(app, "experiences", path, organisation=world["organisation"])
    assert own.ok and own.created == 1, messages(own)
