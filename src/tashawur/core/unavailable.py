"""A database that is busy or out of reach answers a translated 503, never a traceback.

SQLite answers "database is locked" when a writer waited longer than its busy timeout, and
"disk I/O error", "database or disk is full" or "unable to open database file" when the disk
fails; PostgreSQL has the same troubles under other names (SQLSTATE classes 53 "insufficient
resources", 08 "connection exception", 57P03 "cannot connect now", and the lock and
serialisation failures 55P03, 40001, 40P01). `DatabaseUnavailableMiddleware` turns each into a
503 with ``Retry-After``: the site's page, or the API's JSON error under ``/api/``. A reading
request (GET, HEAD, OPTIONS) that met a busy database is run once more before giving up; a write
is never run twice, the person is asked to try again (the transaction it ran in was rolled back).
"""

from __future__ import annotations

import logging
import random
import sqlite3
import sys
import time
from collections.abc import Callable
from typing import Any, Literal

from django.core.signals import got_request_exception
from django.db import OperationalError, connections
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

Trouble = Literal["busy", "unavailable"]

SERVICE_UNAVAILABLE = 503
#: Seconds the client is told to wait (``Retry-After``), per trouble.
RETRY_AFTER: dict[Trouble, int] = {"busy": 5, "unavailable": 60}
#: Methods that change nothing: run once more when the database was busy.
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_SQLITE_BUSY = ("SQLITE_BUSY", "SQLITE_LOCKED")
_SQLITE_UNAVAILABLE = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_READONLY")
# Messages, for the drivers (and tests) that give no error name.
_BUSY_MESSAGES = ("database is locked", "database table is locked")
_UNAVAILABLE_MESSAGES = (
    "disk i/o error",
    "database or disk is full",
    "unable to open database",
    "attempt to write a readonly database",
    "no space left on device",
    "too many connections",
    "could not connect to server",
    "connection refused",
)
_POSTGRESQL_BUSY = {"55P03", "40001", "40P01"}
_POSTGRESQL_UNAVAILABLE_CLASSES = ("53", "08")
_POSTGRESQL_UNAVAILABLE = {"57P03"}

_ATTRIBUTE = "_tashawur_database_trouble"


def database_trouble(error: BaseException) -> Trouble | None:
    """``"busy"`` when trying again soon may work (a lock held too long), ``"unavailable"``
    when the database or its disk is out of reach (full, failing, too many connections), None
    for any other error (a bug: it stays a 500)."""
    if not isinstance(error, OperationalError):
        return None
    cause = error.__cause__
    if isinstance(cause, sqlite3.Error):
        name = getattr(cause, "sqlite_errorname", "") or ""
        if name.startswith(_SQLITE_BUSY):
            return "busy"
        if name.startswith(_SQLITE_UNAVAILABLE):
            return "unavailable"
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if isinstance(state, str):
        if state in _POSTGRESQL_BUSY:
            return "busy"
        if state in _POSTGRESQL_UNAVAILABLE or state.startswith(_POSTGRESQL_UNAVAILABLE_CLASSES):
            return "unavailable"
    message = str(error).lower()
    if any(text in message for text in _BUSY_MESSAGES):
        return "busy"
    if any(text in message for text in _UNAVAILABLE_MESSAGES):
        return "unavailable"
    return None


def _message(trouble: Trouble, method: str) -> str:
    if trouble == "busy":
        if method in _SAFE_METHODS:
            return _("Many people are using the site at this moment. Please reload the page.")
        return _(
            "Many people are using the site at this moment, and what you sent was not saved. "
            "Please try again in a few seconds."
        )
    return _("The site cannot reach its data at the moment. Please try again in a few minutes.")


def _is_api(request: HttpRequest) -> bool:
    match = request.resolver_match
    return match is not None and "api" in match.namespaces


def unavailable_response(request: HttpRequest, trouble: Trouble) -> HttpResponse:
    """The 503 answer: the API's JSON error, a bare notice for htmx, or the site's page.

    The page is rendered without the context processors: they would read the session and the
    user from the very database that failed."""
    message = _message(trouble, request.method or "GET")
    response: HttpResponse
    if _is_api(request):
        # /api/ lies outside i18n_patterns: the client says its language with Accept-Language.
        with translation.override(translation.get_language_from_request(request)):
            message = _message(trouble, request.method or "GET")
        code = "database_busy" if trouble == "busy" else "database_unavailable"
        response = JsonResponse(
            {"error": {"code": code, "message": message}},
            status=SERVICE_UNAVAILABLE,
            json_dumps_params={"ensure_ascii": False},
        )
    elif request.headers.get("HX-Request") == "true":
        response = HttpResponse(
            render_to_string("core/unavailable_notice.html", {"message": message}),
            status=SERVICE_UNAVAILABLE,
        )
    else:
        context = {"message": message, "request": request, "csrf_token": get_token(request)}
        response = HttpResponse(render_to_string("503.html", context), status=SERVICE_UNAVAILABLE)
    response["Retry-After"] = str(RETRY_AFTER[trouble])
    response["Cache-Control"] = "no-store"
    setattr(response, _ATTRIBUTE, trouble)
    return response


@receiver(got_request_exception)
def _remember_trouble(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Errors raised outside the view (a session saved by its middleware) become a 500 before
    the middleware sees them: remember what they were, for the middleware to answer 503."""
    error = sys.exc_info()[1]
    if request is not None and error is not None:
        trouble = database_trouble(error)
        if trouble is not None:
            setattr(request, _ATTRIBUTE, trouble)


class DatabaseUnavailableMiddleware:
    """Answer a busy or unreachable database with a translated 503 and ``Retry-After``.

    Place it outside ``SessionMiddleware`` (before it in ``MIDDLEWARE``): a reading request
    that met a busy database runs once more through everything inside, session included.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        trouble = self._trouble(request, response)
        if trouble == "busy" and request.method in _SAFE_METHODS and self._may_run_again():
            # Let the writer holding the lock finish; jitter keeps the retries apart.
            time.sleep(0.2 + random.random() * 0.3)  # noqa: S311 - not for security
            setattr(request, _ATTRIBUTE, None)
            response = self.get_response(request)
            trouble = self._trouble(request, response)
        if trouble is not None and not hasattr(response, _ATTRIBUTE):
            response = unavailable_response(request, trouble)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        trouble = database_trouble(exception)
        if trouble is None:
            return None
        # A busy database is a passing strain; one out of reach needs someone (a full disk).
        logger.log(
            logging.WARNING if trouble == "busy" else logging.ERROR,
            "Database %s on %s %s: %s",
            trouble,
            request.method,
            request.path,
            exception,
        )
        setattr(request, _ATTRIBUTE, trouble)
        return unavailable_response(request, trouble)

    @staticmethod
    def _trouble(request: HttpRequest, response: HttpResponse) -> Trouble | None:
        trouble: Trouble | None = getattr(request, _ATTRIBUTE, None)
        if trouble is None or response.status_code not in {500, SERVICE_UNAVAILABLE}:
            return None
        return trouble

    @staticmethod
    def _may_run_again() -> bool:
        # Not inside a transaction the request was given (ATOMIC_REQUESTS, a test's
        # transaction): running again would reuse a transaction that failed.
        return not any(connection.in_atomic_block for connection in connections.all())
