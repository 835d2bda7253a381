"""The OpenAPI 3.1 description of the API, served at ``GET /api/openapi.json``.

Built by hand from the same column tables the CSVs and the Data Package use, so that the three
descriptions of a contribution row cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from tashawur.api.opendata import CONTRIBUTION_SCHEMA, LICENCE
from tashawur.api.selectors import CONTRIBUTION_FIELDS
from tashawur.core.validation import PAGE_MAX

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1"

_JSON_TYPES = {"integer": "integer", "string": "string", "date": "string", "array": "array"}


def _property(name: str) -> dict[str, Any]:
    kind, description_en, description_fr, constraints = CONTRIBUTION_SCHEMA[name]
    prop: dict[str, Any] = {"type": _JSON_TYPES[kind], "description": description_en}
    if kind == "integer" and not constraints.get("required"):
        prop["type"] = ["integer", "null"]
    if kind == "date":
        prop["format"] = "date"
    if "enum" in constraints:
        prop["enum"] = constraints["enum"]
    if "pattern" in constraints:
        # An empty pseudonym means "recorded for the room", which the pattern must allow.
        prop["pattern"] = f"^$|{constraints['pattern']}"
    prop["x-description-fr"] = description_fr
    return prop


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


_SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "description": "Identifier of a public (non-draft) consultation.",
    "schema": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
}
_CACHED = {
    "Cache-Control": {
        "description": "public, max-age=300",
        "schema": {"type": "string"},
    },
    "Content-Disposition": {
        "description": "A file name with the day it was generated.",
        "schema": {"type": "string"},
    },
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Tashawur API",
            "version": API_VERSION,
            "description": (
                "Read-only. Consultations and the pseudonymised open data of each public "
                "consultation; see README.txt inside the open-data ZIP for the rules."
            ),
            "license": {"name": LICENCE["title"], "identifier": LICENCE["name"]},
        },
        "paths": {
            "/api/consultations": {
                "get": {
                    "operationId": "consultation_list",
                    "summary": "Public consultations with their counts.",
                    "responses": {"200": {"description": "The public consultations."}},
                }
            },
            "/api/consultations/{slug}/open-data.zip": {
                "get": {
                    "operationId": "open_data_archive",
                    "summary": "The consultation's open data as a ZIP.",
                    "description": (
                        "contributions.csv, votes.csv (aggregated per proposal), findings.csv "
                        "(latest successful synthesis run), datapackage.json (Frictionless "
                        "Data Package) and README.txt (Arabic and French)."
                    ),
                    "parameters": [_SLUG],
                    "responses": {
                        "200": {
                            "description": "The ZIP.",
                            "headers": _CACHED,
                            "content": {"application/zip": {}},
                        },
                        "404": _error_response("Draft or unknown consultation."),
                    },
                }
            },
            "/api/consultations/{slug}/contributions.json": {
                "get": {
                    "operationId": "open_data_contributions_page",
                    "summary": "The rows of contributions.csv, page by page, oldest first.",
                    "parameters": [
                        _SLUG,
                        {
                            "name": "page",
                            "in": "query",
                            "required": False,
                            "description": "ASCII digits only.",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": PAGE_MAX,
                                "default": 1,
                            },
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "One page of contributions.",
                            "headers": _CACHED,
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/ContributionPage"}
                                }
                            },
                        },
                        "400": _error_response(
                            f"The page is not a whole number from 1 to {PAGE_MAX} in ASCII digits."
                        ),
                        "404": _error_response(
                            "Draft or unknown consultation, or a page past the last."
                        ),
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Contribution": {
                    "type": "object",
                    "required": list(CONTRIBUTION_FIELDS),
                    "additionalProperties": False,
                    "properties": {name: _property(name) for name in CONTRIBUTION_FIELDS},
                },
                "ContributionPage": {
                    "type": "object",
                    "required": [
                        "consultation",
                        "licence",
                        "count",
                        "page",
                        "pages",
                        "next",
                        "previous",
                        "results",
                    ],
                    "properties": {
                        "consultation": {"type": "string"},
                        "licence": {"type": "string", "const": LICENCE["name"]},
                        "count": {"type": "integer", "minimum": 0},
                        "page": {"type": "integer", "minimum": 1},
                        "pages": {"type": "integer", "minimum": 1},
                        "next": {"type": ["string", "null"], "format": "uri"},
                        "previous": {"type": ["string", "null"], "format": "uri"},
                        "results": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Contribution"},
                        },
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {
                                    "type": "string",
                                    "description": "Translated (Accept-Language; Arabic "
                                    "by default).",
                                },
                            },
                        }
                    },
                },
            }
        },
    }
