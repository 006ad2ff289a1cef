"""Bad input: each gets a clear Swedish report and nothing is written."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from sqlalchemy import func, select

from kb.imports.models import ImportBatch
from kb.suppliers.models import Supplier
from tests.factories import fictional_org_number
from tests.import_helpers import messages, run, write_csv

ORG = fictional_org_number(9201)


def _nothing_written(app_db) -> None:
    with app_db() as session:
        assert session.scalar(select(func.count()).select_from(Supplier)) == 0
        assert session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_wrong_column(app, app_db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv", ["organisationsnummer;namn;bolagsform;färg", f"{ORG};A;ab;blå"]
    )
    text = messages(run(app, "suppliers", path))
    assert "rad 1, kolumn färg: Okänd kolumn ”färg” för leverantörer" in text
    _nothing_written(app_db)


def test_missing_required_column(app, app_db, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", ["organisationsnummer;namn", f"{ORG};A"])
    assert "kolumn bolagsform: Kolumnen saknas" in messages(run(app, "suppliers", path))
    _nothing_written(app_db)


def test_mixed_encodings(app, app_db, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(
        b"organisationsnummer;namn;bolagsform\r\n"
        + f"{ORG};Åby AB;ab\r\n".encode()
        + f"{fictional_org_number(9202)};Öby AB;ab\r\n".encode("cp1252")
    )
    text = messages(run(app, "suppliers", path))
    assert "blandar teckenkodningar" in text and "rad 3" in text
    _nothing_written(app_db)


def test_empty_file_and_header_only(app, app_db, tmp_path: Path) -> None:
    (tmp_path / "tom.csv").write_bytes(b"")
    assert messages(run(app, "suppliers", tmp_path / "tom.csv")) == "Filen är tom."
    (tmp_path / "rubrik.csv").write_text("organisationsnummer;namn;bolagsform\n")
    assert "inga rader" in messages(run(app, "suppliers", tmp_path / "rubrik.csv"))
    _nothing_written(app_db)


def test_file_over_the_size_limit_is_refused_unread(app, app_db, tmp_path: Path) -> None:
    path = tmp_path / "stor.csv"
    with path.open("wb") as handle:  # a sparse 100 MB file: refused from its size alone
        handle.truncate(100 * 1024 * 1024)
    text = messages(run(app, "suppliers", path))
    assert "Filen är för stor (100,0 MB)" in text
    app.config["IMPORT_MAX_BYTES"] = 100
    small = write_csv(
        tmp_path / "a.csv", ["organisationsnummer;namn;bolagsform", *[f"{ORG};A;ab"] * 10]
    )
    assert "för stor" in messages(run(app, "suppliers", small))
    _nothing_written(app_db)


def test_xlsx_zip_bomb_is_rejected_from_its_directory(app, app_db, tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    assert os.path.getsize(path) < 100_000
    assert "zip-bomb" in messages(run(app, "suppliers", path))
    _nothing_written(app_db)


def test_xlsx_over_uncompressed_limit(app, app_db, tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["organisationsnummer", "namn", "bolagsform"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    (tmp_path / "a.xlsx").write_bytes(buffer.getvalue())
    app.config["IMPORT_MAX_UNCOMPRESSED"] = 1000
    assert "packas upp till mer än tillåtet" in messages(run(app, "suppliers", tmp_path / "a.xlsx"))


def test_not_an_xlsx_and_bad_json(app, tmp_path: Path) -> None:
    (tmp_path / "a.xlsx").write_bytes(b"not a zip")
    assert "inte en giltig XLSX-fil" in messages(run(app, "suppliers", tmp_path / "a.xlsx"))
    (tmp_path / "a.jsonl").write_text('{"org_number": "x"}\n{bad\n[1]\n')
    text = messages(run(app, "suppliers", tmp_path / "a.jsonl"))
    assert "rad 2: Raden är inte giltig JSON." in text
    assert "rad 3: Raden ska vara ett JSON-objekt." in text


def test_unknown_file_type(app, tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    assert ".csv, .xlsx eller .jsonl" in messages(run(app, "suppliers", tmp_path / "a.pdf"))
