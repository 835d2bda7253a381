"""The write API: a contribution to a workshop and a vote on a proposal, idempotent.

``POST /api/workshops/<pk>/contributions``
    JSON ``{"text", "dimension", "language"?, "speaker"?, "oral_consent"?, "channel"?,
    "said_at"?, "idempotency_key"}``: 201 with the contribution on first receipt, 200 with the
    same body on every replay of the key by the same sender (the services key idempotency per
    sender; the database decides a race); ``said_at`` says when it was said, if not now.
    ``speaker`` (a participant id) is for the workshop's facilitator
    and rapporteur only, with ``"oral_consent": true``; ``channel`` is ``api`` (the default) or
    ``offline`` (the offline capture page).

``POST /api/workshops/<pk>/imports`` and ``GET /api/imports/<pk>``
    A notes file (multipart ``file``): stored all or nothing; a long one is left to the worker
    (202) and its status read at ``/api/imports/<pk>``.

``POST /api/contributions/<pk>/votes``
    JSON ``{"value": "agree" | "disagree" | "pass", "idempotency_key"?}``: 201 for a first vote,
    200 for a repeated or changed one (one vote per participant and proposal).

Authentication: ``Authorization: Bearer <key>`` (``core.tokens``; exempt from CSRF, since no
browser sends that header by itself), or the session of a signed-in user with Django's CSRF
header ``X-CSRFToken``. A token acts with its user's rights only (``contributions.rules``).
Every refusal is the API's JSON error (``api.errors``) with a stable code; see docs/api.md.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tashawur.actors.models import Participant
from tashawur.api import selectors as api_selectors
from tashawur.api.errors import error_response
from tashawur.consultations import rules as consultation_rules
from tashawur.consultations.models import Dimension, Workshop
from tashawur.consultations.selectors import workshop_get_for_user, workshop_speakers
from tashawur.contributions import note_files, rules
from tashawur.contributions.models import Channel, Contribution, Language, NotesImport, Vote
from tashawur.contributions.selectors import contribution_get_for_user
from tashawur.contributions.services import (
    NotesImportPlan,
    NotesImportRefused,
    contribution_submit,
    contributions_import,
    contributions_import_check,
    notes_import_in_background,
    notes_import_queue,
    vote_cast,
)
from tashawur.core import limits
from tashawur.core.errors import DomainError
from tashawur.core.models import User
from tashawur.core.tokens import api_token_check
from tashawur.core.validation import idempotency_key_clean

#: The largest body a write accepts, checked before it is read as JSON.
MAX_BODY_BYTES = 64 * 1024
CHANNELS = (Channel.API, Channel.OFFLINE)
VOTE_VALUES = {"agree": Vote.Value.AGREE, "disagree": Vote.Value.DISAGREE, "pass": Vote.Value.PASS}
VOTE_NAMES = {value: name for name, value in VOTE_VALUES.items()}
_JSON = {"ensure_ascii": False}

#: Status and stable code of the services' refusals; any other is 422 (``invalid`` when it
#: names a field).
_DOMAIN_STATUS: dict[str, tuple[int, str]] = {
    "idempotency_key_conflict": (409, "idempotency_key_conflict"),
    "consent_required": (403, "consent_required"),
    "participant_erased": (403, "forbidden"),
    "statement_not_votable": (409, "not_votable"),
    "statement_not_published": (409, "not_votable"),
}
#: The services name a speaker ``author``; the API calls them ``speaker``.
_FIELD_NAMES = {"author": "speaker"}


class ApiRefusal(Exception):
    """A refusal to answer as the API's JSON error."""

    def __init__(
        self,
        status: int,
        code: str,
        message: Any,
        *,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message
        self.fields = fields
        self.headers = headers or {}
        self.extra = extra


def _refusal_response(request: HttpRequest, refusal: ApiRefusal) -> JsonResponse:
    if refusal.fields is None and refusal.extra is None:
        response = error_response(request, refusal.status, refusal.code, refusal.message)
    else:
        with translation.override(translation.get_language_from_request(request)):
            error: dict[str, Any] = {"code": refusal.code, "message": str(refusal.message)}
            if refusal.fields is not None:
                error["fields"] = {name: str(text) for name, text in refusal.fields.items()}
            error.update(refusal.extra or {})
        response = JsonResponse({"error": error}, status=refusal.status, json_dumps_params=_JSON)
    for name, value in refusal.headers.items():
        response[name] = value
    return response


# -- authentication ------------------------------------------------------------------------------


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request: HttpRequest, reason: str) -> str:
        return reason


