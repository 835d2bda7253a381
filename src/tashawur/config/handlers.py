"""The site's answer to a request it refuses before any view runs (``handler400``): a
translated page, 413 when the body is larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``.

Under ``/api/`` the API's middleware turns these pages into its JSON error body
(``tashawur.api.errors``). It lives here, above the apps, because it names their limits.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tashawur.api.errors import error_response, is_api_request
from tashawur.contributions.models import TEXT_MAX_LENGTH
from tashawur.core.errors import DomainError

BAD_REQUEST = 400
CONTENT_TOO_LARGE = 413


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler400``: Django's own page is untranslated and bare; a body too large for the
    limit (a megabyte pasted into a form, whatever its script) gets the translated "too long"
    page with the limits, as 413."""
    if isinstance(exception, RequestDataTooBig):
        context = {
            "max_size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
            "max_length": TEXT_MAX_LENGTH,
        }
        return render(request, "413.html", context, status=CONTENT_TOO_LARGE)
    return render(request, "400.html", status=BAD_REQUEST)


class DomainErrorMiddleware:
    """A `DomainError` no view caught (an address's ``?page=²``, say) answers 400 with its
    translated message: the site's page, or under ``/api/`` the API's error body with the
    error's code. Views still catch the errors they show next to a form's fields."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        if is_api_request(request):
            return error_response(request, BAD_REQUEST, exception.code, exception.message)
        return render(request, "400.html", {"message": exception.message}, status=BAD_REQUEST)
