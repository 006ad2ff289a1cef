"""The PostgreSQL backend's own tests: what test_search.py checks on Whoosh's files and lock,
the terms it writes and the tsquery it builds, and agreement with Whoosh on the same data.

Runs on PostgreSQL only: skipped without KB_TEST_DATABASE_URL, failed with KB_REQUIRE_POSTGRES=1.
"""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, literal, select, text

from kb.auth.models import User
from kb.experiences.models import Experience, ExperienceStatus
from kb.extensions import db as kb_db
from kb.search import postgres_backend, postgres_query
from kb.search.access import tokens_of
from kb.search.backend import SearchRequest
from kb.search.cli import _all_documents
from kb.search.models import SearchOutbox
from kb.search.outbox import drain
from kb.search.pg_models import SearchDocumentRow
from kb.search.postgres_backend import PostgresBackend, document_terms, tsvector_literal
from kb.search.postgres_query import (
    HEADLINE,
    HEADLINE_OPTIONS,
    MARK_END,
    MARK_START,
    TAG_CHARACTERS,
    TAG_STAND_INS,
    swedish_statement,
    to_tsquery,
)
from kb.search.postgres_snippets import headline_html, snippet
from kb.search.query import parse_query
from kb.search.service import backend_for
from kb.search.whoosh_backend import WhooshBackend
from kb.suppliers.models import Unit
from tests import test_search as shared
from tests.conftest import POSTGRES_URL, require_postgres

TABLE = SearchDocumentRow.__table__
app = shared.app
database_url = shared.database_url
world = shared.world
hits = shared.hits


@pytest.fixture(params=shared.POSTGRES)
def search_setup(request: pytest.FixtureRequest) -> tuple[str, str]:
    return shared.BACKENDS[request.param]


@pytest.fixture(scope="module")
def pg():
    if not POSTGRES_URL:
        require_postgres()
    engine = create_engine(POSTGRES_URL)
    yield engine
    engine.dispose()


# --- without a database ---------------------------------------------------------------------


def test_the_backend_refuses_a_database_that_is_not_postgresql():
    with pytest.raises(RuntimeError, match="PostgreSQL"):
        PostgresBackend("sqlite://")


def test_terms_keep_analysis_positions_weights_and_a_gap_between_title_and_body():
    literal = tsvector_literal("Provgården HVB", "Familjehemsplaceringen i Provgården")
    assert literal.startswith("'provgård':1A 'hvb':2A 'familjehemsplacering':4B")
    assert "'placering':4B" in literal and "'i':5B" in literal  # one unused position at 3
    assert literal.endswith("'provgård':6B")
    assert tsvector_literal("T", "", ["org:3", "all"]) == "'t':1A 'access:org:3' 'access:all'"


def test_quotes_in_the_query_cannot_break_out():
    assert to_tsquery(parse_query("'; DROP TABLE x; --")).text == "('drop' & 'tabl' & 'x')"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kväll", "'kväll'"),
        ('"hem för vård" -lokaler', "('hem' <-> 'för' <-> 'vård') & !'lokal'"),
        ("HVB-hem", "(('hvb' <-> 'hem') | 'hvbhem')"),
        ("natt OR kväll -dag", "('natt' | 'kväll') & !'dag'"),
        ("😀 -kväll", None),
    ],
)
def test_the_tsquery_is_built_from_analysed_terms(query, expected):
    built = to_tsquery(parse_query(query))
    assert (built.text if built else None) == expected


def test_snippets_mark_whole_words_and_escape_the_rest():
    body = "<b>Före</b> " + "fyllnad " * 40 + "Familjehemsplaceringen fungerade & höll. " * 2
    html = snippet([body, "titel"], frozenset({"placering"}))
    assert html.count("<mark>Familjehemsplaceringen</mark>") == 2
    assert "&amp;" in html and "<b>" not in html and len(html) < 300
    assert snippet(["inget här"], frozenset({"placering"})) == ""
    assert snippet(["", "Placering i titeln"], frozenset({"placering"})).startswith("<mark>")


