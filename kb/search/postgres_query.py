"""Translate the app's parsed query into PostgreSQL tsquery text, in two analyses.

A document's terms hold two analyses of its text (see postgres_backend): PostgreSQL's own
``swedish`` configuration and the shared analysis (kb.search.analysis) as extra terms. A query
is translated twice the same way, and a document matches when either translation does.

- **Shared analysis** (to_tsquery): the text never contains user input as typed, only the
  terms kb.search.analysis produced, each quoted as a lexeme, joined by the operators below.
  It reaches PostgreSQL as a bound parameter cast to ``tsquery``, whose input takes lexemes
  verbatim (no parser, no stemming).
- **swedish** (swedish_statement): each word goes to ``plainto_tsquery('swedish', :w)`` and
  each phrase to ``phraseto_tsquery``, as bound parameters, so no input is ever parsed as
  tsquery syntax. PostgreSQL returns the translation as tsquery text, which combine() joins
  with the first: ``(ours | swedish) & !(ours | swedish)``.

- a query word: its alternatives OR-ed, each an AND of its terms (``a & b``) or, for a phrase
  alternative, consecutive terms (``a <-> b``);
- a quoted phrase: phrase_terms' alternatives, the same way;
- ``a OR b``: the options OR-ed;
- exclusions: ``positive & !(x | y)``.

The search statement (search_statement) finds the permitted matches once and derives from them
the page, the total and every facet count.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.search.analysis import Alternative, phrase_terms, query_clauses
from kb.search.query import AnyOf, Phrase, Query, Term

MAX_LEXEME_BYTES = 2046  # PostgreSQL refuses lexemes of 2 KB or more
MAX_INT = 2**31 - 1


@dataclass(frozen=True)
class TsQuery:
    positive: str  # tsquery input syntax: what must match
    excluded: str | None  # what must not
    alternatives: dict[str, frozenset[str]]  # each positive alternative's tsquery: its terms

    @property
    def text(self) -> str:
        return f"{self.positive} & !{self.excluded}" if self.excluded else self.positive

    @property
    def terms(self) -> frozenset[str]:
        return frozenset().union(*self.alternatives.values())


def lexeme(term: str) -> str:
    """Return a term as a quoted tsvector/tsquery lexeme, cut to what PostgreSQL accepts."""
    raw = term.encode()
    if len(raw) > MAX_LEXEME_BYTES:
        term = raw[:MAX_LEXEME_BYTES].decode(errors="ignore")
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _any(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"


def _all(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"


class _Builder:
    def __init__(self) -> None:
        self.alternatives: dict[str, frozenset[str]] = {}

    def alternative(self, alternative: Alternative, positive: bool) -> str | None:
        lexemes = [lexeme(term) for term in alternative.terms if term]  # "" is no lexeme
        if not lexemes:
            return None
        if alternative.phrase and len(lexemes) > 1:
            text = "(" + " <-> ".join(lexemes) + ")"
        else:
            text = _all(lexemes)
        if positive:
            self.alternatives[text] = frozenset(alternative.terms)
        return text

    def clause(self, alternatives: list[Alternative], positive: bool) -> str | None:
        parts = [p for p in (self.alternative(a, positive) for a in alternatives) if p]
        return _any(parts) if parts else None

    def item(self, item: Term | Phrase, positive: bool) -> list[str]:
        if isinstance(item, Phrase):
            clauses = [self.clause(phrase_terms(item.words), positive)]
        else:
            clauses = [self.clause(alts, positive) for alts in query_clauses([item.text])]
        return [clause for clause in clauses if clause is not None]

    def any_of(self, item: AnyOf) -> str | None:
        options = [_all(parts) for parts in (self.item(o, True) for o in item.options) if parts]
        return _any(options) if options else None


def to_tsquery(query: Query) -> TsQuery | None:
    """Return the tsquery, or None when nothing searchable is left (mirrors to_whoosh)."""
    builder = _Builder()
    words = [item.text for item in query.required if isinstance(item, Term)]
    required = [builder.clause(alts, True) for alts in query_clauses(words)]
    for item in query.required:
        if isinstance(item, Phrase):
            required += builder.item(item, True)
        elif isinstance(item, AnyOf):
            required.append(builder.any_of(item))
    required = [part for part in required if part is not None]
    if not required:
        return None
    excluded = [part for item in query.excluded for part in builder.item(item, False)]
    return TsQuery(_all(required), _any(excluded) if excluded else None, builder.alternatives)


def swedish_statement(query: Query) -> tuple[str, dict[str, str]]:
    """SQL giving the query in the ``swedish`` configuration as two tsquery texts: what must
    match and what must not ("" when a part is empty, e.g. stop words only)."""
    params: dict[str, str] = {}

    def item(found: Term | Phrase) -> str:
        name = f"s{len(params)}"
        if isinstance(found, Phrase):
            params[name] = " ".join(found.words)
            return f"phraseto_tsquery('swedish', :{name})"
        params[name] = found.text
        return f"plainto_tsquery('swedish', :{name})"

    def any_of(found: AnyOf) -> str:
        return "(" + " || ".join(item(option) for option in found.options) + ")"

    required = [any_of(r) if isinstance(r, AnyOf) else item(r) for r in query.required]
    excluded = [item(e) for e in query.excluded]
    positive = " && ".join(required) or "''::tsquery"
    negative = " || ".join(excluded) or "''::tsquery"
    return f"SELECT ({positive})::text, ({negative})::text", params


def combine(ours: str | None, swedish: str) -> str | None:
    """Either translation of the same part of a query: tsquery text, None if both are empty."""
    if ours and swedish:
        return f"(({ours}) | ({swedish}))"
    return ours or swedish or None


def full_query(tsquery: TsQuery, swedish_positive: str, swedish_excluded: str) -> tuple[str, str]:
    """The tsquery text of the whole query, and of its positive part for ranking and headlines."""
    positive = combine(tsquery.positive, swedish_positive) or tsquery.positive
    excluded = combine(tsquery.excluded, swedish_excluded)
    return (f"{positive} & !{excluded}" if excluded else positive), positive


# --- the search statement --------------------------------------------------------------------

RANK_CANDIDATES = 1000  # relevance is computed for at most this many matches, the newest
RANK = "ts_rank(CAST(:weights AS real[]), d.terms, CAST(:rank_query AS tsquery), 1)"
# Headlines mark matches with private-use characters, so that the text can be escaped after.
MARK_START, MARK_END, FRAGMENT_BREAK = "\ue000", "\ue001", "\ue002"
HEADLINE_OPTIONS = (
    f"StartSel={MARK_START}, StopSel={MARK_END}, FragmentDelimiter={FRAGMENT_BREAK},"
    " MaxFragments=2, MaxWords=30, MinWords=12, ShortWord=2"
)
# ts_headline drops what its parser takes for HTML tags and entities ("barn <12 år"), so
# the characters that start them are swapped for stand-ins and back (postgres_snippets).
TAG_CHARACTERS, TAG_STAND_INS = "<>&", "\ue003\ue004\ue005"
HEADLINE = (
    "ts_headline('swedish', translate(left(d.body, 32768), :tag_characters, :tag_stand_ins),"
    " CAST(:rank_query AS tsquery), CAST(:headline_options AS text))"
)
ACCESS_PREFIX = "access:"  # access lexemes: analysis never yields a ":", so no word collides
NEWEST = "ORDER BY date DESC NULLS LAST, key"
FILTERS = {  # facet: (condition, parameter type)
    "kind": ("d.kind = :f_kind", str),
    "area": (":f_area = ANY(d.area_ids)", int),
    "supplier": ("d.supplier_id = :f_supplier", int),
    "organisation": ("d.organisation_id = :f_organisation", int),
    "year": ("d.year = :f_year", int),
    "theme": (":f_theme = ANY(d.themes)", str),
    "status": ("d.status = :f_status", str),
}
SCALAR_FACETS = {  # facet: column; each is one grouping set
    "kind": "kind",
    "year": "year",
    "supplier": "supplier_id",
    "organisation": "organisation_id",
    "status": "status",
}
SEARCH_SQL = f"""
WITH matched AS MATERIALIZED (
  SELECT d.key, d.date, d.facet_set_id, d.theme_set_id
  FROM search_documents d
  WHERE d.terms @@ CAST(:query AS tsquery)
    AND (d.access && CAST(:tokens AS text[])) IS TRUE{{filters}}
),
per_set AS (  -- the matches counted per facet set and per theme set: two small hash tables
  SELECT GROUPING(theme_set_id) = 0 AS by_theme,
         CASE WHEN GROUPING(theme_set_id) = 0 THEN theme_set_id ELSE facet_set_id END AS set_id,
         count(*) AS n
  FROM matched
  GROUP BY GROUPING SETS ((facet_set_id), (theme_set_id))
),
combos AS (  -- the few sets' values
  SELECT p.by_theme, {", ".join(f"s.{c}" for c in SCALAR_FACETS.values())}, s.area_ids,
         s.themes, p.n
  FROM per_set p JOIN search_facet_sets s ON s.id = p.set_id
),
counts AS (
  SELECT CASE {" ".join(f"WHEN GROUPING({c}) = 0 THEN '{f}'" for f, c in SCALAR_FACETS.items())}
           WHEN GROUPING(area_ids) = 0 THEN 'area' ELSE 'total' END AS facet,
         COALESCE({", ".join(f"{c}::text" for c in SCALAR_FACETS.values())}) AS value,
         area_ids, COALESCE(sum(n), 0)::bigint AS n
  FROM combos WHERE NOT by_theme
  GROUP BY GROUPING SETS ({", ".join(f"({c})" for c in SCALAR_FACETS.values())}, (area_ids), ())
),
page AS ({{page}})
SELECT 'hit', page.key, page.part, COALESCE(page.score, {RANK}), page.date, d.title, d.body,
       ARRAY[{{alternatives}}]::boolean[], {HEADLINE}
