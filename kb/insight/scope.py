"""Whose experiences count in the viewer's figures, and when a figure is suppressed.

Aggregates count the submitted experiences of the viewer's network (see
kb.experiences.visibility.counted_for). A figure that rests on any experience the viewer may not
read is shown only when it rests on at least MIN_GROUP_SIZE experiences (DESIGN section 5).
Queries compute, next to each figure's count, how many of its experiences are unreadable
(unreadable_count), so suppression needs no second pass over rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import ColumnElement, and_, case, func

from kb.auth.models import User
from kb.experiences.models import Experience, ExperienceStatus
from kb.experiences.visibility import curated_organisation_ids, network_organisation_ids


@dataclass(frozen=True)
class InsightScope:
    network: tuple[int, ...]  # organisations whose records feed the viewer's aggregates
    readable: frozenset[int]  # organisations whose experiences the viewer may read
    min_group_size: int

    def counted(self) -> ColumnElement[bool]:
        """SQL condition: the submitted experiences that feed the viewer's figures."""
        return and_(
            Experience.status == ExperienceStatus.SUBMITTED,
            Experience.organisation_id.in_(self.network),
        )

    def unreadable_count(self, organisation_id: ColumnElement[int]) -> ColumnElement[int]:
        """SQL aggregate: how many rows of the group belong to organisations the viewer may
        not read."""
        unreadable = case((organisation_id.in_(self.readable), 0), else_=1)
        return func.coalesce(func.sum(unreadable), 0)

    def suppressed(self, n: int, unreadable: int) -> bool:
        """Whether a figure resting on n rows, `unreadable` of them unreadable, is hidden."""
        return unreadable > 0 and n < self.min_group_size

    def shown(self, value, n: int, unreadable: int):  # type: ignore[no-untyped-def]
        """The value, or None when the figure is suppressed or rests on nothing."""
        return None if n == 0 or self.suppressed(n, unreadable) else value


def scope_for(user: User) -> InsightScope:
    return InsightScope(
        network=tuple(network_organisation_ids(user)),
        readable=frozenset({user.organisation_id, *curated_organisation_ids(user)}),
        min_group_size=current_app.config["MIN_GROUP_SIZE"],
    )
