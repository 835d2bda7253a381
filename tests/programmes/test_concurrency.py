"""Races, with real threads and connections: a double-submitted progress update records once,
and a consultation gets one programme however many are started at once."""

import datetime as dt

import pytest

from tashawur.core.errors import DomainError
from tashawur.programmes.models import Programme, ProgressUpdate
from tashawur.programmes.services import programme_create, progress_record
from tests.consultations.factories import ConsultationFactory
from tests.contributions.threads import run_concurrently
from tests.programmes.factories import MeasureFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 4


def test_a_progress_update_submitted_at_once_several_times_records_once():
    measure = MeasureFactory()

    results = run_concurrently(
        lambda i: progress_record(
            measure=measure,
            on=dt.date(2020, 5, 1),
            percent=40,
            recorded_by=None,
            idempotency_key="double-click-1",
        ),
        THREADS,
    )

    assert all(isinstance(r, ProgressUpdate) for r in results), results
    assert {r.pk for r in results} == {ProgressUpdate.objects.get().pk}


def test_a_consultation_gets_one_programme_when_several_start_at_once():
    consultation = ConsultationFactory()

    results = run_concurrently(
        lambda i: programme_create(
            consultation=consultation,
            title_ar=f"برنامج {i}",
            title_fr=f"Programme {i}",
            starts_on=dt.date(2019, 1, 1),
            ends_on=dt.date(2023, 12, 31),
        ),
        THREADS,
    )

    created = [r for r in results if isinstance(r, Programme)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert (len(created), len(refused)) == (1, THREADS - 1), results
    assert {e.code for e in refused} == {"programme_exists"}
    assert Programme.objects.count() == 1
