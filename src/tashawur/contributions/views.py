"""The workshop page and its writes: a contribution and a vote. The page lists the workshop's
contributions with their votes and the form; each write authorises, calls one service and
renders a partial of the page (HTMX) or redirects back to it (no JS). Thin: parse → selector or
service → render (STYLE.md)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST, require_safe

from tashawur.consultations.models import Dimension, Workshop
from tashawur.consultations.selectors import (
    workshop_get_for_user,
    workshop_roster_by_actor_type,
    workshop_speakers,
)
from tashawur.contributions import rules, selectors
from tashawur.contributions.forms import ContributionForm, VoteForm
from tashawur.contributions.models import Channel
from tashawur.contributions.services import contribution_submit, vote_cast
from tashawur.core import limits
from tashawur.core.errors import DomainError
from tashawur.core.htmx import HtmxHttpRequest
from tashawur.core.models import User
from tashawur.core.privacy import anonymity_k
from tashawur.core.validation import page_number_parse

WORKSHOP_PAGE = "contributions/workshop.html"
CONTRIBUTIONS_PER_PAGE = 20
UNPROCESSABLE = 422
TOO_MANY_REQUESTS = 429


# -- the workshop page ---------------------------------------------------------------------------


def _dimension_param(request: HttpRequest) -> str | None:
    value = request.GET.get("dimension", "")
    return value if value in Dimension.values else None


def workshop_page_context(
    request: HttpRequest, workshop_id: int, *, form: ContributionForm | None = None
) -> dict[str, object]:
    """Everything the workshop page shows; the contribution and vote views reuse it to
    re-render the page (with a bound form) when JavaScript is off."""
    user = request.user
    workshop = workshop_get_for_user(workshop_id=workshop_id, user=user)
    dimension = _dimension_param(request)
    everything = selectors.workshop_contributions(workshop=workshop, user=user)
    per_dimension = dict(everything.order_by().values_list("dimension").annotate(n=Count("id")))
    contributions = selectors.workshop_contributions(
        workshop=workshop, user=user, dimension=dimension
    ).select_related("author", "recorded_by")
    # "٣" or "²" is refused (a translated 400), not read as 3; past the last: the last page.
    page_number = page_number_parse(request.GET.get("page"))
    page = Paginator(contributions, CONTRIBUTIONS_PER_PAGE).get_page(page_number)
    # A user without a linked Participant (staff, anonymous) has no votes to show.
    participant = getattr(user, "participant", None)
    may_vote = rules.can_vote(user, workshop)
    votes = (
        selectors.participant_votes_on(participant=participant, contributions=page.object_list)
        if may_vote and participant is not None
        else {}
    )
    consultation = workshop.meeting.consultation
    # No name on the page: a contribution shows its number and, where the public may read them,
    # its author's actor type and province; its own author sees that it is theirs.
    authors = selectors.contributions_authors_described(
        consultation=consultation, contributions=page.object_list
    )
    roster = workshop_roster_by_actor_type(workshop=workshop)
    k = anonymity_k()
    records_for_table = rules.can_record_for_others(user, workshop)
    may_contribute = records_for_table or rules.can_contribute(user, workshop)
    # Only the facilitator's form names who is speaking.
    speakers = workshop_speakers(workshop=workshop) if records_for_table else None
    filters = [
        {
            "value": value,
            "label": label,
            "count": per_dimension.get(value, 0),
            "current": value == dimension,
        }
        for value, label in Dimension.choices
    ]
    return {
        "workshop": workshop,
        "meeting": workshop.meeting,
        "consultation": consultation,
        # Actor types of fewer than k people at the table are counted together, not named.
        "roster": [(t, n) for t, n in roster if n >= k],
        "roster_others": sum(n for _t, n in roster if n < k),
        "anonymity_k": k,
        "authors": authors,
        "own_author_id": getattr(participant, "pk", None),
        "filters": filters,
        "dimension": dimension,
        "total_count": sum(per_dimension.values()),
        "page": page,
        "votes": votes,
        "may_vote": may_vote,
        "may_contribute": may_contribute,
        "records_for_table": records_for_table,
        "form": form
        if form is not None
        else (
            ContributionForm(initial={"dimension": dimension}, speakers=speakers)
            if may_contribute
            else None
        ),
    }


@require_safe
def workshop_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    context = workshop_page_context(request, pk)
    template = WORKSHOP_PAGE
    if request.htmx and not request.htmx.history_restore_request:
        # Filter links and the pager swap only the list of contributions.
        template += "#contribution-list"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# -- writes from the workshop page ---------------------------------------------------------------


def _workshop_url(workshop_id: int, contribution_id: int | None = None) -> str:
    url = reverse("contributions:workshop", args=[workshop_id])
    return f"{url}#c-{contribution_id}" if contribution_id else url


# Fields that show their own errors; any other (the hidden idempotency key) shows above the form.
_VISIBLE_FIELDS = frozenset({"text", "dimension", "language", "author"})


def _add_domain_error(form: ContributionForm, error: DomainError) -> None:
    form.add_error(error.field if error.field in _VISIBLE_FIELDS else None, error.message)


def _contribution_rate_message(limited: limits.Limited) -> str:
    return ngettext(
        "You are sending contributions too fast. Wait %(minutes)s minute, then send again: "
        "your text is still here.",
        "You are sending contributions too fast. Wait %(minutes)s minutes, then send again: "
        "your text is still here.",
        limited.minutes,
    ) % {"minutes": limited.minutes}


def _vote_rate_message(limited: limits.Limited) -> str:
    return ngettext(
        "You are voting too fast. Wait %(minutes)s minute, then vote again.",
        "You are voting too fast. Wait %(minutes)s minutes, then vote again.",
        limited.minutes,
    ) % {"minutes": limited.minutes}


def _retry_after(response: HttpResponse, limited: limits.Limited | None) -> None:
    if limited is not None:
        response["Retry-After"] = str(limited.retry_after)


@require_POST
@login_required
def submit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # login_required
    workshop = workshop_get_for_user(workshop_id=pk, user=user)
    participant = getattr(user, "participant", None)
    speakers = None
    if rules.can_record_for_others(user, workshop):
        # The facilitator may name who is speaking; the form offers only those at the workshop.
        author, recorded_by, channel = None, user, Channel.FACILITATOR
        speakers = workshop_speakers(workshop=workshop)
    elif participant is not None and (
        rules.can_contribute(user, workshop) or workshop.status != Workshop.Status.OPEN
    ):
        # A workshop that is not open is refused by the service, whose translated message
        # tells the participant why; the rule alone would only give a bare 403.
        author, recorded_by, channel = participant, None, Channel.WEB
    else:
        raise PermissionDenied

    form = ContributionForm(request.POST, speakers=speakers)
    contribution, created = None, False
    # Counted per account (a workshop shares one address); a facilitator has a rate of their own.
    limited = limits.contribution_limited(request, recorded_for_others=recorded_by is not None)
    status = UNPROCESSABLE
    if limited is not None:
        form.add_error(None, _contribution_rate_message(limited))
        status = TOO_MANY_REQUESTS
    elif form.is_valid():
        if form.names_speaker:
            author = form.cleaned_data["author"]
        try:
            submission = contribution_submit(
                workshop=workshop,
                text=form.cleaned_data["text"],
                dimension=form.cleaned_data["dimension"],
                language=form.cleaned_data["language"] or None,
                channel=channel,
                author=author,
                recorded_by=recorded_by,
                idempotency_key=form.cleaned_data["idempotency_key"] or None,
            )
        except DomainError as error:
            _add_domain_error(form, error)
        else:
            contribution, created = submission.contribution, submission.created

    if contribution is None and not request.htmx:
        # Without JavaScript: the whole page again, with the errors next to the fields.
        context = workshop_page_context(request, pk, form=form)
        response = render(request, WORKSHOP_PAGE, context, status=status)
    elif contribution is None:
        context = {
            "workshop": workshop,
            "form": form,
            "records_for_table": channel == Channel.FACILITATOR,
        }
        response = render(request, f"{WORKSHOP_PAGE}#contribution-form", context, status=status)
    elif request.htmx:
        # A fresh form (new idempotency key) and, when something was stored, its card.
        context = {
            "workshop": workshop,
            "form": ContributionForm(speakers=speakers),
            "records_for_table": channel == Channel.FACILITATOR,
            "contribution": contribution,
            "own_author_id": getattr(participant, "pk", None),
            "created": created,
            "may_vote": rules.can_vote(user, workshop),
            "votes": {},
        }
        response = render(request, f"{WORKSHOP_PAGE}#contribution-created", context)
    else:
        messages.success(request, gettext("Thank you: your contribution is recorded."))
        response = HttpResponseRedirect(_workshop_url(workshop.pk, contribution.pk))
    _retry_after(response, limited)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
@login_required
def vote(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    contribution = selectors.contribution_get_for_user(contribution_id=pk, user=user)
    workshop = contribution.workshop
    if workshop is None:
        raise Http404
    participant = getattr(user, "participant", None)
    if participant is None:
        raise PermissionDenied
    if not rules.can_vote(user, workshop) and workshop.status == Workshop.Status.OPEN:
        raise PermissionDenied

    form = VoteForm(request.POST)
    error = None
    limited = limits.vote_limited(request)
    if limited is not None:
        error = _vote_rate_message(limited)
    elif form.is_valid():
        try:
            vote_cast(
                contribution=contribution, participant=participant, value=form.cleaned_data["value"]
            )
        except DomainError as domain_error:
            error = domain_error.message
    else:
        error = str(form.errors["value"][0])

    if not request.htmx and limited is not None:
        # Without JavaScript: the page itself says why, with the status a client can act on.
        messages.error(request, _vote_rate_message(limited))
        context = workshop_page_context(request, workshop.pk)
        response: HttpResponse = render(request, WORKSHOP_PAGE, context, status=TOO_MANY_REQUESTS)
    elif not request.htmx:
        if error:
            messages.error(request, error)
        response = HttpResponseRedirect(_workshop_url(workshop.pk, contribution.pk))
    else:
        contribution.refresh_from_db()
        context = {
            "c": contribution,
            "workshop": workshop,
            "may_vote": True,
            "votes": selectors.participant_votes_on(
                participant=participant, contributions=[contribution]
            ),
            "vote_error": error,
        }
        status = TOO_MANY_REQUESTS if limited else UNPROCESSABLE if error else 200
        response = render(request, f"{WORKSHOP_PAGE}#vote", context, status=status)
    _retry_after(response, limited)
    patch_vary_headers(response, ["HX-Request"])
    return response
