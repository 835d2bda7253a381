"""The database holds the programme's integrity even for writes that bypass the services."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from tashawur.programmes.models import FundingLine, Measure, Programme, ProgressUpdate
from tests.programmes.factories import IndicatorFactory, MeasureFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


def assert_refused(create, **kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        create(**kwargs)


def test_a_consultation_has_one_programme():
    programme = ProgrammeFactory()
    assert_refused(ProgrammeFactory, consultation=programme.consultation)


def test_a_programme_ends_after_it_starts():
    assert_refused(ProgrammeFactory, starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2019, 1, 1))


def test_an_adopted_programme_has_its_adoption_time():
    assert_refused(ProgrammeFactory, status=Programme.Status.ADOPTED, adopted_at=None)


def test_a_code_is_unique_within_a_programme_only():
    measure = MeasureFactory(code="2.1")
    assert_refused(MeasureFactory, programme=measure.programme, code="2.1")
    assert MeasureFactory(code="2.1").code == "2.1"  # in another programme


def test_a_budget_is_not_negative():
    assert_refused(MeasureFactory, budget=Decimal("-0.01"))


def test_a_measure_ends_after_it_starts():
    assert_refused(MeasureFactory, starts_on=dt.date(2021, 6, 1), ends_on=dt.date(2021, 5, 31))


@pytest.mark.parametrize("weight", [Decimal("-1"), Decimal("100.01")])
def test_a_weight_lies_between_0_and_100(weight):
    assert_refused(MeasureFactory, weight=weight)


def test_a_measure_status_is_one_of_the_choices():
    assert_refused(MeasureFactory, status="forgotten")


def test_a_funding_line_is_positive_and_one_per_source():
    measure = MeasureFactory()
    assert_refused(FundingLine.objects.create, measure=measure, source="indh_p3", amount=0)
    FundingLine.objects.create(measure=measure, source="indh_p3", amount=Decimal(10))
    assert_refused(FundingLine.objects.create, measure=measure, source="indh_p3", amount=1)
    assert_refused(FundingLine.objects.create, measure=measure, source="lottery", amount=1)


@pytest.mark.parametrize(
    ("direction", "baseline", "target"), [("up", 10, 10), ("up", 10, 5), ("down", 10, 12)]
)
def test_an_indicator_target_lies_beyond_its_baseline(direction, baseline, target):
    assert_refused(IndicatorFactory, direction=direction, baseline=baseline, target=target)


@pytest.mark.parametrize("percent", [101, 1000])
def test_a_progress_percent_lies_between_0_and_100(percent):
    assert_refused(
        ProgressUpdate.objects.create,
        measure=MeasureFactory(),
        on=dt.date(2020, 1, 1),
        percent=percent,
    )


def test_an_indicator_value_comes_with_its_indicator():
    indicator = IndicatorFactory()
    measure = indicator.measure
    day = dt.date(2020, 1, 1)
    assert_refused(
        ProgressUpdate.objects.create, measure=measure, on=day, percent=5, indicator=indicator
    )
    assert_refused(
        ProgressUpdate.objects.create, measure=measure, on=day, percent=5, indicator_value=3
    )


def test_an_idempotency_key_records_once():
    measure = MeasureFactory()
    day = dt.date(2020, 1, 1)
    ProgressUpdate.objects.create(measure=measure, on=day, percent=5, idempotency_key="k1")
    assert_refused(
        ProgressUpdate.objects.create, measure=measure, on=day, percent=6, idempotency_key="k1"
    )
    # Without a key, as many updates as one likes.
    ProgressUpdate.objects.create(measure=measure, on=day, percent=7)
    ProgressUpdate.objects.create(measure=measure, on=day, percent=8)
    assert ProgressUpdate.objects.count() == 3


def test_money_is_stored_as_decimal_to_the_centime():
    measure = MeasureFactory(budget=Decimal("1234567890.55"))
    measure.refresh_from_db()
    assert measure.budget == Decimal("1234567890.55")
    assert isinstance(Measure.objects.values_list("budget", flat=True).get(), Decimal)
