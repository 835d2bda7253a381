"""The round table's page reads its rows in hand-written SQL (``core.raw_rows``) and keeps its
closing report's HTML in the cache (``contributions.views.workshop_report_cached``): the rows
are the ones the ORM gives, the reader's marks (votes, reports, consent) are theirs and as they
are now, and a change to what the report cites shows at once."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tashawur.actors.models import ConsentText
from tashawur.actors.services import consent_withdraw, participant_has_active_consent
from tashawur.consultations.models import Workshop
from tashawur.consultations.selectors import workshop_get_for_user
from tashawur.contributions.models import ContributionFlag, ModerationReason, ModerationStatus
from tashawur.contributions.selectors import (
    participant_flagged,
    participant_votes_on,
    reader_marks,
    workshop_contributions,
    workshop_contributions_counted,
    workshop_contributions_slice,
)
from tashawur.contributions.services import contribution_moderate, workshop_close_with_report
from tests.actors.factories import UserFactory
from tests.contributions.factories import ContributionFactory

from .world import World

pytestmark = pytest.mark.django_db


def _fields(instance: object) -> dict[str, object]:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_the_round_table_read_by_hand_is_the_orms_with_its_related_rows(world: World) -> None:
    orm = Workshop.objects.select_related(
        "meeting__consultation__region", "theme", "facilitator", "rapporteur"
    ).get(pk=world.workshop.pk)

    read = workshop_get_for_user(workshop_id=world.workshop.pk, user=AnonymousUser())

    pairs = [
        (orm, read),
        (orm.meeting, read.meeting),
        (orm.meeting.consultation, read.meeting.consultation),
        (orm.meeting.consultation.region, read.meeting.consultation.region),
        (orm.theme, read.theme),
        (orm.facilitator, read.facilitator),
        (orm.rapporteur, read.rapporteur),
    ]
    for expected, found in pairs:
        if expected is None:
            assert found is None
            continue
        assert _fields(found) == _fields(expected)
        assert {k: type(v) for k, v in _fields(found).items()} == {
            k: type(v) for k, v in _fields(expected).items()
        }
        assert not found._state.adding


def test_the_round_table_read_brings_the_readers_participant_or_none(world: World) -> None:
    user = type(world.participant_user).objects.get(pk=world.participant_user.pk)
    workshop_get_for_user(workshop_id=world.workshop.pk, user=user)
    with CaptureQueriesContext(connection) as queries:
        assert user.participant == world.participant
    assert len(queries) == 0

    staff = UserFactory()
    workshop_get_for_user(workshop_id=world.workshop.pk, user=staff)
    with CaptureQueriesContext(connection) as queries:
        assert getattr(staff, "participant", None) is None
    assert len(queries) == 0


def test_the_counts_and_the_slice_are_the_orms_for_each_reader(world: World) -> None:
    own_pending = ContributionFactory(
        workshop=world.workshop,
        author=world.participant,
        moderation_status=ModerationStatus.PENDING,
    )
    ContributionFactory(workshop=world.workshop, moderation_status=ModerationStatus.PENDING)
    for user in (world.participant_user, world.facilitator, UserFactory(), AnonymousUser()):
        everything = workshop_contributions(workshop=world.workshop, user=user)
        expected: dict[str, int] = {}
        for contribution in everything:
            expected[contribution.dimension] = expected.get(contribution.dimension, 0) + 1
        assert workshop_contributions_counted(workshop=world.workshop, user=user) == expected
        for dimension in (None, "proposal"):
            shown = everything.filter(dimension=dimension) if dimension else everything
            sliced = workshop_contributions_slice(
                workshop=world.workshop, user=user, dimension=dimension, offset=1, limit=2
            )
            assert [_fields(c) for c in sliced] == [_fields(c) for c in shown[1:3]]
    mine = workshop_contributions_slice(
        workshop=world.workshop, user=world.participant_user, dimension=None, offset=0, limit=50
    )
    assert own_pending in mine


def test_the_readers_marks_are_their_votes_reports_and_consent_now(
    world: World, participant_client: Client
) -> None:
    participant = world.participant
    participant_client.post(f"/s/{world.proposal.pk}/vote/", {"value": "-1"})
    ContributionFlag.objects.create(
        contribution=world.challenge, participant=participant, reason=ModerationReason.SPAM
    )
    contributions = [world.proposal, world.challenge, world.tifinagh]
    ids = [c.pk for c in contributions]

    marks = reader_marks(
        participant=participant, contribution_ids=ids, votes=True, flags=True, consent=True
    )

    assert marks.votes == participant_votes_on(participant=participant, contributions=contributions)
    assert marks.votes == {world.proposal.pk: -1}
    assert marks.flagged == participant_flagged(
        participant=participant, contributions=contributions
    )
    assert marks.flagged == {world.challenge.pk}
    assert marks.consents is participant_has_active_consent(participant=participant) is True
    current = ConsentText.objects.filter(
        purpose=ConsentText.Purpose.PARTICIPATION, published_at__lte=timezone.now()
    ).order_by("-version")[0]
    assert marks.consent_text_id == current.pk

    consent_withdraw(participant=participant, purpose=ConsentText.Purpose.PARTICIPATION)
    withdrawn = reader_marks(
        participant=participant, contribution_ids=ids, votes=False, flags=False, consent=True
    )
    assert (withdrawn.votes, withdrawn.flagged, withdrawn.consents) == ({}, set(), None)
    assert participant_has_active_consent(participant=participant) is False


def test_a_participant_who_withdrew_consent_is_asked_again_on_the_page(
    world: World, participant_client: Client
) -> None:
    asked = f"{reverse('web:me_consent')}?next="  # the link to the terms
    assert asked not in participant_client.get(f"/w/{world.workshop.pk}/").content.decode()

    consent_withdraw(participant=world.participant, purpose=ConsentText.Purpose.PARTICIPATION)

    assert asked in participant_client.get(f"/w/{world.workshop.pk}/").content.decode()


def _closed_with_report(world: World) -> tuple[Workshop, int]:
    cited = ContributionFactory(workshop=world.workshop, text="Un guichet unique pour les coops")
    workshop = workshop_close_with_report(
        workshop=world.workshop, closing_report=f"La table demande un guichet unique (#{cited.pk})."
    )
    return workshop, cited.pk


def test_a_cited_contribution_taken_down_leaves_the_cached_report_at_once(
    world: World, participant_client: Client
) -> None:
    workshop, cited = _closed_with_report(world)
    page = participant_client.get(f"/w/{workshop.pk}/").content.decode()
    assert f'id="cited-{cited}"' in page  # cached now

    contribution_moderate(
        contribution=type(world.proposal).objects.get(pk=cited),
        actor=world.facilitator,
        status=ModerationStatus.REJECTED,
        reason=ModerationReason.SPAM,
    )

    page = participant_client.get(f"/w/{workshop.pk}/").content.decode()
    assert f'id="cited-{cited}"' not in page
    assert "La table demande un guichet unique" in page


def test_a_cited_contribution_edited_shows_in_the_cached_report_at_once(
    world: World, participant_client: Client
) -> None:
    workshop, cited = _closed_with_report(world)
    page = participant_client.get(f"/w/{workshop.pk}/").content.decode()
    assert "Un guichet unique pour les coops" in page  # cached now

    contribution = type(world.proposal).objects.get(pk=cited)
    contribution.text = "Un guichet unique et un fonds"
    contribution.save()

    page = participant_client.get(f"/w/{workshop.pk}/").content.decode()
    assert "Un guichet unique et un fonds" in page
    assert "Un guichet unique pour les coops" not in page
