"""The analyst's curation of a run's findings (services): rename, accept or reject, merge, split.

Refusals are asserted with their exact Arabic message, the language the project speaks first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import translation

from tashawur.core.errors import DomainError
from tashawur.diagnosis.models import CurationEvent, Finding, FindingContribution, SynthesisRun
from tashawur.diagnosis.pages import diagnosis_page
from tashawur.diagnosis.services import (
    QUOTES_MAX,
    TITLE_MAX_LENGTH,
    finding_rename,
    finding_split,
    finding_status_set,
    findings_merge,
)
from tests.actors.factories import UserFactory
from tests.consultations.factories import analyst_of

from .conftest import Corpus, corpus_build, run_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(corpus: Corpus) -> Any:
    return analyst_of(corpus.consultation)


def finding_of(run: SynthesisRun, contribution_id: int) -> Finding:
    return FindingContribution.objects.get(run=run, contribution_id=contribution_id).finding


def two_member_finding(run: SynthesisRun) -> Finding:
    """A finding with at least two members (the corpus gives some)."""
    for finding in run.findings.order_by("position"):
        if finding.citations.filter(duplicate_of__isnull=True).count() >= 2:
            return finding
    raise AssertionError("the corpus should give a finding with two members")


def assert_partition(run: SynthesisRun, corpus: Corpus) -> None:
    """Every contribution of the run is cited exactly once, by a finding that is not merged, and
    every finding's counts are those of what it cites."""
    citations = list(FindingContribution.objects.filter(run=run).select_related("finding"))
    cited = Counter(c.contribution_id for c in citations)
    assert set(cited) == corpus.published
    assert set(cited.values()) == {1}
    assert all(c.finding.status != Finding.Status.MERGED for c in citations)
    for finding in run.findings.exclude(status=Finding.Status.MERGED):
        rows = [c for c in citations if c.finding_id == finding.pk]
        assert finding.size == len(rows)
        assert finding.duplicate_count == sum(1 for c in rows if c.duplicate_of_id)
        assert sum(finding.dimension_counts.values()) == finding.size
        quotes = sorted(c.rank for c in rows if c.is_representative)
        assert quotes == list(range(1, len(quotes) + 1))
        assert all(c.duplicate_of_id is None for c in rows if c.is_representative)


def assert_refused(code: str, message: str, call: Callable[..., Any], **kwargs: Any) -> DomainError:
    with translation.override("ar"), pytest.raises(DomainError) as raised:
        call(**kwargs)
    assert raised.value.code == code
    assert raised.value.message == message
    return raised.value


# -- rename -------------------------------------------------------------------------------------


def test_rename_sets_both_titles_cleaned_and_records_who_and_what(
    run: SynthesisRun, analyst: Any
) -> None:
    finding = run.findings.order_by("position").first()

    renamed = finding_rename(
        finding=finding, user=analyst, title_ar="  الولوج   إلى الماء ", title_fr="Accès à l'eau\n"
    )

    renamed.refresh_from_db()
    assert (renamed.title_override_ar, renamed.title_override_fr) == (
        "الولوج إلى الماء",
        "Accès à l'eau",
    )
    with translation.override("ar"):
        assert renamed.label == "الولوج إلى الماء"
    with translation.override("fr"):
        assert renamed.label == "Accès à l'eau"
    event = CurationEvent.objects.get()
    assert (event.run, event.finding, event.action, event.actor) == (
        run,
        renamed,
        "rename",
        analyst,
    )
    assert event.details == {
        "before": {"ar": "", "fr": ""},
        "after": {"ar": "الولوج إلى الماء", "fr": "Accès à l'eau"},
    }


def test_rename_of_one_language_keeps_the_other(run: SynthesisRun, analyst: Any) -> None:
    finding = run.findings.order_by("position").first()
    finding_rename(finding=finding, user=analyst, title_ar="عنوان", title_fr="Titre")

    finding_rename(finding=finding, user=analyst, title_ar="عنوان جديد")

    finding.refresh_from_db()
    assert (finding.title_override_ar, finding.title_override_fr) == ("عنوان جديد", "Titre")


