"""The published diagnosis as a reader reads it (issue 11, part 5): each statement once, in
its own direction (Arabic right to left, French left to right, set on the statement itself),
its sources below without repeating its words; the reader's language awaiting a translation
says so instead of showing a second text; and the editor's count of accepted findings without
an entry is what "propose" adds."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tashawur.consultations.models import Consultation
from tashawur.contributions.models import Contribution, Language
from tashawur.diagnosis.models import Finding, FindingContribution, SynthesisRun
from tashawur.diagnosis.services import (
    diagnosis_entries_propose,
    diagnosis_entry_create,
    diagnosis_publish,
)
from tashawur.diagnosis.written_pages import diagnosis_editor_page, statement_in_reader_language
from tests.consultations.factories import WorkshopFactory, analyst_of
from tests.contributions.factories import ContributionFactory

pytestmark = pytest.mark.django_db

QUOTE_AR = "نقترح إحداث شباك موحد للتعاونيات في كل إقليم"
QUOTE_FR = "Un guichet unique pour les coopératives dans chaque province"


def _run(consultation: Consultation) -> SynthesisRun:
    now = timezone.now()
    return SynthesisRun.objects.create(
        consultation=consultation,
        status=SynthesisRun.Status.SUCCEEDED,
        started_at=now,
        finished_at=now,
        result={},
    )


def _finding(
    run: SynthesisRun, position: int, quotes: list[Contribution], **fields: Any
) -> Finding:
    values: dict[str, Any] = {
        "key": f"F{position}",
        "theme_key": "T1",
        "size": max(len(quotes), 1),
        "dimension": "proposal",
        "position": position,
        "status": Finding.Status.ACCEPTED,
    }
    values.update(fields)
    finding = Finding.objects.create(run=run, **values)
    for rank, contribution in enumerate(quotes, start=1):
        FindingContribution.objects.create(
            run=run, finding=finding, contribution=contribution, is_representative=True, rank=rank
        )
    return finding


@pytest.fixture
def published(db: Any) -> dict[str, Any]:
    workshop = WorkshopFactory()
    consultation = workshop.meeting.consultation
    analyst = analyst_of(consultation)
    arabic = ContributionFactory(workshop=workshop, text=QUOTE_AR, language=Language.MSA)
    french = ContributionFactory(workshop=workshop, text=QUOTE_FR, language=Language.FRENCH)
    run = _run(consultation)
    # Titled with its own quotes, as the demo's analyst does: the statement is their words.
    both = _finding(
        run, 1, [arabic, french], title_override_ar=QUOTE_AR, title_override_fr=QUOTE_FR
    )
    arabic_only = _finding(run, 2, [], label_ar="العيالات هوما اللي هازين التعاونيات")
    diagnosis_entries_propose(consultation=consultation, user=analyst)
    diagnosis_publish(consultation=consultation, user=analyst)
    return {
        "consultation": consultation,
        "analyst": analyst,
        "both": both,
        "arabic_only": arabic_only,
        "url": f"/c/{consultation.slug}/diagnosis/published/",
    }


def _statements(html: str) -> list[str]:
    return re.findall(r'<p class="statement"[^>]*>', html)


def test_each_statement_has_its_own_direction_on_itself(published, client: Client) -> None:  # type: ignore[no-untyped-def]
    arabic = client.get(published["url"]).content.decode()
    french = client.get("/fr" + published["url"]).content.decode()

    assert _statements(arabic) == ['<p class="statement" lang="ar" dir="rtl">'] * 2
    assert sorted(_statements(french)) == [
        '<p class="statement" lang="ar" dir="rtl">',
        '<p class="statement" lang="fr" dir="ltr">',
    ]
    # No direction left to a wrapper around an isolate.
    assert 'dir="auto"><bdi>' not in arabic + french


def test_each_statement_is_printed_once(published, client: Client) -> None:  # type: ignore[no-untyped-def]
    arabic = client.get(published["url"]).content.decode()
    french = client.get("/fr" + published["url"]).content.decode()

    assert arabic.count(QUOTE_AR) == 1
    assert french.count(QUOTE_FR) == 1
    # Its sources are still named below it: the finding by its key, the quotes by number.
    assert f"/diagnosis/findings/{published['both'].pk}/" in arabic
    for contribution in Contribution.objects.all():
        assert f"#c-{contribution.pk}" in arabic


def test_a_statement_missing_in_the_readers_language_is_marked_pending(
    published, client: Client
) -> None:  # type: ignore[no-untyped-def]
    french = client.get("/fr" + published["url"]).content.decode()
    arabic = client.get(published["url"]).content.decode()

    assert french.count('class="muted translation-pending"') == 1
    assert "translation-pending" not in arabic


def test_the_statement_language_follows_the_reader() -> None:
    from django.utils import translation

    with translation.override("fr"):
        assert statement_in_reader_language(ar="نص", fr="texte").lang == "fr"
        shown = statement_in_reader_language(ar="نص", fr="")
        assert (shown.text, shown.dir, shown.pending) == ("نص", "rtl", True)
    with translation.override("ar"):
        shown = statement_in_reader_language(ar="", fr="texte")
        assert (shown.text, shown.dir, shown.pending) == ("texte", "ltr", True)
        assert statement_in_reader_language(ar="نص", fr="texte").pending is False


def test_the_editor_counts_what_propose_adds(db: Any) -> None:
    workshop = WorkshopFactory()
    consultation = workshop.meeting.consultation
    analyst = analyst_of(consultation)
    run = _run(consultation)
    _finding(run, 1, [], label_ar="شباك موحد")
    _finding(run, 2, [], label_fr="Observatoire régional")
    # Accepted but without a title or a label: "propose" cannot state it.
    untitled = _finding(run, 3, [])
    _finding(run, 4, [], label_ar="سؤال", dimension="question")
    _finding(run, 5, [], label_ar="مقترح", status=Finding.Status.PROPOSED)
    diagnosis_entry_create(
        consultation=consultation, user=analyst, dimension="proposal", statement_ar="نص",
        contribution_ids=[ContributionFactory(workshop=workshop).pk],
    )  # fmt: skip

    editor = diagnosis_editor_page(slug=consultation.slug, user=analyst)
    counted = editor.accepted_unused
    proposed = diagnosis_entries_propose(consultation=consultation, user=analyst)

    assert counted == len(proposed) == 2
    assert editor.accepted_untitled == [untitled]
    after = diagnosis_editor_page(slug=consultation.slug, user=analyst)
    assert (
        after.accepted_unused
        == len(diagnosis_entries_propose(consultation=consultation, user=analyst))
        == 0
    )
    assert after.accepted_untitled == [untitled]


def test_the_editor_page_names_the_untitled_findings(db: Any, client: Client) -> None:
    workshop = WorkshopFactory()
    consultation = workshop.meeting.consultation
    analyst = analyst_of(consultation)
    untitled = _finding(_run(consultation), 1, [])
    client.force_login(analyst)

    html = client.get(f"/c/{consultation.slug}/diagnosis/write/").content.decode()

    assert 'id="untitled-findings"' in html
    assert f"/diagnosis/findings/{untitled.pk}/#rename-form" in html
