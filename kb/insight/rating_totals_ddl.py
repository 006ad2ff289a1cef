"""The triggers that keep rating_totals equal to a fresh aggregation of the ratings.

rating_totals holds, per (agreement area, unit, contract, owner organisation, theme), the count,
sum and sum of squares of the non-null ratings of SUBMITTED experiences; a missing area, unit or
contract is stored as 0. The theme ALL_THEMES ('*') row counts instead the experiences with at
least one rating (n; total and total_of_squares stay 0), which the unit ranking suppresses on.

Every change is applied by the database, so every write path (ORM, imports, API, bulk inserts,
raw SQL) keeps the totals right. Each trigger adds the change of the aggregate its statement
caused: the rows it removed count -1, the rows it added +1, summed per key into one upsert;
rows that reach n = 0 are deleted. The '*' row changes by [now rated] - [rated before], where
"before" is the current count of non-null ratings minus those the statement added plus those it
removed, so it is right whatever the order of the rows.

- SQLite: row triggers (they see each row's change at once); an inserted rating, the bulk
  path, takes two plain upserts. A deleted experience is handled BEFORE DELETE, while its
  ratings are still there (with foreign keys switched on, the cascaded deletes then find no
  experience and change nothing, as on PostgreSQL).
- PostgreSQL: statement triggers with transition tables (a COPY of 18,000 ratings is one
  aggregate, not 18,000 upserts); a deleted experience is handled in a row BEFORE DELETE
  trigger, because the foreign-key cascade removes its ratings before statement triggers run
  (the cascaded rating deletes then find no experience and change nothing).
"""

from __future__ import annotations

ALL_THEMES = "*"
SUBMITTED = "inskickad"
KEY = "agreement_area_id, unit_id, contract_id, organisation_id"
EXPERIENCE_COLUMNS = f"id, status, {KEY}"
KEYED_COLUMNS = ("status", "agreement_area_id", "unit_id", "contract_id", "organisation_id")


def _key_of(alias: str) -> str:
    return (
        f"COALESCE({alias}.agreement_area_id, 0) AS a, COALESCE({alias}.unit_id, 0) AS u,"
        f" COALESCE({alias}.contract_id, 0) AS c, {alias}.organisation_id AS o"
    )


def _upsert(select_: str) -> str:
    """Add the rows of select_ (key, theme, n, total, total of squares) to rating_totals."""
    return (
        f"INSERT INTO rating_totals ({KEY}, theme, n, total, total_of_squares) {select_}"
        f" ON CONFLICT ({KEY}, theme) DO UPDATE SET n = rating_totals.n + excluded.n,"
        " total = rating_totals.total + excluded.total,"
        " total_of_squares = rating_totals.total_of_squares + excluded.total_of_squares"
    )


def _apply(deltas: list[str]) -> str:
    """Add the summed deltas (columns a, u, c, o, theme, n, total, sq) to rating_totals."""
    return _upsert(
        "SELECT a, u, c, o, theme, SUM(n), SUM(total), SUM(sq)"
        f" FROM ({' UNION ALL '.join(deltas)}) AS delta WHERE 1 = 1"
        " GROUP BY a, u, c, o, theme HAVING SUM(n) <> 0 OR SUM(total) <> 0 OR SUM(sq) <> 0"
    )


def _signed(sources: dict[int, str | None], columns: str) -> str:
    parts = [
        f"SELECT {columns}, {sign} AS sign FROM ({source}) AS s{index}"
        for index, (sign, source) in enumerate(sources.items())
        if source is not None
    ]
    return " UNION ALL ".join(parts)


def _forget_zeros(keys: str) -> str:
    return (
        f"DELETE FROM rating_totals WHERE n = 0 AND ({KEY}) IN"
        f" (SELECT a, u, c, o FROM ({keys}) AS affected)"
    )


def rating_change(removed: str | None, added: str | None) -> list[str]:
    """Statements for rating rows removed and added (sources of experience_id, theme, rating)."""
    signed = _signed({-1: removed, 1: added}, "experience_id, theme, rating")
    per_theme = (
        f"SELECT {_key_of('e')}, r.theme AS theme, r.sign AS n, r.sign * r.rating AS total,"
        " r.sign * r.rating * r.rating AS sq"
        f" FROM ({signed}) AS r JOIN experiences e ON e.id = r.experience_id"
        f" WHERE e.status = '{SUBMITTED}' AND r.rating IS NOT NULL"
    )
    gained = (
        "SELECT experience_id,"
        " SUM(CASE WHEN rating IS NOT NULL THEN sign ELSE 0 END) AS gained"
        f" FROM ({signed}) AS r GROUP BY experience_id"
    )
    counted = (
        "SELECT g.experience_id, g.gained, (SELECT COUNT(*) FROM experience_ratings x"
        " WHERE x.experience_id = g.experience_id AND x.rating IS NOT NULL) AS now"
        f" FROM ({gained}) AS g"
    )
    rated = (
        f"SELECT {_key_of('e')}, '{ALL_THEMES}' AS theme,"
        " (CASE WHEN k.now > 0 THEN 1 ELSE 0 END)"
        " - (CASE WHEN k.now - k.gained > 0 THEN 1 ELSE 0 END) AS n, 0 AS total, 0 AS sq"
        f" FROM ({counted}) AS k JOIN experiences e ON e.id = k.experience_id"
        f" WHERE e.status = '{SUBMITTED}'"
    )
    statements = [_apply([per_theme, rated])]
    if removed is not None:
        keys = (
            f"SELECT {_key_of('e')} FROM ({signed}) AS r"
            " JOIN experiences e ON e.id = r.experience_id"
        )
        statements.append(_forget_zeros(keys))
    return statements


