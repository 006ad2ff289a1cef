"""JSON Schemas (OpenAPI 3.1) of the API's items, kept next to kb.api.serializers."""

from __future__ import annotations

from typing import Any

from kb.api.experience_input import ENUM_FIELDS, MAX_KEY_LENGTH
from kb.catalogue.filters import MAX_ID
from kb.experiences.models import ExperienceStatus
from kb.experiences.validation import MAX_NARRATIVE_LENGTH
from kb.themes import Theme

Schema = dict[str, Any]

INTEGER: Schema = {"type": "integer"}
ID: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
STRING: Schema = {"type": "string"}
BOOLEAN: Schema = {"type": "boolean"}
NUMBER: Schema = {"type": "number"}


def nullable(schema: Schema) -> Schema:
    if "$ref" in schema:
        return {"oneOf": [schema, {"type": "null"}]}
    return {**schema, "type": [schema["type"], "null"]}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def obj(properties: dict[str, Schema], required: list[str] | None = None) -> Schema:
    """An object whose listed properties are all present (the API always sends every key)."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }


DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
MONTH = {"type": "string", "pattern": "^(199[0-9]|20[0-9][0-9]|2100)-(0[1-9]|1[0-2])$"}
NAMED = obj({"id": ID, "name": STRING})
REFERENCED = obj({"id": ID, "reference": STRING})


def enum(enum_class: Any) -> Schema:
    return {"type": "string", "enum": [member.value for member in enum_class]}


ERROR = obj(
    {
        "error": obj(
            {
                "code": {"type": "string", "description": "Stable, for programs."},
                "message": {"type": "string", "description": "Swedish, for people."},
                "details": {"description": "More about the error, or null."},
            }
        )
    }
)

AGREEMENT_AREA = obj(
    {
        "id": ID,
        "name": STRING,
        "category": STRING,
        "cpv_codes": array(STRING),
        "unit_count": INTEGER,
        "tender_rounds": array(REFERENCED),
    }
)
AGREEMENT_AREA_DETAIL = {
    **AGREEMENT_AREA,
    "properties": {
        **AGREEMENT_AREA["properties"],
        "supplier_count": INTEGER,
        "description": nullable(STRING),
    },
    "required": [*AGREEMENT_AREA["required"], "supplier_count", "description"],
}
SUPPLIER = obj(
    {
        "id": ID,
        "name": STRING,
        "org_number": STRING,
        "legal_form": STRING,
        "unit_count": INTEGER,
        "agreement_areas": array(NAMED),
    }
)
SUPPLIER_DETAIL = {
    **SUPPLIER,
    "properties": {
        **SUPPLIER["properties"],
        "website_note": nullable(STRING),
        "units": array(NAMED),
    },
    "required": [*SUPPLIER["required"], "website_note", "units"],
}
UNIT_PROPERTIES = {
    "id": ID,
    "name": STRING,
    "supplier": NAMED,
    "agreement_areas": array(NAMED),
    "municipality": nullable(STRING),
    "county": nullable(STRING),
    "places": nullable(INTEGER),
    "age_min": nullable(INTEGER),
    "age_max": nullable(INTEGER),
    "permit_status": STRING,
}
UNIT = obj(UNIT_PROPERTIES)
UNIT_DETAIL = obj(
    {
        **UNIT_PROPERTIES,
        "target_profile": nullable(STRING),
        "protected_address": BOOLEAN,
        "address": {
            **nullable(STRING),
            "description": "Always null for a unit with a protected address.",
        },
        "permit_reference": nullable(STRING),
        "last_ivo_inspection": nullable(DATE),
    }
)
TENDER_ROUND = obj(
    {
        "id": ID,
        "reference": STRING,
        "title": STRING,
        "agreement_area": NAMED,
        "procurement_form": STRING,
        "status": STRING,
        "lead_organisation": NAMED,
        "participants": array(NAMED),
        "published_on": nullable(DATE),
        "contract_start": nullable(DATE),
        "contract_end": nullable(DATE),
        "extension_until": nullable(DATE),
        "predecessor_id": nullable(ID),
        "successor_id": nullable(ID),
    }
)
CONTRACT = obj(
    {
        "id": ID,
        "reference": nullable(STRING),
        "lot": nullable(STRING),
        "status": STRING,
        "tender_round": REFERENCED,
        "supplier": NAMED,
        "units": array(NAMED),
        "status_history": array(
            obj(
                {
                    "changed_on": DATE,
                    "from_status": nullable(STRING),
                    "to_status": STRING,
                    "reason": STRING,
                    "decision_reference": nullable(STRING),
                }
            )
        ),
    }
)
FINDING = obj(
    {
        "id": ID,
        "title": STRING,
        "status": STRING,
        "theme": nullable(STRING),
        "importance": STRING,
        "agreement_area": NAMED,
        "supplier": nullable(NAMED),
        "organisation": NAMED,
        "proposed_change": STRING,
        "target_requirement_id": nullable(ID),
        "statement_md": STRING,
        "statement_html": STRING,
        "recommendation_md": STRING,
        "recommendation_html": STRING,
        "proposed_text_md": STRING,
        "rejection_reason": nullable(STRING),
        "applied_in_round": nullable(REFERENCED),
        "published_at": nullable(DATETIME),
        "decided_at": nullable(DATETIME),
        "created_at": DATETIME,
        "evidence_count": INTEGER,
        "evidence_municipalities": INTEGER,
    }
)
FINDING_DETAIL = {
    **FINDING,
    "properties": {
        **FINDING["properties"],
        "evidence": array(obj({"kind": STRING, "id": ID, "label": STRING})),
        "hidden_evidence_count": INTEGER,
    },
    "required": [*FINDING["required"], "evidence", "hidden_evidence_count"],
}
CURRENT_VERSION = obj(
    {
        "number": INTEGER,
        "title": STRING,
        "kind": STRING,
        "level": STRING,
        "weight": nullable(NUMBER),
        "text_md": STRING,
        "text_html": STRING,
    }
)
REQUIREMENT = obj(
    {
        "id": ID,
        "code": STRING,
        "retired": BOOLEAN,
        "agreement_areas": array(NAMED),
        "current_version": nullable(CURRENT_VERSION),
    }
)
REQUIREMENT_VERSION = obj(
    {
        "id": ID,
        "number": INTEGER,
        "title": STRING,
        "kind": STRING,
        "level": STRING,
        "weight": nullable(NUMBER),
        "text_md": STRING,
        "text_html": STRING,
        "rationale": STRING,
        "verification": STRING,
        "followup_method": STRING,
        "frozen": BOOLEAN,
        "created_at": DATETIME,
        "origin_finding_ids": array(ID),
        "used_in_rounds": array(REFERENCED),
    }
)
REQUIREMENT_DETAIL = {
    **REQUIREMENT,
    "properties": {**REQUIREMENT["properties"], "versions": array(REQUIREMENT_VERSION)},
    "required": [*REQUIREMENT["required"], "versions"],
}
RATINGS = {
    "type": "object",
    "description": "Theme → 1–5, or null for not applicable. A missing theme is not answered.",
    "properties": {
        theme.value: {"type": ["integer", "null"], "minimum": 1, "maximum": 5} for theme in Theme
    },
    "additionalProperties": False,
}
EXPERIENCE_FIELDS: dict[str, Schema] = {
    "unit_id": nullable(ID),
    "agreement_area_id": nullable(ID),
    "contract_id": nullable(ID),
    "off_contract": BOOLEAN,
    **{name: nullable(enum(enum_class)) for name, enum_class in ENUM_FIELDS.items()},
    "start": nullable(MONTH),
    "end": nullable(MONTH),
    "goal_attainment": {"type": ["integer", "null"], "minimum": 1, "maximum": 4},
    "daily_price": {"type": ["number", "null"], "minimum": 0, "maximum": 1_000_000},
    "extra_cost_claims": BOOLEAN,
    "invoicing_problems": BOOLEAN,
    "ratings": RATINGS,
    **{
        name: {"type": "string", "maxLength": MAX_NARRATIVE_LENGTH}
        for name in ("worked_md", "not_worked_md", "advice_md")
    },
}
EXPERIENCE = obj(
    {
        "id": ID,
        "status": enum(ExperienceStatus),
        "mine": BOOLEAN,
        "organisation": NAMED,
        "unit": nullable(NAMED),
        "agreement_area": nullable(NAMED),
        **{name: schema for name, schema in EXPERIENCE_FIELDS.items() if not name.endswith("_id")},
        "contract_id": nullable(ID),
        "ratings": {"type": "object", "additionalProperties": {"type": ["integer", "null"]}},
        "worked_html": STRING,
        "not_worked_html": STRING,
        "advice_html": STRING,
        "narrative_removed_at": nullable(DATETIME),
        "narrative_notice": nullable(STRING),
        "submission_key": nullable(STRING),
        "submitted_at": nullable(DATETIME),
        "created_at": DATETIME,
        "updated_at": DATETIME,
    }
)
EXPERIENCE_WRITE = {
    "type": "object",
    "description": (
        "An experience as the form takes it. On POST and PUT a missing field is not answered; "
        "on PATCH it keeps its value. Rules the form applies (links, period, completeness when "
        "submitting, no personal identity numbers) answer 422."
    ),
    "properties": {
        **EXPERIENCE_FIELDS,
        "status": {**enum(ExperienceStatus), "description": "utkast (default) or inskickad."},
        "submission_key": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_KEY_LENGTH,
            "description": "The caller's id of this submission; a repeat returns the first.",
        },
        "privacy_confirmed": {
            "type": "boolean",
            "description": "Save even though the text has e-mail addresses or phone numbers.",
        },
    },
    "additionalProperties": False,
}
SEARCH_RESULT = obj(
    {
        "id": ID,
        "kind": STRING,
        "title": STRING,
        "snippet_html": STRING,
        "url": nullable({"type": "string", "format": "uri"}),
    }
)
SCHEMAS: dict[str, Schema] = {
    "Error": ERROR,
    "AgreementArea": AGREEMENT_AREA,
    "AgreementAreaDetail": AGREEMENT_AREA_DETAIL,
    "Supplier": SUPPLIER,
    "SupplierDetail": SUPPLIER_DETAIL,
    "Unit": UNIT,
    "UnitDetail": UNIT_DETAIL,
    "TenderRound": TENDER_ROUND,
    "Contract": CONTRACT,
    "Finding": FINDING,
    "FindingDetail": FINDING_DETAIL,
    "Requirement": REQUIREMENT,
    "RequirementDetail": REQUIREMENT_DETAIL,
    "Experience": EXPERIENCE,
    "ExperienceWrite": EXPERIENCE_WRITE,
    "SearchResult": SEARCH_RESULT,
}
