"""The findings a measure cites, resolved to what a reader should see now: after the analyst
merges or rejects findings, and after new synthesis runs replace them."""

import datetime as dt

import pytest

from tashawur.diagnosis.models import Finding, SynthesisRun
from tashawur.diagnosis.selectors import findings_resolve
from tashawur.programmes.selectors import measure_tree
from tests.consultations.factories import ConsultationFactory
from tests.programmes.factories import MeasureFactory, ProgrammeFactory, finding_in, run_make

pytestmark = pytest.mark.django_db

TODAY = dt.date(2021, 6, 15)
MARCH = dt.datetime(2021, 3, 1, 10, tzinfo=dt.UTC)
MAY = dt.datetime(2021, 5, 1, 10, tzinfo=dt.UTC)
JUNE = dt.datetime(2021, 6, 1, 10, tzinfo=dt.UTC)


def resolve(finding):
    finding = Finding.objects.select_related("run").get(pk=finding.pk)
    return findings_resolve(findings=[finding])[finding.pk]


def test_a_finding_of_the_current_run_shows_as_cited():
    finding = finding_in(run_make(ConsultationFactory(), finished_at=MARCH), "F1")

    resolved = resolve(finding)

    assert (resolved.shown, resolved.from_earlier_run, resolved.set_aside) == (
        finding,
        False,
        False,
    )


def test_a_merged_finding_shows_as_the_end_of_its_merge_chain():
    run = run_make(ConsultationFactory(), finished_at=MARCH)
    end = finding_in(run, "F1", status=Finding.Status.ACCEPTED)
    middle = finding_in(run, "F2", status=Finding.Status.MERGED, merged_into=end)
    cited = finding_in(run, "F3", status=Finding.Status.MERGED, merged_into=middle)

    resolved = resolve(cited)

    assert (resolved.shown, resolved.cited, resolved.from_earlier_run) == (end, (cited,), False)


def test_a_newer_run_with_the_same_key_shows_its_finding():
    consultation = ConsultationFactory()
    cited = finding_in(run_make(consultation, finished_at=MARCH), "F3")
    newer = finding_in(run_make(consultation, finished_at=MAY), "F3")

    resolved = resolve(cited)

    assert (resolved.shown, resolved.from_earlier_run) == (newer, False)
    assert resolved.cited == (cited,)


def test_the_merge_chain_is_followed_in_the_newer_run_too():
    consultation = ConsultationFactory()
    cited = finding_in(run_make(consultation, finished_at=MARCH), "F3")
    run = run_make(consultation, finished_at=MAY)
    target = finding_in(run, "F1")
    finding_in(run, "F3", status=Finding.Status.MERGED, merged_into=target)

    assert resolve(cited).shown == target


def test_the_latest_successful_run_is_the_one_that_counts():
    consultation = ConsultationFactory()
    cited = finding_in(run_make(consultation, finished_at=MARCH), "F3")
    finding_in(run_make(consultation, finished_at=MAY), "F3")
    latest = finding_in(run_make(consultation, finished_at=JUNE), "F3")
    SynthesisRun.objects.create(  # a failed run after it changes nothing
        consultation=consultation,
        status=SynthesisRun.Status.FAILED,
        started_at=JUNE,
        finished_at=JUNE + dt.timedelta(days=1),
        error_code="engine_failed",
    )

    assert resolve(cited).shown == latest


def test_a_key_gone_from_the_newer_run_shows_the_cited_finding_from_an_earlier_run():
    consultation = ConsultationFactory()
    cited = finding_in(run_make(consultation, finished_at=MARCH), "F3")
    finding_in(run_make(consultation, finished_at=MAY), "F1")

    resolved = resolve(cited)

    assert (resolved.shown, resolved.from_earlier_run) == (cited, True)
    assert resolved.run_finished_at == MARCH


def test_a_key_gone_from_the_newer_run_tries_the_key_it_was_merged_into():
    consultation = ConsultationFactory()
    run = run_make(consultation, finished_at=MARCH)
    target = finding_in(run, "F1")
    cited = finding_in(run, "F3", status=Finding.Status.MERGED, merged_into=target)
    newer = finding_in(run_make(consultation, finished_at=MAY), "F1")

    assert (resolve(cited).shown, resolve(cited).from_earlier_run) == (newer, False)


