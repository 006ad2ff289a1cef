"""One-time form keys, stored with what the form created. Services flush, never commit.

A creating form carries a key made when the form was shown. The view saves the key in the
same transaction as the object it creates; a second post with the same key finds the row and
is sent to the first result instead of creating the object again. The key is the table's
primary key, so two posts racing each other cannot both commit: the second gets an
IntegrityError, and after its rollback it finds the first one's row.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from kb.extensions import db
from kb.submissions.models import FormSubmission


def new_form_key() -> str:
    return str(uuid.uuid4())


def valid_form_key(raw: object) -> str | None:
    """The key when it is one this app hands out (a canonical UUID), else None."""
    if not isinstance(raw, str) or len(raw) != 36:
        return None
    try:
        return raw if str(uuid.UUID(raw)) == raw else None
    except ValueError:
        return None


def earlier_submission(key: str) -> FormSubmission | None:
    return db.session.scalar(select(FormSubmission).where(FormSubmission.key == key))


def remember_submission(
    user_id: int | None, key: str, endpoint: str, result_url: str
) -> FormSubmission:
    """Store the key with the page its object is shown on; flush, so a racing twin fails."""
    row = FormSubmission(key=key, user_id=user_id, endpoint=endpoint, result_url=result_url)
    db.session.add(row)
    db.session.flush()
    return row
