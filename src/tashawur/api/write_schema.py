"""The OpenAPI description of the write API (``api.write_views``), merged into the document
``api.schema`` serves. The constants come from the views, so the two cannot drift apart."""

from __future__ import annotations

from typing import Any

from tashawur.api.write_views import CHANNELS, MAX_BODY_BYTES, VOTE_VALUES
from tashawur.consultations.models import Dimension
from tashawur.contributions.models import Language, ModerationStatus
from tashawur.core.tokens import KEY_PREFIX
from tashawur.core.validation import IDEMPOTENCY_KEY_PATTERN

_KEY = {
    "type": "string",
    "pattern": f"^{IDEMPOTENCY_KEY_PATTERN.pattern}$",
    "description": "Chosen by the client, the same for every retry of the same item. Unique "
    "per sender (the token's or session's user), never across senders.",
}

SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": f"An API token (`{KEY_PREFIX}…`), made in /me/tokens/, by a coordinator "
        "in /manage/tokens/ (device tokens) or with `tashawur manage create_api_token`. It acts "
        "with its user's rights only. Exempt from CSRF.",
    },
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "sessionid",
        "description": "A signed-in browser's session, for pages of this site (the offline "
        "capture page): the request must also carry Django's CSRF token in the X-CSRFToken "
        "header, else 403 csrf_failed.",
    },
}

SCHEMAS: dict[str, Any] = {
    "ContributionIn": {
        "type": "object",
        "required": ["text", "dimension", "idempotency_key"],
        "properties": {
            "text": {"type": "string", "minLength": 1, "description": "What was said."},
            "dimension": {"type": "string", "enum": list(Dimension.values)},
            "language": {
                "type": ["string", "null"],
                "enum": [*Language.values, None],
                "description": "Left out or null: identified in the background.",
            },
            "speaker": {
                "type": ["integer", "null"],
                "minimum": 1,
                "description": "For the round table's facilitator and rapporteur only: the id "
                "of the participant who spoke (on its roster or registered for its meeting). "
                "Left out: recorded for the room without a name (staff) or as the sender's own "
                "words (a participant). Requires oral_consent: true.",
            },
            "oral_consent": {
                "type": "boolean",
                "default": False,
                "description": "The speaker agreed aloud to take part; recorded as their consent.",
            },
            "channel": {
                "type": "string",
                "enum": list(CHANNELS),
                "default": "api",
                "description": "offline: captured without network and synced later.",
            },
            "said_at": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "When it was said, if not now (an offline capture): ISO 8601 "
                "with its offset; not in the future, not more than a day before the meeting.",
            },
            "idempotency_key": _KEY,
        },
    },
    "ContributionOut": {
        "type": "object",
        "required": [
            "id",
            "number",
            "workshop",
            "dimension",
            "language",
            "moderation_status",
            "channel",
            "idempotency_key",
            "created_at",
            "said_at",
        ],
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "integer", "description": "As shown: Contribution #N."},
            "workshop": {"type": "integer"},
            "dimension": {"type": "string", "enum": list(Dimension.values)},
            "language": {
                "type": "string",
                "enum": list(Language.values),
                "description": "und until identified.",
            },
            "moderation_status": {"type": "string", "enum": list(ModerationStatus.values)},
            "channel": {"type": "string"},
            "idempotency_key": {"type": ["string", "null"]},
            "created_at": {"type": "string", "format": "date-time"},
            "said_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "ImportRow": {
        "type": "object",
        "required": ["number", "action", "contribution", "errors"],
        "properties": {
            "number": {"type": "integer", "description": "The row's number in the file."},
            "action": {"type": "string", "description": "new, or already (an earlier import)."},
            "contribution": {"type": ["integer", "null"]},
            "errors": {"type": "array", "items": {"type": "string"}},
        },
    },
    "ImportOut": {
        "type": "object",
        "properties": {
            "workshop": {"type": "integer"},
            "created": {"type": "integer", "minimum": 0},
            "already": {"type": "integer", "minimum": 0},
            "pending": {"type": "boolean", "description": "New rows wait for a moderator."},
            "ok": {"type": "boolean", "description": "dry_run: whether the file would import."},
            "new": {"type": "integer", "minimum": 0, "description": "dry_run: rows to store."},
            "rows": {"type": "array", "items": {"$ref": "#/components/schemas/ImportRow"}},
        },
    },
    "NotesImportOut": {
        "type": "object",
        "required": ["import", "workshop", "status", "rows", "url"],
        "properties": {
            "import": {"type": "integer"},
            "workshop": {"type": "integer"},
            "status": {
                "type": "string",
                "enum": ["queued", "running", "done", "refused", "failed"],
            },
            "rows": {"type": "integer", "minimum": 0},
            "created": {"type": "integer", "minimum": 0},
            "already": {"type": "integer", "minimum": 0},
            "pending": {"type": "boolean"},
            "message": {"type": "string"},
            "errors": {
                "type": "array",
                "description": "refused: each wrong row's number and errors (the first 500).",
                "items": {"type": "object"},
            },
            "url": {"type": "string", "description": "Where to ask how it goes."},
        },
    },
    "VoteIn": {
        "type": "object",
        "required": ["value"],
        "properties": {
            "value": {"type": "string", "enum": list(VOTE_VALUES)},
            "idempotency_key": {
                **_KEY,
                "description": "Accepted and checked, not needed: a participant has one vote "
                "per proposal, so a replay changes nothing.",
            },
        },
    },
    "VoteOut": {
        "type": "object",
        "required": ["contribution", "value"],
        "properties": {
            "contribution": {"type": "integer"},
            "value": {"type": "string", "enum": list(VOTE_VALUES)},
        },
    },
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


