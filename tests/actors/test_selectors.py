"""Whose data a participant may export ("My data"); the export itself is tested in
tests/web/test_my_data_export.py."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone, translation

from tashawur.actors.selectors import participant_get_for_export
from tashawur.core.errors import DomainError
from tests.actors.factories import ParticipantFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_get_for_export_returns_the_users_own_participant():
    user = UserFactory()
    participant = ParticipantFactory(user=user)

    assert participant_get_for_export(user=user) == participant


def test_get_for_export_refuses_a_user_without_participant():
    with pytest.raises(DomainError) as caught:
        participant_get_for_export(user=UserFactory())

    assert (caught.value.code, caught.value.message) == (
        "participant_missing",
        "Your account is not linked to a participant: this platform holds no participation "
        "data about you to export.",
    )


def test_get_for_export_refuses_an_anonymous_visitor():
    with pytest.raises(DomainError) as caught:
        participant_get_for_export(user=AnonymousUser())

    assert caught.value.code == "participant_missing"


def test_get_for_export_refuses_an_erased_participant():
    user = UserFactory()
    ParticipantFactory(user=user, erased_at=timezone.now())

    with pytest.raises(DomainError) as caught:
        participant_get_for_export(user=user)

    assert (caught.value.code, caught.value.message) == (
        "participant_erased",
        "Your data has been erased: there is nothing left to export.",
    )
