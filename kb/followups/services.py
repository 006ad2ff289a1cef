"""Saving follow-ups. Services take plain values, flush, and never commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from kb.auth.models import User
from kb.catalogue.filters import MAX_ID  # larger ids are no rows
from kb.experiences.models import Experience, ExperienceStatus
from kb.experiences.services import PrivacyWarningsNeedConfirmation
from kb.experiences.visibility import network_organisation_ids, readable_by
from kb.extensions import db
from kb.followups.models import (
    SCOPE_COLUMNS,
    Deviation,
    FollowUp,
    FollowUpKind,
    FollowUpMethod,
    FollowUpResult,
    FollowUpScope,
)
from kb.followups.scopes import may_follow_up, may_write
from kb.markdown import render_markdown
from kb.privacy.guard import PrivacyReport, check_fields

MAX_TITLE_LENGTH = 300
MAX_TEXT_LENGTH = 20_000
SCOPE_OBJECT_FIELDS = {scope.value: column for scope, column in SCOPE_COLUMNS.items()}
TEXT_LABELS = {
    "title": "Rubrik",
    "summary_md": "Sammanfattning",
    "actions_taken": "Vidtagna åtgärder",
}

__all__ = ["FollowUpInput", "FollowUpInvalid", "PrivacyWarningsNeedConfirmation", "save_followup"]


class FollowUpInvalid(ValueError):  # noqa: N818
    """The follow-up breaks a rule; errors maps a form field name to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class FollowUpInput:
    """What a follow-up form sends, as plain values; codes are checked here, not trusted."""

    title: str = ""
    kind: str | None = None
    scope: str | None = None
    object_id: int | None = None
    methods: list[str] = field(default_factory=list)
    period_start: date | None = None
    period_end: date | None = None
    summary_md: str = ""
    result: str | None = None
    actions_taken: str = ""
    experience_ids: list[int] = field(default_factory=list)
    deviation_ids: list[int] = field(default_factory=list)


def _scope_errors(user: User, data: FollowUpInput) -> dict[str, list[str]]:
    if data.scope not in SCOPE_OBJECT_FIELDS:
        return {"scope": [_("Välj vad uppföljningen gäller.")]}
    object_field = SCOPE_OBJECT_FIELDS[data.scope]
    label = FollowUpScope(data.scope).label
    if not data.object_id:
        return {object_field: [_("Välj %(what)s som följs upp.", what=str(label).lower())]}
    if not may_follow_up(user.organisation, data.scope, data.object_id):
        message = _(
            "Din organisation får inte följa upp det valda objektet (%(what)s). Du kan följa upp "
            "det som hör till de upphandlingar som din organisation eller ert kommunförbund "
            "har genomfört eller deltagit i.",
            what=str(label).lower(),
        )
        return {object_field: [message]}
    return {}


