"""The privacy guard against generated identity numbers, however they are written (issue 9).

Valid personnummer and samordningsnummer (tests/fuzz_values.py, checked with python-stdnum)
in every common form and disguise, inside arbitrary unicode text, are refused by
kb.privacy.guard, and the refusal points at the number and masks its last four digits. The
stored-data scan the form and API fuzzing relies on (tests/fuzz_database.py) finds them too.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings

from kb.privacy.guard import check_text
from kb.privacy.reading import read_char
from tests.fuzz_database import identity_numbers_in
from tests.fuzz_session import examples, record_counts
from tests.fuzz_values import (
    disguised_identity_numbers,
    hostile_text,
    identity_numbers,
    is_valid_identity_number,
    plain_text,
)

COUNTS: Counter = Counter()
SETTINGS = settings(
    max_examples=examples(300),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Text around a number that does not join it: no digit, "+" or "-" right next to it.
AROUND = plain_text(30).filter(lambda text: not text or read_char(text[-1]) not in "0123456789+-")


@pytest.fixture(scope="module", autouse=True)
def counted():
    yield
    record_counts("test_fuzz_privacy.py", "none", COUNTS)


@SETTINGS
@given(number=identity_numbers())
def test_generated_numbers_are_valid_by_stdnum(number):
    COUNTS["examples"] += 1
    assert is_valid_identity_number(number)
    assert identity_numbers_in(number)


@SETTINGS
@given(before=AROUND, number=disguised_identity_numbers(), after=AROUND.map(lambda t: t[::-1]))
def test_the_guard_refuses_a_number_in_any_disguise_anywhere(before, number, after):
    COUNTS["examples"] += 1
    text = f"{before}{number}{after}"
    report = check_text(text, "worked_md", "Vad fungerade")
    assert report.errors, f"{text!r} was let through"
    covering = [i for i in report.errors if i.start <= len(before) and i.end >= len(before) + 1]
    assert covering, [(i.start, i.end, i.excerpt) for i in report.errors]
    for issue in report.errors:
        assert issue.excerpt.count("*") >= 4, issue.excerpt
        assert digits_of(number) not in digits_of(issue.message())


def digits_of(text: str) -> str:
    return "".join(read_char(char) for char in text if read_char(char).isdigit())


@SETTINGS
@given(text=hostile_text())
def test_the_guard_reads_any_text_without_failing(text):
    COUNTS["examples"] += 1
    report = check_text(text, "note", "Anteckning")
    for issue in report.issues:
        assert 0 <= issue.start < issue.end <= len(text)
    if identity_numbers_in(text):
        assert report.errors, f"the scan finds a number in {text!r}, the guard does not"
