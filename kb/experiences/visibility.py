"""Who may read an experience's text, and whose experiences count in the viewer's aggregates.

- A draft is visible only to its author.
- A submitted experience's text is visible to its own organisation and to the curators of
  the intermediary its organisation belongs to.
- Everyone else in the same network (the intermediary and its members) sees aggregates, with
  small groups suppressed (see kb.suppliers.scorecard).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, select

from kb.auth.models import Role, User
from kb.experiences.models import Experience, ExperienceStatus
from kb.extensions import db
from kb.organisations.models import Organisation


def curated_organisation_ids(user: User) -> list[int]:
    """Organisations whose experiences the user reads as the intermediary's curator."""
    organisation = user.organisation
    if not (user.has_role(Role.CURATOR) and organisation.is_intermediary):
        return []
    members = db.session.scalars(
        select(Organisation.id).where(Organisation.member_of_id == organisation.id)
    ).all()
    return [organisation.id, *members]


def network_organisation_ids(user: User) -> list[int]:
    """The user's intermediary and all its members, or just the user's own organisation."""
    intermediary = user.organisation.intermediary
    if intermediary is None:
        return [user.organisation_id]
    members = db.session.scalars(
        select(Organisation.id).where(Organisation.member_of_id == intermediary.id)
    ).all()
    return [intermediary.id, *members]


def readable_by(user: User) -> ColumnElement[bool]:
    """SQL condition: experiences whose full text the user may read."""
    organisations = {user.organisation_id, *curated_organisation_ids(user)}
    submitted = and_(
        Experience.status == ExperienceStatus.SUBMITTED,
        Experience.organisation_id.in_(organisations),
    )
    return or_(submitted, Experience.author_id == user.id)


def counted_for(user: User) -> ColumnElement[bool]:
    """SQL condition: submitted experiences that feed the user's aggregates."""
    return and_(
        Experience.status == ExperienceStatus.SUBMITTED,
        Experience.organisation_id.in_(network_organisation_ids(user)),
    )


def can_read(user: User, experience: Experience) -> bool:
    if experience.author_id == user.id:
        return True
    if experience.status != ExperienceStatus.SUBMITTED:
        return False
    return experience.organisation_id in {user.organisation_id, *curated_organisation_ids(user)}


def can_edit(user: User, experience: Experience) -> bool:
    """Only the author edits an experience."""
    return experience.author_id == user.id
