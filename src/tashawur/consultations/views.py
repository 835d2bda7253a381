"""Public pages of a consultation. Thin: parse → selector → render (STYLE.md)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe
from django_htmx.middleware import HtmxDetails

from tashawur.consultations import selectors
from tashawur.consultations.models import Dimension
from tashawur.contributions import rules as contribution_rules
from tashawur.contributions import selectors as contribution_selectors
from tashawur.contributions.forms import ContributionForm
from tashawur.core.privacy import anonymity_k
from tashawur.core.validation import page_number_parse

CONTRIBUTIONS_PER_PAGE = 20


class HtmxHttpRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it (for the type checker)."""

    htmx: HtmxDetails


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    consultations = selectors.consultation_list_with_counts()
    return render(request, "consultations/home.html", {"consultations": consultations})


@require_safe
def consultation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = selectors.consultation_get_for_user(slug=slug, user=request.user)
    meetings = (
        consultation.meetings.select_related("territory")
        .annotate(workshops_count=Count("workshops", distinct=True))
        .prefetch_related("workshops__theme")
        .order_by("starts_at")
    )
    counts = selectors.consultation_list_with_counts().filter(pk=consultation.pk).first()
    return render(
        request,
        "consultations/consultation.html",
        {"consultation": consultation, "meetings": meetings, "counts": counts},
    )


@require_safe
def meeting_detail(request: HttpRequest, slug: str) -> HttpResponse:
    meeting = selectors.meeting_get_for_user(slug=slug, user=request.user)
    workshops = (
        meeting.workshops.select_related("theme", "facilitator")
        .annotate(contributions_count=Count("contributions", distinct=True))
        .order_by("position")
    )
    return render(
        request,
        "consultations/meeting.html",
        {
            "meeting": meeting,
            "agenda_items": meeting.agenda_items.order_by("position"),
            "workshops": workshops,
        },
    )


def _dimension_param(request: HttpRequest) -> str | None:
    value = request.GET.get("dimension", "")
    return value if value in Dimension.values else None


def workshop_page_context(
    request: HttpRequest, workshop_id: int, *, form: ContributionForm | None = None
) -> dict[str, object]:
    """Everything the workshop page shows; the contribution view reuses it to re-render the page
    with a bound form when JavaScript is off."""
    user = request.user
    workshop = selectors.workshop_get_for_user(workshop_id=workshop_id, user=user)
    dimension = _dimension_param(request)
    everything = contribution_selectors.workshop_contributions(workshop=workshop, user=user)
    per_dimension = dict(everything.order_by().values_list("dimension").annotate(n=Count("id")))
    contributions = contribution_selectors.workshop_contributions(
        workshop=workshop, user=user, dimension=dimension
    ).select_related("author", "recorded_by")
    # "٣" or "²" is refused (a translated 400), not read as 3; past the last: the last page.
    page_number = page_number_parse(request.GET.get("page"))
    page = Paginator(contributions, CONTRIBUTIONS_PER_PAGE).get_page(page_number)
    # A user without a linked Participant (staff, anonymous) has no votes to show.
    participant = getattr(user, "participant", None)
    may_vote = contribution_rules.can_vote(user, workshop)
    votes = (
        contribution_selectors.participant_votes_on(
            participant=participant, contributions=page.object_list
        )
        if may_vote and participant is not None
        else {}
    )
    consultation = workshop.meeting.consultation
    # No name on the page: a contribution shows its number and, where the public may read them,
    # its author's actor type and province; its own author sees that it is theirs.
    authors = contribution_selectors.contributions_authors_described(
        consultation=consultation, contributions=page.object_list
    )
    roster = selectors.workshop_roster_by_actor_type(workshop=workshop)
    k = anonymity_k()
    records_for_table = contribution_rules.can_record_for_others(user, workshop)
    may_contribute = records_for_table or contribution_rules.can_contribute(user, workshop)
    # Only the facilitator's form names who is speaking.
    speakers = selectors.workshop_speakers(workshop=workshop) if records_for_table else None
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
    template = "consultations/workshop.html"
    if request.htmx and not request.htmx.history_restore_request:
        # Filter links and the pager swap only the list of contributions.
        template += "#contribution-list"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
