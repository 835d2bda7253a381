"""The services of the programme workspace: funding by call (cap, co-financing rate, budget),
the tree's three levels and its order, deleting a measure, links to findings, indicators and
their values, progress with evidence; each refusal with its exact Arabic message and nothing
written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from tashawur.core.errors import DomainError
from tashawur.programmes.models import FundingLine, FundingSource, Measure, ProgressUpdate
from tashawur.programmes.selectors import measure_tree
from tashawur.programmes.services import (
    FundingTerms,
    evidence_check,
    indicator_update,
    indicator_value_record,
    measure_add,
    measure_delete,
    measure_finding_link,
    measure_finding_unlink,
    measure_move,
    measure_set_funding,
    measure_shift,
    programme_update,
    progress_record,
)
from tests.consultations.factories import ConsultationFactory
from tests.programmes.factories import (
    IndicatorFactory,
    MeasureFactory,
    ProgrammeFactory,
    finding_make,
)

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def arabic():
    with translation.override("ar"):
        yield


@pytest.fixture(autouse=True)
def private_media(monkeypatch, tmp_path):
    """The evidence field's storage, built once with the model, pointed at a temporary folder."""
    root = tmp_path / "private"
    field = ProgressUpdate._meta.get_field("evidence")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=root))
    return root


def refused(code: str, call, /, **kwargs) -> DomainError:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    assert caught.value.code == code
    return caught.value


# --- funding by call -------------------------------------------------------------------------


def test_funding_keeps_the_call_its_rate_and_its_cap():
    measure = MeasureFactory(budget=Decimal("1000000"))
    measure_set_funding(
        measure=measure,
        lines={
            "indh_p3": FundingTerms(
                amount="600000", call="INDH P3 2024", cofinancing_rate="60", cap="700000"
            ),
            "regional_council": "400000",
        },
    )
    line = FundingLine.objects.get(measure=measure, source="indh_p3")
    assert (line.amount, line.call, line.cofinancing_rate, line.cap) == (
        Decimal("600000"),
        "INDH P3 2024",
        Decimal("60"),
        Decimal("700000"),
    )
    assert FundingLine.objects.get(source="regional_council").call == ""


def test_funding_refuses_a_line_above_its_cap_and_writes_nothing():
    measure = MeasureFactory(budget=Decimal("1000000"))
    measure_set_funding(measure=measure, lines={"odco": "1000"})
    error = refused(
        "funding_over_cap",
        measure_set_funding,
        measure=measure,
        lines={"indh_p3": FundingTerms(amount="500000", cap="400000")},
    )
    label = FundingSource.INDH_PROGRAMME_3.label
    assert error.message == (
        f"{label}: مبلغ 500000.00 درهم يتجاوز سقف طلب المشاريع البالغ 400000.00 درهم."
    )
    assert list(FundingLine.objects.values_list("source", "amount")) == [
        ("odco", Decimal("1000.00"))
    ]


def test_funding_refuses_a_line_above_its_rate_of_the_budget():
    measure = MeasureFactory(budget=Decimal("100000"))
    error = refused(
        "funding_over_rate",
        measure_set_funding,
        measure=measure,
        lines={"ministry": FundingTerms(amount="50000.01", cofinancing_rate="50")},
    )
    assert "50.00%" in error.message and "50000.00" in error.message
    assert not FundingLine.objects.exists()


def test_funding_accepts_exactly_the_rate_of_the_budget():
    measure = MeasureFactory(budget=Decimal("100000"))
    lines = measure_set_funding(
        measure=measure, lines={"ministry": FundingTerms(amount="50000", cofinancing_rate="50")}
    )
    assert [line.amount for line in lines] == [Decimal("50000")]


def test_funding_still_refuses_lines_summing_above_the_budget():
    measure = MeasureFactory(budget=Decimal("1000"))
    error = refused(
        "funding_over_budget",
        measure_set_funding,
        measure=measure,
        lines={"ministry": FundingTerms(amount="600", cap="600"), "partners": "400.01"},
    )
    assert error.message == "التمويل (1000.01 درهم) يتجاوز ميزانية الإجراء (1000.00 درهم)."
    assert not FundingLine.objects.exists()


@pytest.mark.parametrize("rate", ["0", "100.01", "-5", "12.345"])
def test_funding_refuses_a_rate_outside_0_100(rate):
    measure = MeasureFactory(budget=Decimal("1000"))
    refused(
        "cofinancing_rate_invalid",
        measure_set_funding,
        measure=measure,
        lines={"ministry": FundingTerms(amount="10", cofinancing_rate=rate)},
    )


# --- the tree: three levels, order, deletion -------------------------------------------------


