"""OCDS parties of a tender round: buyers, the procuring entity and the suppliers.

Organisations and suppliers are identified by organisation number under the org-id.guide
scheme SE-BLV (Bolagsverket); no address or contact point is published.
"""

from __future__ import annotations

from typing import Any

from kb.organisations.models import Organisation
from kb.suppliers.models import Supplier
from kb.tenders.models import Contract, TenderRound

ORG_ID_SCHEME = "SE-BLV"


def party_id(org_number: str | None, kind: str, entity_id: int) -> str:
    """SE-BLV-<digits> for an organisation number, else a local id."""
    if org_number:
        return f"{ORG_ID_SCHEME}-{org_number.replace('-', '')}"
    return f"kb-{kind}-{entity_id}"


def reference(party: Organisation | Supplier, kind: str) -> dict[str, str]:
    return {"id": party_id(party.org_number, kind, party.id), "name": party.name}


def _party(party: Organisation | Supplier, kind: str, roles: list[str]) -> dict:
    entry: dict[str, Any] = {**reference(party, kind), "roles": roles}
    if party.org_number:
        entry["identifier"] = {
            "scheme": ORG_ID_SCHEME,
            "id": party.org_number.replace("-", ""),
            "legalName": party.name,
        }
    return entry


def _buyers(tender_round: TenderRound) -> list[Organisation]:
    lead = tender_round.lead_organisation
    buyers = [o for o in tender_round.participants if o.id != lead.id]
    if not lead.is_intermediary or not buyers:
        buyers.insert(0, lead)
    return buyers


def parties(tender_round: TenderRound, contracts: list[Contract]) -> list[dict]:
    """Buyers, the lead as procuring entity, suppliers; roles merged where ids meet."""
    found: dict[str, dict] = {}

    def add(party: Organisation | Supplier, kind: str, role: str) -> None:
        entry = found.setdefault(
            party_id(party.org_number, kind, party.id), _party(party, kind, [])
        )
        if role not in entry["roles"]:
            entry["roles"].append(role)

    for buyer in _buyers(tender_round):
        add(buyer, "organisation", "buyer")
    add(tender_round.lead_organisation, "organisation", "procuringEntity")
    for contract in contracts:
        add(contract.supplier, "supplier", "supplier")
    return list(found.values())


def buyer_reference(tender_round: TenderRound) -> dict[str, str]:
    return reference(_buyers(tender_round)[0], "organisation")