# --- on PostgreSQL --------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_text_and_any_query_are_accepted_and_text_finds_itself(pg, text_):
    tsquery = to_tsquery(parse_query(text_))
    with pg.connect() as connection:
        found = connection.scalar(
            text("SELECT CAST(:v AS tsvector) @@ CAST(:q AS tsquery)"),
            {"v": tsvector_literal("", text_), "q": tsquery.text if tsquery else "x"},
        )
    plain = not any(mark in text_ for mark in ('"', "-", "OR", ":"))
    if tsquery is not None and plain:  # all its words, so the text matches
        assert found


def test_postgresql_caps_positions_and_merges_entries(pg):
    many = tsvector_literal("", " ".join(f"w{i}" for i in range(20_000)))
    repeated = tsvector_literal("Ord", "ord " * 1000)
    with pg.connect() as connection:
        stored = connection.scalar(text("SELECT CAST(:v AS tsvector)::text"), {"v": many})
        assert "'w16382':16383B" in stored and "'w19999':16383B" in stored
        positions = connection.scalar(
            text("SELECT array_length(positions, 1) FROM unnest(CAST(:v AS tsvector))"),
            {"v": repeated},
        )
        assert positions == 256


def test_phrases_stay_inside_the_title_or_the_body(pg):
    literal = tsvector_literal("Gröna gården", "Akut placering", ["all"])
    with pg.connect() as connection:
        for query, expected in (
            ("'grön' <-> 'gård'", True),
            ("'akut' <-> 'placering'", True),
            ("'gård' <-> 'akut'", False),
            ("'access:all'", True),
        ):
            found = connection.scalar(
                text("SELECT CAST(:v AS tsvector) @@ CAST(:q AS tsquery)"),
                {"v": literal, "q": query},
            )
            assert found is expected, query


def test_headlines_are_escaped_and_marked():
    headline = f"{MARK_START}Avtalet{MARK_END} om <b>\ue002 och {MARK_START}beslut{MARK_END}"
    assert headline_html(headline) == "<mark>Avtalet</mark> om &lt;b&gt;…och <mark>beslut</mark>"
    assert headline_html("Inget markerat <i>") == "" and headline_html(None) == ""


def test_terms_hold_the_swedish_configuration_and_the_shared_analysis(pg):
    title, body = "Beslutet", "Avtalet om familjehemsplaceringen"
    terms = document_terms(literal(title), literal(body), literal(tsvector_literal(title, body)))
    entries = select(text("lexeme, weights[1]")).select_from(func.unnest(terms).alias("e"))
    with pg.connect() as connection:
        weights = dict(connection.execute(entries).all())
    swedish = {"beslutet": "A", "avtalet": "B"}  # PostgreSQL 15's older Snowball
    shared = {"beslut": "A", "avtal": "B", "familjehem": "B", "placering": "B"}
    assert swedish.items() | shared.items() <= weights.items()
    assert weights["familjehemsplacering"] == "B"  # in both


def test_a_query_is_also_translated_with_the_swedish_configuration(pg):
    sql, params = swedish_statement(parse_query('Avtalet "hem för vård" OR LSS -mötet \':*'))
    assert "Avtalet" in params.values() and "hem för vård" in params.values()
    assert all("Avtalet" not in part for part in sql.split(":"))  # input only in parameters
    with pg.connect() as connection:
        positive, excluded = connection.execute(text(sql), params).one()
    assert positive == "'avtalet' & ( 'hem' <2> 'vård' | 'lss' )"  # "för": a stop word
    assert excluded == "'mötet'"
    sql, params = swedish_statement(parse_query("och"))  # stop words only
    with pg.connect() as connection:
        assert tuple(connection.execute(text(sql), params).one()) == ("", "")


