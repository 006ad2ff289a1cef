"""The privacy guard refuses identity numbers and warns about e-mail addresses and phones."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask_babel import Babel
from stdnum import luhn
from stdnum.se import orgnr, personnummer

from kb.privacy.guard import PrivacyIssue, PrivacyReport, check_fields, check_text

LABEL = "Vad fungerade"
FIELD = "worked_md"


def with_check_digit(digits: str) -> str:
    """Append the Luhn check digit, computed on the last nine of ``digits``."""
    return digits + luhn.calc_check_digit(digits[-9:])


def separated(number: str, separator: str = "-") -> str:
    return f"{number[:-4]}{separator}{number[-4:]}"


def with_wrong_check_digit(digits: str) -> str:
    right = int(luhn.calc_check_digit(digits[-9:]))
    return digits + str((right + 1) % 10)


# (YYYYMMDD, serial) across three centuries, leap days and samordningsnummer (day + 60).
PEOPLE = [
    ("18991231", "123"),
    ("19120304", "456"),
    ("19240229", "082"),
    ("19500101", "001"),
    ("19811218", "987"),
    ("19991231", "998"),
    ("20000229", "114"),
    ("20040412", "123"),
    ("20191005", "555"),
    ("20230115", "240"),
]
SAMORDNING = [
    ("19811278", "987"),  # 18 December 1981
    ("19500161", "001"),  # 1 January 1950
    ("20000289", "114"),  # 29 February 2000
    ("19120391", "456"),  # 31 March 1912
    ("20230175", "240"),  # 15 January 2023
]


def forms(full: str) -> list[str]:
    """Every way we promise to recognise the 12-digit number ``full``."""
    date, last = full[:8], full[8:]
    short = date[2:]
    old = int(date[:4]) <= 1926
    return [
        f"{short}-{last}",
        f"{short}{last}",
        f"{date}-{last}",
        f"{date}{last}",
        f"{date} {last}",
        f"{short} - {last}",
        f"{short}\u00a0{last}",
        f"{short[:4]} {short[4:]}-{last}",
        f"{date[:2]} {short[:2]} {short[2:4]} {short[4:]} {last}",
        f"{short}+{last}" if old else f"{date}-{last}",
    ]


def valid_cases(people: list[tuple[str, str]], kind: str) -> list:
    cases = []
    for date, serial in people:
        full = with_check_digit(date + serial)
        for written in dict.fromkeys(forms(full)):
            cases.append(pytest.param(written, full, kind, id=f"{kind}-{written}"))
    return cases


VALID = valid_cases(PEOPLE, "personnummer") + valid_cases(SAMORDNING, "samordningsnummer")


def assert_refused(report: PrivacyReport, written: str, full: str, kind: str) -> PrivacyIssue:
    assert len(report.errors) == 1, report
    issue = report.errors[0]
    assert issue.kind == kind
    assert issue.blocking
    assert not report.ok
    assert issue.field == FIELD
    assert issue.field_label == LABEL
    assert issue.excerpt == written[:-4] + "****"
    message = issue.message()
    assert LABEL in message
    assert issue.excerpt in message
    assert written not in message
    assert full[-10:] not in re.sub(r"\D", "", message)
    return issue


@pytest.mark.parametrize(("written", "full", "kind"), VALID)
def test_refuses_every_written_form(written, full, kind):
    report = check_text(written, FIELD, LABEL)
    issue = assert_refused(report, written, full, kind)
    assert (issue.start, issue.end, issue.line, issue.column) == (0, len(written), 1, 1)


SENTENCES = [
    "Brukarens personnummer är {n}.",
    "Vi träffade brukaren ({n}) på boendet.",
    "pnr:{n}, se journalen",
    "Bra samarbete.\nKontaktperson för {n} var engagerad.",
    "Rad ett\n\nRad tre: {n}",
    "{n}",
    "Ärendet gällde {n};uppföljning i mars.",
    "Hemtjänst\r\n\tBrukare \u00bb{n}\u00ab fick hjälp.",
    "Kostnad 4 500 kr per dygn, brukare {n}, dnr KFV 2024/112.",
    "Text med åäö och émoji 🙂 före {n}",
]


def position(text: str, start: int) -> tuple[int, int]:
    before = text[:start].split("\n")
    return len(before), len(before[-1]) + 1


@pytest.mark.parametrize("sentence", SENTENCES)
@pytest.mark.parametrize(
    ("written", "kind"),
    [
        (separated(with_check_digit("811218987")), "personnummer"),
        (with_check_digit("19811278987"), "samordningsnummer"),
        (separated(with_check_digit("120304456"), "+"), "personnummer"),
    ],
)
def test_refuses_numbers_inside_sentences(sentence, written, kind):
    text = sentence.format(n=written)
    start = text.index(written)
    issue = assert_refused(check_text(text, FIELD, LABEL), written, written[-10:], kind)
    assert (issue.start, issue.end) == (start, start + len(written))
    assert (issue.line, issue.column) == position(text, start)
    assert f"rad {issue.line}, tecken {issue.column}" in issue.message()


def test_message_wording_for_a_personnummer():
    text = "Allt gick bra.\nBrukaren 19811218-9876 var nöjd."
    number = "19811218-9876"
    assert personnummer.is_valid(number)
    [issue] = check_text(text, FIELD, LABEL).errors
    assert issue.message() == (
        "Vad fungerade innehåller något som ser ut som ett personnummer "
        "(rad 2, tecken 10: 19811218-****). "
        "Ta bort det – Kunskapsbanken får inte innehålla personnummer."
    )


def test_messages_are_the_same_inside_an_app_context():
    app = Flask(__name__)
    Babel(app)
    report = check_text("811218-9876 och anna@example.se", FIELD, LABEL)
    outside = [issue.message() for issue in report.issues]
    with app.test_request_context():
        assert [issue.message() for issue in report.issues] == outside


def test_stdnum_personnummer_rejects_samordningsnummer_so_the_guard_checks_them_itself():
    number = with_check_digit("811278987")
    assert luhn.is_valid(number)
    assert not personnummer.is_valid(number)
    assert check_text(number, FIELD, LABEL).errors[0].kind == "samordningsnummer"


def invalid_checksum_cases() -> list:
    cases = []
    for date, serial in PEOPLE + SAMORDNING:
        wrong = with_wrong_check_digit(date + serial)
        for written in (f"{wrong[2:8]}-{wrong[8:]}", wrong, f"{wrong[:8]} {wrong[8:]}"):
            cases.append(pytest.param(written, id=f"checksum-{written}"))
    return cases


IMPOSSIBLE_DATES = [
    "19811318",  # month 13
    "19810018",  # month 0
    "19811232",  # day 32
    "19811200",  # day 0
    "19810230",  # 30 February
    "19810431",  # 31 April
    "19000229",  # 1900 was no leap year
    "20230229",  # nor was 2023
    "19810290",  # samordningsnummer for 30 February
    "19810292",  # day 92 is past any samordningsnummer
    "19810260",  # day 60 is neither
    "19810491",  # samordningsnummer for 31 April
]


def impossible_date_cases() -> list:
    cases = []
    for date in IMPOSSIBLE_DATES:
        full = with_check_digit(date + "123")
        for written in (f"{full[:8]}-{full[8:]}", f"{full[2:8]}-{full[8:]}"):
            if date[:4] == "1900":
                written = f"{full[2:8]}+{full[8:]}"
            cases.append(pytest.param(written, id=f"date-{written}"))
    return cases


@pytest.mark.parametrize("written", invalid_checksum_cases() + impossible_date_cases())
def test_does_not_refuse_invalid_numbers(written):
    assert check_text(f"Nummer: {written}.", FIELD, LABEL).errors == ()


ORGANISATIONS = [with_check_digit(nine) for nine in ("556677889", "202100548", "802400000")]
ORGANISATIONS += [with_check_digit(nine) for nine in ("212000014", "556036079", "969663421")]


@pytest.mark.parametrize("number", ORGANISATIONS)
def test_valid_organisation_numbers_are_not_personnummer(number):
    assert orgnr.is_valid(number)
    assert not personnummer.is_valid(number)
    for written in (number, separated(number), "16" + separated(number)):
        assert check_text(f"Leverantören (org.nr {written}) svarade.", FIELD, LABEL).ok


BENIGN = [
    "4 500 kr",
    "45000",
    "1 234 567,50 kr",
    "Priset 12 500 000 kronor",
    "KFV 2024/112",
    "SN 2023/0456-2.4",
    "IVO 8.5-12345/2019",
    "Dnr 2021/01234-5678",
    "2024-03-01",
    "2024-03",
    "1 mars 2024",
    "01-03-2024",
    "20240301",
    "2019, 2020 och 2023",
    "Postnummer 123 45 Stockholm",
    "417 56 Göteborg",
    "kl. 08:30-16:00",
    "08.15 till 17.45",
    "Vecka 12, 3 platser à 2 400 kr",
    "Avtal 2023-01-01 – 2025-12-31",
    "Tillstånd IVO 3.1-12345/2022",
    "Bankgiro 5050-1055",
    "Tel: saknas",
    "811218-XXXX",
    "19811218-****",
    "anna(at)kommun.se",
    "@kommunen på sociala medier",
    "Version 1.2.3",
    "Ordernummer 1234567890123",
    "",
]


@pytest.mark.parametrize("text", BENIGN)
def test_ordinary_text_raises_nothing(text):
    assert check_text(text, FIELD, LABEL).ok


def test_none_and_empty_are_fine():
    assert check_text(None, FIELD, LABEL) == PrivacyReport(())
    assert check_text("", FIELD, LABEL).ok


PHONES = [
    "070-123 45 67",
    "070-1234567",
    "070 123 45 67",
    "0701234567",
    "08-123 456 78",
    "08-12345678",
    "08 - 123 456 78",
    "031-12 34 56",
    "0771-123 456",
    "+46 70 123 45 67",
    "+46701234567",
    "+46 (0)70-123 45 67",
    "+46 8 123 456 78",
    "0046 8 123 456",
    "0046701234567",
]


@pytest.mark.parametrize("phone", PHONES)
def test_phone_numbers_are_warnings(phone):
    text = f"Ring samordnaren på {phone} efter kl. 9."
    report = check_text(text, FIELD, LABEL)
    assert report.errors == ()
    [issue] = report.warnings
    assert (issue.kind, issue.excerpt, issue.blocking) == ("phone", phone, False)
    assert issue.start == text.index(phone)
    assert issue.message() == (
        f"Vad fungerade innehåller ett telefonnummer (rad 1, tecken {issue.column}). "
        "Kontrollera att det inte pekar ut en person."
    )


EMAILS = [
    "anna.svensson@kommun.se",
    "a@b.se",
    "info+fraga@vård-företag.se",
    "kontakt_1@sub.domain.example.com",
    "ANNA@EXAMPLE.ORG",
]


@pytest.mark.parametrize("email", EMAILS)
def test_email_addresses_are_warnings(email):
    text = f"Rad ett\nSkriv till <{email}>."
    report = check_text(text, FIELD, LABEL)
    assert report.errors == ()
    [issue] = report.warnings
    assert (issue.kind, issue.excerpt, issue.line, issue.column) == ("email", email, 2, 13)
    assert issue.message() == (
        "Vad fungerade innehåller en e-postadress (rad 2, tecken 13). "
        "Kontrollera att den inte pekar ut en person."
    )


def test_contiguous_ten_digits_are_a_personnummer_when_valid():
    number = with_check_digit("070123456")
    assert personnummer.is_valid(number)
    report = check_text(f"Nummer {number}", FIELD, LABEL)
    assert [issue.kind for issue in report.issues] == ["personnummer"]


def test_the_same_digits_grouped_like_a_phone_number_are_a_phone():
    number = with_check_digit("070123456")
    grouped = f"{number[:3]}-{number[3:6]} {number[6:8]} {number[8:]}"
    report = check_text(f"Ring {grouped}", FIELD, LABEL)
    assert [issue.kind for issue in report.issues] == ["phone"]


def test_invalid_contiguous_number_starting_with_zero_is_a_phone():
    number = with_wrong_check_digit("050412123")
    report = check_text(number, FIELD, LABEL)
    assert [issue.kind for issue in report.issues] == ["phone"]


def test_invalid_number_in_personnummer_shape_is_not_a_phone():
    number = with_wrong_check_digit("050412123")
    assert check_text(separated(number), FIELD, LABEL).ok


def test_invalid_candidate_does_not_hide_an_overlapping_valid_number():
    number = with_check_digit("811218987")
    text = f"nr 12 34 {separated(number)}"
    [issue] = check_text(text, FIELD, LABEL).errors
    assert issue.start == text.index(number[:6])


def test_a_text_can_hold_errors_and_warnings():
    number = with_check_digit("811218987")
    text = f"Brukare {separated(number)}\nRing 070-123 45 67 eller mejla a@b.se"
    report = check_text(text, FIELD, LABEL)
    assert [issue.kind for issue in report.errors] == ["personnummer"]
    assert [issue.kind for issue in report.warnings] == ["phone", "email"]
    assert [(issue.line, issue.column) for issue in report.issues] == [(1, 9), (2, 6), (2, 32)]
    assert not report.ok


def test_several_numbers_are_all_found_in_order():
    first, second = with_check_digit("811218987"), with_check_digit("19500161001")
    text = f"{first} och {second}"
    report = check_text(text, FIELD, LABEL)
    assert [(issue.kind, issue.start) for issue in report.errors] == [
        ("personnummer", 0),
        ("samordningsnummer", len(first) + 5),
    ]


def test_check_fields_keeps_field_names_labels_and_order():
    number = with_check_digit("811218987")
    report = check_fields(
        {
            "worked_md": ("Vad fungerade", "Bra kontakt, ring 08-123 456 78."),
            "improve_md": ("Vad kan bli bättre", None),
            "other_md": ("Övrigt", f"Brukare {number}"),
            "clean_md": ("Rent", "Inget att anmärka."),
        }
    )
    assert [(issue.field, issue.field_label, issue.kind) for issue in report.issues] == [
        ("worked_md", "Vad fungerade", "phone"),
        ("other_md", "Övrigt", "personnummer"),
    ]
    assert [issue.field for issue in report.errors] == ["other_md"]
    assert report.errors[0].message().startswith("Övrigt innehåller")
    assert check_fields({}).ok


def test_a_megabyte_of_text_with_a_number_at_the_end():
    number = with_check_digit("19811218987")
    filler = "Leverantören höll god kvalitet, 4 500 kr per dygn (dnr 2024/112).\n"
    text = filler * (1_000_000 // len(filler) + 1) + f"Slut: {number}"
    assert len(text) > 1_000_000
    [issue] = check_text(text, FIELD, LABEL).issues
    assert issue.start == len(text) - len(number)
    assert issue.line == text.count("\n") + 1
    assert issue.column == len("Slut: ") + 1
