from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from kb.database import Base, utcnow


class FormSubmission(Base):
    """A creating form's one-time key, saved in the transaction that creates the object.

    A repeated submission with the same key finds this row and is sent to what the first
    one created instead of creating it again.
    """

    __tablename__ = "form_submissions"

    key: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    endpoint: Mapped[str] = mapped_column(String(100))
    result_url: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
