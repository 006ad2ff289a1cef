"""Read an import file (CSV, XLSX or JSON Lines) into header-keyed rows of text, safely.

Limits come from the app config: IMPORT_MAX_BYTES (the file), IMPORT_MAX_UNCOMPRESSED (all
members of an XLSX archive together), IMPORT_MAX_ROWS and IMPORT_MAX_COLUMNS. An XLSX file is
checked from its zip directory before openpyxl opens it, so a zip bomb is never inflated.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from kb.imports.problems import ImportRejected, Problem

FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl", ".ndjson": "jsonl"}
DEFAULT_LIMITS = {
    "IMPORT_MAX_BYTES": 50 * 1024 * 1024,
    "IMPORT_MAX_UNCOMPRESSED": 200 * 1024 * 1024,
    "IMPORT_MAX_ROWS": 250_000,
    "IMPORT_MAX_COLUMNS": 100,
}
MAX_COMPRESSION_RATIO = 200
_UTF8_LETTER = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")


@dataclass(frozen=True)
class Table:
    """The file's header names, as written, and its rows (row number, cells by header)."""

    file_format: str
    headers: list[str]
    rows: list[tuple[int, list[str]]]


def limit(name: str) -> int:
    return int(current_app.config.get(name, DEFAULT_LIMITS[name]))


def file_format(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix not in FORMATS:
        raise ImportRejected(
            [Problem(None, None, _("Filen ska vara .csv, .xlsx eller .jsonl (JSON Lines)."))]
        )
    return FORMATS[suffix]


def size_problem(size: int) -> Problem | None:
    """Return the refusal for a file over IMPORT_MAX_BYTES, before anything is read."""
    maximum = limit("IMPORT_MAX_BYTES")
    if size <= maximum:
        return None
    return Problem(
        None,
        None,
        _(
            "Filen är för stor (%(size)s MB). Största tillåtna storlek är %(max)s MB. "
            "Dela upp filen.",
            size=f"{size / 1_048_576:.1f}".replace(".", ","),
            max=f"{maximum / 1_048_576:.1f}".replace(".", ","),
        ),
    )


def read_table(path: Path, filename: str) -> Table:
    """Read the file at path; raise ImportRejected for anything that is not a usable table."""
    kind = file_format(filename)
    problem = size_problem(path.stat().st_size)
    if problem:
        raise ImportRejected([problem])
    if path.stat().st_size == 0:
        raise ImportRejected([Problem(None, None, _("Filen är tom."))])
    if kind == "xlsx":
        headers, rows = _read_xlsx(path)
    elif kind == "jsonl":
        headers, rows = _read_jsonl(path.read_bytes())
    else:
        headers, rows = _read_csv(path.read_bytes())
    if not headers:
        raise ImportRejected([Problem(None, None, _("Filen är tom."))])
    if not rows:
        raise ImportRejected([Problem(None, None, _("Filen har rubriker men inga rader."))])
    if len(rows) > limit("IMPORT_MAX_ROWS"):
        raise ImportRejected(
            [Problem(None, None, _("Filen har fler än %(n)d rader.", n=limit("IMPORT_MAX_ROWS")))]
        )
    return Table(kind, headers, rows)


def decode(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM) or Windows-1252; refuse a mix of the two."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        if _UTF8_LETTER.search(data):
            line = data.count(b"\n", 0, error.start) + 1
            raise ImportRejected(
                [
                    Problem(
                        line,
                        None,
                        _(
                            "Filen blandar teckenkodningar: den är mest UTF-8 men rad %(line)d "
                            "är Windows-1252. Spara hela filen som UTF-8 och försök igen.",
                            line=line,
                        ),
                    )
                ]
            ) from None
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportRejected(
            [Problem(None, None, _("Filen är varken UTF-8 eller Windows-1252."))]
        ) from None


def _read_csv(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    text = decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    max_rows = limit("IMPORT_MAX_ROWS")
    try:
        for cells in reader:
            if not headers:
                headers = cells if any(c.strip() for c in cells) else []
                continue
            if any(cell.strip() for cell in cells):
                rows.append((reader.line_num, cells))
                if len(rows) > max_rows:
                    break
    except csv.Error as error:
        raise ImportRejected(
            [Problem(reader.line_num, None, _("Filen är inte giltig CSV: %(e)s", e=str(error)))]
        ) from None
    return headers, rows


def _read_jsonl(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    text = decode(data)
    headers: list[str] = []
    objects: list[tuple[int, dict[str, Any]]] = []
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            problems.append(Problem(number, None, _("Raden är inte giltig JSON.")))
            continue
        if not isinstance(item, dict):
            problems.append(Problem(number, None, _("Raden ska vara ett JSON-objekt.")))
            continue
        headers += [key for key in item if key not in headers]
        objects.append((number, item))
        if len(objects) > limit("IMPORT_MAX_ROWS") or len(problems) > 100:
            break
    if problems:
        raise ImportRejected(problems)
    rows = [(n, [cell_text(item.get(h)) for h in headers]) for n, item in objects]
    return headers, rows


def cell_text(value: Any) -> str:
    """Return a cell's value as the text a CSV file would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float | Decimal):
        return str(value)
    if isinstance(value, list):
        return "|".join(cell_text(item) for item in value)
    return str(value)


def _check_archive(path: Path) -> None:
    """Refuse an XLSX whose members would inflate past the limits (a zip bomb)."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise ImportRejected(
            [Problem(None, None, _("Filen är inte en giltig XLSX-fil."))]
        ) from None
    total = sum(info.file_size for info in infos)
    ratio = max((info.file_size / max(info.compress_size, 1) for info in infos), default=0)
    if (
        len(infos) > 1000
        or total > limit("IMPORT_MAX_UNCOMPRESSED")
        or ratio > MAX_COMPRESSION_RATIO
    ):
        raise ImportRejected(
            [
                Problem(
                    None,
                    None,
                    _(
                        "XLSX-filen packas upp till mer än tillåtet (%(size)s MB, "
                        "packningsgrad %(ratio)d:1). Den avvisas som en möjlig zip-bomb.",
                        size=f"{total / 1_048_576:.0f}",
                        ratio=int(ratio),
                    ),
                )
            ]
        )


def _read_xlsx(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    _check_archive(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken file
        raise ImportRejected(
            [Problem(None, None, _("Filen är inte en giltig XLSX-fil."))]
        ) from None
    try:
        sheet = workbook.worksheets[0]
        max_columns, max_rows = limit("IMPORT_MAX_COLUMNS"), limit("IMPORT_MAX_ROWS")
        headers: list[str] = []
        rows: list[tuple[int, list[str]]] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [cell_text(value) for value in values]
            while cells and not cells[-1].strip():
                cells.pop()
            if len(cells) > max_columns:
                raise ImportRejected(
                    [Problem(number, None, _("Raden har fler än %(n)d kolumner.", n=max_columns))]
                )
            if not headers:
                headers = cells
            elif any(cell.strip() for cell in cells):
                rows.append((number, cells))
                if len(rows) > max_rows:
                    break
        return headers, rows
    finally:
        workbook.close()