_TOKEN_MESSAGES = {
    "not_authenticated": gettext_lazy(
        "Send an API token (Authorization: Bearer …) or sign in first."
    ),
    "token_revoked": gettext_lazy("This API token was revoked."),
    "token_expired": gettext_lazy("This API token has expired."),
}


def _unauthenticated(code: str) -> ApiRefusal:
    challenge = "Bearer" if code == "not_authenticated" else 'Bearer error="invalid_token"'
    return ApiRefusal(401, code, _TOKEN_MESSAGES[code], headers={"WWW-Authenticate": challenge})


def authenticate(request: HttpRequest) -> tuple[User, bool]:
    """The user a write acts for, and whether a token said so (else the session, CSRF
    checked)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _space, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise _unauthenticated("not_authenticated")
        check = api_token_check(key.strip())
        if check.user is None:
            raise _unauthenticated(check.code)
        request.user = check.user
        return check.user, True
    user = request.user
    if not consultation_rules.is_signed_in(user):
        raise _unauthenticated("not_authenticated")
    reason = _CsrfCheck(lambda r: HttpResponse()).process_view(request, None, (), {})  # type: ignore[arg-type]
    if reason is not None:
        raise ApiRefusal(
            403,
            "csrf_failed",
            gettext_lazy("Signed in with a session, send the CSRF token in X-CSRFToken."),
        )
    assert isinstance(user, User)
    return user, False


# -- reading the body ----------------------------------------------------------------------------


def _json_object(request: HttpRequest) -> dict[str, Any]:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    too_large = ApiRefusal(
        413,
        "too_large",
        gettext_lazy("What you sent is too large: at most %(kb)s KB.")
        % {"kb": MAX_BODY_BYTES // 1024},
    )
    if declared > MAX_BODY_BYTES:
        raise too_large
    raw = request.body
    if len(raw) > MAX_BODY_BYTES:
        raise too_large
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise ApiRefusal(
            400, "invalid_json", gettext_lazy("The body must be a JSON object, in UTF-8.")
        )
    return data


def _invalid(fields: dict[str, str]) -> ApiRefusal:
    return ApiRefusal(
        422, "invalid", gettext_lazy("Some fields are missing or wrong."), fields=fields
    )


def _optional_str(data: dict[str, Any], name: str, fields: dict[str, str]) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        fields[name] = _("Must be a string.")
        return None
    return value


def _domain_refusal(error: DomainError, *, workshop_id: int) -> ApiRefusal:
    if error.code == "workshop_not_open":
        closed = api_selectors.workshop_status(workshop_id=workshop_id) == Workshop.Status.CLOSED
        return ApiRefusal(409, "workshop_closed" if closed else "workshop_not_open", error.message)
    if error.code in _DOMAIN_STATUS:
        status, code = _DOMAIN_STATUS[error.code]
        return ApiRefusal(status, code, error.message)
    if error.field:
        return _invalid({_FIELD_NAMES.get(error.field, error.field): error.message})
    return ApiRefusal(422, error.code, error.message)


def _rate_limited(limited: limits.Limited) -> ApiRefusal:
    return ApiRefusal(
        429,
        "rate_limited",
        translation.ngettext(
            "Too many requests: wait %(minutes)s minute, then send again.",
            "Too many requests: wait %(minutes)s minutes, then send again.",
            limited.minutes,
        )
        % {"minutes": limited.minutes},
        headers={"Retry-After": str(limited.retry_after)},
    )


def _forbidden() -> ApiRefusal:
    return ApiRefusal(403, "forbidden", gettext_lazy("You may not do this."))


def _not_found() -> ApiRefusal:
    return ApiRefusal(404, "not_found", gettext_lazy("Nothing you may see has this identifier."))


def _api_view(view: Any, *, methods: tuple[str, ...] = ("POST",)) -> Any:
    """Token requests are exempt from CSRF (the session's are checked in ``authenticate``);
    every refusal answers JSON in the client's language."""

    @csrf_exempt
    @require_http_methods(list(methods))
    def wrapped(request: HttpRequest, pk: int) -> HttpResponse:
        with translation.override(translation.get_language_from_request(request)):
            try:
                response: HttpResponse = view(request, pk)
            except ApiRefusal as refusal:
                return _refusal_response(request, refusal)
            except (Http404, PermissionDenied):
                return _refusal_response(request, _not_found())
        response["Cache-Control"] = "no-store"
        return response

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


# -- contributions -------------------------------------------------------------------------------


def contribution_body(contribution: Contribution) -> dict[str, Any]:
    """What the API answers about a stored contribution (the same for every replay)."""
    return {
        "id": contribution.pk,
        "number": contribution.pk,
        "workshop": contribution.workshop_id,
        "dimension": contribution.dimension,
        "language": contribution.language,
        "moderation_status": contribution.moderation_status,
        "channel": contribution.channel,
        "idempotency_key": contribution.idempotency_key,
        "created_at": contribution.created_at.isoformat(),
        "said_at": contribution.said_at.isoformat() if contribution.said_at else None,
    }


def _contribution_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, str] = {}
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        fields["text"] = _("The contribution is empty: write or record something first.")
    dimension = data.get("dimension")
    if not isinstance(dimension, str) or dimension not in Dimension.values:
        fields["dimension"] = _("Choose one of: %(values)s.") % {
            "values": ", ".join(Dimension.values)
        }
    language = _optional_str(data, "language", fields)
    if language and language not in Language.values:
        fields["language"] = _("Choose one of: %(values)s.") % {
            "values": ", ".join(Language.values)
        }
    channel = _optional_str(data, "channel", fields) or Channel.API
    if channel not in CHANNELS:
        fields["channel"] = _("Choose one of: %(values)s.") % {"values": ", ".join(CHANNELS)}
    speaker = data.get("speaker")
    if speaker is not None and (isinstance(speaker, bool) or not isinstance(speaker, int)):
        fields["speaker"] = _("Must be a participant's id (a whole number) or null.")
    oral_consent = data.get("oral_consent", False)
    if not isinstance(oral_consent, bool):
        fields["oral_consent"] = _("Must be true or false.")
    said_at = _said_at(data, fields)
    key = data.get("idempotency_key")
    if not isinstance(key, str) or not key.strip():
        fields["idempotency_key"] = _(
            "Send an idempotency key: the same key for every retry of the same contribution."
        )
    else:
        try:
            key = idempotency_key_clean(key)
        except DomainError as error:
            fields["idempotency_key"] = error.message
    if fields:
        raise _invalid(fields)
    return {
        "text": text,
        "dimension": dimension,
        "language": language or None,
        "channel": channel,
        "speaker": speaker,
        "oral_consent": oral_consent,
        "idempotency_key": key,
        "said_at": said_at,
    }


