"""Query parameters and pagination for the API: strict, so a wrong value is a 400, not a guess.

Every list takes ``page`` (1–100 000) and ``per_page`` (1–100, default 20) and answers
``{"items": [...], "next": <absolute URL of the next page or null>}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Any, TypeVar

from flask import request, url_for
from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from kb.api.errors import ApiError
from kb.catalogue.filters import MAX_ID
from kb.extensions import db

MAX_PAGE = 100_000
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_TEXT = 200
PAGING = ("page", "per_page")

E = TypeVar("E", bound=Enum)
M = TypeVar("M")


def _bad(name: str, message: str) -> ApiError:
    return ApiError(400, "invalid_parameter", message, {"parameter": name})


def check_known(*names: str) -> None:
    """Refuse query parameters the endpoint does not know, so a typo is not silently ignored."""
    unknown = sorted(set(request.args) - set(names) - set(PAGING))
    if unknown:
        raise ApiError(
            400,
            "unknown_parameter",
            _("Okänd parameter: %(names)s.", names=", ".join(unknown)),
            {"parameters": unknown},
        )
    for name in request.args:
        if len(request.args.getlist(name)) > 1:
            raise _bad(name, _("Parametern %(name)s får bara anges en gång.", name=name))


def int_arg(name: str, maximum: int = MAX_ID, default: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        raise _bad(name, _("%(name)s ska vara ett heltal från 1.", name=name))
    number = int(text)
    if not 1 <= number <= maximum:
        raise _bad(
            name, _("%(name)s ska vara ett heltal från 1 till %(max)d.", name=name, max=maximum)
        )
    return number


def text_arg(name: str, max_length: int = MAX_TEXT) -> str | None:
    """Stripped text without control characters (as the UI's filters), or None when empty."""
    raw = request.args.get(name)
    if raw is None:
        return None
    if len(raw) > max_length:
        raise _bad(
            name, _("%(name)s ska vara en text med högst %(n)d tecken.", name=name, n=max_length)
        )
    text = " ".join("".join(ch for ch in raw if ch.isprintable() or ch.isspace()).split())
    return text or None


def choice_arg(name: str, enum_class: type[E]) -> E | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        return enum_class(raw)
    except ValueError:
        allowed = [member.value for member in enum_class]
        raise _bad(
            name, _("%(name)s ska vara ett av: %(values)s.", name=name, values=", ".join(allowed))
        ) from None


def bool_arg(name: str) -> bool:
    raw = request.args.get(name)
    if raw is None or raw == "false":
        return False
    if raw == "true":
        return True
    raise _bad(name, _("%(name)s ska vara true eller false.", name=name))


def paging() -> tuple[int, int]:
    page = int_arg("page", MAX_PAGE, 1) or 1
    per_page = int_arg("per_page", MAX_PER_PAGE, DEFAULT_PER_PAGE) or DEFAULT_PER_PAGE
    return page, per_page


def next_url(has_next: bool, page: int) -> str | None:
    if not has_next:
        return None
    args: dict[str, Any] = request.args.to_dict()
    args["page"] = page + 1
    return url_for(request.endpoint or "", _external=True, **(request.view_args or {}), **args)


def listing(items: Iterable[dict], has_next: bool, page: int) -> dict:
    return {"items": list(items), "next": next_url(has_next, page)}


def page_of(statement: Select, page: int, per_page: int) -> tuple[list, bool]:
    """One page of rows from an ordered statement, and whether another page follows."""
    rows = list(db.session.scalars(statement.offset((page - 1) * per_page).limit(per_page + 1)))
    return rows[:per_page], len(rows) > per_page


def count(statement: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0


def clamped_rows(rows: Sequence[M], number: int, page: int) -> list[M]:
    """Rows of a UI page query, which clamps to the last page: past the end there are none."""
    return list(rows) if number == page else []


def get_or_404(model: type[M], ident: int) -> M:
    found = db.session.get(model, ident) if ident <= MAX_ID else None
    if found is None:
        raise ApiError(404, "not_found")
    return found
