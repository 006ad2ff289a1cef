"""The OpenAPI 3.1 document at /api/v1/openapi.json, written by hand next to the routes.

Another package that adds a route to the API blueprint describes it with :func:`add_path`
when its module is imported, e.g. kb.exchange.ocds_routes::

    from kb.api.openapi import add_path
    add_path("/api/v1/ocds/tender-rounds/{round_id}", {"get": {...}})

A test asserts that the document and the app's /api/v1 routes name the same paths and methods.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from kb.api.blueprint import bp
from kb.api.openapi_schemas import SCHEMAS, Schema, ref
from kb.api.params import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE
from kb.catalogue.filters import MAX_ID
from kb.experiences.models import ExperienceStatus
from kb.findings.models import FindingStatus, ProposedChange
from kb.requirements.models import RequirementKind, RequirementLevel
from kb.search.backend import FACETS
from kb.search.service import MAX_PAGE as SEARCH_MAX_PAGE
from kb.suppliers.models import PermitStatus
from kb.tenders.models import ContractStatus, TenderRoundStatus
from kb.themes import Theme

EXTRA_PATHS: dict[str, dict[str, Any]] = {}


def add_path(path: str, item: dict[str, Any]) -> None:
    """Describe a route another package adds to the API blueprint (OpenAPI path item)."""
    EXTRA_PATHS[path] = {**EXTRA_PATHS.get(path, {}), **item}


def _query(name: str, schema: Schema, description: str = "") -> dict:
    parameter = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        parameter["description"] = description
    return parameter


def _id_in_path(name: str) -> dict:
    schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _enum(enum_class: Any) -> Schema:
    return {"type": "string", "enum": [member.value for member in enum_class]}


ID_FILTER: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
PAGING = [
    _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
    _query(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
    ),
]
ERROR_RESPONSE = {
    "description": "Error, as JSON with a stable code and a Swedish message.",
    "content": {"application/json": {"schema": ref("Error")}},
}
STANDARD_ERRORS = {
    "400": "Invalid parameter or malformed JSON (invalid_parameter, unknown_parameter, "
    "malformed_json).",
    "401": "No valid token (token_missing, token_invalid, token_expired, token_revoked, "
    "user_inactive).",
    "403": "Not allowed (insufficient_scope, forbidden_role, not_author).",
    "404": "Not found, or not visible to the user (not_found).",
}


def _errors(*statuses: str) -> dict:
    return {
        status: {**ERROR_RESPONSE, "description": STANDARD_ERRORS.get(status, "Error.")}
        for status in statuses
    } | {"default": ERROR_RESPONSE}


def _json(schema: Schema, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _list_of(item: str) -> Schema:
    return {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": ref(item)},
            "next": {
                "type": ["string", "null"],
                "format": "uri",
                "description": "Absolute URL of the next page, or null on the last page.",
            },
        },
        "required": ["items", "next"],
    }


def _list_operation(summary: str, item: str, filters: list[dict], tag: str) -> dict:
    return {
        "get": {
            "summary": summary,
            "tags": [tag],
            "parameters": [*filters, *PAGING],
            "responses": {"200": _json(_list_of(item), "One page.")} | _errors("400", "401"),
        }
    }


def _detail_operation(summary: str, item: str, parameter: str, tag: str) -> dict:
    return {
        "get": {
            "summary": summary,
            "tags": [tag],
            "parameters": [_id_in_path(parameter)],
            "responses": {"200": _json(ref(item), "Found.")} | _errors("401", "404"),
        }
    }


CATALOGUE_FILTERS = [
    _query("area_id", ID_FILTER, "Only units (of suppliers) serving this agreement area."),
    _query("county", {"type": "string", "maxLength": 100}, "Only units (of suppliers) in it."),
    _query("permit_status", _enum(PermitStatus)),
    _query("contract_status", _enum(ContractStatus), "With a contract in this status."),
]


def _read_paths() -> dict[str, dict]:
    register, knowledge = "Register", "Knowledge"
    return {
        "/api/v1/agreement-areas": _list_operation(
            "Agreement areas", "AgreementArea", [], register
        ),
        "/api/v1/agreement-areas/{area_id}": _detail_operation(
            "One agreement area", "AgreementAreaDetail", "area_id", register
        ),
        "/api/v1/suppliers": _list_operation("Suppliers", "Supplier", CATALOGUE_FILTERS, register),
        "/api/v1/suppliers/{supplier_id}": _detail_operation(
            "One supplier", "SupplierDetail", "supplier_id", register
        ),
        "/api/v1/units": _list_operation(
            "Units (never an address)", "Unit", CATALOGUE_FILTERS, register
        ),
        "/api/v1/units/{unit_id}": _detail_operation(
            "One unit; address null when protected", "UnitDetail", "unit_id", register
        ),
        "/api/v1/tender-rounds": _list_operation(
            "Tender rounds",
            "TenderRound",
            [_query("area_id", ID_FILTER), _query("status", _enum(TenderRoundStatus))],
            register,
        ),
        "/api/v1/tender-rounds/{round_id}": _detail_operation(
            "One tender round", "TenderRound", "round_id", register
        ),
        "/api/v1/contracts": _list_operation(
            "Contracts",
            "Contract",
            [
                _query("tender_round_id", ID_FILTER),
                _query("supplier_id", ID_FILTER),
                _query("unit_id", ID_FILTER),
                _query("status", _enum(ContractStatus)),
            ],
            register,
        ),
        "/api/v1/contracts/{contract_id}": _detail_operation(
            "One contract", "Contract", "contract_id", register
        ),
        "/api/v1/findings": _list_operation(
            "Findings the user may see",
            "Finding",
            [
                _query("status", _enum(FindingStatus)),
                _query("area_id", ID_FILTER),
                _query("theme", _enum(Theme)),
                _query("proposed_change", _enum(ProposedChange)),
            ],
            knowledge,
        ),
        "/api/v1/findings/{finding_id}": _detail_operation(
            "One finding, with the evidence the user may read",
            "FindingDetail",
            "finding_id",
            knowledge,
        ),
        "/api/v1/requirements": _list_operation(
            "The requirement library",
            "Requirement",
            [
                _query("q", {"type": "string", "maxLength": 200}, "Words to search for."),
                _query("area_id", ID_FILTER),
                _query("kind", _enum(RequirementKind)),
                _query("level", _enum(RequirementLevel)),
                _query("include_retired", {"type": "boolean"}),
            ],
            knowledge,
        ),
        "/api/v1/requirements/{requirement_id}": _detail_operation(
            "One requirement with its versions", "RequirementDetail", "requirement_id", knowledge
        ),
    }


def _search_path() -> dict:
    facet_parameters = [
        _query(name, {"type": "string", "maxLength": 100}, f"Facet filter on {name}.")
        for name in FACETS
    ]
    page = _query("page", {"type": "integer", "minimum": 1, "maximum": SEARCH_MAX_PAGE})
    result = _list_of("SearchResult")
    result["properties"] |= {
        "total": {"type": "integer"},
        "facets": {
            "type": "object",
            "additionalProperties": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"value": {"type": "string"}, "count": {"type": "integer"}},
                    "required": ["value", "count"],
                },
            },
        },
        "unavailable": {"type": "boolean", "description": "The search index did not answer."},
    }
    result["required"] += ["total", "facets", "unavailable"]
    return {
        "get": {
            "summary": "Search, with the same syntax, facets and permissions as the UI",
            "tags": ["Knowledge"],
            "parameters": [
                _query("q", {"type": "string", "maxLength": 1000}, 'Words, "phrases", -not, OR.'),
                _query("order", {"type": "string", "enum": ["relevance", "date"]}),
                *facet_parameters,
                page,
                PAGING[1],
            ],
            "responses": {"200": _json(result, "One page of results.")} | _errors("400", "401"),
        }
    }


def _experience_paths() -> dict[str, dict]:
    tag = "Experiences"
    body = {"required": True, "content": {"application/json": {"schema": ref("ExperienceWrite")}}}
    write_errors = _errors("400", "401", "403", "404", "409", "413", "415", "422")
    update = {
        "tags": [tag],
        "parameters": [_id_in_path("experience_id")],
        "requestBody": body,
        "responses": {"200": _json(ref("Experience"), "Saved.")} | write_errors,
    }
    return {
        "/api/v1/experiences": {
            **_list_operation(
                "Experiences the user may read",
                "Experience",
                [
                    _query("status", _enum(ExperienceStatus)),
                    _query("unit_id", ID_FILTER),
                    _query("agreement_area_id", ID_FILTER),
                    _query("mine", {"type": "boolean"}, "Only the user's own."),
                ],
                tag,
            ),
            "post": {
                "summary": "Log an experience (caseworkers; write scope)",
                "tags": [tag],
                "requestBody": body,
                "responses": {
                    "201": _json(ref("Experience"), "Created."),
                    "200": _json(ref("Experience"), "Already saved under this submission_key."),
                }
                | write_errors,
            },
        },
        "/api/v1/experiences/{experience_id}": {
            **_detail_operation("One experience", "Experience", "experience_id", tag),
            "put": {**update, "summary": "Replace an experience (its author; write scope)"},
            "patch": {**update, "summary": "Change some fields (its author; write scope)"},
        },
    }


def document() -> dict[str, Any]:
    paths = {**_read_paths(), "/api/v1/search": _search_path(), **_experience_paths()}
    paths["/api/v1/openapi.json"] = {
        "get": {
            "summary": "This document",
            "tags": ["Meta"],
            "security": [],
            "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1.")},
        }
    }
    for path, item in EXTRA_PATHS.items():
        paths[path] = {**paths.get(path, {}), **item}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Kunskapsbanken API",
            "version": "1.0.0",
            "description": (
                "Read the register and the knowledge, and submit placement experiences. "
                "Authenticate with a personal token: Authorization: Bearer <token>. Every list "
                'answers {"items": [...], "next": <url or null>}; errors answer '
                '{"error": {"code", "message", "details"}}.'
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "kb_…"}
            },
        },
    }


@bp.get("/openapi.json")
def openapi_document() -> Response:
    return jsonify(document())
