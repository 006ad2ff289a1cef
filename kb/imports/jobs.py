"""Uploads run in a background thread; their progress is a small JSON file the page polls.

The record lives in <instance>/imports/<token>.json, so any app process can show it. The
uploaded file is kept next to it until the import has run, then deleted.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import threading
import time
from pathlib import Path
from typing import IO, Any

from flask import Flask, current_app

from kb.audit.context import Actor, acting_as
from kb.extensions import db
from kb.imports.problems import ImportRejected, Problem
from kb.imports.readers import limit, size_problem
from kb.imports.services import ImportRequest, run_import

TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,40}$")
WRITE_EVERY_SECONDS = 0.3
log = logging.getLogger(__name__)


def folder(app: Flask | None = None) -> Path:
    path = Path((app or current_app).instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_upload(stream: IO[bytes], suffix: str) -> tuple[str, Path]:
    """Copy the upload to the instance folder, stopping as soon as it passes the size limit."""
    token = secrets.token_urlsafe(18)
    path = folder() / f"{token}{suffix}"
    maximum, written = limit("IMPORT_MAX_BYTES"), 0
    with path.open("wb") as target:
        while chunk := stream.read(64 * 1024):
            written += len(chunk)
            if written > maximum:
                target.close()
                path.unlink()
                problem = size_problem(written) or Problem(None, None, "")
                raise ImportRejected([problem])
            target.write(chunk)
    return token, path


def write_record(token: str, record: dict[str, Any], app: Flask | None = None) -> None:
    path = folder(app) / f"{token}.json"
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, ensure_ascii=False))
    os.replace(temporary, path)


def read_record(token: str) -> dict[str, Any] | None:
    if not TOKEN.match(token):
        return None
    path = folder() / f"{token}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


class FileProgress:
    """Progress written to the job record, at most every WRITE_EVERY_SECONDS."""

    def __init__(self, app: Flask, token: str, record: dict[str, Any]) -> None:
        self.app, self.token, self.record, self.written_at = app, token, record, 0.0

    def start(self, stage: str, total: int) -> None:
        self.record.update(stage=stage, done=0, total=total)
        self._write(force=True)

    def advance(self, count: int) -> None:
        self.record["done"] = self.record.get("done", 0) + count
        self._write()

    def _write(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.written_at >= WRITE_EVERY_SECONDS:
            self.written_at = now
            write_record(self.token, self.record, self.app)


def start_job(token: str, request: ImportRequest, actor: Actor) -> threading.Thread:
    """Record the job as running and run it in a daemon thread."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    record = {"state": "running", "stage": "read", "done": 0, "total": 0, "user_id": actor.user_id}
    write_record(token, record, app)
    thread = threading.Thread(
        target=_run, args=(app, token, request, actor, record), name=f"kb-import-{token[:6]}"
    )
    thread.daemon = True
    thread.start()
    return thread


def _run(app: Flask, token: str, request: ImportRequest, actor: Actor, record: dict) -> None:
    with app.app_context(), acting_as(actor):
        try:
            result = run_import(request, FileProgress(app, token, record))
            if result.batch_id is not None:
                db.session.commit()
            else:
                db.session.rollback()
            record.update(state="done", result=result.as_dict())
        except Exception:  # the page must learn the job ended
            db.session.rollback()
            log.exception("import %s failed", token)
            record.update(state="failed")
        finally:
            db.session.remove()
            request.path.unlink(missing_ok=True)
        write_record(token, record, app)
