"""Every service of the action programme: what it stores, and each refusal with its exact
Arabic message (Arabic is the default language)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from tashawur.core.errors import DomainError
from tashawur.programmes.models import FundingLine, Measure, Programme, ProgressUpdate
from tashawur.programmes.services import (
    indicator_add,
    measure_add,
    measure_move,
    measure_set_funding,
    programme_adopt,
    programme_create,
    progress_record,
)
from tests.actors.factories import OrganisationFactory, UserFactory
from tests.consultations.factories import ConsultationFactory
from tests.programmes.factories import (
    IndicatorFactory,
    MeasureFactory,
    ProgrammeFactory,
    finding_make,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def arabic():
    with translation.override("ar"):
        yield


def assert_rejected(error_code, message, call, /, *, field=None, **kwargs):
    """``field`` is the field the error names; every other keyword goes to ``call``."""
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    error = caught.value
    assert (error.code, error.message, error.field) == (error_code, message, field)


def add(programme, code, **kwargs):
    kwargs.setdefault("title_ar", f"إجراء {code}")
    kwargs.setdefault("title_fr", f"Mesure {code}")
    return measure_add(programme=programme, code=code, **kwargs)


# --- programme_create ------------------------------------------------------------------------


def test_programme_create_starts_a_draft():
    consultation = ConsultationFactory()

    programme = programme_create(
        consultation=consultation,
        title_ar="  برنامج العمل   الجهوي ",
        title_fr="Programme d'action régional",
        starts_on=dt.date(2019, 1, 1),
        ends_on=dt.date(2023, 12, 31),
    )

    programme.refresh_from_db()
    assert (programme.status, programme.title_ar, programme.adopted_at) == (
        "draft",
        "برنامج العمل الجهوي",
        None,
    )


def test_programme_create_refuses_a_second_programme():
    programme = ProgrammeFactory()
    assert_rejected(
        "programme_exists",
        "لهذا التشاور برنامج عمل من قبل.",
        programme_create,
        consultation=programme.consultation,
        title_ar="برنامج",
        title_fr="Programme",
        starts_on=dt.date(2019, 1, 1),
        ends_on=dt.date(2019, 12, 31),
    )


def test_programme_create_refuses_a_reversed_period():
    assert_rejected(
        "dates_reversed",
        "لا يمكن أن يسبق تاريخ النهاية تاريخ البداية.",
        programme_create,
        field="ends_on",
        consultation=ConsultationFactory(),
        title_ar="برنامج",
        title_fr="Programme",
        starts_on=dt.date(2020, 1, 1),
        ends_on=dt.date(2019, 12, 31),
    )


def test_programme_create_refuses_an_empty_title():
    assert_rejected(
        "text_empty",
        "هذا الحقل إلزامي.",
        programme_create,
        field="title_ar",
        consultation=ConsultationFactory(),
        title_ar="   ",
        title_fr="Programme",
        starts_on=dt.date(2019, 1, 1),
        ends_on=dt.date(2019, 12, 31),
    )


def test_programme_create_refuses_bidi_controls():
    assert_rejected(
        "text_bidi_controls",
        "يحتوي النص على رموز خفية للتحكم في اتجاه الكتابة (مثل U+202E) قد تُخفي مضمونه؛ "
        "احذفها وأعد الإرسال.",
        programme_create,
        field="title_fr",
        consultation=ConsultationFactory(),
        title_ar="برنامج",
        title_fr="Programme \u202eevil",
        starts_on=dt.date(2019, 1, 1),
        ends_on=dt.date(2019, 12, 31),
    )


# --- measure_add -----------------------------------------------------------------------------


def test_measure_add_stores_the_measure_with_its_partners_and_findings():
    programme = ProgrammeFactory()
    owner, partner = OrganisationFactory(), OrganisationFactory()
    finding = finding_make(programme.consultation, label_ar="ضعف التسويق")
    axis = add(programme, "2", budget=0)

    measure = add(
        programme,
        "2.1",
        parent=axis,
        owner=owner,
        partners=[partner],
        budget="1500000.50",
        starts_on=dt.date(2019, 3, 1),
        ends_on=dt.date(2020, 6, 30),
        weight=40,
        findings=[finding],
    )

    measure.refresh_from_db()
    assert (measure.parent, measure.owner, measure.budget, measure.weight, measure.status) == (
        axis,
        owner,
        Decimal("1500000.50"),
        Decimal(40),
        "planned",
    )
    assert list(measure.partners.all()) == [partner]
    assert list(measure.findings.all()) == [finding]


@pytest.mark.parametrize("code", ["", "A.1", "2.", "2..1", "2-1", "1.2.3.4.5.6.7"])
def test_measure_add_refuses_a_malformed_code(code):
    assert_rejected(
        "code_invalid",
        "رمز الإجراء أرقام تفصل بينها نقاط، مثل 2 أو 2.1.",
        add,
        field="code",
        programme=ProgrammeFactory(),
        code=code,
    )


def test_measure_add_refuses_a_code_already_taken():
    measure = MeasureFactory(code="2.1")
    assert_rejected(
        "code_taken",
        "يحمل إجراء آخر من هذا البرنامج الرمز 2.1.",
        add,
        field="code",
        programme=measure.programme,
        code="2.1",
    )


def test_measure_add_refuses_a_parent_of_another_programme():
    assert_rejected(
        "parent_other_programme",
        "الإجراء الأعلى تابع لبرنامج عمل آخر.",
        add,
        field="parent",
        programme=ProgrammeFactory(),
        code="1.1",
        parent=MeasureFactory(),
    )


def test_measure_add_refuses_a_negative_budget():
    assert_rejected(
        "amount_negative",
        "لا يمكن أن يكون المبلغ سالبا.",
        add,
        field="budget",
        programme=ProgrammeFactory(),
        code="1",
        budget=Decimal("-1"),
    )


@pytest.mark.parametrize("budget", [1.5, "abc", "NaN", "Infinity"])
def test_measure_add_refuses_a_budget_that_is_not_a_decimal_number(budget):
    assert_rejected(
        "number_invalid",
        "أدخل عددا.",
        add,
        field="budget",
        programme=ProgrammeFactory(),
        code="1",
        budget=budget,
    )


@pytest.mark.parametrize("budget", ["0.001", "1000000000000"])
def test_measure_add_refuses_an_amount_beyond_the_centime_or_a_trillion(budget):
    assert_rejected(
        "amount_invalid",
        "أدخل مبلغا بالدرهم بمنزلتين عشريتين على الأكثر، يقل عن ألف مليار.",
        add,
        field="budget",
        programme=ProgrammeFactory(),
        code="1",
        budget=budget,
    )


@pytest.mark.parametrize("weight", [-1, "100.5"])
def test_measure_add_refuses_a_weight_outside_0_100(weight):
    assert_rejected(
        "weight_invalid",
        "الوزن حصة من الإجراء الأعلى، من 0 إلى 100.",
        add,
        field="weight",
        programme=ProgrammeFactory(),
        code="1",
        weight=weight,
    )


def test_measure_add_refuses_reversed_dates():
    assert_rejected(
        "dates_reversed",
        "لا يمكن أن يسبق تاريخ النهاية تاريخ البداية.",
        add,
        field="ends_on",
        programme=ProgrammeFactory(),
        code="1",
        starts_on=dt.date(2021, 1, 2),
        ends_on=dt.date(2021, 1, 1),
    )


def test_measure_add_refuses_dates_outside_the_programme_period():
    assert_rejected(
        "dates_outside_programme",
        "يجب أن تقع تواريخ الإجراء داخل فترة البرنامج: من 1 يناير، 2019 إلى 31 دجنبر، 2023.",
        add,
        field="ends_on",
        programme=ProgrammeFactory(),
        code="1",
        starts_on=dt.date(2023, 6, 1),
        ends_on=dt.date(2024, 1, 1),
    )


def test_measure_add_refuses_findings_of_another_consultation():
    programme = ProgrammeFactory()
    elsewhere = finding_make(ConsultationFactory(), label_ar="خلاصة أخرى")
    assert_rejected(
        "finding_other_consultation",
        "لا يستجيب الإجراء إلا لخلاصات تشخيص التشاور الذي ينتمي إليه.",
        add,
        field="findings",
        programme=programme,
        code="1",
        findings=[elsewhere],
    )


def test_measure_add_refuses_a_closed_programme():
    programme = ProgrammeFactory(status=Programme.Status.CLOSED, adopted_at=timezone.now())
    assert_rejected(
        "programme_closed",
        "برنامج العمل هذا مختتم: لم يعد بالإمكان تغييره.",
        add,
        programme=programme,
        code="1",
    )


def test_measure_add_stores_nothing_when_refused():
    programme = ProgrammeFactory()
    with pytest.raises(DomainError):
        add(programme, "1", budget=-5)
    assert not Measure.objects.exists()


# --- measure_move: no cycles -----------------------------------------------------------------


def test_measure_move_puts_a_measure_under_another_parent():
    programme = ProgrammeFactory()
    one, two = add(programme, "1"), add(programme, "2")
    child = add(programme, "1.1", parent=one)

    measure_move(measure=child, parent=two)

    child.refresh_from_db()
    assert child.parent == two


def test_measure_move_refuses_the_measure_itself_as_parent():
    measure = MeasureFactory()
    assert_rejected(
        "parent_cycle",
        "لا يمكن وضع إجراء تحت نفسه أو تحت أحد إجراءاته الفرعية.",
        measure_move,
        field="parent",
        measure=measure,
        parent=measure,
    )


def test_measure_move_refuses_a_descendant_as_parent():
    programme = ProgrammeFactory()
    top = add(programme, "1")
    middle = add(programme, "1.1", parent=top)
    bottom = add(programme, "1.1.1", parent=middle)
    assert_rejected(
        "parent_cycle",
        "لا يمكن وضع إجراء تحت نفسه أو تحت أحد إجراءاته الفرعية.",
        measure_move,
        field="parent",
        measure=top,
        parent=bottom,
    )
    top.refresh_from_db()
    assert top.parent is None


# --- measure_set_funding ---------------------------------------------------------------------


def test_measure_set_funding_replaces_the_lines():
    measure = MeasureFactory(budget=Decimal("1000000"))
    measure_set_funding(measure=measure, lines={"indh_p3": "600000", "odco": 100})

    measure_set_funding(
        measure=measure,
        lines={"indh_p3": Decimal("700000"), "regional_council": "300000", "odco": 0},
    )

    assert dict(FundingLine.objects.values_list("source", "amount")) == {
        "indh_p3": Decimal("700000.00"),
        "regional_council": Decimal("300000.00"),
    }


def test_measure_set_funding_accepts_exactly_the_budget():
    measure = MeasureFactory(budget=Decimal("1000.10"))
    lines = measure_set_funding(measure=measure, lines={"ministry": "1000.05", "partners": "0.05"})
    assert sum(line.amount for line in lines) == Decimal("1000.10")


def test_measure_set_funding_refuses_funding_over_budget():
    measure = MeasureFactory(budget=Decimal("1000000"))
    measure_set_funding(measure=measure, lines={"indh_p3": "500000"})
    assert_rejected(
        "funding_over_budget",
        "التمويل (1000000.01 درهم) يتجاوز ميزانية الإجراء (1000000.00 درهم).",
        measure_set_funding,
        field="amount",
        measure=measure,
        lines={"indh_p3": "600000", "regional_council": "400000.01"},
    )
    # The lines in place stay as they were.
    assert list(FundingLine.objects.values_list("source", "amount")) == [
        ("indh_p3", Decimal("500000.00"))
    ]


def test_measure_set_funding_checks_the_budget_as_stored_not_as_passed():
    measure = MeasureFactory(budget=Decimal("1000"))
    Measure.objects.filter(pk=measure.pk).update(budget=Decimal("10"))
    with pytest.raises(DomainError) as caught:
        measure_set_funding(measure=measure, lines={"odco": "500"})
    assert caught.value.code == "funding_over_budget"


def test_measure_set_funding_refuses_funding_without_a_budget():
    assert_rejected(
        "budget_missing",
        "حدّد ميزانية الإجراء قبل تمويله.",
        measure_set_funding,
        field="budget",
        measure=MeasureFactory(budget=None),
        lines={"odco": "10"},
    )


def test_measure_set_funding_refuses_an_unknown_source():
    assert_rejected(
        "funding_source_invalid",
        "«lottery» ليس مصدر تمويل.",
        measure_set_funding,
        field="source",
        measure=MeasureFactory(),
        lines={"lottery": "10"},
    )


def test_measure_set_funding_refuses_a_negative_amount():
    assert_rejected(
        "amount_negative",
        "لا يمكن أن يكون المبلغ سالبا.",
        measure_set_funding,
        field="amount",
        measure=MeasureFactory(),
        lines={"odco": "-10"},
    )


# --- indicator_add ---------------------------------------------------------------------------


def test_indicator_add_stores_the_indicator():
    measure = MeasureFactory()
    indicator = indicator_add(
        measure=measure,
        name_ar="عدد مناصب الشغل",
        name_fr="Emplois créés",
        unit="منصب",
        baseline=0,
        target="250",
    )
    indicator.refresh_from_db()
    assert (indicator.measure, indicator.baseline, indicator.target, indicator.direction) == (
        measure,
        Decimal(0),
        Decimal(250),
        "up",
    )


def test_indicator_add_refuses_a_rising_target_below_its_baseline():
    assert_rejected(
        "target_not_beyond_baseline",
        "في مؤشر يُرجى ارتفاعه، يجب أن تفوق القيمة المستهدفة القيمة المرجعية.",
        indicator_add,
        field="target",
        measure=MeasureFactory(),
        name_ar="عدد",
        name_fr="Nombre",
        baseline=10,
        target=10,
    )


def test_indicator_add_refuses_a_falling_target_above_its_baseline():
    assert_rejected(
        "target_not_beyond_baseline",
        "في مؤشر يُرجى انخفاضه، يجب أن تقل القيمة المستهدفة عن القيمة المرجعية.",
        indicator_add,
        field="target",
        measure=MeasureFactory(),
        name_ar="مدة المعالجة",
        name_fr="Délai",
        baseline=30,
        target=40,
        direction="down",
    )


def test_indicator_add_refuses_an_unknown_direction():
    assert_rejected(
        "direction_invalid",
        "«sideways» ليس اتجاها.",
        indicator_add,
        field="direction",
        measure=MeasureFactory(),
        name_ar="عدد",
        name_fr="Nombre",
        baseline=1,
        target=2,
        direction="sideways",
    )


# --- progress_record -------------------------------------------------------------------------


def test_progress_record_stores_the_update():
    indicator = IndicatorFactory()
    user = UserFactory()
    today = timezone.localdate()

    update = progress_record(
        measure=indicator.measure,
        on=today,
        percent=35,
        note=" أُطلقت طلبات العروض ",
        indicator=indicator,
        indicator_value="18",
        recorded_by=user,
    )

    update.refresh_from_db()
    assert (update.on, update.percent, update.note, update.indicator_value, update.recorded_by) == (
        today,
        35,
        "أُطلقت طلبات العروض",
        Decimal(18),
        user,
    )


def test_progress_record_twice_with_one_key_records_once():
    measure = MeasureFactory()
    day = dt.date(2020, 5, 1)
    first = progress_record(
        measure=measure, on=day, percent=20, recorded_by=None, idempotency_key="form-7f3a"
    )
    again = progress_record(
        measure=measure, on=day, percent=20, recorded_by=None, idempotency_key="form-7f3a"
    )
    assert again.pk == first.pk
    assert ProgressUpdate.objects.count() == 1


def test_progress_record_refuses_a_key_used_for_another_measure():
    progress_record(
        measure=MeasureFactory(),
        on=dt.date(2020, 5, 1),
        percent=1,
        recorded_by=None,
        idempotency_key="k-1",
    )
    assert_rejected(
        "idempotency_key_conflict",
        "سبق استعمال مفتاح عدم التكرار هذا لإجراء آخر.",
        progress_record,
        field="idempotency_key",
        measure=MeasureFactory(),
        on=dt.date(2020, 5, 1),
        percent=1,
        recorded_by=None,
        idempotency_key="k-1",
    )


@pytest.mark.parametrize("percent", [-1, 101, 50.5, True])
def test_progress_record_refuses_a_percent_outside_0_100(percent):
    assert_rejected(
        "percent_invalid",
        "نسبة التقدم عدد صحيح من 0 إلى 100.",
        progress_record,
        field="percent",
        measure=MeasureFactory(),
        on=dt.date(2020, 5, 1),
        percent=percent,
        recorded_by=None,
    )


def test_progress_record_refuses_a_date_in_the_future():
    assert_rejected(
        "date_in_future",
        "لا يمكن أن يحمل تحيين التقدم تاريخا في المستقبل.",
        progress_record,
        field="on",
        measure=MeasureFactory(),
        on=timezone.localdate() + dt.timedelta(days=1),
        percent=10,
        recorded_by=None,
    )


def test_progress_record_refuses_a_cancelled_measure():
    assert_rejected(
        "measure_cancelled",
        "هذا الإجراء ملغى: لم يعد يقبل تحيينات التقدم.",
        progress_record,
        measure=MeasureFactory(status=Measure.Status.CANCELLED),
        on=dt.date(2020, 5, 1),
        percent=10,
        recorded_by=None,
    )


def test_progress_record_refuses_another_measures_indicator():
    assert_rejected(
        "indicator_other_measure",
        "هذا المؤشر تابع لإجراء آخر.",
        progress_record,
        field="indicator",
        measure=MeasureFactory(),
        on=dt.date(2020, 5, 1),
        percent=10,
        indicator=IndicatorFactory(),
        indicator_value=3,
        recorded_by=None,
    )


def test_progress_record_refuses_an_indicator_without_its_value():
    indicator = IndicatorFactory()
    assert_rejected(
        "indicator_value_missing",
        "أدخل قيمة المؤشر.",
        progress_record,
        field="indicator_value",
        measure=indicator.measure,
        on=dt.date(2020, 5, 1),
        percent=10,
        indicator=indicator,
        recorded_by=None,
    )


def test_progress_record_refuses_a_value_without_its_indicator():
    assert_rejected(
        "indicator_missing",
        "اختر المؤشر الذي تقيسه هذه القيمة.",
        progress_record,
        field="indicator",
        measure=MeasureFactory(),
        on=dt.date(2020, 5, 1),
        percent=10,
        indicator_value=3,
        recorded_by=None,
    )


# --- programme_adopt -------------------------------------------------------------------------


def test_programme_adopt_adopts_a_complete_draft():
    programme = ProgrammeFactory()
    MeasureFactory(programme=programme, code="1")
    MeasureFactory(programme=programme, code="1.1", budget=Decimal(0))

    adopted = programme_adopt(programme=programme)

    programme.refresh_from_db()
    assert programme.status == "adopted"
    assert programme.adopted_at == adopted.adopted_at is not None


def test_programme_adopt_refuses_a_programme_without_measures():
    assert_rejected(
        "programme_empty",
        "أضف إجراء واحدا على الأقل قبل اعتماد برنامج العمل.",
        programme_adopt,
        programme=ProgrammeFactory(),
    )


def test_programme_adopt_names_the_measures_without_an_owner():
    programme = ProgrammeFactory()
    MeasureFactory(programme=programme, code="1")
    MeasureFactory(programme=programme, code="1.2", owner=None)
    MeasureFactory(programme=programme, code="3", owner=None)
    assert_rejected(
        "measure_owner_missing",
        "يحتاج كل إجراء إلى جهة مسؤولة قبل الاعتماد؛ غير محددة في: 1.2, 3.",
        programme_adopt,
        programme=programme,
    )
    programme.refresh_from_db()
    assert (programme.status, programme.adopted_at) == ("draft", None)


def test_programme_adopt_names_the_measures_without_a_budget():
    programme = ProgrammeFactory()
    MeasureFactory(programme=programme, code="2", budget=None)
    assert_rejected(
        "measure_budget_missing",
        "يحتاج كل إجراء إلى ميزانية قبل الاعتماد؛ غير محددة في: 2.",
        programme_adopt,
        programme=programme,
    )


def test_programme_adopt_refuses_a_programme_adopted_already():
    programme = ProgrammeFactory()
    MeasureFactory(programme=programme)
    programme_adopt(programme=programme)
    assert_rejected(
        "programme_not_draft",
        "لا يُعتمد إلا برنامج عمل في طور المسودة.",
        programme_adopt,
        programme=programme,
    )


def test_an_adopted_programme_still_takes_measures_and_progress():
    programme = ProgrammeFactory()
    MeasureFactory(programme=programme, code="1")
    programme_adopt(programme=programme)

    measure = add(programme, "2", budget=10)
    progress_record(measure=measure, on=dt.date(2020, 1, 1), percent=5, recorded_by=None)

    assert measure.updates.count() == 1


def test_measure_add_refuses_a_description_too_long_with_arabic_plurals():
    assert_rejected(
        "text_too_long",
        "النص طويل جدًا: 5001 حرف، والحد الأقصى 5000.",
        add,
        field="description_ar",
        programme=ProgrammeFactory(),
        code="1",
        description_ar="ت" * 5001,
    )