def test_a_merged_finding_whose_idea_is_gone_shows_its_merge_target_from_an_earlier_run():
    consultation = ConsultationFactory()
    run = run_make(consultation, finished_at=MARCH)
    target = finding_in(run, "F1")
    cited = finding_in(run, "F3", status=Finding.Status.MERGED, merged_into=target)
    finding_in(run_make(consultation, finished_at=MAY), "F9")

    resolved = resolve(cited)

    assert (resolved.shown, resolved.from_earlier_run) == (target, True)


def test_a_rejected_finding_still_shows_marked_as_set_aside():
    # The measure's authors cited it: the reader sees that the analyst set it aside since,
    # rather than the citation disappearing.
    cited = finding_in(
        run_make(ConsultationFactory(), finished_at=MARCH), "F2", status=Finding.Status.REJECTED
    )

    resolved = resolve(cited)

    assert (resolved.shown, resolved.set_aside, resolved.from_earlier_run) == (cited, True, False)


def test_a_finding_rejected_in_the_newer_run_shows_that_one_set_aside():
    consultation = ConsultationFactory()
    cited = finding_in(run_make(consultation, finished_at=MARCH), "F2")
    newer = finding_in(
        run_make(consultation, finished_at=MAY), "F2", status=Finding.Status.REJECTED
    )

    resolved = resolve(cited)

    assert (resolved.shown, resolved.set_aside) == (newer, True)


def test_resolution_never_rewrites_the_citation():
    programme = ProgrammeFactory()
    cited = finding_in(run_make(programme.consultation, finished_at=MARCH), "F3")
    measure = MeasureFactory(programme=programme)
    measure.findings.add(cited)
    newer = finding_in(run_make(programme.consultation, finished_at=MAY), "F3")

    roots, _total = measure_tree(programme=programme, today=TODAY)

    assert [r.shown for r in roots[0].findings] == [newer]
    assert list(measure.findings.all()) == [cited]


def test_two_cited_findings_merged_into_one_show_once_citing_both():
    programme = ProgrammeFactory()
    run = run_make(programme.consultation, finished_at=MARCH)
    target = finding_in(run, "F1")
    merged = finding_in(run, "F2", status=Finding.Status.MERGED, merged_into=target)
    other = finding_in(run, "F3")
    measure = MeasureFactory(programme=programme)
    measure.findings.add(target, merged, other)

    roots, _total = measure_tree(programme=programme, today=TODAY)

    assert [(r.shown, set(r.cited)) for r in roots[0].findings] == [
        (target, {target, merged}),
        (other, {other}),
    ]


def _cite_many(programme, n):
    """``n`` axes, each citing a merged finding, a finding whose key the newest run keeps and
    one whose key it lost; each round adds a newer run."""
    consultation = programme.consultation
    old = run_make(consultation, finished_at=MARCH + dt.timedelta(days=n))
    target = finding_in(old, f"A{n}")
    merged = finding_in(old, f"B{n}", status=Finding.Status.MERGED, merged_into=target)
    kept = finding_in(old, f"C{n}")
    lost = finding_in(old, f"D{n}")
    measure = MeasureFactory(programme=programme, code=str(n))
    measure.findings.add(merged, kept, lost)
    newest = run_make(consultation, finished_at=JUNE + dt.timedelta(days=n))
    for k in range(1, n + 1):
        finding_in(newest, f"C{k}")


def test_resolving_takes_the_same_queries_whatever_the_size(django_assert_num_queries):
    programme = ProgrammeFactory()
    _cite_many(programme, 1)
    with django_assert_num_queries(7):  # with the measures' indicators (none here)
        small, _total = measure_tree(programme=programme, today=TODAY)
    for n in range(2, 6):
        _cite_many(programme, n)
    with django_assert_num_queries(7):
        large, _total = measure_tree(programme=programme, today=TODAY)
        shown = [(r.shown.label, r.from_earlier_run) for root in large for r in root.findings]
    assert len(shown) == 3 * 5
    assert sum(earlier for _label, earlier in shown) == 2 * 5  # the merged and the lost ones
    newest = SynthesisRun.objects.order_by("-finished_at").first()
    assert {r.shown.run_id for root in large for r in root.findings if not r.from_earlier_run} == {
        newest.pk
    }
    assert len(small[0].findings) == 3
