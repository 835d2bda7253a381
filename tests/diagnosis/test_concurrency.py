"""Real threads, real transactions: racing requests queue one run, a run executes once, racing
curations of the same findings do not both succeed."""

from __future__ import annotations

import pytest

from tashawur.core.errors import DomainError
from tashawur.diagnosis.models import CurationEvent, Finding, FindingContribution, SynthesisRun
from tashawur.diagnosis.services import (
    finding_split,
    findings_merge,
    runs,
    synthesis_run_execute,
    synthesis_run_request,
)
from tests.consultations.factories import analyst_of
from tests.contributions.threads import run_concurrently

from .conftest import Corpus

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 4


def test_racing_requests_queue_one_run(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    # Queue only: the immediate task backend would otherwise run it inside the race.
    monkeypatch.setattr(runs, "_synthesis_run_enqueue", lambda run_id: None)
    analyst = analyst_of(corpus.consultation)

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


def test_racing_merges_of_two_findings_into_each_other_leave_one_standing(
    corpus: Corpus,
) -> None:
    run = SynthesisRun.objects.create(consultation=corpus.consultation)
    synthesis_run_execute(run_id=run.pk)
    first, second = Finding.objects.filter(run=run).order_by("position")[:2]
    analysts = [analyst_of(corpus.consultation), analyst_of(corpus.consultation)]
    pairs = [(first, second), (second, first)]

    results = run_concurrently(
        lambda i: findings_merge(target=pairs[i][0], sources=[pairs[i][1]], user=analysts[i]), 2
    )

    assert sorted(type(r).__name__ for r in results) == ["DomainError", "Finding"]
    error = next(r for r in results if isinstance(r, DomainError))
    assert error.code in {"finding_merged", "merge_target_hidden"}
    statuses = sorted(
        Finding.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)
    )
    assert statuses == ["merged", "proposed"]
    standing = Finding.objects.get(pk__in=[first.pk, second.pk], status="proposed")
    cited = list(
        FindingContribution.objects.filter(run=run).values_list("contribution_id", flat=True)
    )
    assert sorted(cited) == sorted(corpus.published)
    assert standing.size == FindingContribution.objects.filter(finding=standing).count()
    assert CurationEvent.objects.count() == 1


def test_racing_splits_of_one_finding_take_distinct_keys_and_positions(corpus: Corpus) -> None:
    run = SynthesisRun.objects.create(consultation=corpus.consultation)
    synthesis_run_execute(run_id=run.pk)
    analyst = analyst_of(corpus.consultation)
    first, second, third = Finding.objects.filter(run=run).order_by("position")[:3]
    findings_merge(target=first, sources=[second, third], user=analyst)
    members = list(
        FindingContribution.objects.filter(finding=first, duplicate_of=None).values_list(
            "contribution_id", flat=True
        )
    )

    results = run_concurrently(
        lambda i: finding_split(
            finding=first, contribution_ids=[members[i]], user=analyst, title_fr=f"Part {i}"
        ),
        2,
    )

    assert [type(r).__name__ for r in results] == ["Finding", "Finding"]
    assert {r.key for r in results} == {f"{first.key}-1", f"{first.key}-2"}
    assert len({r.position for r in results}) == 2
    cited = list(
        FindingContribution.objects.filter(run=run).values_list("contribution_id", flat=True)
    )
    assert sorted(cited) == sorted(corpus.published)


def test_racing_first_entries_share_one_diagnosis_and_racing_publications_number_apart(
    corpus: Corpus,
) -> None:
    from tashawur.diagnosis.models import Diagnosis, DiagnosisEntry, DiagnosisPublication
    from tashawur.diagnosis.services import diagnosis_entry_create, diagnosis_publish

    analyst = analyst_of(corpus.consultation)
    water = corpus.by_key["water-ar"].pk

    created = run_concurrently(
        lambda i: diagnosis_entry_create(
            consultation=corpus.consultation,
            user=analyst,
            dimension="challenge",
            statement_fr=f"Entrée {i}",
            contribution_ids=[water],
        ),
        THREADS,
    )
    published = run_concurrently(
        lambda i: diagnosis_publish(consultation=corpus.consultation, user=analyst), THREADS
    )

    assert [type(r).__name__ for r in created] == ["DiagnosisEntry"] * THREADS
    assert Diagnosis.objects.count() == 1
    assert sorted(DiagnosisEntry.objects.values_list("position", flat=True)) == list(
        range(1, THREADS + 1)
    )
    assert [type(r).__name__ for r in published] == ["DiagnosisPublication"] * THREADS
    assert sorted(DiagnosisPublication.objects.values_list("version", flat=True)) == list(
        range(1, THREADS + 1)
    )
    assert Diagnosis.objects.get().version == THREADS
