"""Evidence clusters for the curator's queue: evidence that points the same way, unused so far.

- experiences the curator may read with a theme rated 1 or 2, by (agreement area, theme);
- deviations in the curator's network, by (agreement area of their contract's tender round,
  else of their unit, category);
- follow-ups in the network with result anmärkning or allvarliga brister, by agreement area.

Evidence already linked to any finding is left out, and only clusters with at least
CLUSTER_MIN_SIZE items are shown (app config FINDING_CLUSTER_MIN_SIZE overrides it). The
queue takes one set-based query per kind, whatever the number of experiences. A cluster's
"Skapa lärdom" link names the cluster (?kluster=…); the form then preselects its newest
PRESELECT_LIMIT items with one more query, so the queue never ranks evidence it won't use.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Select, Subquery, case, distinct, exists, func, select, union

from kb.auth.models import User
from kb.catalogue.filters import MAX_ID
from kb.experiences.models import Experience, ExperienceRating, ExperienceStatus
from kb.experiences.visibility import network_organisation_ids, readable_by
from kb.extensions import db
from kb.findings.evidence import DEVIATION, EXPERIENCE, FOLLOWUP
from kb.findings.models import FindingEvidence
from kb.followups.models import Deviation, DeviationCategory, FollowUp, FollowUpResult
from kb.organisations.models import Organisation, OrganisationKind
from kb.suppliers.models import AgreementArea, Unit, unit_agreement_areas
from kb.tenders.models import Contract, TenderRound
from kb.themes import Theme

CLUSTER_MIN_SIZE = 3
PRESELECT_LIMIT = 20
LOW_RATING = 2
WEAK_RESULTS = (FollowUpResult.REMARKS, FollowUpResult.SERIOUS)


@dataclass(frozen=True)
class Cluster:
    kind: str
    area_id: int
    area_name: str
    key: str | None  # the theme or deviation category; None for follow-ups
    label: str
    count: int
    municipalities: int
    suppliers: int

    @property
    def reference(self) -> str:
        """How the "Skapa lärdom" link names the cluster: ?kluster=kind:area[:key]."""
        return ":".join(str(part) for part in (self.kind, self.area_id, self.key) if part)


def min_cluster_size() -> int:
    return int(current_app.config.get("FINDING_CLUSTER_MIN_SIZE", CLUSTER_MIN_SIZE))


def _municipality(organisation_id: object) -> object:
    return case((Organisation.kind == OrganisationKind.MUNICIPALITY, organisation_id))


def _experience_rows(user: User) -> Subquery:
    unused = ~exists().where(FindingEvidence.experience_id == Experience.id)
    return (
        select(
            Experience.agreement_area_id.label("area"),
            ExperienceRating.theme.label("key"),
            Experience.id.label("item"),
            _municipality(Experience.organisation_id).label("municipality"),
            Unit.supplier_id.label("supplier"),
            Experience.submitted_at.label("happened"),
        )
        .join(ExperienceRating, ExperienceRating.experience_id == Experience.id)
        .join(Organisation, Organisation.id == Experience.organisation_id)
        .outerjoin(Unit, Unit.id == Experience.unit_id)
        .where(
            Experience.status == ExperienceStatus.SUBMITTED,
            readable_by(user),
            Experience.agreement_area_id.is_not(None),
            ExperienceRating.rating <= LOW_RATING,
            unused,
        )
        .subquery()
    )


def _deviation_areas() -> Subquery:
    """(deviation, area): the contract's tender round's area, else every area of the unit."""
    by_contract = (
        select(Deviation.id.label("deviation"), TenderRound.agreement_area_id.label("area"))
        .join(Contract, Contract.id == Deviation.contract_id)
        .join(TenderRound, TenderRound.id == Contract.tender_round_id)
    )
    by_unit = (
        select(Deviation.id, unit_agreement_areas.c.agreement_area_id)
        .join(unit_agreement_areas, unit_agreement_areas.c.unit_id == Deviation.unit_id)
        .where(Deviation.contract_id.is_(None))
    )
    return union(by_contract, by_unit).subquery()


def _deviation_rows(user: User) -> Subquery:
    areas = _deviation_areas()
    unused = ~exists().where(FindingEvidence.deviation_id == Deviation.id)
    return (
        select(
            areas.c.area.label("area"),
            Deviation.category.label("key"),
            Deviation.id.label("item"),
            _municipality(Deviation.organisation_id).label("municipality"),
            func.coalesce(Unit.supplier_id, Contract.supplier_id).label("supplier"),
            Deviation.occurred_on.label("happened"),
        )
        .join(areas, areas.c.deviation == Deviation.id)
        .join(Organisation, Organisation.id == Deviation.organisation_id)
        .outerjoin(Unit, Unit.id == Deviation.unit_id)
        .outerjoin(Contract, Contract.id == Deviation.contract_id)
        .where(Deviation.organisation_id.in_(network_organisation_ids(user)), unused)
        .subquery()
    )


def _followup_areas() -> Subquery:
    """(follow-up, area) for every scope: the area itself, through a round, contract or unit."""
    round_area = TenderRound.agreement_area_id
    unit_area = unit_agreement_areas.c.agreement_area_id
    direct = select(FollowUp.id.label("followup"), FollowUp.agreement_area_id.label("area")).where(
        FollowUp.agreement_area_id.is_not(None)
    )
    by_round = select(FollowUp.id, round_area).join(
        TenderRound, TenderRound.id == FollowUp.tender_round_id
    )
    by_contract = (
        select(FollowUp.id, round_area)
        .join(Contract, Contract.id == FollowUp.contract_id)
        .join(TenderRound, TenderRound.id == Contract.tender_round_id)
    )
    by_unit = select(FollowUp.id, unit_area).join(
        unit_agreement_areas, unit_agreement_areas.c.unit_id == FollowUp.unit_id
    )
    by_supplier = (
        select(FollowUp.id, unit_area)
        .join(Unit, Unit.supplier_id == FollowUp.supplier_id)
        .join(unit_agreement_areas, unit_agreement_areas.c.unit_id == Unit.id)
    )
    return union(direct, by_round, by_contract, by_unit, by_supplier).subquery()


def _followup_rows(user: User) -> Subquery:
    areas = _followup_areas()
    unused = ~exists().where(FindingEvidence.followup_id == FollowUp.id)
    return (
        select(
            areas.c.area.label("area"),
            FollowUp.id.label("item"),
            _municipality(FollowUp.organisation_id).label("municipality"),
            func.coalesce(FollowUp.supplier_id, Unit.supplier_id, Contract.supplier_id).label(
                "supplier"
            ),
            func.coalesce(FollowUp.period_end, FollowUp.period_start).label("happened"),
        )
        .join(areas, areas.c.followup == FollowUp.id)
        .join(Organisation, Organisation.id == FollowUp.organisation_id)
        .outerjoin(Unit, Unit.id == FollowUp.unit_id)
        .outerjoin(Contract, Contract.id == FollowUp.contract_id)
        .where(
            FollowUp.organisation_id.in_(network_organisation_ids(user)),
            FollowUp.result.in_(WEAK_RESULTS),
            unused,
        )
        .subquery()
    )


def _aggregate(rows: Subquery, keys: list, min_size: int) -> Select:
    """Count per cluster. Each item is in a cluster once (a rating per theme, a UNION of
    areas), so rows are counted; distinct municipalities and suppliers are counted over
    groups made first without DISTINCT, which keeps it a hash aggregate over few rows."""
    inner = (
        select(*keys, rows.c.municipality, rows.c.supplier, func.count().label("n"))
        .group_by(*keys, rows.c.municipality, rows.c.supplier)
        .subquery()
    )
    inner_keys = [inner.c[key.name] for key in keys]
    return (
        select(
            *inner_keys,
            func.sum(inner.c.n).label("count"),
            func.count(distinct(inner.c.municipality)).label("municipalities"),
            func.count(distinct(inner.c.supplier)).label("suppliers"),
        )
        .group_by(*inner_keys)
        .having(func.sum(inner.c.n) >= min_size)
    )


ROWS = {EXPERIENCE: _experience_rows, DEVIATION: _deviation_rows, FOLLOWUP: _followup_rows}


def _keys(kind: str, rows: Subquery) -> list:
    return [rows.c.area] if kind == FOLLOWUP else [rows.c.area, rows.c.key]


def _label(kind: str, key: object) -> tuple[str | None, str]:
    if kind == EXPERIENCE:
        theme = Theme(key)
        return theme.value, str(theme.label)
    if kind == DEVIATION:
        category = DeviationCategory(key)
        return category.value, str(category.label)
    return None, ""


def evidence_clusters(user: User, min_size: int | None = None) -> list[Cluster]:
    """The unused evidence clusters the user may read, largest first: one query per kind."""
    size = min_size if min_size is not None else min_cluster_size()
    found = []
    for kind, build in ROWS.items():
        rows = build(user)
        found += [
            (kind, row) for row in db.session.execute(_aggregate(rows, _keys(kind, rows), size))
        ]
    area_ids = {row.area for _kind, row in found}
    names = dict(
        db.session.execute(
            select(AgreementArea.id, AgreementArea.name).where(AgreementArea.id.in_(area_ids))
        ).all()
    )
    clusters = []
    for kind, row in found:
        key, label = _label(kind, row.key if kind != FOLLOWUP else None)
        clusters.append(
            Cluster(
                kind=kind,
                area_id=row.area,
                area_name=names.get(row.area, ""),
                key=key,
                label=label,
                count=int(row.count),
                municipalities=row.municipalities,
                suppliers=row.suppliers,
            )
        )
    return sorted(clusters, key=lambda c: (-c.count, c.area_name.casefold(), c.kind, c.label))


def parse_cluster(text: str | None) -> tuple[str, int, str | None] | None:
    """Read ?kluster=kind:area[:key] (Cluster.reference); None when it names no cluster."""
    kind, _sep, rest = (text or "").partition(":")
    area, _sep, key = rest.partition(":")
    if kind not in ROWS or not (area.isascii() and area.isdigit() and 0 < int(area) <= MAX_ID):
        return None
    valid_keys = {EXPERIENCE: Theme, DEVIATION: DeviationCategory}.get(kind)
    if valid_keys is None:
        return (kind, int(area), None) if not key else None
    return (kind, int(area), key) if key in {member.value for member in valid_keys} else None


def cluster_evidence(
    user: User, kind: str, area_id: int, key: str | None, limit: int = PRESELECT_LIMIT
) -> list[int]:
    """The newest unused evidence ids of one cluster that the user may read."""
    rows = ROWS[kind](user)
    conditions = [rows.c.area == area_id]
    if kind == EXPERIENCE:
        conditions.append(rows.c.key == Theme(key))
    elif kind == DEVIATION:
        conditions.append(rows.c.key == DeviationCategory(key))
    return list(
        db.session.scalars(
            select(rows.c.item)
            .where(*conditions)
            .order_by(rows.c.happened.desc().nulls_last(), rows.c.item.desc())
            .limit(limit)
        )
    )
