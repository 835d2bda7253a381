"""The diagnosis pages: findings with their quotes and citations, opinion groups, the run button.

Messages are asserted on the English pages (the source language): the Arabic and French
translations are written apart.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import dateformat
from django.utils.html import escape
from django.utils.timezone import localtime

from tashawur.consultations.models import Consultation
from tashawur.contributions.models import Contribution, ModerationStatus
from tashawur.contributions.services import contribution_moderate
from tashawur.diagnosis.models import FindingContribution, SynthesisRun
from tashawur.diagnosis.pages import FINDINGS_PER_DIMENSION
from tashawur.diagnosis.services import synthesis_run_execute
from tests.actors.factories import UserFactory
from tests.consultations.factories import ConsultationFactory, analyst_of

from .conftest import Corpus, run_now, votes_cast

pytestmark = pytest.mark.django_db


def page(client: Client, corpus: Corpus, prefix: str = "", query: str = "") -> str:
    response = client.get(f"{prefix}/c/{corpus.consultation.slug}/diagnosis/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_page_renders_in_arabic_with_quotes_and_their_citations(
    corpus: Corpus, client: Client
) -> None:
    run = run_now(corpus)
    quotes = FindingContribution.objects.filter(run=run, is_representative=True).select_related(
        "contribution", "finding"
    )
    assert quotes.exists()

    for dimension in {q.finding.dimension for q in quotes}:
        html = page(client, corpus, query=f"?dimension={dimension}")

        assert '<html lang="ar" dir="rtl">' in html
        for quote in quotes.filter(finding__dimension=dimension):
            contribution = quote.contribution
            assert f'dir="auto">{escape(contribution.text)}</blockquote>' in html
            assert (
                f'href="/c/{corpus.consultation.slug}/diagnosis/findings/{quote.finding_id}/'
                f'#c-{contribution.pk}"' in html
            )


def test_a_dimension_view_shows_each_of_its_findings_with_its_arabic_label(
    corpus: Corpus, client: Client
) -> None:
    run = run_now(corpus)

    html = page(client, corpus, query="?dimension=challenge")

    findings = run.findings.filter(dimension="challenge")
    assert findings.count() > FINDINGS_PER_DIMENSION
    for finding in findings:
        assert f'id="finding-{finding.key}"' in html
        if finding.label_ar:
            assert f"<bdi>{escape(finding.label_ar)}</bdi>" in html
    assert 'id="finding-' not in html.split('id="dimension-challenge"', 1)[0]
    assert 'id="opinions-title"' not in html


def test_overview_shows_the_heaviest_findings_of_each_dimension_and_links_to_all(
    corpus: Corpus, client: Client
) -> None:
    run = run_now(corpus)

    html = page(client, corpus, "/en")

    challenges = list(run.findings.filter(dimension="challenge").order_by("position"))
    shown = [f for f in challenges if f'id="finding-{f.key}"' in html]
    assert shown == challenges[:FINDINGS_PER_DIMENSION]
    assert (
        f'<a href="?dimension=challenge">All {len(challenges)} findings of this dimension</a>'
        in html
    )


def test_page_in_french_shows_french_labels(corpus: Corpus, client: Client) -> None:
    run = run_now(corpus)
    water = FindingContribution.objects.get(run=run, contribution=corpus.by_key["water-fr"]).finding

    html = page(client, corpus, "/fr")

    assert '<html lang="fr" dir="ltr">' in html
    assert f"<bdi>{escape(water.label_fr)}</bdi>" in html


def test_page_shows_the_runs_engine_and_date(corpus: Corpus, client: Client) -> None:
    run = run_now(corpus)

    html = page(client, corpus, "/en")

    assert f"<bdi>{run.engine_version}</bdi>" in html
    assert f'<time datetime="{dateformat.format(localtime(run.finished_at), "c")}">' in html


def test_analyst_title_replaces_the_computed_label(corpus: Corpus, client: Client) -> None:
    run = run_now(corpus)
    finding = run.findings.first()
    finding.title_override_fr = "Accès à l'eau potable"
    finding.save()

    html = page(client, corpus, "/fr")

    assert "<bdi>Accès à l&#x27;eau potable</bdi>" in html


def test_rejected_findings_are_not_shown(corpus: Corpus, client: Client) -> None:
    run = run_now(corpus)
    finding = run.findings.first()
    finding.status = "rejected"
    finding.save()

    html = page(client, corpus)

    assert f'id="finding-{finding.key}"' not in html


def test_page_shows_opinion_groups_and_consensus(corpus: Corpus, client: Client) -> None:
    votes_cast(corpus)
    run = run_now(corpus)
    doctor = corpus.by_key["doctor-fr"]

    html = page(client, corpus, "/en")

    assert [g.name for g in run.opinion_groups.all()] == ["A", "B"]
    assert 'id="group-A"' in html
    assert 'id="group-B"' in html
    assert f'dir="auto">{escape(doctor.text)}</blockquote>' in html
    assert "Agree: 5 · Disagree: 5 · Pass: 0" in html


def test_page_without_a_run_says_so(corpus: Corpus, client: Client) -> None:
    html = page(client, corpus, "/en")

    assert "No synthesis has run for this consultation yet." in html
    assert "<form" not in html.split("<main", 1)[1]


def test_a_pending_run_reloads_the_page(corpus: Corpus, client: Client) -> None:
    SynthesisRun.objects.create(consultation=corpus.consultation)

    html = page(client, corpus, "/en")

    assert '<meta http-equiv="refresh" content="5">' in html
    assert "A synthesis run is under way; this page reloads by itself." in html


def test_a_failed_run_says_why(corpus: Corpus, client: Client) -> None:
    type(corpus.copy).objects.filter(consultation=corpus.consultation).update(
        moderation_status="pending"
    )
    SynthesisRun.objects.create(consultation=corpus.consultation)
    synthesis_run_execute(run_id=SynthesisRun.objects.get().pk)

    html = page(client, corpus, "/en")

    assert (
        "The last synthesis run failed: the consultation has no published contribution yet." in html
    )


def test_analyst_sees_the_run_button(corpus: Corpus, client: Client) -> None:
    client.force_login(analyst_of(corpus.consultation))

    html = page(client, corpus, "/en")

    assert f'action="/en/c/{corpus.consultation.slug}/diagnosis/run/"' in html


def test_participant_does_not_see_the_run_button(corpus: Corpus, client: Client) -> None:
    client.force_login(UserFactory(role="participant"))

    html = page(client, corpus, "/en")

    assert "/diagnosis/run/" not in html


def test_post_without_htmx_queues_a_run_and_redirects(
    corpus: Corpus, client: Client, django_capture_on_commit_callbacks
) -> None:
    analyst = analyst_of(corpus.consultation)
    client.force_login(analyst)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/en/c/{corpus.consultation.slug}/diagnosis/run/")

    assert response.status_code == 302
    assert response["Location"] == f"/en/c/{corpus.consultation.slug}/diagnosis/"
    run = SynthesisRun.objects.get()
    assert (run.status, run.created_by) == (SynthesisRun.Status.SUCCEEDED, analyst)
    html = client.get(response["Location"]).content.decode()
    assert "The synthesis is queued: this page shows its findings once it has run." in html
    assert 'id="finding-F1"' in html


def test_post_by_a_participant_is_forbidden(corpus: Corpus, client: Client) -> None:
    client.force_login(UserFactory(role="participant"))

    response = client.post(f"/c/{corpus.consultation.slug}/diagnosis/run/")

    assert response.status_code == 403
    assert SynthesisRun.objects.count() == 0


@pytest.mark.parametrize("assigned_elsewhere", [False, True], ids=["unassigned", "other"])
def test_an_analyst_of_no_or_another_consultation_may_not_run_it(
    corpus: Corpus, client: Client, assigned_elsewhere: bool
) -> None:
    analyst = UserFactory(role="analyst")
    if assigned_elsewhere:
        ConsultationFactory(analysts=[analyst])
    client.force_login(analyst)

    html = page(client, corpus, "/en")
    response = client.post(f"/c/{corpus.consultation.slug}/diagnosis/run/")

    assert "/diagnosis/run/" not in html
    assert response.status_code == 403
    assert SynthesisRun.objects.count() == 0


def test_post_anonymous_goes_to_sign_in(corpus: Corpus, client: Client) -> None:
    response = client.post(f"/c/{corpus.consultation.slug}/diagnosis/run/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert SynthesisRun.objects.count() == 0


def test_get_on_the_run_url_asks_for_confirmation_and_queues_nothing(
    corpus: Corpus, client: Client
) -> None:
    client.force_login(analyst_of(corpus.consultation))

    response = client.get(f"/c/{corpus.consultation.slug}/diagnosis/run/")

    assert response.status_code == 200
    assert 'name="confirm" value="1"' in response.content.decode()
    assert SynthesisRun.objects.count() == 0


def test_draft_consultation_diagnosis_is_forbidden_to_the_public(
    corpus: Corpus, client: Client
) -> None:
    Consultation.objects.filter(pk=corpus.consultation.pk).update(status="draft")

    response = client.get(f"/c/{corpus.consultation.slug}/diagnosis/")

    assert response.status_code == 403


def test_finding_page_lists_every_cited_contribution_with_its_anchor(
    corpus: Corpus, client: Client
) -> None:
    run = run_now(corpus)
    finding = FindingContribution.objects.get(
        run=run, contribution=corpus.by_key["water-ar"]
    ).finding

    response = client.get(f"/c/{corpus.consultation.slug}/diagnosis/findings/{finding.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    for citation in finding.citations.select_related("contribution"):
        assert f'id="c-{citation.contribution_id}"' in html
        assert escape(citation.contribution.text) in html


def test_finding_page_of_another_consultation_is_not_found(corpus: Corpus, client: Client) -> None:
    run = run_now(corpus)
    other = Consultation.objects.create(
        strategy=corpus.consultation.strategy,
        region=corpus.consultation.region.parent,
        slug="other",
        title_ar="تشاور آخر",
        title_fr="Autre",
        status="open",
    )

    response = client.get(f"/c/{other.slug}/diagnosis/findings/{run.findings.first().pk}/")

    assert response.status_code == 404


def test_consultation_page_links_to_its_diagnosis(corpus: Corpus, client: Client) -> None:
    html = client.get(f"/fr/c/{corpus.consultation.slug}/").content.decode()

    assert f'href="/fr/c/{corpus.consultation.slug}/diagnosis/"' in html


def test_a_quote_moderation_takes_down_after_the_run_is_no_longer_shown(
    corpus: Corpus, client: Client
) -> None:
    run = run_now(corpus)
    # A quote whose words appear nowhere else (the corpus repeats some texts as copies and as
    # a Tifinagh text's French translation).
    elsewhere = [c.text for c in Contribution.objects.all()]
    elsewhere += [c.translation_fr for c in Contribution.objects.all()]
    quote = next(
        q
        for q in FindingContribution.objects.filter(run=run, is_representative=True)
        .select_related("contribution", "finding")
        .order_by("pk")
        if elsewhere.count(q.contribution.text) == 1
    )
    text = escape(quote.contribution.text)
    finding_url = f"/c/{corpus.consultation.slug}/diagnosis/findings/{quote.finding_id}/"
    overview = f"?dimension={quote.finding.dimension}"
    assert text in page(client, corpus, query=overview)
    assert text in client.get(finding_url).content.decode()

    contribution_moderate(
        contribution=quote.contribution, status=ModerationStatus.REJECTED, reason="spam"
    )

    assert text not in page(client, corpus, query=overview)
    assert text not in client.get(finding_url).content.decode()
    # Curators still see it on the finding page, where they decide what to do with it.
    client.force_login(analyst_of(corpus.consultation))
    assert text in client.get(finding_url).content.decode()
