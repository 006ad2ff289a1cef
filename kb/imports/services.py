"""Run an import: read, parse and validate every row, then write all of it as one batch.

Services flush and never commit; the CLI and the upload page commit once. Nothing is
written when any row has a problem, or on a dry run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _

from kb.audit.context import in_batch
from kb.database import utcnow
from kb.extensions import db
from kb.imports.base import ImportContext, NoProgress, Progress
from kb.imports.catalogue_kinds import check_suppliers, check_units, write_suppliers, write_units
from kb.imports.columns import ImportKind, kind_for
from kb.imports.experience_kind import check_experiences, write_experiences
from kb.imports.models import ImportBatch
from kb.imports.problems import ImportRejected, Problem
from kb.imports.readers import file_format, read_table
from kb.imports.rows import ParsedTable, parse_table
from kb.imports.tender_kinds import (
    check_contracts,
    check_tender_rounds,
    write_contracts,
    write_tender_rounds,
)

Step = Callable[[ParsedTable, ImportContext], None]
HANDLERS: dict[str, tuple[Step, Step]] = {
    "suppliers": (check_suppliers, write_suppliers),
    "units": (check_units, write_units),
    "tender_rounds": (check_tender_rounds, write_tender_rounds),
    "contracts": (check_contracts, write_contracts),
    "experiences": (check_experiences, write_experiences),
}


@dataclass
class ImportRequest:
    kind: str
    path: Path
    filename: str
    organisation_id: int | None
    user_id: int | None
    dry_run: bool = False


@dataclass
class ImportResult:
    kind: str
    filename: str
    dry_run: bool
    row_count: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    batch_id: int | None = None
    created: int = 0
    updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def unchanged(self) -> int:
        return self.row_count - self.created - self.updated

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "filename": self.filename,
            "dry_run": self.dry_run,
            "row_count": self.row_count,
            "created": self.created,
            "updated": self.updated,
            "batch_id": self.batch_id,
            "problems": [p.as_dict() for p in self.problems],
            "warnings": [p.as_dict() for p in self.warnings],
        }


def run_import(request: ImportRequest, progress: Progress | None = None) -> ImportResult:
    """Validate the whole file; unless it is a dry run or anything failed, write one batch."""
    progress = progress or NoProgress()
    kind = kind_for(request.kind)
    result = ImportResult(request.kind, request.filename, request.dry_run)
    if kind is None:
        result.problems.append(
            Problem(None, None, _("Okänd typ av import: %(k)s.", k=request.kind))
        )
        return result
    result.kind = kind.key
    try:
        parsed = _parse(kind, request, progress)
    except ImportRejected as rejected:
        result.problems = rejected.problems
        return result
    context = ImportContext(
        request.organisation_id, request.user_id, request.filename, utcnow(), progress
    )
    check, write = HANDLERS[kind.key]
    check(parsed, context)
    result.row_count = len(parsed.rows)
    result.problems = sorted(parsed.problems, key=lambda p: p.row or 0)
    result.warnings = parsed.warnings
    if result.problems or request.dry_run:
        return result
    batch = _new_batch(kind, request, len(parsed.rows))
    with in_batch(batch.id):
        write(parsed, context)
    batch.created_count, batch.updated_count = context.created, context.updated
    db.session.flush()
    result.batch_id, result.created, result.updated = batch.id, context.created, context.updated
    return result


def _parse(kind: ImportKind, request: ImportRequest, progress: Progress) -> ParsedTable:
    progress.start("read", 0)
    table = read_table(request.path, request.filename)
    progress.start("parse", len(table.rows))
    parsed = parse_table(kind, table, progress)
    return parsed


def _new_batch(kind: ImportKind, request: ImportRequest, row_count: int) -> ImportBatch:
    batch = ImportBatch(
        kind=kind.key,
        filename=request.filename[:255],
        file_format=file_format(request.filename),
        organisation_id=request.organisation_id,
        created_by_id=request.user_id,
        created_at=utcnow(),
        row_count=row_count,
        created_count=0,
        updated_count=0,
        status="applied",
    )
    db.session.add(batch)
    db.session.flush()
    return batch
