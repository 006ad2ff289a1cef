"""Personal API tokens: only a hash is stored; the token itself is shown once, at creation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.auth.models import User
from kb.database import Audited, Base, utcnow


class ApiToken(Audited, Base):
    __tablename__ = "api_tokens"
    __audit_exclude__ = ("created_at", "last_used_at")
    __audit_redact__ = ("token_hash",)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256, hex
    prefix: Mapped[str] = mapped_column(String(12))  # the token's start, to tell tokens apart
    scopes: Mapped[str] = mapped_column(String(100), default="read")  # space-separated
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()
