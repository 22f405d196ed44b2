"""The OpenAPI 3.1 description of the JSON API under /api/v1/, kept by hand beside the
code it describes; tests/test_openapi.py checks that it names every API route and
method and nothing else, and that its encounter schema holds the contract's fields."""

from ..rules.encounters import MAX_NOTES, MAX_PEOPLE_REACHED
from ..rules.inputs import FIRST_DAY, LAST_DAY

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "array",
                                                              "items": {"type": "string"}}},
    },
}
SETTINGS = ["street", "market", "bar", "school", "workplace", "transport", "family", "online",
            "association", "other"]
OUTCOMES = ["open", "doubt_sown", "unchanged", "hostile"]
NEW_ENCOUNTER = {
    "type": "object",
    "required": ["client_uuid", "occurred_at", "district", "setting", "rumours", "outcome"],
    "properties": {
        "client_uuid": {"type": "string", "format": "uuid"},
        "occurred_at": {"type": "string", "format": "date-time",
                        "description": f"Between {FIRST_DAY} and {LAST_DAY}, with its offset."},
        "district": {"type": "string"},
        "neighbourhood": {"type": ["string", "null"]},
        "setting": {"enum": SETTINGS},
        "rumours": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "people_reached": {"type": "integer", "minimum": 1, "maximum": MAX_PEOPLE_REACHED},
        "outcome": {"enum": OUTCOMES},
        "notes": {"type": ["string", "null"], "maxLength": MAX_NOTES},
        "campaign": {"type": ["string", "null"]},
    },
}
OBJECT = {"type": "object"}
# A count that may leave the app: null where small-count suppression hides it.
COUNT = {"type": ["integer", "null"], "minimum": 0}
COUNTS = {"type": "object", "additionalProperties": COUNT}
# The parts of /api/v1/stats about reports (docs/reports.md); the rest is the dashboard's.
STATS = {
    "type": "object",
    "properties": {
        "emerging": {
            "description": "Reports received (agents' unlisted rumours and the public's) "
            "per week and district slug (\"none\": no district), small counts hidden; "
            "null in a view limited to an organisation, campaign or rumour.",
            "type": ["object", "null"],
            "required": ["weeks", "districts", "reports"],
            "properties": {
                "weeks": {"type": "array", "items": {
                    "type": "object",
                    "required": ["week", "reports", "districts"],
                    "properties": {"week": {"type": "string", "format": "date"},
                                   "reports": COUNT, "districts": COUNTS},
                }},
                "districts": COUNTS,
                "reports": COUNT,
            },
        },
        "reported_by_public": {
            "description": "Public reports triaged into each published or archived "
            "rumour, small counts hidden; null in a view limited to an organisation or "
            "campaign.",
            "type": ["object", "null"],
            "required": ["rumours"],
            "properties": {
                "rumours": {"type": "array", "items": {
                    "type": "object",
                    "required": ["rumour", "claim", "reports"],
                    "properties": {"rumour": {"type": "string"}, "claim": {"type": "string"},
                                   "reports": COUNT},
                }},
            },
        },
    },
}


def _answer(description: str, schema: dict = OBJECT) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    return {str(code): _answer("Refused", {"$ref": "#/components/schemas/Error"}) for code in codes}


def document() -> dict:
    """The API's OpenAPI 3.1 document."""
    paths = _paths()
    # The input layer answers every route: 400 for a parameter it refuses (control
    # characters, numbers or dates out of range) whatever the operation.
    for operations in paths.values():
        for operation in operations.values():
            operation["responses"].setdefault("400", _errors(400)["400"])
    return {
        "openapi": "3.1.0",
        "info": {"title": "Rumours API", "version": "1"},
        "components": {"schemas": {"Error": ERROR, "NewEncounter": NEW_ENCOUNTER}},
        "paths": paths,
    }


def _paths() -> dict:
    page = [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}]
    stats_filters = [
        {"name": name, "in": "query", "schema": {"type": "string"}}
        for name in ("campaign", "from", "to", "district", "organisation", "rumour")
    ]
    return {
            "/api/v1/": {"get": {"responses": {"200": _answer("The API and the caller")}}},
            "/api/v1/csrf-token": {"get": {"responses": {"200": _answer("A fresh CSRF token")}}},
            "/api/v1/openapi.json": {"get": {"responses": {"200": _answer("This document")}}},
            "/api/v1/rumours": {
                "get": {"responses": {"200": _answer("The published catalogue")}}
            },
            "/api/v1/stats": {
                "get": {
                    "parameters": stats_filters,
                    "responses": {"200": _answer("The dashboard's figures", STATS),
                                  **_errors(400, 401)},
                }
            },
            "/api/v1/encounters": {
                "get": {
                    "parameters": page,
                    "responses": {"200": _answer("The caller's own encounters"),
                                  **_errors(401)},
                },
                "post": {
                    "parameters": [{"name": "X-CSRFToken", "in": "header", "required": True,
                                    "schema": {"type": "string"}}],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/NewEncounter"}}}},
                    "responses": {
                        "200": _answer("The same encounter, already stored"),
                        "201": _answer("The stored encounter"),
                        **_errors(400, 401, 403, 413, 422),
                    },
                },
            },
    }
