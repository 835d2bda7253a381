"""A programme's measures as files: export (CSV, XLSX), the empty template, and the import with
its preview. Thin: parse → service → render (STYLE.md).

The import runs in two steps without JavaScript: the upload is checked and read, and a preview
lists what each row would do and every row's errors; the file waits in private storage
(``core.storage.private_storage``, under a random name remembered in the uploader's session) until a
second POST confirms it, which reads it again and imports it all or nothing.

An export is private (``Cache-Control: private, no-store``) while the programme is not public;
a public programme's (``rules.is_programme_public``) is as public as its page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from tashawur.core import limits
from tashawur.core.errors import DomainError
from tashawur.core.pending_uploads import PendingUploads
from tashawur.core.views import download_limit_message, too_many_requests
from tashawur.programmes import measure_files, rules, selectors
from tashawur.programmes.models import Measure, Programme
from tashawur.programmes.services import (
    MeasuresImportRefused,
    measures_import,
    measures_import_check,
)

UNPROCESSABLE = 422
_PENDING = PendingUploads(session_key="programmes.measures_import", folder="programmes/imports")
_CONTENT_TYPES = {"csv": measure_files.CSV_CONTENT_TYPE, "xlsx": measure_files.XLSX_CONTENT_TYPE}


def _download(
    request: HttpRequest, programme: Programme, content: bytes, *, kind: str, stem: str
) -> HttpResponse:
    response = HttpResponse(content, content_type=_CONTENT_TYPES[kind])
    day = timezone.localdate().isoformat()
    name = f"{stem}-{programme.consultation.slug}-{day}.{kind}"
    response["Content-Disposition"] = content_disposition_header(True, name)
    if not rules.is_programme_public(programme):
        patch_cache_control(response, private=True, no_store=True)
    return response


def _export(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    limited = limits.download_limited(request)
    if limited is not None:
        return too_many_requests(request, message=download_limit_message(limited), limited=limited)
    programme = selectors.programme_get_for_user(slug=slug, user=request.user)
    measures = (
        Measure.objects.filter(programme=programme)
        .select_related("owner")
        .prefetch_related("partners")
    )
    content = measure_files.write(measure_files.export_rows(measures), kind=kind)
    return _download(request, programme, content, kind=kind, stem="measures")


@require_safe
def measures_export(request: HttpRequest, slug: str) -> HttpResponse:
    return _export(request, slug, "xlsx")


@require_safe
def measures_export_csv(request: HttpRequest, slug: str) -> HttpResponse:
    return _export(request, slug, "csv")


def _editable(request: HttpRequest, slug: str) -> Programme:
    programme = selectors.programme_get_for_user(slug=slug, user=request.user)
    if not rules.can_edit_programme(request.user, programme.consultation):
        raise PermissionDenied
    return programme


@require_safe
@login_required
def measures_template(request: HttpRequest, slug: str) -> HttpResponse:
    """An empty file to fill in: the header row and one example row (``?format=csv`` for CSV)."""
    programme = _editable(request, slug)
    kind = "csv" if request.GET.get("format") == "csv" else "xlsx"
    example = [
        "1",
        "",
        "محور 1: تسويق منتوجات الاقتصاد الاجتماعي والتضامني",
        "Axe 1 : commercialisation des produits de l'ESS",
        "",
        "",
        "",
        "",
        "100000.00",
        programme.starts_on,
        programme.ends_on,
        "100",
        Measure.Status.PLANNED.value,
        "0",
    ]
    content = measure_files.write([example], kind=kind)
    return _download(request, programme, content, kind=kind, stem="measures-template")


# --- import -------------------------------------------------------------------------------------


def _too_large_body(request: HttpRequest) -> bool:
    """A body far over the file limit is refused before Django reads the upload."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > measure_files.max_bytes() + 64 * 1024


def _form(
    request: HttpRequest, programme: Programme, *, error: str = "", status: int = 200
) -> HttpResponse:
    return render(
        request,
        "programmes/files/import.html",
        {
            "consultation": programme.consultation,
            "programme": programme,
            "columns": measure_files.COLUMNS,
            "statuses": Measure.Status.choices,
            "max_rows": measure_files.max_rows(),
            "max_megabytes": f"{measure_files.max_bytes() / (1024 * 1024):.1f}",
            "error": error,
        },
        status=status,
    )


def _preview(
    request: HttpRequest, programme: Programme, plan: Any, *, token: str, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "programmes/files/preview.html",
        {
            "consultation": programme.consultation,
            "programme": programme,
            "plan": plan,
            "token": token,
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def measures_import_page(request: HttpRequest, slug: str) -> HttpResponse:
    programme = _editable(request, slug)
    if request.method != "POST":
        return _form(request, programme)
    if "confirm" in request.POST:
        return _confirm(request, programme, str(request.POST.get("confirm", "")))
    if _too_large_body(request):
        measure_error = DomainError("", code="file_too_large")
        try:
            measure_files.check_size(int(request.META.get("CONTENT_LENGTH") or 0))
        except DomainError as error:
            measure_error = error
        return _form(request, programme, error=measure_error.message, status=UNPROCESSABLE)
    upload = request.FILES.get("file")
    if upload is None:
        return _form(
            request, programme, error=_("Choose a CSV or XLSX file."), status=UNPROCESSABLE
        )
    try:
        measure_files.file_kind(upload.name or "")
        measure_files.check_size(upload.size or 0)
        content = upload.read(measure_files.max_bytes() + 1)
        kind = measure_files.check_upload(name=upload.name or "", content=content)
        rows = (
            measure_files.read_xlsx(content) if kind == "xlsx" else measure_files.read_csv(content)
        )
        if not rows:
            raise DomainError(_("The file has no measure rows."), code="file_empty", field="file")
        plan = measures_import_check(programme=programme, rows=rows)
    except DomainError as error:
        return _form(request, programme, error=error.message, status=UNPROCESSABLE)
    if not plan.ok:
        return _preview(request, programme, plan, token="", status=UNPROCESSABLE)
    token = _PENDING.keep(request, owner_pk=programme.pk, content=content, kind=kind)
    return _preview(request, programme, plan, token=token)


def _confirm(request: HttpRequest, programme: Programme, token: str) -> HttpResponse:
    kept = _PENDING.take(request, owner_pk=programme.pk, token=token)
    if kept is None:
        return _form(
            request,
            programme,
            error=_("This upload was already imported or has expired: upload the file again."),
            status=UNPROCESSABLE,
        )
    content, about = kept
    kind = about["kind"]
    try:
        rows = (
            measure_files.read_xlsx(content) if kind == "xlsx" else measure_files.read_csv(content)
        )
        plan = measures_import(programme=programme, rows=rows)
    except MeasuresImportRefused as refused:
        # The programme changed since the preview: nothing was written.
        return _preview(request, programme, refused.plan, token="", status=UNPROCESSABLE)
    except DomainError as error:
        return _form(request, programme, error=error.message, status=UNPROCESSABLE)
    messages.success(
        request,
        _("Measures imported: %(new)s new, %(changed)s changed, %(unchanged)s unchanged.")
        % {"new": plan.new, "changed": plan.changed, "unchanged": plan.unchanged},
    )
    return redirect(reverse("programmes:programme", args=[programme.consultation.slug]))
