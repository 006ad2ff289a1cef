"""The one small interface every search backend implements. No engine types cross it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from kb.search.documents import SearchDocument
from kb.search.query import Query

FACETS = ("kind", "area", "supplier", "organisation", "year", "theme", "status")


@dataclass(frozen=True)
class SearchRequest:
    query: Query
    access_tokens: frozenset[str]
    filters: dict[str, str] = field(default_factory=dict)
    order: str = "relevance"  # or "date"
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class Hit:
    key: str
    score: float
    snippet_html: str  # escaped text with <mark> around matches


@dataclass(frozen=True)
class FacetCount:
    value: str
    count: int


@dataclass(frozen=True)
class SearchPage:
    hits: list[Hit]
    total: int
    facets: dict[str, list[FacetCount]]
    page: int
    per_page: int


@dataclass(frozen=True)
class Health:
    ok: bool
    detail: str
    documents: int = 0


class SearchUnavailableError(RuntimeError):
    """The index cannot answer or be written now; the site keeps working."""


class SearchIndexDamagedError(SearchUnavailableError):
    """The index is missing or cannot be read: only a rebuild from the database repairs it."""


class SearchBackend(Protocol):
    def search(self, request: SearchRequest) -> SearchPage: ...

    def upsert(self, documents: Sequence[SearchDocument]) -> None: ...

    def delete(self, keys: Sequence[str]) -> None: ...

    def rebuild(self, documents: Iterable[SearchDocument]) -> int: ...

    def health(self) -> Health: ...

    def stored_keys(self) -> set[str]: ...
