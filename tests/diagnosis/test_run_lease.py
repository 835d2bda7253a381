"""A run's lease: its worker renews it while the run runs; a run silent for longer is failed when
anyone looks, and a queued run whose task is lost is queued again."""

from __future__ import annotations

import datetime as dt
import os
import socket
import time

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks import TaskResultStatus

from tashawur.diagnosis.models import Finding, SynthesisRun
from tashawur.diagnosis.services import (
    RunsRecovered,
    runs,
    synthesis_run_execute,
    synthesis_run_request,
    synthesis_runs_recover,
)
from tashawur.diagnosis.tasks import synthesis_run_task
from tests.consultations.factories import analyst_of

from .conftest import Corpus

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}
STOPPED = "The last synthesis run failed: its worker stopped before the end."


def running(corpus: Corpus, *, silent_for: float | None, started: float = 60) -> SynthesisRun:
    """A run a worker claimed ``started`` seconds ago and last renewed ``silent_for`` seconds
    ago (``None``: a run claimed before runs had a lease)."""
    now = timezone.now()
    run = SynthesisRun.objects.create(consultation=corpus.consultation)
    SynthesisRun.objects.filter(pk=run.pk).update(
        status=SynthesisRun.Status.RUNNING,
        started_at=now - dt.timedelta(seconds=started),
        heartbeat_at=None if silent_for is None else now - dt.timedelta(seconds=silent_for),
        worker="box:4242",
    )
    return SynthesisRun.objects.get(pk=run.pk)


def test_a_running_run_silent_for_longer_than_the_lease_is_marked_failed(corpus: Corpus) -> None:
    run = running(corpus, silent_for=31)

    recovered = synthesis_runs_recover()

    assert recovered == RunsRecovered(failed=1, requeued=0)
    run.refresh_from_db()
    assert (run.status, run.error_code) == (SynthesisRun.Status.FAILED, "abandoned")
    assert run.error_message == "its worker box:4242 stopped: no sign of life for 30 s"
    assert run.started_at is not None and run.finished_at is not None
    assert run.finished_at >= run.started_at


def test_a_running_run_renewed_within_the_lease_is_kept_and_joined(corpus: Corpus) -> None:
    run = running(corpus, silent_for=20)

    assert synthesis_runs_recover() == RunsRecovered(failed=0, requeued=0)
    joined = synthesis_run_request(
        consultation=corpus.consultation, user=analyst_of(corpus.consultation)
    )

    assert joined.pk == run.pk
    assert SynthesisRun.objects.get(pk=run.pk).status == SynthesisRun.Status.RUNNING


def test_the_lease_is_the_setting(corpus: Corpus, settings) -> None:
    settings.TASHAWUR_RUN_LEASE_SECONDS = 5
    kept = running(corpus, silent_for=4)

    assert synthesis_runs_recover().failed == 0
    SynthesisRun.objects.filter(pk=kept.pk).update(
        heartbeat_at=timezone.now() - dt.timedelta(seconds=6)
    )
    assert synthesis_runs_recover().failed == 1


def test_a_run_claimed_before_runs_had_a_lease_is_judged_by_its_start(corpus: Corpus) -> None:
    recent = running(corpus, silent_for=None, started=10)
    assert synthesis_runs_recover().failed == 0

    SynthesisRun.objects.filter(pk=recent.pk).update(
        started_at=timezone.now() - dt.timedelta(seconds=31)
    )
    assert synthesis_runs_recover().failed == 1


def test_recover_of_one_consultation_leaves_the_others(corpus: Corpus) -> None:
    from tests.consultations.factories import ConsultationFactory

    run = running(corpus, silent_for=31)

    recovered = synthesis_runs_recover(consultation=ConsultationFactory())

    assert recovered == RunsRecovered(failed=0, requeued=0)
    assert SynthesisRun.objects.get(pk=run.pk).status == SynthesisRun.Status.RUNNING


