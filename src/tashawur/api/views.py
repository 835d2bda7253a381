"""The read-only JSON API.

``GET /api/consultations``
    The public consultations with counts.

``GET /api/openapi.json``
    The OpenAPI 3.1 description of these endpoints (``tashawur.api.schema``).

``GET /api/consultations/<slug>/open-data.zip``
    The pseudonymised open data of a public (non-draft) consultation, as a ZIP holding
    ``contributions.csv``, ``votes.csv`` (aggregated per proposal), ``findings.csv`` (the latest
    successful synthesis run), ``datapackage.json`` (a Frictionless Data Package descriptor:
    licence CC BY 4.0, one schema per CSV, field descriptions in English and French) and
    ``README.txt`` (Arabic and French: what is published, how authors are pseudonymised, the
    limits). CSVs are UTF-8 with a byte order mark and every cell is formula-escaped.

``GET /api/consultations/<slug>/contributions.json?page=N``
    The rows of ``contributions.csv`` as JSON, ``PAGE_SIZE`` per page, oldest first, with
    ``count``, ``page``, ``pages``, ``next`` and ``previous`` (Django's paginator).

Which contributions are published and how authors are pseudonymised is decided in
``tashawur.api.selectors`` (moderation, erasure, consent; keyed-hash pseudonyms per
consultation; actor type and province dropped below ``TASHAWUR_OPEN_DATA_K`` authors). Both
open-data responses are ``Cache-Control: public, max-age=300`` and carry a dated file name in
``Content-Disposition``; a draft or unknown consultation, or a page past the last, answers 404
with ``{"error": {"code", "message"}}``, a page that is not a whole number from 1 to
``PAGE_MAX`` in ASCII digits 400 (``core.validation.page_number_parse``). Every other 4xx or 5xx
under ``/api/`` has the same body (``tashawur.api.errors``).

An anonymous network gets at most ``TASHAWUR_RATE_DOWNLOADS`` open-data responses (ZIP and
JSON pages together); past it, 429 ``rate_limited`` with ``Retry-After``. The ZIP is cached
under the versions of what it holds (``open_data_version``, ``core.caching``), so a change in
the data is in the next one.
"""

from __future__ import annotations

from django.core.paginator import EmptyPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from tashawur.api.errors import error_response
from tashawur.api.opendata import OPEN_DATA_RENDERER, file_stem, open_data_zip
from tashawur.api.schema import openapi_document
from tashawur.api.selectors import (
    OpenData,
    open_data_author_profiles,
    open_data_build,
    open_data_consultation_get,
    open_data_contribution_rows,
    open_data_contribution_values,
    open_data_contributions,
    open_data_version,
)
from tashawur.consultations.models import Consultation
from tashawur.contributions.selectors import consultation_list_with_counts
from tashawur.core import limits
from tashawur.core.caching import cached_build, version_key
from tashawur.core.errors import DomainError
from tashawur.core.validation import page_number_parse
from tashawur.core.views import download_limit_message

PAGE_SIZE = 100
CACHE_SECONDS = 300
_JSON = {"ensure_ascii": False}


# Read-only: exempt from CSRF so that a write gets the honest 405 instead of a CSRF 403.
@csrf_exempt
@require_safe
def consultation_list(request: HttpRequest) -> JsonResponse:
    consultations = [
        {
            "slug": c.slug,
            "title": {"ar": c.title_ar, "fr": c.title_fr},
            "region": c.region.code,
            "status": c.status,
            "counts": {
                "meetings": c.meetings_count,  # type: ignore[attr-defined]
                "workshops": c.workshops_count,  # type: ignore[attr-defined]
                "contributions": c.contributions_count,  # type: ignore[attr-defined]
                "votes": c.votes_count,  # type: ignore[attr-defined]
            },
        }
        for c in consultation_list_with_counts()
    ]
    return JsonResponse({"consultations": consultations}, json_dumps_params=_JSON)


