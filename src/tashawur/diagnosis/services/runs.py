"""Synthesis runs: request one, execute it in the background (its task is defined here), keep
its lease while it runs, and recover the runs whose worker or task was lost.

The only module of the project that calls the synthesis library (DESIGN.md §3). A run reads a
consultation's published contributions and votes, calls ``tashawur.synthesis`` and stores the
findings (each citing its contributions) and the opinion groups in one transaction
(``storing``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, Q, Value
from django.db.models.functions import Coalesce, Greatest, Now
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import TaskResultStatus, task
from django_tasks.exceptions import TaskResultDoesNotExist

from tashawur.consultations.models import Consultation
from tashawur.core.errors import DomainError
from tashawur.diagnosis import rules
from tashawur.diagnosis.generations import diagnosis_run_changed
from tashawur.diagnosis.models import (
    SynthesisRun,
)
from tashawur.diagnosis.services import embeddings, executors, languages, storing
from tashawur.diagnosis.services.storing import (
    OPINION_MIN_PARTICIPANTS,
    OPINION_MIN_STATEMENTS,
    SynthesisRunError,
)

if TYPE_CHECKING:
    from tashawur.synthesis import EmbeddingCache, SynthesisResult
    from tashawur.synthesis.opinions import OpinionMap

logger = logging.getLogger(__name__)

#: Embedding backends a run may use; ``TASHAWUR_SYNTHESIS_EMBEDDER`` picks one at call time.
EMBEDDERS = ("use", "lexical")
DEFAULT_EMBEDDER = "use"
#: Seed of every random choice of a run: two runs over the same input give the same result.
RANDOM_STATE = 0
#: How long a running run may go without a sign of life from its worker when the setting
#: ``TASHAWUR_RUN_LEASE_SECONDS`` is absent.
DEFAULT_RUN_LEASE_SECONDS = 30
#: The worker renews a run's lease this many times per lease, so that a renewal kept waiting by
#: a busy database (SQLite waits up to 20 s for its write lock) does not let the lease lapse.
HEARTBEATS_PER_LEASE = 6
#: How long a refresh queued on a workshop's close waits for other closes to join it, when the
#: setting ``TASHAWUR_RUN_DEBOUNCE_SECONDS`` is absent.
DEFAULT_RUN_DEBOUNCE_SECONDS = 120
_PENDING = (SynthesisRun.Status.QUEUED, SynthesisRun.Status.RUNNING)


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
    return _synthesis_run_queue(consultation=consultation, user=user)


def synthesis_run_refresh(*, consultation_id: int) -> SynthesisRun | None:
    """Queue a debounced refresh of the consultation's synthesis (a workshop closed); return the
    pending run, or ``None`` when the consultation has no synthesis yet (its first run is an
    analyst's decision).

    Debounced: the task is deferred by ``synthesis_run_debounce`` (on a backend that can defer
    tasks), and every refresh asked meanwhile joins the queued run, which reads the contributions
    when it starts. So three tables closed within the delay give one run. A run already queued or
    running absorbs the refresh too (one pending run per consultation). The run is incremental:
    it starts from the last result and embeds only the new or edited texts (``embeddings``).
    """
    if not SynthesisRun.objects.filter(
        consultation_id=consultation_id, status=SynthesisRun.Status.SUCCEEDED
    ).exists():
        return None
    consultation = Consultation.objects.get(pk=consultation_id)
    return _synthesis_run_queue(
        consultation=consultation, user=None, delay=synthesis_run_debounce()
    )


def synthesis_run_debounce() -> dt.timedelta:
    """How long a refresh queued on a workshop's close waits for other closes to join it: the
    ``TASHAWUR_RUN_DEBOUNCE_SECONDS`` setting (0 for none), read at call time."""
    seconds = getattr(settings, "TASHAWUR_RUN_DEBOUNCE_SECONDS", None)
    if seconds is None:
        seconds = DEFAULT_RUN_DEBOUNCE_SECONDS
    return dt.timedelta(seconds=max(float(seconds), 0.0))


def _synthesis_run_queue(
    *, consultation: Consultation, user: Any, delay: dt.timedelta | None = None
) -> SynthesisRun:
    with transaction.atomic():
        # NO KEY: a run storing its findings holds a key-share lock on its row (PostgreSQL).
        pending = (
            SynthesisRun.objects.select_for_update(no_key=True)
            .filter(consultation=consultation, status__in=_PENDING)
            .first()
        )
        if pending is not None and _pending_recover(pending) != "failed":
            if (
                delay is None
                and pending.status == SynthesisRun.Status.QUEUED
                and pending.created_by_id is None
            ):
                # An analyst asks while a refresh waits out its debounce: start it now (the
                # deferred task then finds the run claimed and does nothing).
                run_id = pending.pk
                transaction.on_commit(lambda: _synthesis_run_enqueue(run_id), robust=True)
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
        transaction.on_commit(lambda: _synthesis_run_enqueue(run_id, delay=delay), robust=True)
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
        diagnosis_run_changed(run_id=run.pk, consultation_id=run.consultation_id)
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
    if not synthesis_run_task.get_backend().supports_get_result:
        return False
    try:
        result = synthesis_run_task.get_result(run.task_id)
    except TaskResultDoesNotExist:
        return True
    if result.status == TaskResultStatus.READY:
        return False  # waiting for a worker: a worker (re)started later picks it up
    if result.status == TaskResultStatus.RUNNING:
        # A worker took the task; it claims the run at once unless it died in between.
        return result.started_at is None or result.started_at < now - lease
    return True  # it ended, and the run it should have run is still queued


def _synthesis_run_enqueue(run_id: int, *, delay: dt.timedelta | None = None) -> None:
    task = synthesis_run_task
    if delay and task.get_backend().supports_defer:
        task = task.using(run_after=timezone.now() + delay)
    result = task.enqueue(run_id)
    # Recorded so that a look can tell a queued run whose task is lost (``_task_lost``).
    SynthesisRun.objects.filter(pk=run_id).update(task_id=str(result.id)[:64])


# -- execute ------------------------------------------------------------------------------------


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
    diagnosis_run_changed(run_id=run.pk, consultation_id=run.consultation_id)
    # Inside an outer transaction (a test's) the claim is not committed: nobody else sees the
    # run running, and a second connection would only wait for this one's lock (SQLite).
    beating = not transaction.get_connection().in_atomic_block
    try:
        with _Heartbeat(run.pk, synthesis_run_lease() / HEARTBEATS_PER_LEASE, enabled=beating):
            inputs = storing.inputs_read(run.consultation)
            previous = _previous_result(run)
            result = _synthesize(inputs.records, previous)
            opinions = _opinion_map(inputs.votes)
            with transaction.atomic():
                storing.result_store(run, inputs, result, opinions)
    except SynthesisRunError as error:
        _run_mark_failed(run.pk, code=error.code, message=str(error))
    except Exception as error:
        logger.exception("synthesis run %s failed", run.pk)
        _run_mark_failed(run.pk, code="internal", message=f"{type(error).__name__}: {error}"[:4000])
    except (KeyboardInterrupt, SystemExit):
        # The worker is told to stop mid-run: say so now rather than once the lease lapses.
        _run_mark_stopped(run.pk)
        raise
    # The stored result (megabytes of JSON at national scale: ~0.5 s to parse) is left deferred:
    # read from the database only if the caller asks for ``run.result``.
    run.refresh_from_db(
        fields=[f.attname for f in SynthesisRun._meta.concrete_fields if f.name != "result"]
    )
    run.__dict__.pop("result", None)
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
        diagnosis_run_changed(run_id=run_id)
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
    diagnosis_run_changed(run_id=run_id)


def _previous_result(run: SynthesisRun) -> dict[str, Any] | None:
    """The result of the consultation's last successful run, for an incremental update."""
    result: dict[str, Any] | None = (
        SynthesisRun.objects.filter(consultation_id=run.consultation_id)
        .shown_first()
        .exclude(pk=run.pk)
        .values_list("result", flat=True)
        .first()
    )
    if result:
        # The opinion map's picture is the diagnosis's, not the library's (its schema is closed).
        result.pop(storing.OPINION_MAP_KEY, None)
    return result or None


def _synthesize(records: list[dict[str, Any]], previous: dict[str, Any] | None) -> SynthesisResult:
    # Imported when a run executes: the library's scientific stack is slow to load, and the
    # web processes never need it.
    from tashawur.synthesis import SynthesisInputError, Synthesizer

    embedder = synthesis_embedder()
    if embedder not in EMBEDDERS:
        raise SynthesisRunError(
            f"TASHAWUR_SYNTHESIS_EMBEDDER is {embedder!r}; expected one of {', '.join(EMBEDDERS)}",
            code="embedder_invalid",
        )
    # Vectors stored by earlier runs: only new or edited texts are embedded (None for an
    # embedder fitted on each run's texts, whose vectors are never reused).
    cache = embeddings.synthesis_cache(embedder)
    try:
        # The map steps on the Dask cluster when TASHAWUR_DASK_SCHEDULER names one.
        with executors.synthesis_executor() as executor:
            return Synthesizer(
                embedder=embedder,
                random_state=RANDOM_STATE,
                cache=cast("EmbeddingCache", cache),
                # Languages identified by earlier runs: only new or edited texts are identified.
                language_cache=languages.synthesis_language_cache(),
                executor=executor,
            ).run(records, previous=previous)
    except SynthesisInputError as error:
        raise SynthesisRunError(str(error), code="input_invalid") from error


def _opinion_map(votes: storing.VoteColumns) -> OpinionMap | None:
    """Pol.is's opinion map of the votes, or ``None`` when there are too few to draw one."""
    import numpy as np

    from tashawur.synthesis.opinions import OpinionMap, vote_matrix

    participants = np.frombuffer(votes.participants, dtype=np.int64)
    statements = np.frombuffer(votes.statements, dtype=np.int64)
    if (
        len(np.unique(participants)) < OPINION_MIN_PARTICIPANTS
        or len(np.unique(statements)) < OPINION_MIN_STATEMENTS
    ):
        return None
    # Integer arrays are the library's fast path; their ids become labels through ``str``.
    matrix = vote_matrix(
        participants,
        statements,
        np.frombuffer(votes.values, dtype=np.int8),
        timestamps=np.frombuffer(votes.timestamps, dtype=np.float64),
    )
    return OpinionMap(random_state=RANDOM_STATE).fit(matrix)


@task()
def synthesis_run_task(run_id: int) -> str | None:
    """Execute a queued synthesis run; returns its status afterwards (``None`` when the run has
    gone since it was queued). Defined here, next to what enqueues it, so that the services
    never import ``tasks`` (which re-exports it for the worker)."""
    run = synthesis_run_execute(run_id=run_id)
    return None if run is None else str(run.status)
