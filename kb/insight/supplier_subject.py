"""What a supplier or unit scorecard is about: its units and the areas it is compared with.

Each unit is compared with the agreement areas it serves plus the areas its experiences were
placed under; the supplier as a whole (key 0) with all of those areas combined. The mapping
from comparison key to area is read once into area_pairs: additive aggregates
are grouped per area and summed per key in Python (an experience has one area), so each area's
experiences are read once however many keys compare with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, Subquery, literal, select, union

from kb.experiences.models import Experience
from kb.extensions import db
from kb.insight.scope import InsightScope
from kb.suppliers.models import AgreementArea, Supplier, Unit, unit_agreement_areas

WHOLE_SUPPLIER = 0  # the comparison key of the supplier as a whole


@dataclass(frozen=True)
class ChartSubject:
    """A supplier (all its units) or one unit, as the scorecard charts see it."""

    name: str  # used in CSV file names, e.g. "leverantor-12"
    label: str
    supplier_id: int
    units: tuple[tuple[int, str], ...]  # (id, name) of the units charted
    whole_supplier: bool
    area_names: tuple[str, ...]
    area_pairs: tuple[tuple[int, int], ...]  # (key, area_id): the areas each key is compared with

    @property
    def own_area_ids(self) -> list[int]:
        """The areas the subject as a whole is compared with."""
        return self.area_ids(self.own_key)

    def area_ids(self, key: int) -> list[int]:
        return sorted({area_id for pair_key, area_id in self.area_pairs if pair_key == key})

    @property
    def unit_ids(self) -> list[int]:
        return [unit_id for unit_id, _name in self.units]

    @property
    def own_key(self) -> int:
        """The key of the subject as a whole: the supplier (0) or the one unit."""
        return WHOLE_SUPPLIER if self.whole_supplier else self.units[0][0]

    def keyed_rows(self, whole_label: str) -> list[tuple[int, str]]:
        """The rows of per-unit charts: each unit, then the whole supplier on a supplier page."""
        rows = list(self.units)
        if self.whole_supplier:
            rows.append((WHOLE_SUPPLIER, whole_label))
        return rows


def _area_mapping(scope: InsightScope, unit_ids: list[int], whole_supplier: bool) -> Subquery:
    served = select(
        unit_agreement_areas.c.unit_id.label("key"),
        unit_agreement_areas.c.agreement_area_id.label("area_id"),
    ).where(unit_agreement_areas.c.unit_id.in_(unit_ids))
    placed = select(
        Experience.unit_id.label("key"), Experience.agreement_area_id.label("area_id")
    ).where(
        scope.counted(),
        Experience.unit_id.in_(unit_ids),
        Experience.agreement_area_id.is_not(None),
    )
    pairs = union(served, placed).subquery("unit_areas")
    if not whole_supplier:
        return pairs
    whole = select(literal(WHOLE_SUPPLIER, Integer).label("key"), pairs.c.area_id)
    return union(select(pairs.c.key, pairs.c.area_id), whole).subquery("compared_areas")


def _subject(
    scope: InsightScope, name: str, label: str, supplier_id: int, units: list[Unit], whole: bool
) -> ChartSubject:
    unit_ids = [unit.id for unit in units]
    mapping = _area_mapping(scope, unit_ids, whole)
    pairs = tuple((key, area_id) for key, area_id in db.session.execute(select(mapping)))
    area_names = db.session.scalars(
        select(AgreementArea.name)
        .where(AgreementArea.id.in_({area_id for _key, area_id in pairs}))
        .order_by(AgreementArea.name)
    ).all()
    return ChartSubject(
        name=name,
        label=label,
        supplier_id=supplier_id,
        units=tuple((unit.id, unit.name) for unit in units),
        whole_supplier=whole,
        area_names=tuple(area_names),
        area_pairs=pairs,
    )


def supplier_subject(scope: InsightScope, supplier: Supplier) -> ChartSubject:
    return _subject(
        scope, f"leverantor-{supplier.id}", supplier.name, supplier.id, supplier.units, True
    )


def unit_subject(scope: InsightScope, unit: Unit) -> ChartSubject:
    return _subject(scope, f"verksamhet-{unit.id}", unit.name, unit.supplier_id, [unit], False)
