"""What an organisation may follow up: the tender rounds it procured in, and what hangs on them.

An organisation follows up the frameworks it uses. A municipality may act on every tender
round it led or took part in, and on every round its intermediary led (the intermediary
procures on its members' behalf); an intermediary, on every round that it or one of its
members led or took part in. From those rounds follow the contracts, the units and suppliers
on those contracts, and the agreement areas of the rounds. Follow-ups, deviations, supplier
checks and contract status changes all ask here, so the rule lives in one place.

Everyone signed in to the same network may *read* follow-ups, deviations and checks: they
are knowledge about suppliers, not about people (DESIGN §5). Only coordinators and curators
write them (DESIGN §2).
"""

from __future__ import annotations

from typing import TypeVar

from flask import abort
from sqlalchemy import Select, exists, or_, select

from kb.auth.models import Role, User
from kb.catalogue.filters import MAX_ID
from kb.experiences.visibility import network_organisation_ids
from kb.extensions import db
from kb.organisations.models import Organisation
from kb.tenders.models import Contract, TenderRound, contract_units, tender_round_participants

FOLLOW_UP_ROLES = (Role.COORDINATOR, Role.CURATOR)
Record = TypeVar("Record")


def acting_organisation_ids(organisation: Organisation) -> list[int]:
    """The organisations whose rounds this organisation may act on."""
    if not organisation.is_intermediary:
        return [organisation.id]
    members = db.session.scalars(
        select(Organisation.id).where(Organisation.member_of_id == organisation.id)
    ).all()
    return [organisation.id, *members]


def followable_rounds(organisation: Organisation) -> Select:
    """SELECT of the ids of the tender rounds the organisation may follow up."""
    organisations = acting_organisation_ids(organisation)
    leads = list(organisations)
    if organisation.member_of_id is not None:
        leads.append(organisation.member_of_id)
    participating = select(tender_round_participants.c.tender_round_id).where(
        tender_round_participants.c.organisation_id.in_(organisations)
    )
    return select(TenderRound.id).where(
        or_(
            TenderRound.lead_organisation_id.in_(leads),
            TenderRound.id.in_(participating),
        )
    )


def followable_contracts(organisation: Organisation) -> Select:
    return select(Contract.id).where(Contract.tender_round_id.in_(followable_rounds(organisation)))


def followable_units(organisation: Organisation) -> Select:
    return select(contract_units.c.unit_id).where(
        contract_units.c.contract_id.in_(followable_contracts(organisation))
    )


def followable_suppliers(organisation: Organisation) -> Select:
    return select(Contract.supplier_id).where(
        Contract.tender_round_id.in_(followable_rounds(organisation))
    )


def followable_areas(organisation: Organisation) -> Select:
    return select(TenderRound.agreement_area_id).where(
        TenderRound.id.in_(followable_rounds(organisation))
    )


SCOPE_QUERIES = {
    "tender_round": followable_rounds,
    "contract": followable_contracts,
    "unit": followable_units,
    "supplier": followable_suppliers,
    "agreement_area": followable_areas,
}


def may_follow_up(organisation: Organisation, scope: str, object_id: int | None) -> bool:
    """May the organisation record follow-ups, deviations or checks on this object?

    scope is one of SCOPE_QUERIES: tender_round, contract, unit, supplier, agreement_area."""
    if not object_id or scope not in SCOPE_QUERIES:
        return False
    allowed = SCOPE_QUERIES[scope](organisation).subquery()
    column = next(iter(allowed.c))
    return bool(db.session.scalar(select(exists().where(column == object_id))))


def may_write(user: User) -> bool:
    """Coordinators and curators record follow-ups, deviations, checks and contract status."""
    return user.is_authenticated and user.has_role(*FOLLOW_UP_ROLES)


def readable_in_network(user: User, record: object) -> bool:
    """May the user read this follow-up, deviation or check? Its network may."""
    return record.organisation_id in network_organisation_ids(user)  # type: ignore[attr-defined]


def readable_or_404(user: User, model: type[Record], record_id: int) -> Record:
    """The follow-up, deviation or check, or 404 when it is missing or outside the network."""
    record = db.session.get(model, record_id) if record_id <= MAX_ID else None
    if record is None or not readable_in_network(user, record):
        abort(404)
    return record
