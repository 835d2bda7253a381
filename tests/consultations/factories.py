import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from tashawur.consultations.models import (
    Consultation,
    Meeting,
    Strategy,
    Theme,
    Workshop,
)
from tashawur.core.models import User
from tashawur.core.roles import Role
from tests.actors.factories import UserFactory
from tests.territories.factories import CountryFactory, ProvinceFactory, RegionFactory


class ThemeFactory(DjangoModelFactory):
    class Meta:
        model = Theme
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"theme{n}")
    label_ar = factory.Sequence(lambda n: f"محور {n}")
    label_fr = factory.Sequence(lambda n: f"Thème {n}")
    label_en = factory.Sequence(lambda n: f"Theme {n}")


class StrategyFactory(DjangoModelFactory):
    class Meta:
        model = Strategy

    slug = factory.Sequence(lambda n: f"strategy-{n}")
    title_ar = "الاستراتيجية الوطنية للاقتصاد الاجتماعي والتضامني"
    title_fr = "Stratégie nationale de l'ESS"
    territory = factory.SubFactory(CountryFactory)
    status = Strategy.Status.ACTIVE


class ConsultationFactory(DjangoModelFactory):
    class Meta:
        model = Consultation
        skip_postgeneration_save = True

    strategy = factory.SubFactory(StrategyFactory)
    region = factory.SubFactory(RegionFactory)
    slug = factory.Sequence(lambda n: f"consultation-{n}")
    title_ar = "التشاور الجهوي"
    title_fr = "Consultation régionale"
    status = Consultation.Status.OPEN

    @factory.post_generation
    def coordinators(self, create, extracted, **kwargs):
        if create and extracted:
            self.coordinators.add(*extracted)

    @factory.post_generation
    def analysts(self, create, extracted, **kwargs):
        if create and extracted:
            self.analysts.add(*extracted)


class MeetingFactory(DjangoModelFactory):
    class Meta:
        model = Meeting

    consultation = factory.SubFactory(ConsultationFactory)
    slug = factory.Sequence(lambda n: f"meeting-{n}")
    title_ar = "اللقاء التشاوري"
    title_fr = "Rencontre consultative"
    starts_at = dt.datetime(2018, 8, 4, 9, 30, tzinfo=dt.UTC)
    ends_at = dt.datetime(2018, 8, 4, 17, 0, tzinfo=dt.UTC)
    venue_ar = "دار المبادرة الوطنية للتنمية البشرية"
    venue_fr = "Dar INDH"
    territory = factory.SubFactory(ProvinceFactory)
    status = Meeting.Status.OPEN


class WorkshopFactory(DjangoModelFactory):
    """An OPEN workshop unless told otherwise (``status=Workshop.Status.CLOSED`` also dates it)."""

    class Meta:
        model = Workshop

    meeting = factory.SubFactory(MeetingFactory)
    theme = factory.SubFactory(ThemeFactory)
    position = factory.Sequence(lambda n: n + 1)
    title_ar = factory.Sequence(lambda n: f"المائدة المستديرة {n}")
    title_fr = factory.Sequence(lambda n: f"Table ronde {n}")
    status = Workshop.Status.OPEN
    opened_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status != Workshop.Status.PLANNED else None
    )
    closed_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == Workshop.Status.CLOSED else None
    )


def analyst_of(consultation: Consultation, **kwargs) -> User:
    """An analyst assigned to ``consultation``: the role alone gives no scope (rules)."""
    analyst = UserFactory(role=Role.ANALYST, **kwargs)
    consultation.analysts.add(analyst)
    return analyst