def test_headlines_come_from_ts_headline_in_swedish_and_keep_tag_like_text(pg):
    sql = f"SELECT {HEADLINE.replace('d.body', ':body')}"
    params = {
        "body": "Avtalen gäller barn <12 år &amp; <b>unga</b> och vuxna.",
        "rank_query": "'avtal'",
        "headline_options": HEADLINE_OPTIONS,
        "tag_characters": TAG_CHARACTERS,
        "tag_stand_ins": TAG_STAND_INS,
    }
    with pg.connect() as connection:
        headline = connection.scalar(text(sql), params)
    assert headline_html(headline) == (  # ts_headline ends a fragment at its last word
        "<mark>Avtalen</mark> gäller barn &lt;12 år &amp;amp; &lt;b&gt;unga&lt;/b&gt; och vuxna"
    )


def test_access_lexemes_cannot_be_searched_for(client, world, login):
    login(world.caseworker_email)
    assert "Inga träffar" in hits(client, "access:all")
    assert "Inga träffar" in hits(client, '"access all" OR access')


def test_the_postgres_backend_serves_the_app_from_its_table(app, world, pg):
    assert isinstance(backend_for(app), PostgresBackend)
    with pg.connect() as connection:
        stored = connection.scalar(select(func.count()).select_from(TABLE))
    with app.app_context():
        assert backend_for(app).health().documents == stored > 0


def test_a_missing_table_says_it_is_rebuilding_and_the_rest_works(app, client, world, login, pg):
    login(world.caseworker_email)
    with pg.begin() as connection:
        connection.execute(text("DROP TABLE search_documents"))
    try:
        assert "Sökindexet byggs om just nu" in hits(client, "familjehemsplacering")
        assert client.get(f"/verksamheter/{world.unit_id}").status_code == 200
        with app.app_context():
            assert not backend_for(app).health().ok
        check = app.test_cli_runner().invoke(args=["kb", "search", "check"])
        assert check.exit_code != 0 and "rebuild" in check.output
        result = app.test_cli_runner().invoke(args=["kb", "search", "rebuild"])
        assert result.exit_code == 0, result.output
        assert "1 träff" in hits(client, "familjehemsplacering")
    finally:
        TABLE.create(pg, checkfirst=True)


def test_a_held_table_lock_keeps_work_queued_until_it_is_free(app, app_db, world, pg, monkeypatch):
    app.config["SEARCH_SYNC"] = "off"
    monkeypatch.setattr(postgres_backend, "WRITER_TIMEOUT_SECONDS", 0.1)
    backend = backend_for(app)
    with pg.connect() as other:  # another process rebuilding the index
        other.execute(text("LOCK TABLE search_documents IN EXCLUSIVE MODE"))
        with app_db() as session:
            session.get(Unit, world.unit_id).target_profile = "Ungdomar med kvällsaktiviteter"
            session.commit()
        with app.app_context():
            result = drain(backend)
        assert result.error is not None and result.failed >= 1
        other.rollback()
    with app_db() as session:
        row = session.scalar(select(SearchOutbox))
        assert row.attempts == 1 and "lock" in row.last_error.lower()
        row.available_at = row.created_at  # skip the back-off in the test
        session.commit()
    with app.app_context():
        assert drain(backend).applied == 1


def test_an_index_write_commits_with_the_outbox_delete_or_not_at_all(app, app_db, world, pg):
    app.config["SEARCH_SYNC"] = "off"
    with app_db() as session:
        experience = session.scalar(
            select(Experience).where(Experience.status == ExperienceStatus.SUBMITTED)
        )
        experience.worked_md = "Tillsynen efter lex Sarah-anmälan var grundlig."
        key = f"experience:{experience.id}"
        session.commit()
    backend = backend_for(app)
    real_upsert = backend.upsert

    def upsert_then_fail(documents):
        real_upsert(documents)
        raise RuntimeError("the drain fails after writing the index")

    backend.upsert = upsert_then_fail
    with app.app_context():
        assert drain(backend).failed >= 1
    backend.upsert = real_upsert
    body = select(TABLE.c.body).where(TABLE.c.key == key)
    with pg.connect() as connection:
        assert "Tillsynen" not in connection.scalar(body)  # rolled back with the drain
    with app_db() as session:
        session.execute(SearchOutbox.__table__.update().values(available_at=date(2000, 1, 1)))
        session.commit()
    with app.app_context():
        assert drain(backend).applied >= 1
    with pg.connect() as connection:
        assert "Tillsynen" in connection.scalar(body)


