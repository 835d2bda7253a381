"""Writes of the diagnosis: request a synthesis run, execute it, store what it found, curate it,
then write the diagnosis on it and publish it.

The only module of the project that calls the synthesis library (DESIGN.md §3). A run reads a
consultation's published contributions and votes, calls ``tashawur.synthesis`` and stores the
findings (each citing its contributions) and the opinion groups in one transaction. The analyst
then curates the findings of the run the diagnosis shows: rename, accept or reject, merge, split.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import socket
import threading
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, Q, Value
from django.db.models.functions import Coalesce, Greatest, Now
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tasks import TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist

from tashawur.actors.selectors import participants_actor_type
from tashawur.consultations.models import Consultation, Dimension
from tashawur.contributions.models import Contribution, Language, ModerationStatus, Vote
from tashawur.core.errors import DomainError
from tashawur.core.text import clean_user_text, contains_bidi_controls
from tashawur.core.validation import user_text_clean
from tashawur.diagnosis import rules
from tashawur.diagnosis.models import (
    CurationEvent,
    Diagnosis,
    DiagnosisDimension,
    DiagnosisEntry,
    DiagnosisPublication,
    Finding,
    FindingContribution,
    OpinionGroup,
    StatementStat,
    SynthesisRun,
)
from tashawur.territories.models import Territory

logger = logging.getLogger(__name__)

#: Embedding backends a run may use; ``TASHAWUR_SYNTHESIS_EMBEDDER`` picks one at call time.
EMBEDDERS = ("use", "lexical")
DEFAULT_EMBEDDER = "use"
#: Seed of every random choice of a run: two runs over the same input give the same result.
RANDOM_STATE = 0
#: The opinion map needs at least this many voters and voted statements to be worth drawing.
OPINION_MIN_PARTICIPANTS = 4
OPINION_MIN_STATEMENTS = 2
#: How long a running run may go without a sign of life from its worker when the setting
#: ``TASHAWUR_RUN_LEASE_SECONDS`` is absent.
DEFAULT_RUN_LEASE_SECONDS = 30
#: The worker renews a run's lease this many times per lease, so that a renewal kept waiting by
#: a busy database (SQLite waits up to 20 s for its write lock) does not let the lease lapse.
HEARTBEATS_PER_LEASE = 6
_PENDING = (SynthesisRun.Status.QUEUED, SynthesisRun.Status.RUNNING)
_DIMENSION_ORDER = {value: index for index, value in enumerate(Dimension.values)}


class SynthesisRunError(Exception):
    """A run cannot go on; ``code`` is stored with the run and the page explains it."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


def synthesis_embedder() -> str:
    """The embedding backend, read at call time: the ``TASHAWUR_SYNTHESIS_EMBEDDER`` setting,
    else the environment variable of that name, else ``"use"``."""
    return str(
        getattr(settings, "TASHAWUR_SYNTHESIS_EMBEDDER", None)
        or os.environ.get("TASHAWUR_SYNTHESIS_EMBEDDER")
        or DEFAULT_EMBEDDER
    )


def synthesis_run_lease() -> dt.timedelta:
    """How long a running run may go without a sign of life from its worker before it is taken
    for dead: the ``TASHAWUR_RUN_LEASE_SECONDS`` setting (at least 1 s), read at call time."""
    seconds = getattr(settings, "TASHAWUR_RUN_LEASE_SECONDS", None) or DEFAULT_RUN_LEASE_SECONDS
    return dt.timedelta(seconds=max(float(seconds), 1.0))


# -- request ------------------------------------------------------------------------------------


def synthesis_run_request(*, consultation: Consultation, user: Any) -> SynthesisRun:
    """Queue a synthesis run of ``consultation``; the task starts once the transaction commits.

    While a run of the consultation is queued or running, a new request returns that run
    rather than queueing a second one (one pending run per consultation, a database
    constraint). A running run whose worker has stopped (no sign of life for the lease,
    ``synthesis_run_lease``) is marked failed first and a new run is queued; a queued run whose
    task is lost is queued again (see ``synthesis_runs_recover``).

    Raises
    ------
    DomainError
        ``synthesis_not_allowed`` when the user may not run the synthesis of the consultation.
    """
    if not rules.can_run_consultation_synthesis(user, consultation):
        raise DomainError(
            _("You are not allowed to run the synthesis of this consultation."),
            code="synthesis_not_allowed",
        )
    with transaction.atomic():
        # NO KEY: a run storing its findings holds a key-share lock on its row (PostgreSQL).
        pending = (
            SynthesisRun.objects.select_for_update(no_key=True)
            .filter(consultation=consultation, status__in=_PENDING)
            .first()
        )
        if pending is not None and _pending_recover(pending) != "failed":
            return pending
        try:
            with transaction.atomic():
                run = SynthesisRun.objects.create(
                    consultation=consultation,
                    created_by=user if getattr(user, "is_authenticated", False) else None,
                )
        except IntegrityError:
            # Another request queued one between our read and our write: join it.
            return SynthesisRun.objects.get(consultation=consultation, status__in=_PENDING)
        run_id = run.pk
        transaction.on_commit(lambda: _synthesis_run_enqueue(run_id), robust=True)
    return run


@dataclass(frozen=True)
class RunsRecovered:
    failed: int  # running runs whose worker had stopped, now marked failed
    requeued: int  # queued runs whose task was lost, now queued again


def synthesis_runs_recover(*, consultation: Consultation | None = None) -> RunsRecovered:
    """Mark failed the running runs whose worker has stopped and queue again the queued runs
    whose task is lost, of ``consultation`` or of every consultation; say how many.

    A run's worker renews its lease (``heartbeat_at``) while it runs; a run silent for longer
    than the lease has lost its worker, and nothing it found was stored (a run stores everything
    in one transaction). A queued run waits for a worker as long as its task waits in the queue;
    its task is lost when it was never recorded, is gone, ended without running it, or was taken
    by a worker that has not started it within the lease (the worker died in between). Called
    when anyone looks: a run request, the diagnosis page while a run is pending, a worker's
    start. Safe to call from any number of processes at once.
    """
    pending = SynthesisRun.objects.filter(status__in=_PENDING).order_by("pk")
    if consultation is not None:
        pending = pending.filter(consultation=consultation)
    outcomes = Counter(_pending_recover(run) for run in pending)
    return RunsRecovered(failed=outcomes["failed"], requeued=outcomes["requeued"])


def synthesis_runs_abandon_pending(*, consultation: Consultation) -> int:
    """Mark the consultation's queued and running runs failed (``abandoned``); return how many.

    For a start-up that knows no worker is alive yet (``tashawur demo``): a run left running by
    a worker stopped a moment ago would otherwise block new requests until its lease lapses.
    """
    pending = list(
        SynthesisRun.objects.filter(consultation=consultation, status__in=_PENDING).values_list(
            "pk", flat=True
        )
    )
    for run_id in pending:
        _run_mark_failed(run_id, code="abandoned", message="its worker stopped before the end")
    return len(pending)


