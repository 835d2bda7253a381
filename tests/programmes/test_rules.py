"""Who may edit and read an action programme: every role × programme status, for a public
consultation and for a draft one."""

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from tashawur.consultations.models import Consultation
from tashawur.core.roles import Role
from tashawur.programmes import rules
from tashawur.programmes.models import Programme
from tests.actors.factories import UserFactory
from tests.programmes.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db

ROLES = [*Role.values, "anonymous"]
EDITORS = [Role.NATIONAL_COORDINATOR, Role.REGIONAL_COORDINATOR]


def make_user(role, programme):
    """A user in the role; the regional coordinator coordinates the programme's consultation."""
    if role == "anonymous":
        return AnonymousUser()
    user = UserFactory(role=role)
    if role == Role.REGIONAL_COORDINATOR:
        programme.consultation.coordinators.add(user)
    return user


def make_programme(status, consultation_status=Consultation.Status.OPEN):
    return ProgrammeFactory(
        status=status,
        adopted_at=None if status == Programme.Status.DRAFT else timezone.now(),
        consultation__status=consultation_status,
    )


@pytest.mark.parametrize(
    ("role", "status"), list(itertools.product(ROLES, Programme.Status.values))
)
def test_who_may_edit_and_read(role, status):
    programme = make_programme(status)
    user = make_user(role, programme)

    assert rules.can_edit_programme(user, programme.consultation) == (role in EDITORS)
    assert rules.can_view_programme(user, programme) == (status != "draft" or role in EDITORS)


@pytest.mark.parametrize("role", ROLES)
def test_an_adopted_programme_of_a_draft_consultation_is_for_its_editors(role):
    programme = make_programme(Programme.Status.ADOPTED, Consultation.Status.DRAFT)
    assert rules.can_view_programme(make_user(role, programme), programme) == (role in EDITORS)


def test_a_regional_coordinator_of_another_consultation_may_not_edit():
    programme = make_programme(Programme.Status.DRAFT)
    outsider = UserFactory(role=Role.REGIONAL_COORDINATOR)
    ProgrammeFactory().consultation.coordinators.add(outsider)

    assert not rules.can_edit_programme(outsider, programme.consultation)
    assert not rules.can_view_programme(outsider, programme)


def test_an_inactive_national_coordinator_may_not_edit():
    programme = make_programme(Programme.Status.DRAFT)
    user = UserFactory(role=Role.NATIONAL_COORDINATOR, is_active=False)
    assert not rules.can_edit_programme(user, programme.consultation)
