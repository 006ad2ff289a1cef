"""Failed sign-ins per client address. Services flush; the view commits.

Too many failures from one address within the window refuse every further attempt from it,
for any account and even with the right password, until the oldest of them has left the
window. The failures are rows in ``login_failures``, so every gunicorn worker and app server
counts the same ones. Refused attempts are not counted, and rows older than the window are
deleted whenever a failure is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from kb.auth.models import LoginFailure
from kb.extensions import db

ADDRESS_LENGTH = 45  # the column's size: an IPv6 address in its longest written form


@dataclass(frozen=True)
class AddressLimit:
    max_failures: int  # 0 turns the limit off
    window: timedelta


def normalise_address(address: str | None) -> str:
    return (address or "okänd")[:ADDRESS_LENGTH]


def refused_until(address: str, now: datetime, limit: AddressLimit) -> datetime | None:
    """When the address may try again, or None when it may try now."""
    if limit.max_failures <= 0:
        return None
    recent = list(
        db.session.scalars(
            select(LoginFailure.occurred_at)
            .where(
                LoginFailure.ip_address == address,
                LoginFailure.occurred_at > now - limit.window,
            )
            .order_by(LoginFailure.occurred_at.desc())
            .limit(limit.max_failures)
        )
    )
    if len(recent) < limit.max_failures:
        return None
    return recent[-1] + limit.window


def record_failure(address: str, now: datetime, limit: AddressLimit) -> None:
    db.session.execute(delete(LoginFailure).where(LoginFailure.occurred_at <= now - limit.window))
    db.session.add(LoginFailure(ip_address=address, occurred_at=now))
    db.session.flush()