def _pending_recover(run: SynthesisRun) -> str:
    """``"failed"`` when ``run`` was running and its worker has stopped (now marked failed),
    ``"requeued"`` when it was queued and its task lost (queued again once the transaction
    commits), else ``"kept"``."""
    lease = synthesis_run_lease()
    if run.status == SynthesisRun.Status.RUNNING:
        return "failed" if _run_fail_if_silent(run, lease) else "kept"
    if run.status == SynthesisRun.Status.QUEUED and _task_lost(run, lease):
        run_id = run.pk
        logger.warning("synthesis run %s: its task %r is lost; queued again", run_id, run.task_id)
        transaction.on_commit(lambda: _synthesis_run_enqueue(run_id), robust=True)
        return "requeued"
    return "kept"


def _run_fail_if_silent(run: SynthesisRun, lease: dt.timedelta) -> bool:
    """Mark ``run`` failed if it is still running and its worker has given no sign of life for
    ``lease``; return whether it did. One conditional write on the database's clock (the
    worker's heartbeats are written on it too), so a heartbeat that lands first keeps the run."""
    cutoff = ExpressionWrapper(
        Now() - Value(lease, output_field=DurationField()), output_field=DateTimeField()
    )
    silent = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    failed = (
        SynthesisRun.objects.filter(silent, pk=run.pk, status=SynthesisRun.Status.RUNNING).update(
            status=SynthesisRun.Status.FAILED,
            error_code="abandoned",
            error_message=(
                f"its worker {run.worker or '(unknown)'} stopped: no sign of life for "
                f"{lease.total_seconds():g} s"
            ),
            # Never before it started, whatever the clocks of the worker and of this process.
            finished_at=Greatest(Now(), F("started_at")),
            updated_at=timezone.now(),
        )
        > 0
    )
    if failed:
        logger.warning("synthesis run %s: its worker %s stopped; marked failed", run.pk, run.worker)
    return failed


def _task_lost(run: SynthesisRun, lease: dt.timedelta) -> bool:
    """Whether the task that should execute the queued ``run`` is lost (see
    ``synthesis_runs_recover``). A backend that keeps no results (the immediate one of the tests)
    loses a task only when its enqueueing was never recorded."""
    now = timezone.now()
    if not run.task_id:
        # The request enqueues once it commits, then records the task: give it the lease.
        return run.created_at < now - lease
    task = _synthesis_run_task()
    if not task.get_backend().supports_get_result:
        return False
    try:
        result = task.get_result(run.task_id)
    except TaskResultDoesNotExist:
        return True
    if result.status == TaskResultStatus.READY:
        return False  # waiting for a worker: a worker (re)started later picks it up
    if result.status == TaskResultStatus.RUNNING:
        # A worker took the task; it claims the run at once unless it died in between.
        return result.started_at is None or result.started_at < now - lease
    return True  # it ended, and the run it should have run is still queued


def _synthesis_run_task() -> Any:
    from tashawur.diagnosis.tasks import synthesis_run_task

    return synthesis_run_task


def _synthesis_run_enqueue(run_id: int) -> None:
    result = _synthesis_run_task().enqueue(run_id)
    # Recorded so that a look can tell a queued run whose task is lost (``_task_lost``).
    SynthesisRun.objects.filter(pk=run_id).update(task_id=str(result.id)[:64])


# -- execute ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Inputs:
    records: list[dict[str, Any]]
    dimensions: dict[int, str]
    votes: list[tuple[int, int, int, float]]  # participant, statement, value, timestamp


def synthesis_run_execute(*, run_id: int) -> SynthesisRun | None:
    """Run the synthesis of a queued run and store its result; return the run afterwards.

    Claims the run (queued → running) first, so that a task delivered twice executes once; a
    run that is not queued is returned as it is. Everything the run finds is stored in one
    transaction: on any failure nothing of it is stored, and the run is marked failed with the
    reason. Returns ``None`` when the run does not exist.
    """
    claimed = SynthesisRun.objects.filter(pk=run_id, status=SynthesisRun.Status.QUEUED).update(
        status=SynthesisRun.Status.RUNNING,
        started_at=timezone.now(),
        updated_at=timezone.now(),
        heartbeat_at=Now(),
        worker=_worker_name(),
    )
    run = SynthesisRun.objects.select_related("consultation").filter(pk=run_id).first()
    if run is None or not claimed:
        return run
    # Inside an outer transaction (a test's) the claim is not committed: nobody else sees the
    # run running, and a second connection would only wait for this one's lock (SQLite).
    beating = not transaction.get_connection().in_atomic_block
    try:
        with _Heartbeat(run.pk, synthesis_run_lease() / HEARTBEATS_PER_LEASE, enabled=beating):
            inputs = _inputs_read(run.consultation)
            previous = _previous_result(run)
            result = _synthesize(inputs.records, previous)
            opinions = _opinion_map(inputs.votes)
            with transaction.atomic():
                _result_store(run, inputs, result, opinions)
    except SynthesisRunError as error:
        _run_mark_failed(run.pk, code=error.code, message=str(error))
    except Exception as error:
        logger.exception("synthesis run %s failed", run.pk)
        _run_mark_failed(run.pk, code="internal", message=f"{type(error).__name__}: {error}"[:4000])
    except (KeyboardInterrupt, SystemExit):
        # The worker is told to stop mid-run: say so now rather than once the lease lapses.
        _run_mark_stopped(run.pk)
        raise
    run.refresh_from_db()
    return run


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


class _Heartbeat:
    """Renews a running run's lease (``heartbeat_at``, on the database's clock) every ``every``
    from a thread of its own, until the block ends or the run is no longer running.

    A thread rather than calls between the steps: one step (embedding thousands of texts) can
    outlast any lease. The thread has its own database connection and closes it when it stops.
    """

    def __init__(self, run_id: int, every: dt.timedelta, *, enabled: bool = True) -> None:
        self._run_id = run_id
        self._every = every.total_seconds()
        self._stop = threading.Event()
        self._thread = (
            threading.Thread(target=self._beat, name=f"run-{run_id}-heartbeat", daemon=True)
            if enabled
            else None
        )

    def __enter__(self) -> _Heartbeat:
        if self._thread is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self._every):
                try:
                    renewed = SynthesisRun.objects.filter(
                        pk=self._run_id, status=SynthesisRun.Status.RUNNING
                    ).update(heartbeat_at=Now())
                except DatabaseError as error:
                    # Busy or briefly unreachable: the next beat tries again within the lease.
                    logger.warning("synthesis run %s: heartbeat failed (%s)", self._run_id, error)
                    continue
                if not renewed:
                    return  # taken for abandoned: it will not store anything
        finally:
            connection.close()


def _run_mark_stopped(run_id: int) -> None:
    try:
        SynthesisRun.objects.filter(pk=run_id, status=SynthesisRun.Status.RUNNING).update(
            status=SynthesisRun.Status.FAILED,
            error_code="abandoned",
            error_message="its worker was stopped during the run",
            finished_at=Greatest(Now(), F("started_at")),
            updated_at=timezone.now(),
        )
    except DatabaseError:
        logger.exception("synthesis run %s: could not be marked failed; its lease will", run_id)