def _field_errors(data: FollowUpInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not data.title.strip():
        errors["title"] = [_("Ge uppföljningen en rubrik.")]
    elif len(data.title) > MAX_TITLE_LENGTH:
        errors["title"] = [_("Rubriken får vara högst %(n)d tecken.", n=MAX_TITLE_LENGTH)]
    if data.kind not in {kind.value for kind in FollowUpKind}:
        errors["kind"] = [_("Välj typ av uppföljning.")]
    if data.result and data.result not in {result.value for result in FollowUpResult}:
        errors["result"] = [_("Välj ett resultat i listan.")]
    known = {method.value for method in FollowUpMethod}
    unknown = [code for code in data.methods if code not in known]
    if unknown:
        errors["methods"] = [_("Okänd metod: %(codes)s.", codes=", ".join(unknown))]
    elif not data.methods:
        errors["methods"] = [_("Välj minst en metod.")]
    if data.period_start is None:
        errors["period_start"] = [_("Ange när perioden börjar.")]
    elif data.period_end is not None and data.period_end < data.period_start:
        errors["period_end"] = [_("Periodens slut kan inte vara före dess början.")]
    for name in ("summary_md", "actions_taken"):
        if len(getattr(data, name)) > MAX_TEXT_LENGTH:
            errors[name] = [_("Texten får vara högst %(n)d tecken.", n=MAX_TEXT_LENGTH)]
    return errors


def _cited_experiences(
    user: User, ids: list[int], already: list[Experience], errors: dict[str, list[str]]
) -> list[Experience]:
    """The readable submitted experiences asked for, plus cited ones the user cannot read.

    A citation the user cannot see is not offered in the form, so it is kept as it was."""
    wanted = set(ids)
    found = db.session.scalars(
        select(Experience).where(
            Experience.id.in_({number for number in wanted if number <= MAX_ID}),
            readable_by(user),
            Experience.status == ExperienceStatus.SUBMITTED,
        )
    ).all()
    visible_before = set(
        db.session.scalars(
            select(Experience.id).where(
                Experience.id.in_([e.id for e in already]), readable_by(user)
            )
        )
    )
    hidden = [e for e in already if e.id not in visible_before]
    missing = sorted(wanted - {e.id for e in found} - {e.id for e in hidden})
    if missing:
        errors["experience_ids"] = [
            _(
                "Erfarenhet %(ids)s finns inte bland dem du får läsa.",
                ids=", ".join(map(str, missing)),
            )
        ]
    return [*found, *hidden]


def _cited_deviations(user: User, ids: list[int], errors: dict[str, list[str]]) -> list[Deviation]:
    wanted = set(ids)
    found = db.session.scalars(
        select(Deviation).where(
            Deviation.id.in_({number for number in wanted if number <= MAX_ID}),
            Deviation.organisation_id.in_(network_organisation_ids(user)),
        )
    ).all()
    missing = sorted(wanted - {deviation.id for deviation in found})
    if missing:
        errors["deviation_ids"] = [
            _(
                "Avvikelse %(ids)s finns inte bland dem du får läsa.",
                ids=", ".join(map(str, missing)),
            )
        ]
    return list(found)


def privacy_report(data: FollowUpInput) -> PrivacyReport:
    return check_fields(
        {name: (_(label), getattr(data, name)) for name, label in TEXT_LABELS.items()}
    )


def _apply(followup: FollowUp, data: FollowUpInput) -> None:
    followup.title = data.title.strip()
    followup.kind = FollowUpKind(data.kind)
    followup.scope = FollowUpScope(data.scope)
    for column in SCOPE_COLUMNS.values():
        setattr(followup, column, None)
    setattr(followup, SCOPE_OBJECT_FIELDS[str(data.scope)], data.object_id)
    followup.methods = [m.value for m in FollowUpMethod if m.value in set(data.methods)]
    followup.period_start, followup.period_end = data.period_start, data.period_end
    followup.summary_md = data.summary_md.strip()
    followup.summary_html = render_markdown(followup.summary_md)
    followup.result = FollowUpResult(data.result) if data.result else None
    followup.actions_taken = data.actions_taken.strip()


def save_followup(
    user: User,
    data: FollowUpInput,
    *,
    privacy_confirmed: bool,
    followup: FollowUp | None = None,
) -> FollowUp:
    """Create or update; raise FollowUpInvalid or PrivacyWarningsNeedConfirmation."""
    errors = {**_field_errors(data), **_scope_errors(user, data)}
    experiences = _cited_experiences(
        user, data.experience_ids, followup.cited_experiences if followup else [], errors
    )
    deviations = _cited_deviations(user, data.deviation_ids, errors)
    report = privacy_report(data)
    for issue in report.errors:
        errors.setdefault(issue.field, []).append(issue.message())
    if errors:
        raise FollowUpInvalid(errors)
    if report.warnings and not privacy_confirmed:
        raise PrivacyWarningsNeedConfirmation(report)
    if followup is None:
        followup = FollowUp(organisation_id=user.organisation_id, author_id=user.id)
        db.session.add(followup)
    _apply(followup, data)
    followup.cited_experiences = experiences
    followup.cited_deviations = deviations
    db.session.flush()
    return followup


def may_edit(user: User, followup: FollowUp) -> bool:
    """Coordinators and curators edit their own organisation's follow-ups."""
    return may_write(user) and followup.organisation_id == user.organisation_id