QUERIES = [
    "placering",
    "familjehemsplacering OR nattbemanningen",
    "bemanning -natt",
    '"kvällsbemanningen var stabil"',
    "Provgården",
    "HVB",
    "utkast OR verksamheten OR lokaler",
    "hem",
    '"var"',
]


def test_both_backends_find_count_and_facet_alike(app, world, tmp_path):
    with app.app_context():
        whoosh = WhooshBackend(tmp_path / "whoosh")
        whoosh.rebuild(_all_documents(progress=False))
        postgres = backend_for(app)
        users = kb_db.session.scalars(select(User)).all()
        for user in users:
            tokens = frozenset(tokens_of(user))
            for query in QUERIES:
                for filters in ({}, {"kind": "experience"}, {"area": str(world.area_id)}):
                    request = SearchRequest(parse_query(query), tokens, filters=filters)
                    ours, theirs = postgres.search(request), whoosh.search(request)
                    assert ours.total == theirs.total, (query, filters)
                    assert {h.key for h in ours.hits} == {h.key for h in theirs.hits}
                    assert ours.facets == _without_empty(theirs.facets), (query, filters)


def _without_empty(facets):
    """Whoosh also counts documents without a value, under "" (a Whoosh quirk not copied)."""
    return {name: [c for c in counts if c.value] for name, counts in facets.items()}


def _date_every_match(app, request) -> dict[str, date]:
    """Give each match of the request its own date, oldest first by key; return them."""
    with app.app_context():
        found = sorted(hit.key for hit in backend_for(app).search(request).hits)
        dates = {key: date(2020, 1 + n, 1) for n, key in enumerate(found)}
        for key, when in dates.items():
            kb_db.session.execute(TABLE.update().where(TABLE.c.key == key).values(date=when))
        kb_db.session.commit()
    return dates


def _pages(app, request, count):
    with app.app_context():
        backend = backend_for(app)
        return [backend.search(replace(request, page=n, per_page=1)) for n in range(1, count + 2)]


def test_pages_and_date_order(app, world):
    request = SearchRequest(parse_query("provområde"), frozenset({"all"}), order="date")
    dates = _date_every_match(app, request)
    pages = _pages(app, request, len(dates))
    keys = [hit.key for page in pages for hit in page.hits]
    assert len(dates) >= 2 and pages[0].total == len(dates) and not pages[-1].hits
    assert keys == sorted(dates, key=dates.get, reverse=True)


def test_broad_queries_rank_the_newest_matches_then_list_the_rest(app, world, pg, monkeypatch):
    monkeypatch.setattr(postgres_query, "RANK_CANDIDATES", 2)
    with pg.connect() as connection:
        tokens = frozenset(
            connection.scalars(text("SELECT DISTINCT unnest(access) FROM search_documents"))
        )
    request = SearchRequest(parse_query("provområde"), tokens)
    dates = _date_every_match(app, request)
    pages = _pages(app, request, len(dates))
    keys = [hit.key for page in pages for hit in page.hits]
    newest = sorted(dates, key=dates.get, reverse=True)
    assert len(dates) >= 4 and pages[0].total == len(dates) and not pages[-1].hits
    assert set(keys[:2]) == set(newest[:2]) and keys[2:] == newest[2:]
    assert pages[0].hits[0].score >= pages[1].hits[0].score > 0


