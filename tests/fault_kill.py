"""Run one operation in a process of its own and stop it part-way, for tests/test_faults_kill.py.

    python -m tests.fault_kill '<json>'

The JSON names the database, the instance folder, the search backend, a marker file, where
to pause and what to run:

- ``"finalise"``: a procurer signs in and posts "Fastställ underlaget" for a draft;
- ``"import"``: ``flask kb import experiences FILE --as EMAIL``;
- ``"drain"``: ``flask kb search drain``.

The pause is put in from here, never through a hook in the app: either a SQLAlchemy
``before_cursor_execute`` listener that waits at the nth statement matching a pattern, or a
wrapped Whoosh ``SegmentWriter._commit_toc`` that waits after the segment files are written
and before the table of contents that would make them the index. At the pause this process
writes the marker file and sleeps; the test kills it with SIGKILL. If the pause is never
reached the operation completes and the process exits with code 3, which the test reports.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from whoosh.writing import SegmentWriter

from config import TestConfig
from kb import create_app

NEVER_PAUSED = 3


def _pause(marker: Path) -> None:
    marker.write_text("paused")
    time.sleep(600)  # the test kills us long before this ends


def _pause_at_statement(marker: Path, pattern: str, nth: int, trace: bool) -> None:
    wanted, seen = re.compile(pattern), [0]

    @event.listens_for(Engine, "before_cursor_execute")
    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if trace:  # to choose pause points: prints every statement's start
            print(" ".join(statement.split())[:90], file=sys.stderr)
        if wanted.search(statement):
            seen[0] += 1
            if seen[0] == nth:
                _pause(marker)


def _pause_before_table_of_contents(marker: Path) -> None:
    commit_toc = SegmentWriter._commit_toc

    def paused(self: SegmentWriter, segments: list) -> None:
        _pause(marker)
        commit_toc(self, segments)

    SegmentWriter._commit_toc = paused


def _finalise(app: Any, spec: dict) -> None:
    from tests.conftest import csrf_token_from

    client = app.test_client()
    login = client.get("/logga-in")
    response = client.post(
        "/logga-in",
        data={
            "email": spec["email"],
            "password": spec["password"],
            "csrf_token": csrf_token_from(login.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    page = client.get(f"/underlag/{spec['draft_id']}")
    token = csrf_token_from(page.get_data(as_text=True))
    response = client.post(f"/underlag/{spec['draft_id']}/faststall", data={"csrf_token": token})
    assert response.status_code == 302


def _cli(app: Any, args: list[str]) -> None:
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output


def main(spec: dict) -> int:
    app = create_app(
        TestConfig,
        {
            "SQLALCHEMY_DATABASE_URI": spec["database_url"],
            "INSTANCE_PATH": Path(spec["instance_path"]),
            "SEARCH_BACKEND": spec["search_backend"],
            "SEARCH_SYNC": "off",
        },
    )
    marker = Path(spec["marker"])
    pause = spec["pause"]
    if "sql" in pause:
        _pause_at_statement(marker, pause["sql"], pause.get("nth", 1), spec.get("trace", False))
    else:
        _pause_before_table_of_contents(marker)
    operation = spec["operation"]
    if operation == "finalise":
        _finalise(app, spec)
    elif operation == "import":
        _cli(app, ["kb", "import", "experiences", spec["file"], "--as", spec["email"]])
    elif operation == "drain":
        _cli(app, ["kb", "search", "drain"])
    else:
        raise SystemExit(f"unknown operation {operation}")
    return NEVER_PAUSED


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
