"""The public accountability page of a consultation's action programme, and its PDF. Thin:
parse → selector → render (STYLE.md)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from tashawur.core import limits
from tashawur.core.caching import cached_page, version_key
from tashawur.core.page_cache import anonymous_page, page_versions
from tashawur.core.views import download_limit_message, too_many_requests
from tashawur.diagnosis import selectors as diagnosis_selectors
from tashawur.programmes import rules, selectors

PROGRAMME_PAGE = "programmes/programme.html"


def _programme_versions(request: HttpRequest, slug: str) -> tuple[Any, ...]:
    """The versions an anonymous reader's programme page is cached under, frame included
    (``core.page_cache``): the programme's (``selectors.programme_page_versions``) and the
    latest publication of the diagnosis, which the exports block links to."""
    programme = selectors.programme_get_for_reader(slug=slug, user=request.user)
    # The run shown, its curation and the latest publication: cache reads.
    _latest, shown, publication, _status = diagnosis_selectors.diagnosis_versions_row(
        programme.consultation
    )
    return (selectors.programme_page_versions(programme, run_versions=shown), publication)


@require_safe
@anonymous_page(_programme_versions)
def programme_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The accountability page. For an anonymous reader its body is cached as HTML under the
    versions of what it shows (``selectors.programme_page_versions``): any edit, progress
    update or curation of a cited finding gives a new key at once. Signed-in readers (whose
    page may differ: the edit link, a draft) are never served it."""
    programme = selectors.programme_get_for_user(slug=slug, user=request.user)
    context = {
        "consultation": programme.consultation,
        "programme": programme,
        "may_edit": rules.can_edit_programme(request.user, programme.consultation),
    }
    if request.user.is_authenticated:
        context["report"] = selectors.programme_report(programme=programme)
        return render(request, PROGRAMME_PAGE, context)

    def build() -> str:
        report = selectors.programme_report(programme=programme)
        return render_to_string(f"{PROGRAMME_PAGE}#body", {**context, "report": report}, request)

    # Read already when the whole page was looked for in the cache (``core.page_cache``).
    whole = page_versions(request)
    versions = whole[0] if whole else selectors.programme_page_versions(programme)
    key = version_key("programme-page", get_language(), *versions)
    # The template's own rendering, kept as a SafeString (pickled as one): not escaped again.
    return render(request, PROGRAMME_PAGE, {**context, "body": cached_page(key, build)})


@require_safe
def programme_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """The accountability page as a PDF to download, in the active language, for whoever may
    read the page (the same selector decides).

    Laid out in the request (the demo programme, 18 measures and 7 pages, takes about 1.5 s
    and 55 KB), once per content: the PDF is cached under the hash of the HTML it is laid out
    from (``core.caching``), so readers of an unchanged programme share one layout and any
    change (a measure, a progress update, a measure falling late, the language, the site's
    public name or address) gives a new one at once. It keeps the time of its own layout. Its
    footer names the site as ``TASHAWUR_SITE_NAME`` and ``TASHAWUR_PUBLIC_URL`` say, never by
    the host the request reached. An anonymous network downloads at most
    ``TASHAWUR_RATE_DOWNLOADS``; past it, a translated 429 page. It would move to a task
    (``django-tasks``, the file stored and its link mailed or polled) if programmes grew to
    hundreds of pages or had to embed images that take seconds to lay out (the indicators'
    charts are small inline SVG, drawn with the page).
    """
    limited = limits.download_limited(request)
    if limited is not None:
        return too_many_requests(request, message=download_limit_message(limited), limited=limited)
    # Imported here: WeasyPrint takes ~0.4 s to import (it parses its own style sheets), which
    # every web and worker process would otherwise pay at start.
    from tashawur.programmes import pdf

    programme = selectors.programme_get_for_user(slug=slug, user=request.user)
    report = selectors.programme_report(programme=programme)

    content, generated_at = pdf.cached_pdf(
        request,
        template="programmes/programme_print.html",
        context={
            "consultation": programme.consultation,
            "programme": programme,
            "report": report,
        },
        kind="programme-pdf",
        page_path=reverse("programmes:programme", args=[slug]),
    )
    response = HttpResponse(content, content_type="application/pdf")
    generated_at = timezone.localtime(generated_at)
    filename = f"programme-{programme.consultation.slug}-{generated_at:%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
