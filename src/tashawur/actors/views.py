"""The participant's own pages. Thin: authorise → one selector → render (STYLE.md)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from tashawur.actors import exports, selectors
from tashawur.core.errors import DomainError

MY_DATA_PAGE = "actors/my_data.html"
NOT_FOUND = 404


def _nothing_to_export(request: HttpRequest, error: DomainError, *, status: int) -> HttpResponse:
    return render(request, MY_DATA_PAGE, {"unavailable": error.message}, status=status)


def _download(content: bytes, *, content_type: str, file_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, file_name)
    # Personal data: no shared or browser cache keeps a copy.
    patch_cache_control(response, no_store=True, private=True)
    return response


@require_safe
@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    try:
        participant = selectors.participant_get_for_export(user=request.user)
    except DomainError as error:
        return _nothing_to_export(request, error, status=200)
    response = render(request, MY_DATA_PAGE, {"participant": participant})
    patch_cache_control(response, private=True)
    return response


@require_safe
@login_required
def my_data_json(request: HttpRequest) -> HttpResponse:
    try:
        participant = selectors.participant_get_for_export(user=request.user)
    except DomainError as error:
        return _nothing_to_export(request, error, status=NOT_FOUND)
    now = timezone.now()
    document = selectors.participant_data_export(participant=participant, at=now)
    return _download(
        exports.export_json(document),
        content_type="application/json; charset=utf-8",
        file_name=exports.export_file_name(day=timezone.localdate(now), extension="json"),
    )


@require_safe
@login_required
def my_data_csv(request: HttpRequest) -> HttpResponse:
    try:
        participant = selectors.participant_get_for_export(user=request.user)
    except DomainError as error:
        return _nothing_to_export(request, error, status=NOT_FOUND)
    now = timezone.now()
    day = timezone.localdate(now)
    document = selectors.participant_data_export(participant=participant, at=now)
    return _download(
        exports.export_csv_zip(document, day=day),
        content_type="application/zip",
        file_name=exports.export_file_name(day=day, extension="zip"),
    )