_ERRORS: dict[str, Any] = {
    "400": _error("invalid_json: the body is not a JSON object in UTF-8."),
    "401": {
        **_error(
            "not_authenticated (no or unknown token, no session), token_revoked, token_expired."
        ),
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    },
    "403": _error(
        "forbidden (not allowed to write here, or to name a speaker), consent_required (a "
        "participant who has not accepted the participation terms), csrf_failed (a session "
        "request without X-CSRFToken)."
    ),
    "404": _error("not_found: unknown, or not visible to this user."),
    "405": _error("method_not_allowed: POST only."),
    "409": _error(
        "workshop_closed, workshop_not_open, idempotency_key_conflict (the key was used at "
        "another workshop), not_votable. Permanent: show it, do not retry."
    ),
    "413": _error(f"too_large: the body is over {MAX_BODY_BYTES // 1024} KB."),
    "422": _error(
        "invalid: error.fields maps each wrong field to a translated message; other codes "
        "name a rule of the domain (e.g. text_too_long)."
    ),
    "429": {
        **_error("rate_limited: wait Retry-After seconds. Replays are not counted."),
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}

_PK = {
    "name": "pk",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}, {"session": []}]


def _created(schema: str, what: str) -> dict[str, Any]:
    ref = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    return {
        "201": {"description": f"{what} stored now.", "content": ref},
        "200": {"description": f"{what} already stored: the same body.", "content": ref},
    }


def _body(schema: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


PATHS: dict[str, Any] = {
    "/api/workshops/{pk}/contributions": {
        "post": {
            "operationId": "workshop_contribution_create",
            "summary": "Send a contribution to an open workshop, once.",
            "description": "201 on first receipt, 200 with the same body on every replay of "
            "the same idempotency_key by the same sender, however many arrive at once. A "
            "replay is answered even after the workshop closed.",
            "security": _SECURITY,
            "parameters": [{**_PK, "description": "The workshop's id."}],
            "requestBody": _body("ContributionIn"),
            "responses": {**_created("ContributionOut", "The contribution"), **_ERRORS},
        }
    },
    "/api/workshops/{pk}/imports": {
        "post": {
            "operationId": "workshop_notes_import",
            "summary": "Import a round table's notes from a CSV or XLSX file: every row or none.",
            "description": "For the round table's facilitator, rapporteur and managers. The "
            "same file imported again stores nothing new (its rows are already). With "
            "dry_run=true, nothing is written: the rows and their errors. A wrong row refuses "
            "the file: 422 import_refused, error.rows lists each wrong row with its errors. "
            "A file of more than 1,000 rows (a setting) is imported by the background worker: "
            "202 with the import's status and its url to ask again.",
            "security": _SECURITY,
            "parameters": [{**_PK, "description": "The workshop's id."}],
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {
                                "file": {"type": "string", "format": "binary"},
                                "dry_run": {"type": "string", "enum": ["true", "false"]},
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": {
                    "description": "Rows stored now.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ImportOut"}}
                    },
                },
                "200": {
                    "description": "dry_run, or nothing new to store.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ImportOut"}}
                    },
                },
                "202": {
                    "description": "A long file, left to the background worker.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/NotesImportOut"}
                        }
                    },
                },
                **_ERRORS,
            },
        }
    },
    "/api/imports/{pk}": {
        "get": {
            "operationId": "notes_import_status",
            "summary": "How a notes import left to the background worker goes.",
            "description": "For whoever may import the round table's notes; others get 404.",
            "security": _SECURITY,
            "parameters": [{**_PK, "description": "The import's id."}],
            "responses": {
                "200": {
                    "description": "The import.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/NotesImportOut"}
                        }
                    },
                },
                **_ERRORS,
            },
        }
    },
    "/api/contributions/{pk}/votes": {
        "post": {
            "operationId": "contribution_vote_cast",
            "summary": "Vote agree, disagree or pass on a published proposal.",
            "description": "One vote per participant and proposal: 201 for the first, 200 "
            "for the same again (even after the workshop closed) or a changed value.",
            "security": _SECURITY,
            "parameters": [{**_PK, "description": "The proposal's id."}],
            "requestBody": _body("VoteIn"),
            "responses": {**_created("VoteOut", "The vote"), **_ERRORS},
        }
    },
}
