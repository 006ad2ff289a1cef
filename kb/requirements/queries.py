"""Reading the requirement library: the filtered list, one requirement, and where versions went."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from difflib import SequenceMatcher

from flask import abort, current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from kb.auth.models import User
from kb.catalogue.filters import MAX_ID, page_from_args, parse_choice, parse_positive_int
from kb.catalogue.rows import Page
from kb.extensions import db
from kb.requirements.models import (
    Requirement,
    RequirementKind,
    RequirementLevel,
    RequirementVersion,
    requirement_agreement_areas,
)
from kb.search.access import tokens_of
from kb.search.backend import SearchRequest, SearchUnavailableError
from kb.search.query import parse_query
from kb.search.service import backend_for
from kb.suppliers.models import AgreementArea
from kb.tender_drafts.models import DraftStatus, Provenance, TenderDraft, TenderDraftItem
from kb.tenders.models import TenderRound

MAX_QUERY_CHARS = 200
MAX_SEARCH_MATCHES = 1000
MAX_FALLBACK_WORDS = 10


@dataclass(frozen=True)
class LibraryFilter:
    """What the library list is narrowed to; None and False mean no narrowing."""

    text: str | None = None
    area_id: int | None = None
    kind: RequirementKind | None = None
    level: RequirementLevel | None = None
    include_retired: bool = False

    @property
    def active(self) -> bool:
        return bool(self.query_args())

    def query_args(self) -> dict[str, str]:
        """The query parameters that produce this filter, for links that keep it."""
        args = {
            "q": self.text,
            "omrade": str(self.area_id) if self.area_id else None,
            "typ": self.kind.value if self.kind else None,
            "niva": self.level.value if self.level else None,
            "avvecklade": "1" if self.include_retired else None,
        }
        return {name: value for name, value in args.items() if value}


def filter_from_args(args: Mapping[str, str]) -> LibraryFilter:
    """Read q, omrade, typ, niva and avvecklade; an invalid value counts as not given."""
    raw = (args.get("q") or "")[:MAX_QUERY_CHARS]
    text = " ".join("".join(ch for ch in raw if ch.isprintable() or ch.isspace()).split())
    return LibraryFilter(
        text=text or None,
        area_id=parse_positive_int(args.get("omrade"), MAX_ID),
        kind=parse_choice(RequirementKind, args.get("typ")),
        level=parse_choice(RequirementLevel, args.get("niva")),
        include_retired=args.get("avvecklade") == "1",
    )


@dataclass(frozen=True)
class LibraryPage:
    page: Page[Requirement]
    search_unavailable: bool = False  # the text was matched in SQL, without Swedish analysis
    truncated: bool = False  # the search found more than MAX_SEARCH_MATCHES


def _current_version():  # type: ignore[no-untyped-def]
    """An alias of RequirementVersion limited (by the join below) to each requirement's newest."""
    latest = (
        select(
            RequirementVersion.requirement_id.label("requirement_id"),
            func.max(RequirementVersion.number).label("number"),
        )
        .group_by(RequirementVersion.requirement_id)
        .subquery("latest_version")
    )
    current = aliased(RequirementVersion, name="current_version")
    return latest, current


def _filtered_ids(filters: LibraryFilter, text_condition: bool) -> Select:
    """A SELECT of the ids of requirements that pass the filters, with their code."""
    latest, current = _current_version()
    conditions: list[ColumnElement[bool]] = []
    if not filters.include_retired:
        conditions.append(Requirement.retired_at.is_(None))
    if filters.area_id is not None:
        conditions.append(
            Requirement.id.in_(
                select(requirement_agreement_areas.c.requirement_id).where(
                    requirement_agreement_areas.c.agreement_area_id == filters.area_id
                )
            )
        )
    if filters.kind is not None:
        conditions.append(current.kind == filters.kind)
    if filters.level is not None:
        conditions.append(current.level == filters.level)
    if text_condition and filters.text:
        conditions.append(_text_matches(filters.text, current))
    return (
        select(Requirement.id, Requirement.code)
        .join(latest, latest.c.requirement_id == Requirement.id)
        .join(
            current,
            and_(current.requirement_id == Requirement.id, current.number == latest.c.number),
        )
        .where(*conditions)
    )


def _text_matches(text: str, current: type[RequirementVersion]) -> ColumnElement[bool]:
    """Every word, case-insensitively, in the code, title or text of the current version.

    PostgreSQL's ILIKE folds every letter; SQLite's folds only ASCII, so the usual spellings of
    a word (as typed, lower case, capitalised, upper case) are tried too, for å, ä and ö."""
    columns = (Requirement.code, current.title, current.text_md)
    conditions = []
    for word in text.split()[:MAX_FALLBACK_WORDS]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        spellings = dict.fromkeys([escaped, escaped.lower(), escaped.capitalize(), escaped.upper()])
        conditions.append(
            or_(
                *(
                    column.ilike(f"%{spelling}%", escape="\\")
                    for column in columns
                    for spelling in spellings
                )
            )
        )
    return and_(*conditions)


def search_matches(viewer: User, text: str) -> tuple[list[int], bool]:
    """Requirement ids matching the text in the Swedish search index, best first, and whether
    there were more than MAX_SEARCH_MATCHES. Raise SearchUnavailableError."""
    request = SearchRequest(
        query=parse_query(text),
        access_tokens=frozenset(tokens_of(viewer)),
        filters={"kind": "requirement"},
        per_page=MAX_SEARCH_MATCHES,
    )
    result = backend_for(current_app._get_current_object()).search(request)
    ids = []
    for hit in result.hits:
        kind, _, entity_id = hit.key.partition(":")
        if kind == "requirement" and entity_id.isdigit():
            ids.append(int(entity_id))
    return ids, result.total > len(ids)


