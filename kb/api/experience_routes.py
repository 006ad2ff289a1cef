"""Experiences: read what the UI lets the user read; create and update as the form does.

- GET list and detail: kb.experiences.visibility.readable_by / can_read (others get 404);
- POST: caseworkers (as /erfarenheter/ny), saved by kb.experiences.services.save_experience
  with the form's validation, the privacy guard, Markdown sanitising and idempotency by
  submission_key (a repeated POST with the same key answers 200 with the saved experience);
- PUT (replace every field) and PATCH (change the given fields): the author only, as
  /erfarenheter/<id>/redigera. A submitted experience stays submitted.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from kb.api.auth import require_roles
from kb.api.blueprint import bp
from kb.api.errors import ApiError
from kb.api.experience_input import (
    FieldProblems,
    input_from_experience,
    json_object,
    merged,
    read_confirmation,
    read_fields,
    read_key,
    read_status,
)
from kb.api.params import (
    bool_arg,
    check_known,
    choice_arg,
    get_or_404,
    int_arg,
    listing,
    page_of,
    paging,
)
from kb.api.serializers import experience_item
from kb.auth.models import Role
from kb.database import utcnow
from kb.experiences.models import Experience, ExperienceStatus
from kb.experiences.services import (
    ExperienceInvalid,
    PrivacyWarningsNeedConfirmation,
    find_by_submission_key,
    privacy_report,
    save_experience,
)
from kb.experiences.validation import ExperienceInput, is_foreign_contract
from kb.experiences.visibility import can_edit, can_read, readable_by
from kb.extensions import db

WRITER_ROLES = (Role.CASEWORKER,)


@bp.get("/experiences")
def experiences() -> dict:
    check_known("status", "unit_id", "agreement_area_id", "mine")
    status = choice_arg("status", ExperienceStatus)
    unit_id, area_id, mine = int_arg("unit_id"), int_arg("agreement_area_id"), bool_arg("mine")
    page, per_page = paging()
    statement = (
        select(Experience)
        .where(readable_by(current_user))
        .options(
            selectinload(Experience.unit),
            selectinload(Experience.agreement_area),
            selectinload(Experience.organisation),
        )
        .order_by(Experience.id.desc())
    )
    if status is not None:
        statement = statement.where(Experience.status == status)
    if unit_id is not None:
        statement = statement.where(Experience.unit_id == unit_id)
    if area_id is not None:
        statement = statement.where(Experience.agreement_area_id == area_id)
    if mine:
        statement = statement.where(Experience.author_id == current_user.id)
    rows, has_next = page_of(statement, page, per_page)
    return listing((experience_item(e, current_user.id) for e in rows), has_next, page)


def _readable_or_404(experience_id: int) -> Experience:
    experience = get_or_404(Experience, experience_id)
    if not can_read(current_user, experience):
        raise ApiError(404, "not_found")
    return experience


@bp.get("/experiences/<int:experience_id>")
def experience(experience_id: int) -> dict:
    return experience_item(_readable_or_404(experience_id), current_user.id)


@bp.post("/experiences")
def create_experience() -> tuple[Response, int] | Response:
    require_roles(*WRITER_ROLES)
    body = json_object()
    key, status, confirmed, values = _read(body)
    duplicate = find_by_submission_key(current_user, key)
    if duplicate is not None:  # the same submission again: answer with what was saved
        return jsonify(experience_item(duplicate, current_user.id)), 200
    data = merged(ExperienceInput(), {**values, "submission_key": key})
    saved = _save(data, status == ExperienceStatus.SUBMITTED, confirmed, None)
    response = jsonify(experience_item(saved, current_user.id))
    response.headers["Location"] = url_for("api.experience", experience_id=saved.id, _external=True)
    return response, 201


@bp.route("/experiences/<int:experience_id>", methods=["PUT", "PATCH"])
def update_experience(experience_id: int) -> dict:
    require_roles(*WRITER_ROLES)
    existing = _readable_or_404(experience_id)
    if not can_edit(current_user, existing):
        raise ApiError(403, "not_author", _("Bara den som skrev erfarenheten kan ändra den."))
    body = json_object()
    key, status, confirmed, values = _read(body)
    if key is not None and key != existing.submission_key:
        raise _problems("submission_key", _("Nyckeln kan inte ändras."))
    submitted = existing.status == ExperienceStatus.SUBMITTED
    if submitted and status == ExperienceStatus.DRAFT:
        raise _problems("status", _("En inskickad erfarenhet kan inte bli ett utkast igen."))
    base = input_from_experience(existing)
    if request.method == "PUT":
        base = ExperienceInput(submission_key=existing.submission_key)
    submit = submitted or status == ExperienceStatus.SUBMITTED
    saved = _save(merged(base, values), submit, confirmed, existing)
    return experience_item(saved, current_user.id)


# Read by the auditor's report (kb.audit.report_matrix), like require_role's attribute.
for _writer_view in (create_experience, update_experience):
    _writer_view.required_roles = WRITER_ROLES  # type: ignore[attr-defined]


def _problems(field: str, message: str) -> ApiError:
    return ApiError(
        422,
        "validation_failed",
        details=[{"field": field, "code": "invalid_value", "message": message}],
    )


def _read(body: dict[str, Any]) -> tuple[str | None, ExperienceStatus | None, bool, dict]:
    try:
        return read_key(body), read_status(body), read_confirmation(body), read_fields(body)
    except FieldProblems as problems:
        raise ApiError(422, "validation_failed", details=problems.problems) from None


def _save(
    data: ExperienceInput, submit: bool, confirmed: bool, experience: Experience | None
) -> Experience:
    """Save through the form's service and commit once; rule breaks become 422, a key clash 409,
    and a contract of another network (which no form offers) 404."""
    kept = experience is not None and data.contract_id == experience.contract_id
    if not kept and is_foreign_contract(current_user.organisation, data.contract_id):
        raise ApiError(
            404, "not_found", _("Avtalet finns inte bland de avtal din organisation använder.")
        )
    try:
        saved = save_experience(
            current_user,
            data,
            submit=submit,
            privacy_confirmed=confirmed,
            now=utcnow(),
            experience=experience,
        )
        db.session.commit()
        return saved
    except ExperienceInvalid as invalid:
        db.session.rollback()
        raise _invalid(data, invalid.errors) from None
    except PrivacyWarningsNeedConfirmation as needs:
        db.session.rollback()
        raise ApiError(
            422,
            "privacy_confirmation_required",
            _(
                "Texten innehåller uppgifter som kan peka ut en person. Kontrollera dem och "
                'skicka igen med "privacy_confirmed": true om de kan stå kvar.'
            ),
            [
                {"field": w.field, "code": "privacy_warning", "message": w.message()}
                for w in needs.report.warnings
            ],
        ) from None
    except IntegrityError:
        db.session.rollback()
        duplicate = find_by_submission_key(current_user, data.submission_key)
        if experience is None and duplicate is not None:  # a double submit raced us
            return duplicate
        raise ApiError(
            409, "submission_key_conflict", _("Nyckeln (submission_key) används redan.")
        ) from None


def _invalid(data: ExperienceInput, errors: dict[str, list[str]]) -> ApiError:
    privacy_messages = {issue.message() for issue in privacy_report(data).errors}
    details = [
        {
            "field": field,
            "code": "personal_identity_number" if message in privacy_messages else "invalid_value",
            "message": message,
        }
        for field, messages in errors.items()
        for message in messages
    ]
    code = (
        "personal_identity_number"
        if any(d["code"] == "personal_identity_number" for d in details)
        else "validation_failed"
    )
    message = None
    if code == "personal_identity_number":
        message = _(
            "Texten innehåller något som ser ut som ett personnummer eller samordningsnummer. "
            "Ta bort det – Kunskapsbanken får inte innehålla sådana."
        )
    return ApiError(422, code, message, details)
