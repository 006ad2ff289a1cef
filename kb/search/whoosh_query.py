"""Translate the app's parsed query into Whoosh query objects (already analysed terms)."""

from __future__ import annotations

from whoosh import query as wq

from kb.search.analysis import Alternative, phrase_terms, query_clauses
from kb.search.query import AnyOf, Phrase, Query, Term

TEXT_FIELDS = ("title", "body")


def _alternative(alternative: Alternative) -> wq.Query:
    if alternative.phrase:
        return wq.Or([wq.Phrase(field, list(alternative.terms)) for field in TEXT_FIELDS])
    return wq.And(
        [wq.Or([wq.Term(field, term) for field in TEXT_FIELDS]) for term in alternative.terms]
    )


def _clause(alternatives: list[Alternative]) -> wq.Query | None:
    if not alternatives:
        return None
    return (
        wq.Or([_alternative(a) for a in alternatives])
        if len(alternatives) > 1
        else _alternative(alternatives[0])
    )


def _item(item: Term | Phrase) -> list[wq.Query]:
    if isinstance(item, Phrase):
        clause = _clause(phrase_terms(item.words))
        return [clause] if clause is not None else []
    return [c for c in (_clause(alts) for alts in query_clauses([item.text])) if c is not None]


def _any_of(item: AnyOf) -> wq.Query | None:
    options = [
        wq.And(parts) if len(parts) > 1 else parts[0] for parts in map(_item, item.options) if parts
    ]
    return wq.Or(options) if options else None


def to_whoosh(query: Query) -> wq.Query | None:
    """Return the Whoosh query, or None when nothing searchable is left."""
    required: list[wq.Query] = []
    words = [item.text for item in query.required if isinstance(item, Term)]
    required += [c for c in (_clause(alts) for alts in query_clauses(words)) if c is not None]
    for item in query.required:
        if isinstance(item, Phrase):
            required += _item(item)
        elif isinstance(item, AnyOf):
            any_of = _any_of(item)
            if any_of is not None:
                required.append(any_of)
    if not required:
        return None
    positive = wq.And(required) if len(required) > 1 else required[0]
    excluded = [part for item in query.excluded for part in _item(item)]
    if excluded:
        return wq.AndNot(positive, wq.Or(excluded))
    return positive
