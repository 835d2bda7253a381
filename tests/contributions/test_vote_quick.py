"""``vote_cast_quick``: the common case of a vote in raw SQL, exact like ``vote_cast``, and
``None`` (nothing written) for every case the full path must answer."""

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tashawur.consultations.models import Consultation, Dimension, Workshop
from tashawur.contributions.generations import consultation_votes_generation
from tashawur.contributions.models import Contribution, ModerationStatus, Vote
from tashawur.contributions.services import vote_cast_quick
from tashawur.contributions.services.votes import QuickBallot
from tashawur.core.errors import DomainError
from tests.actors.factories import ParticipantFactory, UserFactory
from tests.consultations.factories import WorkshopFactory
from tests.contributions.factories import ContributionFactory
from tests.contributions.threads import run_concurrently


def _voter():
    user = UserFactory()
    return user, ParticipantFactory(user=user)


def _counts(contribution: Contribution) -> tuple[int, int, int]:
    contribution.refresh_from_db()
    return (contribution.agree_count, contribution.disagree_count, contribution.pass_count)


@pytest.mark.django_db
def test_vote_cast_quick_records_a_first_vote_and_moves_the_counter():
    proposal = ContributionFactory()
    user, participant = _voter()

    ballot = vote_cast_quick(contribution_id=proposal.pk, user=user, value=Vote.Value.AGREE)

    assert ballot is not None
    assert (ballot.created, ballot.previous_value, ballot.value) == (True, None, 1)
    assert (ballot.pk, ballot.workshop_id) == (proposal.pk, proposal.workshop_id)
    assert (ballot.agree_count, ballot.disagree_count, ballot.pass_count) == (1, 0, 0)
    assert _counts(proposal) == (1, 0, 0)
    vote = Vote.objects.get(contribution=proposal, participant=participant)
    assert vote.value == 1
    assert vote.created_at is not None
    assert vote.created_at == vote.updated_at


@pytest.mark.django_db
def test_vote_cast_quick_changed_vote_moves_both_counters():
    proposal = ContributionFactory()
    user, participant = _voter()
    vote_cast_quick(contribution_id=proposal.pk, user=user, value=Vote.Value.AGREE)
    first = Vote.objects.get(participant=participant)

    ballot = vote_cast_quick(contribution_id=proposal.pk, user=user, value=Vote.Value.PASS)

    assert ballot is not None
    assert (ballot.created, ballot.previous_value, ballot.value) == (False, 1, 0)
    assert (ballot.agree_count, ballot.disagree_count, ballot.pass_count) == (0, 0, 1)
    assert _counts(proposal) == (0, 0, 1)
    vote = Vote.objects.get(participant=participant)
    assert (vote.pk, vote.value) == (first.pk, 0)
    assert vote.updated_at > first.updated_at


@pytest.mark.django_db
def test_vote_cast_quick_same_vote_again_writes_nothing():
    proposal = ContributionFactory()
    user, participant = _voter()
    vote_cast_quick(contribution_id=proposal.pk, user=user, value=Vote.Value.DISAGREE)
    first = Vote.objects.get(participant=participant)

    with CaptureQueriesContext(connection) as queries:
        ballot = vote_cast_quick(contribution_id=proposal.pk, user=user, value=-1)

    assert ballot is not None
    assert (ballot.created, ballot.previous_value) == (False, -1)
    assert (ballot.agree_count, ballot.disagree_count, ballot.pass_count) == (0, 1, 0)
    assert _counts(proposal) == (0, 1, 0)
    assert Vote.objects.get(participant=participant).updated_at == first.updated_at
    # PostgreSQL: the one statement, whose writes found nothing to write; SQLite: the
    # savepoint, the read and the release.
    expected = 1 if connection.vendor == "postgresql" else 3
    assert len(queries) == expected, [q["sql"][:80] for q in queries.captured_queries]


@pytest.mark.django_db
def test_vote_cast_quick_rejects_a_value_that_is_not_a_vote():
    proposal = ContributionFactory()
    user, _participant = _voter()

    with pytest.raises(DomainError) as caught:
        vote_cast_quick(contribution_id=proposal.pk, user=user, value=2)

    assert caught.value.code == "vote_value_invalid"
    assert not Vote.objects.exists()


def _not_a_proposal(proposal, user, participant):
    Contribution.objects.filter(pk=proposal.pk).update(dimension=Dimension.CHALLENGE)


def _pending(proposal, user, participant):
    Contribution.objects.filter(pk=proposal.pk).update(moderation_status=ModerationStatus.PENDING)


def _closed(proposal, user, participant):
    Workshop.objects.filter(pk=proposal.workshop_id).update(
        status=Workshop.Status.CLOSED, closed_at=timezone.now()
    )


def _draft(proposal, user, participant):
    Consultation.objects.filter(pk=proposal.consultation_id).update(
        status=Consultation.Status.DRAFT
    )


