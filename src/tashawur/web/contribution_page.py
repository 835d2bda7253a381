"""A contribution's own page (``/s/<pk>/``): the contribution by its number, its round table,
and what became of it (``programmes.chain``): its finding, the published statements that cite
it, the programme's measures that answer it and their progress.

Public for a published contribution of a public consultation; one that is pending or rejected
is for its author (and those who moderate it) only: a 404 for anyone else. The author is never
named (Law 09-08): "Contribution #N", with an actor type and province only where the
consultation's k-anonymity allows (``contributions_authors_described``).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from tashawur.consultations.selectors import consultation_check_for_user
from tashawur.contributions import selectors as contribution_selectors
from tashawur.contributions.models import ModerationStatus
from tashawur.programmes.chain import contribution_chain


@require_safe
def contribution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = contribution_selectors.contribution_get_for_user(
        contribution_id=pk, user=request.user
    )
    # A contribution without a round table: its consultation must be visible to this user
    # (read with the contribution, not a second time).
    consultation = consultation_check_for_user(
        consultation=contribution.consultation, user=request.user
    )
    participant = getattr(request.user, "participant", None)
    is_own = participant is not None and contribution.author_id == participant.pk
    described = contribution_selectors.contributions_authors_described(
        consultation=consultation, contributions=[contribution]
    )
    context = {
        "contribution": contribution,
        "consultation": consultation,
        "workshop": contribution.workshop,
        "who": described.get(contribution.pk),
        "is_own": is_own,
        "chain": contribution_chain(contribution=contribution, user=request.user),
    }
    response = render(request, "web/contribution.html", context)
    if is_own or contribution.moderation_status != ModerationStatus.PUBLISHED:
        patch_cache_control(response, private=True)
    return response
