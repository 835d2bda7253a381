"""Re-running the synthesis asks for confirmation and says what will carry over; what could not
be carried is listed on the diagnosis page and in the editor, with a decision to make (views,
without JavaScript)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tashawur.diagnosis.models import CarryOverIssue, DiagnosisEntry, Finding, SynthesisRun
from tashawur.diagnosis.services import (
    diagnosis_entry_create,
    finding_rename,
    finding_status_set,
)
from tests.actors.factories import UserFactory
from tests.consultations.factories import analyst_of

from .conftest import Corpus, run_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(client: Client, corpus: Corpus) -> Any:
    user = analyst_of(corpus.consultation)
    client.force_login(user)
    return user


@pytest.fixture
def curated(corpus: Corpus, analyst: Any) -> SynthesisRun:
    run = run_now(corpus)
    first, second = run.findings.order_by("position")[:2]
    finding_rename(finding=first, user=analyst, title_fr="Titre gardé")
    finding_status_set(finding=first, user=analyst, status="accepted")
    finding_status_set(finding=second, user=analyst, status="rejected")
    diagnosis_entry_create(
        consultation=corpus.consultation,
        user=analyst,
        dimension="challenge",
        statement_fr="Une entrée",
        finding_ids=[first.pk],
    )
    return run


def run_url(corpus: Corpus) -> str:
    return f"/en/c/{corpus.consultation.slug}/diagnosis/run/"


def test_the_diagnosis_page_links_to_the_confirmation_once_a_run_exists(
    corpus: Corpus, client: Client, curated: SynthesisRun
) -> None:
    html = client.get(f"/en/c/{corpus.consultation.slug}/diagnosis/").content.decode()

    assert f'id="run-again" href="{run_url(corpus)}"' in html
    assert "A new synthesis run carries this curation over" in html


def test_the_confirmation_counts_what_will_carry_over(
    corpus: Corpus, client: Client, curated: SynthesisRun
) -> None:
    response = client.get(run_url(corpus))

    html = response.content.decode()
    assert response.status_code == 200
    for line in (
        "1 title",
        "1 accepted finding",
        "1 rejected finding",
        "0 merged findings",
        "0 splits",
        "1 written entry citing its findings",
    ):
        assert f"<li>{line}</li>" in html
    assert SynthesisRun.objects.count() == 1


def test_a_post_without_confirmation_goes_to_the_confirmation(
    corpus: Corpus, client: Client, curated: SynthesisRun
) -> None:
    response = client.post(run_url(corpus))

    assert response.status_code == 302
    assert response["Location"] == run_url(corpus)
    assert SynthesisRun.objects.count() == 1


def test_the_confirmed_post_runs_and_the_curation_is_still_there(
    corpus: Corpus, client: Client, curated: SynthesisRun, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(run_url(corpus), {"confirm": "1"})

    assert response.status_code == 302
    new = SynthesisRun.objects.current_for(corpus.consultation)
    assert new is not None and new.pk != curated.pk
    first = new.findings.get(title_override_fr="Titre gardé")
    assert first.status == Finding.Status.ACCEPTED
    entry = DiagnosisEntry.objects.get()
    assert list(entry.findings.all()) == [first]


def test_a_participant_may_not_see_the_confirmation(
    corpus: Corpus, client: Client, curated: SynthesisRun
) -> None:
    client.force_login(UserFactory(role="participant"))

    assert client.get(run_url(corpus)).status_code == 403


def vanished(corpus: Corpus, curated: SynthesisRun) -> SynthesisRun:
    """A new run where the accepted finding's key is gone and its contributions too: listed."""
    first = curated.findings.get(title_override_fr="Titre gardé")
    Finding.objects.filter(pk=first.pk).update(key="F999")
    result = dict(curated.result)
    result["findings"] = [f for f in result["findings"] if f["id"] != "F999"]
    SynthesisRun.objects.filter(pk=curated.pk).update(result=result)
    first.citations.all().delete()
    return run_now(corpus)


def test_what_could_not_be_carried_is_listed_and_decided_without_javascript(
    corpus: Corpus, client: Client, curated: SynthesisRun
) -> None:
    new = vanished(corpus, curated)
    issues = new.carry_over_issues.filter(resolution="")
    assert issues.count() == 2  # the finding's curation, and the entry citing it

    html = client.get(f"/en/c/{corpus.consultation.slug}/diagnosis/").content.decode()
    editor = client.get(f"/en/c/{corpus.consultation.slug}/diagnosis/write/").content.decode()

    for page in (html, editor):
        assert 'id="carry-over"' in page
        assert "F999" in page
    assert 'name="back" value="editor"' in editor
    issue = issues.get(kind=CarryOverIssue.Kind.VANISHED)
    successor = new.findings.order_by("position").first()
    url = f"/en/c/{corpus.consultation.slug}/diagnosis/carry-over/{issue.pk}/"

    refused = client.post(url, {"decision": "pick"}, follow=True)
    assert "Choose the finding that takes this curation over." in refused.content.decode()

    response = client.post(url, {"decision": "pick", "successor": successor.pk, "back": "editor"})

    assert response.status_code == 302
    assert response["Location"] == f"/en/c/{corpus.consultation.slug}/diagnosis/write/#carry-over"
    successor.refresh_from_db()
    assert (successor.title_override_fr, successor.status) == ("Titre gardé", "accepted")
    assert not new.carry_over_issues.filter(resolution="").exists()
    assert list(DiagnosisEntry.objects.get().findings.all()) == [successor]


def test_dismissing_leaves_the_curation_behind(
    corpus: Corpus, client: Client, curated: SynthesisRun
) -> None:
    new = vanished(corpus, curated)
    issue = new.carry_over_issues.get(kind=CarryOverIssue.Kind.VANISHED)

    client.post(
        f"/en/c/{corpus.consultation.slug}/diagnosis/carry-over/{issue.pk}/",
        {"decision": "dismiss"},
    )

    issue.refresh_from_db()
    assert (issue.resolution, issue.resolved_by) == (
        "dismissed",
        curated.curation_events.first().actor,
    )
    assert issue.resolved_at is not None


def test_a_participant_may_not_decide(
    corpus: Corpus, client: Client, curated: SynthesisRun
) -> None:
    new = vanished(corpus, curated)
    issue = new.carry_over_issues.first()
    client.force_login(UserFactory(role="participant"))

    response = client.post(
        f"/en/c/{corpus.consultation.slug}/diagnosis/carry-over/{issue.pk}/",
        {"decision": "dismiss"},
    )

    assert response.status_code == 403
    issue.refresh_from_db()
    assert issue.is_open