def _said_at(data: dict[str, Any], fields: dict[str, str]) -> dt.datetime | None:
    value = _optional_str(data, "said_at", fields)
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        fields["said_at"] = _(
            "Must be a date and time with its offset, as 2018-08-04T10:30:00+01:00."
        )
        return None
    return moment


def _linked_participant(user: User) -> Participant | None:
    participant: Participant | None = getattr(user, "participant", None)
    if participant is None or participant.erased_at is not None:
        return None
    return participant


def _contribution_sender(
    user: User, workshop: Workshop, speaker_id: int | None
) -> tuple[Participant | None, User | None]:
    """``(author, recorded_by)``: the workshop's staff record for the room (or for a speaker),
    a participant sends their own words; anyone else is refused. A workshop that is not open
    goes on to the service, which answers a replay or says why it is refused."""
    is_open = workshop.status == Workshop.Status.OPEN
    records = (
        rules.can_record_for_others(user, workshop)
        if is_open
        else consultation_rules.is_workshop_staff(user, workshop)
    )
    if records:
        return None, user
    participant = _linked_participant(user)
    may_contribute = rules.can_contribute(user, workshop) if is_open else participant is not None
    if participant is None or not may_contribute or speaker_id is not None:
        # Only the round table's staff record someone else's words.
        raise _forbidden()
    return participant, None


