"""The writers' page of the diagnosis and its public, published page: without JavaScript (POST,
redirect, errors next to the fields with 422) and with HTMX (the editor part of the page)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from tashawur.consultations.models import Consultation
from tashawur.diagnosis.models import DiagnosisEntry, DiagnosisPublication, Finding, SynthesisRun
from tashawur.diagnosis.services import (
    diagnosis_entry_create,
    diagnosis_publish,
    finding_rename,
    finding_status_set,
    findings_merge,
)
from tests.actors.factories import UserFactory
from tests.consultations.factories import ConsultationFactory, analyst_of

from .conftest import HTMX, Corpus

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(client: Client, corpus: Corpus) -> Any:
    user = analyst_of(corpus.consultation)
    client.force_login(user)
    return user


def url(corpus: Corpus, action: str = "", prefix: str = "") -> str:
    return f"{prefix}/c/{corpus.consultation.slug}/diagnosis/{action}"


def first_two(run: SynthesisRun) -> tuple[Finding, Finding]:
    first, second = run.findings.order_by("position")[:2]
    return first, second


def entry_add(corpus: Corpus, user: Any, **kwargs: Any) -> DiagnosisEntry:
    fields: dict[str, Any] = {"dimension": "challenge", "statement_ar": "نص"}
    fields.update(kwargs)
    return diagnosis_entry_create(consultation=corpus.consultation, user=user, **fields)


# -- who may write ------------------------------------------------------------------------------

WRITERS = {
    "national": True,
    "own_regional": True,
    "other_regional": False,
    "analyst": True,
    "unassigned_analyst": False,
    "other_analyst": False,  # assigned to another consultation
    "facilitator": False,
    "participant": False,
}
ROLES = {
    "national": "national_coordinator",
    "own_regional": "regional_coordinator",
    "other_regional": "regional_coordinator",
    "analyst": "analyst",
    "unassigned_analyst": "analyst",
    "other_analyst": "analyst",
    "facilitator": "facilitator",
    "participant": "participant",
}


def _sign_in(client: Client, corpus: Corpus, who: str) -> Any:
    user = UserFactory(role=ROLES[who])
    if who == "own_regional":
        corpus.consultation.coordinators.add(user)
    if who == "analyst":
        corpus.consultation.analysts.add(user)
    if who == "other_analyst":
        ConsultationFactory(analysts=[user])
    if who == "facilitator":
        corpus.workshops[0].facilitator = user
        corpus.workshops[0].save()
    client.force_login(user)
    return user


@pytest.mark.parametrize("who", sorted(WRITERS))
def test_editor_and_writes_rights(corpus: Corpus, run: SynthesisRun, client: Client, who: str):
    writer = analyst_of(corpus.consultation)
    entry = entry_add(corpus, writer, finding_ids=[first_two(run)[0].pk])
    _sign_in(client, corpus, who)
    expected = 200 if WRITERS[who] else 403
    done = 302 if WRITERS[who] else 403

    assert client.get(url(corpus, "write/")).status_code == expected
    assert client.get(url(corpus, f"write/entries/{entry.pk}/")).status_code == expected
    posted = {
        "write/entries/": {
            "dimension": "proposal",
            "statement_fr": "X",
            "contributions": str(corpus.by_key["doctor-fr"].pk),
        },
        f"write/entries/{entry.pk}/move/": {"direction": "down"},
        "write/propose/": {},
        "write/publish/": {},
        f"write/entries/{entry.pk}/delete/": {},
    }
    for action, data in posted.items():
        assert client.post(url(corpus, action), data).status_code == done, action
    if WRITERS[who]:
        assert DiagnosisPublication.objects.count() == 1
        assert not DiagnosisEntry.objects.filter(pk=entry.pk).exists()
    else:
        assert DiagnosisPublication.objects.count() == 0
        assert list(DiagnosisEntry.objects.all()) == [entry]


def test_anonymous_writers_go_to_sign_in(corpus: Corpus, run: SynthesisRun, client: Client):
    for response in (
        client.get(url(corpus, "write/")),
        client.post(url(corpus, "write/publish/")),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_the_entry_of_another_consultation_is_not_found(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    from .conftest import corpus_build

    other = corpus_build()
    other.consultation.analysts.add(analyst)  # so that they may write the entry there
    stranger = entry_add(other, analyst, contribution_ids=[other.by_key["water-ar"].pk])

    assert client.get(url(corpus, f"write/entries/{stranger.pk}/")).status_code == 404
    response = client.post(url(corpus, f"write/entries/{stranger.pk}/delete/"))
    assert response.status_code == 404
    assert DiagnosisEntry.objects.filter(pk=stranger.pk).exists()


# -- the editor without JavaScript --------------------------------------------------------------


def test_editor_lists_the_latest_runs_findings_to_cite(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    first, second = first_two(run)
    finding_status_set(finding=second, user=analyst, status="rejected")

    html = client.get(url(corpus, "write/")).content.decode()

    assert f'name="findings" value="{first.pk}"' in html
    assert f'name="findings" value="{second.pk}"' not in html
    assert '<html lang="ar" dir="rtl">' in html


def test_add_an_entry_then_redirect_with_a_message(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    first = first_two(run)[0]
    water = corpus.by_key["water-ar"]

    response = client.post(
        url(corpus, "write/entries/"),
        {
            "dimension": "challenge",
            "statement_ar": "ندرة الماء",
            "statement_fr": "",
            "findings": [first.pk],
            "contributions": f"#{water.pk}",
        },
        follow=True,
    )

    assert response.redirect_chain == [(url(corpus, "write/"), 302)]
    entry = DiagnosisEntry.objects.get()
    assert list(entry.findings.all()) == [first]
    assert list(entry.contributions.all()) == [water]
    html = response.content.decode()
    assert "أُضيف البند إلى المسودة." in html
    assert f'href="/w/{water.workshop_id}/#c-{water.pk}"' in html


def test_an_entry_without_sources_comes_back_with_the_error_next_to_the_field(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    response = client.post(
        url(corpus, "write/entries/"), {"dimension": "challenge", "statement_ar": "بلا مصدر"}
    )

    assert response.status_code == 422
    html = response.content.decode()
    picker = html.split('id="findings-picker"', 1)[1].split("</fieldset>", 1)[0]
    assert "يجب أن يذكر كل بند من بنود التشخيص مصدرًا واحدًا على الأقل: خلاصة أو مساهمة." in picker
    assert "بلا مصدر</textarea>" in html
    assert DiagnosisEntry.objects.count() == 0


def test_contribution_numbers_that_are_not_numbers_are_refused(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    response = client.post(
        url(corpus, "write/entries/"),
        {"dimension": "challenge", "statement_ar": "نص", "contributions": "12, abc"},
    )

    assert response.status_code == 422
    assert "اكتب أرقام المساهمات مفصولة بمسافات أو فواصل." in response.content.decode()


def test_edit_page_shows_the_entry_and_saves_it(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    first, second = first_two(run)
    entry = entry_add(corpus, analyst, statement_ar="قديم", finding_ids=[first.pk])

    html = client.get(url(corpus, f"write/entries/{entry.pk}/")).content.decode()
    assert f'name="findings" value="{first.pk}" checked' in html
    assert "قديم</textarea>" in html
    assert f'action="{url(corpus, f"write/entries/{entry.pk}/save/")}"' in html

    response = client.post(
        url(corpus, f"write/entries/{entry.pk}/save/"),
        {"dimension": "proposal", "statement_ar": "جديد", "findings": [second.pk]},
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.dimension, entry.statement_ar) == ("proposal", "جديد")
    assert list(entry.findings.all()) == [second]


def test_move_delete_and_propose_without_javascript(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    first, second = first_two(run)
    a = entry_add(corpus, analyst, statement_ar="أ", finding_ids=[first.pk])
    b = entry_add(corpus, analyst, statement_ar="ب", finding_ids=[first.pk])
    finding_status_set(finding=second, user=analyst, status="accepted")

    assert (
        client.post(url(corpus, f"write/entries/{b.pk}/move/"), {"direction": "up"}).status_code
        == 302
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert (b.position, a.position) == (1, 2)
    bad = client.post(url(corpus, f"write/entries/{b.pk}/move/"), {"direction": "left"})
    assert bad.status_code == 422
    assert "اختر نقل البند إلى الأعلى أو إلى الأسفل." in bad.content.decode()

    response = client.post(url(corpus, "write/propose/"), follow=True)
    assert "اقتُرح بند واحد من الخلاصات المقبولة: راجع صياغته." in response.content.decode()
    assert DiagnosisEntry.objects.filter(findings=second).count() == 1

    assert client.post(url(corpus, f"write/entries/{a.pk}/delete/")).status_code == 302
    assert not DiagnosisEntry.objects.filter(pk=a.pk).exists()


def test_publish_an_empty_diagnosis_comes_back_with_the_error(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    response = client.post(url(corpus, "write/publish/"))

    assert response.status_code == 422
    assert "اكتب بندًا واحدًا على الأقل قبل نشر التشخيص." in response.content.decode()
    assert DiagnosisPublication.objects.count() == 0


def test_publish_without_javascript(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    entry_add(corpus, analyst, finding_ids=[first_two(run)[0].pk])

    response = client.post(url(corpus, "write/publish/"), follow=True)

    assert response.redirect_chain == [(url(corpus, "write/"), 302)]
    html = response.content.decode()
    assert "نُشرت النسخة 1 من التشخيص." in html
    assert f'href="{url(corpus, "published/")}"' in html
    assert DiagnosisPublication.objects.get().published_by == analyst


# -- the editor with HTMX -----------------------------------------------------------------------


def test_htmx_add_returns_the_editor_part_with_the_entry(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    first = first_two(run)[0]

    response = client.post(
        url(corpus, "write/entries/"),
        {"dimension": "challenge", "statement_fr": "Eau rare", "findings": [first.pk]},
        **HTMX,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="editor">')
    assert "<html" not in html
    assert 'lang="fr" dir="ltr">Eau rare</p>' in html
    assert "أُضيف البند إلى المسودة." in html
    assert "HX-Request" in response["Vary"]


def test_htmx_invalid_returns_the_editor_part_with_422(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    response = client.post(url(corpus, "write/entries/"), {"dimension": "challenge"}, **HTMX)

    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="editor">')
    assert "اكتب النص بالعربية أو بالفرنسية." in html


def test_htmx_publish_move_and_delete(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    first, second = first_two(run)
    a = entry_add(corpus, analyst, statement_ar="أ", finding_ids=[first.pk])
    b = entry_add(corpus, analyst, statement_ar="ب", finding_ids=[second.pk])

    moved = client.post(url(corpus, f"write/entries/{b.pk}/move/"), {"direction": "up"}, **HTMX)
    assert moved.status_code == 200
    html = moved.content.decode()
    assert html.index(f'id="entry-{b.pk}"') < html.index(f'id="entry-{a.pk}"')

    published = client.post(url(corpus, "write/publish/"), **HTMX)
    assert published.status_code == 200
    assert "نُشرت النسخة 1 من التشخيص." in published.content.decode()

    deleted = client.post(url(corpus, f"write/entries/{a.pk}/delete/"), **HTMX)
    assert deleted.status_code == 200
    assert f'id="entry-{a.pk}"' not in deleted.content.decode()


# -- the published page -------------------------------------------------------------------------


def _published(corpus: Corpus, run: SynthesisRun, analyst: Any) -> tuple[Finding, Any]:
    first = first_two(run)[0]
    jobs = corpus.by_key["jobs-fr"]
    entry_add(
        corpus,
        analyst,
        statement_ar="ندرة الماء تعيق التعاونيات",
        statement_fr="La rareté de l'eau freine les coopératives",
        finding_ids=[first.pk],
        contribution_ids=[jobs.pk],
    )
    diagnosis_publish(consultation=corpus.consultation, user=analyst)
    return first, jobs


def test_published_page_in_arabic_names_every_source(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    first, jobs = _published(corpus, run, analyst)
    client.logout()

    response = client.get(url(corpus, "published/"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    # Each statement in its own direction, on the statement itself (issue 11).
    assert '<p class="statement" lang="ar" dir="rtl">ندرة الماء تعيق التعاونيات</p>' in html
    assert f'href="{url(corpus, f"findings/{first.pk}/")}"' in html
    assert f'href="/w/{jobs.workshop_id}/#c-{jobs.pk}"' in html
    assert f">{escape(jobs.text)}</blockquote>" in html
    for quote in first.citations.filter(is_representative=True).select_related("contribution"):
        c = quote.contribution
        assert f'href="/w/{c.workshop_id}/#c-{c.pk}"' in html
    assert "النسخة 1" in html
    assert 'id="written-title"' not in html


def test_published_page_in_french(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    first, jobs = _published(corpus, run, analyst)
    client.logout()

    html = client.get(url(corpus, "published/", prefix="/fr")).content.decode()

    assert '<html lang="fr" dir="ltr">' in html
    assert (
        '<p class="statement" lang="fr" dir="ltr">La rareté de l&#x27;eau freine les '
        "coopératives</p>"
    ) in html
    assert f'href="/fr/c/{corpus.consultation.slug}/diagnosis/findings/{first.pk}/"' in html
    assert f'href="/fr/w/{jobs.workshop_id}/#c-{jobs.pk}"' in html
    assert "Version 1" in html


def test_published_page_keeps_what_was_published_after_curation(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    first, _jobs = _published(corpus, run, analyst)
    label = first.label_fr
    finding_rename(finding=first, user=analyst, title_fr="Titre changé après publication")
    entry_add(corpus, analyst, statement_fr="Brouillon", finding_ids=[first.pk])

    html = client.get(url(corpus, "published/", prefix="/fr")).content.decode()

    assert "Titre changé après publication" not in html
    assert "Brouillon" not in html
    if label:
        assert f"<bdi>{escape(label)}</bdi>" in html


def test_published_page_before_any_publication(corpus: Corpus, client: Client) -> None:
    html = client.get(url(corpus, "published/")).content.decode()

    assert "لم يُنشر تشخيص هذا التشاور بعد." in html


def test_published_page_of_a_draft_consultation_is_for_its_managers(
    corpus: Corpus, client: Client
) -> None:
    Consultation.objects.filter(pk=corpus.consultation.pk).update(status="draft")

    assert client.get(url(corpus, "published/")).status_code == 403


def test_published_page_takes_the_same_few_queries_whatever_its_length(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    first = first_two(run)[0]
    entry_add(corpus, analyst, finding_ids=[first.pk])
    diagnosis_publish(consultation=corpus.consultation, user=analyst)
    client.logout()
    with CaptureQueriesContext(connection) as one:
        assert client.get(url(corpus, "published/")).status_code == 200
    for finding in run.findings.exclude(status__in=["merged", "rejected"]):
        entry_add(
            corpus,
            analyst,
            dimension="proposal",
            finding_ids=[finding.pk],
            contribution_ids=list(corpus.published)[:3],
        )
    diagnosis_publish(consultation=corpus.consultation, user=analyst)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url(corpus, "published/")).status_code == 200

    # The consultation, the publication, the contributions it quotes that are no longer
    # published (one query for them all, whatever their number), and the files the page links
    # (one query: web/templatetags/tashawur_exports.py).
    assert len(many) == len(one) <= 5


def test_the_diagnosis_page_links_to_the_published_diagnosis(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    html = client.get(url(corpus)).content.decode()
    assert f'href="{url(corpus, "write/")}"' in html
    assert f'href="{url(corpus, "published/")}"' not in html

    _published(corpus, run, analyst)
    client.logout()
    html = client.get(url(corpus)).content.decode()

    assert f'href="{url(corpus, "published/")}"' in html
    assert f'href="{url(corpus, "write/")}"' not in html


def test_editor_flags_entries_whose_sources_can_no_longer_be_cited(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    first, second = first_two(run)
    jobs = corpus.by_key["jobs-fr"]
    fine = entry_add(corpus, analyst, finding_ids=[first.pk])
    merged = entry_add(corpus, analyst, finding_ids=[second.pk])
    moderated = entry_add(corpus, analyst, contribution_ids=[jobs.pk])
    findings_merge(target=first, sources=[second], user=analyst)
    jobs.moderation_status = "rejected"
    jobs.save()

    html = client.get(url(corpus, "write/")).content.decode()

    warning = "يستند هذا البند إلى مصدر لم يعد ممكنًا الاستشهاد به"

    def card(entry: DiagnosisEntry) -> str:
        return html.split(f'id="entry-{entry.pk}"', 1)[1].split("</li>", 1)[0]

    assert warning not in card(fine)
    assert warning in card(merged)
    assert warning in card(moderated)