def test_a_fourth_level_is_refused():
    programme = ProgrammeFactory()
    axis = measure_add(programme=programme, code="1", title_ar="محور", title_fr="Axe")
    measure = measure_add(
        programme=programme, code="1.1", title_ar="إجراء", title_fr="Mesure", parent=axis
    )
    action = measure_add(
        programme=programme, code="1.1.1", title_ar="عملية", title_fr="Action", parent=measure
    )
    error = refused(
        "measure_too_deep",
        measure_add,
        programme=programme,
        code="1.1.1.1",
        title_ar="أعمق",
        title_fr="Trop",
        parent=action,
    )
    assert error.message == ("للبرنامج ثلاثة مستويات (محور، إجراء، عملية): لا شيء يوضع تحت عملية.")
    assert Measure.objects.count() == 3


def test_moving_a_branch_below_the_third_level_is_refused():
    programme = ProgrammeFactory()
    one = MeasureFactory(programme=programme, code="1")
    one_one = MeasureFactory(programme=programme, code="1.1", parent=one)
    two = MeasureFactory(programme=programme, code="2")
    MeasureFactory(programme=programme, code="2.1", parent=two)
    refused("measure_too_deep", measure_move, measure=two, parent=one_one)
    two.refresh_from_db()
    assert two.parent is None


def test_new_siblings_come_last_and_move_up_and_down():
    programme = ProgrammeFactory()
    first = measure_add(programme=programme, code="1", title_ar="أ", title_fr="A")
    second = measure_add(programme=programme, code="2", title_ar="ب", title_fr="B")
    third = measure_add(programme=programme, code="3", title_ar="ج", title_fr="C")
    assert [first.position, second.position, third.position] == [0, 1, 2]

    measure_shift(measure=third, direction="up")
    roots, _progress = measure_tree(programme=programme)
    assert [node.measure.code for node in roots] == ["1", "3", "2"]

    measure_shift(measure=Measure.objects.get(pk=first.pk), direction="down")
    roots, _progress = measure_tree(programme=programme)
    assert [node.measure.code for node in roots] == ["3", "1", "2"]


def test_moving_the_first_measure_up_keeps_the_order():
    programme = ProgrammeFactory()
    first = measure_add(programme=programme, code="1", title_ar="أ", title_fr="A")
    measure_add(programme=programme, code="2", title_ar="ب", title_fr="B")
    measure_shift(measure=first, direction="up")
    roots, _progress = measure_tree(programme=programme)
    assert [node.measure.code for node in roots] == ["1", "2"]


def test_delete_removes_a_measure_with_its_funding_and_indicators():
    measure = MeasureFactory()
    IndicatorFactory(measure=measure)
    measure_set_funding(measure=measure, lines={"odco": "100"})
    measure_delete(measure=measure)
    assert not Measure.objects.filter(pk=measure.pk).exists()
    assert not FundingLine.objects.exists()


def test_delete_refuses_a_measure_with_sub_measures():
    parent = MeasureFactory()
    MeasureFactory(programme=parent.programme, parent=parent)
    error = refused("measure_has_children", measure_delete, measure=parent)
    assert error.message == "لهذا الإجراء إجراءات فرعية: احذفها أو انقلها أولا."
    assert Measure.objects.count() == 2


def test_delete_refuses_a_measure_with_progress():
    measure = MeasureFactory()
    progress_record(measure=measure, on=dt.date(2020, 1, 1), percent=5, recorded_by=None)
    refused("measure_has_progress", measure_delete, measure=measure)
    assert Measure.objects.filter(pk=measure.pk).exists()


# --- the programme ---------------------------------------------------------------------------


def test_programme_update_changes_titles_and_period():
    programme = ProgrammeFactory()
    programme_update(
        programme=programme,
        title_ar="برنامج جديد",
        title_fr="Nouveau programme",
        starts_on=dt.date(2019, 1, 1),
        ends_on=dt.date(2025, 12, 31),
    )
    programme.refresh_from_db()
    assert (programme.title_fr, programme.ends_on) == ("Nouveau programme", dt.date(2025, 12, 31))


def test_programme_update_refuses_a_period_leaving_out_a_measure():
    programme = ProgrammeFactory()
    MeasureFactory(programme=programme, code="4", ends_on=dt.date(2023, 6, 1))
    refused(
        "measures_outside_period",
        programme_update,
        programme=programme,
        title_ar="x",
        title_fr="x",
        starts_on=dt.date(2019, 1, 1),
        ends_on=dt.date(2022, 12, 31),
    )
    programme.refresh_from_db()
    assert programme.ends_on == dt.date(2023, 12, 31)


# --- findings --------------------------------------------------------------------------------


def test_link_and_unlink_a_finding():
    measure = MeasureFactory()
    finding = finding_make(measure.programme.consultation, label_ar="كلفة الشهادة")
    measure_finding_link(measure=measure, finding=finding)
    assert list(measure.findings.all()) == [finding]
    measure_finding_unlink(measure=measure, finding=finding)
    assert not measure.findings.exists()


