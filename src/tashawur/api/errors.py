"""The API's error body, ``{"error": {"code", "message"}}``, for every 4xx and 5xx under
``/api/``: the views answer it themselves for the rules they know (an unknown consultation, a
page past the last); `ApiErrorMiddleware` gives the same shape to what Django answers on its own
(an address that matches no route, a method not allowed, a request too large, a server error),
which would otherwise be an HTML page."""

from __future__ import annotations

import re
from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

_JSON = {"ensure_ascii": False}

#: Stable codes and translated messages of the answers Django gives on its own.
_STATUS_ERRORS: dict[int, tuple[str, Promise]] = {
    400: ("bad_request", _("The request could not be read.")),
    403: ("forbidden", _("You may not do this.")),
    404: ("not_found", _("No resource of the API has this address.")),
    405: ("method_not_allowed", _("This address only answers reading (GET or HEAD).")),
    413: ("request_too_large", _("What you sent is too large.")),
    500: ("server_error", _("The server failed to answer; try again later.")),
    503: ("unavailable", _("The service is busy or unavailable; try again in a moment.")),
}


def error_response(
    request: HttpRequest, status: int, code: str, message: Promise | str
) -> JsonResponse:
    """The API's error answer, its message in the language the client asks for."""
    # /api/ lies outside i18n_patterns, where the middleware always picks Arabic: an API client
    # says which language it reads with Accept-Language.
    with translation.override(translation.get_language_from_request(request)):
        body = {"error": {"code": code, "message": str(message)}}
    return JsonResponse(body, status=status, json_dumps_params=_JSON)


def _status_code(status: int) -> str:
    try:
        return re.sub(r"[^a-z0-9]+", "_", HTTPStatus(status).phrase.lower()).strip("_")
    except ValueError:
        return "client_error" if status < 500 else "server_error"


def api_prefix() -> str:
    """Where the API's addresses start (``/api/``)."""
    return reverse("api:openapi").removesuffix("openapi.json")


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith(api_prefix())


class ApiErrorMiddleware:
    """Under ``/api/``, a 4xx or 5xx answer that is not the API's JSON becomes the API's error
    body with the same status (and headers such as ``Allow``).

    Placed inside ``GZipMiddleware`` (after it in ``MIDDLEWARE``), so the body it writes is the
    one compressed.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not is_api_request(request):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        status = response.status_code
        code, message = _STATUS_ERRORS.get(status, (_status_code(status), _("The request failed.")))
        answer = error_response(request, status, code, message)
        for header in ("Allow", "Retry-After"):
            if header in response:
                answer[header] = response[header]
        return answer
