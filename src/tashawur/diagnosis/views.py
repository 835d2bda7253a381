"""The diagnosis pages of a consultation. Thin: parse → selector or service → render (STYLE.md)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST, require_safe

from tashawur.consultations import rules
from tashawur.consultations.selectors import consultation_get_for_user
from tashawur.core.errors import DomainError
from tashawur.diagnosis import selectors
from tashawur.diagnosis.services import synthesis_run_request

#: While a run is queued or running, the page reloads itself this often (seconds; no script).
PENDING_REFRESH_SECONDS = 5


@require_safe
def consultation_diagnosis(request: HttpRequest, slug: str) -> HttpResponse:
    diagnosis = selectors.diagnosis_get_for_user(
        slug=slug, user=request.user, dimension=request.GET.get("dimension") or None
    )
    return render(
        request,
        "diagnosis/consultation.html",
        {
            "diagnosis": diagnosis,
            "consultation": diagnosis.consultation,
            "refresh_seconds": PENDING_REFRESH_SECONDS,
        },
    )


@require_POST
@login_required
def run_request(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = consultation_get_for_user(slug=slug, user=request.user)
    if not rules.can_run_consultation_synthesis(request.user, consultation):
        raise PermissionDenied
    try:
        synthesis_run_request(consultation=consultation, user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            gettext("The synthesis is queued: this page shows its findings once it has run."),
        )
    return HttpResponseRedirect(reverse("diagnosis:consultation", args=[consultation.slug]))


@require_safe
def finding_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    page = selectors.finding_get_for_user(slug=slug, finding_id=pk, user=request.user)
    return render(
        request,
        "diagnosis/finding.html",
        {"page": page, "consultation": page.consultation, "finding": page.finding},
    )
