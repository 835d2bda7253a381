"""The OpenAPI 3.1 description of the API, served at ``GET /api/openapi.json``.

Built by hand from the same column tables the CSVs and the Data Package use, so that the three
descriptions of a contribution row cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from tashawur.api.opendata import CONTRIBUTION_SCHEMA, LICENCE
from tashawur.api.selectors import CONTRIBUTION_FIELDS, CURSOR_DIGITS
from tashawur.api.write_schema import PATHS, SCHEMAS, SECURITY_SCHEMES
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


_ARCHIVE_HEADERS = {
    "ETag": {"description": "The ZIP served.", "schema": {"type": "string"}},
    "Last-Modified": {"description": "When the ZIP was built.", "schema": {"type": "string"}},
    "X-Open-Data-Version": {
        "description": "The state of the data the ZIP holds (as in README.txt).",
        "schema": {"type": "string"},
    },
}

_COUNT_OR_NULL = {"type": ["integer", "null"], "minimum": 0}
_ROLLUP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["strategy", "run", "counts", "regions", "findings", "contribution_url"],
    "properties": {
        "strategy": {"type": "object"},
        "run": {"type": ["object", "null"]},
        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
        "contribution_url": {"type": "string"},
        "regions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "name", "consulted", "contributions", "participants"],
                "properties": {
                    "code": {"type": "string"},
                    "name": {"type": "object"},
                    "population": _COUNT_OR_NULL,
                    "consulted": {"type": "boolean"},
                    "consultation": {"type": ["string", "null"]},
                    "diagnosis_url": {"type": ["string", "null"]},
                    "contributions": {"type": "integer", "minimum": 0},
                    "participants": _COUNT_OR_NULL,
                    "participants_per_10000": {"type": ["number", "null"]},
                },
            },
        },
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key", "kind", "region", "dimension", "label", "size", "regions"],
                "properties": {
                    "key": {"type": "string"},
                    "kind": {"type": "string", "enum": ["shared", "specific"]},
                    "region": {"type": ["string", "null"]},
                    "dimension": {"type": "string"},
                    "label": {"type": "object"},
                    "key_phrases": {"type": "object"},
                    "size": {"type": "integer", "minimum": 1},
                    "regions": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string"},
                                "contributions": {"type": "integer", "minimum": 1},
                                "authors": _COUNT_OR_NULL,
                                "share": {"type": "number"},
                                "lift": {"type": "number"},
                                "q_value": {"type": "number"},
                                "over_represented": {"type": "boolean"},
                                "citations": {"type": "array", "items": {"type": "integer"}},
                            },
                        },
                    },
                },
            },
        },
    },
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Tashawur API",
            "version": API_VERSION,
            "description": (
                "Consultations and the pseudonymised open data of each public "
                "consultation (read, no authentication; see README.txt inside the open-data "
                "ZIP for the rules), and the write API: contributions and votes, idempotent, "
                "with an API token or a signed-in session (docs/api.md)."
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
            "/api/inbound/{gateway}": {
                "post": {
                    "operationId": "inbound_message",
                    "summary": "An SMS or messaging text relayed by a gateway (channel sms).",
                    "description": (
                        "twilio: Twilio's form POST (MessageSid, From, Body) signed in "
                        "X-Twilio-Signature, answered in TwiML. rapidpro: a form or JSON POST "
                        "(id, from, text) with Authorization: Token <shared secret>, answered "
                        'as {"reply": "..."}. The text is KEYWORD [marker] message; the '
                        "message id makes a redelivery an echo of the first answer."
                    ),
                    "parameters": [
                        {
                            "name": "gateway",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "enum": ["twilio", "rapidpro"]},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The reply to send back, accepted or refused.",
                            "content": {"text/xml": {}, "application/json": {}},
                        },
                        "400": _error_response("No message id or no sender."),
                        "403": _error_response("Not signed by the gateway."),
                        "404": _error_response("Unknown gateway, or its secret is not set."),
                    },
                }
            },
            "/api/consultations/{slug}/open-data.zip": {
                "get": {
                    "operationId": "open_data_archive",
                    "summary": "The consultation's open data as a ZIP.",
                    "description": (
                        "contributions.csv, votes.csv (aggregated per proposal), findings.csv "
                        "(latest successful synthesis run), datapackage.json (Frictionless "
                        "Data Package) and README.txt (Arabic and French). The last ZIP "
                        "built: votes and contributions of the last minutes may be missing "
                        "(it is rebuilt in the background); a contribution taken down, edited "
                        "or unlinked from its author is never served from an older ZIP. "
                        "Last-Modified says when it was built, X-Open-Data-Version (also in "
                        "README.txt and datapackage.json) which state of the data it holds."
                    ),
                    "parameters": [_SLUG],
                    "responses": {
                        "200": {
                            "description": "The ZIP.",
                            "headers": {**_CACHED, **_ARCHIVE_HEADERS},
                            "content": {"application/zip": {}},
                        },
                        "304": {"description": "Not modified (If-None-Match, If-Modified-Since)."},
                        "404": _error_response("Draft or unknown consultation."),
                    },
                }
            },
            "/api/consultations/{slug}/contributions.json": {
                "get": {
                    "operationId": "open_data_contributions_page",
                    "summary": "The rows of contributions.csv, page by page, oldest first.",
                    "description": (
                        "Two ways through the rows: ?after=<id> (keyset: the rows whose id is "
                        "greater, in id order; follow next, whose cost does not grow with the "
                        "depth and which neither skips nor repeats a row when rows are added "
                        "meanwhile; start with after=0) or ?page=N (numbered pages, slower "
                        "deep down; page and previous are null in the keyset form)."
                    ),
                    "parameters": [
                        _SLUG,
                        {
                            "name": "after",
                            "in": "query",
                            "required": False,
                            "description": (
                                "ASCII digits only: the rows whose id is greater than this, "
                                "in id order. Not with page."
                            ),
                            "schema": {
                                "type": "integer",
                                "minimum": 0,
                                "maximum": 10**CURSOR_DIGITS - 1,
                            },
                        },
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
                            f"The page is not a whole number from 1 to {PAGE_MAX} in ASCII "
                            "digits, after is not a whole number in ASCII digits, or both are "
                            "given."
                        ),
                        "404": _error_response(
                            "Draft or unknown consultation, or a page past the last."
                        ),
                    },
                }
            },
            "/api/strategies/{slug}/rollup": {
                "get": {
                    "operationId": "strategy_rollup",
                    "summary": "The national roll-up of a strategy across its regions.",
                    "description": (
                        "One synthesis over the published contributions of every public "
                        "consultation of the strategy: the regions (consulted or not, "
                        "contributions, participants and participants per 10,000 inhabitants), "
                        "counts, and the findings shared by several regions or specific to one, "
                        "each with per-region counts, a hypergeometric over-representation test "
                        "(Benjamini-Hochberg q-value) and the ids of the contributions it cites "
                        "(contribution_url with {id}). Counts of fewer than k people are null."
                    ),
                    "parameters": [
                        {
                            "name": "slug",
                            "in": "path",
                            "required": True,
                            "description": "Identifier of a public (non-draft) strategy.",
                            "schema": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The roll-up.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Rollup"}
                                }
                            },
                        },
                        "404": _error_response("Draft or unknown strategy."),
                    },
                }
            },
            **PATHS,
        },
        "components": {
            "securitySchemes": SECURITY_SCHEMES,
            "schemas": {
                **SCHEMAS,
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
                        "page": {"type": ["integer", "null"], "minimum": 1},
                        "pages": {"type": "integer", "minimum": 1},
                        "next": {"type": ["string", "null"], "format": "uri"},
                        "previous": {"type": ["string", "null"], "format": "uri"},
                        "results": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Contribution"},
                        },
                    },
                },
                "Rollup": _ROLLUP_SCHEMA,
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
                                "fields": {
                                    "type": "object",
                                    "additionalProperties": {"type": "string"},
                                    "description": "With code invalid: a translated message "
                                    "for each wrong field of the request.",
                                },
                            },
                        }
                    },
                },
            },
        },
    }
