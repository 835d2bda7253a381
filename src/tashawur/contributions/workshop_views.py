"""A round table's lifecycle from its page: open it, close it with the rapporteur's report,
and the facilitator's speaker search. Thin, like ``views``: parse → authorise → one service or
selector → render or redirect back to the workshop page (with and without JavaScript)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tashawur.consultations import rules as consultation_rules
from tashawur.consultations.models import Workshop
from tashawur.consultations.selectors import workshop_get_for_user
from tashawur.consultations.services import workshop_open as workshop_open_service
from tashawur.contributions import rules
from tashawur.contributions.forms import WorkshopCloseForm
from tashawur.contributions.models import Contribution
from tashawur.contributions.services import workshop_close_with_report
from tashawur.contributions.views import UNPROCESSABLE, WORKSHOP_PAGE, speaker_picker_context
from tashawur.core.errors import DomainError
from tashawur.core.htmx import HtmxHttpRequest

CLOSE_PAGE = "contributions/workshop_close.html"


def _workshop_page(workshop: Workshop, anchor: str = "") -> HttpResponseRedirect:
    url = reverse("contributions:workshop", args=[workshop.pk])
    return HttpResponseRedirect(f"{url}#{anchor}" if anchor else url)


@require_POST
@login_required
def workshop_open(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    workshop = workshop_get_for_user(workshop_id=pk, user=request.user)
    # Those whose job it is hear why a workshop that is not planned cannot open (a double
    # click, a colleague faster); anyone else gets a bare refusal.
    if not consultation_rules.opens_workshop(request.user, workshop):
        raise PermissionDenied
    try:
        workshop_open_service(workshop=workshop)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, gettext("The round table is open: it now takes contributions and votes.")
        )
    return _workshop_page(workshop)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def workshop_close(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The closing form (GET) and the close (POST): the report and its citations are checked
    by ``workshop_close_with_report``; a refusal shows the form again with the message."""
    workshop = workshop_get_for_user(workshop_id=pk, user=request.user)
    if not consultation_rules.closes_workshop(request.user, workshop):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = WorkshopCloseForm(request.POST)
        if form.is_valid():
            try:
                workshop_close_with_report(
                    workshop=workshop, closing_report=form.cleaned_data["closing_report"]
                )
            except DomainError as error:
                form.add_error("closing_report" if error.field else None, error.message)
            else:
                messages.success(
                    request,
                    gettext("The round table is closed; its report is published on its page."),
                )
                return _workshop_page(workshop, "report")
        status = UNPROCESSABLE
    else:
        form = WorkshopCloseForm()
    context = {
        "workshop": workshop,
        "meeting": workshop.meeting,
        "consultation": workshop.meeting.consultation,
        "form": form,
        "may_close": workshop.status == Workshop.Status.OPEN,
        # What the report may cite: the round table's published contributions, by number.
        "citable": Contribution.objects.published()
        .filter(workshop=workshop)
        .order_by("pk")
        .only("pk", "text", "dimension"),
    }
    return render(request, CLOSE_PAGE, context, status=status)


@require_safe
@login_required
def workshop_speakers(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The speaker picker's choices for ``?speaker_q=``, as the facilitator types (HTMX); the
    same search without JavaScript goes through the workshop page itself."""
    workshop = workshop_get_for_user(workshop_id=pk, user=request.user)
    if not rules.can_record_for_others(request.user, workshop):
        raise PermissionDenied
    context = {"workshop": workshop, **speaker_picker_context(request, workshop)}
    response = render(request, f"{WORKSHOP_PAGE}#speaker-choices", context)
    patch_vary_headers(response, ["HX-Request"])
    return response