FROM page JOIN search_documents d ON d.key = page.key
UNION ALL SELECT facet, value, n, NULL, NULL, NULL, NULL, NULL, NULL FROM counts
  WHERE facet <> 'area' AND (value IS NOT NULL OR facet = 'total')
UNION ALL SELECT 'area', a::text, sum(n)::bigint, NULL, NULL, NULL, NULL, NULL, NULL
  FROM counts, LATERAL (SELECT DISTINCT unnest(area_ids)) u (a) WHERE facet = 'area' GROUP BY a
UNION ALL SELECT 'theme', t, sum(n)::bigint, NULL, NULL, NULL, NULL, NULL, NULL
  FROM combos, LATERAL (SELECT DISTINCT unnest(themes)) u (t) WHERE by_theme GROUP BY t
"""
BY_DATE = f"""
  SELECT key, NULL::real AS score, date, 1 AS part FROM matched {NEWEST}
  LIMIT :limit OFFSET :offset
"""
BY_RELEVANCE = f"""
  (SELECT c.key, {RANK} AS score, c.date, 0 AS part
   FROM (SELECT key, date FROM matched {NEWEST} LIMIT :candidates) c
   JOIN search_documents d ON d.key = c.key
   ORDER BY score DESC, key LIMIT :limit OFFSET :offset)
  UNION ALL
  (SELECT key, NULL::real, date, 1 FROM matched {NEWEST} LIMIT :rest_limit OFFSET :rest_offset)
