"""Real threads, real transactions: integrity must hold whoever wins the race."""

import pytest

from tashawur.consultations.models import Dimension, Workshop
from tashawur.consultations.services import workshop_close
from tashawur.contributions.models import Channel, Contribution, Language, Vote
from tashawur.contributions.services import contribution_submit, vote_cast
from tashawur.core.errors import DomainError
from tests.actors.factories import ConsentTextFactory, ParticipantFactory
from tests.consultations.factories import WorkshopFactory
from tests.contributions.factories import ContributionFactory
from tests.contributions.threads import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6


def test_vote_cast_racing_votes_by_one_participant_leave_one_vote():
    proposal = ContributionFactory()
    voter = ParticipantFactory()
    values = [1, -1, 0, 1, -1, 0]

    results = run_concurrently(
        lambda i: vote_cast(contribution=proposal, participant=voter, value=values[i]), THREADS
    )

    assert [repr(r) if isinstance(r, Exception) else "Ballot" for r in results] == [
        "Ballot"
    ] * THREADS
    assert sum(ballot.created for ballot in results) == 1
    vote = Vote.objects.get(contribution=proposal, participant=voter)
    proposal.refresh_from_db()
    counts = {1: proposal.agree_count, -1: proposal.disagree_count, 0: proposal.pass_count}
    assert counts == {value: int(value == vote.value) for value in (1, -1, 0)}


def test_vote_cast_racing_votes_by_many_participants_are_all_counted():
    proposal = ContributionFactory()
    voters = [ParticipantFactory() for _ in range(THREADS)]

    results = run_concurrently(
        lambda i: vote_cast(contribution=proposal, participant=voters[i], value=1), THREADS
    )

    assert [r.created for r in results] == [True] * THREADS
    proposal.refresh_from_db()
    assert (proposal.agree_count, Vote.objects.filter(contribution=proposal).count()) == (
        THREADS,
        THREADS,
    )


def test_contribution_submit_racing_replays_of_one_key_store_it_once():
    ConsentTextFactory()
    workshop = WorkshopFactory()
    author = ParticipantFactory(consented=True)

    def send(i):
        return contribution_submit(
            workshop=workshop,
            text=f"نقترح تبسيط المساطر (نسخة {i})",
            dimension=Dimension.PROPOSAL,
            channel=Channel.OFFLINE,
            author=author,
            language=Language.MSA,
            idempotency_key="tablet-3:item-0042",
        )

    results = run_concurrently(send, THREADS)

    assert [type(r).__name__ for r in results] == ["Submission"] * THREADS
    assert sum(submission.created for submission in results) == 1
    stored = Contribution.objects.get()
    assert {submission.contribution.pk for submission in results} == {stored.pk}


def test_contribution_submit_racing_senders_of_one_key_each_store_their_own():
    """Two participants send the same key at once, each several times: each stores their
    text once, and nobody's request is answered with the other's contribution."""
    ConsentTextFactory()
    workshop = WorkshopFactory()
    authors = [ParticipantFactory(consented=True), ParticipantFactory(consented=True)]

    def send(i):
        return contribution_submit(
            workshop=workshop,
            text=f"نقترح تبسيط المساطر (المشارك {i % 2})",
            dimension=Dimension.PROPOSAL,
            channel=Channel.OFFLINE,
            author=authors[i % 2],
            language=Language.MSA,
            idempotency_key="tablet-3:item-0042",
        )

    results = run_concurrently(send, THREADS)

    assert [type(r).__name__ for r in results] == ["Submission"] * THREADS
    assert sum(submission.created for submission in results) == 2
    assert [r.contribution.author_id for r in results] == [
        authors[i % 2].pk for i in range(THREADS)
    ]
    assert sorted(Contribution.objects.values_list("author_id", "text")) == sorted(
        (authors[n].pk, f"نقترح تبسيط المساطر (المشارك {n})") for n in (0, 1)
    )


def test_nothing_lands_in_a_workshop_after_it_closed():
    ConsentTextFactory()
    workshop = WorkshopFactory()
    authors = [ParticipantFactory(consented=True) for _ in range(THREADS - 1)]

    def act(i):
        if i == 0:
            return workshop_close(workshop=workshop, closing_report="Rapport de la table.")
        return contribution_submit(
            workshop=workshop,
            text=f"نقترح رقم {i}",
            dimension=Dimension.PROPOSAL,
            channel=Channel.WEB,
            author=authors[i - 1],
            language=Language.MSA,
        )

    results = run_concurrently(act, THREADS)

    refused = [r for r in results[1:] if isinstance(r, DomainError)]
    assert {r.code for r in refused} <= {"workshop_not_open"}
    assert len(refused) + Contribution.objects.count() == THREADS - 1
    closed_at = Workshop.objects.get().closed_at
    assert all(c.created_at < closed_at for c in Contribution.objects.all())
