"""Helpers for the import tests: write files and run the import service in a session."""

from __future__ import annotations

import json
from pathlib import Path

from kb.audit.context import Actor, acting_as
from kb.extensions import db
from kb.imports.services import ImportRequest, ImportResult, run_import


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8", delimiter: str = ";") -> Path:
    text = "\r\n".join(line.replace(";", delimiter) for line in lines) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


def write_jsonl(path: Path, items: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(item, ensure_ascii=False) for item in items) + "\n")
    return path


def run(app, kind: str, path: Path, organisation: int | None = None, user: int | None = None,
        dry_run: bool = False) -> ImportResult:  # fmt: skip
    with app.app_context(), acting_as(Actor(user, "test", organisation)):
        result = run_import(ImportRequest(kind, path, path.name, organisation, user, dry_run))
        if result.batch_id:
            db.session.commit()
        else:
            db.session.rollback()
        return result


def messages(result: ImportResult) -> str:
    return "\n".join(problem.as_text() for problem in result.problems)
