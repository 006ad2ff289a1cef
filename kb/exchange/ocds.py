"""OCDS 1.1 release packages: one release per tender round (issue 8, part 3).

The mapping from the domain model to OCDS is written out in docs/ocds-extension/README.md.
Only public-procurement data goes into the core fields: organisations and suppliers with
their organisation numbers, the tender, awards, contracts and follow-up milestones. Findings,
requirement changes and experience aggregates go into the local extension ("kunskapsbanken",
built in kb.exchange.ocds_extension). No user, e-mail, address or experience text is ever
read into a package, so the package is the same whoever asks for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask_babel import force_locale
from sqlalchemy import or_, select

from kb.database import utcnow
from kb.exchange.ocds_extension import contract_extension, milestone_extension, round_extension
from kb.exchange.ocds_parties import buyer_reference, parties, reference
from kb.extensions import db
from kb.followups.models import FollowUp, FollowUpResult
from kb.tenders.models import (
    Contract,
    ContractStatus,
    ProcurementForm,
    TenderRound,
    TenderRoundStatus,
)

OCDS_VERSION = "1.1"
DEFAULT_OCID_PREFIX = "ocds-test01-kb"  # fictional: a real publisher registers its own
DEFAULT_PUBLISHER = "Kunskapsbanken"
LOTS_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/"
    "ocds_lots_extension/v1.1.5/extension.json"
)
EXTENSION_PATH = "/api/v1/ocds/extension/extension.json"
STOCKHOLM = ZoneInfo("Europe/Stockholm")

TENDER_STATUS = {
    TenderRoundStatus.PLANNING: "planning",
    TenderRoundStatus.DRAFT: "planned",
    TenderRoundStatus.PUBLISHED: "active",
    TenderRoundStatus.EVALUATION: "active",
    TenderRoundStatus.AWARDED: "complete",
    TenderRoundStatus.ACTIVE: "complete",
    TenderRoundStatus.ENDED: "complete",
}
PROCUREMENT_METHOD = {
    ProcurementForm.LOU_FRAMEWORK: "open",
    ProcurementForm.LOV: "open",
    ProcurementForm.DIRECT_AWARD: "direct",
    ProcurementForm.DIS: "selective",
    ProcurementForm.IOP: "limited",
}
CONTRACT_STATUS = {
    ContractStatus.ACTIVE: "active",
    ContractStatus.PAUSED: "active",  # still in force; the local status says "uteslutet"
    ContractStatus.TERMINATED: "terminated",
    ContractStatus.RESCINDED: "terminated",
    ContractStatus.ENDED: "terminated",
}
MILESTONE_STATUS = {
    FollowUpResult.NO_REMARKS: "met",
    FollowUpResult.REMARKS: "partiallyMet",
    FollowUpResult.SERIOUS: "notMet",
}
PLANNING_STATUSES = {TenderRoundStatus.PLANNING, TenderRoundStatus.DRAFT}


@dataclass(frozen=True)
class PackageSettings:
    ocid_prefix: str
    publisher: dict[str, str]
    base_url: str  # where the API is served, without a trailing slash

    @property
    def extensions(self) -> list[str]:
        return [self.base_url + EXTENSION_PATH, LOTS_EXTENSION]

    def ocid(self, round_id: int) -> str:
        return f"{self.ocid_prefix}-{round_id}"

    def round_uri(self, round_id: int) -> str:
        return f"{self.base_url}/api/v1/ocds/tender-rounds/{round_id}"


def settings_for(app: Flask, base_url: str | None = None) -> PackageSettings:
    """Read the OCDS settings from the app's configuration."""
    publisher = {"name": app.config.get("OCDS_PUBLISHER_NAME", DEFAULT_PUBLISHER)}
    if app.config.get("OCDS_PUBLISHER_URI"):
        publisher["uri"] = app.config["OCDS_PUBLISHER_URI"]
    base = base_url or app.config.get("OCDS_BASE_URL") or "http://127.0.0.1:5000"
    return PackageSettings(
        ocid_prefix=app.config.get("OCDS_OCID_PREFIX", DEFAULT_OCID_PREFIX),
        publisher=publisher,
        base_url=base.rstrip("/"),
    )


