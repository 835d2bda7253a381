"""A round table's notes imported from a file (``/w/<pk>/import/``) and the template to fill in.
Thin: parse → authorise → service → render (STYLE.md).

The import runs in two steps without JavaScript: the upload is checked and read, and a preview
lists what each row would store and every row's errors; the file waits in private storage
(``core.storage.private_storage``, under a random name remembered in the uploader's session)
until a second POST confirms it, which reads it again and imports it all or nothing.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from tashawur.consultations.models import Dimension, Workshop
from tashawur.consultations.selectors import workshop_get_for_user
from tashawur.contributions import note_files, rules
from tashawur.contributions.models import Language, NotesImport
from tashawur.contributions.services import (
    NotesImportPlan,
    NotesImportRefused,
    contributions_import,
    contributions_import_check,
    notes_import_in_background,
    notes_import_queue,
)
from tashawur.core import tabular
from tashawur.core.errors import DomainError
from tashawur.core.models import User
from tashawur.core.pending_uploads import PendingUploads

UNPROCESSABLE = 422
FORM_PAGE = "contributions/import/import.html"
PREVIEW_PAGE = "contributions/import/preview.html"
STATUS_PAGE = "contributions/import/status.html"
_RECENT = 5
_PENDING = PendingUploads(session_key="contributions.notes_import", folder="contributions/imports")
_NAME_MAX = 200
_ROWS_SHOWN = 200


def _importable(request: HttpRequest, pk: int) -> Workshop:
    workshop = workshop_get_for_user(workshop_id=pk, user=request.user)
    if not rules.can_import_notes(request.user, workshop):
        raise PermissionDenied
    return workshop


def _private(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_safe
@login_required
def workshop_import_template(request: HttpRequest, pk: int) -> HttpResponse:
    """The file to fill in: the header row and two example rows (``?format=csv`` for CSV)."""
    workshop = _importable(request, pk)
    kind = "csv" if request.GET.get("format") == "csv" else "xlsx"
    content_type = tabular.CSV_CONTENT_TYPE if kind == "csv" else tabular.XLSX_CONTENT_TYPE
    response = HttpResponse(note_files.write_template(kind=kind), content_type=content_type)
    name = f"notes-template-{workshop.pk}.{kind}"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return _private(response)


def _too_large_body(request: HttpRequest) -> int | None:
    """The body's length when it is far over the file limit (refused before Django reads it)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    return length if length > note_files.max_bytes() + 64 * 1024 else None


# --- pages --------------------------------------------------------------------------------------


def _context(workshop: Workshop, **extra: Any) -> dict[str, Any]:
    return {
        "workshop": workshop,
        "meeting": workshop.meeting,
        "consultation": workshop.meeting.consultation,
        **extra,
    }


def _form(
    request: HttpRequest, workshop: Workshop, *, error: str = "", status: int = 200
) -> HttpResponse:
    context = _context(
        workshop,
        may_import=workshop.status == Workshop.Status.OPEN,
        dimensions=Dimension.choices,
        languages=Language.choices,
        max_rows=note_files.max_rows(),
        max_megabytes=tabular.megabytes(note_files.max_bytes()),
        error=error,
        recent=NotesImport.objects.filter(workshop=workshop).order_by("-created_at", "-id")[
            :_RECENT
        ],
    )
    return _private(render(request, FORM_PAGE, context, status=status))


def _preview(
    request: HttpRequest,
    workshop: Workshop,
    plan: NotesImportPlan,
    *,
    token: str,
    status: int = 200,
) -> HttpResponse:
    # Every refused row is listed above the table; the table shows the file's first rows only
    # (a phone need not load ten thousand).
    shown = plan.rows[:_ROWS_SHOWN]
    context = _context(
        workshop, plan=plan, token=token, shown=shown, hidden=len(plan.rows) - len(shown)
    )
    return _private(render(request, PREVIEW_PAGE, context, status=status))


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def workshop_import(request: HttpRequest, pk: int) -> HttpResponse:
    workshop = _importable(request, pk)
    if request.method != "POST":
        return _form(request, workshop)
    if "confirm" in request.POST:
        return _confirm(request, workshop, str(request.POST.get("confirm", "")))
    too_large = _too_large_body(request)
    if too_large is not None:
        try:
            tabular.check_size(too_large, limit=note_files.max_bytes())
        except DomainError as error:
            return _form(request, workshop, error=error.message, status=UNPROCESSABLE)
    upload = request.FILES.get("file")
    if upload is None:
        return _form(request, workshop, error=_("Choose a CSV or XLSX file."), status=UNPROCESSABLE)
    filename = (upload.name or "")[-_NAME_MAX:]
    try:
        tabular.file_kind(filename)
        tabular.check_size(upload.size or 0, limit=note_files.max_bytes())
        content = upload.read(note_files.max_bytes() + 1)
        plan = contributions_import_check(
            workshop=workshop, data=content, filename=filename, by=cast(User, request.user)
        )
    except DomainError as error:
        return _form(request, workshop, error=error.message, status=UNPROCESSABLE)
    if not plan.ok:
        return _preview(request, workshop, plan, token="", status=UNPROCESSABLE)
    token = _PENDING.keep(
        request,
        owner_pk=workshop.pk,
        content=content,
        kind=tabular.file_kind(filename),
        name=filename,
    )
    return _preview(request, workshop, plan, token=token)


def _confirm(request: HttpRequest, workshop: Workshop, token: str) -> HttpResponse:
    kept = _PENDING.take(request, owner_pk=workshop.pk, token=token)
    if kept is None:
        return _form(
            request,
            workshop,
            error=_("This upload was already imported or has expired: upload the file again."),
            status=UNPROCESSABLE,
        )
    content, about = kept
    filename = about["name"]
    try:
        rows = len(note_files.read(name=filename, content=content))
        if notes_import_in_background(rows):
            job = notes_import_queue(
                workshop=workshop,
                data=content,
                filename=filename,
                by=cast(User, request.user),
                rows=rows,
            )
            return redirect(
                reverse("contributions:workshop_import_status", args=[workshop.pk, job.pk])
            )
        result = contributions_import(
            workshop=workshop, data=content, filename=filename, by=cast(User, request.user)
        )
    except NotesImportRefused as refused:
        # Something changed since the preview (a speaker erased...): nothing was written.
        return _preview(request, workshop, refused.plan, token="", status=UNPROCESSABLE)
    except DomainError as error:
        return _form(request, workshop, error=error.message, status=UNPROCESSABLE)
    if result.created == 0:
        messages.info(request, _("This file was already imported: nothing new was stored."))
    else:
        message = ngettext(
            "%(count)s note imported.", "%(count)s notes imported.", result.created
        ) % {"count": result.created}
        if result.already:
            message += " " + ngettext(
                "%(count)s row was already imported and was not stored again.",
                "%(count)s rows were already imported and were not stored again.",
                result.already,
            ) % {"count": result.already}
        if result.pending:
            message += " " + _("They wait for a moderator before they are published.")
        messages.success(request, message)
    return redirect(reverse("contributions:workshop", args=[workshop.pk]))


@require_safe
@login_required
def workshop_import_status(request: HttpRequest, pk: int, import_id: int) -> HttpResponse:
    """How an import left to the worker goes: it refreshes itself until it has ended."""
    workshop = _importable(request, pk)
    job = get_object_or_404(NotesImport, pk=import_id, workshop=workshop)
    return _private(render(request, STATUS_PAGE, _context(workshop, job=job)))
