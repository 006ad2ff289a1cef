"""Who may create, edit and decide findings (lärdomar). Who may *see* one: kb.findings.queries.

- Curators create findings: they turn evidence into findings (DESIGN §2). A finding belongs
  to the organisation of the curator who created it, normally the intermediary.
- Curators of the owning organisation edit a finding while it is föreslagen or accepterad,
  and decide it: accept, reject (with a reason) or mark it superseded (ersatt).
- Procurers do not decide findings. They read them and build the tender draft from the
  accepted ones; the draft is where they include a finding by hand or exclude it with a
  reason, so the procurer's choice is recorded there and the curator's judgement of the
  evidence stays separate from it.
- tillämpad is set only when a finalised tender draft uses the finding, never here.
"""

from __future__ import annotations

from kb.auth.models import Role, User
from kb.findings.models import Finding, FindingStatus

FINDING_ROLES = (Role.CURATOR,)
EDITABLE_STATUSES = frozenset({FindingStatus.PROPOSED, FindingStatus.ACCEPTED})
SUPERSEDABLE_STATUSES = EDITABLE_STATUSES


def may_create_findings(user: User) -> bool:
    return bool(user.is_authenticated and user.has_role(*FINDING_ROLES))


def may_manage(user: User, finding: Finding) -> bool:
    """Curators of the owning organisation edit and decide the finding."""
    return may_create_findings(user) and finding.organisation_id == user.organisation_id


def may_edit(user: User, finding: Finding) -> bool:
    return may_manage(user, finding) and finding.status in EDITABLE_STATUSES


def may_decide(user: User, finding: Finding) -> bool:
    return may_manage(user, finding) and finding.status == FindingStatus.PROPOSED


def may_supersede(user: User, finding: Finding) -> bool:
    return may_manage(user, finding) and finding.status in SUPERSEDABLE_STATUSES
