"""The read-only JSON API. ``GET /api/consultations`` lists the public consultations with counts."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from tashawur.consultations.selectors import consultation_list_with_counts


# Read-only: exempt from CSRF so that a write gets the honest 405 instead of a CSRF 403.
@csrf_exempt
@require_safe
def consultation_list(request: HttpRequest) -> JsonResponse:
    consultations = [
        {
            "slug": c.slug,
            "title": {"ar": c.title_ar, "fr": c.title_fr},
            "region": c.region.code,
            "status": c.status,
            "counts": {
                "meetings": c.meetings_count,  # type: ignore[attr-defined]
                "workshops": c.workshops_count,  # type: ignore[attr-defined]
                "contributions": c.contributions_count,  # type: ignore[attr-defined]
                "votes": c.votes_count,  # type: ignore[attr-defined]
            },
        }
        for c in consultation_list_with_counts()
    ]
    return JsonResponse({"consultations": consultations}, json_dumps_params={"ensure_ascii": False})
