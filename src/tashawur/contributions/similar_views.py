"""“Already said”: while a participant types a contribution, the workshop page asks this view
for the published contributions of the consultation that say nearly the same
(``similar.similar_contributions``) and shows them with an “I agree” button, which casts a
vote (``contributions:vote``) instead of a second contribution.

An HTMX partial, requested by the text box (debounced); without JavaScript nothing asks, and
the form works as before. Participants who may contribute only: a facilitator recording for the
room would vote in their own name, not the speaker's.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from tashawur.consultations import rules as consultation_rules
from tashawur.consultations.selectors import workshop_get_for_user
from tashawur.contributions import rules
from tashawur.contributions.models import Contribution
from tashawur.contributions.similar import (
    MAX_QUERY_CHARS,
    MIN_QUERY_CHARS,
    similar_contributions,
)
from tashawur.core import limits
from tashawur.core.htmx import HtmxHttpRequest
from tashawur.core.text import BIDI_CONTROLS, clean_user_text

SIMILAR_PARTIAL = "contributions/_similar.html"
TOO_MANY_REQUESTS = 429


@require_safe
@login_required
def similar(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    workshop = workshop_get_for_user(workshop_id=pk, user=user)
    if not rules.can_contribute(user, workshop) or rules.can_record_for_others(user, workshop):
        raise PermissionDenied
    participant = getattr(user, "participant", None)
    # Only compared, never stored: the first MAX_QUERY_CHARS characters, without controls.
    raw = request.GET.get("text", "")[: MAX_QUERY_CHARS * 2]
    text = "".join(ch for ch in clean_user_text(raw) if ch not in BIDI_CONTROLS).strip()
    text = text[:MAX_QUERY_CHARS]
    context: dict[str, object] = {"workshop": workshop, "suggestions": [], "rate_message": ""}
    status = 200
    limited = None
    if len(text) >= MIN_QUERY_CHARS:
        limited = limits.similar_limited(request)
        if limited is not None:
            status = TOO_MANY_REQUESTS
            context["rate_message"] = ngettext(
                "Suggestions are paused for %(minutes)s minute: keep writing.",
                "Suggestions are paused for %(minutes)s minutes: keep writing.",
                limited.minutes,
            ) % {"minutes": limited.minutes}
        else:

            def visible(contribution: Contribution) -> bool:
                return contribution.workshop is None or consultation_rules.can_view_workshop(
                    user, contribution.workshop
                )

            suggestions = similar_contributions(
                consultation_id=workshop.meeting.consultation_id,
                text=text,
                participant=participant,
                visible=visible,
            )
            context["suggestions"] = [
                {
                    "c": s.contribution,
                    # "I agree" where a vote can be cast: a published proposal of an open round
                    # table this participant may vote at.
                    "may_agree": s.contribution.is_votable
                    and s.contribution.workshop is not None
                    and rules.can_vote(user, s.contribution.workshop),
                }
                for s in suggestions
            ]
    response = render(request, SIMILAR_PARTIAL, context, status=status)
    if limited is not None:
        response["Retry-After"] = str(limited.retry_after)
    patch_cache_control(response, private=True, no_store=True)
    patch_vary_headers(response, ["HX-Request"])
    return response