"""


def access_lexeme(token: str) -> str:
    """The lexeme that stands for an access token in a document's terms."""
    return lexeme(ACCESS_PREFIX + token)


def search_statement(
    tsquery: TsQuery,
    tokens: frozenset[str],
    filters: dict[str, str],
    order: str,
    swedish: tuple[str, str] = ("", ""),
) -> tuple[str, dict[str, object]] | None:
    """The SQL of one search page and its parameters but for weights and paging; None if a
    filter value can never match (as in Whoosh, where it is no stored term).

    Permissions are checked twice. The documents' terms hold their access tokens as lexemes,
    so the GIN index yields only matches the user may read; ``access && :tokens`` then checks
    each row, written so that the planner cannot answer it from the access index alone and
    test the (out of line) terms of every readable row instead.

    Relevance ranks the RANK_CANDIDATES newest matches, the rest follow newest first: ranking
    every match of a broad query would read every match's terms.
    """
    conditions, params = [], {}
    for name, value in sorted(filters.items()):
        condition, kind = FILTERS[name]
        if kind is int and not _stored_int(value):
            return None
        conditions.append(f" AND {condition}")
        params[f"f_{name}"] = kind(value)
    alternatives = list(tsquery.alternatives)  # which of them each hit matches, for snippets
    params |= {f"a{i}": alternative for i, alternative in enumerate(alternatives)}
    readable = " | ".join(access_lexeme(token) for token in sorted(tokens))
    query_text, positive = full_query(tsquery, *swedish)
    params |= {
        "query": f"{query_text} & ({readable})",
        "rank_query": positive,
        "headline_options": HEADLINE_OPTIONS,
        "tag_characters": TAG_CHARACTERS,
        "tag_stand_ins": TAG_STAND_INS,
        "tokens": sorted(tokens),
    }
    sql = SEARCH_SQL.format(
        filters="".join(conditions),
        page=BY_DATE if order == "date" else BY_RELEVANCE,
        alternatives=", ".join(
            f"d.terms @@ CAST(:a{i} AS tsquery)" for i in range(len(alternatives))
        ),
    )
    return sql, params


def _stored_int(value: str) -> bool:
    """Whether the value is an integer as the index stores it: "7", never "07" or "+7"."""
    return value.isdecimal() and value == str(int(value)) and int(value) <= MAX_INT


def paging(page: int, per_page: int) -> dict[str, int]:
    """LIMIT and OFFSET of the ranked part and of the newest-first rest (BY_RELEVANCE)."""
    offset = (page - 1) * per_page
    ranked = max(0, min(per_page, RANK_CANDIDATES - offset))
    return {
        "candidates": RANK_CANDIDATES,
        "limit": per_page,
        "offset": offset,
        "rest_limit": per_page - ranked,
        "rest_offset": RANK_CANDIDATES + max(0, offset - RANK_CANDIDATES),
    }
