"""Rules an experience must meet: always for links and values, and for submitting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import selectinload

from kb.catalogue.filters import MAX_ID
from kb.experiences.models import (
    AgeBand,
    EndReason,
    LegalBasis,
    OffContractReason,
    PlacementKind,
    WouldPlaceAgain,
)
from kb.experiences.periods import YearMonth
from kb.extensions import db
from kb.followups.scopes import followable_contracts, followable_rounds
from kb.organisations.models import Organisation
from kb.privacy.guard import check_text
from kb.suppliers.models import AgreementArea, Unit
from kb.tenders.models import Contract, TenderRound
from kb.themes import Theme

MAX_NARRATIVE_LENGTH = 20_000
MAX_KEY_LENGTH = 36  # experiences.submission_key; the form sends a UUID
NARRATIVE_FIELDS = ("worked_md", "not_worked_md", "advice_md")


@dataclass
class ExperienceInput:
    """Everything a caseworker enters, as plain values (None = not answered)."""

    unit_id: int | None = None
    agreement_area_id: int | None = None
    contract_id: int | None = None
    off_contract: bool = False
    off_contract_reason: OffContractReason | None = None
    placement_kind: PlacementKind | None = None
    legal_basis: LegalBasis | None = None
    age_band: AgeBand | None = None
    start: YearMonth | None = None
    end: YearMonth | None = None
    end_reason: EndReason | None = None
    goal_attainment: int | None = None
    daily_price: Decimal | None = None
    extra_cost_claims: bool = False
    invoicing_problems: bool = False
    would_place_again: WouldPlaceAgain | None = None
    ratings: dict[Theme, int | None] = field(default_factory=dict)
    worked_md: str = ""
    not_worked_md: str = ""
    advice_md: str = ""
    submission_key: str | None = None


class ExperienceInvalid(ValueError):  # noqa: N818 (a validation outcome, not a crash)
    """The input breaks a rule; ``errors`` maps field names to Swedish messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def usable_units() -> list[Unit]:
    """Units a caseworker may log an experience for: every unit in the register."""
    statement = select(Unit).options(selectinload(Unit.supplier)).join(Unit.supplier)
    return list(db.session.scalars(statement.order_by(Unit.name)))


def valid_contracts(
    unit_id: int | None,
    area_id: int | None,
    start: YearMonth | None,
    end: YearMonth | None,
    organisation: Organisation | None = None,
) -> list[Contract]:
    """Contracts covering the unit in the area at some time during the placement; with an
    organisation, only those on the frameworks it uses (kb.followups.scopes)."""
    if not unit_id or not area_id:
        return []
    statement = (
        select(Contract)
        .join(Contract.tender_round)
        .where(Contract.units.any(Unit.id == unit_id), TenderRound.agreement_area_id == area_id)
        .options(selectinload(Contract.tender_round), selectinload(Contract.supplier))
        .order_by(TenderRound.contract_start.desc())
    )
    if organisation is not None:
        statement = statement.where(Contract.tender_round_id.in_(followable_rounds(organisation)))
    if start is not None:
        last = (end or start).last_day
        statement = statement.where(
            or_(TenderRound.contract_start.is_(None), TenderRound.contract_start <= last),
            or_(
                TenderRound.contract_end.is_(None),
                TenderRound.contract_end >= start.first_day,
                TenderRound.extension_until >= start.first_day,
            ),
        )
    return list(db.session.scalars(statement))


def is_foreign_contract(organisation: Organisation, contract_id: int | None) -> bool:
    """Is this another network's contract, on a framework the organisation has no part in?
    The form never offers one, so it was typed into the request. (A contract that does not
    exist at all is an ordinary validation error.)"""
    if contract_id is None or not 0 < contract_id <= MAX_ID:
        return False
    usable = followable_contracts(organisation).where(Contract.id == contract_id)
    found = exists().where(Contract.id == contract_id)
    return bool(db.session.scalar(select(found))) and not db.session.scalar(select(exists(usable)))


def _check_links(
    data: ExperienceInput, errors: dict[str, list[str]], organisation: Organisation | None
) -> None:
    unit = db.session.get(Unit, data.unit_id) if data.unit_id else None
    if data.unit_id and unit is None:
        errors.setdefault("unit_id", []).append(_("Välj en verksamhet i listan."))
    area = db.session.get(AgreementArea, data.agreement_area_id) if data.agreement_area_id else None
    if data.agreement_area_id and area is None:
        errors.setdefault("agreement_area_id", []).append(_("Välj ett avtalsområde i listan."))
    if unit is not None and area is not None and area not in unit.agreement_areas:
        errors.setdefault("agreement_area_id", []).append(
            _("%(unit)s finns inte inom det avtalsområdet.", unit=unit.name)
        )
    if data.contract_id:
        allowed = {
            c.id
            for c in valid_contracts(
                data.unit_id, data.agreement_area_id, data.start, data.end, organisation
            )
        }
        if data.contract_id not in allowed:
            errors.setdefault("contract_id", []).append(
                _(
                    "Avtalet gäller inte den valda verksamheten, området och perioden. "
                    "Välj ett avtal i listan."
                )
            )