def experience_change(removed: str | None, added: str | None) -> list[str]:
    """Statements for experience rows removed and added (sources of EXPERIENCE_COLUMNS)."""
    signed = _signed({-1: removed, 1: added}, EXPERIENCE_COLUMNS)
    per_theme = (
        f"SELECT {_key_of('x')}, r.theme AS theme, x.sign AS n, x.sign * r.rating AS total,"
        " x.sign * r.rating * r.rating AS sq"
        f" FROM ({signed}) AS x JOIN experience_ratings r ON r.experience_id = x.id"
        f" WHERE x.status = '{SUBMITTED}' AND r.rating IS NOT NULL"
    )
    rated = (
        f"SELECT {_key_of('x')}, '{ALL_THEMES}' AS theme, x.sign AS n, 0 AS total, 0 AS sq"
        f" FROM ({signed}) AS x WHERE x.status = '{SUBMITTED}' AND EXISTS (SELECT 1"
        " FROM experience_ratings r WHERE r.experience_id = x.id AND r.rating IS NOT NULL)"
    )
    statements = [_apply([per_theme, rated])]
    if removed is not None:
        statements.append(_forget_zeros(f"SELECT {_key_of('x')} FROM ({signed}) AS x"))
    return statements


def _row(prefix: str, columns: str) -> str:
    """A one-row source of the trigger's OLD or NEW values."""
    return "SELECT " + ", ".join(f"{prefix}.{c} AS {c}" for c in columns.split(", "))


RATING_COLUMNS = "experience_id, theme, rating"
_CHANGED = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in KEYED_COLUMNS)


def _sqlite_trigger(name: str, timing: str, when: str | None, statements: list[str]) -> str:
    condition = f" WHEN {when}" if when else ""
    body = "; ".join(statements)
    return f"CREATE TRIGGER {name} {timing} FOR EACH ROW{condition} BEGIN {body}; END"


def _sqlite_rating_added() -> list[str]:
    """The bulk path (one row trigger per inserted rating), as two plain upserts.

    A row trigger sees every earlier row's change, so the experience became rated exactly when
    it has no other non-null rating (the primary key makes every other row another theme).
    """
    submitted = f"FROM experiences e WHERE e.id = NEW.experience_id AND e.status = '{SUBMITTED}'"
    return [
        _upsert(
            f"SELECT {_key_of('e')}, NEW.theme, 1, NEW.rating, NEW.rating * NEW.rating {submitted}"
        ),
        _upsert(
            f"SELECT {_key_of('e')}, '{ALL_THEMES}', 1, 0, 0 {submitted} AND NOT EXISTS"
            " (SELECT 1 FROM experience_ratings r WHERE r.experience_id = NEW.experience_id"
            " AND r.rating IS NOT NULL AND r.theme <> NEW.theme)"
        ),
    ]


def sqlite_statements() -> list[str]:
    old_rating, new_rating = _row("OLD", RATING_COLUMNS), _row("NEW", RATING_COLUMNS)
    old_experience = _row("OLD", EXPERIENCE_COLUMNS)
    new_experience = _row("NEW", EXPERIENCE_COLUMNS)
    return [
        _sqlite_trigger(
            "rating_totals_ratings_insert",
            "AFTER INSERT ON experience_ratings",
            "NEW.rating IS NOT NULL",
            _sqlite_rating_added(),
        ),
        _sqlite_trigger(
            "rating_totals_ratings_update",
            "AFTER UPDATE OF experience_id, theme, rating ON experience_ratings",
            None,
            rating_change(old_rating, new_rating),
        ),
        _sqlite_trigger(
            "rating_totals_ratings_delete",
            "AFTER DELETE ON experience_ratings",
            "OLD.rating IS NOT NULL",
            rating_change(old_rating, None),
        ),
        _sqlite_trigger(
            "rating_totals_experiences_insert",
            "AFTER INSERT ON experiences",
            f"NEW.status = '{SUBMITTED}'",
            experience_change(None, new_experience),
        ),
        _sqlite_trigger(
            "rating_totals_experiences_update",
            f"AFTER UPDATE OF id, {', '.join(KEYED_COLUMNS)} ON experiences",
            f"OLD.id IS NOT NEW.id OR {_CHANGED}",
            experience_change(old_experience, new_experience),
        ),
        _sqlite_trigger(
            "rating_totals_experiences_delete",
            "BEFORE DELETE ON experiences",
            f"OLD.status = '{SUBMITTED}'",
            experience_change(old_experience, None),
        ),
    ]


