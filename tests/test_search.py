"""Search end to end on both backends: permissions, analysis, facets, safety.

Every test runs on Whoosh with SQLite, Whoosh with PostgreSQL and the PostgreSQL backend
(which needs PostgreSQL). The PostgreSQL runs skip without KB_TEST_DATABASE_URL, or fail with
KB_REQUIRE_POSTGRES=1, as in tests/conftest.py. Tests of Whoosh's own files and writer lock
are marked ``whoosh_only``; their PostgreSQL counterparts are in test_search_postgres.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from kb.auth.models import Role, User
from kb.experiences.models import Experience, ExperienceStatus
from kb.extensions import db as kb_db
from kb.search import whoosh_backend
from kb.search.models import SearchOutbox
from kb.search.outbox import drain
from kb.search.service import backend_for
from kb.suppliers.models import Unit
from kb.tenders.models import Contract
from tests.conftest import POSTGRES_URL, _truncate_all, post_form, require_postgres
from tests.experience_world import World, build_world
from tests.test_search_query import any_text

BACKENDS = {  # id: (SEARCH_BACKEND, database)
    "whoosh-sqlite": ("whoosh", "sqlite"),
    "whoosh-postgresql": ("whoosh", "postgresql"),
    "postgres-postgresql": ("postgres", "postgresql"),
}
WHOOSH = ["whoosh-sqlite", "whoosh-postgresql"]
POSTGRES = ["postgres-postgresql"]
whoosh_only = pytest.mark.parametrize("search_setup", WHOOSH, indirect=True)

NARRATIVES = {
    "home": (
        "Familjehemsplaceringen fungerade väl och kvällsbemanningen var stabil. "
        "Beslutet togs på mötet."
    ),
    "other": "Nattbemanningen brast och lokalerna var slitna i hela verksamheten.",
    "draft": "Hemligt utkast om genomförandeplanen.",
}


@pytest.fixture(params=list(BACKENDS))
def search_setup(request: pytest.FixtureRequest) -> tuple[str, str]:
    return BACKENDS[request.param]


@pytest.fixture
def database_url(search_setup, tmp_path, sqlite_template, postgres_engine) -> str:
    """Replaces conftest's database_url: the database that goes with the search backend."""
    if search_setup[1] == "sqlite":
        path = tmp_path / "kb.sqlite"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    if postgres_engine is None:
        require_postgres()
    _truncate_all(postgres_engine)
    return POSTGRES_URL


@pytest.fixture
def app(app, search_setup):
    app.config["SEARCH_BACKEND"] = search_setup[0]
    return app


@pytest.fixture
def world(app, app_db, make) -> World:
    app.config["SEARCH_SYNC"] = "sync"
    with app_db() as session:
        world = build_world(session, make)
        authors = {u.email: u for u in session.scalars(select(User))}
        for key, email, status in (
            ("home", world.caseworker_email, ExperienceStatus.SUBMITTED),
            ("other", world.outsider_email, ExperienceStatus.SUBMITTED),
            ("draft", world.caseworker_email, ExperienceStatus.DRAFT),
        ):
            author = authors[email]
            session.add(
                Experience(
                    organisation_id=author.organisation_id,
                    author_id=author.id,
                    unit_id=world.unit_id,
                    agreement_area_id=world.area_id,
                    start_year=2023,
                    start_month=3,
                    status=status,
                    worked_md=NARRATIVES[key],
                )
            )
        session.commit()
    return world


def hits(client, query: str) -> str:
    response = client.get("/sok", query_string={"q": query})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_text_is_found_only_by_those_who_may_read_it(client, world, login, make, app_db):
    login(world.caseworker_email)
    own = hits(client, "familjehemsplacering")
    assert "1 träff" in own and "Provgården" in own
    assert "Inga träffar" in hits(client, "nattbemanningen")  # Annanby's experience
    assert "1 träff" in hits(client, "genomförandeplanen")  # own draft
    client.post("/logga-ut", data={"csrf_token": _token(client)})
    login(world.colleague_email)
    assert "Inga träffar" in hits(client, "genomförandeplanen")  # someone else's draft
    client.post("/logga-ut", data={"csrf_token": _token(client)})
    with app_db() as session:
        intermediary = session.scalar(
            select(User).where(User.email == world.caseworker_email)
        ).organisation.member_of_id
    login(make.email_of(make.user(Role.CURATOR, organisation=intermediary)))
    assert "1 träff" in hits(client, "nattbemanningen") and "1 träff" in hits(
        client, "familjehemsplacering"
    )
    assert "Inga träffar" in hits(client, "genomförandeplanen")


def _token(client) -> str:
    from tests.conftest import csrf_token_from

    return csrf_token_from(client.get("/").get_data(as_text=True))


