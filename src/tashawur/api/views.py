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

``GET /api/consultations/<slug>/contributions.json?after=ID`` (or ``?page=N``)
    The rows of ``contributions.csv`` as JSON, ``PAGE_SIZE`` per page, with ``count``, ``page``,
    ``pages``, ``next`` and ``previous``. ``after``: the rows whose id is greater, in id order
    (keyset: as fast deep down as on the first page, and a row added meanwhile is neither
    skipped nor repeated; ``page`` and ``previous`` are null); ``page``: numbered pages, oldest
    first (Django's paginator; an offset, slower deep down).

Which contributions are published and how authors are pseudonymised is decided in
``tashawur.api.selectors`` (moderation, erasure, consent; keyed-hash pseudonyms per
consultation; actor type and province dropped below ``TASHAWUR_OPEN_DATA_K`` authors). Both
open-data responses are ``Cache-Control: public, max-age=300`` and carry a dated file name in
``Content-Disposition``; a draft or unknown consultation, or a page past the last, answers 404
with ``{"error": {"code", "message"}}``, a page that is not a whole number from 1 to
``PAGE_MAX`` in ASCII digits 400 (``core.validation.page_number_parse``). Every other 4xx or 5xx
under ``/api/`` has the same body (``tashawur.api.errors``).

An anonymous network gets at most ``TASHAWUR_RATE_DOWNLOADS`` open-data responses (ZIP and
JSON pages together); past it, 429 ``rate_limited`` with ``Retry-After``. The ZIP is the last
one built, streamed from its file with ``ETag``, ``Last-Modified`` (when it was built) and
``X-Open-Data-Version``; a vote or a new contribution queues its rebuild, a takedown is in the
next download (``api.archives``).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.paginator import EmptyPage, Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.functional import Promise
from django.utils.http import http_date
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from tashawur.api.archives import VERSION_DIGITS, open_data_archive_open
from tashawur.api.archives import etag as archive_etag
from tashawur.api.errors import error_response
from tashawur.api.opendata import file_stem
from tashawur.api.schema import openapi_document
from tashawur.api.selectors import (
    open_data_author_profiles,
    open_data_consultation_get,
    open_data_contribution_rows,
    open_data_contribution_values,
    open_data_contributions,
    open_data_contributions_count,
    open_data_cursor_parse,
)
from tashawur.consultations.models import Consultation
from tashawur.contributions.selectors import consultation_list_with_counts
from tashawur.core import limits
from tashawur.core.errors import DomainError
from tashawur.core.validation import page_number_parse
from tashawur.core.views import download_limit_message

R = TypeVar("R", bound=HttpResponseBase)

PAGE_SIZE = 100
# The ZIP is streamed in blocks of this size: a few hundred writes for tens of megabytes.
ZIP_BLOCK_BYTES = 256 * 1024
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


def _public(response: R, *, disposition: str, file_name: str) -> R:
    patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    response["Content-Disposition"] = f'{disposition}; filename="{file_name}"'
    return response


@csrf_exempt
@require_safe
def open_data_archive(request: HttpRequest, slug: str) -> HttpResponseBase:
    if (refused := _download_limited(request)) is not None:
        return refused
    try:
        consultation = open_data_consultation_get(slug=slug)
    except Http404:
        return _consultation_not_found(request)
    # The last ZIP built, streamed from its file: a vote or a new contribution since queues a
    # rebuild and is in a later download; a takedown, an edit, a consent withdrawn, an erasure
    # is in this one (``api.archives``). Its headers say when it was built.
    archive = open_data_archive_open(consultation=consultation)
    built = archive.built
    tag, modified = archive_etag(built), int(built.built_at.timestamp())
    not_modified = get_conditional_response(request, etag=tag, last_modified=modified)
    if not_modified is not None:
        archive.file.close()
        return not_modified
    response = FileResponse(archive.file, content_type="application/zip")
    response.block_size = ZIP_BLOCK_BYTES
    response["Content-Length"] = str(built.size)
    response["ETag"] = tag
    response["Last-Modified"] = http_date(modified)
    response["X-Open-Data-Version"] = built.version[:VERSION_DIGITS]
    _not_compressed(request)
    return _public(
        response,
        disposition="attachment",
        file_name=f"{file_stem(consultation, built.day)}.zip",
    )


def _not_compressed(request: HttpRequest) -> None:
    """Keep ``GZipMiddleware`` off this response: a ZIP is compressed already, so gzip would
    spend CPU on every download for nothing and drop its length. The middleware reads the
    client's Accept-Encoding from the request as the response leaves."""
    request.META.pop("HTTP_ACCEPT_ENCODING", None)


def _page_url(request: HttpRequest, consultation: Consultation, **query: int) -> str:
    path = reverse("api:contributions", kwargs={"slug": consultation.slug})
    ((name, value),) = query.items()
    return request.build_absolute_uri(f"{path}?{name}={value}")


class _CountedPaginator(Paginator):  # type: ignore[type-arg]
    """A paginator told its count (``open_data_contributions_count``, cached per version)."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count


@csrf_exempt
@require_safe
def open_data_contributions_page(request: HttpRequest, slug: str) -> HttpResponse:
    # A page is a hundred rows, cheap enough to build each time: throttled, not cached. The
    # authors' profiles and the count are read once per version of the data (selectors).
    if (refused := _download_limited(request)) is not None:
        return refused
    try:
        consultation = open_data_consultation_get(slug=slug)
    except Http404:
        return _consultation_not_found(request)
    try:
        # In the client's language, as every message of the API (see api.errors).
        with translation.override(translation.get_language_from_request(request)):
            after = open_data_cursor_parse(request.GET.get("after"))
            number = page_number_parse(request.GET.get("page"))
            if after is not None and "page" in request.GET:
                raise DomainError(
                    str(_("Ask for a page or for the rows after an identifier, not both.")),
                    code="page_and_after",
                    field="after",
                )
    except DomainError as error:
        return _error(request, 400, error.code, error.message)
    contributions = open_data_contributions(consultation=consultation)
    count = open_data_contributions_count(consultation=consultation)
    pages = max(1, -(-count // PAGE_SIZE))
    if after is not None:
        # Keyset: the rows after an id, in id order, read through the primary key's index
        # however deep; a row added meanwhile comes after the ones already read.
        values = list(
            open_data_contribution_values(contributions.filter(pk__gt=after).order_by("pk"))[
                : PAGE_SIZE + 1
            ]
        )
        more = len(values) > PAGE_SIZE
        values = values[:PAGE_SIZE]
        page_number: int | None = None
        next_url = _page_url(request, consultation, after=values[-1]["pk"]) if more else None
        previous_url = None
    else:
        paginator = _CountedPaginator(
            open_data_contribution_values(contributions), PAGE_SIZE, count=count
        )
        try:
            page = paginator.page(number)
        except EmptyPage:
            return _error(request, 404, "page_not_found", _("This page is past the last one."))
        values = list(page.object_list)
        page_number = page.number
        next_url = (
            _page_url(request, consultation, page=page.next_page_number())
            if page.has_next()
            else None
        )
        previous_url = (
            _page_url(request, consultation, page=page.previous_page_number())
            if page.has_previous()
            else None
        )
    profiles = open_data_author_profiles(
        consultation=consultation, authors={c["author_id"] for c in values if c["author_id"]}
    )
    rows = open_data_contribution_rows(values, profiles=profiles)
    body = {
        "consultation": consultation.slug,
        "licence": "CC-BY-4.0",
        "count": count,
        "page": page_number,
        "pages": pages,
        "next": next_url,
        "previous": previous_url,
        "results": rows,
    }
    response = JsonResponse(body, json_dumps_params=_JSON)
    day = timezone.localdate()
    part = f"p{page_number}" if after is None else f"after{after}"
    return _public(
        response,
        disposition="inline",
        file_name=f"tashawur-{consultation.slug}-contributions-{day.isoformat()}-{part}.json",
    )