def _migration_0009():  # type: ignore[no-untyped-def]
    path = Path(__file__).resolve().parents[1] / "migrations/versions/0009_search_facet_sets.py"
    spec = importlib.util.spec_from_file_location("migration_0009", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_document_points_at_the_facet_sets_of_its_own_values(app, world, pg):
    """The facet counts come from search_facet_sets: a document pointing at another
    combination would be counted under values it does not have. The signatures computed in
    Python (pg_models) must equal the SQL ones the migration filled existing rows with."""
    migration = _migration_0009()
    with pg.connect() as connection:
        rows = connection.execute(
            text(
                f"SELECT {migration.FACET_SIGNATURE_SQL}, f.signature, f.kind, f.year,"
                " f.supplier_id, f.organisation_id, f.status, f.area_ids, d.kind, d.year,"
                " d.supplier_id, d.organisation_id, d.status, d.area_ids,"
                f" {migration.THEME_SIGNATURE_SQL}, t.signature, t.themes, d.themes"
                " FROM search_documents d JOIN search_facet_sets f ON f.id = d.facet_set_id"
                " JOIN search_facet_sets t ON t.id = d.theme_set_id"
            )
        ).all()
        documents = connection.scalar(select(func.count()).select_from(TABLE))
    assert len(rows) == documents > 0
    for row in rows:
        assert row[0] == row[1] and row[14] == row[15]
        assert tuple(row[2:8]) == tuple(row[8:14]) and row[16] == row[17]
    assert any(None in row[3:7] for row in rows)  # NULL values are signed too


TABLE_SHAPE = """
SELECT (SELECT array_agg(indexdef ORDER BY indexname) FROM pg_indexes
          WHERE tablename = 'search_documents'),
       (SELECT array_agg(conname || ':' || contype::text ORDER BY conname) FROM pg_constraint
          WHERE conrelid = 'search_documents'::regclass),
       (SELECT reloptions FROM pg_class WHERE oid = 'search_documents'::regclass),
       (SELECT array_agg(attname || ':' || attstorage::text || ':' || attnotnull::text
                         ORDER BY attnum)
          FROM pg_attribute WHERE attrelid = 'search_documents'::regclass AND attnum > 0
          AND NOT attisdropped)
"""


def test_a_rebuild_swaps_in_a_table_shaped_like_the_old_one(app, world, pg):
    """A rebuild fills a new table and renames it (postgres_rebuild): its indexes, constraint
    names, storage and options must be those the migrations made, and its rows the same."""
    with pg.connect() as connection:
        before = connection.execute(text(TABLE_SHAPE)).one()
        rows_before = connection.execute(text("SELECT * FROM search_documents ORDER BY key")).all()
    result = app.test_cli_runner().invoke(args=["kb", "search", "rebuild"])
    assert result.exit_code == 0, result.output
    with pg.connect() as connection:
        assert connection.execute(text(TABLE_SHAPE)).one() == before
        rows_after = connection.execute(text("SELECT * FROM search_documents ORDER BY key")).all()
        leftovers = connection.scalar(text("SELECT to_regclass('search_documents_rebuild')"))
    assert rows_after == rows_before and len(rows_after) > 0
    assert leftovers is None


def test_a_rebuild_while_another_holds_the_table_says_so_and_changes_nothing(
    app, world, pg, monkeypatch
):
    monkeypatch.setattr(postgres_backend, "WRITER_TIMEOUT_SECONDS", 0.1)
    with pg.connect() as connection:
        before = connection.execute(text("SELECT key FROM search_documents ORDER BY key")).all()
    with pg.connect() as other:  # another process writing the index
        other.execute(text("LOCK TABLE search_documents IN EXCLUSIVE MODE"))
        result = app.test_cli_runner().invoke(args=["kb", "search", "rebuild"])
        other.rollback()
    assert result.exit_code != 0
    assert "skrivs av en annan process" in result.output and "Traceback" not in result.output
    with pg.connect() as connection:
        after = connection.execute(text("SELECT key FROM search_documents ORDER BY key")).all()
    assert after == before and len(before) > 0
