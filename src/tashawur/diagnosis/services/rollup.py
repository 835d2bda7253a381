"""The national roll-up of a strategy: one synthesis over the published contributions of all its
regional consultations at once, whose findings carry their regions.

Each finding is then classified:

- **shared** when at least two regions each carry it, with ``MIN_AUTHORS`` distinct authors or
  more (a contribution recorded without an author counts as one voice of its own);
- **specific** to a region when that region is the only one carrying it, and its share of the
  finding is above its share of all the roll-up's contributions (lift above 1). Whether that
  lean is significant is a separate mark: a one-sided hypergeometric test of the region's
  contributions in the finding against its share of every contribution the roll-up placed in a
  finding, Benjamini–Hochberg corrected over the cells that could carry a claim (those with
  ``MIN_AUTHORS`` authors), below ``ALPHA`` (``over_represented``). On a small consultation
  (the demo's regions: 70 contributions each beside Souss-Massa's 368) few region-specific
  findings are significant, and the page says which;
- **other** when neither holds (too few voices anywhere to say).

The over-representation of every region in every finding is stored either way
(``RollupFindingRegion``), so that a shared finding also says which regions lean on it most.

The synthesis is called through the same entry point, embedder and seed as a regional run
(``runs._synthesize``), on the records ``storing.inputs_read`` builds for each consultation, so
that languages and translations are read the same way. No opinion map: votes stay regional.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from tashawur.consultations import rules as consultation_rules
from tashawur.consultations.models import Consultation, Dimension, Strategy
from tashawur.contributions.models import Contribution
from tashawur.core.errors import DomainError
from tashawur.diagnosis.models import (
    RollupCitation,
    RollupFinding,
    RollupFindingRegion,
    RollupRun,
)
from tashawur.diagnosis.services import storing
from tashawur.diagnosis.services.runs import _synthesize
from tashawur.diagnosis.services.storing import SynthesisRunError, dominant_dimension

logger = logging.getLogger(__name__)

#: A region carries a finding with at least this many distinct authors in it: two people of a
#: region saying it is the least that is not one person's view (counts under the anonymity k
#: are still not shown).
MIN_AUTHORS = 2
#: Significance level of the over-representation test, after Benjamini–Hochberg.
ALPHA = 0.05
_PENDING = (RollupRun.Status.QUEUED, RollupRun.Status.RUNNING)
_KIND_ORDER: dict[str, int] = {
    RollupFinding.Kind.SHARED: 0,
    RollupFinding.Kind.SPECIFIC: 1,
    RollupFinding.Kind.OTHER: 2,
}
_DIMENSION_ORDER = {value: index for index, value in enumerate(Dimension.values)}


# -- request ------------------------------------------------------------------------------------


def rollup_run_request(*, strategy: Strategy, user: Any) -> RollupRun:
    """Queue a roll-up of ``strategy``; its task starts once the transaction commits. While one
    is queued or running, return it rather than queue a second (a database constraint).

    Raises ``DomainError`` (``rollup_not_allowed``) unless ``user`` is the national coordinator.
    """
    if not consultation_rules.is_national_coordinator(user):
        raise DomainError(
            _("Only the national coordinator may run the national roll-up."),
            code="rollup_not_allowed",
        )
    with transaction.atomic():
        pending = RollupRun.objects.filter(strategy=strategy, status__in=_PENDING).first()
        if pending is not None:
            return pending
        try:
            with transaction.atomic():
                run = RollupRun.objects.create(strategy=strategy, created_by=user)
        except IntegrityError:
            return RollupRun.objects.get(strategy=strategy, status__in=_PENDING)
        run_id = run.pk
        transaction.on_commit(lambda: _rollup_run_enqueue(run_id), robust=True)
    return run


def _rollup_run_enqueue(run_id: int) -> None:
    result = rollup_run_task.enqueue(run_id)
    RollupRun.objects.filter(pk=run_id).update(task_id=str(result.id)[:64])


def rollup_runs_abandon_pending(*, strategy: Strategy) -> int:
    """Mark the strategy's queued and running roll-ups failed (``abandoned``); return how many.
    For a start-up that knows no worker is alive yet (``tashawur demo``)."""
    now = timezone.now()
    return RollupRun.objects.filter(strategy=strategy, status__in=_PENDING).update(
        status=RollupRun.Status.FAILED,
        error_code="abandoned",
        error_message="its worker stopped before the end",
        finished_at=now,
        updated_at=now,
    )


def rollup_run_now(*, strategy: Strategy, user: Any = None) -> RollupRun:
    """Create a roll-up of ``strategy`` and execute it here and now (the demo's start-up, the
    benchmark); return it, succeeded or failed."""
    with transaction.atomic():
        rollup_runs_abandon_pending(strategy=strategy)
        run = RollupRun.objects.create(
            strategy=strategy,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
    executed = rollup_run_execute(run_id=run.pk)
    assert executed is not None
    return executed


# -- execute ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Inputs:
    records: list[dict[str, Any]]
    dimensions: dict[int, str]
    region_of: dict[int, int]  # contribution id → region (territory) id
    voice_of: dict[int, tuple[str, int]]  # contribution id → its author, or itself
    regions: list[int]


def rollup_inputs_read(strategy: Strategy) -> _Inputs:
    """The published contributions of every public consultation of ``strategy``, as regional
    runs read them, with each one's region and author."""
    records: list[dict[str, Any]] = []
    dimensions: dict[int, str] = {}
    region_of: dict[int, int] = {}
    regions: list[int] = []
    consultations = (
        Consultation.objects.filter(strategy=strategy)
        .exclude(status=Consultation.Status.DRAFT)
        .order_by("region__code", "pk")
    )
    for consultation in consultations:
        try:
            inputs = storing.inputs_read(consultation)
        except SynthesisRunError:
            continue  # nothing published there yet
        records.extend(inputs.records)
        dimensions.update(inputs.dimensions)
        for contribution_id in inputs.dimensions:
            region_of[contribution_id] = consultation.region_id
        regions.append(consultation.region_id)
    if not records:
        raise SynthesisRunError(
            "no consultation of the strategy has a published contribution",
            code="no_contributions",
        )
    voice_of: dict[int, tuple[str, int]] = {}
    authors = Contribution.objects.filter(pk__in=list(dimensions)).values_list("pk", "author_id")
    for contribution_id, author_id in authors.iterator(chunk_size=5000):
        voice_of[contribution_id] = (
            ("author", author_id) if author_id else ("contribution", contribution_id)
        )
    return _Inputs(records, dimensions, region_of, voice_of, sorted(set(regions)))


