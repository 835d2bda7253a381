"""Findings are shown by titles in their members' words, in the page's language (issue 14)."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils.html import escape

from tashawur.demo.command import _synthesis_request
from tashawur.diagnosis.models import Finding, SynthesisRun

from .conftest import Corpus, run_now

pytestmark = pytest.mark.django_db

_HEADING = re.compile(r'<h3><a href="[^"]*/diagnosis/findings/(\d+)/"><bdi[^>]*>([^<]*)</bdi>')


def _page(client: Client, slug: str, prefix: str = "", query: str = "") -> str:
    response = client.get(f"{prefix}/c/{slug}/diagnosis/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_a_run_stores_the_librarys_titles_as_the_findings_labels(corpus: Corpus) -> None:
    run = run_now(corpus)
    stored = {f["id"]: f for f in run.result["findings"]}
    for finding in run.findings.all():
        title = stored[finding.key]
        assert (finding.label_ar, finding.label_fr) == (title["title_ar"], title["title_fr"])
        assert finding.label not in {finding.key, ""}


def test_an_arabic_page_shows_a_french_only_title_marked_as_french(
    corpus: Corpus, client: Client
) -> None:
    run = run_now(corpus)
    finding = run.findings.order_by("position").first()
    Finding.objects.filter(pk=finding.pk).update(label_ar="", label_fr="routes coupées")

    html = _page(client, corpus.consultation.slug, query=f"?dimension={finding.dimension}")
    assert '<bdi lang="fr">routes coupées</bdi></a> <span class="muted title-language">' in html

    html = _page(client, corpus.consultation.slug, "/fr", f"?dimension={finding.dimension}")
    assert "<bdi>routes coupées</bdi></a></h3>" in html


def test_a_french_page_shows_an_arabic_only_title_marked_as_arabic(
    corpus: Corpus, client: Client
) -> None:
    run = run_now(corpus)
    finding = run.findings.order_by("position").first()
    Finding.objects.filter(pk=finding.pk).update(label_ar="الطريق مقطوعة", label_fr="")

    html = _page(client, corpus.consultation.slug, "/fr", f"?dimension={finding.dimension}")
    assert f'<bdi lang="ar">{escape("الطريق مقطوعة")}</bdi></a> <span' in html
    html = _page(client, corpus.consultation.slug, query=f"?dimension={finding.dimension}")
    assert f"<bdi>{escape('الطريق مقطوعة')}</bdi></a></h3>" in html


@pytest.mark.slow
def test_the_demos_diagnosis_page_shows_titles_in_words(
    db, django_capture_on_commit_callbacks, client: Client, settings
) -> None:
    call_command("load_reference_data", verbosity=0)
    call_command("load_demo", stdout=None)
    settings.TASHAWUR_SYNTHESIS_EMBEDDER = None
    with django_capture_on_commit_callbacks(execute=True):
        path = _synthesis_request()
    run = SynthesisRun.objects.get()
    assert run.status == SynthesisRun.Status.SUCCEEDED, run.error_message
    keys = dict(run.findings.values_list("pk", "key"))

    for prefix in ("", "/fr"):
        response = client.get(f"{prefix}{path}")
        assert response.status_code == 200
        headings = _HEADING.findall(response.content.decode())
        assert headings
        for pk, title in headings:
            assert title.strip() and title.strip() != keys[int(pk)], title
            assert not re.fullmatch(r"F\d+", title.strip())
            # Words, not key phrases joined by commas.
            assert len(title.split()) >= 1 and "، " not in title and ", " not in title, title


def test_a_borrowed_title_is_stored_and_shown_as_borrowed(corpus: Corpus, client: Client) -> None:
    run = run_now(corpus)
    stored = {f["id"]: f for f in run.result["findings"]}
    for finding in run.findings.all():
        assert finding.title_borrowed_from == (stored[finding.key]["title_borrowed_from"] or "")
    finding, other = run.findings.order_by("position")[:2]
    Finding.objects.filter(pk=finding.pk).update(title_borrowed_from=other.key)

    html = _page(client, corpus.consultation.slug, "/fr", f"?dimension={finding.dimension}")

    assert f"(dit en tamazight ; titre de {other.key})" in html