def test_rename_to_empty_titles_shows_the_computed_label_again(
    run: SynthesisRun, analyst: Any
) -> None:
    finding = run.findings.order_by("position").first()
    finding_rename(finding=finding, user=analyst, title_ar="عنوان", title_fr="Titre")

    finding_rename(finding=finding, user=analyst, title_ar="   ", title_fr="")

    finding.refresh_from_db()
    with translation.override("fr"):
        assert finding.label == (finding.label_fr or finding.label_ar or finding.key)


def test_rename_to_the_same_titles_records_nothing(run: SynthesisRun, analyst: Any) -> None:
    finding = run.findings.order_by("position").first()
    finding_rename(finding=finding, user=analyst, title_ar="عنوان", title_fr="")

    finding_rename(finding=finding, user=analyst, title_ar="عنوان ", title_fr="")

    assert CurationEvent.objects.count() == 1


@pytest.mark.parametrize("field", ["title_ar", "title_fr"])
def test_rename_refuses_bidi_controls(run: SynthesisRun, analyst: Any, field: str) -> None:
    finding = run.findings.order_by("position").first()

    error = assert_refused(
        "title_bidi_controls",
        "يحتوي العنوان على رموز خفية للتحكم في اتجاه الكتابة (مثل U+202E) قد تخفي ما يقوله؛ "
        "احذفها وأرسله مرة أخرى.",
        finding_rename,
        finding=finding,
        user=analyst,
        **{field: "الماء \u202eرطب"},
    )

    assert error.field == field
    finding.refresh_from_db()
    assert (finding.title_override_ar, finding.title_override_fr) == ("", "")
    assert CurationEvent.objects.count() == 0


def test_rename_refuses_a_title_too_long(run: SynthesisRun, analyst: Any) -> None:
    finding = run.findings.order_by("position").first()

    error = assert_refused(
        "title_too_long",
        f"العنوان طويل جدًا: {TITLE_MAX_LENGTH + 1} حرف، والحد الأقصى {TITLE_MAX_LENGTH}.",
        finding_rename,
        finding=finding,
        user=analyst,
        title_fr="é" * (TITLE_MAX_LENGTH + 1),
    )

    assert error.field == "title_fr"


def test_rename_keeps_a_title_of_the_longest_length(run: SynthesisRun, analyst: Any) -> None:
    finding = run.findings.order_by("position").first()

    finding_rename(finding=finding, user=analyst, title_fr="é" * TITLE_MAX_LENGTH)

    finding.refresh_from_db()
    assert len(finding.title_override_fr) == TITLE_MAX_LENGTH


def test_rename_refuses_a_merged_finding(run: SynthesisRun, analyst: Any) -> None:
    first, second = run.findings.order_by("position")[:2]
    findings_merge(target=first, sources=[second], user=analyst)

    assert_refused(
        "finding_merged",
        "دُمجت هذه الخلاصة في خلاصة أخرى: نقّح تلك الخلاصة بدلًا منها.",
        finding_rename,
        finding=second,
        user=analyst,
        title_ar="عنوان",
    )


@pytest.mark.parametrize("role", ["participant", "facilitator", "rapporteur", None])
def test_rename_refuses_who_may_not_run_the_synthesis(run: SynthesisRun, role: str | None) -> None:
    user = AnonymousUser() if role is None else UserFactory(role=role)
    finding = run.findings.order_by("position").first()

    assert_refused(
        "curation_not_allowed",
        "لا يحق لك تنقيح خلاصات هذا التشاور.",
        finding_rename,
        finding=finding,
        user=user,
        title_ar="عنوان",
    )
    finding.refresh_from_db()
    assert finding.title_override_ar == ""


def test_a_regional_coordinator_curates_their_own_consultation_only(
    corpus: Corpus, run: SynthesisRun
) -> None:
    own, other = UserFactory(role="regional_coordinator"), UserFactory(role="regional_coordinator")
    corpus.consultation.coordinators.add(own)
    finding = run.findings.order_by("position").first()

    finding_status_set(finding=finding, user=own, status="accepted")
    with pytest.raises(DomainError) as raised:
        finding_status_set(finding=finding, user=other, status="rejected")

    assert raised.value.code == "curation_not_allowed"
    finding.refresh_from_db()
    assert finding.status == "accepted"


