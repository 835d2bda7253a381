"""Offline capture on a phone: an installable page (web app manifest and service worker, both
served from /capture/ so that the worker's scope is /capture/) where a participant or the round
table's staff write contributions and votes with or without a network.

The pages are ordinary forms that post to the workshop's own views when JavaScript is off;
``contributions/capture.js`` keeps what is written in an IndexedDB outbox, each item with its
idempotency key, and sends it through the write API (``api.write_views``) when the network
allows, showing what waits, what was stored and what was refused. The service worker keeps the
pages and their static files so that a round table opened once online opens again offline.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language, get_language_bidi, gettext
from django.views.decorators.http import require_safe

from tashawur.actors.services import participant_has_active_consent
from tashawur.consultations.selectors import workshop_get_for_user, workshop_speakers
from tashawur.contributions import rules, selectors
from tashawur.contributions.forms import ContributionForm
from tashawur.contributions.models import ModerationStatus
from tashawur.contributions.views import speaker_picker_context

#: The published contributions the capture page lists for voting, newest first.
CONTRIBUTIONS_SHOWN = 30
#: Static files the service worker keeps on install (the pages come as they are visited).
PRECACHED = (
    "tashawur/site.css",
    "contributions/capture.css",
    "contributions/capture.js",
    "vendor/fonts/noto-sans-arabic-arabic-400-normal.woff2",
    "vendor/fonts/noto-sans-tifinagh-tifinagh-400-normal.woff2",
    "contributions/icons/tashawur-192.png",
    "contributions/icons/tashawur-512.png",
)
#: The site's colours (site.css: --accent and --paper).
THEME_COLOUR = "#0b6e4f"
BACKGROUND_COLOUR = "#ffffff"


@require_safe
@login_required
def capture_home(request: HttpRequest) -> HttpResponse:
    recorded, contributed = selectors.capture_workshops(user=request.user)
    return render(
        request,
        "contributions/capture/home.html",
        {"recorded": recorded, "contributed": contributed},
    )


@require_safe
@login_required
def capture_workshop(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    workshop = workshop_get_for_user(workshop_id=pk, user=user)
    if not rules.can_capture(user, workshop):
        raise PermissionDenied
    records_for_table = rules.can_record_for_others(user, workshop)
    may_contribute = records_for_table or rules.can_contribute(user, workshop)
    may_vote = rules.can_vote(user, workshop)
    participant = getattr(user, "participant", None)
    speakers = workshop_speakers(workshop=workshop) if records_for_table else None
    published = list(
        selectors.workshop_contributions(workshop=workshop, user=user)
        .filter(moderation_status=ModerationStatus.PUBLISHED)
        .select_related(None)[:CONTRIBUTIONS_SHOWN]
    )
    votes = (
        selectors.participant_votes_on(participant=participant, contributions=published)
        if may_vote and participant is not None
        else {}
    )
    form = ContributionForm(speakers=speakers) if may_contribute else None
    context = {
        "workshop": workshop,
        "consultation": workshop.meeting.consultation,
        "form": form,
        "records_for_table": records_for_table,
        "may_vote": may_vote,
        "contributions": published,
        "votes": votes,
        "needs_consent": may_contribute
        and not records_for_table
        and participant is not None
        and not participant_has_active_consent(participant=participant),
        "api_contributions": reverse("api:workshop-contributions", args=[workshop.pk]),
        **(speaker_picker_context(request, workshop, form) if records_for_table else {}),
    }
    return render(request, "contributions/capture/workshop.html", context)


@cache
def _static_digest() -> str:
    """Changes whenever one of the precached files does: the worker's cache version."""
    digest = hashlib.sha256()
    for name in PRECACHED:
        found = finders.find(name)
        path = found[0] if isinstance(found, list) else found
        digest.update(name.encode())
        if path:
            with open(path, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()[:16]


@require_safe
def capture_sw(request: HttpRequest) -> HttpResponse:
    """The service worker, a template so that it names the static files as the pages do."""
    urls = [static(name) for name in PRECACHED]
    version = hashlib.sha256((_static_digest() + "|".join(urls)).encode()).hexdigest()[:16]
    response = render(
        request,
        "contributions/capture/sw.js",
        {
            "version": version,
            # JSON literals in the script (the template does not escape them: autoescape off).
            "precache_json": json.dumps(urls),
            "static_prefix_json": json.dumps(static("")),
            "home_json": json.dumps(reverse("contributions:capture")),
        },
        content_type="text/javascript; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def capture_manifest(request: HttpRequest) -> HttpResponse:
    home = reverse("contributions:capture")
    manifest = {
        "id": home,
        "name": gettext("Tashawur: capture in the field"),
        "short_name": gettext("Tashawur"),
        "description": gettext(
            "Write down contributions and votes of a round table, even without a network."
        ),
        "start_url": home,
        "scope": home,
        "display": "standalone",
        # Arabic first: the language of the request, as every page.
        "dir": "rtl" if get_language_bidi() else "ltr",
        "lang": get_language(),
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {
                "src": static(f"contributions/icons/tashawur-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any",
            }
            for size in (192, 512)
        ],
    }
    response = JsonResponse(manifest, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response
