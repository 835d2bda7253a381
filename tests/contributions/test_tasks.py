import pytest

from tashawur.consultations.models import Dimension
from tashawur.contributions.models import Channel, Contribution, Language
from tashawur.contributions.services import contribution_submit
from tashawur.contributions.tasks import contribution_identify_language
from tests.actors.factories import ConsentTextFactory, ParticipantFactory
from tests.callbacks import queued
from tests.consultations.factories import WorkshopFactory
from tests.contributions.factories import ContributionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def workshop():
    ConsentTextFactory()
    return WorkshopFactory()


def submit(workshop, text, **kwargs):
    return contribution_submit(
        workshop=workshop,
        text=text,
        dimension=Dimension.CHALLENGE,
        channel=Channel.WEB,
        author=ParticipantFactory(consented=True),
        **kwargs,
    ).contribution


def test_contribution_submit_without_language_is_identified_after_commit(
    workshop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        contribution = submit(
            workshop, "Les coopératives n'ont pas accès au crédit bancaire sans garantie."
        )
        assert Contribution.objects.get(pk=contribution.pk).language == Language.UNDETERMINED

    assert len(queued(callbacks)) == 1
    assert Contribution.objects.get(pk=contribution.pk).language == Language.FRENCH


def test_contribution_submit_with_a_language_queues_nothing(
    workshop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        contribution = submit(workshop, "ⵜⵉⵡⵉⵣⵉ ⴷ ⴰⵙⴰⵙ ⵏ ⵜⵎⵢⴰⵡⴰⵙⵜ.", language=Language.AMAZIGH)

    assert queued(callbacks) == []
    assert Contribution.objects.get(pk=contribution.pk).language == Language.AMAZIGH


def test_contribution_identify_language_keeps_a_language_set_by_a_person():
    contribution = ContributionFactory(text="Nous proposons un guichet unique.", language="ary")

    result = contribution_identify_language.enqueue(contribution.pk)

    assert result.return_value == "ary"


def test_contribution_identify_language_tags_tifinagh():
    contribution = ContributionFactory(text="ⵜⵉⵡⵉⵣⵉ ⴷ ⴰⵙⴰⵙ ⵏ ⵜⵎⵢⴰⵡⴰⵙⵜ.", language="und")

    result = contribution_identify_language.enqueue(contribution.pk)

    assert (result.return_value, Contribution.objects.get().language) == ("zgh", "zgh")


def test_contribution_identify_language_of_a_deleted_contribution_does_nothing():
    result = contribution_identify_language.enqueue(987654)

    assert result.return_value is None
