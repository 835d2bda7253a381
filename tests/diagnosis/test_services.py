"""Running the synthesis of a consultation and storing what it finds (services)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tashawur.contributions.models import ModerationStatus
from tashawur.core.errors import DomainError
from tashawur.diagnosis import services
from tashawur.diagnosis.models import (
    Finding,
    FindingContribution,
    OpinionGroup,
    StatementStat,
    SynthesisRun,
)
from tashawur.diagnosis.services import runs, storing, synthesis_run_execute, synthesis_run_request
from tashawur.synthesis import ENGINE_VERSION
from tests.actors.factories import UserFactory
from tests.callbacks import queued
from tests.consultations.factories import ConsultationFactory, analyst_of
from tests.contributions.factories import ContributionFactory
from tests.synthesis.corpus import IDEAS

from .conftest import Corpus, run_execute, votes_cast

pytestmark = pytest.mark.django_db


def finding_key_of(run: SynthesisRun) -> dict[int, str]:
    return dict(
        FindingContribution.objects.filter(run=run).values_list("contribution_id", "finding__key")
    )


def test_run_succeeds_with_engine_version_parameters_and_timings(corpus: Corpus) -> None:
    run = run_execute(corpus)

    assert run.status == SynthesisRun.Status.SUCCEEDED
    assert run.engine_version == ENGINE_VERSION
    assert run.parameters["embedder"] == "lexical"
    assert run.parameters["n_records"] == len(corpus.published)
    assert run.timings["total"] > 0
    assert run.contributions_count == len(corpus.published)
    assert run.started_at is not None
    assert run.finished_at is not None
    assert run.finished_at >= run.started_at


def test_findings_partition_exactly_the_published_contributions(corpus: Corpus) -> None:
    run = run_execute(corpus)

    cited = list(FindingContribution.objects.filter(run=run).values_list("contribution_id"))
    assert sorted(c for (c,) in cited) == sorted(corpus.published)
    assert corpus.pending.pk not in {c for (c,) in cited}
    assert corpus.rejected.pk not in {c for (c,) in cited}


def test_members_are_the_non_duplicates_and_duplicates_are_recorded(corpus: Corpus) -> None:
    run = run_execute(corpus)

    citations = FindingContribution.objects.filter(run=run)
    duplicates = {(c.contribution_id, c.duplicate_of_id) for c in citations if c.duplicate_of_id}
    original = corpus.by_key["water-ar"]
    assert duplicates in ({(corpus.copy.pk, original.pk)}, {(original.pk, corpus.copy.pk)})
    members = {c.contribution_id for c in citations if c.duplicate_of_id is None}
    assert members == corpus.published - {c for c, _ in duplicates}


def test_finding_sizes_count_members_and_duplicates(corpus: Corpus) -> None:
    run = run_execute(corpus)

    for finding in run.findings.all():
        citations = list(finding.citations.all())
        assert finding.size == len(citations)
        assert finding.duplicate_count == sum(1 for c in citations if c.duplicate_of_id)
        assert sum(finding.dimension_counts.values()) == finding.size


def test_every_quote_is_a_members_text_verbatim(corpus: Corpus) -> None:
    run = run_execute(corpus)

    stored = {f["id"]: f for f in run.result["findings"]}
    quotes = FindingContribution.objects.filter(run=run, is_representative=True).select_related(
        "finding", "contribution"
    )
    assert quotes.count() >= run.findings.count()
    for citation in quotes:
        assert citation.duplicate_of_id is None
        library_quotes = {q["id"]: q["text"] for q in stored[citation.finding.key]["quotes"]}
        assert library_quotes[str(citation.contribution_id)] == citation.contribution.text


def test_findings_are_ordered_by_dimension_then_size(corpus: Corpus) -> None:
    run = run_execute(corpus)

    order = ["potential", "specificity", "challenge", "proposal", "question", "coordination"]
    findings = list(run.findings.order_by("position"))
    keys = [(order.index(f.dimension), -f.size) for f in findings]
    assert keys == sorted(keys)
    assert [f.position for f in findings] == list(range(1, len(findings) + 1))


def test_finding_dimension_is_the_one_its_contributions_carry(corpus: Corpus) -> None:
    run = run_execute(corpus)

    water = FindingContribution.objects.get(run=run, contribution=corpus.by_key["water-fr"])
    doctor = FindingContribution.objects.get(run=run, contribution=corpus.by_key["doctor-fr"])
    assert water.finding.dimension == "challenge"
    assert doctor.finding.dimension == "proposal"


def test_profiles_break_findings_down_by_the_stored_metadata(corpus: Corpus) -> None:
    run = run_execute(corpus)

    finding = FindingContribution.objects.get(
        run=run, contribution=corpus.by_key["water-fr"]
    ).finding
    assert {"dimension", "actor_type", "language", "channel", "theme", "province"} <= set(
        finding.profiles
    )
    languages = {g["value"] for g in finding.profiles["language"]}
    assert "fr" in languages


def test_second_run_after_new_contributions_keeps_finding_keys(corpus: Corpus) -> None:
    first = run_execute(corpus)
    before = finding_key_of(first)
    ContributionFactory(
        workshop=corpus.workshops[0],
        text="الماء مقطوع في الدوار منذ أسبوع ولا أحد يصلح القنوات المكسورة",
        language="ar",
        dimension="challenge",
    )
    ContributionFactory(
        workshop=corpus.workshops[1],
        text="Il faut une bibliothèque et une maison de jeunes dans chaque commune rurale",
        language="fr",
        dimension="proposal",
    )

    second = run_execute(corpus)

    after = finding_key_of(second)
    assert second.parameters["incremental"] is True
    assert len(after) == len(before) + 2
    assert {c: after[c] for c in before} == before


def test_a_run_with_nothing_new_reproduces_the_same_findings(corpus: Corpus) -> None:
    first = run_execute(corpus)
    second = run_execute(corpus)

    assert finding_key_of(second) == finding_key_of(first)


def test_contributions_rejected_after_a_run_leave_the_next_one(corpus: Corpus) -> None:
    run_execute(corpus)
    gone = corpus.by_key["school-fr"]
    type(gone).objects.filter(pk=gone.pk).update(moderation_status=ModerationStatus.REJECTED)

    second = run_execute(corpus)

    assert second.status == SynthesisRun.Status.SUCCEEDED
    assert gone.pk not in finding_key_of(second)


def test_a_failure_while_storing_leaves_nothing_and_marks_the_run_failed(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    votes_cast(corpus)

    def broken(run: SynthesisRun, opinions: object) -> None:
        raise RuntimeError("disk full")

    # The opinion map is stored after the findings and their citations are written.
    monkeypatch.setattr(storing, "_opinions_store", broken)

    run = run_execute(corpus)

    assert run.status == SynthesisRun.Status.FAILED
    assert run.error_code == "internal"
    assert run.error_message == "RuntimeError: disk full"
    assert run.result is None
    assert run.finished_at is not None
    assert Finding.objects.count() == 0
    assert FindingContribution.objects.count() == 0
    assert OpinionGroup.objects.count() == 0


def test_a_failed_run_is_not_the_base_of_the_next_one(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(storing, "_opinions_store", lambda run, opinions: 1 / 0)
        votes_cast(corpus)
        run_execute(corpus)

    second = run_execute(corpus)

    assert second.status == SynthesisRun.Status.SUCCEEDED
    assert second.parameters["incremental"] is False


def test_a_consultation_without_published_contributions_fails_with_its_reason(
    corpus: Corpus,
) -> None:
    type(corpus.copy).objects.filter(consultation=corpus.consultation).update(
        moderation_status=ModerationStatus.PENDING
    )

    run = run_execute(corpus)

    assert (run.status, run.error_code) == (SynthesisRun.Status.FAILED, "no_contributions")
    assert run.error_message == "the consultation has no published contribution"


def test_an_unknown_embedder_setting_fails_the_run(corpus: Corpus, settings) -> None:
    settings.TASHAWUR_SYNTHESIS_EMBEDDER = "bert"

    run = run_execute(corpus)

    assert (run.status, run.error_code) == (SynthesisRun.Status.FAILED, "embedder_invalid")
    assert (
        run.error_message == "TASHAWUR_SYNTHESIS_EMBEDDER is 'bert'; expected one of use, lexical"
    )


def test_the_embedder_comes_from_the_environment_when_no_setting_names_it(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TASHAWUR_SYNTHESIS_EMBEDDER = None
    monkeypatch.setenv("TASHAWUR_SYNTHESIS_EMBEDDER", "lexical")
    assert services.synthesis_embedder() == "lexical"
    monkeypatch.delenv("TASHAWUR_SYNTHESIS_EMBEDDER")
    assert services.synthesis_embedder() == "use"


def test_a_run_executes_once_even_when_its_task_is_delivered_twice(corpus: Corpus) -> None:
    run = run_execute(corpus)
    findings = run.findings.count()

    again = synthesis_run_execute(run_id=run.pk)

    assert again is not None
    assert again.finished_at == run.finished_at
    assert Finding.objects.count() == findings


def test_executing_a_run_that_does_not_exist_returns_none(db) -> None:
    assert synthesis_run_execute(run_id=987654) is None


def test_opinion_map_stores_groups_and_statement_stats(corpus: Corpus) -> None:
    votes_cast(corpus, per_camp=5)
    proposals = {
        corpus.by_key[f"{idea}-{lang}"].pk
        for idea in ("doctor", "jobs")
        for lang in ("ar", "ary", "fr")
    }

    run = run_execute(corpus)

    groups = list(run.opinion_groups.order_by("key"))
    assert [g.size for g in groups] == [5, 5]
    for group in groups:
        assert group.representative_statement_ids
        assert set(group.representative_statement_ids) <= proposals
    stats = {s.contribution_id: s for s in StatementStat.objects.filter(run=run)}
    assert set(stats) == proposals
    assert all((s.agree, s.disagree, s.passes) == (5, 5, 0) for s in stats.values())
    assert run.votes_count == 60


def test_too_few_votes_give_no_opinion_groups_and_say_so(corpus: Corpus) -> None:
    votes_cast(corpus, per_camp=1)

    run = run_execute(corpus)

    assert run.status == SynthesisRun.Status.SUCCEEDED
    assert run.opinion_groups.count() == 0
    assert run.warnings[-1] == (
        "too few votes for an opinion map: at least 4 voters on 2 statements"
    )


def test_request_queues_a_run_that_runs_after_commit(
    corpus: Corpus, django_capture_on_commit_callbacks
) -> None:
    analyst = analyst_of(corpus.consultation)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = synthesis_run_request(consultation=corpus.consultation, user=analyst)
        assert run.status == SynthesisRun.Status.QUEUED

    assert len(queued(callbacks)) == 1
    run.refresh_from_db()
    assert run.status == SynthesisRun.Status.SUCCEEDED
    assert run.created_by == analyst


def test_request_while_a_run_is_pending_returns_that_run(
    corpus: Corpus, django_capture_on_commit_callbacks
) -> None:
    analyst = analyst_of(corpus.consultation)
    first = synthesis_run_request(consultation=corpus.consultation, user=analyst)

    with django_capture_on_commit_callbacks() as callbacks:
        second = synthesis_run_request(consultation=corpus.consultation, user=analyst)

    assert second.pk == first.pk
    assert callbacks == []
    assert SynthesisRun.objects.count() == 1


def test_request_after_a_run_whose_worker_stopped_fails_it_and_queues_a_new_one(
    corpus: Corpus,
) -> None:
    analyst = analyst_of(corpus.consultation)
    stale = synthesis_run_request(consultation=corpus.consultation, user=analyst)
    # Its worker claimed it, then gave no sign of life for longer than the lease (30 s).
    SynthesisRun.objects.filter(pk=stale.pk).update(
        status=SynthesisRun.Status.RUNNING,
        started_at=timezone.now() - dt.timedelta(seconds=40),
        heartbeat_at=timezone.now() - dt.timedelta(seconds=31),
    )

    fresh = synthesis_run_request(consultation=corpus.consultation, user=analyst)

    stale.refresh_from_db()
    assert fresh.pk != stale.pk
    assert (stale.status, stale.error_code) == (SynthesisRun.Status.FAILED, "abandoned")
    assert stale.finished_at is not None


ALLOWED = {
    "national": True,
    "own_regional": True,
    "other_regional": False,
    "analyst": True,
    "unassigned_analyst": False,
    "other_analyst": False,  # assigned to another consultation
    "facilitator": False,
    "rapporteur": False,
    "participant": False,
    "anonymous": False,
}


def _user_for(who: str, corpus: Corpus):
    from django.contrib.auth.models import AnonymousUser

    roles = {
        "national": "national_coordinator",
        "own_regional": "regional_coordinator",
        "other_regional": "regional_coordinator",
        "analyst": "analyst",
        "unassigned_analyst": "analyst",
        "other_analyst": "analyst",
        "facilitator": "facilitator",
        "rapporteur": "rapporteur",
        "participant": "participant",
    }
    if who == "anonymous":
        return AnonymousUser()
    user = UserFactory(role=roles[who])
    if who == "own_regional":
        corpus.consultation.coordinators.add(user)
    if who == "analyst":
        corpus.consultation.analysts.add(user)
    if who == "other_analyst":
        ConsultationFactory(analysts=[user])
    if who == "facilitator":
        corpus.workshops[0].facilitator = user
        corpus.workshops[0].save()
    if who == "rapporteur":
        corpus.workshops[0].rapporteur = user
        corpus.workshops[0].save()
    return user


@pytest.mark.parametrize("who", sorted(ALLOWED))
def test_request_permission_matrix(corpus: Corpus, who: str) -> None:
    user = _user_for(who, corpus)

    if ALLOWED[who]:
        run = synthesis_run_request(consultation=corpus.consultation, user=user)
        assert run.status == SynthesisRun.Status.QUEUED
    else:
        with pytest.raises(DomainError) as raised:
            synthesis_run_request(consultation=corpus.consultation, user=user)
        assert raised.value.code == "synthesis_not_allowed"
        assert SynthesisRun.objects.count() == 0


def test_one_run_with_the_default_embedder_groups_each_idea_across_languages(
    corpus: Corpus, settings
) -> None:
    settings.TASHAWUR_SYNTHESIS_EMBEDDER = None  # the default: the Universal Sentence Encoder

    run = run_execute(corpus)

    assert run.parameters["embedder"] == "use"
    key_of = finding_key_of(run)
    for idea in IDEAS:
        ids = [c.pk for k, c in corpus.by_key.items() if k.startswith(f"{idea}-")]
        assert len({key_of[i] for i in ids}) == 1, idea
    assert len(set(key_of.values())) == len(IDEAS)


def test_a_run_marked_abandoned_while_it_ran_stores_nothing(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = SynthesisRun.objects.create(consultation=corpus.consultation)
    synthesize = runs._synthesize

    def slow_worker(records, previous):
        # Meanwhile a new request took this run for abandoned.
        runs._run_mark_failed(run.pk, code="abandoned", message="its worker stopped")
        return synthesize(records, previous)

    monkeypatch.setattr(runs, "_synthesize", slow_worker)

    done = synthesis_run_execute(run_id=run.pk)

    assert done is not None
    assert (done.status, done.error_code) == (SynthesisRun.Status.FAILED, "abandoned")
    assert done.error_message == "the run was marked failed while it was running"
    assert Finding.objects.count() == 0


def test_abandon_pending_fails_queued_and_running_runs_only(corpus: Corpus) -> None:
    done = run_execute(corpus)
    stuck = SynthesisRun.objects.create(consultation=corpus.consultation)
    SynthesisRun.objects.filter(pk=stuck.pk).update(status="running", started_at=timezone.now())

    count = services.synthesis_runs_abandon_pending(consultation=corpus.consultation)

    assert count == 1
    stuck.refresh_from_db()
    assert (stuck.status, stuck.error_code) == (SynthesisRun.Status.FAILED, "abandoned")
    assert SynthesisRun.objects.get(pk=done.pk).status == SynthesisRun.Status.SUCCEEDED
