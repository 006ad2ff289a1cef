"""Edit conflicts on findings: an edit applies only to the version the editor read.

Every form that changes a finding carries the version it was read at. The service compares it
with the stored version before changing anything, and the mapper's ``version_id_col`` makes
the UPDATE itself say ``WHERE version = <read>``, so two requests that both read version N
cannot both win either: the second one's flush matches no row (StaleDataError). Both end as
FindingConflict, which the views show as the conflict message with the current values.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm.exc import StaleDataError

from kb.extensions import db
from kb.findings.models import Finding

UNREADABLE_VERSION = -1  # a posted version that is not a number never matches


class FindingConflict(Exception):  # noqa: N818
    """Someone changed the finding after this editor read it; nothing was saved."""

    def __init__(self, finding_id: int) -> None:
        super().__init__(finding_id)
        self.finding_id = finding_id


def parse_version(raw: object) -> int | None:
    """The version a form was read at; None when the form sent none (no check then)."""
    text = str(raw).strip() if raw is not None else ""
    if not text:
        return None
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else UNREADABLE_VERSION


def check_version(finding: Finding, read_version: int | None) -> None:
    if read_version is not None and read_version != finding.version:
        raise FindingConflict(finding.id)


def flush_changes(finding: Finding, now: datetime, *, linked_changed: bool = False) -> None:
    """Flush; an UPDATE is forced when only linked rows (evidence) changed, so the version is
    raised by every edit. A racing edit that committed first becomes FindingConflict."""
    if (
        linked_changed
        and finding.id is not None
        and not db.session.is_modified(finding, include_collections=False)
    ):
        finding.updated_at = now
    finding_id = finding.id  # read now: after a failed flush the session must roll back first
    try:
        db.session.flush()
    except StaleDataError as error:
        raise FindingConflict(finding_id) from error
