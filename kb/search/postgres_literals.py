"""The shared analysis of many documents at once, for a PostgreSQL rebuild.

The analysis (tsvector_literal) is most of a rebuild's Python time. Forked processes each
analyse a share of the documents, which they inherit together with the lexicon just learned
(a spawned process would have to be sent both, and would split no compounds), and send back
the literals in order; the parent writes them to COPY meanwhile.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence

from kb.search.documents import SearchDocument

CHUNK = 500  # documents per task
MIN_DOCUMENTS = 4000  # fewer are analysed in this process: forking would not pay
MAX_PROCESSES = 4

_shared: tuple[Sequence[SearchDocument], Callable[[SearchDocument], str]] | None = None


def _analyse(start: int) -> list[str]:
    documents, literal = _shared  # type: ignore[misc]  # set before the fork
    return [literal(document) for document in documents[start : start + CHUNK]]


def literals(
    documents: Sequence[SearchDocument], literal: Callable[[SearchDocument], str]
) -> Iterator[str]:
    """literal(document) for each document, in order, computed in forked processes when
    there are enough documents and the platform forks."""
    global _shared
    processes = min(os.cpu_count() or 1, MAX_PROCESSES)
    if (
        len(documents) < MIN_DOCUMENTS
        or processes < 2
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        yield from map(literal, documents)
        return
    _shared = (documents, literal)
    try:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            for chunk in pool.imap(_analyse, range(0, len(documents), CHUNK)):
                yield from chunk
    finally:
        _shared = None