def _run_mark_failed(run_id: int, *, code: str, message: str) -> None:
    now = timezone.now()
    SynthesisRun.objects.filter(pk=run_id).update(
        status=SynthesisRun.Status.FAILED,
        error_code=code,
        error_message=message,
        # A run abandoned while queued never started: it starts and ends now.
        started_at=Coalesce(F("started_at"), Value(now)),
        finished_at=now,
        updated_at=now,
    )


def _province_code(territory: Territory | None) -> str:
    while territory is not None and territory.level == Territory.Level.COMMUNE:
        territory = territory.parent
    if territory is None or territory.level != Territory.Level.PROVINCE:
        return ""
    return territory.code


def _actor_types(participant_ids: set[int]) -> dict[int, str]:
    """Each author's actor type (the type, not the subtype) from their first organisation, as
    open data and the public pages read it."""
    return participants_actor_type(participant_ids)


def _inputs_read(consultation: Consultation) -> _Inputs:
    contributions = list(
        Contribution.objects.filter(
            consultation=consultation, moderation_status=ModerationStatus.PUBLISHED
        )
        .select_related("theme", "territory__parent", "author__territory__parent")
        .order_by("pk")
    )
    if not contributions:
        raise SynthesisRunError(
            "the consultation has no published contribution", code="no_contributions"
        )
    actor_types = _actor_types({c.author_id for c in contributions if c.author_id})
    records: list[dict[str, Any]] = []
    for c in contributions:
        territory = c.territory or (c.author.territory if c.author else None)
        record: dict[str, Any] = {
            "id": str(c.pk),
            "text": c.text,
            "translation": c.translation_fr or None,
            "dimension": c.dimension,
            "theme": c.theme.slug if c.theme else "",
            "actor_type": actor_types.get(c.author_id or 0, ""),
            "province": _province_code(territory),
            "channel": c.channel,
        }
        if c.language != Language.UNDETERMINED:
            # A language a person set or the language task found; the library's own guess
            # profiles the others.
            record["language"] = c.language
        records.append(record)
    votes = [
        (participant_id, contribution_id, value, updated_at.timestamp())
        for participant_id, contribution_id, value, updated_at in Vote.objects.filter(
            contribution__consultation=consultation,
            contribution__moderation_status=ModerationStatus.PUBLISHED,
        )
        .order_by("pk")
        .values_list("participant_id", "contribution_id", "value", "updated_at")
    ]
    return _Inputs(
        records=records, dimensions={c.pk: c.dimension for c in contributions}, votes=votes
    )


def _previous_result(run: SynthesisRun) -> dict[str, Any] | None:
    """The result of the consultation's last successful run, for an incremental update."""
    result: dict[str, Any] | None = (
        SynthesisRun.objects.filter(
            consultation_id=run.consultation_id, status=SynthesisRun.Status.SUCCEEDED
        )
        .exclude(pk=run.pk)
        .order_by("-finished_at", "-pk")
        .values_list("result", flat=True)
        .first()
    )
    return result or None


def _synthesize(records: list[dict[str, Any]], previous: dict[str, Any] | None) -> Any:
    from tashawur.synthesis import SynthesisInputError, Synthesizer

    embedder = synthesis_embedder()
    if embedder not in EMBEDDERS:
        raise SynthesisRunError(
            f"TASHAWUR_SYNTHESIS_EMBEDDER is {embedder!r}; expected one of {', '.join(EMBEDDERS)}",
            code="embedder_invalid",
        )
    try:
        return Synthesizer(embedder=embedder, random_state=RANDOM_STATE).run(
            records, previous=previous
        )
    except SynthesisInputError as error:
        raise SynthesisRunError(str(error), code="input_invalid") from error


def _opinion_map(votes: Sequence[tuple[int, int, int, float]]) -> Any | None:
    """Pol.is's opinion map of the votes, or ``None`` when there are too few to draw one."""
    from tashawur.synthesis.opinions import OpinionMap, vote_matrix

    if (
        len({v[0] for v in votes}) < OPINION_MIN_PARTICIPANTS
        or len({v[1] for v in votes}) < OPINION_MIN_STATEMENTS
    ):
        return None
    matrix = vote_matrix(
        [str(v[0]) for v in votes],
        [str(v[1]) for v in votes],
        [v[2] for v in votes],
        timestamps=[v[3] for v in votes],
    )
    return OpinionMap(random_state=RANDOM_STATE).fit(matrix)


def _key_order(key: str) -> tuple[str, int]:
    """Library keys in number order: "F9" before "F10"."""
    match = re.fullmatch(r"([A-Za-z]*)(\d+)", key)
    return (match.group(1), int(match.group(2))) if match else (key, 0)


def _dominant_dimension(counts: Mapping[str, int]) -> str:
    return min(counts, key=lambda d: (-counts[d], _DIMENSION_ORDER.get(d, len(_DIMENSION_ORDER))))


def _result_store(
    run: SynthesisRun, inputs: _Inputs, result: Any, opinions: Any | None
) -> SynthesisRun:
    """Write the findings, their citations and the opinion map, and close the run."""
    themes = {t.id: t for t in result.themes}
    canonical_of: dict[str, str] = {}
    for group in result.duplicates:
        for duplicate in group.duplicate_ids:
            canonical_of[duplicate] = group.canonical_id
    duplicates_of: dict[str, list[str]] = defaultdict(list)
    for duplicate, canonical in canonical_of.items():
        duplicates_of[canonical].append(duplicate)

    planned = []
    for f in result.findings:
        cited = [int(i) for i in f.member_ids]
        cited += [int(d) for m in f.member_ids for d in duplicates_of.get(m, [])]
        counts = Counter(inputs.dimensions[c] for c in cited)
        if len(cited) != f.size:
            raise SynthesisRunError(
                f"finding {f.id} has size {f.size} but cites {len(cited)} contributions",
                code="result_inconsistent",
            )
        planned.append((f, dict(counts), _dominant_dimension(counts)))
    # The diagnosis reads by dimension, then by weight: the most carried finding first.
    planned.sort(key=lambda p: (_DIMENSION_ORDER[p[2]], -p[0].size, _key_order(p[0].id)))

    findings = Finding.objects.bulk_create(
        Finding(
            run=run,
            key=f.id,
            theme_key=f.theme,
            label_ar=f.label_ar[:500],
            label_fr=f.label_fr[:500],
            theme_label_ar=themes[f.theme].label_ar[:500] if f.theme in themes else "",
            theme_label_fr=themes[f.theme].label_fr[:500] if f.theme in themes else "",
            key_phrases_ar=list(f.key_phrases_ar),
            key_phrases_fr=list(f.key_phrases_fr),
            size=f.size,
            duplicate_count=f.duplicate_count,
            dimension=dimension,
            dimension_counts=counts,
            profiles={
                field: [_profile_group(g) for g in groups] for field, groups in f.profiles.items()
            },
            position=position,
        )
        for position, (f, counts, dimension) in enumerate(planned, start=1)
    )
    citations: list[FindingContribution] = []
    for finding, (f, _counts, _dimension) in zip(findings, planned, strict=True):
        rank = {cid: k for k, cid in enumerate(f.representative_ids, start=1)}
        for member in f.member_ids:
            citations.append(
                FindingContribution(
                    run=run,
                    finding=finding,
                    contribution_id=int(member),
                    is_representative=member in rank,
                    rank=rank.get(member),
                )
            )
            citations.extend(
                FindingContribution(
                    run=run,
                    finding=finding,
                    contribution_id=int(duplicate),
                    duplicate_of_id=int(member),
                )
                for duplicate in duplicates_of.get(member, [])
            )
    FindingContribution.objects.bulk_create(citations, batch_size=1000)

    warnings = list(result.warnings)
    votes_count = len(inputs.votes)
    if opinions is None:
        if inputs.votes:
            warnings.append(
                "too few votes for an opinion map: at least "
                f"{OPINION_MIN_PARTICIPANTS} voters on {OPINION_MIN_STATEMENTS} statements"
            )
    else:
        _opinions_store(run, opinions)
    now = timezone.now()
    closed = SynthesisRun.objects.filter(pk=run.pk, status=SynthesisRun.Status.RUNNING).update(
        status=SynthesisRun.Status.SUCCEEDED,
        engine_version=result.engine_version,
        parameters=dict(result.parameters),
        timings=dict(result.timings),
        warnings=warnings,
        result=result.to_dict(assignments=False),
        contributions_count=len(inputs.records),
        votes_count=votes_count,
        finished_at=now,
        updated_at=now,
    )
    if not closed:
        # Taken for abandoned (and marked failed) while it ran: its findings go with it.
        raise SynthesisRunError("the run was marked failed while it was running", code="abandoned")
    return run


