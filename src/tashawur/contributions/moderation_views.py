"""Moderation pages: the consultation's queue, a moderator's decision on one contribution, and
a participant's report (the flag button of the workshop page). Plain forms that redirect back,
so they work the same with and without JavaScript. Thin: parse → selector → service (STYLE.md).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST, require_safe

from tashawur.contributions import rules, selectors
from tashawur.contributions.forms import FlagForm, ModerationForm
from tashawur.contributions.models import ModerationEvent, ModerationReason
from tashawur.contributions.services import contribution_flag, contribution_moderate
from tashawur.contributions.views import (
    TOO_MANY_REQUESTS,
    WORKSHOP_PAGE,
    workshop_page_context,
)
from tashawur.core import limits
from tashawur.core.errors import DomainError
from tashawur.core.models import User
from tashawur.core.validation import id_parse, page_number_parse

QUEUE_PAGE = "contributions/moderation.html"
QUEUE_PER_PAGE = 20


def _queue_filters(request: HttpRequest) -> tuple[int | None, str, int]:
    """The queue's ``workshop``, ``status`` and ``page`` parameters (a `DomainError`, answered
    400, for values that are not ids, filters or page numbers)."""
    raw_workshop = request.GET.get("workshop", "")
    workshop_id = id_parse(raw_workshop, field="workshop") if raw_workshop else None
    status = request.GET.get("status", "") or "to_review"
    page_number = page_number_parse(request.GET.get("page"))
    return workshop_id, status, page_number


def _status_filters() -> list[tuple[str, str]]:
    labels = {
        "to_review": gettext("To review"),
        "pending": gettext("Awaiting moderation"),
        "flagged": gettext("Reported"),
        "published": gettext("Published"),
        "rejected": gettext("Rejected"),
        "all": gettext("All"),
    }
    return [(value, labels[value]) for value in selectors.QUEUE_FILTERS]


@require_safe
@login_required
def moderation_queue(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = selectors.consultation_get_for_moderator(slug=slug, user=request.user)
    workshop_id, status, page_number = _queue_filters(request)
    contributions = selectors.moderation_queue(
        consultation=consultation, user=request.user, workshop_id=workshop_id, status=status
    )
    page = Paginator(contributions, QUEUE_PER_PAGE).get_page(page_number)
    return render(
        request,
        QUEUE_PAGE,
        {
            "consultation": consultation,
            "page": page,
            "workshops": selectors.moderation_workshops(
                consultation=consultation, user=request.user
            ),
            "workshop_id": workshop_id,
            "status": status,
            "status_filters": _status_filters(),
            "reasons": ModerationReason.choices,
            "flags": selectors.flags_by_reason(contributions=page.object_list),
            "rejections": selectors.contributions_rejections(contributions=page.object_list),
            "query": request.GET.urlencode(),
        },
    )


def _queue_url(slug: str, request: HttpRequest) -> str:
    """Back to the queue with the filters the decision was taken under (read again, so that
    nothing but valid filters goes into the address)."""
    try:
        workshop_id, status, page_number = _queue_filters(request)
    except DomainError:
        workshop_id, status, page_number = None, "to_review", 1
    if status not in selectors.QUEUE_FILTERS:
        status = "to_review"
    query = {"status": status, "page": page_number}
    if workshop_id is not None:
        query["workshop"] = workshop_id
    return f"{reverse('contributions:moderation', args=[slug])}?{urlencode(query)}"


def _done_message(action: str, number: int) -> str:
    messages_by_action: dict[str, str] = {
        ModerationEvent.Action.PUBLISH: gettext("Contribution #%(number)s is published."),
        ModerationEvent.Action.RESTORE: gettext("Contribution #%(number)s is restored."),
        ModerationEvent.Action.REJECT: gettext("Contribution #%(number)s is rejected."),
        ModerationEvent.Action.KEEP: gettext(
            "Contribution #%(number)s stays published; its reports are closed."
        ),
    }
    text = messages_by_action.get(action, gettext("Contribution #%(number)s: nothing changed."))
    return text % {"number": number}


@require_POST
@login_required
def moderate(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # login_required
    consultation = selectors.consultation_get_for_moderator(slug=slug, user=user)
    contribution = selectors.contribution_get_for_moderation(
        consultation=consultation, contribution_id=pk, user=user
    )
    form = ModerationForm(request.POST)
    if not form.is_valid():
        errors = [str(error) for field in form.errors.values() for error in field]
        messages.error(request, errors[0])
        return HttpResponseRedirect(_queue_url(slug, request))
    latest = contribution.moderation_events.values_list("pk", flat=True).first()
    try:
        contribution_moderate(
            contribution=contribution,
            status=form.status,
            actor=user,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        event = contribution.moderation_events.first()
        action = event.action if event is not None and event.pk != latest else ""
        messages.success(request, _done_message(action, contribution.pk))
    return HttpResponseRedirect(_queue_url(slug, request))


# -- a participant's report ----------------------------------------------------------------------


def _flag_rate_message(limited: limits.Limited) -> str:
    return ngettext(
        "You are sending reports too fast. Wait %(minutes)s minute, then send again.",
        "You are sending reports too fast. Wait %(minutes)s minutes, then send again.",
        limited.minutes,
    ) % {"minutes": limited.minutes}


@require_POST
@login_required
def flag(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    contribution = selectors.contribution_get_for_user(contribution_id=pk, user=user)
    workshop = contribution.workshop
    if workshop is None:
        raise Http404
    participant = getattr(user, "participant", None)
    if participant is None or not rules.can_flag(user, workshop):
        raise PermissionDenied
    back = f"{reverse('contributions:workshop', args=[workshop.pk])}#c-{contribution.pk}"
    limited = limits.flag_limited(request)
    if limited is not None:
        messages.error(request, _flag_rate_message(limited))
        response = render(
            request,
            WORKSHOP_PAGE,
            workshop_page_context(request, workshop.pk),
            status=TOO_MANY_REQUESTS,
        )
        response["Retry-After"] = str(limited.retry_after)
        return response
    form = FlagForm(request.POST)
    if not form.is_valid():
        messages.error(request, str(form.errors["reason"][0]))
        return HttpResponseRedirect(back)
    try:
        report = contribution_flag(
            contribution=contribution, participant=participant, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            gettext("Thank you: the moderators will read your report.")
            if report.created
            else gettext("You already reported this contribution."),
        )
    return HttpResponseRedirect(back)