def rollup_run_execute(*, run_id: int) -> RollupRun | None:
    """Run the roll-up of a queued run and store it in one transaction; return the run.

    Claims the run (queued → running) first, so that a task delivered twice executes once. On
    any failure nothing of it is stored and the run is marked failed with the reason.
    """
    now = timezone.now()
    claimed = RollupRun.objects.filter(pk=run_id, status=RollupRun.Status.QUEUED).update(
        status=RollupRun.Status.RUNNING, started_at=now, updated_at=now
    )
    run = RollupRun.objects.select_related("strategy").filter(pk=run_id).first()
    if run is None or not claimed:
        return run
    try:
        started = time.perf_counter()
        inputs = rollup_inputs_read(run.strategy)
        read = time.perf_counter() - started
        result = _synthesize(inputs.records, None)
        with transaction.atomic():
            _rollup_store(run, inputs, result, read_seconds=read)
    except SynthesisRunError as error:
        _rollup_mark_failed(run.pk, code=error.code, message=str(error))
    except Exception as error:
        logger.exception("roll-up run %s failed", run.pk)
        _rollup_mark_failed(
            run.pk, code="internal", message=f"{type(error).__name__}: {error}"[:4000]
        )
    run.refresh_from_db()
    return run


def _rollup_mark_failed(run_id: int, *, code: str, message: str) -> None:
    now = timezone.now()
    RollupRun.objects.filter(pk=run_id).update(
        status=RollupRun.Status.FAILED,
        error_code=code,
        error_message=message,
        finished_at=now,
        updated_at=now,
    )


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values) of ``p_values``, in their order."""
    m = len(p_values)
    if m == 0:
        return p_values.astype(float)
    order = np.argsort(p_values, kind="stable")
    ranked = p_values[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(m, dtype=float)
    q[order] = np.minimum(adjusted, 1.0)
    return q


@dataclass
class _Cell:
    finding: int  # index in the result's findings
    region: int
    contributions: int
    authors: int
    share: float = 0.0
    overall_share: float = 0.0
    lift: float = 0.0
    p_value: float = 1.0
    q_value: float = 1.0
    over_represented: bool = False


def rollup_classify(
    members: list[list[int]], inputs: _Inputs
) -> tuple[list[list[_Cell]], list[tuple[str, int | None]]]:
    """Per finding (its cited contribution ids in ``members``), one cell per region with its
    counts and over-representation test, and the finding's kind and specific region."""
    from scipy.stats import hypergeom

    cells: list[list[_Cell]] = []
    region_totals: Counter[int] = Counter()
    for cited in members:
        per_region: dict[int, list[int]] = defaultdict(list)
        for contribution_id in cited:
            per_region[inputs.region_of[contribution_id]].append(contribution_id)
        row = [
            _Cell(
                finding=len(cells),
                region=region,
                contributions=len(ids),
                authors=len({inputs.voice_of.get(c, ("contribution", c)) for c in ids}),
            )
            for region, ids in sorted(per_region.items())
        ]
        for cell in row:
            region_totals[cell.region] += cell.contributions
        cells.append(row)
    total = sum(region_totals.values())
    flat = [cell for row in cells for cell in row]
    if flat:
        k = np.array([c.contributions for c in flat])
        n = np.array([sum(x.contributions for x in cells[c.finding]) for c in flat])
        big_k = np.array([region_totals[c.region] for c in flat])
        p = hypergeom.sf(k - 1, total, big_k, n)
        # Corrected over the cells that could carry a claim; the others keep q = 1.
        eligible = np.array([c.authors >= MIN_AUTHORS for c in flat])
        q = np.ones_like(p)
        if eligible.any():
            q[eligible] = benjamini_hochberg(p[eligible])
        for i, cell in enumerate(flat):
            cell.share = round(float(k[i] / n[i]), 4)
            cell.overall_share = round(float(big_k[i] / total), 4)
            cell.lift = round(float(cell.share / cell.overall_share), 3)
            cell.p_value = float(f"{float(p[i]):.4g}")
            cell.q_value = float(f"{float(q[i]):.4g}")
            cell.over_represented = bool(
                k[i] * total > big_k[i] * n[i] and eligible[i] and q[i] < ALPHA
            )
    kinds: list[tuple[str, int | None]] = []
    for row in cells:
        carrying = [c for c in row if c.authors >= MIN_AUTHORS]
        if len(carrying) >= 2:
            kinds.append((RollupFinding.Kind.SHARED, None))
        elif len(carrying) == 1 and carrying[0].lift > 1:
            kinds.append((RollupFinding.Kind.SPECIFIC, carrying[0].region))
        else:
            kinds.append((RollupFinding.Kind.OTHER, None))
    return cells, kinds