@_api_view
def workshop_contributions(request: HttpRequest, pk: int) -> HttpResponse:
    user, _by_token = authenticate(request)
    workshop = workshop_get_for_user(workshop_id=pk, user=user)
    data = _contribution_fields(_json_object(request))
    author, recorded_by = _contribution_sender(user, workshop, data["speaker"])
    if data["speaker"] is not None:
        author = workshop_speakers(workshop=workshop).filter(pk=data["speaker"]).first()
        if author is None:
            raise _invalid(
                {
                    "speaker": _(
                        "This participant is neither at this round table nor registered for "
                        "its meeting: their words cannot be recorded here."
                    )
                }
            )
        if not data["oral_consent"]:
            raise _invalid(
                {
                    "oral_consent": _(
                        "Set oral_consent to true once the speaker has agreed aloud to take "
                        "part: without it, their words cannot be recorded under their name."
                    )
                }
            )
    # A replay is not counted against the rate: a phone syncing its queue again is no flood.
    if not api_selectors.contribution_key_used(
        author=author, recorded_by=recorded_by, idempotency_key=data["idempotency_key"]
    ):
        limited = limits.contribution_limited(request, recorded_for_others=recorded_by is not None)
        if limited is not None:
            raise _rate_limited(limited)
    try:
        submission = contribution_submit(
            workshop=workshop,
            text=data["text"],
            dimension=data["dimension"],
            language=data["language"],
            channel=data["channel"],
            author=author,
            recorded_by=recorded_by,
            idempotency_key=data["idempotency_key"],
            said_at=data["said_at"],
        )
    except DomainError as error:
        raise _domain_refusal(error, workshop_id=workshop.pk) from error
    # Read back after the commit: what a replay will answer, byte for byte.
    stored = Contribution.objects.get(pk=submission.contribution.pk)
    return JsonResponse(
        contribution_body(stored),
        status=201 if submission.created else 200,
        json_dumps_params=_JSON,
    )


# -- votes ---------------------------------------------------------------------------------------


def _vote_fields(data: dict[str, Any]) -> int:
    fields: dict[str, str] = {}
    value = data.get("value")
    if not isinstance(value, str) or value not in VOTE_VALUES:
        fields["value"] = _("Choose one of: %(values)s.") % {"values": ", ".join(VOTE_VALUES)}
    key = data.get("idempotency_key")
    if key is not None:
        try:
            if not isinstance(key, str):
                raise DomainError(_("Must be a string."), code="invalid")
            idempotency_key_clean(key)
        except DomainError as error:
            fields["idempotency_key"] = error.message
    if fields:
        raise _invalid(fields)
    return int(VOTE_VALUES[value])  # type: ignore[index]


def vote_body(vote: Vote) -> dict[str, Any]:
    return {
        "contribution": vote.contribution_id,
        "value": VOTE_NAMES[Vote.Value(vote.value)],
    }


@_api_view
def contribution_votes(request: HttpRequest, pk: int) -> HttpResponse:
    user, _by_token = authenticate(request)
    contribution = contribution_get_for_user(contribution_id=pk, user=user)
    workshop = contribution.workshop
    if workshop is None:
        raise _not_found()
    value = _vote_fields(_json_object(request))
    participant = _linked_participant(user)
    if participant is None or (
        workshop.status == Workshop.Status.OPEN and not rules.can_vote(user, workshop)
    ):
        raise _forbidden()
    # The same vote again (a queue synced twice, even after the workshop closed): as stored.
    same = api_selectors.vote_get(contribution=contribution, participant=participant, value=value)
    if same is not None:
        return JsonResponse(vote_body(same), status=200, json_dumps_params=_JSON)
    limited = limits.vote_limited(request)
    if limited is not None:
        raise _rate_limited(limited)
    try:
        ballot = vote_cast(contribution=contribution, participant=participant, value=value)
    except DomainError as error:
        raise _domain_refusal(error, workshop_id=workshop.pk) from error
    return JsonResponse(
        vote_body(ballot.vote), status=201 if ballot.created else 200, json_dumps_params=_JSON
    )


