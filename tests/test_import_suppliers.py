"""Import of suppliers and units: formats, detection, headers, upsert, all or nothing."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import func, select

from kb.audit.models import AuditRecord
from kb.insight.csv_export import csv_bytes
from kb.suppliers.models import LegalForm, Supplier, Unit
from tests.factories import fictional_org_number
from tests.import_helpers import messages, run, write_csv, write_jsonl

ORG_A = fictional_org_number(9101)
ORG_B = fictional_org_number(9102)


def _suppliers(app_db) -> dict[str, Supplier]:
    with app_db() as session:
        return {
            s.org_number: (s.name, s.legal_form, s.website_note)
            for s in session.scalars(select(Supplier))
        }


def test_csv_semicolon_utf8_bom_with_swedish_headers(app, app_db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "lev.csv",
        [
            "Organisationsnummer;Namn;Bolagsform;Webbnotering",
            f'{ORG_A};Älvängens Omsorg AB;Aktiebolag;=HYPERLINK("http://x")',
            f"{ORG_B.replace('-', '')};Björkens Vård;ideell;",
        ],
        encoding="utf-8-sig",
    )
    result = run(app, "suppliers", path)
    assert result.ok, messages(result)
    assert (result.created, result.updated) == (2, 0)
    stored = _suppliers(app_db)
    assert stored[ORG_A] == ("Älvängens Omsorg AB", LegalForm.AKTIEBOLAG, '=HYPERLINK("http://x")')
    assert stored[ORG_B][1] == LegalForm.IDEELL_FORENING
    exported = csv_bytes(["webb"], [[stored[ORG_A][2]]]).decode("utf-8-sig")
    assert "'=HYPERLINK" in exported  # stored as text, escaped when exported


def test_csv_comma_windows_1252_english_headers(app, app_db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "lev.csv",
        ["ORG NUMBER,Name,Legal form", f"{ORG_A},Åkerös Vård AB,ab"],
        encoding="cp1252",
        delimiter=",",
    )
    result = run(app, "suppliers", path)
    assert result.ok, messages(result)
    assert _suppliers(app_db)[ORG_A][0] == "Åkerös Vård AB"


def test_xlsx_and_jsonl(app, app_db, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["organisationsnummer", "namn", "bolagsform"])
    sheet.append([ORG_A, "Excelgården AB", "ab"])
    workbook.save(tmp_path / "lev.xlsx")
    assert run(app, "suppliers", tmp_path / "lev.xlsx").ok
    path = write_jsonl(
        tmp_path / "lev.jsonl",
        [{"org_number": ORG_B, "name": "Jsonvård", "legal_form": "stiftelse"}],
    )
    result = run(app, "suppliers", path)
    assert result.ok, messages(result)
    assert set(_suppliers(app_db)) == {ORG_A, ORG_B}


def test_reimport_updates_instead_of_duplicating(app, app_db, tmp_path: Path) -> None:
    lines = ["organisationsnummer;namn;bolagsform", f"{ORG_A};Första namnet AB;ab"]
    assert run(app, "suppliers", write_csv(tmp_path / "a.csv", lines)).created == 1
    again = run(app, "suppliers", write_csv(tmp_path / "a.csv", lines))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    lines[1] = f"{ORG_A};Nytt namn AB;ab"
    changed = run(app, "suppliers", write_csv(tmp_path / "a.csv", lines))
    assert (changed.created, changed.updated) == (0, 1)
    with app_db() as session:
        assert session.scalar(select(func.count()).select_from(Supplier)) == 1
        update = session.scalar(select(AuditRecord).where(AuditRecord.batch_id == changed.batch_id))
        assert update.changes == {"name": ["Första namnet AB", "Nytt namn AB"]}


def test_all_or_nothing_reports_every_problem(app, app_db, tmp_path: Path) -> None:
    bad_checksum = ORG_A[:-1] + str((int(ORG_A[-1]) + 1) % 10)
    path = write_csv(
        tmp_path / "lev.csv",
        [
            "organisationsnummer;namn;bolagsform",
            f"{ORG_B};Bra AB;ab",
            f"{bad_checksum};Fel AB;ab",
            f"{fictional_org_number(9103)};;bolag",
        ],
    )
    result = run(app, "suppliers", path)
    text = messages(result)
    assert "rad 3, kolumn organisationsnummer: Organisationsnumret" in text
    assert "fel kontrollsiffra" in text
    assert "rad 4, kolumn namn: Värde saknas." in text
    assert "rad 4, kolumn bolagsform" in text
    assert result.batch_id is None
    assert _suppliers(app_db) == {}


def test_dry_run_writes_nothing(app, app_db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "lev.csv", ["organisationsnummer;namn;bolagsform", f"{ORG_A};A AB;ab"]
    )
    result = run(app, "suppliers", path, dry_run=True)
    assert result.ok and result.row_count == 1 and result.batch_id is None
    assert _suppliers(app_db) == {}


def test_privacy_guard_refuses_personnummer_with_row_and_column(
    app, app_db, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "lev.csv",
        [
            "organisationsnummer;namn;bolagsform;webbnotering",
            f"{ORG_A};A AB;ab;Kontakt 19121212-1212",
        ],
    )
    result = run(app, "suppliers", path)
    assert "rad 2, kolumn webbnotering" in messages(result)
    assert "personnummer" in messages(result)
    assert _suppliers(app_db) == {}


def test_units_resolve_supplier_and_areas(app, app_db, make, tmp_path: Path) -> None:
    area = make.agreement_area("Stödboende för ungdomar")
    supplier = make.supplier()
    with app_db() as session:
        org = session.get(Supplier, supplier).org_number
    path = write_csv(
        tmp_path / "verksamheter.csv",
        [
            "leverantor_organisationsnummer;namn;platser;skyddad_adress;avtalsomraden;senaste_ivo_inspektion",
            f"{org};Påhittade gården;8;ja;Stödboende för ungdomar;2024-03-01",
            f"{ORG_B};Okänd;2;nej;;",
        ],
    )
    result = run(app, "units", path)
    assert "rad 3, kolumn leverantor_organisationsnummer: Det finns ingen leverantör" in messages(
        result
    )
    path = write_csv(
        tmp_path / "verksamheter.csv",
        [
            "leverantor_organisationsnummer;namn;platser;skyddad_adress;avtalsomraden;senaste_ivo_inspektion",
            f"{org};Påhittade gården;8;ja;Stödboende för ungdomar;2024-13-01",
        ],
    )
    result = run(app, "units", path)
    assert "rad 2, kolumn senaste_ivo_inspektion: 2024-13-01 är inte ett datum" in messages(result)
    path.write_text(path.read_text().replace("2024-13-01", "2024-03-01"))
    result = run(app, "units", path)
    assert result.ok, messages(result)
    with app_db() as session:
        unit = session.scalar(select(Unit).where(Unit.name == "Påhittade gården"))
        assert unit.places == 8 and unit.protected_address
        assert [a.id for a in unit.agreement_areas] == [area]
