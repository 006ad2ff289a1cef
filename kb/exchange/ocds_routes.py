"""OCDS on the JSON API: a tender round's release package and the local extension's files.

Registered on the API blueprint (kb.api.routes imports this module), so the API's token
authentication applies: every user with a valid token may read them, whatever their role or
organisation, because a package holds only public-procurement data, published findings and
suppressed aggregates, the same for every reader. Without a valid token: 401.
"""

from __future__ import annotations

from flask import Response, abort, current_app, jsonify, request

from config import BASE_DIR
from kb.api.blueprint import bp
from kb.api.openapi import ERROR_RESPONSE, add_path
from kb.catalogue.filters import MAX_ID
from kb.exchange.ocds import release_package, settings_for
from kb.extensions import db
from kb.tenders.models import TenderRound

EXTENSION_DIR = BASE_DIR / "docs" / "ocds-extension"
EXTENSION_FILES = ("extension.json", "release-schema.json")


@bp.get("/ocds/tender-rounds/<int:round_id>")
def ocds_tender_round(round_id: int) -> Response:
    """The OCDS 1.1 release package of one tender round."""
    tender_round = db.session.get(TenderRound, round_id) if round_id <= MAX_ID else None
    if tender_round is None:
        abort(404)
    settings = settings_for(current_app, request.host_url)
    return jsonify(release_package([tender_round], settings, settings.round_uri(round_id)))


@bp.get("/ocds/extension/<name>")
def ocds_extension_file(name: str) -> Response:
    """The local extension's extension.json and release-schema.json."""
    if name not in EXTENSION_FILES:
        abort(404)
    return Response((EXTENSION_DIR / name).read_bytes(), mimetype="application/json")


def _operation(summary: str, parameter: dict, description: str) -> dict:
    found = {"application/json": {"schema": {"type": "object"}}}
    return {
        "get": {
            "summary": summary,
            "description": description,
            "tags": ["OCDS"],
            "parameters": [{"in": "path", "required": True, **parameter}],
            "responses": {
                "200": {"description": "Found.", "content": found},
                "401": {**ERROR_RESPONSE, "description": "No valid token."},
                "404": {**ERROR_RESPONSE, "description": "No such round or file (not_found)."},
                "default": ERROR_RESPONSE,
            },
        }
    }


add_path(
    "/api/v1/ocds/tender-rounds/{round_id}",
    _operation(
        "OCDS 1.1 release package of a tender round",
        {"name": "round_id", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}},
        "One release: parties, tender with lots and CPV items, awards, contracts with status "
        "and follow-up milestones, and the local extension 'kunskapsbanken' (published "
        "findings, requirement changes, experience aggregates with small groups suppressed). "
        "Every valid token may read it.",
    ),
)
add_path(
    "/api/v1/ocds/extension/{name}",
    _operation(
        "The local OCDS extension's extension.json and release-schema.json",
        {"name": "name", "schema": {"type": "string", "enum": list(EXTENSION_FILES)}},
        "The files of the extension every package lists in 'extensions'.",
    ),
)
