"""A tender draft as a document: what the page, the DOCX and the Markdown export all show.

Built once from the database (kb.tender_drafts.assemble) so the exports never query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class DocumentRequirement:
    """One numbered requirement in a section, e.g. number "3.2"."""

    number: str
    code: str
    version: int
    title: str
    text_md: str
    kind: str  # label, e.g. "Skall-krav"
    level: str  # label, e.g. "Bas"
    weight: Decimal | None
    followup_method: str
    provenance: str  # label, e.g. "Ändrad av lärdom"


@dataclass(frozen=True)
class DocumentSection:
    number: int
    title: str
    requirements: tuple[DocumentRequirement, ...] = ()
    intro: str = ""


@dataclass(frozen=True)
class OffContractNeed:
    """One reason code in "Behov som tillgodosetts utanför avtal"."""

    reason: str  # label, e.g. "Kompetens"
    count: int


@dataclass(frozen=True)
class FollowUpPlanRow:
    code: str
    title: str
    method: str


@dataclass(frozen=True)
class ProvenanceEntry:
    """Why one requirement is new, changed or removed compared with the previous round."""

    number: str  # the requirement's number in this draft, "" when removed
    code: str
    title: str
    change: str  # label: "Tillagd av lärdom", "Ändrad av lärdom", "Borttagen av lärdom", ...
    previous_version: int | None
    new_version: int | None
    findings: tuple[str, ...] = ()  # "Lärdom 12: Kvällsbemanning saknas (7 underlag, 3 kommuner)"


@dataclass(frozen=True)
class DraftDocument:
    title: str
    round_reference: str
    round_title: str
    agreement_area: str
    base_round_reference: str | None
    status: str  # label: "Utkast" or "Fastställd"
    produced_on: date
    organisation: str
    sections: tuple[DocumentSection, ...] = ()
    off_contract: tuple[OffContractNeed, ...] = ()
    off_contract_since: date | None = None
    followup_plan: tuple[FollowUpPlanRow, ...] = ()
    provenance: tuple[ProvenanceEntry, ...] = field(default_factory=tuple)
