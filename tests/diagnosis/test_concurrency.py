"""Real threads, real transactions: racing requests queue one run, a run executes once."""

from __future__ import annotations

import pytest

from tashawur.diagnosis import services
from tashawur.diagnosis.models import Finding, SynthesisRun
from tashawur.diagnosis.services import synthesis_run_execute, synthesis_run_request
from tests.actors.factories import UserFactory
from tests.contributions.threads import run_concurrently

from .conftest import Corpus

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 4


def test_racing_requests_queue_one_run(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    # Queue only: the immediate task backend would otherwise run it inside the race.
    monkeypatch.setattr(services, "_synthesis_run_enqueue", lambda run_id: None)
    analyst = UserFactory(role="analyst")

    results = run_concurrently(
        lambda i: synthesis_run_request(consultation=corpus.consultation, user=analyst), THREADS
    )

    assert [type(r).__name__ for r in results] == ["SynthesisRun"] * THREADS
    assert len({r.pk for r in results}) == 1
    assert SynthesisRun.objects.get().status == SynthesisRun.Status.QUEUED


def test_a_run_delivered_to_racing_workers_executes_once(corpus: Corpus) -> None:
    run = SynthesisRun.objects.create(consultation=corpus.consultation)

    results = run_concurrently(lambda i: synthesis_run_execute(run_id=run.pk), THREADS)

    assert [type(r).__name__ for r in results] == ["SynthesisRun"] * THREADS
    run.refresh_from_db()
    assert run.status == SynthesisRun.Status.SUCCEEDED
    assert Finding.objects.count() == len(run.result["findings"])
