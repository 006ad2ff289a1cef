from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy import inspect as inspect_state
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash

from kb.auth.passwords import hash_password
from kb.database import Audited, Base, LabelledEnum, TimestampMixin, enum_column, utcnow
from kb.organisations.models import Organisation


class Role(LabelledEnum):
    CASEWORKER = "caseworker", _l("Socialsekreterare / handläggare")
    COORDINATOR = "coordinator", _l("Placeringssamordnare / avtalsansvarig")
    CURATOR = "curator", _l("Kunskapsansvarig")
    PROCURER = "procurer", _l("Upphandlare")
    ADMIN = "admin", _l("Administratör")


class User(Audited, UserMixin, TimestampMixin, Base):
    __tablename__ = "users"
    __audit_exclude__ = (
        "created_at",
        "updated_at",
        "failed_login_count",
        "locked_until",
        "last_login_at",
        "session_version",
    )
    __audit_redact__ = ("password_hash",)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Part of the id kept in the session cookie: raising it signs the user out everywhere
    # (on a password change or deactivation).
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    organisation: Mapped[Organisation] = relationship(back_populates="users")
    role_links: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> set[Role]:
        return {link.role for link in self.role_links}

    def set_roles(self, roles: set[Role]) -> None:
        self.role_links = [link for link in self.role_links if link.role in roles]
        for role in sorted(roles - self.roles, key=lambda r: r.value):
            self.role_links.append(UserRole(role=role))

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def set_password(self, password: str) -> None:
        """Set a new password and sign the user out of every existing session."""
        self.password_hash = hash_password(password)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        """Make every session cookie issued so far stop working (a new user has none)."""
        if inspect_state(self).has_identity:
            self.session_version = (self.session_version or 1) + 1

    @validates("active")
    def _end_sessions_on_deactivation(self, _key: str, active: bool) -> bool:
        if self.active and not active:
            self.end_sessions()
        return active

    def get_id(self) -> str:
        """The id kept in the session: "<user id>:<session version>" (see kb.auth.access)."""
        return f"{self.id}:{self.session_version or 1}"

    @property
    def is_active(self) -> bool:
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email!r}>"


class UserRole(Audited, Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_links")


class LoginFailure(Base):
    """A failed sign-in from one address, for the per-address limit; old rows are pruned."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_ip_address_occurred_at", "ip_address", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ip_address: Mapped[str] = mapped_column(String(45))
    occurred_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
