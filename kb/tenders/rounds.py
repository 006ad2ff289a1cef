"""Planning the next tender round of an agreement area, from its predecessor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from kb.auth.models import User
from kb.extensions import db
from kb.followups.scopes import followable_rounds
from kb.privacy.guard import check_fields
from kb.suppliers.models import AgreementArea
from kb.tenders.models import ProcurementForm, TenderRound, TenderRoundStatus

MAX_REFERENCE_LENGTH = 50
MAX_TITLE_LENGTH = 300


class RoundInvalid(ValueError):  # noqa: N818
    """The round breaks a rule; errors maps a form field name to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class NextRoundInput:
    area_id: int | None = None
    predecessor_id: int | None = None
    reference: str = ""
    title: str = ""
    procurement_form: str | None = None
    published_on: date | None = None
    contract_start: date | None = None
    contract_end: date | None = None


def open_ends(area_id: int) -> list[TenderRound]:
    """The area's rounds that no later round follows yet: the possible predecessors."""
    return list(
        db.session.scalars(
            select(TenderRound)
            .where(TenderRound.agreement_area_id == area_id, ~TenderRound.successor.has())
            .order_by(TenderRound.contract_start.desc().nulls_last(), TenderRound.id.desc())
        )
    )


def _errors(data: NextRoundInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    reference = data.reference.strip()
    if not reference:
        errors["reference"] = [_("Ange omgångens diarienummer.")]
    elif len(reference) > MAX_REFERENCE_LENGTH:
        errors["reference"] = [_("Högst %(n)d tecken.", n=MAX_REFERENCE_LENGTH)]
    elif db.session.scalar(
        select(func.count()).where(func.lower(TenderRound.reference) == reference.lower())
    ):
        errors["reference"] = [_("Diarienumret %(ref)s används redan.", ref=reference)]
    if not data.title.strip():
        errors["title"] = [_("Ge omgången en rubrik.")]
    elif len(data.title) > MAX_TITLE_LENGTH:
        errors["title"] = [_("Högst %(n)d tecken.", n=MAX_TITLE_LENGTH)]
    if data.procurement_form not in {form.value for form in ProcurementForm}:
        errors["procurement_form"] = [_("Välj upphandlingsform.")]
    if data.contract_start and data.contract_end and data.contract_end < data.contract_start:
        errors["contract_end"] = [_("Avtalet kan inte sluta innan det börjar.")]
    labels = {"reference": _("Diarienummer"), "title": _("Rubrik")}
    texts = {name: (label, getattr(data, name)) for name, label in labels.items()}
    for issue in check_fields(texts).errors:
        errors.setdefault(issue.field, []).append(issue.message())
    return errors


def _took_part(user: User, tender_round: TenderRound) -> bool:
    usable = followable_rounds(user.organisation).where(TenderRound.id == tender_round.id)
    return db.session.scalar(usable) is not None


def _predecessor(
    user: User, data: NextRoundInput, area: AgreementArea, errors: dict
) -> TenderRound | None:
    """The round to build on: in the same area, and one the user's organisation took part in
    (another network's rounds, their requirements and participants are not the user's)."""
    if not data.predecessor_id:
        return None
    predecessor = db.session.get(TenderRound, data.predecessor_id)
    if (
        predecessor is None
        or predecessor.agreement_area_id != area.id
        or not _took_part(user, predecessor)
    ):
        errors["predecessor_id"] = [_("Välj en tidigare omgång inom samma avtalsområde.")]
    elif predecessor.successor is not None:
        errors["predecessor_id"] = [
            _(
                "Omgång %(ref)s följs redan av %(next)s. Välj den senaste omgången.",
                ref=predecessor.reference,
                next=predecessor.successor.reference,
            )
        ]
    return predecessor


def create_next_round(user: User, data: NextRoundInput) -> TenderRound:
    """Create a round in planning, led by the user's organisation; raise RoundInvalid."""
    errors = _errors(data)
    area = db.session.get(AgreementArea, data.area_id) if data.area_id else None
    if area is None:
        errors["area_id"] = [_("Välj avtalsområde.")]
        raise RoundInvalid(errors)
    predecessor = _predecessor(user, data, area, errors)
    if errors:
        raise RoundInvalid(errors)
    tender_round = TenderRound(
        reference=data.reference.strip(),
        title=data.title.strip(),
        agreement_area=area,
        procurement_form=ProcurementForm(data.procurement_form),
        lead_organisation_id=user.organisation_id,
        status=TenderRoundStatus.PLANNING,
        published_on=data.published_on,
        contract_start=data.contract_start,
        contract_end=data.contract_end,
    )
    db.session.add(tender_round)
    tender_round.participants = list(predecessor.participants) if predecessor else []
    tender_round.predecessor = predecessor
    db.session.flush()
    return tender_round
