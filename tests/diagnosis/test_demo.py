"""The demo's synthesis: queued by ``tashawur demo``, run by the worker, shown on the page."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from tashawur.consultations.models import Consultation
from tashawur.contributions.models import Contribution, ModerationStatus
from tashawur.demo.command import _logins_text, _synthesis_request
from tashawur.demo.loader import CONSULTATION_SLUG
from tashawur.diagnosis.models import FindingContribution, SynthesisRun
from tests.callbacks import queued

pytestmark = pytest.mark.django_db

#: DESIGN.md §6: participant pages under 100 KB transferred.
PAGE_BUDGET_BYTES = 100_000


@pytest.fixture
def demo(db) -> None:
    call_command("load_reference_data", verbosity=0)
    call_command("load_demo", stdout=None)


@pytest.mark.slow
def test_demo_synthesis_cites_every_published_contribution_on_a_page_under_budget(
    demo, django_capture_on_commit_callbacks, client: Client, settings
) -> None:
    # The demo's own encoder, which is also the faster one on its 362 contributions (the
    # lexical one spends about twice as long embedding them).
    settings.TASHAWUR_SYNTHESIS_EMBEDDER = None
    with django_capture_on_commit_callbacks(execute=True):
        path = _synthesis_request()

    assert path == f"/c/{CONSULTATION_SLUG}/diagnosis/"
    run = SynthesisRun.objects.get()
    assert run.status == SynthesisRun.Status.SUCCEEDED, run.error_message
    assert run.parameters["embedder"] == "use"
    published = set(
        Contribution.objects.filter(
            consultation__slug=CONSULTATION_SLUG, moderation_status=ModerationStatus.PUBLISHED
        ).values_list("pk", flat=True)
    )
    cited = set(
        FindingContribution.objects.filter(run=run).values_list("contribution_id", flat=True)
    )
    assert cited == published
    assert run.opinion_groups.count() >= 2
    response = client.get(path)
    assert response.status_code == 200
    assert len(response.content) < PAGE_BUDGET_BYTES
    # Once a run has succeeded, starting the demo again queues nothing.
    assert _synthesis_request() is None


def test_startup_message_gives_the_diagnosis_address() -> None:
    text = _logins_text("http://127.0.0.1:8000/", "/c/souss-massa-2018/diagnosis/")

    assert (
        "runs it and its diagnosis appears in a few seconds: "
        "http://127.0.0.1:8000/c/souss-massa-2018/diagnosis/"
    ) in text


def test_demo_start_replaces_a_run_left_running_by_a_stopped_demo(
    demo, django_capture_on_commit_callbacks
) -> None:
    consultation = Consultation.objects.get(slug=CONSULTATION_SLUG)
    left = SynthesisRun.objects.create(consultation=consultation)
    SynthesisRun.objects.filter(pk=left.pk).update(status="running", started_at=left.created_at)

    with django_capture_on_commit_callbacks() as callbacks:
        path = _synthesis_request()

    assert path == f"/c/{CONSULTATION_SLUG}/diagnosis/"
    assert len(queued(callbacks)) == 1
    assert SynthesisRun.objects.get(pk=left.pk).status == SynthesisRun.Status.FAILED
    assert SynthesisRun.objects.exclude(pk=left.pk).get().status == SynthesisRun.Status.QUEUED
