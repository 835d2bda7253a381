"""Moderation: pre- or post-moderation at submission, decisions recorded as events, reports
(flags) once per participant, the consultation-level rule and the queue's selector."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import translation

from tashawur.consultations.models import Consultation, Dimension
from tashawur.contributions import rules, selectors
from tashawur.contributions.models import (
    Channel,
    Contribution,
    ContributionFlag,
    ModerationEvent,
    ModerationStatus,
)
from tashawur.contributions.services import (
    contribution_flag,
    contribution_moderate,
    contribution_submit,
    vote_cast,
)
from tashawur.core.errors import DomainError
from tashawur.core.roles import Role
from tests.actors.factories import ConsentTextFactory, ParticipantFactory, UserFactory
from tests.consultations.factories import ConsultationFactory, WorkshopFactory
from tests.contributions.factories import ContributionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def consent_text():
    return ConsentTextFactory()


@pytest.fixture
def facilitator():
    return UserFactory(role=Role.FACILITATOR)


@pytest.fixture
def workshop(facilitator):
    return WorkshopFactory(facilitator=facilitator)


def assert_refused(code, message, call, **kwargs):
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    assert (caught.value.code, caught.value.message) == (code, message)


def submit(workshop, **overrides):
    kwargs = {
        "workshop": workshop,
        "text": "نقترح شباكا موحدا للتعاونيات",
        "dimension": Dimension.PROPOSAL,
        "channel": Channel.WEB,
        "author": ParticipantFactory(consented=True),
        "language": "ar",
    }
    kwargs.update(overrides)
    return contribution_submit(**kwargs).contribution


def pre_moderated(workshop):
    Consultation.objects.filter(pk=workshop.meeting.consultation_id).update(
        moderation=Consultation.Moderation.PRE
    )


# --- pre- and post-moderation at submission ---------------------------------------------------


def test_post_moderation_publishes_a_new_contribution_at_once(workshop):
    assert submit(workshop).moderation_status == ModerationStatus.PUBLISHED


def test_pre_moderation_holds_a_new_contribution_as_pending(workshop):
    pre_moderated(workshop)  # the workshop object is stale: the service reads afresh

    contribution = submit(workshop)

    assert contribution.moderation_status == ModerationStatus.PENDING
    assert not Contribution.objects.published().filter(pk=contribution.pk).exists()


def test_pre_moderation_publishes_what_the_workshops_facilitator_records(workshop, facilitator):
    pre_moderated(workshop)

    contribution = submit(
        workshop, channel=Channel.FACILITATOR, author=None, recorded_by=facilitator
    )

    assert contribution.moderation_status == ModerationStatus.PUBLISHED


def test_pre_moderation_holds_what_the_rapporteur_records(workshop):
    rapporteur = UserFactory(role=Role.RAPPORTEUR)
    workshop.rapporteur = rapporteur
    workshop.save()
    pre_moderated(workshop)

    contribution = submit(
        workshop, channel=Channel.FACILITATOR, author=None, recorded_by=rapporteur
    )

    assert contribution.moderation_status == ModerationStatus.PENDING


# --- contribution_moderate: decisions and their record ----------------------------------------


def events(contribution):
    return list(
        ModerationEvent.objects.filter(contribution=contribution)
        .order_by("at", "pk")
        .values_list("action", "reason", "note", "actor__username")
    )


def test_publishing_a_pending_contribution_records_who_published_it(workshop, facilitator):
    contribution = ContributionFactory(workshop=workshop, moderation_status="pending")

    contribution_moderate(contribution=contribution, status="published", actor=facilitator)

    assert contribution.moderation_status == "published"
    assert events(contribution) == [("publish", "", "", facilitator.username)]


def test_reject_then_restore_are_both_recorded_with_the_reason(workshop, facilitator):
    contribution = ContributionFactory(workshop=workshop)

    contribution_moderate(
        contribution=contribution,
        status="rejected",
        actor=facilitator,
        reason="personal_data",
        note="  رقم هاتف  ",
    )
    assert Contribution.objects.get().moderation_status == "rejected"
    contribution_moderate(contribution=contribution, status="published", actor=facilitator)

    assert Contribution.objects.get().moderation_status == "published"
    assert events(contribution) == [
        ("reject", "personal_data", "رقم هاتف", facilitator.username),
        ("restore", "", "", facilitator.username),
    ]


def test_a_decision_that_changes_nothing_records_nothing(workshop, facilitator):
    contribution = ContributionFactory(workshop=workshop)

    contribution_moderate(contribution=contribution, status="published", actor=facilitator)

    assert events(contribution) == []


def test_admin_style_hold_is_recorded(workshop):
    contribution = ContributionFactory(workshop=workshop)

    contribution_moderate(contribution=contribution, status="pending")

    assert events(contribution) == [("hold", "", "", None)]


def test_reject_needs_a_reason(workshop):
    contribution = ContributionFactory(workshop=workshop)

    assert_refused(
        "moderation_reason_required",
        "Choose the reason for rejecting this contribution: its author will read it.",
        contribution_moderate,
        contribution=contribution,
        status="rejected",
    )
    assert Contribution.objects.get().moderation_status == "published"
    assert events(contribution) == []


def test_reject_refuses_an_unknown_reason(workshop):
    assert_refused(
        "moderation_reason_invalid",
        "“rude” is not a moderation reason.",
        contribution_moderate,
        contribution=ContributionFactory(workshop=workshop),
        status="rejected",
        reason="rude",
    )


def test_reject_refuses_a_note_with_bidi_controls(workshop):
    with pytest.raises(DomainError) as caught:
        contribution_moderate(
            contribution=ContributionFactory(workshop=workshop),
            status="rejected",
            reason="other",
            note="\u202eabc",
        )
    assert caught.value.code == "text_bidi_controls"
    assert ModerationEvent.objects.count() == 0


def test_a_facilitator_may_not_moderate_another_workshop(workshop):
    other_facilitator = UserFactory(role=Role.FACILITATOR)
    WorkshopFactory(meeting=workshop.meeting, facilitator=other_facilitator)
    contribution = ContributionFactory(workshop=workshop)

    assert_refused(
        "moderation_forbidden",
        "You may not moderate this contribution.",
        contribution_moderate,
        contribution=contribution,
        status="rejected",
        reason="spam",
        actor=other_facilitator,
    )
    assert Contribution.objects.get().moderation_status == "published"


def test_reject_and_restore_keep_the_vote_counters(workshop, facilitator):
    contribution = ContributionFactory(workshop=workshop)
    voter = ParticipantFactory()
    vote_cast(contribution=contribution, participant=voter, value=1)

    contribution_moderate(contribution=contribution, status="rejected", reason="spam")
    contribution_moderate(contribution=contribution, status="published")

    contribution.refresh_from_db()
    assert (contribution.agree_count, contribution.disagree_count) == (1, 0)


def test_an_event_needs_its_reason_on_reject_only(workshop):
    contribution = ContributionFactory(workshop=workshop)
    with pytest.raises(IntegrityError), transaction.atomic():
        ModerationEvent.objects.create(contribution=contribution, action="reject", reason="")
    with pytest.raises(IntegrityError), transaction.atomic():
        ModerationEvent.objects.create(contribution=contribution, action="publish", reason="spam")


# --- reports (flags) --------------------------------------------------------------------------


def test_a_participant_reports_a_contribution_once(workshop):
    contribution = ContributionFactory(workshop=workshop)
    reporter = ParticipantFactory()

    first = contribution_flag(contribution=contribution, participant=reporter, reason="insult")
    second = contribution_flag(contribution=contribution, participant=reporter, reason="spam")

    assert (first.created, second.created) == (True, False)
    assert second.flag == first.flag
    assert list(ContributionFlag.objects.values_list("reason", flat=True)) == ["insult"]


def test_the_database_refuses_a_second_flag_by_the_same_participant(workshop):
    contribution = ContributionFactory(workshop=workshop)
    reporter = ParticipantFactory()
    ContributionFlag.objects.create(contribution=contribution, participant=reporter, reason="spam")
    with pytest.raises(IntegrityError), transaction.atomic():
        ContributionFlag.objects.create(
            contribution=contribution, participant=reporter, reason="insult"
        )


def test_a_report_needs_a_known_reason(workshop):
    assert_refused(
        "flag_reason_invalid",
        "Choose why you report this contribution.",
        contribution_flag,
        contribution=ContributionFactory(workshop=workshop),
        participant=ParticipantFactory(),
        reason="boring",
    )
    assert ContributionFlag.objects.count() == 0


def test_an_unpublished_contribution_cannot_be_reported(workshop):
    assert_refused(
        "flag_not_published",
        "This contribution is not published: there is nothing to report.",
        contribution_flag,
        contribution=ContributionFactory(workshop=workshop, moderation_status="pending"),
        participant=ParticipantFactory(),
        reason="spam",
    )


def test_keeping_a_reported_contribution_closes_its_reports(workshop, facilitator):
    contribution = ContributionFactory(workshop=workshop)
    for reason in ("spam", "insult"):
        contribution_flag(
            contribution=contribution, participant=ParticipantFactory(), reason=reason
        )

    contribution_moderate(contribution=contribution, status="published", actor=facilitator)

    assert events(contribution) == [("keep", "", "", facilitator.username)]
    assert not ContributionFlag.objects.filter(resolved_at__isnull=True).exists()


# --- who moderates a consultation --------------------------------------------------------------


def test_can_moderate_consultation_matrix(workshop, facilitator):
    consultation = workshop.meeting.consultation
    coordinator = UserFactory(role=Role.REGIONAL_COORDINATOR)
    consultation.coordinators.add(coordinator)
    elsewhere = ConsultationFactory(strategy=consultation.strategy, region__code="01")
    other_coordinator = UserFactory(role=Role.REGIONAL_COORDINATOR)
    elsewhere.coordinators.add(other_coordinator)
    other_facilitator = UserFactory(role=Role.FACILITATOR)
    WorkshopFactory(meeting__consultation=elsewhere, facilitator=other_facilitator)
    rapporteur = UserFactory(role=Role.RAPPORTEUR)
    workshop.rapporteur = rapporteur
    workshop.save()
    national = UserFactory(role=Role.NATIONAL_COORDINATOR)

    allowed = {
        user.username: rules.can_moderate_consultation(user, consultation)
        for user in (
            national,
            coordinator,
            other_coordinator,
            facilitator,
            other_facilitator,
            rapporteur,
            UserFactory(role=Role.ANALYST),
            UserFactory(role=Role.PARTICIPANT),
        )
    }
    assert [name for name, ok in allowed.items() if ok] == [
        national.username,
        coordinator.username,
        facilitator.username,
    ]


# --- the queue --------------------------------------------------------------------------------


def test_queue_lists_pending_first_then_the_most_reported(workshop, facilitator):
    quiet = ContributionFactory(workshop=workshop)
    reported_once = ContributionFactory(workshop=workshop)
    reported_twice = ContributionFactory(workshop=workshop)
    pending = ContributionFactory(workshop=workshop, moderation_status="pending")
    contribution_flag(contribution=reported_once, participant=ParticipantFactory(), reason="spam")
    for _n in range(2):
        contribution_flag(
            contribution=reported_twice, participant=ParticipantFactory(), reason="spam"
        )
    consultation = workshop.meeting.consultation

    queue = selectors.moderation_queue(consultation=consultation, user=facilitator)
    everything = selectors.moderation_queue(
        consultation=consultation, user=facilitator, status="all"
    )

    assert [(c.pk, c.open_flags) for c in queue] == [
        (pending.pk, 0),
        (reported_twice.pk, 2),
        (reported_once.pk, 1),
    ]
    assert [c.pk for c in everything][-1] == quiet.pk


def test_queue_of_a_facilitator_holds_only_their_workshops(workshop, facilitator):
    mine = ContributionFactory(workshop=workshop, moderation_status="pending")
    ContributionFactory(
        workshop=WorkshopFactory(meeting=workshop.meeting), moderation_status="pending"
    )
    consultation = workshop.meeting.consultation

    queue = selectors.moderation_queue(consultation=consultation, user=facilitator)

    assert [c.pk for c in queue] == [mine.pk]


def test_queue_refuses_a_workshop_the_user_does_not_moderate(workshop, facilitator):
    other = WorkshopFactory(meeting=workshop.meeting)
    assert_refused(
        "queue_workshop_invalid",
        "You do not moderate this workshop, or it is not part of this consultation.",
        selectors.moderation_queue,
        consultation=workshop.meeting.consultation,
        user=facilitator,
        workshop_id=other.pk,
    )


def test_queue_refuses_an_unknown_filter(workshop, facilitator):
    assert_refused(
        "queue_filter_invalid",
        "“hidden” is not a filter of the moderation queue.",
        selectors.moderation_queue,
        consultation=workshop.meeting.consultation,
        user=facilitator,
        status="hidden",
    )


def test_contribution_get_for_moderation_refuses_another_workshops_facilitator(workshop):
    other_facilitator = UserFactory(role=Role.FACILITATOR)
    WorkshopFactory(meeting=workshop.meeting, facilitator=other_facilitator)
    contribution = ContributionFactory(workshop=workshop)
    with pytest.raises(PermissionDenied):
        selectors.contribution_get_for_moderation(
            consultation=workshop.meeting.consultation,
            contribution_id=contribution.pk,
            user=other_facilitator,
        )


def test_an_author_reads_their_own_pending_contribution_and_nobody_else_does(workshop):
    author_user = UserFactory()
    author = ParticipantFactory(user=author_user)
    pending = ContributionFactory(workshop=workshop, author=author, moderation_status="pending")
    stranger = UserFactory()
    ParticipantFactory(user=stranger)

    mine = selectors.workshop_contributions(workshop=workshop, user=author_user)
    theirs = selectors.workshop_contributions(workshop=workshop, user=stranger)

    assert list(mine) == [pending]
    assert list(theirs) == []