# -- imports -------------------------------------------------------------------------------------


def _plan_rows(plan: NotesImportPlan) -> list[dict[str, Any]]:
    return [
        {
            "number": row.number,
            "action": row.action,
            "contribution": row.contribution_id,
            "errors": [str(error) for error in row.errors],
        }
        for row in plan.rows
    ]


def _import_file(request: HttpRequest) -> tuple[bytes, str]:
    limit = note_files.max_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    too_large = ApiRefusal(
        413,
        "too_large",
        gettext_lazy("What you sent is too large: at most %(kb)s KB.") % {"kb": limit // 1024},
    )
    if declared > limit + 64 * 1024:  # the file and the multipart envelope around it
        raise too_large
    upload = request.FILES.get("file")
    if upload is None:
        raise _invalid({"file": _("Send the file (CSV or XLSX) in the field “file”.")})
    if (upload.size or 0) > limit:
        raise too_large
    return upload.read(limit + 1), str(upload.name or "")


@_api_view
def workshop_imports(request: HttpRequest, pk: int) -> HttpResponse:
    """``multipart/form-data`` with ``file`` (CSV or XLSX) and, to preview only,
    ``dry_run=true``: all rows stored or none (``contributions.services.importing``)."""
    user, _by_token = authenticate(request)
    workshop = workshop_get_for_user(workshop_id=pk, user=user)
    if not rules.can_import_notes(user, workshop):
        raise _forbidden()
    content, filename = _import_file(request)
    try:
        dry_run = request.POST.get("dry_run", "").lower() in {"1", "true", "yes"}
        if not dry_run:
            rows = len(note_files.read(name=filename, content=content))
            if notes_import_in_background(rows):
                job = notes_import_queue(
                    workshop=workshop, data=content, filename=filename, by=user, rows=rows
                )
                return JsonResponse(notes_import_body(job), status=202, json_dumps_params=_JSON)
        if dry_run:
            plan = contributions_import_check(
                workshop=workshop, data=content, filename=filename, by=user
            )
            body = {
                "ok": plan.ok,
                "new": plan.new,
                "already": plan.already,
                "rows": _plan_rows(plan),
            }
            return JsonResponse(body, json_dumps_params=_JSON)
        result = contributions_import(workshop=workshop, data=content, filename=filename, by=user)
    except NotesImportRefused as refused:
        raise ApiRefusal(
            422,
            "import_refused",
            refused.message,
            extra={"rows": [row for row in _plan_rows(refused.plan) if row["errors"]]},
        ) from refused
    except DomainError as error:
        if error.code == "file_too_large":
            raise ApiRefusal(413, "too_large", error.message) from error
        raise _domain_refusal(error, workshop_id=workshop.pk) from error
    body = {
        "workshop": workshop.pk,
        "created": result.created,
        "already": result.already,
        "pending": result.pending,
        "rows": _plan_rows(result.plan),
    }
    return JsonResponse(body, status=201 if result.created else 200, json_dumps_params=_JSON)


def notes_import_body(job: NotesImport) -> dict[str, Any]:
    """What the API answers about an import left to the worker."""
    return {
        "import": job.pk,
        "workshop": job.workshop_id,
        "status": job.status,
        "rows": job.rows,
        "created": job.created_count,
        "already": job.already_count,
        "pending": job.pending,
        "message": job.message,
        "errors": job.errors,
        "url": reverse("api:import", args=[job.pk]),
    }


def _notes_import_status(request: HttpRequest, pk: int) -> HttpResponse:
    """How an import left to the worker goes; for whoever may import the round table's notes."""
    user, _by_token = authenticate(request)
    job = NotesImport.objects.select_related("workshop").filter(pk=pk).first()
    if job is None:
        raise _not_found()
    workshop = workshop_get_for_user(workshop_id=job.workshop_id, user=user)
    if not rules.can_import_notes(user, workshop):
        raise _not_found()
    return JsonResponse(notes_import_body(job), json_dumps_params=_JSON)


notes_import_status = _api_view(_notes_import_status, methods=("GET", "HEAD"))
