"""Personal API tokens: create, find and revoke. Services flush and never commit.

A token is "kb_" followed by 43 URL-safe characters from :func:`secrets.token_urlsafe`
(256 bits). Only its SHA-256 is stored, with the first characters as a prefix that tells a
user's tokens apart. The token itself is returned once, by :func:`create_token`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select

from kb.api.models import ApiToken
from kb.auth.models import User
from kb.extensions import db

TOKEN_PREFIX = "kb_"
SHOWN_PREFIX_LENGTH = 10
MAX_TOKEN_LENGTH = 200
READ, WRITE = "read", "write"
SCOPES = {READ: (READ,), WRITE: (READ, WRITE)}
MAX_EXPIRY_DAYS = 3650
TOUCH_INTERVAL = timedelta(minutes=5)


class TokenRefusal(StrEnum):
    """Why a presented token does not sign anyone in; the value is the API's error code."""

    MISSING = "token_missing"
    INVALID = "token_invalid"
    EXPIRED = "token_expired"
    REVOKED = "token_revoked"
    INACTIVE_USER = "user_inactive"


class TokenInvalid(ValueError):  # noqa: N818 (a validation outcome, not a crash)
    """The token's settings break a rule; ``errors`` maps field names to Swedish messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(
    user: User, name: str, scope: str, expires_in_days: int | None, now: datetime
) -> CreatedToken:
    """Create a token for the user; scope is "read" or "write" (which includes read)."""
    name = name.strip()
    if not name or len(name) > 100 or scope not in SCOPES:
        raise ValueError("name must be 1–100 characters and scope read or write")
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        raise ValueError("expiry must be 1–3650 days")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(secret),
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        scopes=" ".join(SCOPES[scope]),
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    db.session.add(token)
    db.session.flush()
    return CreatedToken(token, secret)


def revoke_token(token: ApiToken, now: datetime) -> None:
    if token.revoked_at is None:
        token.revoked_at = now
        db.session.flush()


def tokens_of_user(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def token_of_user(user: User, token_id: int) -> ApiToken | None:
    return db.session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )


def is_usable(token: ApiToken, now: datetime) -> bool:
    return token.revoked_at is None and (token.expires_at is None or token.expires_at > now)


def authenticate(secret: str | None, now: datetime) -> ApiToken | TokenRefusal:
    """The active token for the presented secret, or why it signs no one in."""
    if not secret:
        return TokenRefusal.MISSING
    if len(secret) > MAX_TOKEN_LENGTH or not secret.startswith(TOKEN_PREFIX):
        return TokenRefusal.INVALID
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None:
        return TokenRefusal.INVALID
    if token.revoked_at is not None:
        return TokenRefusal.REVOKED
    if token.expires_at is not None and token.expires_at <= now:
        return TokenRefusal.EXPIRED
    if not token.user.active:
        return TokenRefusal.INACTIVE_USER
    return token


def touch(token: ApiToken, now: datetime) -> bool:
    """Note when the token was last used, at most every few minutes; True when changed."""
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_INTERVAL:
        return False
    token.last_used_at = now
    db.session.flush()
    return True


def has_scope(token: ApiToken, scope: str) -> bool:
    return scope in token.scopes.split()
