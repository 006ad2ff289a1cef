"""The properties every fuzzed answer must have, as functions returning what is wrong."""

from __future__ import annotations

import re

from tests.fuzz_database import Snapshot
from tests.fuzz_html import active_content, has_message
from tests.fuzz_session import Outcome

# What a form may answer besides the extra statuses of a target: a page re-rendered with a
# message (200), a redirect, a refusal (400, 403, 404), too large (413), too many (429).
FORM_STATUSES = frozenset({200, 302, 303, 400, 403, 404, 413, 429})
# Messages a user should never see: English defaults and internals.
LEAKS = re.compile(
    r"Not a valid|This field is required|Invalid (?:choice|value|input|date)|Field must be"
    r"|Traceback|Exception:|invalid literal|could not convert|NoneType|sqlalchemy|psycopg"
)


def refused(outcome: Outcome) -> bool:
    """The request was turned down: an error status, a re-rendered form, an error message
    flashed, or an import whose job saved no batch."""
    if outcome.job is not None:
        return (outcome.job.get("result") or {}).get("batch_id") is None
    return outcome.status >= 400 or outcome.status == 200 or outcome.error_flashed


def web_answer_problems(
    outcome: Outcome, statuses: frozenset[int], silent: bool, signed_in: bool
) -> list[str]:
    """No server error, an allowed status, a message on a re-rendered form, a session kept,
    nothing internal or English shown, and no active content in the page."""
    if outcome.status >= 500 or outcome.error:
        return [f"server error {outcome.status}:\n{outcome.error or outcome.body[-2500:]}"]
    problems = []
    if outcome.status not in FORM_STATUSES | statuses:
        problems.append(f"unexpected status {outcome.status}")
    if outcome.status in (200, 409) and not silent and not has_message(outcome.body):
        problems.append("a re-rendered form without any message")
    if signed_in and "/logga-in" in outcome.location:
        problems.append(f"signed out: redirected to {outcome.location}")
    if outcome.job is not None and outcome.job.get("state") != "done":
        problems.append(f"the import job ended {outcome.job.get('state')}: {outcome.job}")
    leaked = LEAKS.search(outcome.body)
    if leaked:
        start = max(0, leaked.start() - 200)
        problems.append(f"internal or English text shown: {outcome.body[start : start + 400]!r}")
    problems += active_content(outcome.body)
    return problems


def changes_beyond(before: Snapshot, after: Snapshot, tolerated: frozenset[str]) -> list[str]:
    """Tables that changed, ignoring tolerated tables and "table.column"s."""
    changed = []
    for table in before.changed_tables(after):
        if table in tolerated:
            continue
        columns = {entry.split(".", 1)[1] for entry in tolerated if entry.startswith(f"{table}.")}

        def without(rows: list[dict], columns: set[str] = columns) -> list[str]:
            return sorted(
                repr(sorted((k, v) for k, v in r.items() if k not in columns)) for r in rows
            )

        if without(before.rows[table]) != without(after.rows[table]):
            changed.append(table)
    return changed


def _without(rows: list[dict], columns: set[str]) -> list[str]:
    return sorted(repr(sorted((k, v) for k, v in row.items() if k not in columns)) for row in rows)
