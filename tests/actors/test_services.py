import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import translation

from tashawur.actors.models import Consent, Participant
from tashawur.actors.services import (
    ERASED_NAME,
    consent_record,
    consent_withdraw,
    participant_has_active_consent,
)
from tashawur.contributions.models import Contribution, Vote
from tashawur.contributions.services import participant_erase
from tashawur.core.errors import DomainError
from tests.actors.factories import (
    ConsentFactory,
    ConsentTextFactory,
    OrganisationFactory,
    ParticipantFactory,
    UserFactory,
)
from tests.contributions.factories import ContributionFactory, VoteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def text_v1():
    return ConsentTextFactory(version=1)


def test_consent_record_grants_the_current_version(text_v1):
    participant = ParticipantFactory()

    consent = consent_record(participant=participant, granted=True, method="web")

    assert (consent.consent_text, consent.granted) == (text_v1, True)
    assert participant_has_active_consent(participant=participant) is True


def test_consent_record_a_new_answer_withdraws_the_previous_one(text_v1):
    participant = ParticipantFactory()
    first = consent_record(participant=participant, granted=True, method="web")

    consent_record(participant=participant, granted=False, method="web")

    first.refresh_from_db()
    assert first.withdrawn_at is not None
    assert Consent.objects.filter(participant=participant).count() == 2
    assert participant_has_active_consent(participant=participant) is False


def test_a_new_consent_version_asks_participants_again(text_v1):
    participant = ParticipantFactory()
    consent_record(participant=participant, granted=True, method="paper")

    ConsentTextFactory(version=2, published_at=dt.datetime(2019, 1, 1, tzinfo=dt.UTC))

    assert participant_has_active_consent(participant=participant) is False
    consent_record(participant=participant, granted=True, method="web")
    assert participant_has_active_consent(participant=participant) is True


def test_the_consent_answer_is_read_in_one_query(text_v1, django_assert_num_queries):
    participant = ParticipantFactory()
    consent_record(participant=participant, granted=True, method="web")
    # A later text not yet published does not count.
    ConsentTextFactory(version=2, published_at=dt.datetime(2999, 1, 1, tzinfo=dt.UTC))

    with django_assert_num_queries(1):
        assert participant_has_active_consent(participant=participant) is True


def test_without_a_published_text_nobody_has_consented():
    participant = ParticipantFactory()
    unpublished = ConsentTextFactory(version=1, published_at=dt.datetime(2999, 1, 1, tzinfo=dt.UTC))
    ConsentFactory(participant=participant, consent_text=unpublished)

    assert participant_has_active_consent(participant=participant) is False


def test_consent_withdraw_ends_participation_consent(text_v1):
    participant = ParticipantFactory(consented=True)

    assert consent_withdraw(participant=participant, purpose="participation") == 1
    assert participant_has_active_consent(participant=participant) is False


def test_consent_record_rejects_an_unknown_method(text_v1):
    with pytest.raises(DomainError) as caught:
        consent_record(participant=ParticipantFactory(), granted=True, method="telepathy")

    assert (caught.value.code, caught.value.message) == (
        "consent_method_invalid",
        "“telepathy” is not a way of recording consent.",
    )


def test_consent_record_without_a_published_text_says_so():
    with pytest.raises(DomainError) as caught:
        consent_record(participant=ParticipantFactory(), granted=True, method="web")

    assert (caught.value.code, caught.value.message) == (
        "consent_text_missing",
        "No consent text has been published for this purpose yet.",
    )


def test_participant_erase_anonymises_the_person_and_keeps_what_they_said(text_v1):
    user = UserFactory(username="fatima", email="fatima@example.org", first_name="Fatima")
    participant = ParticipantFactory(
        user=user, gender="female", age_band="45-54", preferred_language="ary", consented=True
    )
    participant.organisations.add(OrganisationFactory())
    pseudonym = participant.pseudonym
    said = ContributionFactory(author=participant, text="نقترح شباكا موحدا")
    VoteFactory(participant=participant, value=-1)

    participant_erase(participant=participant)

    participant.refresh_from_db()
    assert (participant.display_name, participant.user, participant.territory) == (
        ERASED_NAME,
        None,
        None,
    )
    assert (participant.gender, participant.age_band, participant.preferred_language) == (
        "undisclosed",
        "undisclosed",
        "",
    )
    assert participant.pseudonym != pseudonym
    assert participant.erased_at is not None
    assert participant.organisations.count() == 0
    assert participant_has_active_consent(participant=participant) is False
    assert Contribution.objects.get(pk=said.pk).text == "نقترح شباكا موحدا"
    assert Contribution.objects.get(pk=said.pk).author == participant
    assert list(Vote.objects.filter(participant=participant).values_list("value", flat=True)) == [
        -1
    ]
    user.refresh_from_db()
    assert (user.username, user.email, user.first_name, user.is_active) == (
        f"erased-{user.pk}",
        "",
        "",
        False,
    )
    assert user.has_usable_password() is False


def test_participant_erase_deletes_voice_notes_after_commit(
    text_v1, settings, tmp_path, django_capture_on_commit_callbacks
):
    """Voice notes live on private storage (``TASHAWUR_PRIVATE_MEDIA_ROOT``), never in the
    public media; erasure deletes them once the transaction has committed."""
    settings.TASHAWUR_PRIVATE_MEDIA_ROOT = tmp_path
    participant = ParticipantFactory()
    contribution = ContributionFactory(author=participant)
    contribution.audio.save("note.ogg", ContentFile(b"OggS"), save=True)
    name = contribution.audio.name
    assert (tmp_path / name).exists()
    assert not default_storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        participant_erase(participant=participant)

    assert Contribution.objects.get(pk=contribution.pk).audio.name == ""
    assert not (tmp_path / name).exists()


def test_participant_erase_twice_is_refused(text_v1):
    participant = ParticipantFactory()
    participant_erase(participant=participant)

    with pytest.raises(DomainError) as caught:
        participant_erase(participant=participant)

    assert (caught.value.code, caught.value.message) == (
        "participant_already_erased",
        "This participant's data has already been erased.",
    )
    assert Participant.objects.filter(erased_at__isnull=False).count() == 1