@pytest.mark.parametrize(
    "query",
    [
        "placering",
        "familjehem",
        "bemanning",
        "kvällsbemanning",
        "beslut",
        "möte",
        "socialsekreterare OR familjehem",
    ],
)
def test_swedish_analysis_finds_compounds_and_inflections(client, world, login, query):
    login(world.caseworker_email)
    assert "Inga träffar" not in hits(client, query)


def test_facets_count_only_readable_documents_and_filters_combine(client, world, login):
    login(world.caseworker_email)
    page = hits(client, "verksamheten OR familjehemsplaceringen OR utkast")
    assert "Erfarenhet</a> (2)" in page  # own submitted + own draft, never Annanby's
    filtered = client.get(
        "/sok",
        query_string={
            "q": "familjehemsplaceringen OR utkast",
            "kind": "experience",
            "status": "utkast",
        },
    )
    assert "1 träff" in filtered.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"kväll',
        "((kväll",
        "title:bemanning",
        "bemanning*",
        "??",
        "OR",
        "- -",
        '""',
        "😀 boende 😀",
        "a" * 10_000,
        "AND OR NOT",
        "\x00\x01",
        "%s%d",
        "'; DROP TABLE experiences; --",
        "kväll" * 400,
    ],
)
def test_hostile_queries_never_fail(client, world, login, query):
    login(world.caseworker_email)
    response = client.get(
        "/sok", query_string={"q": query, "sida": "-4", "area": "x" * 500, "ordning": "datum"}
    )
    assert response.status_code == 200


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    query=any_text,
    page=st.text(max_size=6),
    facet=st.sampled_from(["kind", "area", "supplier", "organisation", "year", "theme", "status"]),
    value=st.text(max_size=30),
    order=st.sampled_from(["datum", "relevans", "", "x"]),
)
def test_any_query_and_filters_through_the_search_page_give_a_page(
    client, world, login, query, page, facet, value, order
):
    if client.get("/sok").status_code != 200:  # examples share the client: sign in once
        login(world.caseworker_email)
    response = client.get(
        "/sok", query_string={"q": query, "sida": page, facet: value, "ordning": order}
    )
    assert response.status_code == 200
    if query[:1000]:  # the page answers every query with hits or "Inga träffar"
        assert "träff" in response.get_data(as_text=True)


def test_order_by_date_and_filters_stay_in_links(client, world, login):
    login(world.caseworker_email)
    page = client.get(
        "/sok",
        query_string={"q": "familjehemsplaceringen", "kind": "experience", "ordning": "datum"},
    ).get_data(as_text=True)
    assert "Sortera efter relevans" in page
    assert "kind=experience" in page and "q=familjehemsplaceringen" in page


def test_a_protected_address_never_reaches_the_index(client, world, login, app_db):
    with app_db() as session:
        unit = session.get(Unit, world.unit_id)
        unit.address, unit.protected_address = "Gömstavägen 7", True
        session.commit()
    login(world.caseworker_email)
    assert "Inga träffar" in hits(client, "Gömstavägen")