def test_a_run_that_ended_is_never_touched(corpus: Corpus) -> None:
    run = running(corpus, silent_for=31)
    SynthesisRun.objects.filter(pk=run.pk).update(
        status=SynthesisRun.Status.FAILED, error_code="internal", finished_at=timezone.now()
    )

    assert synthesis_runs_recover() == RunsRecovered(failed=0, requeued=0)
    assert SynthesisRun.objects.get(pk=run.pk).error_code == "internal"


def test_the_diagnosis_page_shows_a_run_whose_worker_stopped_as_failed(
    corpus: Corpus, client: Client
) -> None:
    analyst = analyst_of(corpus.consultation)
    run = running(corpus, silent_for=31)
    client.force_login(analyst)

    html = client.get(f"/c/{corpus.consultation.slug}/diagnosis/").content.decode()

    assert SynthesisRun.objects.get(pk=run.pk).status == SynthesisRun.Status.FAILED
    with translation.override("ar"):
        stopped = gettext(STOPPED)
    assert stopped != STOPPED  # translated
    assert stopped in html
    assert 'http-equiv="refresh"' not in html  # no longer pending


def test_the_diagnosis_page_keeps_showing_a_live_run_as_under_way(
    corpus: Corpus, client: Client
) -> None:
    run = running(corpus, silent_for=2)
    client.force_login(analyst_of(corpus.consultation))

    html = client.get(f"/en/c/{corpus.consultation.slug}/diagnosis/").content.decode()

    assert SynthesisRun.objects.get(pk=run.pk).status == SynthesisRun.Status.RUNNING
    assert "A synthesis run is under way; this page reloads by itself." in html


