import factory
from factory.django import DjangoModelFactory

from tashawur.territories.models import Territory


class CountryFactory(DjangoModelFactory):
    class Meta:
        model = Territory
        django_get_or_create = ("code",)

    code = "MA"
    level = Territory.Level.COUNTRY
    kind = Territory.Kind.COUNTRY
    name_ar = "المغرب"
    name_fr = "Maroc"
    parent = None


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Territory
        django_get_or_create = ("code",)

    code = "09"
    level = Territory.Level.REGION
    kind = Territory.Kind.REGION
    name_ar = "سوس-ماسة"
    name_fr = "Souss-Massa"
    parent = factory.SubFactory(CountryFactory)


class ProvinceFactory(DjangoModelFactory):
    class Meta:
        model = Territory
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"09.{900 + n}")
    level = Territory.Level.PROVINCE
    kind = Territory.Kind.PROVINCE
    name_ar = factory.Sequence(lambda n: f"إقليم {n}")
    name_fr = factory.Sequence(lambda n: f"Province {n}")
    parent = factory.SubFactory(RegionFactory)
