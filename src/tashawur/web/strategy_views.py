"""The strategy page and national roll-up (``/s/<slug>/``) and its regions side by side
(``/s/<slug>/compare/``): the regions on a map with their participation, the findings shared
by several regions and those specific to one, each citing its contributions; the national
coordinator also sees the roll-up's runs and may run it again. Thin: parse → authorise →
selectors → render (STYLE.md)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_POST, require_safe

from tashawur.consultations import rules as consultation_rules
from tashawur.consultations.models import Strategy
from tashawur.core.caching import cached_page, version_key
from tashawur.core.errors import DomainError
from tashawur.core.page_cache import anonymous_page
from tashawur.core.privacy import anonymity_k
from tashawur.diagnosis.models import RollupFinding
from tashawur.diagnosis.rollup_selectors import (
    COMPARE_MAX,
    FindingView,
    RegionRow,
    rollup_compare,
    rollup_findings,
    rollup_runs_shown_and_latest,
    strategy_get_for_user,
    strategy_page_versions,
    strategy_regions,
)
from tashawur.diagnosis.services import rollup_run_request
from tashawur.web.strategy_map import region_map

#: How many region codes a comparison reads from its query string at most.
#: Findings specific to a region shown on the strategy page, the heaviest first (its regional
#: diagnosis has them all).
SPECIFIC_SHOWN = 5
CODES_READ_MAX = 12


@dataclass(frozen=True)
class MapRegion:
    row: RegionRow
    path: str


def _map(rows: list[RegionRow]) -> dict[str, object] | None:
    shapes = region_map()
    if shapes is None:
        return None
    regions = [
        MapRegion(row=row, path=shapes.shapes[row.region.code].path)
        for row in rows
        if row.region.code in shapes.shapes
    ]
    return {"width": shapes.width, "height": shapes.height, "regions": regions}


STRATEGY_PAGE = "web/strategy/detail.html"


def _strategy_versions(request: HttpRequest, slug: str) -> tuple[Any, ...]:
    """The versions an anonymous reader's strategy page is cached under, frame included
    (``core.page_cache``)."""
    return strategy_page_versions(strategy_get_for_user(slug=slug, user=request.user))


@require_safe
@anonymous_page(_strategy_versions)
def strategy_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The strategy page. For an anonymous reader its body is cached as HTML under the
    versions of what it shows (``strategy_page_versions``): a new roll-up run, a consultation
    or contribution changed gives a new key at once. Signed-in readers (the national
    coordinator sees the runs and the button) are never served it."""
    strategy = strategy_get_for_user(slug=slug, user=request.user)
    if request.user.is_authenticated:
        return render(request, STRATEGY_PAGE, _strategy_context(request, strategy))

    def build() -> str:
        return render_to_string(
            f"{STRATEGY_PAGE}#body", _strategy_context(request, strategy), request
        )

    key = version_key("strategy-page", get_language(), *strategy_page_versions(strategy))
    # The template's own rendering, kept as a SafeString (pickled as one): not escaped again.
    body = cached_page(key, build)
    return render(request, STRATEGY_PAGE, {"strategy": strategy, "body": body})


def _strategy_context(request: HttpRequest, strategy: Strategy) -> dict[str, object]:
    rows = strategy_regions(strategy)
    run, latest = rollup_runs_shown_and_latest(strategy)
    findings = rollup_findings(run) if run is not None else []
    shared = [f for f in findings if f.finding.kind == RollupFinding.Kind.SHARED]
    specific: dict[int, list[FindingView]] = defaultdict(list)
    for f in findings:
        if f.finding.kind == RollupFinding.Kind.SPECIFIC and f.finding.region_id is not None:
            specific[f.finding.region_id].append(f)
    is_coordinator = consultation_rules.is_national_coordinator(request.user)
    return {
        "strategy": strategy,
        "regions": rows,
        "consulted": [r for r in rows if r.consulted],
        "map": _map(rows),
        "run": run,
        "latest": latest if is_coordinator else None,
        "may_run": is_coordinator,
        "shared": shared,
        "specific": [
            (row, specific[row.region.pk][:SPECIFIC_SHOWN], len(specific[row.region.pk]))
            for row in rows
            if specific.get(row.region.pk)
        ],
        "anonymity_k": anonymity_k(),
    }


@require_safe
def strategy_compare(request: HttpRequest, slug: str) -> HttpResponse:
    strategy = strategy_get_for_user(slug=slug, user=request.user)
    codes = [c for c in request.GET.getlist("r")[:CODES_READ_MAX] if c.isascii() and c.isdigit()]
    run, _latest = rollup_runs_shown_and_latest(strategy)
    profiles = rollup_compare(strategy=strategy, run=run, codes=codes)
    rows = strategy_regions(strategy)
    chosen = {p.row.region.code for p in profiles}
    return render(
        request,
        "web/strategy/compare.html",
        {
            "strategy": strategy,
            "run": run,
            "choices": [r for r in rows if r.consulted],
            "chosen": chosen,
            "profiles": profiles,
            "compare_max": COMPARE_MAX,
            "too_few": len(profiles) < 2,
            "anonymity_k": anonymity_k(),
        },
    )


@require_POST
def strategy_rollup_run(request: HttpRequest, slug: str) -> HttpResponse:
    strategy = strategy_get_for_user(slug=slug, user=request.user)
    if not consultation_rules.is_national_coordinator(request.user):
        raise PermissionDenied
    try:
        rollup_run_request(strategy=strategy, user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            gettext("The national roll-up is queued: this page shows it once it has run."),
        )
    return HttpResponseRedirect(reverse("web:strategy", args=[strategy.slug]))
