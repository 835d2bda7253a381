import factory
from factory.django import DjangoModelFactory

from tashawur.consultations.models import Dimension
from tashawur.contributions.models import Channel, Contribution, Language, Vote
from tests.actors.factories import ParticipantFactory
from tests.consultations.factories import WorkshopFactory


class ContributionFactory(DjangoModelFactory):
    """A published proposal written on the web by its author."""

    class Meta:
        model = Contribution

    workshop = factory.SubFactory(WorkshopFactory)
    consultation = factory.LazyAttribute(lambda o: o.workshop.meeting.consultation)
    theme = factory.LazyAttribute(lambda o: o.workshop.theme)
    text = factory.Sequence(lambda n: f"نقترح إحداث شباك موحد للتعاونيات رقم {n}")
    language = Language.MSA
    dimension = Dimension.PROPOSAL
    channel = Channel.WEB
    author = factory.SubFactory(ParticipantFactory)


class VoteFactory(DjangoModelFactory):
    class Meta:
        model = Vote

    contribution = factory.SubFactory(ContributionFactory)
    participant = factory.SubFactory(ParticipantFactory)
    value = Vote.Value.AGREE