def test_findings_of_an_earlier_run_are_not_curated(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    run_now(corpus)
    old = run.findings.order_by("position").first()

    assert_refused(
        "finding_run_superseded",
        "تنتمي هذه الخلاصة إلى عملية توليف سابقة؛ لا يمكن تنقيح إلا خلاصات آخر عملية، "
        "وهي التي يعرضها التشخيص.",
        finding_status_set,
        finding=old,
        user=analyst,
        status="accepted",
    )


# -- accept, reject, reset ----------------------------------------------------------------------


@pytest.mark.parametrize(("status", "action"), [("accepted", "accept"), ("rejected", "reject")])
def test_status_set_records_the_decision(
    run: SynthesisRun, analyst: Any, status: str, action: str
) -> None:
    finding = run.findings.order_by("position").first()

    finding_status_set(finding=finding, user=analyst, status=status)

    finding.refresh_from_db()
    assert finding.status == status
    event = CurationEvent.objects.get()
    assert (event.action, event.actor, event.details) == (
        action,
        analyst,
        {"before": "proposed", "after": status},
    )


def test_reset_sets_a_finding_back_to_proposed(run: SynthesisRun, analyst: Any) -> None:
    finding = run.findings.order_by("position").first()
    finding_status_set(finding=finding, user=analyst, status="rejected")

    finding_status_set(finding=finding, user=analyst, status="proposed")

    finding.refresh_from_db()
    assert finding.status == "proposed"
    assert list(CurationEvent.objects.order_by("pk").values_list("action", flat=True)) == [
        "reject",
        "reset",
    ]


def test_accepting_twice_records_once(run: SynthesisRun, analyst: Any) -> None:
    finding = run.findings.order_by("position").first()

    finding_status_set(finding=finding, user=analyst, status="accepted")
    finding_status_set(finding=finding, user=analyst, status="accepted")

    assert CurationEvent.objects.count() == 1


@pytest.mark.parametrize("status", ["merged", "published", ""])
def test_status_set_refuses_other_statuses(run: SynthesisRun, analyst: Any, status: str) -> None:
    finding = run.findings.order_by("position").first()

    error = assert_refused(
        "status_invalid",
        "اختر القبول أو الرفض أو الإرجاع إلى مقترحة.",
        finding_status_set,
        finding=finding,
        user=analyst,
        status=status,
    )

    assert error.field == "status"
    finding.refresh_from_db()
    assert finding.status == "proposed"


def test_status_set_refuses_a_merged_finding(run: SynthesisRun, analyst: Any) -> None:
    first, second = run.findings.order_by("position")[:2]
    findings_merge(target=first, sources=[second], user=analyst)

    assert_refused(
        "finding_merged",
        "دُمجت هذه الخلاصة في خلاصة أخرى: نقّح تلك الخلاصة بدلًا منها.",
        finding_status_set,
        finding=second,
        user=analyst,
        status="accepted",
    )


def test_rejected_findings_leave_the_public_diagnosis(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    finding = run.findings.order_by("position").first()

    finding_status_set(finding=finding, user=analyst, status="rejected")

    public = diagnosis_page(slug=corpus.consultation.slug, user=AnonymousUser())
    shown = {item.finding.pk for s in public.sections for item in s.findings}
    assert finding.pk not in shown
    assert public.set_aside == []
    curated = diagnosis_page(slug=corpus.consultation.slug, user=analyst)
    assert [f.pk for f in curated.set_aside] == [finding.pk]


# -- merge --------------------------------------------------------------------------------------


def test_merge_moves_every_citation_to_the_target_exactly_once(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    target = finding_of(run, corpus.by_key["school-ar"].pk)
    sources = [
        finding_of(run, corpus.by_key[key].pk)
        for key in ("water-ar", "doctor-fr")
        if finding_of(run, corpus.by_key[key].pk) != target
    ]
    expected = {
        c for f in [target, *sources] for c in f.citations.values_list("contribution_id", flat=True)
    }
    sizes = sum(f.size for f in [target, *sources])
    duplicates = sum(f.duplicate_count for f in [target, *sources])

    merged = findings_merge(target=target, sources=sources, user=analyst)

    assert set(merged.citations.values_list("contribution_id", flat=True)) == expected
    merged.refresh_from_db()
    assert (merged.size, merged.duplicate_count) == (sizes, duplicates)
    assert merged.dimension_counts == dict(
        Counter(c.contribution.dimension for c in merged.citations.select_related("contribution"))
    )
    for source in sources:
        source.refresh_from_db()
        assert (source.status, source.merged_into) == ("merged", merged)
        assert not source.citations.exists()
    assert_partition(run, corpus)
    event = CurationEvent.objects.get()
    assert (event.action, event.finding, event.actor) == ("merge", merged, analyst)
    assert event.details["merged"] == [s.key for s in sorted(sources, key=lambda f: f.position)]
    assert event.details["contributions_moved"] == sizes - target.size


def test_merge_keeps_the_targets_quotes_first_and_quotes_only_members(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    first, second, third = run.findings.order_by("position")[:3]
    first_quotes = list(
        first.citations.filter(is_representative=True)
        .order_by("rank")
        .values_list("contribution_id", flat=True)
    )

    findings_merge(target=first, sources=[second, third], user=analyst)

    quotes = list(
        first.citations.filter(is_representative=True)
        .order_by("rank")
        .values_list("contribution_id", flat=True)
    )
    assert quotes[: len(first_quotes)] == first_quotes
    assert len(quotes) == min(QUOTES_MAX, first.citations.filter(duplicate_of=None).count())
    assert_partition(run, corpus)


def test_merged_findings_leave_the_diagnosis_lists(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    first, second = run.findings.order_by("position")[:2]

    findings_merge(target=first, sources=[second], user=analyst)

    diagnosis = diagnosis_page(
        slug=corpus.consultation.slug, user=analyst, dimension=second.dimension
    )
    shown = {item.finding.pk for s in diagnosis.sections for item in s.findings}
    assert first.pk in shown
    assert second.pk not in shown
    assert second.pk not in {f.pk for f in diagnosis.set_aside}


def test_a_finding_merged_into_a_merged_one_names_the_last_target(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    first, second, third = run.findings.order_by("position")[:3]
    findings_merge(target=second, sources=[third], user=analyst)

    findings_merge(target=first, sources=[second], user=analyst)

    third.refresh_from_db()
    assert third.merged_into == first
    assert_partition(run, corpus)


def test_merge_refuses_a_finding_into_itself(run: SynthesisRun, analyst: Any) -> None:
    first = run.findings.order_by("position").first()

    error = assert_refused(
        "merge_into_itself",
        "لا يمكن دمج خلاصة في نفسها.",
        findings_merge,
        target=first,
        sources=[first],
        user=analyst,
    )

    assert error.field == "target"
    assert CurationEvent.objects.count() == 0


def test_merge_refuses_nothing_to_merge(run: SynthesisRun, analyst: Any) -> None:
    assert_refused(
        "merge_nothing",
        "اختر خلاصة واحدة على الأقل لدمجها.",
        findings_merge,
        target=run.findings.first(),
        sources=[],
        user=analyst,
    )


def test_merge_refuses_findings_of_another_run(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    newer = run_now(corpus)
    old = run.findings.order_by("position").first()

    assert_refused(
        "merge_across_runs",
        "لا يمكن دمج إلا خلاصات عملية التوليف نفسها.",
        findings_merge,
        target=newer.findings.order_by("position").first(),
        sources=[old],
        user=analyst,
    )
    old.refresh_from_db()
    assert old.status == "proposed"


def test_merge_refuses_findings_of_another_consultation(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    other = run_now(corpus_build())

    assert_refused(
        "merge_across_runs",
        "لا يمكن دمج إلا خلاصات عملية التوليف نفسها.",
        findings_merge,
        target=run.findings.order_by("position").first(),
        sources=[other.findings.order_by("position").first()],
        user=analyst,
    )
    assert FindingContribution.objects.filter(run=other).count() == other.contributions_count


def test_merge_refuses_a_finding_already_merged(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    first, second, third = run.findings.order_by("position")[:3]
    findings_merge(target=first, sources=[second], user=analyst)

    error = assert_refused(
        "finding_merged",
        "دُمجت هذه الخلاصة في خلاصة أخرى: نقّح تلك الخلاصة بدلًا منها.",
        findings_merge,
        target=third,
        sources=[second],
        user=analyst,
    )

    assert error.field == "sources"
    assert_partition(run, corpus)


@pytest.mark.parametrize("hidden", ["rejected", "merged"])
def test_merge_refuses_a_target_hidden_from_the_diagnosis(
    run: SynthesisRun, analyst: Any, hidden: str
) -> None:
    first, second, third = run.findings.order_by("position")[:3]
    if hidden == "rejected":
        finding_status_set(finding=first, user=analyst, status="rejected")
    else:
        findings_merge(target=third, sources=[first], user=analyst)

    assert_refused(
        "merge_target_hidden",
        "يجب أن تكون الخلاصة التي يُدمج فيها معروضة في التشخيص: غير مدمجة وغير مرفوضة.",
        findings_merge,
        target=first,
        sources=[second],
        user=analyst,
    )


def test_merge_refuses_a_participant(run: SynthesisRun) -> None:
    first, second = run.findings.order_by("position")[:2]

    assert_refused(
        "curation_not_allowed",
        "لا يحق لك تنقيح خلاصات هذا التشاور.",
        findings_merge,
        target=first,
        sources=[second],
        user=UserFactory(role="participant"),
    )
    second.refresh_from_db()
    assert second.status == "proposed"


# -- split --------------------------------------------------------------------------------------


def test_split_moves_the_chosen_members_with_their_duplicates_into_a_new_finding(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    # A finding with the copy, its original and another member: merge the copy's into another.
    water = finding_of(run, corpus.copy.pk)
    other = next(f for f in run.findings.order_by("position") if f != water)
    findings_merge(target=other, sources=[water], user=analyst)
    source = finding_of(run, corpus.copy.pk)
    original = FindingContribution.objects.get(run=run, contribution=corpus.copy).duplicate_of_id
    assert original is not None
    members_before = set(
        source.citations.filter(duplicate_of=None).values_list("contribution_id", flat=True)
    )
    last_position = run.findings.order_by("-position").first().position

    new = finding_split(
        finding=source, contribution_ids=[original], user=analyst, title_ar="الماء الصالح للشرب"
    )

    new.refresh_from_db()
    source.refresh_from_db()
    assert set(new.citations.values_list("contribution_id", flat=True)) == {
        original,
        corpus.copy.pk,
    }
    assert (new.size, new.duplicate_count) == (2, 1)
    assert new.position == last_position + 1
    assert new.key == f"{source.key}-1"
    assert (new.run, new.status, new.title_override_ar) == (run, "proposed", "الماء الصالح للشرب")
    assert set(
        source.citations.filter(duplicate_of=None).values_list("contribution_id", flat=True)
    ) == members_before - {original}
    assert_partition(run, corpus)
    event = CurationEvent.objects.get(action="split")
    assert (event.finding, event.actor) == (source, analyst)
    assert event.details["new_finding"] == new.key
    assert event.details["contributions"] == [original]


def test_split_quotes_are_real_member_texts_of_each_part(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    first, second, third = run.findings.order_by("position")[:3]
    findings_merge(target=first, sources=[second, third], user=analyst)
    members = list(first.citations.filter(duplicate_of=None).order_by("contribution_id"))
    moving = [members[-1].contribution_id, members[-2].contribution_id]

    new = finding_split(finding=first, contribution_ids=moving, user=analyst, title_fr="Autre")

    for part in (new, first):
        quotes = part.citations.filter(is_representative=True).select_related("contribution")
        assert quotes.exists()
        part_members = set(
            part.citations.filter(duplicate_of=None).values_list("contribution_id", flat=True)
        )
        for quote in quotes:
            assert quote.contribution_id in part_members
            assert (
                quote.contribution.text
                == type(quote.contribution).objects.get(pk=quote.contribution_id).text
            )
    assert_partition(run, corpus)


def test_split_keys_never_collide(corpus: Corpus, run: SynthesisRun, analyst: Any) -> None:
    first, second, third = run.findings.order_by("position")[:3]
    findings_merge(target=first, sources=[second, third], user=analyst)
    members = list(
        first.citations.filter(duplicate_of=None).values_list("contribution_id", flat=True)
    )

    one = finding_split(finding=first, contribution_ids=[members[0]], user=analyst, title_fr="Un")
    two = finding_split(finding=first, contribution_ids=[members[1]], user=analyst, title_fr="Deux")

    assert (one.key, two.key) == (f"{first.key}-1", f"{first.key}-2")
    assert two.position == one.position + 1
    assert_partition(run, corpus)


def test_split_refuses_an_empty_choice(run: SynthesisRun, analyst: Any) -> None:
    finding = two_member_finding(run)

    error = assert_refused(
        "split_nothing_chosen",
        "اختر المساهمات التي تشكّل الخلاصة الجديدة.",
        finding_split,
        finding=finding,
        contribution_ids=[],
        user=analyst,
        title_ar="عنوان",
    )

    assert error.field == "contributions"


def test_split_refuses_taking_every_member(corpus: Corpus, run: SynthesisRun, analyst: Any) -> None:
    finding = two_member_finding(run)
    members = list(
        finding.citations.filter(duplicate_of=None).values_list("contribution_id", flat=True)
    )

    assert_refused(
        "split_all_members",
        "اترك مساهمة واحدة على الأقل في هذه الخلاصة: لا يمكن للتقسيم أن يأخذها كلها.",
        finding_split,
        finding=finding,
        contribution_ids=members,
        user=analyst,
        title_ar="عنوان",
    )
    assert run.findings.count() == len(run.result["findings"])
    assert_partition(run, corpus)


def test_split_refuses_contributions_that_are_not_its_members(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    finding = two_member_finding(run)
    stranger = next(
        c for c in corpus.published if not finding.citations.filter(contribution_id=c).exists()
    )

    assert_refused(
        "split_not_members",
        f"المساهمة رقم {stranger} ليست من مساهمات هذه الخلاصة.",
        finding_split,
        finding=finding,
        contribution_ids=[stranger],
        user=analyst,
        title_ar="عنوان",
    )


def test_split_refuses_a_duplicate_chosen_apart_from_its_member(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    source = finding_of(run, corpus.copy.pk)
    other = next(f for f in run.findings.order_by("position") if f != source)
    findings_merge(target=source, sources=[other], user=analyst)

    with pytest.raises(DomainError) as raised:
        finding_split(
            finding=source, contribution_ids=[corpus.copy.pk], user=analyst, title_ar="عنوان"
        )

    assert raised.value.code == "split_not_members"


def test_split_requires_a_title_for_the_new_finding(run: SynthesisRun, analyst: Any) -> None:
    finding = two_member_finding(run)
    member = finding.citations.filter(duplicate_of=None).first().contribution_id

    error = assert_refused(
        "split_title_missing",
        "أعطِ الخلاصة الجديدة عنوانًا بالعربية أو بالفرنسية.",
        finding_split,
        finding=finding,
        contribution_ids=[member],
        user=analyst,
        title_ar=" ",
    )

    assert error.field == "title_ar"


def test_split_refuses_a_merged_finding(run: SynthesisRun, analyst: Any) -> None:
    finding = two_member_finding(run)
    target = next(f for f in run.findings.order_by("position") if f != finding)
    member = finding.citations.filter(duplicate_of=None).first().contribution_id
    findings_merge(target=target, sources=[finding], user=analyst)

    assert_refused(
        "finding_merged",
        "دُمجت هذه الخلاصة في خلاصة أخرى: نقّح تلك الخلاصة بدلًا منها.",
        finding_split,
        finding=finding,
        contribution_ids=[member],
        user=analyst,
        title_ar="عنوان",
    )