def _profile_group(group: Any) -> dict[str, Any]:
    return {
        "value": group.value,
        "count": group.count,
        "share": group.share,
        "overall_share": group.overall_share,
        "lift": group.lift,
        "p_value": group.p_value,
        "over_represented": group.over_represented,
    }


def _opinions_store(run: SynthesisRun, opinions: Any) -> None:
    import math

    statement_ids = [int(s) for s in opinions.statement_ids_]
    n_groups = int(opinions.n_groups_)
    if n_groups >= 2:
        groups = []
        for g in range(n_groups):
            representatives = opinions.representatives_.get(g, [])
            groups.append(
                OpinionGroup(
                    run=run,
                    key=g,
                    size=int((opinions.labels_ == g).sum()),
                    representative_statement_ids=[
                        statement_ids[r.statement] for r in representatives
                    ],
                    representatives=[
                        {
                            "id": statement_ids[r.statement],
                            "repful_for": r.repful_for,
                            "n_success": r.n_success,
                            "n_trials": r.n_trials,
                            "p_success": round(r.p_success, 4),
                            "repness": round(r.repness, 4),
                        }
                        for r in representatives
                    ],
                )
            )
        OpinionGroup.objects.bulk_create(groups)
    if n_groups < 1:
        return
    stats = opinions.statements_
    rows = []
    for j, statement in enumerate(statement_ids):
        consensus = float(stats.consensus[j])
        divisiveness = float(stats.divisiveness[j])
        if math.isnan(consensus) or math.isnan(divisiveness):
            continue
        per_group = [
            [int(stats.agree[g, j]), int(stats.disagree[g, j]), int(stats.passes[g, j])]
            for g in range(n_groups)
        ]
        rows.append(
            StatementStat(
                run=run,
                contribution_id=statement,
                consensus=consensus,
                divisiveness=divisiveness,
                agree=sum(p[0] for p in per_group),
                disagree=sum(p[1] for p in per_group),
                passes=sum(p[2] for p in per_group),
                per_group=per_group,
            )
        )
    StatementStat.objects.bulk_create(rows, batch_size=1000)


# -- curate -------------------------------------------------------------------------------------

#: A title the analyst sets: as long as the model field allows.
TITLE_MAX_LENGTH = 300
#: Quotes a finding shows at most (the library picks up to three).
QUOTES_MAX = 3
#: A quote worth showing says something: the library's threshold on the analysed text.
_QUOTE_MIN_LENGTH = 12


def _curation_check_allowed(user: Any, consultation: Consultation) -> None:
    if not rules.can_curate_findings(user, consultation):
        raise DomainError(
            _("You are not allowed to curate the findings of this consultation."),
            code="curation_not_allowed",
        )


