"""A cached public page's hit reads its versions from the cache, not the database (issue 15):
the consultation (``consultations.generations``), the runs, curation, publication and
programme rows (the ``pages`` generation, ``contributions.generations``) are kept under
generations that every writer bumps. Each writer's change is on the next request at once,
those written past the model signals included: funding lines (``bulk_create``), a run's status
moved by ``update``.

A change written behind the writers' back (a raw ``update``) is what shows that a page came
from the cache: the stored page still shows the old state.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from tashawur.actors.models import Organisation
from tashawur.consultations.models import Consultation
from tashawur.diagnosis.models import Finding, SynthesisRun
from tashawur.diagnosis.selectors import diagnosis_versions_row
from tashawur.diagnosis.services import finding_status_set
from tashawur.diagnosis.services.runs import synthesis_runs_abandon_pending
from tashawur.programmes.models import Measure, Programme
from tashawur.programmes.services import measure_set_funding, progress_record
from tests.consultations.factories import analyst_of

# The diagnosis tests' autouse fixtures, used here too: the language put back after each
# test, the fast lexical embedder.
from tests.diagnosis.conftest import (  # noqa: F401
    Corpus,
    corpus_build,
    language_kept,
    lexical_embedder,
    run_now,
)
from tests.programmes.factories import MeasureFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus() -> Corpus:
    return corpus_build()


@pytest.fixture
def measure(corpus: Corpus) -> Measure:
    programme = ProgrammeFactory(
        consultation=corpus.consultation,
        status=Programme.Status.ADOPTED,
        adopted_at=timezone.now(),
    )
    measure: Measure = MeasureFactory(programme=programme, title_fr="Mesure suivie")
    return measure


def get(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def diagnosis_url(corpus: Corpus) -> str:
    return f"/fr/c/{corpus.consultation.slug}/diagnosis/"


def programme_url(corpus: Corpus) -> str:
    return f"/fr/c/{corpus.consultation.slug}/programme/"


def first_finding(run: SynthesisRun) -> Finding:
    finding = run.findings.order_by("position").first()
    assert finding is not None
    return finding


# -- a hit reads no version from the database ------------------------------------------------------


def test_a_diagnosis_hit_reads_nothing_from_the_database(
    corpus: Corpus, client: Client, django_assert_num_queries
) -> None:
    run = run_now(corpus)
    url = diagnosis_url(corpus)
    get(client, url)
    Finding.objects.filter(pk=first_finding(run).pk).update(title_override_fr="Posé en douce")

    with django_assert_num_queries(0):
        html = get(client, url)

    assert "Posé en douce" not in html


def test_a_programme_hit_reads_nothing_from_the_database(
    corpus: Corpus, measure: Measure, client: Client, django_assert_num_queries
) -> None:
    run_now(corpus)
    url = programme_url(corpus)
    assert "Mesure suivie" in get(client, url)
    Measure.objects.filter(pk=measure.pk).update(title_fr="Posée en douce")

    with django_assert_num_queries(0):
        html = get(client, url)

    assert "Posée en douce" not in html


# -- each writer's change is on the next request -------------------------------------------------


def test_funding_lines_written_in_bulk_show_at_once(
    corpus: Corpus, measure: Measure, client: Client
) -> None:
    url = programme_url(corpus)
    assert "Conseil régional" not in get(client, url)

    # No line before: the delete finds none and bulk_create sends no signal.
    measure_set_funding(measure=measure, lines={"regional_council": Decimal(40000)})

    assert "Conseil régional" in get(client, url)


def test_a_progress_update_shows_at_once(corpus: Corpus, measure: Measure, client: Client) -> None:
    url = programme_url(corpus)
    assert "37 % réalisé" not in get(client, url)

    progress_record(
        measure=measure,
        on=timezone.localdate() - dt.timedelta(days=1),
        percent=37,
        recorded_by=None,
    )

    assert "37 % réalisé" in get(client, url)


def test_a_cited_finding_shows_at_once(corpus: Corpus, measure: Measure, client: Client) -> None:
    finding = first_finding(run_now(corpus))
    url = programme_url(corpus)
    before = get(client, url)

    measure.findings.add(finding)

    assert get(client, url) != before


def test_an_owner_renamed_shows_at_once(corpus: Corpus, measure: Measure, client: Client) -> None:
    url = programme_url(corpus)
    assert "Coopérative renommée" not in get(client, url)
    owner = Organisation.objects.get(pk=measure.owner_id)

    owner.name = "Coopérative renommée"
    owner.save()

    assert "Coopérative renommée" in get(client, url)


def test_a_curation_action_shows_at_once(corpus: Corpus, client: Client) -> None:
    finding = first_finding(run_now(corpus))
    url = diagnosis_url(corpus)
    assert f'id="finding-{finding.key}"' in get(client, url)

    finding_status_set(
        finding=finding, user=analyst_of(corpus.consultation), status=Finding.Status.REJECTED
    )

    assert f'id="finding-{finding.key}"' not in get(client, url)


def test_a_consultation_renamed_shows_at_once(corpus: Corpus, client: Client) -> None:
    run_now(corpus)
    url = diagnosis_url(corpus)
    assert "Consultation renommée" not in get(client, url)
    consultation = Consultation.objects.get(pk=corpus.consultation.pk)

    consultation.title_fr = "Consultation renommée"
    consultation.save()

    assert "Consultation renommée" in get(client, url)


def test_a_run_failed_by_update_changes_the_versions_at_once(corpus: Corpus) -> None:
    run_now(corpus)
    SynthesisRun.objects.create(consultation=corpus.consultation)
    latest, *_ = diagnosis_versions_row(corpus.consultation)
    assert latest[1] == SynthesisRun.Status.QUEUED

    # Marked failed with ``update``, which sends no signal.
    synthesis_runs_abandon_pending(consultation=corpus.consultation)

    latest, *_ = diagnosis_versions_row(corpus.consultation)
    assert latest[1] == SynthesisRun.Status.FAILED
