"""Authentication and account services. They flush; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from kb.auth.models import User
from kb.extensions import db

_DUMMY_HASH = generate_password_hash("not-a-real-password")


class LoginRefusedError(Exception):
    """Sign-in was refused; ``reason`` tells the view which message to show."""

    def __init__(self, reason: str, locked_until: datetime | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.locked_until = locked_until


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int
    lockout: timedelta


def find_user_by_email(email: str) -> User | None:
    normalised = email.strip().lower()
    return db.session.scalar(select(User).where(func.lower(User.email) == normalised))


def authenticate(email: str, password: str, now: datetime, policy: LockoutPolicy) -> User:
    """Return the user for valid credentials, counting failures and locking the account."""
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)  # same work as for a real account
        raise LoginRefusedError("invalid")
    if user.locked_until is not None and user.locked_until > now:
        raise LoginRefusedError("locked", user.locked_until)
    if not user.check_password(password):
        _register_failure(user, now, policy)
        db.session.flush()
        if user.locked_until is not None and user.locked_until > now:
            raise LoginRefusedError("locked", user.locked_until)
        raise LoginRefusedError("invalid")
    if not user.active:
        raise LoginRefusedError("inactive")
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    db.session.flush()
    return user


def _register_failure(user: User, now: datetime, policy: LockoutPolicy) -> None:
    user.failed_login_count += 1
    if user.failed_login_count >= policy.max_failures:
        user.locked_until = now + policy.lockout
        user.failed_login_count = 0
