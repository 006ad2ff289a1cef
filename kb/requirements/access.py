"""Who maintains a requirement: the curators of the network its owner organisation belongs to.

Everyone signed in reads the library. A curator edits, retires and restores the requirements
owned by an organisation in their own network (the intermediary and its members, or a
municipality outside any network on its own); another network's requirements they may read
and use, but not change.
"""

from __future__ import annotations

from kb.auth.models import Role, User
from kb.experiences.visibility import network_organisation_ids
from kb.requirements.models import Requirement


def may_maintain(user: User, requirement: Requirement) -> bool:
    if not user.is_authenticated or not user.has_role(Role.CURATOR):
        return False
    return requirement.owner_organisation_id in network_organisation_ids(user)