def ocds_datetime(value: date | datetime | None) -> str | None:
    """A date as midnight in Stockholm; a stored (naive UTC) time as UTC; both RFC 3339."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    return datetime(value.year, value.month, value.day, tzinfo=STOCKHOLM).isoformat()


def release_package(rounds: Iterable[TenderRound], settings: PackageSettings, uri: str) -> dict:
    """A release package with one release per round."""
    with force_locale("sv"):
        releases = [release_for(tender_round, settings) for tender_round in rounds]
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "extensions": settings.extensions,
        "publishedDate": ocds_datetime(utcnow()),
        "publisher": settings.publisher,
        "releases": releases,
    }


def release_for(tender_round: TenderRound, settings: PackageSettings) -> dict:
    """The OCDS release describing one tender round as it stands now."""
    contracts = sorted(tender_round.contracts, key=lambda c: c.id)
    followups = _followups(tender_round, contracts)
    changed = max(
        [
            tender_round.updated_at,
            *(c.updated_at for c in contracts),
            *(f.updated_at for group in followups.values() for f in group),
        ]
    )
    release: dict[str, Any] = {
        "ocid": settings.ocid(tender_round.id),
        "id": f"{tender_round.id}-{changed:%Y%m%dT%H%M%S}",
        "date": ocds_datetime(changed),
        "tag": _tags(tender_round, contracts, followups),
        "initiationType": "tender",
        "language": "sv",
        "parties": parties(tender_round, contracts),
        "buyer": buyer_reference(tender_round),
        "tender": _tender(tender_round, contracts, followups.get(None, [])),
    }
    if contracts:
        release["awards"] = [_award(tender_round, c) for c in contracts]
        release["contracts"] = [_contract(tender_round, c, followups) for c in contracts]
    if tender_round.predecessor is not None:
        release["relatedProcesses"] = [_prior(tender_round.predecessor, settings)]
    release["kunskapsbanken"] = round_extension(tender_round, contracts)
    return release


def _period(tender_round: TenderRound) -> dict[str, str]:
    period = {
        "startDate": ocds_datetime(tender_round.contract_start),
        "endDate": ocds_datetime(tender_round.contract_end),
        "maxExtentDate": ocds_datetime(tender_round.extension_until),
    }
    return {key: value for key, value in period.items() if value}


def _lots(contracts: list[Contract]) -> list[str]:
    return sorted({c.lot for c in contracts if c.lot})


def _items(tender_round: TenderRound, lots: list[str]) -> list[dict]:
    area = tender_round.agreement_area
    classifications = [{"scheme": "CPV", "id": code} for code in area.cpv_codes]
    items = []
    for number, lot in enumerate(lots or [None], start=1):
        item: dict[str, Any] = {"id": str(number), "description": area.name}
        if classifications:
            item["classification"] = classifications[0]
        if classifications[1:]:
            item["additionalClassifications"] = classifications[1:]
        if lot:
            item["relatedLot"] = lot
        items.append(item)
    return items


def _tender(tender_round: TenderRound, contracts: list[Contract], followups: list) -> dict:
    lots = _lots(contracts)
    tender: dict[str, Any] = {
        "id": tender_round.reference,
        "title": tender_round.title,
        "status": TENDER_STATUS[tender_round.status],
        "procuringEntity": reference(tender_round.lead_organisation, "organisation"),
        "items": _items(tender_round, lots),
        "procurementMethod": PROCUREMENT_METHOD[tender_round.procurement_form],
        "procurementMethodDetails": str(tender_round.procurement_form.label),
        "mainProcurementCategory": "services",
    }
    if tender_round.published_on:
        tender["tenderPeriod"] = {"startDate": ocds_datetime(tender_round.published_on)}
    if period := _period(tender_round):
        tender["contractPeriod"] = period
    if lots:
        tender["lots"] = [{"id": lot, "title": lot} for lot in lots]
    if followups:
        tender["milestones"] = [_milestone(f) for f in followups]
    return tender


def _award(tender_round: TenderRound, contract: Contract) -> dict:
    award: dict[str, Any] = {
        "id": f"award-{contract.id}",
        "status": "active",
        "suppliers": [reference(contract.supplier, "supplier")],
    }
    if period := _period(tender_round):
        award["contractPeriod"] = period
    if contract.lot:
        award["relatedLots"] = [contract.lot]
    return award


def _contract(tender_round: TenderRound, contract: Contract, followups: dict) -> dict:
    entry: dict[str, Any] = {
        "id": f"contract-{contract.id}",
        "awardID": f"award-{contract.id}",
        "status": CONTRACT_STATUS[contract.status],
    }
    if period := _period(tender_round):
        entry["period"] = period
    if milestones := followups.get(contract.id):
        entry["implementation"] = {"milestones": [_milestone(f) for f in milestones]}
    entry["kunskapsbanken"] = contract_extension(contract)
    return entry


def _milestone(followup: FollowUp) -> dict:
    status = MILESTONE_STATUS.get(followup.result) if followup.result else "scheduled"
    milestone: dict[str, Any] = {
        "id": f"followup-{followup.id}",
        "title": followup.title,
        "type": "assessment",
        "code": followup.kind.value,
        "status": status,
        "dateModified": ocds_datetime(followup.updated_at),
    }
    if followup.period_end:
        milestone["dueDate"] = ocds_datetime(followup.period_end)
        if status == "met":
            milestone["dateMet"] = milestone["dueDate"]
    milestone["kunskapsbanken"] = milestone_extension(followup)
    return milestone


def _followups(tender_round: TenderRound, contracts: list[Contract]) -> dict[int | None, list]:
    """The round's follow-ups by contract id; None holds those of the whole round."""
    contract_ids = [c.id for c in contracts]
    rows = db.session.scalars(
        select(FollowUp)
        .where(
            or_(FollowUp.tender_round_id == tender_round.id, FollowUp.contract_id.in_(contract_ids))
        )
        .order_by(FollowUp.id)
    )
    grouped: dict[int | None, list] = {}
    for followup in rows:
        key = followup.contract_id if followup.contract_id in contract_ids else None
        grouped.setdefault(key, []).append(followup)
    return grouped


def _tags(tender_round: TenderRound, contracts: list[Contract], followups: dict) -> list[str]:
    if tender_round.status in PLANNING_STATUSES:
        return ["planning"]
    tags = ["tender"]
    if contracts:
        tags += ["award", "contract"]
    if any(key is not None for key in followups):
        tags.append("implementation")
    return tags


def _prior(predecessor: TenderRound, settings: PackageSettings) -> dict:
    return {
        "id": "1",
        "relationship": ["prior"],
        "title": predecessor.title,
        "scheme": "ocid",
        "identifier": settings.ocid(predecessor.id),
        "uri": settings.round_uri(predecessor.id),
    }
