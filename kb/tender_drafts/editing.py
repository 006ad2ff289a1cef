"""The procurer's changes to a draft: reorder, edit text, exclude, include a finding, resolve a
conflict. Services flush and never commit; a finalised draft refuses every change."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from kb.auth.models import User
from kb.extensions import db
from kb.findings.models import Finding, FindingStatus
from kb.privacy.guard import check_text
from kb.requirements.models import Requirement
from kb.requirements.services import VersionFields, add_version
from kb.tender_drafts.generate import (
    CodeAllocator,
    DraftInvalid,
    apply_finding_or_explain,
    base_versions,
    usable_by,
)
from kb.tender_drafts.models import DraftStatus, Provenance, TenderDraft, TenderDraftItem

MAX_REASON_LENGTH = 2000
CHANGES_BY_FINDING = (Provenance.CHANGED, Provenance.REMOVED)


@dataclass(frozen=True)
class Conflict:
    """Several active items for one requirement: the procurer must choose one."""

    requirement: Requirement
    items: list[TenderDraftItem]


def refuse_if_final(draft: TenderDraft) -> None:
    if draft.status == DraftStatus.FINAL:
        raise DraftInvalid(
            _("Underlaget är fastställt. Dess kravversioner är låsta och kan inte ändras.")
        )


def active_items(draft: TenderDraft) -> list[TenderDraftItem]:
    return [item for item in draft.items if not item.is_excluded]


def conflicts(draft: TenderDraft) -> list[Conflict]:
    by_requirement: dict[int, list[TenderDraftItem]] = {}
    for item in active_items(draft):
        by_requirement.setdefault(item.requirement_version.requirement_id, []).append(item)
    return [
        Conflict(items[0].requirement_version.requirement, items)
        for items in by_requirement.values()
        if len(items) > 1
    ]


def _reason_or_error(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise DraftInvalid(_("Ange varför kravet utesluts."))
    if len(reason) > MAX_REASON_LENGTH:
        raise DraftInvalid(_("Skälet får vara högst %(n)d tecken.", n=MAX_REASON_LENGTH))
    report = check_text(reason, "reason", _("Skäl"))
    if report.errors:
        raise DraftInvalid(report.errors[0].message())
    return reason


def exclude_item(draft: TenderDraft, item: TenderDraftItem, reason: str) -> None:
    """Leave an item out, keeping it and the reason visible; an excluded change restores the
    predecessor's version of the requirement."""
    refuse_if_final(draft)
    if item.is_excluded:
        raise DraftInvalid(_("Kravet är redan uteslutet."))
    item.excluded_reason = _reason_or_error(reason)
    requirement_id = item.requirement_version.requirement_id
    base = base_versions(draft).get(requirement_id)
    others = [
        i for i in active_items(draft) if i.requirement_version.requirement_id == requirement_id
    ]
    if item.provenance in CHANGES_BY_FINDING and base is not None and not others:
        draft.items.append(
            TenderDraftItem(
                section=item.section,
                position=item.position,
                requirement_version=base,
                provenance=Provenance.CARRIED_OVER,
            )
        )
    db.session.flush()


def restore_item(draft: TenderDraft, item: TenderDraftItem) -> None:
    """Take an excluded item back; an untouched carried-over copy it replaced goes again."""
    refuse_if_final(draft)
    if not item.is_excluded:
        raise DraftInvalid(_("Kravet är redan med i underlaget."))
    item.excluded_reason = None
    requirement_id = item.requirement_version.requirement_id
    if item.provenance in CHANGES_BY_FINDING:
        for other in list(draft.items):
            if (
                other is not item
                and other.provenance == Provenance.CARRIED_OVER
                and not other.is_excluded
                and not other.is_edited_by_hand
                and other.requirement_version.requirement_id == requirement_id
            ):
                draft.items.remove(other)
    db.session.flush()


def choose_in_conflict(draft: TenderDraft, chosen: TenderDraftItem) -> None:
    refuse_if_final(draft)
    conflict = next((c for c in conflicts(draft) if chosen in c.items), None)
    if conflict is None or chosen.is_excluded:
        raise DraftInvalid(_("Kravet ingår inte i någon konflikt att lösa."))
    label = (
        _("lärdom %(id)s", id=chosen.finding_id)
        if chosen.finding_id
        else _("föregående omgångs version")
    )
    for item in conflict.items:
        if item is not chosen:
            item.excluded_reason = _(
                "Konflikt om %(code)s: %(chosen)s valdes i stället.",
                code=conflict.requirement.code,
                chosen=label,
            )
    db.session.flush()


def move_item(draft: TenderDraft, item: TenderDraftItem, direction: str) -> None:
    refuse_if_final(draft)
    section = sorted(
        (i for i in draft.items if i.section == item.section), key=lambda i: (i.position, i.id or 0)
    )
    index = section.index(item)
    target = index - 1 if direction == "upp" else index + 1
    if direction not in {"upp", "ner"} or not 0 <= target < len(section):
        raise DraftInvalid(_("Kravet kan inte flyttas längre åt det hållet."))
    section[index], section[target] = section[target], section[index]
    for position, each in enumerate(section):
        each.position = position
    db.session.flush()


def offered_findings(draft: TenderDraft) -> list[Finding]:
    """Accepted findings the round may use, not yet in the draft, the draft's own area first."""
    used = {item.finding_id for item in draft.items if item.finding_id}
    area_id = draft.tender_round.agreement_area_id
    found = db.session.scalars(
        select(Finding)
        .where(Finding.status == FindingStatus.ACCEPTED, usable_by(draft.tender_round))
        .order_by(Finding.created_at, Finding.id)
    )
    return sorted(
        (f for f in found if f.id not in used), key=lambda f: f.agreement_area_id != area_id
    )


def include_finding(user: User, draft: TenderDraft, finding_id: int | None) -> TenderDraftItem:
    refuse_if_final(draft)
    finding = next((f for f in offered_findings(draft) if f.id == finding_id), None)
    if finding is None:
        raise DraftInvalid(_("Välj en accepterad lärdom som inte redan finns i underlaget."))
    codes = CodeAllocator(draft.tender_round.agreement_area_id)
    item = apply_finding_or_explain(user, draft, finding, base_versions(draft), codes)
    db.session.flush()
    return item


def edit_item_text(
    user: User,
    draft: TenderDraft,
    item: TenderDraftItem,
    fields: VersionFields,
    based_on: int | None,
) -> TenderDraftItem:
    """Save the procurer's text as a new requirement version; earlier versions never change."""
    refuse_if_final(draft)
    if item.provenance == Provenance.REMOVED:
        raise DraftInvalid(_("Ett borttaget krav har ingen text att ändra. Ta med det igen först."))
    current = item.requirement_version
    if based_on != current.id:
        raise DraftInvalid(
            _(
                "Kravet har ändrats sedan du öppnade det. Din text visas nedan – "
                "jämför och spara igen."
            )
        )
    if fields == VersionFields.of(current):
        raise DraftInvalid(_("Du har inte ändrat något, så ingen ny version sparades."))
    origin = [item.finding] if item.finding else []
    version = add_version(user, current.requirement, fields, origin_findings=origin)
    if item.provenance == Provenance.CARRIED_OVER and item.previous_version_id is None:
        item.previous_version = current
    item.requirement_version = version
    db.session.flush()
    return item