def test_the_worker_start_fails_the_runs_whose_worker_stopped(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tashawur.demo import command

    started: list[list[str]] = []
    # Set up already; a second set-up would bind the log handlers to this test's captured output.
    monkeypatch.setattr("django.setup", lambda: None)
    monkeypatch.setattr(
        "django.core.management.execute_from_command_line", lambda argv: started.append(argv)
    )
    run = running(corpus, silent_for=31)

    assert command.worker(["--batch"]) == 0

    assert started == [["tashawur worker", "db_worker", "--batch"]]
    assert SynthesisRun.objects.get(pk=run.pk).status == SynthesisRun.Status.FAILED
    assert "Synthesis runs: 1 marked failed" in capsys.readouterr().out


# -- queued runs and their tasks (the database task backend) -------------------------------------


@pytest.fixture
def database_tasks(settings) -> None:
    settings.TASKS = DATABASE_TASKS


def queued(corpus: Corpus, *, age: float = 0, task_id: str = "") -> SynthesisRun:
    run = SynthesisRun.objects.create(consultation=corpus.consultation)
    SynthesisRun.objects.filter(pk=run.pk).update(
        created_at=timezone.now() - dt.timedelta(seconds=age), task_id=task_id
    )
    return SynthesisRun.objects.get(pk=run.pk)


def task_status(run: SynthesisRun) -> TaskResultStatus:
    run.refresh_from_db()
    return synthesis_run_task.get_result(run.task_id).status


def test_a_request_records_the_task_of_its_run(
    corpus: Corpus, database_tasks: None, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        run = synthesis_run_request(
            consultation=corpus.consultation, user=analyst_of(corpus.consultation)
        )

    assert task_status(run) == TaskResultStatus.READY
    assert synthesis_runs_recover() == RunsRecovered(failed=0, requeued=0)


def test_a_queued_run_waits_for_a_worker_as_long_as_its_task_waits(
    corpus: Corpus, database_tasks: None
) -> None:
    task = synthesis_run_task.enqueue(0)
    run = queued(corpus, age=3600, task_id=task.id)

    assert synthesis_runs_recover() == RunsRecovered(failed=0, requeued=0)
    assert SynthesisRun.objects.get(pk=run.pk).task_id == task.id


def test_a_queued_run_whose_task_was_never_recorded_is_queued_again(
    corpus: Corpus, database_tasks: None, django_capture_on_commit_callbacks
) -> None:
    young = queued(corpus, age=5)
    assert synthesis_runs_recover().requeued == 0

    SynthesisRun.objects.filter(pk=young.pk).update(
        created_at=timezone.now() - dt.timedelta(seconds=31)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert synthesis_runs_recover() == RunsRecovered(failed=0, requeued=1)

    assert task_status(young) == TaskResultStatus.READY
    assert synthesis_run_task.get_result(young.task_id).args == [young.pk]


def test_a_queued_run_whose_task_is_gone_is_queued_again(
    corpus: Corpus, database_tasks: None, django_capture_on_commit_callbacks
) -> None:
    run = queued(corpus, task_id="0b7e4d2c-3f1a-4c55-9d7e-1a2b3c4d5e6f")

    with django_capture_on_commit_callbacks(execute=True):
        assert synthesis_runs_recover().requeued == 1

    assert task_status(run) == TaskResultStatus.READY


def test_a_queued_run_whose_worker_died_before_claiming_it_is_queued_again(
    corpus: Corpus, database_tasks: None, django_capture_on_commit_callbacks
) -> None:
    from django_tasks_db.models import DBTaskResult

    task = synthesis_run_task.enqueue(0)
    run = queued(corpus, task_id=task.id)
    # A worker took the task 31 s ago and died before the task claimed the run.
    DBTaskResult.objects.filter(id=task.id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - dt.timedelta(seconds=31)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert synthesis_runs_recover().requeued == 1

    assert task_status(run) == TaskResultStatus.READY
    assert run.task_id != task.id


def test_a_request_joins_a_queued_run_and_queues_its_lost_task_again(
    corpus: Corpus, database_tasks: None, django_capture_on_commit_callbacks
) -> None:
    run = queued(corpus, age=31)

    with django_capture_on_commit_callbacks(execute=True):
        joined = synthesis_run_request(
            consultation=corpus.consultation, user=analyst_of(corpus.consultation)
        )

    assert joined.pk == run.pk
    assert task_status(run) == TaskResultStatus.READY


# -- the worker's side: the heartbeat and a stop ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_worker_renews_the_lease_while_the_run_runs(
    corpus: Corpus, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TASHAWUR_RUN_LEASE_SECONDS = 1  # renewed every 1/6 s
    run = SynthesisRun.objects.create(consultation=corpus.consultation)
    synthesize = runs._synthesize
    beats: list[dt.datetime | None] = []

    def slow_synthesize(records, previous):
        claimed = SynthesisRun.objects.get(pk=run.pk)
        beats.append(claimed.heartbeat_at)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            time.sleep(0.05)
            latest = SynthesisRun.objects.get(pk=run.pk).heartbeat_at
            if latest != beats[0]:
                beats.append(latest)
                break
        return synthesize(records, previous)

    monkeypatch.setattr(runs, "_synthesize", slow_synthesize)

    done = synthesis_run_execute(run_id=run.pk)

    assert done is not None and done.status == SynthesisRun.Status.SUCCEEDED
    assert done.worker == f"{socket.gethostname()}:{os.getpid()}"
    assert len(beats) == 2, "no heartbeat within 10 s"
    assert beats[0] is not None and beats[1] is not None and beats[1] > beats[0]


def test_a_worker_told_to_stop_mid_run_marks_its_run_failed_and_stores_nothing(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = SynthesisRun.objects.create(consultation=corpus.consultation)

    def interrupted(records, previous):
        raise KeyboardInterrupt

    monkeypatch.setattr(runs, "_synthesize", interrupted)

    with pytest.raises(KeyboardInterrupt):
        synthesis_run_execute(run_id=run.pk)

    run.refresh_from_db()
    assert (run.status, run.error_code) == (SynthesisRun.Status.FAILED, "abandoned")
    assert run.error_message == "its worker was stopped during the run"
    assert not Finding.objects.filter(run=run).exists()
