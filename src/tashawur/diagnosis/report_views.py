"""The diagnosis as files: the published diagnosis as a PDF, the current run's findings and
breakdowns as XLSX workbooks. Thin: parse → selector → render (STYLE.md).

Each file is for whoever may read the page it comes from (the same selectors decide). The files
of a public consultation may be kept by shared caches for a few minutes; those of a draft one
are ``private, no-store``. An anonymous network downloads at most ``TASHAWUR_RATE_DOWNLOADS``;
past it, a translated 429 page.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from tashawur.consultations.models import Consultation
from tashawur.core import limits, tabular
from tashawur.core.views import download_limit_message, too_many_requests
from tashawur.diagnosis import reports

#: How long a shared cache may keep a public consultation's file (seconds), as open data.
PUBLIC_CACHE_SECONDS = 300


def _file(
    content: bytes, *, consultation: Consultation, content_type: str, name: str
) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    if reports.is_public(consultation):
        patch_cache_control(response, public=True, max_age=PUBLIC_CACHE_SECONDS)
    else:
        patch_cache_control(response, private=True, no_store=True)
    return response


@require_safe
def published_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """The latest publication of the written diagnosis as a PDF, in the active language: a
    cover, the summary by dimension with its charts, then every statement with the findings
    and contribution numbers it rests on. 404 before a first publication.

    Laid out once per content, as the programme's PDF: cached under the hash of the HTML it is
    laid out from, which names the publication and its version, so a new version (or a source
    withdrawn since, or another language) gives a new layout at once.
    """
    limited = limits.download_limited(request)
    if limited is not None:
        return too_many_requests(request, message=download_limit_message(limited), limited=limited)
    # Imported here: WeasyPrint takes ~0.4 s to import, which every process would pay at start.
    from tashawur.core import printing

    report = reports.diagnosis_report(slug=slug, user=request.user)
    publication = report.page.publication
    if publication is None:
        raise Http404

    content, _generated_at = printing.cached_pdf(
        request,
        template="diagnosis/published_print.html",
        context={
            "report": report,
            "page": report.page,
            "consultation": report.consultation,
            "publication": publication,
        },
        kind="diagnosis-pdf",
        versions=(str(publication.pk), str(publication.version)),
        page_path=reverse("diagnosis:published", args=[slug]),
    )
    language = (get_language() or "ar").split("-")[0]
    return _file(
        content,
        consultation=report.consultation,
        content_type="application/pdf",
        name=f"diagnosis-{slug}-v{publication.version}-{language}.pdf",
    )


def _workbook(request: HttpRequest, slug: str, *, stem: str, findings: bool) -> HttpResponse:
    limited = limits.download_limited(request)
    if limited is not None:
        return too_many_requests(request, message=download_limit_message(limited), limited=limited)
    export = reports.run_export(slug=slug, user=request.user)
    sheets = (
        [reports.findings_sheet(export.run)] if findings else reports.breakdown_sheets(export.run)
    )
    language = (get_language() or "ar").split("-")[0]
    content = tabular.write_workbook(sheets, right_to_left=language == "ar")
    day = timezone.localdate().isoformat()
    return _file(
        content,
        consultation=export.consultation,
        content_type=tabular.XLSX_CONTENT_TYPE,
        name=f"{stem}-{slug}-{day}.xlsx",
    )


@require_safe
def findings_export(request: HttpRequest, slug: str) -> HttpResponse:
    """The findings the diagnosis shows (its current run), one row each, as XLSX."""
    return _workbook(request, slug, stem="findings", findings=True)


@require_safe
def breakdowns_export(request: HttpRequest, slug: str) -> HttpResponse:
    """The current run's contributions by dimension and theme, actor type and province, small
    cells suppressed, as XLSX."""
    return _workbook(request, slug, stem="breakdowns", findings=False)
