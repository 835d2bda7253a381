import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from tashawur.consultations.models import Consultation, Dimension
from tashawur.diagnosis.models import Finding, SynthesisRun
from tashawur.programmes.models import Indicator, Measure, Programme
from tests.actors.factories import OrganisationFactory
from tests.consultations.factories import ConsultationFactory


class ProgrammeFactory(DjangoModelFactory):
    class Meta:
        model = Programme

    consultation = factory.SubFactory(ConsultationFactory)
    title_ar = "برنامج العمل الجهوي للاقتصاد الاجتماعي والتضامني"
    title_fr = "Programme d'action régional de l'ESS"
    starts_on = dt.date(2019, 1, 1)
    ends_on = dt.date(2023, 12, 31)


class MeasureFactory(DjangoModelFactory):
    class Meta:
        model = Measure

    programme = factory.SubFactory(ProgrammeFactory)
    code = factory.Sequence(lambda n: str(n + 1))
    title_ar = factory.Sequence(lambda n: f"إجراء {n}")
    title_fr = factory.Sequence(lambda n: f"Mesure {n}")
    owner = factory.SubFactory(OrganisationFactory)
    budget = Decimal("100000.00")


class IndicatorFactory(DjangoModelFactory):
    class Meta:
        model = Indicator

    measure = factory.SubFactory(MeasureFactory)
    name_ar = "عدد التعاونيات المواكبة"
    name_fr = "Coopératives accompagnées"
    unit = "تعاونية"
    baseline = Decimal(10)
    target = Decimal(50)


def finding_make(consultation: Consultation, *, label_ar: str, label_fr: str = "") -> Finding:
    """A finding of a succeeded synthesis run of the consultation (one run per consultation)."""
    now = timezone.now()
    run = SynthesisRun.objects.filter(consultation=consultation).first()
    if run is None:
        run = SynthesisRun.objects.create(
            consultation=consultation,
            status=SynthesisRun.Status.SUCCEEDED,
            started_at=now,
            finished_at=now,
            result={},
        )
    position = run.findings.count() + 1
    return Finding.objects.create(
        run=run,
        key=f"F{position}",
        theme_key="T1",
        label_ar=label_ar,
        label_fr=label_fr or label_ar,
        size=3,
        dimension=Dimension.CHALLENGE,
        dimension_counts={"challenge": 3},
        position=position,
    )


def run_make(consultation: Consultation, *, finished_at: dt.datetime) -> SynthesisRun:
    """A succeeded synthesis run of the consultation, finished at ``finished_at``."""
    return SynthesisRun.objects.create(
        consultation=consultation,
        status=SynthesisRun.Status.SUCCEEDED,
        started_at=finished_at - dt.timedelta(minutes=1),
        finished_at=finished_at,
        result={},
    )


def finding_in(
    run: SynthesisRun,
    key: str,
    *,
    label_ar: str = "",
    status: str = Finding.Status.PROPOSED,
    merged_into: Finding | None = None,
) -> Finding:
    """A finding of ``run`` with the library's stable ``key`` ("F3")."""
    position = run.findings.count() + 1
    return Finding.objects.create(
        run=run,
        key=key,
        theme_key="T1",
        label_ar=label_ar or f"خلاصة {key}",
        label_fr=f"Constat {key}",
        size=3,
        dimension=Dimension.CHALLENGE,
        dimension_counts={"challenge": 3},
        position=position,
        status=status,
        merged_into=merged_into,
    )
