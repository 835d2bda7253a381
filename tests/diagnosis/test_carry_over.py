"""Curation carried over to a new synthesis run (services): the analyst curates a run (titles,
accept, reject, merge, split, entries citing findings), 200 contributions arrive, the synthesis
runs again, and every curation event of the earlier run is carried or listed for a decision;
the diagnosis can be published again."""

from __future__ import annotations

from typing import Any

import pytest

from tashawur.core.errors import DomainError
from tashawur.diagnosis.models import (
    CarryOverIssue,
    CurationEvent,
    DiagnosisEntry,
    Finding,
    FindingContribution,
    SynthesisRun,
)
from tashawur.diagnosis.selectors import findings_resolve
from tashawur.diagnosis.services import (
    carry_over_issue_resolve,
    diagnosis_entry_create,
    diagnosis_publish,
    finding_rename,
    finding_split,
    finding_status_set,
    findings_merge,
)
from tests.consultations.factories import analyst_of
from tests.contributions.factories import ContributionFactory
from tests.synthesis.corpus import IDEAS

from .conftest import DIMENSIONS, Corpus, run_now

pytestmark = pytest.mark.django_db

LANGUAGES = ("ar", "ary", "fr")


def finding_of(run: SynthesisRun, contribution_id: int) -> Finding:
    return FindingContribution.objects.get(run=run, contribution_id=contribution_id).finding


