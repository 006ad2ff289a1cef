"""The evidence behind findings: experiences, follow-ups and deviations.

Who may read a piece of evidence follows the rules of its own kind: an experience's text is
for its organisation and the intermediary's curators (kb.experiences.visibility); follow-ups
and deviations are for everyone in the network (kb.followups.scopes). Descriptions never
carry personal data: a unit, an area, a period, a category, an organisation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, case, distinct, func, select
from sqlalchemy.orm import selectinload

from kb.auth.models import User
from kb.catalogue.filters import MAX_ID
from kb.experiences.models import Experience, ExperienceStatus
from kb.experiences.visibility import network_organisation_ids, readable_by
from kb.extensions import db
from kb.findings.models import FindingEvidence
from kb.followups.models import Deviation, FollowUp
from kb.main.template_helpers import period
from kb.organisations.models import Organisation, OrganisationKind
from kb.suppliers.models import Unit

EXPERIENCE, FOLLOWUP, DEVIATION = "experience", "followup", "deviation"
KINDS = (EXPERIENCE, FOLLOWUP, DEVIATION)
# The query parameter and form field that carries each kind's ids.
PARAMS = {EXPERIENCE: "erfarenhet", FOLLOWUP: "uppfoljning", DEVIATION: "avvikelse"}
MODELS = {EXPERIENCE: Experience, FOLLOWUP: FollowUp, DEVIATION: Deviation}
COLUMNS = {
    EXPERIENCE: FindingEvidence.experience_id,
    FOLLOWUP: FindingEvidence.followup_id,
    DEVIATION: FindingEvidence.deviation_id,
}
LOAD_OPTIONS = {
    EXPERIENCE: (
        selectinload(Experience.unit).selectinload(Unit.supplier),
        selectinload(Experience.agreement_area),
        selectinload(Experience.organisation),
    ),
    FOLLOWUP: (selectinload(FollowUp.organisation),),
    DEVIATION: (
        selectinload(Deviation.unit),
        selectinload(Deviation.contract),
        selectinload(Deviation.organisation),
    ),
}

EvidenceIds = dict[str, list[int]]


def parse_ids(values: Iterable[str]) -> tuple[list[int], list[str]]:
    """Split raw values into ids (in order, once each) and the values that are no id."""
    ids: list[int] = []
    bad: list[str] = []
    for raw in values:
        text = str(raw).strip()
        if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID:
            if int(text) not in ids:
                ids.append(int(text))
        else:
            bad.append(text[:20])
    return ids, bad


def ids_from_args(args: Mapping) -> tuple[EvidenceIds, list[str]]:
    """The evidence ids in ?erfarenhet=…&uppfoljning=…&avvikelse=…, and messages for bad ones."""
    selected: EvidenceIds = {}
    messages: list[str] = []
    for kind in KINDS:
        selected[kind], bad = parse_ids(args.getlist(PARAMS[kind]))
        if bad:
            messages.append(bad_ids_message(bad))
    return selected, messages


def bad_ids_message(bad: list[str]) -> str:
    return _("Ogiltigt underlagsnummer: %(values)s.", values=", ".join(bad))


def readable_condition(user: User, kind: str) -> ColumnElement[bool]:
    """SQL condition: evidence of this kind whose content the user may read."""
    if kind == EXPERIENCE:
        return readable_by(user) & (Experience.status == ExperienceStatus.SUBMITTED)
    model = MODELS[kind]
    return model.organisation_id.in_(network_organisation_ids(user))


def load_readable(user: User, kind: str, ids: Iterable[int]) -> list:
    """The rows among ids that the user may read, in one query, newest first."""
    wanted = set(ids)
    if not wanted:
        return []
    model = MODELS[kind]
    return list(
        db.session.scalars(
            select(model)
            .where(model.id.in_(wanted), readable_condition(user, kind))
            .options(*LOAD_OPTIONS[kind])
            .order_by(model.id.desc())
        )
    )


def missing_message(kind: str, ids: Iterable[int]) -> str:
    listed = ", ".join(map(str, sorted(ids)))
    if kind == EXPERIENCE:
        return _("Erfarenhet %(ids)s finns inte bland dem du får läsa.", ids=listed)
    if kind == FOLLOWUP:
        return _("Uppföljning %(ids)s finns inte bland dem du får läsa.", ids=listed)
    return _("Avvikelse %(ids)s finns inte bland dem du får läsa.", ids=listed)


@dataclass(frozen=True)
class EvidenceItem:
    """One readable piece of evidence, described without personal data."""

    kind: str
    id: int
    label: str


def describe(kind: str, row: object) -> str:
    if kind == EXPERIENCE:
        return _describe_experience(row)  # type: ignore[arg-type]
    if kind == FOLLOWUP:
        return _describe_followup(row)  # type: ignore[arg-type]
    return _describe_deviation(row)  # type: ignore[arg-type]


def _describe_experience(experience: Experience) -> str:
    unit = experience.unit
    parts = [
        _("Erfarenhet %(id)s", id=experience.id),
        f"{unit.name} ({unit.supplier.name})" if unit else _("Ingen verksamhet vald"),
        experience.agreement_area.name if experience.agreement_area else "",
        period(experience),
        experience.organisation.name,
    ]
    return " · ".join(part for part in parts if part)


def _describe_followup(followup: FollowUp) -> str:
    start = followup.period_start.isoformat() if followup.period_start else "–"
    end = followup.period_end.isoformat() if followup.period_end else _("pågår")
    parts = [
        _("Uppföljning %(id)s", id=followup.id),
        followup.title,
        str(followup.kind.label),
        str(followup.result.label) if followup.result else _("Inte bedömt ännu"),
        f"{start} – {end}",
        followup.organisation.name,
    ]
    return " · ".join(parts)


def _describe_deviation(deviation: Deviation) -> str:
    target = deviation.unit.name if deviation.unit else (deviation.contract.reference or "")
    parts = [
        _("Avvikelse %(id)s", id=deviation.id),
        deviation.occurred_on.isoformat(),
        str(deviation.category.label),
        str(deviation.severity.label),
        target,
        deviation.organisation.name,
    ]
    return " · ".join(part for part in parts if part)


def items(kind: str, rows: Iterable[object]) -> list[EvidenceItem]:
    return [EvidenceItem(kind, row.id, describe(kind, row)) for row in rows]  # type: ignore[attr-defined]


def linked_ids(evidence: Iterable[FindingEvidence]) -> EvidenceIds:
    """A finding's evidence rows as ids per kind."""
    linked: EvidenceIds = {kind: [] for kind in KINDS}
    for row in evidence:
        for kind in KINDS:
            value = getattr(row, COLUMNS[kind].key)
            if value is not None:
                linked[kind].append(value)
    return linked