def library_page(
    viewer: User, filters: LibraryFilter, args: Mapping[str, str], per_page: int
) -> LibraryPage:
    """One page of the library: by relevance when searching, else by code."""
    unavailable = truncated = False
    ranked: list[int] | None = None
    if filters.text and not parse_query(filters.text).is_empty:
        try:
            ranked, truncated = search_matches(viewer, filters.text)
        except SearchUnavailableError:
            unavailable = True
    statement = _filtered_ids(filters, text_condition=unavailable)
    if ranked is not None:
        passing = set(db.session.scalars(statement.where(Requirement.id.in_(ranked))))
        ordered = [requirement_id for requirement_id in ranked if requirement_id in passing]
    else:
        ordered = [row.id for row in db.session.execute(statement.order_by(Requirement.code))]
    page_count = max(1, -(-len(ordered) // per_page))
    number = min(page_from_args(args), page_count)
    wanted = ordered[(number - 1) * per_page : number * per_page]
    loaded = {
        requirement.id: requirement
        for requirement in db.session.scalars(
            select(Requirement)
            .where(Requirement.id.in_(wanted))
            .options(selectinload(Requirement.versions), selectinload(Requirement.agreement_areas))
        )
    }
    rows = [loaded[requirement_id] for requirement_id in wanted if requirement_id in loaded]
    return LibraryPage(Page(rows, number, page_count, len(ordered)), unavailable, truncated)


def area_options() -> list[tuple[int, str]]:
    return list(
        db.session.execute(
            select(AgreementArea.id, AgreementArea.name).order_by(AgreementArea.name)
        )
    )


def requirement_or_404(requirement_id: int) -> Requirement:
    """The requirement with its versions, their authors and origin findings, and its areas."""
    requirement = db.session.scalar(
        select(Requirement)
        .where(Requirement.id == requirement_id)
        .options(
            selectinload(Requirement.versions).selectinload(RequirementVersion.origin_findings),
            selectinload(Requirement.versions).selectinload(RequirementVersion.created_by),
            selectinload(Requirement.agreement_areas),
        )
    )
    if requirement is None:
        abort(404)
    return requirement


def version_or_404(requirement: Requirement, number: int) -> RequirementVersion:
    found = next((v for v in requirement.versions if v.number == number), None)
    if found is None:
        abort(404)
    return found


def rounds_using(version_ids: Sequence[int]) -> dict[int, list[TenderRound]]:
    """Per requirement version id, the tender rounds whose finalised draft uses it.

    An item excluded from the draft, or one that records the requirement's removal, is not a
    use. Versions no finalised draft uses are absent. One query for all versions."""
    if not version_ids:
        return {}
    rows = db.session.execute(
        select(TenderDraftItem.requirement_version_id, TenderRound)
        .join(TenderDraft, TenderDraftItem.draft_id == TenderDraft.id)
        .join(TenderRound, TenderDraft.tender_round_id == TenderRound.id)
        .where(
            TenderDraftItem.requirement_version_id.in_(set(version_ids)),
            TenderDraft.status == DraftStatus.FINAL,
            TenderDraftItem.excluded_reason.is_(None),
            TenderDraftItem.provenance != Provenance.REMOVED,
        )
        .order_by(TenderRound.contract_start.desc().nulls_last(), TenderRound.reference)
    ).all()
    used: dict[int, list[TenderRound]] = {}
    for version_id, tender_round in rows:
        rounds = used.setdefault(version_id, [])
        if tender_round not in rounds:
            rounds.append(tender_round)
    return used


# --- What changed between two versions ------------------------------------------------------

TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True)
class Segment:
    kind: str  # "same", "removed" or "added"
    text: str


@dataclass(frozen=True)
class FieldChange:
    label: str
    segments: tuple[Segment, ...]


def format_weight(weight: Decimal | None) -> str:
    """12.50 as "12,5"; no weight as "–"."""
    if weight is None:
        return "–"
    text = f"{weight:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _segments(before: str, after: str) -> tuple[Segment, ...]:
    """A word-by-word difference; the template escapes every segment."""
    old, new = TOKEN.findall(before), TOKEN.findall(after)
    segments = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            segments.append(Segment("same", "".join(old[i1:i2])))
            continue
        if i2 > i1:
            segments.append(Segment("removed", "".join(old[i1:i2])))
        if j2 > j1:
            segments.append(Segment("added", "".join(new[j1:j2])))
    return tuple(segments)


def _shown_fields(version: RequirementVersion) -> list[tuple[str, str]]:
    return [
        (_("Rubrik"), version.title),
        (_("Kravtext"), version.text_md),
        (_("Typ"), str(version.kind.label)),
        (_("Nivå"), str(version.level.label)),
        (_("Vikt"), format_weight(version.weight)),
        (_("Motiv"), version.rationale),
        (_("Verifikat"), version.verification),
        (_("Uppföljningsmetod"), version.followup_method),
    ]


def version_changes(previous: RequirementVersion, version: RequirementVersion) -> list[FieldChange]:
    """The fields that differ between two versions, each as a word-by-word difference."""
    return [
        FieldChange(label, _segments(before, after))
        for (label, before), (_label, after) in zip(
            _shown_fields(previous), _shown_fields(version), strict=True
        )
        if before != after
    ]
