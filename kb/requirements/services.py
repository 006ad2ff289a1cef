"""The requirement library: requirements and their versions. Services flush, never commit.

Each edit creates a new version; a version used in a finalised tender draft is frozen, so what
a published tender said can always be shown exactly as it was.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from kb.auth.models import User
from kb.database import utcnow
from kb.extensions import db
from kb.markdown import render_markdown
from kb.privacy.guard import check_fields
from kb.requirements.models import (
    Requirement,
    RequirementKind,
    RequirementLevel,
    RequirementVersion,
)
from kb.suppliers.models import AgreementArea

MAX_TITLE_LENGTH = 300
MAX_TEXT_LENGTH = 20_000
CODE_PATTERN = re.compile(r"^[A-ZÅÄÖ0-9][A-ZÅÄÖ0-9._-]{0,29}$")
TEXT_LABELS = {
    "title": "Rubrik",
    "text_md": "Kravtext",
    "rationale": "Motiv",
    "verification": "Verifikat",
    "followup_method": "Uppföljningsmetod",
}


class RequirementInvalid(ValueError):  # noqa: N818
    """The requirement breaks a rule; errors maps a form field name to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


class VersionFrozen(RequirementInvalid):
    """The version is used by a finalised tender draft and cannot change."""


@dataclass(frozen=True)
class VersionFields:
    """The content of one requirement version, as plain values; checked here, not trusted."""

    title: str = ""
    text_md: str = ""
    kind: str | None = None
    weight: Decimal | None = None
    level: str | None = RequirementLevel.BASIC.value
    rationale: str = ""
    verification: str = ""
    followup_method: str = ""

    @classmethod
    def of(cls, version: RequirementVersion, **changes: object) -> VersionFields:
        """The fields of an existing version, with some replaced."""
        values = {
            "title": version.title,
            "text_md": version.text_md,
            "kind": version.kind.value,
            "weight": version.weight,
            "level": version.level.value,
            "rationale": version.rationale,
            "verification": version.verification,
            "followup_method": version.followup_method,
        }
        values.update(changes)
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class NewRequirement:
    code: str = ""
    area_ids: list[int] = field(default_factory=list)
    fields: VersionFields = field(default_factory=VersionFields)


def version_errors(data: VersionFields) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not data.title.strip():
        errors["title"] = [_("Ge kravet en rubrik.")]
    elif len(data.title) > MAX_TITLE_LENGTH:
        errors["title"] = [_("Rubriken får vara högst %(n)d tecken.", n=MAX_TITLE_LENGTH)]
    if not data.text_md.strip():
        errors["text_md"] = [_("Skriv kravtexten.")]
    for name in ("text_md", "rationale", "verification", "followup_method"):
        if len(getattr(data, name)) > MAX_TEXT_LENGTH:
            errors[name] = [_("Texten får vara högst %(n)d tecken.", n=MAX_TEXT_LENGTH)]
    if data.kind not in {kind.value for kind in RequirementKind}:
        errors["kind"] = [_("Välj typ av krav.")]
    if data.level not in {level.value for level in RequirementLevel}:
        errors["level"] = [_("Välj nivå: bas, avancerad eller spjutspets.")]
    if data.weight is not None and not (Decimal(0) <= data.weight <= Decimal(100)):
        errors["weight"] = [_("Vikten anges i procent, 0–100.")]
    elif data.kind == RequirementKind.AWARD_CRITERION.value and data.weight is None:
        errors["weight"] = [_("Ett utvärderingskriterium behöver en vikt.")]
    elif data.weight is not None and data.kind != RequirementKind.AWARD_CRITERION.value:
        errors["weight"] = [_("Endast utvärderingskriterier har vikt.")]
    report = check_fields({n: (_(label), getattr(data, n)) for n, label in TEXT_LABELS.items()})
    for issue in report.errors:
        errors.setdefault(issue.field, []).append(issue.message())
    return errors


def _version(data: VersionFields, number: int, user: User | None) -> RequirementVersion:
    text = data.text_md.strip()
    return RequirementVersion(
        number=number,
        title=data.title.strip(),
        text_md=text,
        text_html=render_markdown(text),
        kind=RequirementKind(data.kind),
        weight=data.weight,
        level=RequirementLevel(data.level),
        rationale=data.rationale.strip(),
        verification=data.verification.strip(),
        followup_method=data.followup_method.strip(),
        created_by=user,
    )


def _areas(area_ids: Sequence[int], errors: dict[str, list[str]]) -> list[AgreementArea]:
    """The chosen agreement areas; a missing choice or an unknown id goes into errors."""
    areas = list(db.session.scalars(select(AgreementArea).where(AgreementArea.id.in_(area_ids))))
    if not area_ids:
        errors["area_ids"] = [_("Välj minst ett avtalsområde.")]
    elif len(areas) != len(set(area_ids)):
        errors["area_ids"] = [_("Ett av de valda avtalsområdena finns inte.")]
    return areas


def next_free_code(prefix: str) -> str:
    """The next unused code of the form PREFIX-NN, e.g. HVB-13."""
    codes = db.session.scalars(
        select(Requirement.code).where(Requirement.code.like(f"{prefix}-%"))
    ).all()
    numbers = [int(c.rsplit("-", 1)[1]) for c in codes if c.rsplit("-", 1)[1].isdigit()]
    return f"{prefix}-{max(numbers, default=0) + 1:02d}"


