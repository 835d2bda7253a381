"""The staff workspace's services: what they refuse, with which code, and that a refusal
writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tashawur.consultations.models import AgendaItem, Consultation, Invitation, Meeting
from tashawur.consultations.services import (
    AgendaItemSpec,
    agenda_items_replace,
    consultation_create,
    invitation_create,
    invitation_sign_up_count,
    invitation_usable,
    invitation_withdraw,
    meeting_create,
    workshop_create,
    workshop_update,
)
from tashawur.core.errors import DomainError
from tashawur.core.models import User
from tashawur.core.roles import Role
from tests.web.world import World, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db: object) -> World:
    return build_world()


def _item(position: int, start: int, end: int | None = None) -> AgendaItemSpec:
    return AgendaItemSpec(
        position=position,
        starts_at=dt.time(start),
        ends_at=dt.time(end) if end is not None else None,
        kind="plenary",
        title_ar="جلسة",
        title_fr="Séance",
    )


def test_agenda_items_replace_refuses_a_repeated_position_and_keeps_the_old_agenda(
    world: World,
) -> None:
    before = list(world.meeting.agenda_items.values_list("pk", flat=True))
    with pytest.raises(DomainError) as caught:
        agenda_items_replace(meeting=world.meeting, items=[_item(1, 9), _item(1, 10)])
    assert caught.value.code == "agenda_position_taken"
    assert list(world.meeting.agenda_items.values_list("pk", flat=True)) == before


def test_agenda_items_replace_refuses_an_item_that_ends_first(world: World) -> None:
    with pytest.raises(DomainError) as caught:
        agenda_items_replace(meeting=world.meeting, items=[_item(1, 10, 9)])
    assert caught.value.code == "agenda_item_ends_first"


def test_agenda_items_replace_writes_the_items_in_order(world: World) -> None:
    agenda_items_replace(meeting=world.meeting, items=[_item(2, 11, 12), _item(1, 9)])
    assert list(
        AgendaItem.objects.filter(meeting=world.meeting).values_list("position", "ends_at")
    ) == [
        (1, None),
        (2, dt.time(12)),
    ]


def test_meeting_create_refuses_a_meeting_that_ends_before_it_starts(world: World) -> None:
    starts = timezone.now() + dt.timedelta(days=3)
    with pytest.raises(DomainError) as caught:
        meeting_create(
            consultation=world.consultation,
            title_ar="لقاء",
            title_fr="Rencontre",
            starts_at=starts,
            ends_at=starts,
            venue_ar="قاعة",
            venue_fr="Salle",
            territory=world.meeting.territory,
            agenda_items=[_item(1, 9)],
        )
    assert (caught.value.code, caught.value.field) == ("meeting_ends_first", "ends_at")
    assert Meeting.objects.count() == 1


def test_meeting_create_makes_unique_slugs(world: World) -> None:
    starts = timezone.make_aware(dt.datetime(2027, 3, 10, 9))
    slugs = [
        meeting_create(
            consultation=world.consultation,
            title_ar="لقاء",
            title_fr="Rencontre d'Agadir",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
            venue_ar="قاعة",
            venue_fr="Salle",
            territory=world.meeting.territory,
        ).slug
        for _ in range(2)
    ]
    assert slugs == ["rencontre-dagadir-2027-03-10", "rencontre-dagadir-2027-03-10-2"]


def test_workshop_position_is_unique_within_its_meeting(world: World) -> None:
    with pytest.raises(DomainError) as caught:
        workshop_create(
            meeting=world.meeting,
            theme=world.workshop.theme,
            position=world.workshop.position,
            title_ar="مائدة",
            title_fr="Table",
        )
    assert caught.value.code == "workshop_position_taken"
    # keeping its own position is no clash
    workshop_update(
        workshop=world.workshop,
        theme=world.workshop.theme,
        position=world.workshop.position,
        title_ar="مائدة",
        title_fr="Table",
        facilitator=world.facilitator,
    )


def test_workshop_staff_must_hold_their_roles(world: World) -> None:
    analyst = User.objects.create_user("analyst", role=Role.ANALYST)
    with pytest.raises(DomainError) as caught:
        workshop_create(
            meeting=world.meeting,
            theme=world.workshop.theme,
            position=9,
            title_ar="مائدة",
            title_fr="Table",
            rapporteur=analyst,
        )
    assert (caught.value.code, caught.value.field) == ("user_wrong_role", "rapporteur")


def test_consultation_create_refuses_a_second_one_for_the_region(world: World) -> None:
    with pytest.raises(DomainError) as caught:
        consultation_create(
            strategy=world.consultation.strategy,
            region=world.consultation.region,
            title_ar="تشاور",
            title_fr="Concertation",
        )
    assert caught.value.code == "consultation_exists"
    assert Consultation.objects.count() == 1


def test_invitation_lives_thirty_days_is_withdrawn_once_and_counts_sign_ups(
    world: World,
) -> None:
    invitation = invitation_create(
        consultation=world.consultation, label="Tous", created_by=None, meeting=world.meeting
    )
    assert invitation_usable(invitation)
    assert not invitation_usable(invitation, at=timezone.now() + dt.timedelta(days=31))
    invitation_sign_up_count(invitation_id=invitation.pk)
    invitation_sign_up_count(invitation_id=invitation.pk)
    invitation_withdraw(invitation=invitation)
    with pytest.raises(DomainError) as caught:
        invitation_withdraw(invitation=invitation)
    assert caught.value.code == "invitation_withdrawn"
    invitation = Invitation.objects.get(pk=invitation.pk)
    assert invitation.sign_ups == 2
    assert not invitation_usable(invitation)


def test_invitation_refuses_a_past_expiry(
    world: World,
) -> None:
    with pytest.raises(DomainError) as caught:
        invitation_create(
            consultation=world.consultation,
            label="Tous",
            created_by=None,
            expires_at=timezone.now() - dt.timedelta(minutes=1),
        )
    assert caught.value.code == "expiry_past"
    assert not Invitation.objects.exists()
