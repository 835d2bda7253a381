"""The background entry point: takes a run id, executes the run, returns its status."""

from __future__ import annotations

import pytest

from tashawur.diagnosis.models import SynthesisRun
from tashawur.diagnosis.tasks import synthesis_run_task

from .conftest import Corpus

pytestmark = pytest.mark.django_db


def test_synthesis_run_task_executes_the_run(corpus: Corpus) -> None:
    run = SynthesisRun.objects.create(consultation=corpus.consultation)

    result = synthesis_run_task.enqueue(run.pk)

    assert result.return_value == "succeeded"
    assert SynthesisRun.objects.get().findings.exists()


def test_synthesis_run_task_of_a_deleted_run_does_nothing() -> None:
    assert synthesis_run_task.enqueue(987654).return_value is None