def _check_period(data: ExperienceInput, errors: dict[str, list[str]]) -> None:
    if data.end is not None and data.start is not None and data.end < data.start:
        errors.setdefault("end", []).append(_("Slutmånaden kan inte vara före startmånaden."))
    if data.end is not None and data.end_reason == EndReason.ONGOING:
        errors.setdefault("end", []).append(
            _("En pågående placering har inget slut. Töm slutmånaden.")
        )
    if data.start is not None and data.start.first_day > date.today():
        errors.setdefault("start", []).append(_("Startmånaden kan inte ligga i framtiden."))


def _check_values(data: ExperienceInput, errors: dict[str, list[str]]) -> None:
    for theme, rating in data.ratings.items():
        if rating is not None and not 1 <= rating <= 5:
            errors.setdefault(f"rating_{theme.value}", []).append(
                _("Betyget ska vara 1–5 eller ej aktuellt.")
            )
    if data.goal_attainment is not None and not 1 <= data.goal_attainment <= 4:
        errors.setdefault("goal_attainment", []).append(_("Måluppfyllelsen ska vara 1–4."))
    if data.daily_price is not None and not Decimal(0) <= data.daily_price <= Decimal(1_000_000):
        errors.setdefault("daily_price", []).append(
            _("Ange ett dygnspris mellan 0 och 1 000 000 kronor.")
        )
    if data.off_contract and data.contract_id:
        errors.setdefault("contract_id", []).append(
            _("Välj antingen ett avtal eller utanför avtal.")
        )
    if data.off_contract and data.off_contract_reason is None:
        errors.setdefault("off_contract_reason", []).append(
            _("Ange varför placeringen gjordes utanför avtal.")
        )
    _check_key(data.submission_key or "", errors)
    for name in NARRATIVE_FIELDS:
        if len(getattr(data, name)) > MAX_NARRATIVE_LENGTH:
            errors.setdefault(name, []).append(
                _(
                    "Texten är för lång: högst %(n)s tecken.",
                    n=f"{MAX_NARRATIVE_LENGTH:,}".replace(",", " "),
                )
            )


def _check_key(key: str, errors: dict[str, list[str]]) -> None:
    """The key is stored with the experience: short, and never an identity number."""
    if len(key) > MAX_KEY_LENGTH or "\x00" in key:
        errors.setdefault("submission_key", []).append(
            _("Formulärets nyckel är ogiltig. Ladda om sidan och försök igen.")
        )
    for issue in check_text(key, "submission_key", _("Nyckel")).errors:
        errors.setdefault("submission_key", []).append(issue.message())


def _check_complete(data: ExperienceInput, errors: dict[str, list[str]]) -> None:
    """What the learning loop needs before an experience may be submitted."""
    required = {
        "unit_id": (data.unit_id, lambda: _("Välj verksamhet.")),
        "agreement_area_id": (data.agreement_area_id, lambda: _("Välj avtalsområde.")),
        "placement_kind": (data.placement_kind, lambda: _("Välj typ av placering.")),
        "legal_basis": (data.legal_basis, lambda: _("Välj lagrum.")),
        "age_band": (data.age_band, lambda: _("Välj åldersgrupp.")),
        "start": (data.start, lambda: _("Ange startmånad.")),
        "end_reason": (
            data.end_reason,
            lambda: _("Ange hur placeringen slutade, eller att den pågår."),
        ),
        "would_place_again": (
            data.would_place_again,
            lambda: _("Svara på om ni skulle placera här igen."),
        ),
    }
    for name, (value, message) in required.items():
        if value is None:
            errors.setdefault(name, []).append(message())
    if not data.off_contract and not data.contract_id:
        errors.setdefault("contract_id", []).append(_("Välj avtal, eller utanför avtal med skäl."))
    if data.end is None and data.end_reason not in (None, EndReason.ONGOING):
        errors.setdefault("end", []).append(_("Ange slutmånad, eller välj att placeringen pågår."))
    for theme in Theme:
        if theme not in data.ratings:
            errors.setdefault(f"rating_{theme.value}", []).append(
                _("Sätt ett betyg eller ej aktuellt.")
            )
    if not any(getattr(data, name).strip() for name in NARRATIVE_FIELDS):
        errors.setdefault("worked_md", []).append(_("Skriv något om hur placeringen gick."))


def validate(
    data: ExperienceInput, submit: bool, organisation: Organisation | None = None
) -> dict[str, list[str]]:
    """Every rule; with the author's organisation, a contract must be on its frameworks."""
    errors = validate_without_links(data, submit)
    _check_links(data, errors, organisation)
    return errors


def validate_without_links(data: ExperienceInput, submit: bool) -> dict[str, list[str]]:
    """Check every rule that needs no database; an import checks the links in bulk."""
    errors: dict[str, list[str]] = {}
    _check_values(data, errors)
    _check_period(data, errors)
    if submit:
        _check_complete(data, errors)
    return errors
