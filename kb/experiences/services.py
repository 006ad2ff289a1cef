"""Saving experiences. Services take plain values, flush, and never commit."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from kb.auth.models import User
from kb.experiences.models import (
    Experience,
    ExperienceRating,
    ExperienceStatus,
)
from kb.experiences.validation import (
    NARRATIVE_FIELDS,
    ExperienceInput,
    ExperienceInvalid,
    validate,
)
from kb.extensions import db
from kb.markdown import render_markdown
from kb.privacy.guard import PrivacyReport, check_fields
from kb.themes import Theme


class PrivacyWarningsNeedConfirmation(ValueError):  # noqa: N818
    """Only warnings were found; the user must confirm before saving."""

    def __init__(self, report: PrivacyReport) -> None:
        super().__init__(report)
        self.report = report


NARRATIVE_LABELS = {
    "worked_md": "Vad fungerade",
    "not_worked_md": "Vad fungerade inte",
    "advice_md": "Råd till nästa placering",
}


def privacy_report(data: ExperienceInput) -> PrivacyReport:
    return check_fields(
        {name: (_(label), getattr(data, name)) for name, label in NARRATIVE_LABELS.items()}
    )


def find_by_submission_key(author: User, key: str | None) -> Experience | None:
    if not key:
        return None
    return db.session.scalar(
        select(Experience).where(
            Experience.submission_key == key, Experience.author_id == author.id
        )
    )


def apply_input(experience: Experience, data: ExperienceInput) -> None:
    """Copy the input onto the experience, rendering its Markdown once (also for imports)."""
    experience.unit_id = data.unit_id
    experience.agreement_area_id = data.agreement_area_id
    experience.contract_id = None if data.off_contract else data.contract_id
    experience.off_contract = data.off_contract
    experience.off_contract_reason = data.off_contract_reason if data.off_contract else None
    for name in (
        "placement_kind",
        "legal_basis",
        "age_band",
        "end_reason",
        "goal_attainment",
        "daily_price",
        "extra_cost_claims",
        "invoicing_problems",
        "would_place_again",
    ):
        setattr(experience, name, getattr(data, name))
    experience.start_year, experience.start_month = (
        (data.start.year, data.start.month) if data.start else (None, None)
    )
    experience.end_year, experience.end_month = (
        (data.end.year, data.end.month) if data.end else (None, None)
    )
    for name in NARRATIVE_FIELDS:
        text = getattr(data, name).strip()
        setattr(experience, name, text)
        setattr(experience, name.replace("_md", "_html"), render_markdown(text))
    _apply_ratings(experience, data.ratings)


def _apply_ratings(experience: Experience, ratings: dict[Theme, int | None]) -> None:
    existing = {rating.theme: rating for rating in experience.ratings}
    for theme, value in ratings.items():
        if theme in existing:
            existing[theme].rating = value
        else:
            experience.ratings.append(ExperienceRating(theme=theme, rating=value))
    experience.ratings = [r for r in experience.ratings if r.theme in ratings]


def save_experience(
    author: User,
    data: ExperienceInput,
    *,
    submit: bool,
    privacy_confirmed: bool,
    now: datetime,
    experience: Experience | None = None,
) -> Experience:
    """Create or update; raise ExperienceInvalid or PrivacyWarningsNeedConfirmation."""
    if experience is None:
        duplicate = find_by_submission_key(author, data.submission_key)
        if duplicate is not None:
            return duplicate
    errors = validate(data, submit, author.organisation)
    report = privacy_report(data)
    for issue in report.errors:
        errors.setdefault(issue.field, []).append(issue.message())
    if errors:
        raise ExperienceInvalid(errors)
    if report.warnings and not privacy_confirmed:
        raise PrivacyWarningsNeedConfirmation(report)
    if experience is None:
        experience = Experience(
            organisation_id=author.organisation_id,
            author_id=author.id,
            submission_key=data.submission_key,
            status=ExperienceStatus.DRAFT,
        )
        db.session.add(experience)
    apply_input(experience, data)
    if submit and experience.status != ExperienceStatus.SUBMITTED:
        experience.status = ExperienceStatus.SUBMITTED
        experience.submitted_at = now
    db.session.flush()
    return experience
