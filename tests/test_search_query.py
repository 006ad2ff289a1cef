"""The search query syntax: words, "phrases", -exclusions and OR; input never errors."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kb.search.query import (
    MAX_EXCLUDED,
    MAX_INPUT_CHARS,
    MAX_POSITIVE,
    AnyOf,
    Phrase,
    Query,
    Term,
    describe,
    parse_query,
)

PROPERTY_SETTINGS = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# (input, describe(parse_query(input)))
CASES = [
    # words
    ("familjehemsplacering", "familjehemsplacering"),
    ("kväll helg", "kväll helg"),
    ("Åre Östersund Älmhult", "Åre Östersund Älmhult"),
    ("café", "café"),
    ("cafe\u0301", "café"),  # NFC-normalised
    ("LSS 9 §", "LSS 9"),
    ("2023 års uppföljning", "2023 års uppföljning"),
    ("HVB-hem", "HVB-hem"),
    ("LSS-boende e-post", "LSS-boende e-post"),
    ("HVB-", "HVB"),
    ("a--b", "a b"),
    ("barnens rätt", "barnens rätt"),
    ("Kim's", "Kim s"),
    ("  bemanning \t\n natt  ", "bemanning natt"),
    ("bemanning bemanning", "bemanning"),
    ("or eller", "or eller"),
    ("AND NOT", "AND NOT"),
    ("Bemanning bemanning", "Bemanning bemanning"),
    # noise
    ("title:bemanning", "title bemanning"),
    ("bemanning*", "bemanning"),
    ("bem?nning", "bem nning"),
    ("??", ""),
    ("*", ""),
    ("((kväll", "kväll"),
    ("(kväll OR natt))", "(kväll OR natt)"),
    ("+kväll +natt", "kväll natt"),
    ("kväll && natt || helg", "kväll natt helg"),
    ("!natt ~kväll^2 a\\b", "natt kväll 2 a b"),
    ("😀 boende 😀", "boende"),
    ("boende😀vård", "boende vård"),
    ("", ""),
    ("   ", ""),
    ("\x00\x1f\x7f", ""),
    ("<script>alert(1)</script>", "script alert 1"),
    ("'; DROP TABLE x; --", "DROP TABLE x"),
    # phrases
    ('"hem för vård eller boende"', '"hem för vård eller boende"'),
    ('"kväll', "kväll"),
    ('"kväll och natt', '"kväll och natt"'),
    ('"" ', ""),
    ('"  ?? "', ""),
    ('"genomförandeplan"', "genomförandeplan"),
    ('"hem, för: vård!"', '"hem för vård"'),
    ('kväll"natt helg"dag', 'kväll "natt helg" dag'),
    ("”hem för vård”", '"hem för vård"'),
    ("„hem för vård“", '"hem för vård"'),
    ('"a OR b"', '"a OR b"'),
    ('"OR"', '"OR"'),
    ('"a b" "a b"', '"a b"'),
    ('"-natt kväll"', '"natt kväll"'),
    ('"HVB-hem för barn"', '"HVB-hem för barn"'),
    # exclusions
    ("bemanning -natt", "bemanning -natt"),
    ('bemanning -"natt och helg"', 'bemanning -"natt och helg"'),
    ('-"natt"', "-natt"),
    ("-natt", "-natt"),
    ("- -", ""),
    ("-", ""),
    ("bemanning - natt", "bemanning natt"),
    ("--natt", "natt"),
    ("(-natt kväll", "kväll -natt"),
    ("kväll,-natt", "kväll -natt"),
    ("-HVB-hem", "-HVB-hem"),
    ("-OR", '-"OR"'),
    ('-""', ""),
    ("-natt -natt", "-natt"),
    ("kväll -kväll", "kväll -kväll"),
    # OR
    ("HVB OR LSS", "(HVB OR LSS)"),
    ("HVB OR LSS OR SoL", "(HVB OR LSS OR SoL)"),
    (
        'socialsekreterare OR handläggare "genomförandeplan"',
        "(socialsekreterare OR handläggare) genomförandeplan",
    ),
    ('kväll OR "hem för vård"', '(kväll OR "hem för vård")'),
    ("a OR b c OR d", "(a OR b) (c OR d)"),
    ("OR", ""),
    ("OR OR", ""),
    ("OR kväll", "kväll"),
    ("kväll OR", "kväll"),
    ("a OR OR b", "(a OR b)"),
    ("a OR a", "a"),
    ("a OR b a OR b", "(a OR b)"),
    ("HVB or LSS", "HVB or LSS"),
    ("HVB eller LSS", "HVB eller LSS"),
    ("a OR -b c", "a c -b"),
    ("a -b OR c", "a c -b"),
    ("-a OR b", "b -a"),
    ("a | OR , b", "(a OR b)"),
    ("aOR b", "aOR b"),
    ("OR-hem", "OR-hem"),
    ('"OR" OR b', '("OR" OR b)'),
    # limits
    ("ö" * 10_000, "ö" * MAX_INPUT_CHARS),
    ("a " * 5_000, "a"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse_and_describe(text: str, expected: str) -> None:
    query = parse_query(text)
    assert describe(query) == expected
    assert parse_query(describe(query)) == query


def test_tree_for_a_mixed_query() -> None:
    query = parse_query('kväll "hem för vård" HVB OR LSS -lokaler -"natt och helg"')
    assert query == Query(
        required=(
            Term("kväll"),
            Phrase(("hem", "för", "vård")),
            AnyOf((Term("HVB"), Term("LSS"))),
        ),
        excluded=(Term("lokaler"), Phrase(("natt", "och", "helg"))),
    )
    assert describe(query) == 'kväll "hem för vård" (HVB OR LSS) -lokaler -"natt och helg"'
    assert not query.is_empty


@pytest.mark.parametrize("text", ["", "OR", "-natt", "- - ??", '-"a b" -c', "😀"])
def test_is_empty_without_positive_items(text: str) -> None:
    assert parse_query(text).is_empty


def test_only_the_first_positive_items_and_exclusions_are_kept() -> None:
    words = [f"ord{i}" for i in range(40)]
    query = parse_query(" ".join(words + [f"-bort{i}" for i in range(40)]))
    assert query.required == tuple(Term(w) for w in words[:MAX_POSITIVE])
    assert query.excluded == tuple(Term(f"bort{i}") for i in range(MAX_EXCLUDED))


def test_any_of_options_count_towards_the_positive_limit() -> None:
    text = " ".join(f"o{i}" for i in range(MAX_POSITIVE - 1)) + " x OR y"
    assert _positive_count(parse_query(text)) == MAX_POSITIVE - 1


def test_input_beyond_the_limit_is_ignored() -> None:
    text = "a" * (MAX_INPUT_CHARS - 1) + " slutet"
    assert parse_query(text).required == (Term("a" * (MAX_INPUT_CHARS - 1)),)


def test_lone_surrogates_and_huge_input_do_not_raise() -> None:
    assert parse_query("\ud800kväll\udfff").required == (Term("kväll"),)
    assert _positive_count(parse_query('"(-OR ' * 100_000)) <= MAX_POSITIVE


# ---------------------------------------------------------------- properties

QUOTE_CHARS = "\"'“”„"
SYNTAX = ['"', "“", "”", "„", "-", "(", ")", " ", " OR ", "OR", ":", "*", "?", "\\", "\t", "\n"]
SYNTAX += ["+", "&&", "||", "!", "~", "^", "or", "kväll", "HVB", "å", "😀", "\u0301", "e\u0301"]
syntax_heavy_text = st.lists(st.sampled_from(SYNTAX) | st.text(max_size=3), max_size=60).map(
    "".join
)
any_text = st.text() | syntax_heavy_text


def _positive_count(query: Query) -> int:
    return sum(len(i.options) if isinstance(i, AnyOf) else 1 for i in query.required)


def _leaves(query: Query) -> list[Term | Phrase]:
    leaves: list[Term | Phrase] = list(query.excluded)
    for item in query.required:
        leaves.extend(item.options if isinstance(item, AnyOf) else [item])
    return leaves


def _assert_valid_word(word: str) -> None:
    assert word
    assert not any(ch.isspace() or ch in QUOTE_CHARS for ch in word)


def _assert_well_formed(query: Query) -> None:
    assert _positive_count(query) <= MAX_POSITIVE
    assert len(query.excluded) <= MAX_EXCLUDED
    assert len(set(query.required)) == len(query.required)
    assert len(set(query.excluded)) == len(query.excluded)
    for item in query.required:
        if isinstance(item, AnyOf):
            assert len(set(item.options)) == len(item.options) >= 2
    for leaf in _leaves(query):
        if isinstance(leaf, Term):
            _assert_valid_word(leaf.text)
        else:
            assert len(leaf.words) >= 2
            for word in leaf.words:
                _assert_valid_word(word)


@PROPERTY_SETTINGS
@given(any_text)
def test_any_text_parses_to_a_well_formed_query(text: str) -> None:
    _assert_well_formed(parse_query(text))


@PROPERTY_SETTINGS
@given(any_text)
def test_parsing_a_description_is_stable(text: str) -> None:
    assume(len(text) <= MAX_INPUT_CHARS // 2)
    query = parse_query(text)
    assert parse_query(describe(query)) == query


def _is_word(text: str) -> bool:
    return all(ch.isalnum() for ch in text) and unicodedata.normalize("NFC", text) == text


letters = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=8).filter(_is_word)
words = (
    st.sampled_from(["kväll", "HVB", "LSS", "OR", "or", "eller", "Åre", "2023", "é"])
    | letters
    | st.tuples(letters, letters).map("-".join)
)
items = words.map(Term) | st.lists(words, min_size=2, max_size=3).map(lambda w: Phrase(tuple(w)))
required_items = items | st.lists(items, min_size=2, max_size=3, unique=True).map(
    lambda options: AnyOf(tuple(options))
)
queries = st.builds(
    Query,
    required=st.lists(required_items, max_size=6, unique=True).map(tuple),
    excluded=st.lists(items, max_size=MAX_EXCLUDED, unique=True).map(tuple),
)


@PROPERTY_SETTINGS
@given(queries)
def test_valid_queries_round_trip(query: Query) -> None:
    text = describe(query)
    assume(len(text) <= MAX_INPUT_CHARS)
    assert parse_query(text) == query
    assert describe(parse_query(text)) == text
