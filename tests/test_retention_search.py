"""After retention, a word that only a removed narrative held is found by no search, on every
search backend: Whoosh on SQLite and on PostgreSQL, and PostgreSQL's own full-text search.
The change reaches the index through the search outbox, like any edit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kb.auth.models import User
from kb.extensions import db as kb_db
from kb.search.pg_models import SearchDocumentRow
from kb.search.service import backend_for, search_for
from tests import test_search as shared
from tests.test_retention import (
    ALL_OLD,
    KEPT_MARKER,
    OLD_MARKERS,
    RetentionWorld,
    build_retention_world,
)

search_setup = shared.search_setup
database_url = shared.database_url
app = shared.app


@pytest.fixture
def world(app, app_db, make) -> RetentionWorld:
    app.config.update(RETENTION_YEARS=10, RETENTION_ACTION="anonymise", SEARCH_SYNC="sync")
    with app_db() as session:
        return build_retention_world(session, make)


def found(app_db, email: str, words: list[str]) -> dict[str, int]:
    """How many documents a search for each word finds for the user."""
    with app_db() as session:
        user = session.scalar(select(User).where(User.email == email))
        return {word: search_for(user, word, {}, "relevance", 1).page.total for word in words}


def stored_bodies(app) -> str:
    """Every text the index stores for its live documents, as its own API returns them."""
    with app.app_context():
        if app.config["SEARCH_BACKEND"] == "whoosh":
            searcher, _ = backend_for(app)._current()
            return "\n".join(fields["body"] for fields in searcher.all_stored_fields())
        return "\n".join(kb_db.session.scalars(select(SearchDocumentRow.body)))


def test_a_word_only_in_a_removed_narrative_is_found_no_more(app, app_db, world):
    author_words = [*OLD_MARKERS["ended"], *OLD_MARKERS["draft"][::2], KEPT_MARKER]
    assert set(found(app_db, world.emails["author"], author_words).values()) == {1}
    assert found(app_db, world.emails["curator"], ["Fågelskådning"]) == {"Fågelskådning": 1}
    assert all(word in stored_bodies(app) for word in ALL_OLD)

    result = app.test_cli_runner().invoke(args=["kb", "retention", "--apply"])
    assert result.exit_code == 0, result.output
    assert "Sökindexet: 3 ändringar tillämpade." in result.output

    after = found(app_db, world.emails["author"], author_words)
    assert after == {**{word: 0 for word in author_words}, KEPT_MARKER: 1}
    assert found(app_db, world.emails["curator"], ["Fågelskådning"]) == {"Fågelskådning": 0}
    assert found(app_db, world.emails["author"], ["gallringsregeln"]) == {"gallringsregeln": 2}
    bodies = stored_bodies(app)
    assert not any(word in bodies for word in ALL_OLD) and KEPT_MARKER in bodies
    check = app.test_cli_runner().invoke(args=["kb", "search", "check"])
    assert check.exit_code == 0 and "Indexet stämmer med databasen." in check.output
