"""The programme's reads: progress roll-up over the measure tree, budget by funding source,
late measures, and the number of queries the tree takes."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tashawur.programmes.models import FundingLine, Measure, ProgressUpdate
from tashawur.programmes.selectors import (
    code_sort_key,
    measure_tree,
    measures_late,
    programme_budget_by_source,
    programme_report,
    weighted_progress,
)
from tests.programmes.factories import MeasureFactory, ProgrammeFactory, finding_make

pytestmark = pytest.mark.django_db

TODAY = dt.date(2021, 6, 15)


def progress(measure, percent, on=dt.date(2020, 1, 1)):
    return ProgressUpdate.objects.create(measure=measure, on=on, percent=percent)


def by_code(roots):
    return {node.measure.code: node for root in roots for node in root.walk()}


# --- roll-up arithmetic ----------------------------------------------------------------------


def test_weighted_progress_normalises_uneven_weights():
    # Weights 30 and 10 (sum 40): 30/40 * 80 + 10/40 * 20 = 65.
    assert weighted_progress([(Decimal(30), Decimal(80)), (Decimal(10), Decimal(20))]) == 65


def test_weighted_progress_counts_children_equally_when_every_weight_is_zero():
    assert weighted_progress([(Decimal(0), Decimal(90)), (Decimal(0), Decimal(10))]) == 50


def test_weighted_progress_of_nothing_is_none():
    assert weighted_progress([]) is None


def test_a_leaf_stands_at_its_latest_update_by_date_not_by_entry():
    measure = MeasureFactory()
    progress(measure, 60, on=dt.date(2021, 3, 1))
    progress(measure, 40, on=dt.date(2021, 1, 1))  # entered late, about an earlier date

    roots, _total = measure_tree(programme=measure.programme, today=TODAY)

    assert (roots[0].progress, roots[0].latest_on) == (Decimal(60), dt.date(2021, 3, 1))


def test_a_leaf_without_updates_stands_at_zero():
    measure = MeasureFactory()
    roots, total = measure_tree(programme=measure.programme, today=TODAY)
    assert (roots[0].progress, roots[0].latest_percent, total) == (Decimal(0), None, 0)


def test_progress_rolls_up_with_uneven_weights_over_two_levels():
    programme = ProgrammeFactory()
    axis = MeasureFactory(programme=programme, code="1", weight=70)
    other_axis = MeasureFactory(programme=programme, code="2", weight=30)
    a = MeasureFactory(programme=programme, parent=axis, code="1.1", weight=50)
    b = MeasureFactory(programme=programme, parent=axis, code="1.2", weight=30)
    c = MeasureFactory(programme=programme, parent=axis, code="1.3", weight=20)
    b1 = MeasureFactory(programme=programme, parent=b, code="1.2.1", weight=1)
    b2 = MeasureFactory(programme=programme, parent=b, code="1.2.2", weight=3)
    progress(a, 100)
    progress(c, 10)
    progress(b1, 100)
    progress(b2, 20)
    progress(b, 99)  # a parent's own update does not count: its children's do
    progress(other_axis, 50)

    roots, total = measure_tree(programme=programme, today=TODAY)
    nodes = by_code(roots)

    # 1.2 = (1*100 + 3*20) / 4 = 40
    assert nodes["1.2"].progress == 40
    # 1 = (50*100 + 30*40 + 20*10) / 100 = 64
    assert nodes["1"].progress == 64
    # programme = (70*64 + 30*50) / 100 = 59.8, shown as 60
    assert total == Decimal("59.8")
    assert programme_report(programme=programme, today=TODAY).percent == 60


def test_cancelled_children_leave_the_average():
    programme = ProgrammeFactory()
    axis = MeasureFactory(programme=programme, code="1")
    done = MeasureFactory(programme=programme, parent=axis, code="1.1", weight=25)
    MeasureFactory(
        programme=programme, parent=axis, code="1.2", weight=75, status=Measure.Status.CANCELLED
    )
    progress(done, 80)

    roots, _total = measure_tree(programme=programme, today=TODAY)

    assert roots[0].progress == 80


def test_measures_sort_by_the_numbers_of_their_code():
    programme = ProgrammeFactory()
    for code in ["10", "2", "2.10", "2.9", "1"]:
        parent = Measure.objects.filter(programme=programme, code=code.rsplit(".", 1)[0]).first()
        MeasureFactory(programme=programme, code=code, parent=parent if "." in code else None)

    roots, _total = measure_tree(programme=programme, today=TODAY)

    assert [n.measure.code for r in roots for n in r.walk()] == ["1", "2", "2.9", "2.10", "10"]
    assert code_sort_key("2.10") > code_sort_key("2.9")


# --- budget ----------------------------------------------------------------------------------


def test_budget_by_source_sums_every_measure_in_the_sources_order():
    programme = ProgrammeFactory()
    one = MeasureFactory(programme=programme, budget=Decimal("2000000"))
    two = MeasureFactory(programme=programme, budget=Decimal("500000"))
    FundingLine.objects.create(measure=one, source="regional_council", amount=Decimal("800000"))
    FundingLine.objects.create(measure=one, source="indh_p3", amount=Decimal("1000000.50"))
    FundingLine.objects.create(measure=two, source="indh_p3", amount=Decimal("250000.25"))
    FundingLine.objects.create(
        measure=MeasureFactory(), source="odco", amount=Decimal(1)
    )  # another programme

    totals = programme_budget_by_source(programme=programme)

    assert [(t.source, t.amount) for t in totals] == [
        ("indh_p3", Decimal("1250000.75")),
        ("regional_council", Decimal("800000.00")),
    ]
    report = programme_report(programme=programme, today=TODAY)
    assert (report.budget_total, report.funded_total) == (
        Decimal("2500000.00"),
        Decimal("2050000.75"),
    )


def test_a_parent_budget_does_not_include_its_children():
    programme = ProgrammeFactory()
    axis = MeasureFactory(programme=programme, code="1", budget=Decimal(100))
    MeasureFactory(programme=programme, parent=axis, code="1.1", budget=Decimal(40))
    MeasureFactory(programme=programme, parent=axis, code="1.2", budget=None)

    report = programme_report(programme=programme, today=TODAY)

    assert (report.budget_total, report.roots[0].subtree_budget) == (Decimal(140), Decimal(140))


# --- late measures ---------------------------------------------------------------------------


def test_measures_late_are_past_their_end_and_neither_done_nor_cancelled():
    programme = ProgrammeFactory()
    late = MeasureFactory(programme=programme, code="1", ends_on=dt.date(2021, 6, 14))
    delayed = MeasureFactory(
        programme=programme, code="2", ends_on=dt.date(2020, 1, 1), status=Measure.Status.DELAYED
    )
    MeasureFactory(programme=programme, code="3", ends_on=TODAY)  # due today: not late yet
    MeasureFactory(
        programme=programme, code="4", ends_on=dt.date(2020, 1, 1), status=Measure.Status.DONE
    )
    MeasureFactory(
        programme=programme, code="5", ends_on=dt.date(2020, 1, 1), status=Measure.Status.CANCELLED
    )
    MeasureFactory(programme=programme, code="6", ends_on=None)

    assert list(measures_late(programme=programme, today=TODAY)) == [delayed, late]
    report = programme_report(programme=programme, today=TODAY)
    assert {n.measure.code for n in report.late} == {"1", "2"}


def test_measures_late_defaults_to_today():
    measure = MeasureFactory(ends_on=timezone.localdate() - dt.timedelta(days=1))
    assert list(measures_late(programme=measure.programme)) == [measure]


# --- queries ---------------------------------------------------------------------------------


def _grow(programme, n):
    axis = MeasureFactory(programme=programme, code=str(n))
    finding = finding_make(programme.consultation, label_ar=f"خلاصة {n}")
    for k in range(1, 4):
        child = MeasureFactory(programme=programme, parent=axis, code=f"{n}.{k}")
        child.partners.add(child.owner)
        child.findings.add(finding)
        FundingLine.objects.create(measure=child, source="indh_p3", amount=Decimal(10))
        progress(child, 10 * k)


def test_the_report_takes_the_same_queries_whatever_the_size(django_assert_num_queries):
    programme = ProgrammeFactory()
    _grow(programme, 1)
    # One more than before issue 11: the measures' indicators (their values take one more
    # when any measure has one, whatever their number).
    with django_assert_num_queries(8):
        small = programme_report(programme=programme, today=TODAY)
        [(n.measure.owner, list(n.measure.partners.all())) for n in small.measures]
    for n in range(2, 6):
        _grow(programme, n)
    with django_assert_num_queries(8):
        large = programme_report(programme=programme, today=TODAY)
        [(n.measure.owner, list(n.measure.findings.all())) for n in large.measures]
    assert len(large.measures) == 20
