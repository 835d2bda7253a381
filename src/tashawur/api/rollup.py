"""``GET /api/strategies/<slug>/rollup``: the national roll-up of a strategy as JSON — the same
as the strategy page (``/s/<slug>/``): the regions with their participation, the counts, and
the findings shared by several regions or specific to one, each with its regions' counts,
over-representation test and the ids and addresses of the published contributions it cites.

No personal data: contributions are cited by id; counts of people below
``core.privacy.anonymity_k`` are ``null``. A draft or unknown strategy answers 404
``strategy_not_found``. ``Cache-Control: public, max-age=300``.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from tashawur.api.errors import error_response
from tashawur.diagnosis.models import RollupRun
from tashawur.diagnosis.rollup_selectors import (
    rollup_findings,
    rollup_runs_shown_and_latest,
    strategy_get_for_user,
    strategy_regions,
)

CACHE_SECONDS = 300
_JSON = {"ensure_ascii": False}


def _run_body(run: RollupRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "engine_version": run.engine_version,
        "contributions": run.contributions_count,
        "regions": run.regions_count,
        "min_authors": run.parameters.get("min_authors"),
        "alpha": run.parameters.get("alpha"),
        "test": run.parameters.get("test"),
    }


def rollup_body(request: HttpRequest, slug: str) -> dict[str, Any]:
    """The roll-up document of the strategy ``slug`` (raises ``Http404``)."""
    strategy = strategy_get_for_user(slug=slug, user=request.user)
    rows = strategy_regions(strategy)
    run, _latest = rollup_runs_shown_and_latest(strategy)
    findings = rollup_findings(run, quotes=0, all_citations=True) if run is not None else []
    regions = [
        {
            "code": row.region.code,
            "name": {"ar": row.region.name_ar, "fr": row.region.name_fr},
            "population": row.region.population,
            "consulted": row.consulted,
            "consultation": row.consultation.slug if row.consultation else None,
            "diagnosis_url": request.build_absolute_uri(
                reverse("diagnosis:consultation", args=[row.consultation.slug])
            )
            if row.consultation
            else None,
            "contributions": row.contributions,
            "participants": row.participants,
            "participants_per_10000": row.per_10k,
        }
        for row in rows
    ]
    body_findings = []
    for view in findings:
        f = view.finding
        body_findings.append(
            {
                "key": f.key,
                "kind": f.kind,
                "region": f.region.code if f.region else None,
                "dimension": f.dimension,
                "label": {"ar": f.label_ar, "fr": f.label_fr},
                "key_phrases": {"ar": list(f.key_phrases_ar), "fr": list(f.key_phrases_fr)},
                "size": f.size,
                "regions": [
                    {
                        "code": cell.region.code,
                        "contributions": cell.contributions,
                        "authors": cell.authors,
                        "share": cell.share,
                        "lift": cell.lift,
                        "q_value": cell.q_value,
                        "over_represented": cell.over_represented,
                        "citations": cell.contribution_ids,
                    }
                    for cell in view.cells
                ],
            }
        )
    return {
        "strategy": {
            "slug": strategy.slug,
            "title": {"ar": strategy.title_ar, "fr": strategy.title_fr},
            "url": request.build_absolute_uri(reverse("web:strategy", args=[strategy.slug])),
        },
        "run": _run_body(run) if run is not None else None,
        "counts": {
            "regions": len(rows),
            "regions_consulted": sum(1 for r in rows if r.consulted),
            "contributions": sum(r.contributions for r in rows),
            "findings": run.findings_count if run else 0,
            "shared": run.shared_count if run else 0,
            "specific": run.specific_count if run else 0,
        },
        "regions": regions,
        "findings": body_findings,
        # Braces are not quoted: a template to fill with a citation's id.
        "contribution_url": request.build_absolute_uri(
            reverse("web:contribution", args=[0])
        ).replace("/0/", "/{id}/"),
    }


@csrf_exempt
@require_safe
def strategy_rollup(request: HttpRequest, slug: str) -> JsonResponse:
    try:
        body = rollup_body(request, slug)
    except Http404:
        return error_response(
            request, 404, "strategy_not_found", _("No public strategy has this identifier.")
        )
    response = JsonResponse(body, json_dumps_params=_JSON)
    patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    return response