@dataclass(frozen=True)
class EvidenceSummary:
    count: int = 0
    municipalities: int = 0


def evidence_organisation_id() -> ColumnElement[int]:
    """The organisation of an evidence row, with experiences, follow-ups, deviations joined."""
    return func.coalesce(
        Experience.organisation_id, FollowUp.organisation_id, Deviation.organisation_id
    )


def evidence_summaries(finding_ids: Iterable[int]) -> dict[int, EvidenceSummary]:
    """Per finding: how many pieces of evidence, from how many distinct municipalities."""
    wanted = set(finding_ids)
    if not wanted:
        return {}
    municipality = case((Organisation.kind == OrganisationKind.MUNICIPALITY, Organisation.id))
    rows = db.session.execute(
        select(
            FindingEvidence.finding_id,
            func.count(FindingEvidence.id),
            func.count(distinct(municipality)),
        )
        .outerjoin(Experience, Experience.id == FindingEvidence.experience_id)
        .outerjoin(FollowUp, FollowUp.id == FindingEvidence.followup_id)
        .outerjoin(Deviation, Deviation.id == FindingEvidence.deviation_id)
        .join(Organisation, Organisation.id == evidence_organisation_id())
        .where(FindingEvidence.finding_id.in_(wanted))
        .group_by(FindingEvidence.finding_id)
    ).all()
    return {finding_id: EvidenceSummary(count, munis) for finding_id, count, munis in rows}
