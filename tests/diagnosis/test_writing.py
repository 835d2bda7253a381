"""The analyst writes and publishes the diagnosis (services): entries that name their sources,
proposed from accepted findings, published as immutable versions.

Refusals are asserted with their exact Arabic message, the language the project speaks first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import translation

from tashawur.contributions.models import ModerationStatus
from tashawur.core.errors import DomainError
from tashawur.diagnosis.models import (
    Diagnosis,
    DiagnosisEntry,
    DiagnosisPublication,
    Finding,
    FindingContribution,
    SynthesisRun,
)
from tashawur.diagnosis.services import (
    STATEMENT_MAX_LENGTH,
    diagnosis_entries_propose,
    diagnosis_entry_create,
    diagnosis_entry_delete,
    diagnosis_entry_move,
    diagnosis_entry_update,
    diagnosis_publish,
    finding_rename,
    finding_status_set,
    findings_merge,
)
from tests.actors.factories import UserFactory
from tests.consultations.factories import ConsultationFactory, analyst_of
from tests.contributions.factories import ContributionFactory

from .conftest import Corpus, corpus_build, run_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(corpus: Corpus) -> Any:
    return analyst_of(corpus.consultation)


def first_two(run: SynthesisRun) -> tuple[Finding, Finding]:
    first, second = run.findings.order_by("position")[:2]
    return first, second


def assert_refused(code: str, message: str, call: Callable[..., Any], **kwargs: Any) -> DomainError:
    with translation.override("ar"), pytest.raises(DomainError) as raised:
        call(**kwargs)
    assert raised.value.code == code
    assert raised.value.message == message
    return raised.value


def entry_add(corpus: Corpus, user: Any, **kwargs: Any) -> DiagnosisEntry:
    fields: dict[str, Any] = {"dimension": "challenge", "statement_ar": "نص"}
    fields.update(kwargs)
    return diagnosis_entry_create(consultation=corpus.consultation, user=user, **fields)


# -- create -------------------------------------------------------------------------------------


def test_create_stores_the_entry_with_its_sources_cleaned_and_at_the_end(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    first, second = first_two(run)
    water = corpus.by_key["water-ar"]
    earlier = entry_add(corpus, analyst, finding_ids=[second.pk])

    entry = entry_add(
        corpus,
        analyst,
        statement_ar="  ندرة   الماء في الواحات ",
        statement_fr="La rareté de l'eau",
        finding_ids=[first.pk, first.pk],
        contribution_ids=[water.pk],
    )

    entry.refresh_from_db()
    assert entry.statement_ar == "ندرة الماء في الواحات"
    assert entry.statement_fr == "La rareté de l'eau"
    assert list(entry.findings.all()) == [first]
    assert list(entry.contributions.all()) == [water]
    assert (earlier.position, entry.position) == (1, 2)
    diagnosis = Diagnosis.objects.get(consultation=corpus.consultation)
    assert (diagnosis.status, diagnosis.version) == ("draft", 0)


def test_create_refuses_an_entry_without_sources(corpus: Corpus, run: SynthesisRun, analyst: Any):
    error = assert_refused(
        "entry_no_source",
        "يجب أن يذكر كل بند من بنود التشخيص مصدرًا واحدًا على الأقل: خلاصة أو مساهمة.",
        entry_add,
        corpus=corpus,
        user=analyst,
    )

    assert error.field == "findings"
    assert DiagnosisEntry.objects.count() == 0


def test_create_refuses_an_entry_without_a_statement(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    error = assert_refused(
        "entry_statement_missing",
        "اكتب النص بالعربية أو بالفرنسية.",
        entry_add,
        corpus=corpus,
        user=analyst,
        statement_ar="  ",
        statement_fr="",
        finding_ids=[first_two(run)[0].pk],
    )

    assert error.field == "statement_ar"
    assert DiagnosisEntry.objects.count() == 0


def test_create_refuses_a_dimension_outside_the_diagnosis(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    error = assert_refused(
        "entry_dimension_invalid",
        "اختر مؤهِّلًا أو خصوصية أو إكراهًا أو مقترحًا.",
        entry_add,
        corpus=corpus,
        user=analyst,
        dimension="question",
        finding_ids=[first_two(run)[0].pk],
    )

    assert error.field == "dimension"


def test_create_refuses_bidi_controls_and_a_statement_too_long(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    finding = first_two(run)[0]
    assert_refused(
        "text_bidi_controls",
        "يحتوي النص على رموز خفية للتحكم في اتجاه الكتابة (مثل U+202E) قد تُخفي مضمونه؛ "
        "احذفها وأعد الإرسال.",
        entry_add,
        corpus=corpus,
        user=analyst,
        statement_ar="الماء \u202eرطب",
        finding_ids=[finding.pk],
    )
    error = assert_refused(
        "text_too_long",
        f"النص طويل جدًا: {STATEMENT_MAX_LENGTH + 1} حرف، والحد الأقصى {STATEMENT_MAX_LENGTH}.",
        entry_add,
        corpus=corpus,
        user=analyst,
        statement_fr="é" * (STATEMENT_MAX_LENGTH + 1),
        finding_ids=[finding.pk],
    )

    assert error.field == "statement_fr"
    assert DiagnosisEntry.objects.count() == 0


def test_create_refuses_a_finding_of_another_consultation(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    other = corpus_build()
    other_finding = run_now(other).findings.first()

    error = assert_refused(
        "entry_finding_other_consultation",
        f"الخلاصة #{other_finding.pk} ليست من خلاصات هذا التشاور.",
        entry_add,
        corpus=corpus,
        user=analyst,
        finding_ids=[first_two(run)[0].pk, other_finding.pk],
    )

    assert error.field == "findings"
    assert DiagnosisEntry.objects.count() == 0


def test_create_refuses_a_contribution_of_another_consultation(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    stranger = ContributionFactory()

    error = assert_refused(
        "entry_contribution_other_consultation",
        f"المساهمة #{stranger.pk} ليست من مساهمات هذا التشاور.",
        entry_add,
        corpus=corpus,
        user=analyst,
        contribution_ids=[stranger.pk],
    )

    assert error.field == "contributions"


@pytest.mark.parametrize("which", ["pending", "rejected"])
def test_create_refuses_a_contribution_not_published(
    corpus: Corpus, run: SynthesisRun, analyst: Any, which: str
) -> None:
    hidden = getattr(corpus, which)

    assert_refused(
        "entry_contribution_not_published",
        f"المساهمة #{hidden.pk} غير منشورة: لا يُستشهد إلا بالمساهمات المنشورة.",
        entry_add,
        corpus=corpus,
        user=analyst,
        contribution_ids=[hidden.pk],
    )


def test_create_refuses_findings_merged_or_rejected(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    first, second = first_two(run)
    findings_merge(target=first, sources=[second], user=analyst)
    third = run.findings.exclude(pk__in=[first.pk, second.pk]).order_by("position").first()
    finding_status_set(finding=third, user=analyst, status="rejected")

    keys = ", ".join(f.key for f in sorted([second, third], key=lambda f: f.position))
    assert_refused(
        "entry_finding_hidden",
        f"الخلاصتان {keys} دُمجتا أو رُفضتا: لا يمكن أن يستند إليهما التشخيص.",
        entry_add,
        corpus=corpus,
        user=analyst,
        finding_ids=[second.pk, third.pk],
    )


def test_create_refuses_a_finding_of_an_earlier_run(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    old = first_two(run)[0]
    run_now(corpus)

    assert_refused(
        "entry_finding_superseded",
        f"الخلاصة {old.key} تعود إلى عملية تركيب سابقة؛ اختر من بين خلاصات آخر عملية.",
        entry_add,
        corpus=corpus,
        user=analyst,
        finding_ids=[old.pk],
    )


def test_contributions_alone_are_enough_without_any_run(corpus: Corpus, analyst: Any) -> None:
    entry = entry_add(corpus, analyst, contribution_ids=[corpus.by_key["jobs-fr"].pk])

    assert list(entry.contributions.values_list("pk", flat=True)) == [corpus.by_key["jobs-fr"].pk]


# -- who may write ------------------------------------------------------------------------------

WRITERS = {
    "national_coordinator": True,
    "own_regional": True,
    "other_regional": False,
    "analyst": True,
    "unassigned_analyst": False,
    "other_analyst": False,  # assigned to another consultation
    "facilitator": False,
    "participant": False,
    "anonymous": False,
}


def _user(corpus: Corpus, who: str) -> Any:
    if who == "anonymous":
        return AnonymousUser()
    if who in ("own_regional", "other_regional"):
        user = UserFactory(role="regional_coordinator")
        if who == "own_regional":
            corpus.consultation.coordinators.add(user)
        return user
    if who in ("analyst", "unassigned_analyst", "other_analyst"):
        user = UserFactory(role="analyst")
        if who == "analyst":
            corpus.consultation.analysts.add(user)
        if who == "other_analyst":
            ConsultationFactory(analysts=[user])
        return user
    user = UserFactory(role=who)
    if who == "facilitator":
        corpus.workshops[0].facilitator = user
        corpus.workshops[0].save()
    return user


@pytest.mark.parametrize("who", sorted(WRITERS))
def test_write_rights(corpus: Corpus, run: SynthesisRun, analyst: Any, who: str) -> None:
    user = _user(corpus, who)
    entry = entry_add(corpus, analyst, finding_ids=[first_two(run)[0].pk])
    calls: list[tuple[Callable[..., Any], dict[str, Any]]] = [
        (entry_add, {"corpus": corpus, "user": user, "finding_ids": [first_two(run)[1].pk]}),
        (
            diagnosis_entry_update,
            {
                "entry": entry,
                "user": user,
                "dimension": "proposal",
                "statement_fr": "x",
                "finding_ids": [first_two(run)[0].pk],
            },
        ),
        (diagnosis_entry_move, {"entry": entry, "user": user, "direction": "up"}),
        (diagnosis_entries_propose, {"consultation": corpus.consultation, "user": user}),
        (diagnosis_publish, {"consultation": corpus.consultation, "user": user}),
        (diagnosis_entry_delete, {"entry": entry, "user": user}),
    ]
    for call, kwargs in calls:
        if WRITERS[who]:
            call(**kwargs)
        else:
            assert_refused(
                "diagnosis_not_allowed",
                "لا يحق لك تحرير تشخيص هذا التشاور.",
                call,
                **kwargs,
            )
    if WRITERS[who]:
        assert DiagnosisPublication.objects.count() == 1
        assert not DiagnosisEntry.objects.filter(pk=entry.pk).exists()
    else:
        assert DiagnosisPublication.objects.count() == 0
        assert list(DiagnosisEntry.objects.all()) == [entry]


# -- update, move, delete -----------------------------------------------------------------------


def test_update_changes_everything_and_moves_to_the_end_of_the_new_dimension(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    first, second = first_two(run)
    entry_add(corpus, analyst, dimension="proposal", finding_ids=[second.pk])
    entry = entry_add(corpus, analyst, finding_ids=[first.pk])

    diagnosis_entry_update(
        entry=entry,
        user=analyst,
        dimension="proposal",
        statement_ar="",
        statement_fr="Des médecins",
        finding_ids=[],
        contribution_ids=[corpus.by_key["doctor-fr"].pk],
    )

    entry.refresh_from_db()
    assert (entry.dimension, entry.position, entry.statement_ar, entry.statement_fr) == (
        "proposal",
        2,
        "",
        "Des médecins",
    )
    assert list(entry.findings.all()) == []
    assert [c.pk for c in entry.contributions.all()] == [corpus.by_key["doctor-fr"].pk]


def test_update_refuses_to_remove_every_source(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    finding = first_two(run)[0]
    entry = entry_add(corpus, analyst, finding_ids=[finding.pk])

    assert_refused(
        "entry_no_source",
        "يجب أن يذكر كل بند من بنود التشخيص مصدرًا واحدًا على الأقل: خلاصة أو مساهمة.",
        diagnosis_entry_update,
        entry=entry,
        user=analyst,
        dimension="challenge",
        statement_ar="نص",
    )

    assert list(entry.findings.all()) == [finding]


def test_update_refuses_a_deleted_entry(corpus: Corpus, run: SynthesisRun, analyst: Any) -> None:
    finding = first_two(run)[0]
    entry = entry_add(corpus, analyst, finding_ids=[finding.pk])
    DiagnosisEntry.objects.filter(pk=entry.pk).delete()

    assert_refused(
        "entry_not_found",
        "هذا البند من التشخيص لم يعد موجودًا.",
        diagnosis_entry_update,
        entry=entry,
        user=analyst,
        dimension="challenge",
        statement_ar="نص",
        finding_ids=[finding.pk],
    )


def test_move_swaps_within_the_dimension_and_stops_at_the_ends(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    source = {"contribution_ids": [corpus.by_key["water-ar"].pk]}
    a, b, c = (entry_add(corpus, analyst, statement_ar=s, **source) for s in "أبج")
    other = entry_add(corpus, analyst, dimension="potential", **source)

    diagnosis_entry_move(entry=c, user=analyst, direction="up")
    diagnosis_entry_move(entry=a, user=analyst, direction="up")

    order = list(
        DiagnosisEntry.objects.filter(dimension="challenge")
        .order_by("position", "pk")
        .values_list("statement_ar", flat=True)
    )
    assert order == ["أ", "ج", "ب"]
    other.refresh_from_db()
    assert other.position == 1
    assert_refused(
        "entry_move_invalid",
        "اختر نقل البند إلى الأعلى أو إلى الأسفل.",
        diagnosis_entry_move,
        entry=b,
        user=analyst,
        direction="sideways",
    )


def test_delete_removes_the_entry_only(corpus: Corpus, run: SynthesisRun, analyst: Any) -> None:
    source = {"contribution_ids": [corpus.by_key["water-ar"].pk]}
    kept = entry_add(corpus, analyst, **source)
    gone = entry_add(corpus, analyst, **source)

    diagnosis_entry_delete(entry=gone, user=analyst)

    assert list(DiagnosisEntry.objects.all()) == [kept]


# -- propose from accepted findings -------------------------------------------------------------


def test_propose_makes_one_entry_per_accepted_finding_with_its_own_words(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    first, second = first_two(run)
    finding_status_set(finding=first, user=analyst, status="accepted")
    finding_status_set(finding=second, user=analyst, status="accepted")
    finding_rename(finding=second, user=analyst, title_fr="Titre de l'analyste")

    created = diagnosis_entries_propose(consultation=corpus.consultation, user=analyst)

    assert [list(e.findings.all()) for e in created] == [[first], [second]]
    assert (created[0].statement_ar, created[0].statement_fr) == (first.label_ar, first.label_fr)
    assert (created[1].statement_ar, created[1].statement_fr) == (
        second.label_ar,
        "Titre de l'analyste",
    )
    assert [e.dimension for e in created] == [first.dimension, second.dimension]
    assert all(e.contributions.count() == 0 for e in created)


def test_propose_skips_findings_already_used_and_not_accepted(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    first, second = first_two(run)
    finding_status_set(finding=first, user=analyst, status="accepted")
    entry_add(corpus, analyst, finding_ids=[first.pk])

    assert diagnosis_entries_propose(consultation=corpus.consultation, user=analyst) == []
    finding_status_set(finding=second, user=analyst, status="accepted")
    again = diagnosis_entries_propose(consultation=corpus.consultation, user=analyst)
    assert [list(e.findings.all()) for e in again] == [[second]]
    assert diagnosis_entries_propose(consultation=corpus.consultation, user=analyst) == []


def test_propose_refuses_without_a_run(corpus: Corpus, analyst: Any) -> None:
    assert_refused(
        "diagnosis_no_run",
        "لم يُنجز أي تركيب لهذا التشاور بعد: لا توجد خلاصات يُكتب انطلاقًا منها.",
        diagnosis_entries_propose,
        consultation=corpus.consultation,
        user=analyst,
    )


# -- publish ------------------------------------------------------------------------------------


def test_publish_refuses_an_empty_diagnosis(corpus: Corpus, run: SynthesisRun, analyst: Any):
    assert_refused(
        "diagnosis_empty",
        "اكتب بندًا واحدًا على الأقل قبل نشر التشخيص.",
        diagnosis_publish,
        consultation=corpus.consultation,
        user=analyst,
    )
    assert DiagnosisPublication.objects.count() == 0


def test_publish_refuses_an_entry_without_sources_and_stores_nothing(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    entry_add(corpus, analyst, finding_ids=[first_two(run)[0].pk])
    bare = entry_add(
        corpus, analyst, statement_ar="بند بلا مصدر", finding_ids=[first_two(run)[1].pk]
    )
    bare.findings.clear()  # as a bulk edit outside the services could leave it

    assert_refused(
        "entry_no_source",
        "البند «بند بلا مصدر» لا يذكر أي مصدر: أضف إليه خلاصة أو مساهمة، أو احذفه.",
        diagnosis_publish,
        consultation=corpus.consultation,
        user=analyst,
    )

    diagnosis = Diagnosis.objects.get()
    assert (diagnosis.version, diagnosis.status, diagnosis.published_at) == (0, "draft", None)
    assert DiagnosisPublication.objects.count() == 0


def test_publish_refuses_an_entry_whose_finding_was_merged_since(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    first, second = first_two(run)
    entry_add(corpus, analyst, statement_ar="الماء", finding_ids=[second.pk])
    findings_merge(target=first, sources=[second], user=analyst)

    assert_refused(
        "entry_finding_hidden",
        f"لا يمكن نشر البند «الماء»: الخلاصة {second.key} دُمجت أو رُفضت: "
        "لا يمكن أن يستند إليها التشخيص. عدّله أولًا.",
        diagnosis_publish,
        consultation=corpus.consultation,
        user=analyst,
    )
    assert DiagnosisPublication.objects.count() == 0


def test_publish_records_who_when_bumps_the_version_and_snapshots_the_sources(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    first, second = first_two(run)
    water = corpus.by_key["water-zgh"]
    entry_add(corpus, analyst, dimension="proposal", statement_fr="B", finding_ids=[second.pk])
    entry_add(
        corpus,
        analyst,
        statement_ar="أ",
        finding_ids=[first.pk],
        contribution_ids=[water.pk],
    )

    publication = diagnosis_publish(consultation=corpus.consultation, user=analyst)

    diagnosis = Diagnosis.objects.get()
    assert (diagnosis.status, diagnosis.version, diagnosis.published_by) == (
        "published",
        1,
        analyst,
    )
    assert diagnosis.published_at == publication.published_at
    assert (publication.version, publication.published_by) == (1, analyst)
    entries = publication.snapshot["entries"]
    assert [e["dimension"] for e in entries] == ["challenge", "proposal"]
    challenge = entries[0]
    assert challenge["statement_ar"] == "أ"
    assert [f["key"] for f in challenge["findings"]] == [first.key]
    quotes = FindingContribution.objects.filter(finding=first, is_representative=True).order_by(
        "rank"
    )
    assert [q["id"] for q in challenge["findings"][0]["quotes"]] == [
        q.contribution_id for q in quotes
    ]
    assert [q["text"] for q in challenge["findings"][0]["quotes"]] == [
        q.contribution.text for q in quotes
    ]
    assert challenge["contributions"] == [
        {
            "id": water.pk,
            "workshop": water.workshop_id,
            "language": "zgh",
            "text": water.text,
            "translation_fr": water.translation_fr,
        }
    ]

    second_publication = diagnosis_publish(consultation=corpus.consultation, user=analyst)
    assert second_publication.version == 2
    assert Diagnosis.objects.get().version == 2


def test_an_edit_after_publishing_makes_a_draft_again(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    entry = entry_add(corpus, analyst, finding_ids=[first_two(run)[0].pk])
    entry_add(corpus, analyst, finding_ids=[first_two(run)[1].pk])
    diagnosis_publish(consultation=corpus.consultation, user=analyst)
    diagnosis_entry_move(entry=entry, user=analyst, direction="up")  # already first: no change
    assert Diagnosis.objects.get().status == "published"

    diagnosis_entry_move(entry=entry, user=analyst, direction="down")

    assert Diagnosis.objects.get().status == "draft"
    assert Diagnosis.objects.get().version == 1


def test_the_snapshot_does_not_change_with_later_curation_runs_or_edits(
    corpus: Corpus, run: SynthesisRun, analyst: Any
) -> None:
    first, second = first_two(run)
    entry = entry_add(
        corpus,
        analyst,
        statement_ar="أ",
        finding_ids=[first.pk, second.pk],
        contribution_ids=[corpus.by_key["jobs-ar"].pk],
    )
    publication = diagnosis_publish(consultation=corpus.consultation, user=analyst)
    before = DiagnosisPublication.objects.get(pk=publication.pk).snapshot

    finding_rename(finding=first, user=analyst, title_ar="عنوان جديد", title_fr="Nouveau")
    findings_merge(target=first, sources=[second], user=analyst)
    run_now(corpus)
    corpus.by_key["jobs-ar"].moderation_status = ModerationStatus.REJECTED
    corpus.by_key["jobs-ar"].save()
    diagnosis_entry_update(
        entry=entry,
        user=analyst,
        dimension="potential",
        statement_ar="تغيير",
        contribution_ids=[corpus.by_key["water-ar"].pk],
    )

    assert DiagnosisPublication.objects.get(pk=publication.pk).snapshot == before
    assert before["entries"][0]["statement_ar"] == "أ"
    assert [f["label_fr"] for f in before["entries"][0]["findings"]] == [
        first.label_fr,
        second.label_fr,
    ]