def create_requirement(
    user: User,
    data: NewRequirement,
    *,
    origin_findings: Sequence[object] = (),
    flush: bool = True,
) -> Requirement:
    """Create a requirement with its first version; raise RequirementInvalid."""
    errors = version_errors(data.fields)
    code = data.code.strip().upper()
    if not CODE_PATTERN.match(code):
        errors["code"] = [
            _("Koden får bara innehålla versaler, siffror, punkt och bindestreck, t.ex. HVB-14.")
        ]
    elif db.session.scalar(select(func.count()).where(Requirement.code == code)):
        errors["code"] = [_("Koden %(code)s används redan av ett annat krav.", code=code)]
    for issue in check_fields({"code": (_("Kod"), code)}).errors:
        errors.setdefault("code", []).append(issue.message())
    areas = _areas(data.area_ids, errors)
    if errors:
        raise RequirementInvalid(errors)
    requirement = Requirement(
        code=code, owner_organisation_id=user.organisation_id, agreement_areas=areas
    )
    version = _version(data.fields, 1, user)
    version.origin_findings = list(origin_findings)  # type: ignore[arg-type]
    requirement.versions.append(version)
    db.session.add(requirement)
    if flush:
        db.session.flush()
    return requirement


def add_version(
    user: User | None,
    requirement: Requirement,
    data: VersionFields,
    *,
    origin_findings: Sequence[object] = (),
    flush: bool = True,
) -> RequirementVersion:
    """Append a new version; earlier versions never change. Raise RequirementInvalid.

    A caller adding many versions at once may pass flush=False and flush once at the end."""
    errors = version_errors(data)
    if errors:
        raise RequirementInvalid(errors)
    highest = max((v.number for v in requirement.versions), default=0)
    version = _version(data, highest + 1, user)
    version.origin_findings = list(origin_findings)  # type: ignore[arg-type]
    requirement.versions.append(version)
    if flush:
        db.session.flush()
    return version


def refuse_if_frozen(version: RequirementVersion) -> None:
    if version.is_frozen:
        raise VersionFrozen(
            {
                "text_md": [
                    _(
                        "Version %(number)d av %(code)s är fastställd i ett förfrågningsunderlag "
                        "och kan inte ändras. Dina ändringar sparas som en ny version.",
                        number=version.number,
                        code=version.requirement.code,
                    )
                ]
            }
        )


def freeze(versions: Sequence[RequirementVersion], when: datetime | None = None) -> None:
    when = when or utcnow()
    for version in versions:
        if version.frozen_at is None:
            version.frozen_at = when
    db.session.flush()


class StaleVersion(RequirementInvalid):
    """The edit was made from an older version than the requirement's current one."""

    def __init__(self, errors: dict[str, list[str]], current_number: int) -> None:
        super().__init__(errors)
        self.current_number = current_number


class NothingChanged(ValueError):  # noqa: N818
    """The edit changes nothing, so no version is created."""


def _comparable(data: VersionFields) -> tuple[object, ...]:
    """The fields as they would be stored, to tell whether an edit changes anything."""
    return (
        data.title.strip(),
        data.text_md.strip(),
        data.kind,
        data.weight,
        data.level,
        data.rationale.strip(),
        data.verification.strip(),
        data.followup_method.strip(),
    )


def edit_requirement(
    user: User,
    requirement: Requirement,
    based_on: int | None,
    data: VersionFields,
    area_ids: Sequence[int],
) -> RequirementVersion | None:
    """Save an edit made from version based_on as a new version, and set the areas.

    Earlier versions, frozen or not, never change. Return the new version, or None when only
    the areas changed. Raise StaleVersion, RequirementInvalid or NothingChanged."""
    current = requirement.current_version
    current_number = current.number if current else 0
    errors = version_errors(data)
    areas = _areas(area_ids, errors)
    if based_on != current_number:
        message = _(
            "Kravet har fått en ny version (version %(number)d) sedan du öppnade formuläret, "
            "så ingenting sparades. Jämför med den nya versionen och spara igen om din ändring "
            "fortfarande behövs; det du skrev finns kvar nedan.",
            number=current_number,
        )
        raise StaleVersion({"based_on": [message], **errors}, current_number)
    if errors:
        raise RequirementInvalid(errors)
    text_changed = current is None or _comparable(data) != _comparable(VersionFields.of(current))
    areas_changed = {a.id for a in areas} != {a.id for a in requirement.agreement_areas}
    if not (text_changed or areas_changed):
        raise NothingChanged()
    if areas_changed:
        requirement.agreement_areas = areas
    version = add_version(user, requirement, data) if text_changed else None
    db.session.flush()
    return version


def retire(requirement: Requirement, when: datetime | None = None) -> None:
    """Mark the requirement as no longer offered for new tenders; its history stays."""
    if requirement.retired_at is None:
        requirement.retired_at = when or utcnow()
    db.session.flush()


def restore(requirement: Requirement) -> None:
    """Offer a retired requirement again."""
    requirement.retired_at = None
    db.session.flush()


def code_prefix_for(area_id: int | None) -> str:
    """The prefix most codes in the agreement area use, e.g. HVB; else KRAV."""
    codes: list[str] = []
    if area_id is not None:
        codes = list(
            db.session.scalars(
                select(Requirement.code).where(Requirement.agreement_areas.any(id=area_id))
            )
        )
    prefixes = Counter(code.rsplit("-", 1)[0] for code in codes if "-" in code)
    return prefixes.most_common(1)[0][0] if prefixes else "KRAV"
