"""Access tokens: what a search document says about who may read it, and who a user is.

A document carries a few tokens; a user may read it when they hold any of them. Both backends
filter on this inside the engine query, so counts, facets and pages never reveal more.

- ``all``: everyone signed in (the supplier register, requirements);
- ``org:<id>``: the members of one organisation;
- ``curators:<id>``: the curators of intermediary <id>;
- ``network:<id>``: every organisation in intermediary <id>'s network;
- ``user:<id>``: one user (the author of a draft).
"""

from __future__ import annotations

from kb.auth.models import Role, User

EVERYONE = "all"


def organisation_token(organisation_id: int) -> str:
    return f"org:{organisation_id}"


def curators_token(intermediary_id: int) -> str:
    return f"curators:{intermediary_id}"


def network_token(network_id: int) -> str:
    return f"network:{network_id}"


def user_token(user_id: int) -> str:
    return f"user:{user_id}"


def tokens_of(user: User) -> set[str]:
    """Every token the user holds."""
    organisation = user.organisation
    tokens = {EVERYONE, organisation_token(organisation.id), user_token(user.id)}
    network = organisation.intermediary
    tokens.add(network_token(network.id if network else organisation.id))
    if user.has_role(Role.CURATOR) and organisation.is_intermediary:
        tokens.add(curators_token(organisation.id))
    return tokens