def _pg_function(name: str, statements: list[str], returns: str = "NULL") -> str:
    body = " ".join(f"{statement};" for statement in statements)
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$ BEGIN {body}"
        f" RETURN {returns}; END; $$ LANGUAGE plpgsql"
    )


def _pg_moved(side: str) -> str:
    """The old or new rows of experiences whose status or key the UPDATE changed."""
    changed = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in KEYED_COLUMNS)
    columns = ", ".join(f"{side}.{c}" for c in EXPERIENCE_COLUMNS.split(", "))
    return (
        f"SELECT {columns} FROM old_experiences o JOIN new_experiences n ON n.id = o.id"
        f" WHERE {changed}"
    )


def postgresql_statements() -> list[str]:
    old_ratings = f"SELECT {RATING_COLUMNS} FROM old_ratings"
    new_ratings = f"SELECT {RATING_COLUMNS} FROM new_ratings"
    new_experiences = f"SELECT {EXPERIENCE_COLUMNS} FROM new_experiences"
    functions = {
        "ratings_insert": rating_change(None, new_ratings),
        "ratings_update": rating_change(old_ratings, new_ratings),
        "ratings_delete": rating_change(old_ratings, None),
        "experiences_insert": experience_change(None, new_experiences),
        "experiences_update": experience_change(_pg_moved("o"), _pg_moved("n")),
    }
    statements = [_pg_function(f"rating_totals_{name}", body) for name, body in functions.items()]
    statements.append(
        _pg_function(
            "rating_totals_experiences_delete",
            experience_change(_row("OLD", EXPERIENCE_COLUMNS), None),
            returns="OLD",
        )
    )
    statement_triggers = (
        ("ratings_insert", "INSERT ON experience_ratings", "NEW TABLE AS new_ratings"),
        (
            "ratings_update",
            "UPDATE ON experience_ratings",
            "OLD TABLE AS old_ratings NEW TABLE AS new_ratings",
        ),
        ("ratings_delete", "DELETE ON experience_ratings", "OLD TABLE AS old_ratings"),
        ("experiences_insert", "INSERT ON experiences", "NEW TABLE AS new_experiences"),
        (
            "experiences_update",
            "UPDATE ON experiences",
            "OLD TABLE AS old_experiences NEW TABLE AS new_experiences",
        ),
    )
    for name, event, tables in statement_triggers:
        statements.append(
            f"CREATE TRIGGER rating_totals_{name} AFTER {event} REFERENCING {tables}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION rating_totals_{name}()"
        )
    statements.append(
        "CREATE TRIGGER rating_totals_experiences_delete BEFORE DELETE ON experiences"
        f" FOR EACH ROW WHEN (OLD.status = '{SUBMITTED}')"
        " EXECUTE FUNCTION rating_totals_experiences_delete()"
    )
    return statements


TRIGGER_NAMES = [
    f"rating_totals_{name}"
    for name in (
        "ratings_insert",
        "ratings_update",
        "ratings_delete",
        "experiences_insert",
        "experiences_update",
        "experiences_delete",
    )
]


def drop_statements(dialect: str) -> list[str]:
    """Statements that remove the triggers (and PostgreSQL's functions)."""
    if dialect == "postgresql":
        return [f"DROP FUNCTION IF EXISTS {name}() CASCADE" for name in TRIGGER_NAMES]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGER_NAMES]


FRESH_TOTALS = (
    "SELECT a, u, c, o, theme, SUM(n) AS n, SUM(total) AS total, SUM(sq) AS sq FROM ("
    f"SELECT {_key_of('e')}, r.theme AS theme, 1 AS n, r.rating AS total,"
    " r.rating * r.rating AS sq FROM experiences e"
    " JOIN experience_ratings r ON r.experience_id = e.id"
    f" WHERE e.status = '{SUBMITTED}' AND r.rating IS NOT NULL"
    f" UNION ALL SELECT {_key_of('e')}, '{ALL_THEMES}' AS theme, 1 AS n, 0 AS total, 0 AS sq"
    f" FROM experiences e WHERE e.status = '{SUBMITTED}' AND EXISTS (SELECT 1"
    " FROM experience_ratings r WHERE r.experience_id = e.id AND r.rating IS NOT NULL)"
    ") AS fresh GROUP BY a, u, c, o, theme"
)
"""rating_totals as aggregated afresh from the stored ratings."""

BACKFILL = f"INSERT INTO rating_totals ({KEY}, theme, n, total, total_of_squares) {FRESH_TOTALS}"


def trigger_statements(dialect: str) -> list[str]:
    return postgresql_statements() if dialect == "postgresql" else sqlite_statements()
