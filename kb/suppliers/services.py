"""What the supplier and unit pages show, limited to what the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from kb.auth.models import User
from kb.experiences.models import Experience
from kb.experiences.visibility import (
    counted_for,
    curated_organisation_ids,
    network_organisation_ids,
    readable_by,
)
from kb.extensions import db
from kb.followups.models import Deviation, FollowUp, SupplierCheck
from kb.suppliers.models import Unit
from kb.suppliers.scorecard import Scorecard, load_facts, scorecards
from kb.tenders.models import Contract, ContractStatusChange

RECENT_LIMIT = 10


@dataclass(frozen=True)
class KnowledgeView:
    """The experience-based part of a supplier or unit page."""

    scorecards: dict[str, list[Scorecard]]
    recent: list[Experience]
    open_deviations: list[Deviation]
    followups: list[FollowUp]
    checks: list[SupplierCheck]


def knowledge_for(
    viewer: User, unit_ids: list[int], supplier_id: int, min_size: int
) -> KnowledgeView:
    in_units = Experience.unit_id.in_(unit_ids)
    facts = load_facts(and_(counted_for(viewer), in_units))
    readable_orgs = {viewer.organisation_id, *curated_organisation_ids(viewer)}
    recent = db.session.scalars(
        select(Experience)
        .where(readable_by(viewer), in_units)
        .options(selectinload(Experience.unit), selectinload(Experience.agreement_area))
        .order_by(Experience.submitted_at.desc().nulls_last(), Experience.id.desc())
        .limit(RECENT_LIMIT)
    ).all()
    return KnowledgeView(
        scorecards=scorecards(facts, readable_orgs, min_size, _("Totalt"), _("Utanför avtal")),
        recent=list(recent),
        open_deviations=_open_deviations(viewer, unit_ids, supplier_id),
        followups=_followups(viewer, unit_ids, supplier_id),
        checks=_latest_checks(viewer, supplier_id, unit_ids),
    )


def _supplier_contract_ids(supplier_id: int) -> select:
    return select(Contract.id).where(Contract.supplier_id == supplier_id)


def _open_deviations(viewer: User, unit_ids: list[int], supplier_id: int) -> list[Deviation]:
    statement = (
        select(Deviation)
        .where(
            Deviation.organisation_id.in_(network_organisation_ids(viewer)),
            Deviation.resolved.is_(False),
            or_(
                Deviation.unit_id.in_(unit_ids),
                Deviation.contract_id.in_(_supplier_contract_ids(supplier_id)),
            ),
        )
        .options(selectinload(Deviation.unit))
        .order_by(Deviation.occurred_on.desc())
    )
    return list(db.session.scalars(statement))


def _followups(viewer: User, unit_ids: list[int], supplier_id: int) -> list[FollowUp]:
    statement = (
        select(FollowUp)
        .where(
            FollowUp.organisation_id.in_(network_organisation_ids(viewer)),
            or_(
                FollowUp.supplier_id == supplier_id,
                FollowUp.unit_id.in_(unit_ids),
                FollowUp.contract_id.in_(_supplier_contract_ids(supplier_id)),
            ),
        )
        .order_by(FollowUp.period_end.desc().nulls_last(), FollowUp.id.desc())
        .limit(RECENT_LIMIT)
    )
    return list(db.session.scalars(statement))


def _latest_checks(viewer: User, supplier_id: int, unit_ids: list[int]) -> list[SupplierCheck]:
    """The most recent check of each kind (and unit), from the viewer's network."""
    checks = db.session.scalars(
        select(SupplierCheck)
        .where(
            SupplierCheck.supplier_id == supplier_id,
            SupplierCheck.organisation_id.in_(network_organisation_ids(viewer)),
            or_(SupplierCheck.unit_id.is_(None), SupplierCheck.unit_id.in_(unit_ids)),
        )
        .options(selectinload(SupplierCheck.unit))
        .order_by(SupplierCheck.checked_on.desc())
    ).all()
    latest: dict[tuple, SupplierCheck] = {}
    for check in checks:
        latest.setdefault((check.kind, check.unit_id), check)
    return list(latest.values())


def supplier_contracts(supplier_id: int, unit_id: int | None = None) -> list[Contract]:
    statement = (
        select(Contract)
        .where(Contract.supplier_id == supplier_id)
        .options(
            selectinload(Contract.tender_round),
            selectinload(Contract.units),
            selectinload(Contract.status_changes).selectinload(ContractStatusChange.changed_by),
        )
    )
    if unit_id is not None:
        statement = statement.where(Contract.units.any(Unit.id == unit_id))
    contracts = list(db.session.scalars(statement))
    return sorted(
        contracts,
        key=lambda c: c.tender_round.contract_start or c.tender_round.created_at.date(),
        reverse=True,
    )