def _rollup_store(
    run: RollupRun, inputs: _Inputs, result: Any, *, read_seconds: float
) -> RollupRun:
    started = time.perf_counter()
    canonical_of: dict[str, str] = {}
    for group in result.duplicates:
        for duplicate in group.duplicate_ids:
            canonical_of[duplicate] = group.canonical_id
    duplicates_of: dict[str, list[str]] = defaultdict(list)
    for duplicate, canonical in canonical_of.items():
        duplicates_of[canonical].append(duplicate)
    members: list[list[int]] = []
    for f in result.findings:
        cited = [int(i) for i in f.member_ids]
        cited += [int(d) for m in f.member_ids for d in duplicates_of.get(m, [])]
        if len(cited) != f.size:
            raise SynthesisRunError(
                f"finding {f.id} has size {f.size} but cites {len(cited)} contributions",
                code="result_inconsistent",
            )
        members.append(cited)
    cells, kinds = rollup_classify(members, inputs)

    planned = []
    for index, f in enumerate(result.findings):
        counts = Counter(inputs.dimensions[c] for c in members[index])
        dimension = dominant_dimension(counts)
        planned.append((index, f, dict(counts), dimension))
    planned.sort(
        key=lambda p: (
            _KIND_ORDER[kinds[p[0]][0]],
            _DIMENSION_ORDER.get(p[3], 99),
            -p[1].size,
            p[1].id,
        )
    )
    findings = RollupFinding.objects.bulk_create(
        RollupFinding(
            run=run,
            key=f.id,
            position=position,
            kind=kinds[index][0],
            region_id=kinds[index][1],
            dimension=dimension,
            dimension_counts=counts,
            # Titles in the members' words, as a regional run stores them (``storing``); the
            # engine's key phrases only where it gave no titles.
            label_ar=(f.title_ar if f.title_ar or f.title_fr else f.label_ar)[:500],
            label_fr=(f.title_fr if f.title_ar or f.title_fr else f.label_fr)[:500],
            key_phrases_ar=list(f.key_phrases_ar),
            key_phrases_fr=list(f.key_phrases_fr),
            size=f.size,
            authors_count=len(
                {inputs.voice_of.get(c, ("contribution", c)) for c in members[index]}
            ),
            regions_count=sum(1 for c in cells[index] if c.authors >= MIN_AUTHORS),
        )
        for position, (index, f, counts, dimension) in enumerate(planned, start=1)
    )
    region_rows: list[RollupFindingRegion] = []
    citations: list[RollupCitation] = []
    for finding, (index, f, _counts, _dimension) in zip(findings, planned, strict=True):
        region_rows.extend(
            RollupFindingRegion(
                run=run,
                finding=finding,
                region_id=c.region,
                contributions=c.contributions,
                authors=c.authors,
                share=c.share,
                overall_share=c.overall_share,
                lift=c.lift,
                p_value=c.p_value,
                q_value=c.q_value,
                over_represented=c.over_represented,
            )
            for c in cells[index]
        )
        rank = {int(cid): k for k, cid in enumerate(f.representative_ids, start=1)}
        members_set = {int(m) for m in f.member_ids}
        citations.extend(
            RollupCitation(
                run=run,
                finding=finding,
                contribution_id=contribution_id,
                region_id=inputs.region_of[contribution_id],
                is_duplicate=contribution_id not in members_set,
                is_representative=contribution_id in rank,
                rank=rank.get(contribution_id),
            )
            for contribution_id in members[index]
        )
    RollupFindingRegion.objects.bulk_create(region_rows, batch_size=1000)
    RollupCitation.objects.bulk_create(citations, batch_size=1000)
    now = timezone.now()
    kind_counts = Counter(kind for kind, _region in kinds)
    timings = dict(result.timings)
    timings["read"] = round(read_seconds, 3)
    timings["store"] = round(time.perf_counter() - started, 3)
    closed = RollupRun.objects.filter(pk=run.pk, status=RollupRun.Status.RUNNING).update(
        status=RollupRun.Status.SUCCEEDED,
        engine_version=result.engine_version,
        parameters={
            "synthesis": dict(result.parameters),
            "min_authors": MIN_AUTHORS,
            "alpha": ALPHA,
            "test": "hypergeometric, one-sided, Benjamini-Hochberg",
        },
        timings=timings,
        contributions_count=len(inputs.records),
        regions_count=len(inputs.regions),
        findings_count=len(findings),
        shared_count=kind_counts[RollupFinding.Kind.SHARED],
        specific_count=kind_counts[RollupFinding.Kind.SPECIFIC],
        finished_at=now,
        updated_at=now,
    )
    if not closed:
        raise SynthesisRunError("the roll-up was marked failed while it ran", code="abandoned")
    return run


@task()
def rollup_run_task(run_id: int) -> str | None:
    """Execute a queued roll-up run; returns its status afterwards."""
    run = rollup_run_execute(run_id=run_id)
    return None if run is None else str(run.status)