def _run_lock_current(run_id: int) -> SynthesisRun:
    """Lock the run (curation of one run is serialised) and check that the diagnosis shows it.

    Only the consultation's last successful run is curated: curating an older one would change
    nothing anybody reads.
    """
    run = SynthesisRun.objects.select_for_update().select_related("consultation").get(pk=run_id)
    current = (
        SynthesisRun.objects.filter(
            consultation_id=run.consultation_id, status=SynthesisRun.Status.SUCCEEDED
        )
        .order_by("-finished_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if current != run.pk:
        raise DomainError(
            _(
                "This finding belongs to an earlier synthesis run; only the findings of the "
                "latest run, which the diagnosis shows, can be curated."
            ),
            code="finding_run_superseded",
        )
    return run


def _finding_lock(finding_id: int, run: SynthesisRun, *, field: str | None = None) -> Finding:
    finding = Finding.objects.select_for_update().filter(pk=finding_id, run=run).first()
    if finding is None:
        raise DomainError(
            _("This finding does not belong to the synthesis run being curated."),
            code="finding_other_run",
            field=field,
        )
    return finding


def _finding_check_not_merged(finding: Finding, *, field: str | None = None) -> None:
    if finding.status == Finding.Status.MERGED:
        raise DomainError(
            _("This finding has been merged into another one: curate that one instead."),
            code="finding_merged",
            field=field,
        )


def _title_clean(title: str, *, field: str) -> str:
    if contains_bidi_controls(title):
        raise DomainError(
            _(
                "The title contains invisible direction-control characters (such as U+202E) "
                "that can disguise what it says; remove them and send it again."
            ),
            code="title_bidi_controls",
            field=field,
        )
    cleaned = " ".join(clean_user_text(title).split())
    if len(cleaned) > TITLE_MAX_LENGTH:
        raise DomainError(
            ngettext(
                "The title is too long: %(length)s character, at most %(max)s.",
                "The title is too long: %(length)s characters, at most %(max)s.",
                len(cleaned),
            )
            % {"length": len(cleaned), "max": TITLE_MAX_LENGTH},
            code="title_too_long",
            field=field,
        )
    return cleaned


def _event_record(
    *, run: SynthesisRun, finding: Finding, action: str, user: Any, details: dict[str, Any]
) -> CurationEvent:
    return CurationEvent.objects.create(
        run=run,
        finding=finding,
        action=action,
        actor=user if getattr(user, "is_authenticated", False) else None,
        details=details,
    )


@transaction.atomic
def finding_rename(
    *, finding: Finding, user: Any, title_ar: str | None = None, title_fr: str | None = None
) -> Finding:
    """Set the analyst's Arabic and/or French title of a finding (``None`` leaves a title as it
    is, ``""`` clears it and the computed label shows again). Renaming to the same titles
    changes nothing and records nothing."""
    _curation_check_allowed(user, finding.run.consultation)
    new_ar = None if title_ar is None else _title_clean(title_ar, field="title_ar")
    new_fr = None if title_fr is None else _title_clean(title_fr, field="title_fr")
    run = _run_lock_current(finding.run_id)
    locked = _finding_lock(finding.pk, run)
    _finding_check_not_merged(locked)
    before = {"ar": locked.title_override_ar, "fr": locked.title_override_fr}
    if new_ar is not None:
        locked.title_override_ar = new_ar
    if new_fr is not None:
        locked.title_override_fr = new_fr
    after = {"ar": locked.title_override_ar, "fr": locked.title_override_fr}
    if after != before:
        locked.save(update_fields=["title_override_ar", "title_override_fr"])
        _event_record(
            run=run,
            finding=locked,
            action=CurationEvent.Action.RENAME,
            user=user,
            details={"before": before, "after": after},
        )
    return locked


_STATUS_ACTIONS = {
    Finding.Status.ACCEPTED: CurationEvent.Action.ACCEPT,
    Finding.Status.REJECTED: CurationEvent.Action.REJECT,
    Finding.Status.PROPOSED: CurationEvent.Action.RESET,
}


@transaction.atomic
def finding_status_set(*, finding: Finding, user: Any, status: str) -> Finding:
    """Accept or reject a finding, or set it back to proposed. A finding already in that status
    is returned unchanged (a form sent twice records one event)."""
    _curation_check_allowed(user, finding.run.consultation)
    if status not in _STATUS_ACTIONS:
        raise DomainError(
            _("Choose accept, reject or back to proposed."), code="status_invalid", field="status"
        )
    run = _run_lock_current(finding.run_id)
    locked = _finding_lock(finding.pk, run)
    _finding_check_not_merged(locked)
    if locked.status != status:
        before = locked.status
        locked.status = status
        locked.save(update_fields=["status"])
        _event_record(
            run=run,
            finding=locked,
            action=_STATUS_ACTIONS[Finding.Status(status)],
            user=user,
            details={"before": before, "after": status},
        )
    return locked


def _profiles_combine(findings: Sequence[Finding]) -> dict[str, list[dict[str, Any]]]:
    """The breakdowns of the union of findings: counts add up (the findings partition the
    run's contributions); shares and lifts follow. Whether a value is over-represented needs
    the library's test over the whole run: a merged finding gets it again at the next run."""
    combined: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for finding in findings:
        for name, groups in (finding.profiles or {}).items():
            for group in groups:
                cell = combined[name].setdefault(
                    str(group["value"]),
                    {"count": 0, "overall_share": float(group["overall_share"])},
                )
                cell["count"] += int(group["count"])
    out: dict[str, list[dict[str, Any]]] = {}
    for name, cells in combined.items():
        total = sum(c["count"] for c in cells.values()) or 1
        rows = []
        for value, cell in sorted(cells.items(), key=lambda kv: (-kv[1]["count"], kv[0])):
            share = cell["count"] / total
            overall = cell["overall_share"]
            rows.append(
                {
                    "value": value,
                    "count": cell["count"],
                    "share": round(share, 4),
                    "overall_share": overall,
                    "lift": round(share / overall, 3) if overall else None,
                    "p_value": None,
                    "over_represented": False,
                }
            )
        out[name] = rows
    return out


def _quotes_choose(finding: Finding, *, preferred: Sequence[int] = ()) -> list[int]:
    """Re-rank the quotes of ``finding`` among its own members; return the quoted ids.

    Quotes are real members' texts, never written ones: first those in ``preferred`` (the
    quotes the finding had, in their order), then members in a language not quoted yet, then
    the others, oldest first; texts too short to say something come last.
    """
    members = list(
        FindingContribution.objects.filter(finding=finding, duplicate_of__isnull=True)
        .select_related("contribution")
        .order_by("contribution_id")
    )
    by_id = {m.contribution_id: m for m in members}
    chosen: list[int] = [c for c in preferred if c in by_id][:QUOTES_MAX]
    languages = {by_id[c].contribution.language for c in chosen}
    rest = sorted(
        (m for m in members if m.contribution_id not in chosen),
        key=lambda m: (
            len(m.contribution.text.strip()) < _QUOTE_MIN_LENGTH,
            m.contribution.language in languages,
            m.contribution_id,
        ),
    )
    for member in rest:
        if len(chosen) >= QUOTES_MAX:
            break
        chosen.append(member.contribution_id)
        languages.add(member.contribution.language)
    # Clear first: (finding, rank) is unique, and ranks move.
    FindingContribution.objects.filter(finding=finding).update(is_representative=False, rank=None)
    for rank, contribution_id in enumerate(chosen, start=1):
        FindingContribution.objects.filter(finding=finding, contribution_id=contribution_id).update(
            is_representative=True, rank=rank
        )
    return chosen


def _counts_recount(finding: Finding) -> None:
    """Size, duplicates and dimensions of a finding from the contributions it now cites."""
    citations = FindingContribution.objects.filter(finding=finding)
    counts = Counter(citations.values_list("contribution__dimension", flat=True))
    finding.size = sum(counts.values())
    finding.duplicate_count = citations.filter(duplicate_of__isnull=False).count()
    finding.dimension_counts = dict(counts)
    finding.dimension = _dominant_dimension(counts)


@transaction.atomic
def findings_merge(*, target: Finding, sources: Sequence[Finding], user: Any) -> Finding:
    """Merge ``sources`` into ``target``: the target cites every contribution they cited.

    Citations are moved, not copied (a contribution is cited once per run), the target's
    counts follow, and each source is marked merged into the target and leaves the lists. The
    run is locked first, so that two analysts merging the same findings cannot both succeed.
    The target keeps its quotes and takes the sources' quotes after them, up to
    ``QUOTES_MAX``.
    """
    consultation = target.run.consultation
    _curation_check_allowed(user, consultation)
    source_ids = sorted({s.pk for s in sources})
    if not source_ids:
        raise DomainError(
            _("Choose at least one finding to merge."), code="merge_nothing", field="sources"
        )
    if target.pk in source_ids:
        raise DomainError(
            _("A finding cannot be merged into itself."),
            code="merge_into_itself",
            field="target",
        )
    if any(s.run_id != target.run_id for s in sources):
        raise DomainError(
            _("Only findings of the same synthesis run can be merged."),
            code="merge_across_runs",
            field="target",
        )
    run = _run_lock_current(target.run_id)
    locked_target = _finding_lock(target.pk, run, field="target")
    locked_sources = list(
        Finding.objects.select_for_update().filter(pk__in=source_ids, run=run).order_by("position")
    )
    if len(locked_sources) != len(source_ids):
        raise DomainError(
            _("Only findings of the same synthesis run can be merged."),
            code="merge_across_runs",
            field="target",
        )
    if not locked_target.is_visible:
        raise DomainError(
            _(
                "The finding to merge into must be shown in the diagnosis: "
                "neither merged nor rejected."
            ),
            code="merge_target_hidden",
            field="target",
        )
    for source in locked_sources:
        _finding_check_not_merged(source, field="sources")

    quotes = list(
        FindingContribution.objects.filter(
            finding__in=[locked_target, *locked_sources], is_representative=True
        )
        .order_by("rank")
        .values_list("finding_id", "contribution_id")
    )
    order = {f.pk: k for k, f in enumerate([locked_target, *locked_sources])}
    preferred = [c for _f, c in sorted(quotes, key=lambda q: order[q[0]])]
    moved = FindingContribution.objects.filter(finding__in=locked_sources).update(
        finding=locked_target, is_representative=False, rank=None
    )
    _quotes_choose(locked_target, preferred=preferred)
    locked_target.profiles = _profiles_combine([locked_target, *locked_sources])
    _counts_recount(locked_target)
    locked_target.save(
        update_fields=["size", "duplicate_count", "dimension", "dimension_counts", "profiles"]
    )
    for source in locked_sources:
        source.status = Finding.Status.MERGED
        source.merged_into = locked_target
        source.save(update_fields=["status", "merged_into"])
    # Findings merged earlier into a source now name the finding that cites their
    # contributions.
    Finding.objects.filter(merged_into__in=locked_sources).update(merged_into=locked_target)
    _event_record(
        run=run,
        finding=locked_target,
        action=CurationEvent.Action.MERGE,
        user=user,
        details={
            "merged": [s.key for s in locked_sources],
            "merged_ids": [s.pk for s in locked_sources],
            "contributions_moved": moved,
        },
    )
    return locked_target


def _split_key(run: SynthesisRun, base: str) -> str:
    taken = set(Finding.objects.filter(run=run, key__startswith=base).values_list("key", flat=True))
    n = 1
    while f"{base}-{n}"[:32] in taken:
        n += 1
    return f"{base}-{n}"[:32]


@transaction.atomic
def finding_split(
    *,
    finding: Finding,
    contribution_ids: Sequence[int],
    user: Any,
    title_ar: str = "",
    title_fr: str = "",
) -> Finding:
    """Move the chosen members of ``finding`` (with the contributions that repeat them) into a
    new finding of the same run, and return it.

    The new finding has no computed label, so it needs a title in Arabic or French; it takes a
    key derived from the source's (``F3-1``) and the run's next position. Quotes of both are
    chosen again among their own members; their breakdowns wait for the next run.
    """
    _curation_check_allowed(user, finding.run.consultation)
    new_ar = _title_clean(title_ar, field="title_ar")
    new_fr = _title_clean(title_fr, field="title_fr")
    chosen = sorted({int(c) for c in contribution_ids})
    if not chosen:
        raise DomainError(
            _("Choose the contributions that form the new finding."),
            code="split_nothing_chosen",
            field="contributions",
        )
    if not new_ar and not new_fr:
        raise DomainError(
            _("Give the new finding a title, in Arabic or in French."),
            code="split_title_missing",
            field="title_ar",
        )
    run = _run_lock_current(finding.run_id)
    source = _finding_lock(finding.pk, run)
    _finding_check_not_merged(source)
    citations = list(FindingContribution.objects.filter(finding=source))
    members = {c.contribution_id for c in citations if c.duplicate_of_id is None}
    strangers = [c for c in chosen if c not in members]
    if strangers:
        raise DomainError(
            ngettext(
                "Contribution #%(numbers)s is not one of this finding's members.",
                "Contributions #%(numbers)s are not among this finding's members.",
                len(strangers),
            )
            % {"numbers": ", #".join(str(c) for c in strangers)},
            code="split_not_members",
            field="contributions",
        )
    if len(chosen) == len(members):
        raise DomainError(
            _("Leave at least one contribution in this finding: a split cannot take them all."),
            code="split_all_members",
            field="contributions",
        )
    quoted = [
        c.contribution_id
        for c in sorted(citations, key=lambda c: c.rank or 0)
        if c.is_representative
    ]
    position = (
        Finding.objects.filter(run=run).order_by("-position").values_list("position", flat=True)
    ).first() or 0
    new = Finding.objects.create(
        run=run,
        key=_split_key(run, source.key),
        theme_key=source.theme_key,
        theme_label_ar=source.theme_label_ar,
        theme_label_fr=source.theme_label_fr,
        title_override_ar=new_ar,
        title_override_fr=new_fr,
        size=len(chosen),  # set again below
        dimension=source.dimension,
        position=position + 1,
    )
    moving = [
        c.pk
        for c in citations
        if c.contribution_id in chosen
        or (c.duplicate_of_id is not None and c.duplicate_of_id in chosen)
    ]
    FindingContribution.objects.filter(pk__in=moving).update(
        finding=new, is_representative=False, rank=None
    )
    for part in (new, source):
        _quotes_choose(part, preferred=quoted)
        _counts_recount(part)
        part.profiles = {}
        part.save(
            update_fields=["size", "duplicate_count", "dimension", "dimension_counts", "profiles"]
        )
    _event_record(
        run=run,
        finding=source,
        action=CurationEvent.Action.SPLIT,
        user=user,
        details={
            "new_finding": new.key,
            "new_finding_id": new.pk,
            "contributions": chosen,
            "contributions_moved": len(moving),
        },
    )
    return new


# -- write and publish the diagnosis ------------------------------------------------------------

#: Longest statement of a diagnosis entry, per language.
STATEMENT_MAX_LENGTH = 1000
_ENTRY_DIMENSION_ORDER = {value: index for index, value in enumerate(DiagnosisDimension.values)}


def _writing_check_allowed(user: Any, consultation: Consultation) -> None:
    if not rules.can_write_diagnosis(user, consultation):
        raise DomainError(
            _("You are not allowed to write the diagnosis of this consultation."),
            code="diagnosis_not_allowed",
        )


def _diagnosis_lock(consultation: Consultation) -> Diagnosis:
    """The consultation's diagnosis, created on first write and locked: writes of one
    diagnosis are serialised."""
    Diagnosis.objects.get_or_create(consultation=consultation)
    return Diagnosis.objects.select_for_update().get(consultation=consultation)


def _current_run_lock(consultation: Consultation) -> int | None:
    """Lock the run the diagnosis page shows (curation locks it too, so that no finding is
    merged or rejected while an entry names it) and return its id, or ``None``."""
    current: int | None = (
        SynthesisRun.objects.filter(consultation=consultation, status=SynthesisRun.Status.SUCCEEDED)
        .order_by("-finished_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if current is not None:
        list(SynthesisRun.objects.select_for_update().filter(pk=current).values_list("pk"))
    return current


def _numbers(ids: Sequence[int]) -> str:
    return ", #".join(str(i) for i in ids)


def _entry_fields_clean(
    *, dimension: str, statement_ar: str, statement_fr: str
) -> tuple[str, str, str]:
    if dimension not in DiagnosisDimension.values:
        raise DomainError(
            _("Choose potential, specificity, challenge or proposal."),
            code="entry_dimension_invalid",
            field="dimension",
        )
    ar = user_text_clean(statement_ar, field="statement_ar", max_length=STATEMENT_MAX_LENGTH)
    fr = user_text_clean(statement_fr, field="statement_fr", max_length=STATEMENT_MAX_LENGTH)
    if not ar and not fr:
        raise DomainError(
            _("Write the statement in Arabic or in French."),
            code="entry_statement_missing",
            field="statement_ar",
        )
    return dimension, ar, fr


def _findings_check(findings: Sequence[Finding], current_run_id: int | None) -> None:
    """Findings an entry may rest on: of the latest run, neither merged nor rejected."""
    old = [f.key for f in findings if f.run_id != current_run_id]
    if old:
        raise DomainError(
            ngettext(
                "Finding %(keys)s belongs to an earlier synthesis run; choose among the "
                "findings of the latest run.",
                "Findings %(keys)s belong to an earlier synthesis run; choose among the "
                "findings of the latest run.",
                len(old),
            )
            % {"keys": ", ".join(old)},
            code="entry_finding_superseded",
            field="findings",
        )
    hidden = [f.key for f in findings if not f.is_visible]
    if hidden:
        raise DomainError(
            ngettext(
                "Finding %(keys)s was merged or rejected: the diagnosis cannot rest on it.",
                "Findings %(keys)s were merged or rejected: the diagnosis cannot rest on them.",
                len(hidden),
            )
            % {"keys": ", ".join(hidden)},
            code="entry_finding_hidden",
            field="findings",
        )


def _contributions_check(contributions: Sequence[Contribution]) -> None:
    unpublished = [c.pk for c in contributions if c.moderation_status != ModerationStatus.PUBLISHED]
    if unpublished:
        raise DomainError(
            ngettext(
                "Contribution #%(numbers)s is not published: only published contributions "
                "can be cited.",
                "Contributions #%(numbers)s are not published: only published contributions "
                "can be cited.",
                len(unpublished),
            )
            % {"numbers": _numbers(unpublished)},
            code="entry_contribution_not_published",
            field="contributions",
        )


def _sources_get(
    *,
    consultation: Consultation,
    finding_ids: Sequence[int],
    contribution_ids: Sequence[int],
    current_run_id: int | None,
) -> tuple[list[Finding], list[Contribution]]:
    """The findings and contributions an entry names, checked: at least one, all of this
    consultation, findings of the latest run and shown, contributions published."""
    wanted_findings = sorted({int(i) for i in finding_ids})
    wanted_contributions = sorted({int(i) for i in contribution_ids})
    if not wanted_findings and not wanted_contributions:
        raise DomainError(
            _(
                "An entry of the diagnosis must name at least one source: a finding or a "
                "contribution."
            ),
            code="entry_no_source",
            field="findings",
        )
    findings = list(
        Finding.objects.filter(pk__in=wanted_findings, run__consultation=consultation).order_by(
            "position"
        )
    )
    strangers = sorted(set(wanted_findings) - {f.pk for f in findings})
    if strangers:
        raise DomainError(
            ngettext(
                "Finding #%(numbers)s is not a finding of this consultation.",
                "Findings #%(numbers)s are not findings of this consultation.",
                len(strangers),
            )
            % {"numbers": _numbers(strangers)},
            code="entry_finding_other_consultation",
            field="findings",
        )
    _findings_check(findings, current_run_id)
    contributions = list(
        Contribution.objects.filter(
            pk__in=wanted_contributions, consultation=consultation
        ).order_by("pk")
    )
    strangers = sorted(set(wanted_contributions) - {c.pk for c in contributions})
    if strangers:
        raise DomainError(
            ngettext(
                "Contribution #%(numbers)s is not a contribution of this consultation.",
                "Contributions #%(numbers)s are not contributions of this consultation.",
                len(strangers),
            )
            % {"numbers": _numbers(strangers)},
            code="entry_contribution_other_consultation",
            field="contributions",
        )
    _contributions_check(contributions)
    return findings, contributions


def _next_position(diagnosis: Diagnosis, dimension: str) -> int:
    last = (
        diagnosis.entries.filter(dimension=dimension)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    return (last or 0) + 1


def _diagnosis_mark_changed(diagnosis: Diagnosis) -> None:
    """The entries now differ from what was published: a draft until the next publication."""
    diagnosis.status = Diagnosis.Status.DRAFT
    diagnosis.save(update_fields=["status", "updated_at"])


def _entry_lock(entry: DiagnosisEntry, diagnosis: Diagnosis) -> DiagnosisEntry:
    locked = DiagnosisEntry.objects.select_for_update().filter(pk=entry.pk, diagnosis=diagnosis)
    found = locked.first()
    if found is None:
        raise DomainError(
            _("This entry of the diagnosis no longer exists."), code="entry_not_found"
        )
    return found


@transaction.atomic
def diagnosis_entry_create(
    *,
    consultation: Consultation,
    user: Any,
    dimension: str,
    statement_ar: str = "",
    statement_fr: str = "",
    finding_ids: Sequence[int] = (),
    contribution_ids: Sequence[int] = (),
) -> DiagnosisEntry:
    """Add an entry at the end of its dimension. It must name at least one source."""
    _writing_check_allowed(user, consultation)
    dimension, ar, fr = _entry_fields_clean(
        dimension=dimension, statement_ar=statement_ar, statement_fr=statement_fr
    )
    diagnosis = _diagnosis_lock(consultation)
    findings, contributions = _sources_get(
        consultation=consultation,
        finding_ids=finding_ids,
        contribution_ids=contribution_ids,
        current_run_id=_current_run_lock(consultation),
    )
    entry = DiagnosisEntry.objects.create(
        diagnosis=diagnosis,
        dimension=dimension,
        position=_next_position(diagnosis, dimension),
        statement_ar=ar,
        statement_fr=fr,
    )
    entry.findings.set(findings)
    entry.contributions.set(contributions)
    _diagnosis_mark_changed(diagnosis)
    return entry


@transaction.atomic
def diagnosis_entry_update(
    *,
    entry: DiagnosisEntry,
    user: Any,
    dimension: str,
    statement_ar: str = "",
    statement_fr: str = "",
    finding_ids: Sequence[int] = (),
    contribution_ids: Sequence[int] = (),
) -> DiagnosisEntry:
    """Change an entry's dimension (it goes to the end of the new one), statements and
    sources; the same checks as ``diagnosis_entry_create``."""
    consultation = entry.diagnosis.consultation
    _writing_check_allowed(user, consultation)
    dimension, ar, fr = _entry_fields_clean(
        dimension=dimension, statement_ar=statement_ar, statement_fr=statement_fr
    )
    diagnosis = _diagnosis_lock(consultation)
    locked = _entry_lock(entry, diagnosis)
    findings, contributions = _sources_get(
        consultation=consultation,
        finding_ids=finding_ids,
        contribution_ids=contribution_ids,
        current_run_id=_current_run_lock(consultation),
    )
    if locked.dimension != dimension:
        locked.position = _next_position(diagnosis, dimension)
    locked.dimension = dimension
    locked.statement_ar = ar
    locked.statement_fr = fr
    locked.save()
    locked.findings.set(findings)
    locked.contributions.set(contributions)
    _diagnosis_mark_changed(diagnosis)
    return locked


@transaction.atomic
def diagnosis_entry_move(*, entry: DiagnosisEntry, user: Any, direction: str) -> DiagnosisEntry:
    """Move an entry one place up or down within its dimension; at either end it stays."""
    consultation = entry.diagnosis.consultation
    _writing_check_allowed(user, consultation)
    if direction not in ("up", "down"):
        raise DomainError(
            _("Choose to move the entry up or down."),
            code="entry_move_invalid",
            field="direction",
        )
    diagnosis = _diagnosis_lock(consultation)
    locked = _entry_lock(entry, diagnosis)
    siblings = list(diagnosis.entries.filter(dimension=locked.dimension).order_by("position", "pk"))
    index = next(k for k, e in enumerate(siblings) if e.pk == locked.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(siblings):
        return locked
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings, start=1):
        sibling.position = position
    DiagnosisEntry.objects.bulk_update(siblings, ["position"])
    _diagnosis_mark_changed(diagnosis)
    return next(e for e in siblings if e.pk == locked.pk)


@transaction.atomic
def diagnosis_entry_delete(*, entry: DiagnosisEntry, user: Any) -> None:
    """Delete an entry; what was published keeps it until the next publication."""
    consultation = entry.diagnosis.consultation
    _writing_check_allowed(user, consultation)
    diagnosis = _diagnosis_lock(consultation)
    _entry_lock(entry, diagnosis).delete()
    _diagnosis_mark_changed(diagnosis)


@transaction.atomic
def diagnosis_entries_propose(*, consultation: Consultation, user: Any) -> list[DiagnosisEntry]:
    """One draft entry per accepted finding of the latest run that no entry names yet, its
    statement the finding's own title or label (nothing written for it), in the finding's
    dimension. Findings of a dimension the diagnosis does not have (questions, coordination)
    and findings without a label are left to the analyst. Returns the new entries."""
    _writing_check_allowed(user, consultation)
    diagnosis = _diagnosis_lock(consultation)
    current = _current_run_lock(consultation)
    if current is None:
        raise DomainError(
            _(
                "No synthesis has run for this consultation yet: there are no findings to "
                "write from."
            ),
            code="diagnosis_no_run",
        )
    used = DiagnosisEntry.findings.through.objects.filter(
        diagnosisentry__diagnosis=diagnosis
    ).values_list("finding_id", flat=True)
    accepted = (
        Finding.objects.filter(run_id=current, status=Finding.Status.ACCEPTED)
        .exclude(pk__in=used)
        .order_by("position")
    )
    created: list[DiagnosisEntry] = []
    positions: dict[str, int] = {}
    for finding in accepted:
        if finding.dimension not in DiagnosisDimension.values:
            continue
        ar = finding.title_override_ar or finding.label_ar
        fr = finding.title_override_fr or finding.label_fr
        if not ar and not fr:
            continue
        if finding.dimension not in positions:
            positions[finding.dimension] = _next_position(diagnosis, finding.dimension)
        entry = DiagnosisEntry.objects.create(
            diagnosis=diagnosis,
            dimension=finding.dimension,
            position=positions[finding.dimension],
            statement_ar=ar,
            statement_fr=fr,
        )
        positions[finding.dimension] += 1
        entry.findings.add(finding)
        created.append(entry)
    if created:
        _diagnosis_mark_changed(diagnosis)
    return created


def _entry_label(entry: DiagnosisEntry) -> str:
    return Truncator(entry.statement).chars(60)


def _contribution_snapshot(contribution: Contribution) -> dict[str, Any]:
    return {
        "id": contribution.pk,
        "workshop": contribution.workshop_id,
        "language": contribution.language,
        "text": contribution.text,
        "translation_fr": contribution.translation_fr,
    }


@transaction.atomic
def diagnosis_publish(*, consultation: Consultation, user: Any) -> DiagnosisPublication:
    """Publish the diagnosis as it is now: a new version whose snapshot copies every entry
    with its sources' keys, labels and quotes, word for word. Readers read that snapshot, so
    later curation, runs or edits never change what was published.

    Refused, with nothing stored, when there is no entry, or when an entry names no source or
    rests on a source that can no longer be cited (a finding merged, rejected or of an
    earlier run; a contribution no longer published).
    """
    _writing_check_allowed(user, consultation)
    diagnosis = _diagnosis_lock(consultation)
    current = _current_run_lock(consultation)
    entries = sorted(
        diagnosis.entries.prefetch_related("findings", "contributions"),
        key=lambda e: (_ENTRY_DIMENSION_ORDER[e.dimension], e.position, e.pk),
    )
    if not entries:
        raise DomainError(
            _("Write at least one entry before publishing the diagnosis."),
            code="diagnosis_empty",
        )
    for entry in entries:
        findings = list(entry.findings.all())
        contributions = list(entry.contributions.all())
        if not findings and not contributions:
            raise DomainError(
                _(
                    "The entry “%(statement)s” names no source: give it a finding or a "
                    "contribution, or delete it."
                )
                % {"statement": _entry_label(entry)},
                code="entry_no_source",
            )
        try:
            _findings_check(findings, current)
            _contributions_check(contributions)
        except DomainError as error:
            raise DomainError(
                _("The entry “%(statement)s” cannot be published: %(reason)s Edit it first.")
                % {"statement": _entry_label(entry), "reason": error.message},
                code=error.code,
            ) from error
    finding_ids = {f.pk for e in entries for f in e.findings.all()}
    quotes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    # A run's quotes stay as they were chosen; one moderation has rejected since is not
    # copied again (readers would not see it, and writers could not clear its flag).
    for citation in (
        FindingContribution.objects.filter(
            finding_id__in=finding_ids,
            is_representative=True,
            contribution__moderation_status=ModerationStatus.PUBLISHED,
        )
        .select_related("contribution")
        .order_by("finding_id", "rank")
    ):
        quotes[citation.finding_id].append(_contribution_snapshot(citation.contribution))
    snapshot = {
        "entries": [
            {
                "dimension": entry.dimension,
                "position": position,
                "statement_ar": entry.statement_ar,
                "statement_fr": entry.statement_fr,
                "findings": [
                    {
                        "id": f.pk,
                        "key": f.key,
                        "run": f.run_id,
                        "label_ar": f.title_override_ar or f.label_ar,
                        "label_fr": f.title_override_fr or f.label_fr,
                        "size": f.size,
                        "quotes": quotes[f.pk],
                    }
                    for f in sorted(entry.findings.all(), key=lambda f: f.position)
                ],
                "contributions": [
                    _contribution_snapshot(c)
                    for c in sorted(entry.contributions.all(), key=lambda c: c.pk)
                ],
            }
            for position, entry in enumerate(entries, start=1)
        ]
    }
    now = timezone.now()
    publisher = user if getattr(user, "is_authenticated", False) else None
    diagnosis.version += 1
    diagnosis.status = Diagnosis.Status.PUBLISHED
    diagnosis.published_at = now
    diagnosis.published_by = publisher
    diagnosis.save(
        update_fields=["version", "status", "published_at", "published_by", "updated_at"]
    )
    return DiagnosisPublication.objects.create(
        diagnosis=diagnosis,
        version=diagnosis.version,
        published_at=now,
        published_by=publisher,
        snapshot=snapshot,
    )