def contributions_add(corpus: Corpus, count: int = 200) -> None:
    """New contributions saying the four ideas again, each with words of its own."""
    ideas = list(IDEAS)
    for n in range(count):
        idea = ideas[n % len(ideas)]
        language = LANGUAGES[(n // len(ideas)) % len(LANGUAGES)]
        ContributionFactory(
            workshop=corpus.workshops[n % 2],
            text=f"{IDEAS[idea][language]} ({n})",
            language=language,
            dimension=DIMENSIONS[idea],
        )


def accounted(run: SynthesisRun) -> tuple[set[int], set[int]]:
    """The earlier events the carried events name, and those the issues name."""
    carried = {
        event_id
        for event in run.curation_events.filter(action=CurationEvent.Action.CARRIED)
        for event_id in event.details.get("source", {}).get("events", [])
    }
    listed = {
        event_id
        for issue in run.carry_over_issues.all()
        for event_id in issue.details.get("events", [])
    }
    return carried, listed


@pytest.fixture
def analyst(corpus: Corpus) -> Any:
    return analyst_of(corpus.consultation)


@pytest.fixture
def curated(corpus: Corpus, analyst: Any) -> dict[str, Any]:
    """A run curated every way, with three entries citing its findings."""
    run = run_now(corpus)
    water = finding_of(run, corpus.by_key["water-fr"].pk)
    school = finding_of(run, corpus.by_key["school-ar"].pk)
    doctor = finding_of(run, corpus.by_key["doctor-ar"].pk)
    jobs = finding_of(run, corpus.by_key["jobs-ar"].pk)
    assert len({water.pk, school.pk, doctor.pk, jobs.pk}) == 4
    finding_rename(finding=water, user=analyst, title_ar="الماء المقطوع", title_fr="L'eau coupée")
    finding_status_set(finding=water, user=analyst, status="accepted")
    finding_status_set(finding=jobs, user=analyst, status="rejected")
    findings_merge(target=doctor, sources=[school], user=analyst)
    # The library puts the French text and the Tifinagh one (read in its translation) together.
    assert finding_of(run, corpus.by_key["water-zgh"].pk) == water
    split = finding_split(
        finding=water,
        contribution_ids=[corpus.by_key["water-zgh"].pk],
        user=analyst,
        title_fr="L'eau en français",
    )
    entries = [
        diagnosis_entry_create(
            consultation=corpus.consultation,
            user=analyst,
            dimension=dimension,
            statement_ar=statement,
            finding_ids=[finding.pk],
        )
        for dimension, statement, finding in (
            ("challenge", "الماء مقطوع", water),
            ("proposal", "طبيب ومدرسة", doctor),
            ("challenge", "الماء بالفرنسية", split),
        )
    ]
    diagnosis_publish(consultation=corpus.consultation, user=analyst)
    return {
        "run": run,
        "water": water,
        "doctor": doctor,
        "school": school,
        "jobs": jobs,
        "split": split,
        "entries": entries,
    }


def test_every_curation_event_survives_a_new_run_or_is_listed(
    corpus: Corpus, analyst: Any, curated: dict[str, Any]
) -> None:
    before = set(curated["run"].curation_events.values_list("pk", flat=True))
    assert len(before) == 5
    contributions_add(corpus)

    new = run_now(corpus)

    assert SynthesisRun.objects.current_for(corpus.consultation) == new
    carried, listed = accounted(new)
    assert before <= carried | listed
    # The earlier run's events are untouched.
    assert set(curated["run"].curation_events.values_list("pk", flat=True)) == before
    water = new.findings.get(key=curated["water"].key)
    assert (water.title_override_ar, water.title_override_fr) == ("الماء المقطوع", "L'eau coupée")
    assert water.status == Finding.Status.ACCEPTED
    assert new.findings.get(key=curated["jobs"].key).status == Finding.Status.REJECTED
    school = new.findings.get(key=curated["school"].key)
    doctor = new.findings.get(key=curated["doctor"].key)
    assert (school.status, school.merged_into) == (Finding.Status.MERGED, doctor)
    # The split-off Tifinagh text is apart again, with its title, or listed.
    split_successor = FindingContribution.objects.get(
        run=new, contribution=corpus.by_key["water-zgh"]
    ).finding
    if split_successor.pk != water.pk:
        assert split_successor.title_override_fr == "L'eau en français"
    else:
        assert new.carry_over_issues.filter(old_finding=curated["split"]).exists()
    # Carried events say what they replay, where from, and who acted first.
    for event in new.curation_events.filter(action=CurationEvent.Action.CARRIED):
        assert event.details["action"] in (
            "rename",
            "accept",
            "reject",
            "reset",
            "merge",
            "split",
            "status",
            "cite",
        )
        assert event.details["source"]["run"] == curated["run"].pk
    rename = new.curation_events.get(finding=water, details__action="rename")
    assert rename.actor == analyst
    assert rename.details["source"]["finding"] == curated["water"].key


def test_written_entries_cite_the_successors_and_the_diagnosis_publishes_again(
    corpus: Corpus, analyst: Any, curated: dict[str, Any]
) -> None:
    contributions_add(corpus)

    new = run_now(corpus)

    for issue in new.carry_over_issues.filter(resolution=""):
        candidates = issue.details["candidates"]
        if candidates:
            carry_over_issue_resolve(
                issue=issue, user=analyst, successor=Finding.objects.get(pk=candidates[0]["id"])
            )
        else:
            carry_over_issue_resolve(issue=issue, user=analyst, dismiss=True)
    for entry in DiagnosisEntry.objects.filter(pk__in=[e.pk for e in curated["entries"]]):
        assert {f.run_id for f in entry.findings.all()} == {new.pk}
    publication = diagnosis_publish(consultation=corpus.consultation, user=analyst)
    assert publication.version == 2
    keys = {f["key"] for e in publication.snapshot["entries"] for f in e["findings"]}
    assert curated["water"].key in keys
    assert {f["run"] for e in publication.snapshot["entries"] for f in e["findings"]} == {new.pk}


def test_a_finding_that_vanished_is_listed_and_a_successor_can_be_picked(
    corpus: Corpus, analyst: Any, curated: dict[str, Any]
) -> None:
    # The library's id of the accepted finding is gone from the new run: it must be listed.
    run = curated["run"]
    result = dict(run.result)
    result["findings"] = [f for f in result["findings"] if f["id"] != curated["water"].key]
    SynthesisRun.objects.filter(pk=run.pk).update(result=result)
    Finding.objects.filter(pk=curated["water"].pk).update(key="F999")
    FindingContribution.objects.filter(finding=curated["water"]).delete()
    Finding.objects.filter(pk=curated["water"].pk).update(size=1)

    new = run_now(corpus)

    issues = new.carry_over_issues.filter(old_finding=curated["water"])
    kinds = set(issues.values_list("kind", flat=True))
    assert kinds == {CarryOverIssue.Kind.VANISHED, CarryOverIssue.Kind.ENTRY}
    carried, listed = accounted(new)
    assert set(run.curation_events.values_list("pk", flat=True)) <= carried | listed
    finding_issue = issues.get(kind=CarryOverIssue.Kind.VANISHED)
    successor = new.findings.exclude(status__in=["merged", "rejected"]).order_by("position")[0]

    carry_over_issue_resolve(issue=finding_issue, user=analyst, successor=successor)

    successor.refresh_from_db()
    assert (successor.title_override_ar, successor.status) == ("الماء المقطوع", "accepted")
    assert not new.carry_over_issues.filter(resolution="").filter(old_finding=curated["water"])
    entry = DiagnosisEntry.objects.get(pk=curated["entries"][0].pk)
    assert list(entry.findings.all()) == [successor]
    with pytest.raises(DomainError) as refused:
        carry_over_issue_resolve(issue=finding_issue, user=analyst, dismiss=True)
    assert refused.value.code == "carry_over_decided"


def test_open_decisions_stay_open_on_the_next_run(
    corpus: Corpus, analyst: Any, curated: dict[str, Any]
) -> None:
    Finding.objects.filter(pk=curated["jobs"].pk).update(key="F998")
    first = run_now(corpus)
    open_first = set(first.carry_over_issues.values_list("old_finding_id", "kind"))
    assert (curated["jobs"].pk, CarryOverIssue.Kind.VANISHED) in open_first or (
        first.findings.filter(status="rejected").exists()
    )

    second = run_now(corpus)

    assert set(second.carry_over_issues.values_list("old_finding_id", "kind")) >= {
        (i, k) for i, k in open_first
    }


def test_measures_still_follow_findings_through_the_new_run(
    corpus: Corpus, curated: dict[str, Any]
) -> None:
    """What a programme's measure cites (a finding of the earlier run) resolves to the new
    run's finding, merged ones to their target."""
    new = run_now(corpus)

    resolved = findings_resolve(findings=[curated["water"], curated["school"]])

    assert resolved[curated["water"].pk].shown == new.findings.get(key=curated["water"].key)
    assert resolved[curated["school"].pk].shown == new.findings.get(key=curated["doctor"].key)


def test_a_new_run_without_curation_carries_nothing(corpus: Corpus) -> None:
    run_now(corpus)

    new = run_now(corpus)

    assert not new.curation_events.exists()
    assert not new.carry_over_issues.exists()


def test_a_finding_whose_key_changed_is_found_by_its_contributions(
    corpus: Corpus, analyst: Any, curated: dict[str, Any]
) -> None:
    Finding.objects.filter(pk=curated["water"].pk).update(key="F999")

    new = run_now(corpus)

    successor = finding_of(new, corpus.by_key["water-fr"].pk)
    assert successor.key != "F999"
    assert (successor.title_override_fr, successor.status) == ("L'eau coupée", "accepted")
    assert not new.carry_over_issues.filter(old_finding=curated["water"]).exists()
