import datetime as dt

import factory
from factory.django import DjangoModelFactory

from tashawur.actors.models import (
    ActorType,
    Consent,
    ConsentText,
    Organisation,
    Participant,
)
from tashawur.core.models import User
from tashawur.core.roles import Role
from tests.territories.factories import ProvinceFactory


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.PARTICIPANT
    password = factory.django.Password("tashawur-test")


class ActorTypeFactory(DjangoModelFactory):
    class Meta:
        model = ActorType
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"type{n}")
    category = "ess_organisation"
    label_ar = factory.Sequence(lambda n: f"نوع {n}")
    label_fr = factory.Sequence(lambda n: f"Type {n}")
    label_en = factory.Sequence(lambda n: f"Type {n}")


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"تعاونية {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    actor_type = factory.SubFactory(ActorTypeFactory)
    territory = factory.SubFactory(ProvinceFactory)
    sector = Organisation.Sector.ARGAN


class ConsentTextFactory(DjangoModelFactory):
    class Meta:
        model = ConsentText
        django_get_or_create = ("purpose", "version")

    purpose = ConsentText.Purpose.PARTICIPATION
    version = 1
    text_ar = "أوافق على المشاركة."
    text_fr = "J'accepte de participer."
    published_at = dt.datetime(2018, 7, 1, tzinfo=dt.UTC)


class ParticipantFactory(DjangoModelFactory):
    """A participant; ``consented=True`` also records an active participation consent."""

    class Meta:
        model = Participant
        skip_postgeneration_save = True

    display_name = factory.Sequence(lambda n: f"مشارك {n}")
    territory = factory.SubFactory(ProvinceFactory)

    @factory.post_generation
    def consented(self, create, extracted, **kwargs):
        if create and extracted:
            ConsentFactory(participant=self)


class ConsentFactory(DjangoModelFactory):
    class Meta:
        model = Consent

    participant = factory.SubFactory(ParticipantFactory)
    consent_text = factory.SubFactory(ConsentTextFactory)
    granted = True
    method = Consent.Method.WEB
