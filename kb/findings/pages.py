"""What the finding pages need besides the form handling: choices, evidence, decision forms."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from kb.auth.models import User
from kb.catalogue.filters import MAX_ID, parse_positive_int
from kb.extensions import db
from kb.findings.access import may_decide, may_edit, may_supersede
from kb.findings.clusters import cluster_evidence, parse_cluster
from kb.findings.evidence import (
    KINDS,
    EvidenceIds,
    EvidenceItem,
    EvidenceSummary,
    evidence_summaries,
    ids_from_args,
    items,
    linked_ids,
    load_readable,
    missing_message,
)
from kb.findings.forms import (
    DecisionForm,
    FindingForm,
    SupersedeForm,
    set_choices,
    set_evidence_choices,
)
from kb.findings.models import Finding, FindingStatus, ProposedChange
from kb.findings.queries import (
    area_options,
    is_visible,
    requirement_options,
    supersede_candidates,
    supplier_options,
    visible_findings,
)
from kb.themes import Theme


def list_options() -> dict[str, list]:
    return {
        "areas": area_options(),
        "statuses": list(FindingStatus),
        "themes": list(Theme),
        "changes": list(ProposedChange),
    }


def _offered(user: User, *selections: EvidenceIds) -> dict[str, list[EvidenceItem]]:
    """The readable evidence among all the selections, described for the form."""
    return {
        kind: items(
            kind,
            load_readable(user, kind, {i for chosen in selections for i in chosen.get(kind, [])}),
        )
        for kind in KINDS
    }


def _selection_from_url(user: User, args: Mapping) -> tuple[EvidenceIds, list[str]]:
    """Evidence ids from ?erfarenhet=…&uppfoljning=…&avvikelse=…, plus the newest items of
    the cluster named by ?kluster=… (a link from the queue); and messages for bad values."""
    selected, messages = ids_from_args(args)
    if "kluster" in args:
        cluster = parse_cluster(args.get("kluster"))
        if cluster is None:
            messages.append(_("Klustret finns inte. Välj det på nytt i kön för lärdomar."))
        else:
            ids = cluster_evidence(user, *cluster)
            selected[cluster[0]] += [i for i in ids if i not in selected[cluster[0]]]
    return selected, messages


def prepared_form(user: User, finding: Finding | None, args: Mapping) -> tuple[FindingForm, int]:
    """The form with its choices and the evidence on offer (linked, from the URL, posted);
    on GET filled from the finding or the URL. Also: how many linked items the user cannot
    read (they are kept as they are)."""
    form = FindingForm()
    form.other_errors = []
    set_choices(form, area_options(), supplier_options(), requirement_options())
    from_url, bad = _selection_from_url(user, args)
    linked = linked_ids(finding.evidence) if finding is not None else {}
    posted = form.evidence_ids() if form.is_submitted() else {}
    offered = _offered(user, from_url, linked, posted)
    set_evidence_choices(form, offered)
    readable = {kind: {item.id for item in offered[kind]} for kind in KINDS}
    hidden = sum(len(set(linked.get(kind, [])) - readable[kind]) for kind in KINDS)
    if form.is_submitted():
        return form, hidden
    unreadable = {kind: set(from_url[kind]) - readable[kind] for kind in KINDS}
    form.other_errors = bad + [
        missing_message(kind, ids) for kind, ids in unreadable.items() if ids
    ]
    chosen = {
        kind: [i for i in [*linked.get(kind, []), *from_url[kind]] if i in readable[kind]]
        for kind in KINDS
    }
    if finding is not None:
        form.fill_from(finding, chosen)
    else:
        form.preselect(
            parse_positive_int(args.get("omrade"), MAX_ID),
            args.get("tema"),
            parse_positive_int(args.get("leverantor"), MAX_ID),
        )
        form.select_evidence(chosen)
    return form, hidden


def posts_unreadable_evidence(user: User, form: FindingForm) -> bool:
    """Whether the posted form names evidence the user may not read: another network's, or
    a draft. Such ids are never offered, so the post is tampered with (the view answers 404)."""
    posted = form.evidence_ids()
    return any(
        set(ids) - {row.id for row in load_readable(user, kind, ids)}
        for kind, ids in posted.items()
    )


def readable_evidence_of(user: User, finding: Finding) -> tuple[list[EvidenceItem], int]:
    """The finding's evidence the user may read, and how many more items there are."""
    linked = linked_ids(finding.evidence)
    shown = [item for kind_items in _offered(user, linked).values() for item in kind_items]
    return shown, sum(len(ids) for ids in linked.values()) - len(shown)


def _replaced_findings(user: User, finding: Finding) -> list[Finding]:
    """The visible findings this one supersedes."""
    return list(
        db.session.scalars(
            select(Finding)
            .where(Finding.superseded_by_id == finding.id, visible_findings(user))
            .order_by(Finding.id)
        )
    )


def detail_context(
    user: User,
    finding: Finding,
    decision_form: DecisionForm | None,
    supersede_form: SupersedeForm | None,
) -> dict:
    """Everything the detail page shows; the decision forms only to those who may use them."""
    shown, hidden = readable_evidence_of(user, finding)
    if decision_form is None and may_decide(user, finding):
        decision_form = DecisionForm(formdata=None)
        decision_form.show_version_of(finding)
    if supersede_form is None and may_supersede(user, finding):
        supersede_form = SupersedeForm(formdata=None)
        supersede_form.show_version_of(finding)
    if supersede_form is not None:
        supersede_form.offer(supersede_candidates(user, finding))
    replacement = finding.superseded_by
    return {
        "finding": finding,
        "evidence": shown,
        "hidden_evidence": hidden,
        "summary": evidence_summaries([finding.id]).get(finding.id, EvidenceSummary()),
        "decision_form": decision_form,
        "supersede_form": supersede_form,
        "may_edit": may_edit(user, finding),
        "replacement_visible": replacement is not None and is_visible(user, replacement.id),
        "replaces": _replaced_findings(user, finding),
        "change_text_label": CHANGE_TEXT_LABELS.get(finding.proposed_change),
    }


CHANGE_TEXT_LABELS = {
    ProposedChange.ADD_REQUIREMENT: _l("Föreslagen kravtext"),
    ProposedChange.CHANGE_REQUIREMENT: _l("Föreslagen ny lydelse"),
    ProposedChange.REMOVE_REQUIREMENT: _l("Kommentar"),
    ProposedChange.MARKET_QUESTION: _l("Marknadsfråga"),
    ProposedChange.FOLLOWUP_QUESTION: _l("Uppföljningsfråga"),
}