def _erased(proposal, user, participant):
    participant.erased_at = timezone.now()
    participant.save(update_fields=["erased_at"])


def _no_participant(proposal, user, participant):
    participant.user = None
    participant.save(update_fields=["user"])


def _inactive(proposal, user, participant):
    user.is_active = False
    user.save(update_fields=["is_active"])


def _no_workshop(proposal, user, participant):
    Contribution.objects.filter(pk=proposal.pk).update(workshop=None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "case",
    [
        _not_a_proposal,
        _pending,
        _closed,
        _draft,
        _erased,
        _no_participant,
        _inactive,
        _no_workshop,
    ],
)
def test_vote_cast_quick_leaves_every_other_case_to_the_full_path(case):
    proposal = ContributionFactory()
    user, participant = _voter()
    case(proposal, user, participant)

    assert vote_cast_quick(contribution_id=proposal.pk, user=user, value=1) is None
    assert not Vote.objects.exists()
    assert _counts(proposal) == (0, 0, 0)


@pytest.mark.django_db
def test_vote_cast_quick_leaves_an_unknown_statement_to_the_full_path():
    user, _participant = _voter()

    assert vote_cast_quick(contribution_id=987654, user=user, value=1) is None


# --- races: real threads, real transactions, both databases ----------------------------------

THREADS = 6


@pytest.mark.django_db(transaction=True)
def test_vote_cast_quick_racing_votes_by_one_participant_leave_one_vote_counted_once():
    proposal = ContributionFactory(workshop=WorkshopFactory())
    user, participant = _voter()
    values = [1, -1, 0, 1, -1, 0]

    results = run_concurrently(
        lambda i: vote_cast_quick(contribution_id=proposal.pk, user=user, value=values[i]),
        THREADS,
    )

    assert [type(r).__name__ for r in results] == ["QuickBallot"] * THREADS
    assert sum(ballot.created for ballot in results) == 1
    vote = Vote.objects.get(contribution=proposal, participant=participant)
    assert _counts(proposal) == tuple(int(value == vote.value) for value in (1, -1, 0))


@pytest.mark.django_db(transaction=True)
def test_vote_cast_quick_racing_votes_by_many_participants_are_all_counted():
    proposal = ContributionFactory()
    voters = [_voter()[0] for _ in range(THREADS)]

    results = run_concurrently(
        lambda i: vote_cast_quick(contribution_id=proposal.pk, user=voters[i], value=1), THREADS
    )

    assert [getattr(r, "created", r) for r in results] == [True] * THREADS
    assert _counts(proposal) == (THREADS, 0, 0)
    assert Vote.objects.filter(contribution=proposal).count() == THREADS


@pytest.mark.django_db
def test_vote_cast_quick_bumps_the_votes_generation_when_a_counter_moves():
    proposal = ContributionFactory()
    user, _participant = _voter()
    before = consultation_votes_generation(proposal.consultation_id)

    vote_cast_quick(contribution_id=proposal.pk, user=user, value=1)
    after_vote = consultation_votes_generation(proposal.consultation_id)
    vote_cast_quick(contribution_id=proposal.pk, user=user, value=1)

    assert after_vote != before
    assert consultation_votes_generation(proposal.consultation_id) == after_vote


@pytest.mark.django_db(transaction=True)
def test_vote_cast_quick_waiting_on_a_change_of_the_same_vote_counts_from_what_it_left():
    # PostgreSQL's one statement: the vote it waited on and the counters are read once locked.
    # From the counters of the statement's snapshot, the decrement of the vote that changed
    # meanwhile fails the counters' CHECK (PostgreSQL checks it before it reads the row again).
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's writing transaction is exclusive: no vote waits inside it")
    proposal = ContributionFactory(workshop=WorkshopFactory())
    user, _participant = _voter()
    vote_cast_quick(contribution_id=proposal.pk, user=user, value=Vote.Value.AGREE)
    changed, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                results["first"] = vote_cast_quick(
                    contribution_id=proposal.pk, user=user, value=Vote.Value.DISAGREE
                )
                changed.set()
                release.wait(10)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            results["second"] = vote_cast_quick(
                contribution_id=proposal.pk, user=user, value=Vote.Value.PASS
            )
        except Exception as error:  # handed to the assertions
            results["second"] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert changed.wait(10)
    threads[1].start()
    time.sleep(0.5)  # the second waits on the vote's lock
    release.set()
    for thread in threads:
        thread.join(20)

    second_ballot = results["second"]
    assert isinstance(second_ballot, QuickBallot), second_ballot
    assert second_ballot.previous_value == Vote.Value.DISAGREE
    counters = (
        second_ballot.agree_count,
        second_ballot.disagree_count,
        second_ballot.pass_count,
    )
    assert counters == (0, 0, 1)
    assert _counts(proposal) == (0, 0, 1)
