"""Read an experience from a JSON body into the service's ExperienceInput, type by type.

Only types and formats are checked here; every rule the form enforces is checked by the same
service (kb.experiences.services.save_experience), including the privacy guard.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from decimal import Decimal
from enum import Enum
from typing import Any

from flask import request
from flask_babel import gettext as _

from kb.api.errors import ApiError
from kb.catalogue.filters import MAX_ID
from kb.experiences.models import (
    AgeBand,
    EndReason,
    Experience,
    ExperienceStatus,
    LegalBasis,
    OffContractReason,
    PlacementKind,
    WouldPlaceAgain,
)
from kb.experiences.periods import YearMonth, from_columns
from kb.experiences.validation import MAX_NARRATIVE_LENGTH, ExperienceInput
from kb.themes import Theme

MAX_KEY_LENGTH = 36
ENUM_FIELDS: dict[str, type[Enum]] = {
    "off_contract_reason": OffContractReason,
    "placement_kind": PlacementKind,
    "legal_basis": LegalBasis,
    "age_band": AgeBand,
    "end_reason": EndReason,
    "would_place_again": WouldPlaceAgain,
}
ID_FIELDS = ("unit_id", "agreement_area_id", "contract_id")
BOOL_FIELDS = ("off_contract", "extra_cost_claims", "invoicing_problems")
TEXT_FIELDS = ("worked_md", "not_worked_md", "advice_md")
CONTROL_FIELDS = ("status", "privacy_confirmed", "submission_key")
FIELDS = (
    *ID_FIELDS,
    *BOOL_FIELDS,
    *ENUM_FIELDS,
    *TEXT_FIELDS,
    *CONTROL_FIELDS,
    "start",
    "end",
    "goal_attainment",
    "daily_price",
    "ratings",
)


class FieldProblems(ValueError):  # noqa: N818
    """Type and format problems, as [{"field", "code", "message"}]."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__(problems)
        self.problems = problems


def json_object() -> dict[str, Any]:
    """The request body as a JSON object: 415 if it is not JSON, 400 if it does not parse."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type")
    raw = request.get_data(cache=True)

    def refuse_constant(name: str) -> None:
        raise ValueError(name)

    try:
        body = json.loads(raw, parse_constant=refuse_constant) if raw else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "malformed_json", _("Innehållet är inte giltig JSON.")) from None
    if not isinstance(body, dict):
        raise ApiError(400, "malformed_json", _("Innehållet ska vara ett JSON-objekt."))
    return body


def _problem(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": message}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _id(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if not _is_int(value) or not 1 <= value <= MAX_ID:
        raise ValueError(_("Ange ett id (ett heltal från 1) eller null."))
    return value


def _bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(_("Ange true eller false."))
    return value


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(_("Ange en text."))
    if "\x00" in value:
        raise ValueError(_("Texten innehåller ett otillåtet tecken (NUL)."))
    if len(value) > MAX_NARRATIVE_LENGTH:
        raise ValueError(
            _(
                "Texten är för lång: högst %(n)s tecken.",
                n=f"{MAX_NARRATIVE_LENGTH:,}".replace(",", " "),
            )
        )
    return value


def _month(name: str, value: Any) -> YearMonth | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(_("Ange år och månad som ÅÅÅÅ-MM, eller null."))
    try:
        return YearMonth.parse(value)
    except ValueError:
        raise ValueError(_("Skriv år och månad som ÅÅÅÅ-MM, till exempel 2024-03.")) from None


def _goal(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if not _is_int(value):
        raise ValueError(_("Måluppfyllelsen ska vara 1–4 eller null."))
    return value


def _price(name: str, value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(_("Ange dygnspriset i kronor som ett tal, eller null."))
    return Decimal(str(value))


def _ratings(name: str, value: Any) -> dict[Theme, int | None]:
    if not isinstance(value, dict):
        raise ValueError(_("Ange betygen som ett objekt: tema → 1–5 eller null (ej aktuellt)."))
    ratings: dict[Theme, int | None] = {}
    for key, rating in value.items():
        try:
            theme = Theme(key)
        except ValueError:
            raise ValueError(_("Okänt tema: %(theme)s.", theme=str(key)[:50])) from None
        if rating is not None and not _is_int(rating):
            raise ValueError(_("Betyget ska vara 1–5 eller null (ej aktuellt)."))
        ratings[theme] = rating
    return ratings


def _enum_reader(enum_class: type[Enum]) -> Callable[[str, Any], Enum | None]:
    def read(name: str, value: Any) -> Enum | None:
        if value is None:
            return None
        try:
            return enum_class(value)
        except (ValueError, TypeError):
            allowed = ", ".join(member.value for member in enum_class)
            raise ValueError(_("Välj ett av: %(values)s.", values=allowed)) from None

    return read


READERS: dict[str, Callable[[str, Any], Any]] = {
    **{name: _id for name in ID_FIELDS},
    **{name: _bool for name in BOOL_FIELDS},
    **{name: _text for name in TEXT_FIELDS},
    **{name: _enum_reader(enum_class) for name, enum_class in ENUM_FIELDS.items()},
    "start": _month,
    "end": _month,
    "goal_attainment": _goal,
    "daily_price": _price,
    "ratings": _ratings,
}


def read_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The body's experience fields as ExperienceInput values; raise FieldProblems."""
    problems = [
        _problem(str(name)[:100], "unknown_field", _("Okänt fält."))
        for name in body
        if name not in FIELDS
    ]
    values: dict[str, Any] = {}
    for name, read in READERS.items():
        if name not in body:
            continue
        try:
            values[name] = read(name, body[name])
        except ValueError as error:
            problems.append(_problem(name, "wrong_type", str(error)))
    if problems:
        raise FieldProblems(problems)
    return values