@whoosh_only
def test_a_deleted_index_says_it_is_rebuilding_and_the_rest_works(app, client, world, login):
    login(world.caseworker_email)
    shutil.rmtree(app.config["WHOOSH_INDEX_PATH"])
    backend_for(app)._searcher = None
    page = hits(client, "familjehemsplacering")
    assert "Sökindexet byggs om just nu" in page
    assert client.get(f"/verksamheter/{world.unit_id}").status_code == 200
    result = app.test_cli_runner().invoke(args=["kb", "search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "1 träff" in hits(client, "familjehemsplacering")


# Whoosh leaves the unreadable table-of-contents file open when it fails to parse it.
@whoosh_only
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_corrupt_index_does_not_take_the_site_down(app, client, world, login):
    login(world.caseworker_email)
    for segment in Path(app.config["WHOOSH_INDEX_PATH"]).glob("*.toc"):
        segment.write_bytes(b"not a whoosh table of contents")
    backend_for(app)._searcher = None
    assert "Sökindexet byggs om just nu" in hits(client, "familjehemsplacering")
    assert client.get("/").status_code == 200


def test_a_drain_killed_part_way_loses_nothing(app, app_db, world):
    app.config["SEARCH_SYNC"] = "off"
    with app_db() as session:
        experience = session.scalar(
            select(Experience).where(Experience.status == ExperienceStatus.SUBMITTED)
        )
        experience.worked_md = "Tillsynen efter lex Sarah-anmälan var grundlig."
        session.commit()
        assert session.scalar(select(func.count(SearchOutbox.id))) >= 1
    backend = backend_for(app)
    real_upsert = backend.upsert

    def upsert_then_die(documents):
        real_upsert(documents)
        raise KeyboardInterrupt  # the process dies after the index commit, before the outbox delete

    backend.upsert = upsert_then_die
    with app.app_context(), pytest.raises(KeyboardInterrupt):
        drain(backend)
    backend.upsert = real_upsert
    with app_db() as session:
        assert session.scalar(select(func.count(SearchOutbox.id))) >= 1  # still queued
    with app.app_context():
        assert drain(backend).applied >= 1
    with app_db() as session:
        assert session.scalar(select(func.count(SearchOutbox.id))) == 0
    assert app.test_cli_runner().invoke(args=["kb", "search", "check"]).exit_code == 0


@whoosh_only
def test_a_held_writer_lock_keeps_work_queued_until_it_is_free(app, app_db, world, monkeypatch):
    app.config["SEARCH_SYNC"] = "off"
    monkeypatch.setattr(whoosh_backend, "WRITER_TIMEOUT_SECONDS", 0.1)
    backend = backend_for(app)
    held = backend._open().writer()  # another process holding Whoosh's writer lock
    with app_db() as session:
        session.get(Unit, world.unit_id).target_profile = "Ungdomar med behov av kvällsaktiviteter"
        session.commit()
    with app.app_context():
        result = drain(backend)
    assert result.error is not None and result.failed >= 1
    with app_db() as session:
        row = session.scalar(select(SearchOutbox))
        assert row.attempts == 1 and "Lock" in row.last_error
        row.available_at = row.created_at  # skip the back-off in the test
        session.commit()
    held.cancel()
    with app.app_context():
        assert drain(backend).applied == 1


def test_check_reports_a_difference_and_rebuild_repairs_it(app, world, app_db):
    with app_db() as session:
        session.add(
            Unit(supplier_id=session.get(Unit, world.unit_id).supplier_id, name="Ohörda gården")
        )
        app.config["SEARCH_SYNC"] = "off"
        session.commit()
    runner = app.test_cli_runner()
    difference = runner.invoke(args=["kb", "search", "check"])
    assert difference.exit_code != 0 and "Saknas i indexet: 1" in difference.output
    assert runner.invoke(args=["kb", "search", "rebuild"]).exit_code == 0
    assert runner.invoke(args=["kb", "search", "check"]).exit_code == 0


def test_saving_through_the_form_is_searchable_at_once(client, world, login):
    from tests.experience_world import complete_form

    login(world.caseworker_email)
    data = complete_form(
        world, worked_md="Skolgången med specialpedagog fungerade utmärkt.", submission_key="sok-1"
    )
    assert post_form(client, "/erfarenheter/ny", data).status_code == 302
    assert "1 träff" in hits(client, "specialpedagog")


def test_the_index_holds_exactly_the_searchable_rows(app, world):
    with app.app_context():
        experiences = kb_db.session.scalar(select(func.count(Experience.id)))
        units = kb_db.session.scalar(select(func.count(Unit.id)))
        contracts = kb_db.session.scalar(select(func.count(Contract.id)))
        expected = experiences + units + contracts + 1  # + the supplier
        assert backend_for(app).health().documents == expected
    assert app.test_cli_runner().invoke(args=["kb", "search", "check"]).exit_code == 0


def test_matches_beyond_the_ranked_ones_are_all_counted_and_paged(app, world, monkeypatch):
    """Relevance ranks only the newest RANK_CANDIDATES matches; the total, the facets and
    the pages still cover every match, on every backend."""
    from dataclasses import replace

    from kb.search import postgres_query
    from kb.search.access import tokens_of
    from kb.search.backend import SearchRequest
    from kb.search.query import parse_query

    with app.app_context():
        user = kb_db.session.scalar(select(User).where(User.email == world.caseworker_email))
        query = parse_query("verksamheten OR familjehemsplaceringen OR utkast OR Provgården")
        request = SearchRequest(query, frozenset(tokens_of(user)), per_page=50)
        backend = backend_for(app)
        everything = backend.search(request)
        monkeypatch.setattr(whoosh_backend, "RANK_CANDIDATES", 1)
        monkeypatch.setattr(postgres_query, "RANK_CANDIDATES", 1)
        count = everything.total + 1
        pages = [backend.search(replace(request, page=n, per_page=1)) for n in range(1, count + 1)]
    keys = [hit.key for page in pages for hit in page.hits]
    assert everything.total >= 3 and not pages[-1].hits
    assert sorted(keys) == sorted(hit.key for hit in everything.hits)  # each match once
    for page in pages:
        assert page.total == everything.total and page.facets == everything.facets
