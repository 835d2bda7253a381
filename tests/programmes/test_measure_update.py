"""``measure_update``: a measure's own fields changed with the checks of ``measure_add`` (the
admin's measure page calls it)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from tashawur.core.errors import DomainError
from tashawur.programmes.models import FundingLine, Measure, Programme
from tashawur.programmes.services import measure_update
from tests.actors.factories import OrganisationFactory
from tests.consultations.factories import ConsultationFactory
from tests.programmes.factories import MeasureFactory, ProgrammeFactory, finding_make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def arabic():
    with translation.override("ar"):
        yield


def _update(measure: Measure, **changes):
    fields = {
        "code": measure.code,
        "title_ar": measure.title_ar,
        "title_fr": measure.title_fr,
        "owner": measure.owner,
        "budget": measure.budget,
        "status": measure.status,
    }
    return measure_update(measure=measure, **{**fields, **changes})


def test_measure_update_stores_every_field():
    measure = MeasureFactory()
    partner = OrganisationFactory()
    finding = finding_make(measure.programme.consultation, label_ar="ندرة الماء")

    _update(
        measure,
        code=" 4.2 ",
        title_fr="Guichet unique",
        budget="2500.50",
        weight="40",
        status="in_progress",
        partners=[partner],
        findings=[finding],
    )

    measure.refresh_from_db()
    assert (measure.code, measure.title_fr, measure.budget, measure.weight, measure.status) == (
        "4.2",
        "Guichet unique",
        Decimal("2500.50"),
        Decimal("40"),
        "in_progress",
    )
    assert list(measure.partners.all()) == [partner]
    assert list(measure.findings.all()) == [finding]


def _refused(measure: Measure, **changes) -> DomainError:
    with pytest.raises(DomainError) as refused:
        _update(measure, **changes)
    return refused.value


def test_measure_update_refuses_a_closed_programme():
    measure = MeasureFactory(
        programme=ProgrammeFactory(status=Programme.Status.CLOSED, adopted_at=timezone.now())
    )
    error = _refused(measure, status="done")
    assert (error.code, error.message) == (
        "programme_closed",
        "برنامج العمل هذا مختتم: لم يعد بالإمكان تغييره.",
    )
    measure.refresh_from_db()
    assert measure.status == "planned"


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"code": "2.²"}, "code_invalid", "code"),
        ({"title_ar": " "}, "text_empty", "title_ar"),
        ({"budget": "-1"}, "amount_negative", "budget"),
        ({"weight": "101"}, "weight_invalid", "weight"),
        ({"status": "abandoned"}, "measure_status_invalid", "status"),
        (
            {"ends_on": dt.date(2031, 1, 1)},
            "dates_outside_programme",
            "ends_on",
        ),
    ],
)
def test_measure_update_refuses_what_measure_add_refuses(changes, code, field):
    measure = MeasureFactory()
    error = _refused(measure, **changes)
    assert (error.code, error.field) == (code, field)


def test_measure_update_refuses_a_code_taken_in_the_programme():
    measure = MeasureFactory(code="1")
    MeasureFactory(programme=measure.programme, code="2")
    assert _refused(measure, code="2").code == "code_taken"
    assert _update(measure, code="1").code == "1"  # its own code is not "taken"


def test_measure_update_refuses_a_finding_of_another_consultation():
    measure = MeasureFactory()
    other = finding_make(ConsultationFactory(), label_ar="موضوع آخر")
    assert _refused(measure, findings=[other]).code == "finding_other_consultation"


def test_measure_update_keeps_the_budget_above_the_funding():
    measure = MeasureFactory(budget=Decimal("1000"))
    FundingLine.objects.create(measure=measure, source="odco", amount=Decimal("900"))

    over = _refused(measure, budget="899.99")
    missing = _refused(measure, budget=None)

    assert (over.code, over.field) == ("funding_over_budget", "budget")
    assert over.message == "التمويل (900.00 درهم) يتجاوز ميزانية الإجراء (899.99 درهم)."
    assert missing.code == "budget_missing"
    assert _update(measure, budget="900").budget == Decimal("900")
