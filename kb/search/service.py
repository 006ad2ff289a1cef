"""Search for a user: permissions from their access tokens, rows loaded from the database."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import select

from kb.auth.models import User
from kb.extensions import db
from kb.search.access import tokens_of
from kb.search.backend import (
    FACETS,
    SearchBackend,
    SearchIndexDamagedError,
    SearchPage,
    SearchRequest,
    SearchUnavailableError,
)
from kb.search.documents import SOURCES
from kb.search.query import Query, parse_query

EXTENSION_KEY = "kb_search_backend"


def backend_for(app: Flask) -> SearchBackend:
    """The configured backend, one per application."""
    backend = app.extensions.get(EXTENSION_KEY)
    if backend is None:
        name = app.config["SEARCH_BACKEND"]
        if name == "whoosh":
            from kb.search.whoosh_backend import WhooshBackend

            backend = WhooshBackend(app.config["WHOOSH_INDEX_PATH"])
        elif name == "postgres":
            from kb.search.postgres_backend import PostgresBackend

            backend = PostgresBackend(app.config["SQLALCHEMY_DATABASE_URI"])
        else:
            raise RuntimeError(f"Okänd SEARCH_BACKEND: {name!r}")
        app.extensions[EXTENSION_KEY] = backend
    return backend


@dataclass(frozen=True)
class ResultRow:
    kind: str
    entity_id: int
    obj: object
    snippet_html: str


@dataclass(frozen=True)
class SearchOutcome:
    query: Query
    page: SearchPage | None
    rows: list[ResultRow]
    unavailable: bool = False
    damaged: bool = False  # missing or unreadable: only a rebuild repairs it


def clean_filters(raw: dict[str, str]) -> dict[str, str]:
    """Facet values are codes, ids and years: anything unprintable (a NUL, which PostgreSQL
    refuses in text) can match nothing, so such a filter is dropped."""
    return {
        name: value[:100]
        for name, value in raw.items()
        if name in FACETS and value and value.isprintable()
    }


def _load_rows(page: SearchPage) -> list[ResultRow]:
    """Load the hits' rows in one query per kind and keep the engine's order."""
    wanted: dict[str, list[int]] = {}
    for hit in page.hits:
        kind, _, entity_id = hit.key.partition(":")
        if kind in SOURCES and entity_id.isdigit():
            wanted.setdefault(kind, []).append(int(entity_id))
    loaded = {}
    for kind, ids in wanted.items():
        model = SOURCES[kind].model
        for obj in db.session.scalars(select(model).where(model.id.in_(ids))):
            loaded[(kind, obj.id)] = obj
    rows = []
    for hit in page.hits:
        kind, _, entity_id = hit.key.partition(":")
        obj = loaded.get((kind, int(entity_id))) if entity_id.isdigit() else None
        if obj is not None:  # a row deleted since indexing is skipped, never shown
            rows.append(ResultRow(kind, obj.id, obj, hit.snippet_html))
    return rows


MAX_PAGE = 500


def search_for(
    user: User,
    text: str,
    filters: dict[str, str],
    order: str,
    page: int,
    per_page: int | None = None,
) -> SearchOutcome:
    query = parse_query(text)
    request = SearchRequest(
        query=query,
        access_tokens=frozenset(tokens_of(user)),
        filters=clean_filters(filters),
        order="date" if order == "date" else "relevance",
        page=max(1, min(page, MAX_PAGE)),
        per_page=per_page or current_app.config.get("SEARCH_PAGE_SIZE", 20),
    )
    try:
        result = backend_for(current_app._get_current_object()).search(request)
    except SearchUnavailableError as error:
        current_app.logger.warning("Sökindexet kan inte svara: %s", error)
        damaged = isinstance(error, SearchIndexDamagedError)
        return SearchOutcome(query, None, [], unavailable=True, damaged=damaged)
    return SearchOutcome(query, result, _load_rows(result))
