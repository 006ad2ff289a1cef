"""OCDS on the JSON API: a tender round's release package and the local extension's files.

Registered on the API blueprint (kb.api.routes imports this module), so the API's token
authentication applies; without a valid token: 401. A round's package is for every user, of
any role, in the round's network (its lead organisation, the lead's intermediary and its
members, and the participants), as the published findings and the experience aggregates it
carries are in the UI; anyone else gets 404. The package is the same for every reader in the
network. The extension's files are for every token.
"""

from __future__ import annotations

from flask import Response, abort, current_app, jsonify, request
from flask_login import current_user

from config import BASE_DIR
from kb.api.blueprint import bp
from kb.api.openapi import ERROR_RESPONSE, add_path
from kb.catalogue.filters import MAX_ID
from kb.exchange.ocds import release_package, settings_for
from kb.exchange.ocds_extension import round_network
from kb.experiences.visibility import network_organisation_ids
from kb.extensions import db
from kb.tenders.models import TenderRound

EXTENSION_DIR = BASE_DIR / "docs" / "ocds-extension"
EXTENSION_FILES = ("extension.json", "release-schema.json")


@bp.get("/ocds/tender-rounds/<int:round_id>")
def ocds_tender_round(round_id: int) -> Response:
    """The OCDS 1.1 release package of one tender round."""
    tender_round = db.session.get(TenderRound, round_id) if round_id <= MAX_ID else None
    if tender_round is None or not _in_network(tender_round):
        abort(404)
    settings = settings_for(current_app, request.host_url)
    return jsonify(release_package([tender_round], settings, settings.round_uri(round_id)))


def _in_network(tender_round: TenderRound) -> bool:
    return bool(set(network_organisation_ids(current_user)) & round_network(tender_round))


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
        "For users in the round's network (lead organisation, its intermediary and members, "
        "participants); 404 for others.",
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