def test_link_refuses_another_consultations_finding():
    measure = MeasureFactory()
    elsewhere = finding_make(ConsultationFactory(), label_ar="خلاصة أخرى")
    refused("finding_other_consultation", measure_finding_link, measure=measure, finding=elsewhere)
    assert not measure.findings.exists()


# --- indicators and their values -------------------------------------------------------------


def test_indicator_update_changes_the_indicator():
    indicator = IndicatorFactory()
    indicator_update(
        indicator=indicator,
        name_ar="عدد التعاونيات",
        name_fr="Coopératives",
        unit="تعاونية",
        baseline="5",
        target="2",
        direction="down",
    )
    indicator.refresh_from_db()
    assert (indicator.baseline, indicator.target, indicator.direction) == (
        Decimal("5"),
        Decimal("2"),
        "down",
    )


def test_indicator_update_refuses_a_target_not_beyond_the_baseline():
    indicator = IndicatorFactory()
    error = refused(
        "target_not_beyond_baseline",
        indicator_update,
        indicator=indicator,
        name_ar="x",
        name_fr="x",
        baseline="50",
        target="10",
    )
    assert error.message == "في مؤشر يُرجى ارتفاعه، يجب أن تفوق القيمة المستهدفة القيمة المرجعية."
    assert error.field == "target"
    indicator.refresh_from_db()
    assert indicator.target == Decimal(50)


def test_indicator_values_keep_the_measures_progress():
    indicator = IndicatorFactory()
    progress_record(measure=indicator.measure, on=dt.date(2020, 1, 1), percent=40, recorded_by=None)
    indicator_value_record(
        indicator=indicator, on=dt.date(2020, 6, 1), value="20", recorded_by=None
    )
    indicator_value_record(
        indicator=indicator, on=dt.date(2021, 6, 1), value="35", recorded_by=None
    )
    values = list(indicator.values.order_by("on").values_list("on", "indicator_value", "percent"))
    assert values == [
        (dt.date(2020, 6, 1), Decimal("20"), 40),
        (dt.date(2021, 6, 1), Decimal("35"), 40),
    ]


def test_indicator_value_with_one_key_records_once():
    indicator = IndicatorFactory()
    for _ in range(2):
        indicator_value_record(
            indicator=indicator,
            on=dt.date(2020, 6, 1),
            value="20",
            recorded_by=None,
            idempotency_key="value-once-1",
        )
    assert indicator.values.count() == 1


# --- evidence --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "suffix"),
    [(PNG, ".png"), (JPEG, ".jpg"), (PDF, ".pdf"), (b"RIFF\0\0\0\0WEBPVP8 ", ".webp")],
)
def test_evidence_type_is_told_by_its_bytes(content, suffix):
    upload = SimpleUploadedFile("whatever.txt", content, content_type="text/plain")
    assert evidence_check(upload) == suffix


def test_evidence_refuses_other_bytes_whatever_its_name():
    upload = SimpleUploadedFile("photo.jpg", b"<html>not a photo</html>", content_type="image/jpeg")
    error = refused("evidence_type_invalid", evidence_check, evidence=upload)
    assert error.message == "يجب أن يكون الإثبات صورة (JPEG أو PNG أو WebP) أو ملف PDF."


def test_evidence_refuses_a_file_above_the_limit(settings):
    settings.TASHAWUR_EVIDENCE_MAX_BYTES = 50
    upload = SimpleUploadedFile("p.png", PNG, content_type="image/png")
    error = refused("evidence_too_large", evidence_check, evidence=upload)
    assert error.field == "evidence"


def test_progress_with_evidence_stores_it_privately_under_a_random_name(private_media):
    measure = MeasureFactory()
    update = progress_record(
        measure=measure,
        on=dt.date(2020, 1, 1),
        percent=30,
        recorded_by=None,
        note="أشغال البناء",
        evidence=SimpleUploadedFile("Fatima Amrani.png", PNG, content_type="image/png"),
        evidence_public=True,
    )
    update.refresh_from_db()
    assert update.evidence_public
    assert update.evidence.name.startswith(f"programmes/evidence/{measure.pk}/")
    assert update.evidence.name.endswith(".png")
    assert "Fatima" not in update.evidence.name
    assert (private_media / update.evidence.name).read_bytes() == PNG


def test_progress_refused_for_its_evidence_writes_nothing(private_media):
    measure = MeasureFactory()
    refused(
        "evidence_type_invalid",
        progress_record,
        measure=measure,
        on=dt.date(2020, 1, 1),
        percent=30,
        recorded_by=None,
        evidence=SimpleUploadedFile("x.png", b"GIF89a....", content_type="image/png"),
    )
    assert not ProgressUpdate.objects.exists()
    assert not private_media.exists() or not any(private_media.rglob("*.*"))


def test_public_tick_without_evidence_is_not_kept():
    update = progress_record(
        measure=MeasureFactory(),
        on=dt.date(2020, 1, 1),
        percent=30,
        recorded_by=None,
        evidence_public=True,
    )
    assert not update.evidence_public
