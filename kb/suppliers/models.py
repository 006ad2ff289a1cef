from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.database import (
    Audited,
    Base,
    LabelledEnum,
    Searchable,
    TimestampMixin,
    association_table,
    enum_column,
)


class AreaCategory(LabelledEnum):
    IFO = "ifo", _l("IFO – individ- och familjeomsorg")
    FO = "fo", _l("FO – funktionshinderomsorg")
    AO = "ao", _l("ÄO – äldreomsorg")


class LegalForm(LabelledEnum):
    AKTIEBOLAG = "ab", _l("Aktiebolag")
    EKONOMISK_FORENING = "ek_for", _l("Ekonomisk förening")
    IDEELL_FORENING = "ideell", _l("Ideell förening")
    STIFTELSE = "stiftelse", _l("Stiftelse")
    HANDELSBOLAG = "hb", _l("Handelsbolag")
    ENSKILD_FIRMA = "ef", _l("Enskild näringsidkare")
    KOMMUNAL = "kommunal", _l("Kommunal verksamhet")


class PermitStatus(LabelledEnum):
    GRANTED = "beviljat", _l("Tillstånd beviljat")
    APPLIED = "ansokt", _l("Tillstånd sökt")
    NOT_REQUIRED = "ej_krav", _l("Tillstånd krävs ej")
    MISSING = "saknas", _l("Tillstånd saknas")
    REVOKED = "aterkallat", _l("Tillstånd återkallat")


unit_agreement_areas = association_table(
    "unit_agreement_areas", "unit_id", "units.id", "agreement_area_id", "agreement_areas.id"
)


class AgreementArea(Audited, TimestampMixin, Base):
    """Avtalsområde: a kind of care bought under its own agreements."""

    __tablename__ = "agreement_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    category: Mapped[AreaCategory] = mapped_column(enum_column(AreaCategory, "area_category"))
    cpv_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str | None] = mapped_column(Text)

    units: Mapped[list[Unit]] = relationship(
        secondary=unit_agreement_areas, back_populates="agreement_areas"
    )

    def __repr__(self) -> str:
        return f"<AgreementArea {self.id} {self.name!r}>"


class Supplier(Audited, Searchable, TimestampMixin, Base):
    """Leverantör: a legal entity with one or more units."""

    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    org_number: Mapped[str] = mapped_column(String(11), unique=True)
    legal_form: Mapped[LegalForm] = mapped_column(enum_column(LegalForm, "legal_form"))
    website_note: Mapped[str | None] = mapped_column(String(300))

    units: Mapped[list[Unit]] = relationship(
        back_populates="supplier", order_by="Unit.name", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Supplier {self.id} {self.name!r}>"


class Unit(Audited, Searchable, TimestampMixin, Base):
    """Verksamhet/boende: the place where a person is actually placed."""

    __tablename__ = "units"
    __table_args__ = (
        CheckConstraint(
            "age_min IS NULL OR age_max IS NULL OR age_min <= age_max", name="age_range"
        ),
        CheckConstraint("places IS NULL OR places >= 0", name="places_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(
        ForeignKey("suppliers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200), index=True)
    age_min: Mapped[int | None] = mapped_column(SmallInteger)
    age_max: Mapped[int | None] = mapped_column(SmallInteger)
    target_profile: Mapped[str | None] = mapped_column(Text)
    places: Mapped[int | None] = mapped_column(Integer)
    municipality: Mapped[str | None] = mapped_column(String(100))
    county: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(300))
    protected_address: Mapped[bool] = mapped_column(Boolean, default=False)
    permit_status: Mapped[PermitStatus] = mapped_column(
        enum_column(PermitStatus, "permit_status"), default=PermitStatus.GRANTED
    )
    permit_reference: Mapped[str | None] = mapped_column(String(50))
    last_ivo_inspection: Mapped[date | None] = mapped_column(Date)

    supplier: Mapped[Supplier] = relationship(back_populates="units")
    agreement_areas: Mapped[list[AgreementArea]] = relationship(
        secondary=unit_agreement_areas, back_populates="units", order_by="AgreementArea.name"
    )

    @property
    def display_address(self) -> str | None:
        """Return the address, or None for a protected-address unit: it is never shown."""
        return None if self.protected_address else self.address

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.name!r}>"