def read_status(body: dict[str, Any]) -> ExperienceStatus | None:
    if "status" not in body:
        return None
    value = body["status"]
    try:
        return ExperienceStatus(value)
    except (ValueError, TypeError):
        raise FieldProblems(
            [_problem("status", "wrong_type", _("Ange status utkast eller inskickad."))]
        ) from None


def read_key(body: dict[str, Any]) -> str | None:
    if "submission_key" not in body:
        return None
    key = body["submission_key"]
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_LENGTH or "\x00" in key:
        raise FieldProblems(
            [
                _problem(
                    "submission_key",
                    "wrong_type",
                    _(
                        "Ange en nyckel med 1–%(n)d tecken, till exempel ett UUID.",
                        n=MAX_KEY_LENGTH,
                    ),
                )
            ]
        )
    return key


def read_confirmation(body: dict[str, Any]) -> bool:
    value = body.get("privacy_confirmed", False)
    if not isinstance(value, bool):
        raise FieldProblems(
            [_problem("privacy_confirmed", "wrong_type", _("Ange true eller false."))]
        )
    return value


def input_from_experience(experience: Experience) -> ExperienceInput:
    """A stored experience as the input that would save it unchanged (the base of a PATCH)."""
    return ExperienceInput(
        unit_id=experience.unit_id,
        agreement_area_id=experience.agreement_area_id,
        contract_id=experience.contract_id,
        off_contract=experience.off_contract,
        off_contract_reason=experience.off_contract_reason,
        placement_kind=experience.placement_kind,
        legal_basis=experience.legal_basis,
        age_band=experience.age_band,
        start=from_columns(experience.start_year, experience.start_month),
        end=from_columns(experience.end_year, experience.end_month),
        end_reason=experience.end_reason,
        goal_attainment=experience.goal_attainment,
        daily_price=experience.daily_price,
        extra_cost_claims=experience.extra_cost_claims,
        invoicing_problems=experience.invoicing_problems,
        would_place_again=experience.would_place_again,
        ratings={rating.theme: rating.rating for rating in experience.ratings},
        worked_md=experience.worked_md,
        not_worked_md=experience.not_worked_md,
        advice_md=experience.advice_md,
        submission_key=experience.submission_key,
    )


def merged(base: ExperienceInput, values: dict[str, Any]) -> ExperienceInput:
    return dataclasses.replace(base, **values)
