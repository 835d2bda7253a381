"""The public accountability page of a consultation's action programme, and its PDF. Thin:
parse → selector → render (STYLE.md)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from tashawur.programmes import rules, selectors


@require_safe
def programme_detail(request: HttpRequest, slug: str) -> HttpResponse:
    programme = selectors.programme_get_for_user(slug=slug, user=request.user)
    report = selectors.programme_report(programme=programme)
    return render(
        request,
        "programmes/programme.html",
        {
            "consultation": programme.consultation,
            "programme": programme,
            "report": report,
            "may_edit": rules.can_edit_programme(request.user, programme.consultation),
        },
    )


@require_safe
def programme_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """The accountability page as a PDF to download, in the active language, for whoever may
    read the page (the same selector decides).

    Rendered in the request: the demo programme (18 measures, 7 pages) takes about 1.5 s and
    55 KB, a small one about 0.4 s. It would move to a task (``django-tasks``, the
    file stored and its link mailed or polled) if programmes grew to hundreds of pages, if
    many readers downloaded at once (a cache keyed on the programme's last change would come
    first), or if the PDF had to embed images or charts that take seconds to lay out.
    """
    # Imported here: WeasyPrint takes ~0.4 s to import (it parses its own style sheets), which
    # every web and worker process would otherwise pay at start.
    from tashawur.programmes import pdf

    programme = selectors.programme_get_for_user(slug=slug, user=request.user)
    report = selectors.programme_report(programme=programme)
    generated_at = timezone.localtime()
    html = render_to_string(
        "programmes/programme_print.html",
        {
            "consultation": programme.consultation,
            "programme": programme,
            "report": report,
            "generated_at": generated_at,
            "page_url": request.build_absolute_uri(reverse("programmes:programme", args=[slug])),
            "origin": f"{request.scheme}://{request.get_host()}",
            "font_faces": pdf.font_faces(),
        },
        request=request,
    )
    response = HttpResponse(pdf.html_to_pdf(html), content_type="application/pdf")
    filename = f"programme-{programme.consultation.slug}-{generated_at:%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
