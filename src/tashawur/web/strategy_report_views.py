"""The national roll-up as a PDF (``/s/<slug>/pdf/``): the strategy page's picture in print,
in the active language, with its charts drawn as SVG and every finding's contribution numbers.
Thin: parse → selectors → render (STYLE.md), laid out as the other PDFs (``core.printing``)."""

from __future__ import annotations

from collections import Counter

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from tashawur.consultations.models import Dimension, Strategy
from tashawur.core import limits
from tashawur.core.charts import bars
from tashawur.core.privacy import anonymity_k
from tashawur.core.views import download_limit_message, too_many_requests
from tashawur.diagnosis.models import RollupFinding
from tashawur.diagnosis.rollup_selectors import (
    rollup_findings,
    rollup_runs_shown_and_latest,
    strategy_get_for_user,
    strategy_regions,
)

#: How long a shared cache may keep a public strategy's PDF (seconds), as open data.
PUBLIC_CACHE_SECONDS = 300


@require_safe
def strategy_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """The national roll-up as a PDF: the regions' participation, the findings shared by several
    regions and those specific to one, each with its regions and the numbers of the
    contributions it cites. Laid out once per content (cached under the hash of its HTML)."""
    limited = limits.download_limited(request)
    if limited is not None:
        return too_many_requests(request, message=download_limit_message(limited), limited=limited)
    # Imported here: WeasyPrint takes ~0.4 s to import, which every process would pay at start.
    from tashawur.core import printing

    strategy = strategy_get_for_user(slug=slug, user=request.user)
    rows = strategy_regions(strategy)
    run, _latest = rollup_runs_shown_and_latest(strategy)
    findings = rollup_findings(run, all_citations=True) if run is not None else []
    shared = [f for f in findings if f.finding.kind == RollupFinding.Kind.SHARED]
    specific = [f for f in findings if f.finding.kind == RollupFinding.Kind.SPECIFIC]
    per_dimension = Counter(f.finding.dimension for f in findings)
    consulted = [r for r in rows if r.consulted]

    content, _generated_at = printing.cached_pdf(
        request,
        template="web/strategy/rollup_print.html",
        context={
            "strategy": strategy,
            "regions": rows,
            "consulted": consulted,
            "run": run,
            "shared": shared,
            "specific": specific,
            "contributions_chart": bars(
                (r.region.code, r.region.name, r.contributions) for r in consulted
            ),
            "findings_chart": bars(
                (value, str(label), per_dimension.get(value, 0))
                for value, label in Dimension.choices
            ),
            "anonymity_k": anonymity_k(),
        },
        kind="rollup-pdf",
        versions=(str(getattr(run, "pk", "")),),
        page_path=reverse("web:strategy", args=[slug]),
    )
    language = (get_language() or "ar").split("-")[0]
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, f"rollup-{slug}-{language}.pdf"
    )
    if strategy.status == Strategy.Status.DRAFT:
        patch_cache_control(response, private=True, no_store=True)
    else:
        patch_cache_control(response, public=True, max_age=PUBLIC_CACHE_SECONDS)
    return response