@csrf_exempt
@require_safe
def openapi(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(openapi_document(), json_dumps_params=_JSON)
    patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    return response


def _error(request: HttpRequest, status: int, code: str, message: str | Promise) -> JsonResponse:
    return error_response(request, status, code, message)


def _download_limited(request: HttpRequest) -> JsonResponse | None:
    """An anonymous network past ``TASHAWUR_RATE_DOWNLOADS``: 429 with the JSON error."""
    limited = limits.download_limited(request)
    if limited is None:
        return None
    with translation.override(translation.get_language_from_request(request)):
        message = download_limit_message(limited)
    response = _error(request, 429, "rate_limited", message)
    response["Retry-After"] = str(limited.retry_after)
    return response


def _consultation_not_found(request: HttpRequest) -> JsonResponse:
    return _error(
        request, 404, "consultation_not_found", _("No public consultation has this identifier.")
    )


def _public(response: HttpResponse, *, disposition: str, file_name: str) -> HttpResponse:
    patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    response["Content-Disposition"] = f'{disposition}; filename="{file_name}"'
    return response


@csrf_exempt
@require_safe
def open_data_archive(request: HttpRequest, slug: str) -> HttpResponse:
    if (refused := _download_limited(request)) is not None:
        return refused
    try:
        consultation = open_data_consultation_get(slug=slug)
    except Http404:
        return _consultation_not_found(request)
    # Built once per version of what it holds (``open_data_version``: the contributions',
    # authors' and votes' generations, the run and its curation), the day and the renderer:
    # a change in the data, a consent withdrawn, an erasure is in the next download.
    day = timezone.localdate()
    key = version_key(
        "open-data-zip", OPEN_DATA_RENDERER, day, *open_data_version(consultation=consultation)
    )

    def build() -> bytes:
        data: OpenData = open_data_build(consultation=consultation)
        return open_data_zip(data)

    response = HttpResponse(cached_build(key, build), content_type="application/zip")
    return _public(
        response, disposition="attachment", file_name=f"{file_stem(consultation, day)}.zip"
    )


def _page_url(request: HttpRequest, consultation: Consultation, page: int) -> str:
    path = reverse("api:contributions", kwargs={"slug": consultation.slug})
    return request.build_absolute_uri(f"{path}?page={page}")


@csrf_exempt
@require_safe
def open_data_contributions_page(request: HttpRequest, slug: str) -> HttpResponse:
    # A page is a hundred rows, cheap enough to build each time: throttled, not cached.
    if (refused := _download_limited(request)) is not None:
        return refused
    try:
        consultation = open_data_consultation_get(slug=slug)
    except Http404:
        return _consultation_not_found(request)
    try:
        # In the client's language, as every message of the API (see api.errors).
        with translation.override(translation.get_language_from_request(request)):
            number = page_number_parse(request.GET.get("page"))
    except DomainError as error:
        return _error(request, 400, error.code, error.message)
    contributions = open_data_contributions(consultation=consultation)
    paginator = Paginator(open_data_contribution_values(contributions), PAGE_SIZE)
    try:
        page = paginator.page(number)
    except EmptyPage:
        return _error(request, 404, "page_not_found", _("This page is past the last one."))
    values = list(page.object_list)
    profiles = open_data_author_profiles(
        consultation=consultation, authors={c["author_id"] for c in values if c["author_id"]}
    )
    rows = open_data_contribution_rows(values, profiles=profiles)
    body = {
        "consultation": consultation.slug,
        "licence": "CC-BY-4.0",
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "next": _page_url(request, consultation, page.next_page_number())
        if page.has_next()
        else None,
        "previous": _page_url(request, consultation, page.previous_page_number())
        if page.has_previous()
        else None,
        "results": rows,
    }
    response = JsonResponse(body, json_dumps_params=_JSON)
    day = timezone.localdate()
    return _public(
        response,
        disposition="inline",
        file_name=f"tashawur-{consultation.slug}-contributions-{day.isoformat()}-p{page.number}.json",
    )
