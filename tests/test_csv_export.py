"""CSV downloads open in Swedish Excel: semicolons, UTF-8 with BOM, decimal comma, no formulas."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest

from kb.experiences.models import EndReason
from kb.insight.csv_export import (
    content_disposition,
    csv_bytes,
    csv_response,
    format_cell,
    guard_formula,
)


def read_back(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_round_trip_with_bom_semicolons_and_swedish_values() -> None:
    data = csv_bytes(
        ["Verksamhet", "Medelbetyg", "Dygnspris", "Antal", "Senast", "Anteckning"],
        [
            ["Björkhagen; HVB", 3.75, Decimal("3250.50"), 12, date(2024, 3, 1), 'Sa "hej"'],
            ["Solgläntan", None, Decimal("1234567.8"), -4, None, "rad ett\nrad två"],
        ],
    )
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\xef\xbb\xbf") == 1
    assert b"\r\n" in data
    assert read_back(data) == [
        ["Verksamhet", "Medelbetyg", "Dygnspris", "Antal", "Senast", "Anteckning"],
        ["Björkhagen; HVB", "3,75", "3250,50", "12", "2024-03-01", 'Sa "hej"'],
        ["Solgläntan", "", "1234567,8", "-4", "", "rad ett\nrad två"],
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1 + 0.2, "0,30000000000000004"),
        (2.5, "2,5"),
        (1e-7, "0,0000001"),
        (1e16, "10000000000000000"),
        (-0.0, "0,0"),
        (Decimal("-0.00"), "0,00"),
        (Decimal("1E+3"), "1000"),
        (Decimal("-12.50"), "-12,50"),
        (float("nan"), ""),
        (float("inf"), ""),
        (True, "Ja"),
        (False, "Nej"),
        (0, "0"),
        (datetime(2024, 3, 1, 14, 5, 9, 123), "2024-03-01 14:05:09"),
        (EndReason.BREAKDOWN, "Oplanerat avbrott/sammanbrott"),
    ],
)
def test_cells_are_written_as_swedish_excel_reads_them(value: object, expected: str) -> None:
    assert format_cell(value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "hostile",
    [
        '=HYPERLINK("http://x";"klicka")',
        "+1+2",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
        "-",
        "=",
    ],
)
def test_formula_text_gets_an_apostrophe(hostile: str) -> None:
    assert guard_formula(hostile) == "'" + hostile
    assert read_back(csv_bytes(["Text"], [[hostile]]))[1] == ["'" + hostile]


@pytest.mark.parametrize("harmless", ["-12", "-12,5", "-0.5", "Kalle = Anka", "a-b", "", "12"])
def test_plain_text_and_negative_numbers_are_left_alone(harmless: str) -> None:
    assert guard_formula(harmless) == harmless


def test_numbers_are_never_guarded() -> None:
    assert read_back(csv_bytes(["A", "B", "C"], [[-5, -2.5, Decimal("-7")]]))[1] == [
        "-5",
        "-2,5",
        "-7",
    ]


def test_headers_are_guarded_and_rows_must_fit_them() -> None:
    assert read_back(csv_bytes(["=cmd"], []))[0] == ["'=cmd"]
    with pytest.raises(ValueError):
        csv_bytes(["A", "B"], [[1]])


def test_filename_header_has_ascii_fallback_and_utf8_name() -> None:
    header = content_disposition("Avvikelser Björkhagen åäö")
    assert header == (
        'attachment; filename="Avvikelser_Bjorkhagen_aao.csv"; '
        "filename*=UTF-8''Avvikelser%20Bj%C3%B6rkhagen%20%C3%A5%C3%A4%C3%B6.csv"
    )
    header.encode("ascii")  # a header value must be plain ASCII


def test_filename_cannot_break_out_of_the_header() -> None:
    header = content_disposition('../../rapport"\r\nSet-Cookie: x=1')
    assert "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="rapportSet-Cookie_x_1.csv";')
    assert "/" not in header.split("filename*=")[1].replace("UTF-8''", "")
    assert content_disposition("...") == (
        "attachment; filename=\"export.csv\"; filename*=UTF-8''export.csv"
    )


def test_response_is_a_csv_download() -> None:
    response = csv_response("Avtalstrohet 2024.csv", ["Skäl", "Andel"], [["Kapacitet", 0.25]])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="Avtalstrohet_2024.csv"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert read_back(response.get_data()) == [["Skäl", "Andel"], ["Kapacitet", "0,25"]]
