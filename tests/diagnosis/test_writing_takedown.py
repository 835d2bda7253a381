"""A published diagnosis stops showing the words of a contribution that moderation rejects
after publication: the page shows a notice in their place, keeps the number, and flags a
statement left with no source standing; the snapshot itself never changes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from tashawur.contributions.models import Contribution, ModerationStatus
from tashawur.contributions.services import contribution_moderate
from tashawur.diagnosis.models import DiagnosisEntry, DiagnosisPublication, Finding, SynthesisRun
from tashawur.diagnosis.services import (
    diagnosis_entry_create,
    diagnosis_entry_delete,
    diagnosis_publish,
)
from tests.consultations.factories import analyst_of

from .conftest import Corpus

pytestmark = pytest.mark.django_db

NOTICE_AR = "سحب الإشراف هذه المساهمة بعد النشر."
NOTICE_FR = "Cette contribution a été retirée par la modération après la publication."
FLAG_AR = "سحب الإشراف كل مصادر هذا البند بعد النشر."
FLAG_FR = (
    "Toutes les sources de cet énoncé ont été retirées par la modération après la publication."
)


@pytest.fixture
def analyst(client: Client, corpus: Corpus) -> Any:
    user = analyst_of(corpus.consultation)
    client.force_login(user)
    return user


def url(corpus: Corpus, action: str = "published/", prefix: str = "") -> str:
    return f"{prefix}/c/{corpus.consultation.slug}/diagnosis/{action}"


def entry_add(corpus: Corpus, user: Any, **kwargs: Any) -> DiagnosisEntry:
    fields: dict[str, Any] = {"dimension": "challenge", "statement_ar": "نص"}
    fields.update(kwargs)
    return diagnosis_entry_create(consultation=corpus.consultation, user=user, **fields)


def reject(contribution: Contribution) -> None:
    contribution_moderate(
        contribution=contribution, status=ModerationStatus.REJECTED, reason="spam"
    )


def entry_card(html: str, statement: str) -> str:
    """The public card of the entry whose statement is ``statement``."""
    return html.split(f'dir="rtl">{escape(statement)}</p>', 1)[1].split('<li class="card', 1)[0]


def quotes_of(finding: Finding) -> list[Contribution]:
    return [
        c.contribution
        for c in finding.citations.filter(is_representative=True)
        .select_related("contribution")
        .order_by("rank")
    ]


@pytest.fixture
def published(corpus: Corpus, run: SynthesisRun, analyst: Any) -> dict[str, Any]:
    """Version 1: one statement resting on the jobs contribution alone, one on a finding (with
    its quotes) and the doctor contribution."""
    finding = run.findings.order_by("position").first()
    assert finding is not None
    jobs, doctor = corpus.by_key["jobs-fr"], corpus.by_key["doctor-fr"]
    entry_add(corpus, analyst, statement_ar="التشغيل وحده", contribution_ids=[jobs.pk])
    entry_add(
        corpus,
        analyst,
        statement_ar="خلاصة وطبيب",
        finding_ids=[finding.pk],
        contribution_ids=[doctor.pk],
    )
    publication = diagnosis_publish(consultation=corpus.consultation, user=analyst)
    return {"finding": finding, "jobs": jobs, "doctor": doctor, "publication": publication}


def test_a_contribution_rejected_after_publishing_is_replaced_by_a_notice_in_arabic(
    corpus: Corpus, client: Client, published: dict[str, Any]
) -> None:
    jobs = published["jobs"]
    client.logout()
    before = client.get(url(corpus)).content.decode()
    assert escape(jobs.text) in before
    assert NOTICE_AR not in before

    reject(jobs)
    html = client.get(url(corpus)).content.decode()

    assert escape(jobs.text) not in html
    card = entry_card(html, "التشغيل وحده")
    assert NOTICE_AR in card
    assert f'<span class="muted">المساهمة رقم {jobs.pk}</span>' in card
    assert f"#c-{jobs.pk}" not in html  # the citation stays, without its link
    doctor = published["doctor"]
    assert f"/w/{doctor.workshop_id}/#c-{doctor.pk}" in html


def test_a_contribution_rejected_after_publishing_is_replaced_by_a_notice_in_french(
    corpus: Corpus, client: Client, published: dict[str, Any]
) -> None:
    jobs = published["jobs"]
    client.logout()
    reject(jobs)

    html = client.get(url(corpus, prefix="/fr")).content.decode()

    assert escape(jobs.text) not in html
    assert NOTICE_FR in html
    assert f'<span class="muted">Contribution n° {jobs.pk}</span>' in html
    assert FLAG_FR in html


def test_a_quote_of_a_finding_rejected_after_publishing_is_hidden_too(
    corpus: Corpus, client: Client, published: dict[str, Any]
) -> None:
    quote = next(
        q
        for q in quotes_of(published["finding"])
        if not Contribution.objects.exclude(pk=q.pk)
        .filter(Q(text=q.text) | Q(translation_fr=q.text))
        .exists()
    )  # words of its own: no other contribution says or translates them
    client.logout()

    reject(quote)
    html = client.get(url(corpus)).content.decode()

    assert escape(quote.text) not in html
    assert NOTICE_AR in entry_card(html, "خلاصة وطبيب")
    assert escape(published["doctor"].text) in html


def test_the_snapshot_is_unchanged_by_the_takedown(
    corpus: Corpus, client: Client, published: dict[str, Any]
) -> None:
    publication = published["publication"]
    before = DiagnosisPublication.objects.get(pk=publication.pk).snapshot

    reject(published["jobs"])
    for quote in quotes_of(published["finding"]):
        reject(quote)
    client.get(url(corpus))
    client.get(url(corpus, "write/"))

    after = DiagnosisPublication.objects.get(pk=publication.pk).snapshot
    assert after == before
    assert after["entries"][0]["contributions"][0]["text"] == published["jobs"].text


def test_a_statement_whose_only_source_is_withdrawn_is_flagged(
    corpus: Corpus, client: Client, published: dict[str, Any]
) -> None:
    client.logout()
    assert FLAG_AR not in client.get(url(corpus)).content.decode()

    reject(published["jobs"])
    html = client.get(url(corpus)).content.decode()

    assert FLAG_AR in entry_card(html, "التشغيل وحده")
    assert FLAG_AR not in entry_card(html, "خلاصة وطبيب")
    assert html.count(FLAG_AR) == 1


def test_a_statement_keeps_standing_while_one_of_its_sources_does(
    corpus: Corpus, client: Client, published: dict[str, Any]
) -> None:
    client.logout()
    for quote in quotes_of(published["finding"]):
        reject(quote)
    assert FLAG_AR not in entry_card(client.get(url(corpus)).content.decode(), "خلاصة وطبيب")

    reject(published["doctor"])

    assert FLAG_AR in entry_card(client.get(url(corpus)).content.decode(), "خلاصة وطبيب")


def test_the_editor_tells_writers_what_was_withdrawn_and_which_statements_to_revise(
    corpus: Corpus, client: Client, published: dict[str, Any]
) -> None:
    html = client.get(url(corpus, "write/")).content.decode()
    assert 'id="withdrawn"' not in html

    reject(published["jobs"])
    html = client.get(url(corpus, "write/")).content.decode()

    state = html.split('id="state-title"', 1)[1].split("</section>", 1)[0]
    assert "سحب الإشراف بعد النشر مساهمة واحدة مقتبسة في النسخة 1" in state
    assert "سُحبت كل مصادر هذه البنود المنشورة: راجعها ثم انشر من جديد." in state
    assert '<li lang="ar" dir="rtl">التشغيل وحده</li>' in state
    assert "خلاصة وطبيب" not in state


def test_the_takedown_costs_one_query_whatever_is_withdrawn(
    corpus: Corpus, client: Client, published: dict[str, Any]
) -> None:
    client.logout()
    with CaptureQueriesContext(connection) as none_withdrawn:
        assert client.get(url(corpus)).status_code == 200
    reject(published["jobs"])
    reject(published["doctor"])
    for quote in quotes_of(published["finding"]):
        reject(quote)

    with CaptureQueriesContext(connection) as all_withdrawn:
        assert client.get(url(corpus)).status_code == 200

    # The exports block adds one query (web/templatetags/tashawur_exports.py).
    assert len(all_withdrawn) == len(none_withdrawn) <= 5
    contribution_table = Contribution._meta.db_table
    assert sum(contribution_table in q["sql"] for q in all_withdrawn.captured_queries) == 1


def test_publishing_again_leaves_out_the_quotes_rejected_since_and_clears_the_flags(
    corpus: Corpus, client: Client, analyst: Any, published: dict[str, Any]
) -> None:
    quote = quotes_of(published["finding"])[0]
    reject(quote)
    reject(published["jobs"])
    diagnosis_entry_delete(
        entry=DiagnosisEntry.objects.get(statement_ar="التشغيل وحده"), user=analyst
    )

    again = diagnosis_publish(consultation=corpus.consultation, user=analyst)

    (entry,) = again.snapshot["entries"]
    assert quote.pk not in [q["id"] for q in entry["findings"][0]["quotes"]]
    assert NOTICE_AR not in client.get(url(corpus)).content.decode()
    assert 'id="withdrawn"' not in client.get(url(corpus, "write/")).content.decode()
