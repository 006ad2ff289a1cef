from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.database import Audited, Base, LabelledEnum, TimestampMixin, enum_column

if TYPE_CHECKING:
    from kb.auth.models import User


class OrganisationKind(LabelledEnum):
    MUNICIPALITY = "kommun", _l("Kommun")
    INTERMEDIARY = "intermediar", _l("Intermediär")


class Organisation(Audited, TimestampMixin, Base):
    """A municipality or an intermediary that procures for its member municipalities."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(
        enum_column(OrganisationKind, "organisation_kind")
    )
    org_number: Mapped[str | None] = mapped_column(String(11), unique=True)
    member_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )

    member_of: Mapped[Organisation | None] = relationship(
        remote_side=[id], back_populates="members"
    )
    members: Mapped[list[Organisation]] = relationship(
        back_populates="member_of", order_by="Organisation.name"
    )
    users: Mapped[list[User]] = relationship(back_populates="organisation")

    @property
    def is_intermediary(self) -> bool:
        return self.kind == OrganisationKind.INTERMEDIARY

    @property
    def intermediary(self) -> Organisation | None:
        """Return the intermediary this organisation is, or belongs to."""
        return self if self.is_intermediary else self.member_of

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"
