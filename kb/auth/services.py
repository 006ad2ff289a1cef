"""Authentication and account services. They flush; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from kb.auth.models import User
from kb.auth.passwords import hash_password, needs_rehash, password_problems
from kb.extensions import db

_DUMMY_HASH = hash_password("not-a-real-password")


class PasswordChangeRefusedError(ValueError):
    """The new password was not set; ``errors`` maps form fields to Swedish messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


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
    if needs_rehash(user.password_hash):  # an older method: upgrade, sessions stay valid
        user.password_hash = hash_password(password)
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


def change_password(user: User, current: str, new: str, min_length: int) -> None:
    """Set the user's own new password after checking the current one and the rules.

    Every session of the user ends (see User.set_password); the caller signs the user in
    again in the session that made the change.
    """
    if not user.check_password(current):
        raise PasswordChangeRefusedError(
            {"current_password": [_("Det nuvarande lösenordet stämmer inte.")]}
        )
    problems = password_problems(new, min_length, email=user.email, name=user.name)
    if not problems and user.check_password(new):
        problems = [_("Det nya lösenordet måste skilja sig från det nuvarande.")]
    if problems:
        raise PasswordChangeRefusedError({"new_password": problems})
    user.set_password(new)
    user.failed_login_count = 0
    user.locked_until = None
    db.session.flush()
