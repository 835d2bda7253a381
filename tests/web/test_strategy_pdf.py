"""The national roll-up as a PDF (``/s/<slug>/pdf/``): in Arabic and French, its findings with
the numbers of the contributions they cite, read back with poppler's ``pdftotext``."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.test import Client

from tashawur.consultations.models import Strategy
from tashawur.diagnosis.models import RollupCitation, RollupFinding, RollupRun
from tashawur.diagnosis.services import rollup_run_now
from tests.diagnosis.rollup_corpus import RollupCorpus, rollup_corpus_build

pytestmark = pytest.mark.django_db

PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(PDFTOTEXT is None, reason="needs poppler's pdftotext")


def pdftotext(content: bytes) -> str:
    result = subprocess.run(  # noqa: S603 - a fixed command on bytes the test made
        [str(PDFTOTEXT), "-", "-"], input=content, capture_output=True, check=True, timeout=60
    )
    return result.stdout.decode()


@pytest.fixture(autouse=True)
def lexical_embedder(settings):
    settings.TASHAWUR_SYNTHESIS_EMBEDDER = "lexical"
    settings.TASHAWUR_OPEN_DATA_K = 5


@pytest.fixture
def world() -> RollupCorpus:
    corpus = rollup_corpus_build()
    run = rollup_run_now(strategy=corpus.strategy)
    assert run.status == RollupRun.Status.SUCCEEDED, run.error_message
    return corpus


@needs_pdftotext
def test_the_french_pdf_cites_every_shared_findings_contributions(world: RollupCorpus) -> None:
    response = Client().get(f"/fr/s/{world.strategy.slug}/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "public, max-age=300"
    text = " ".join(pdftotext(response.content).split())
    assert "Souss-Massa" in text
    shared = RollupFinding.objects.filter(kind=RollupFinding.Kind.SHARED)
    assert shared.exists()
    for finding in shared:
        assert finding.key in text
        cited = RollupCitation.objects.filter(
            finding=finding, contribution__moderation_status="published"
        ).values_list("contribution_id", flat=True)
        for number in cited:
            assert f"#{number}" in text, (finding.key, number)


@needs_pdftotext
def test_the_arabic_pdf_is_laid_out_in_arabic(world: RollupCorpus) -> None:
    response = Client().get(f"/s/{world.strategy.slug}/pdf/")

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="rollup-{world.strategy.slug}-ar.pdf"'
    )
    text = pdftotext(response.content)
    assert "سوس" in text  # an Arabic word without dotted letters reads back whole


def test_a_draft_strategy_has_no_public_pdf(world: RollupCorpus) -> None:
    Strategy.objects.filter(pk=world.strategy.pk).update(status=Strategy.Status.DRAFT)

    assert Client().get(f"/s/{world.strategy.slug}/pdf/").status_code == 404
