import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import translation

from tashawur.consultations.models import Consultation
from tashawur.contributions.models import Contribution
from tashawur.contributions.selectors import (
    consultation_list_with_counts,
    contribution_get_for_user,
    participant_votes_on,
    workshop_contributions,
)
from tashawur.contributions.services import contribution_vote_counters_recompute
from tashawur.core.errors import DomainError
from tests.actors.factories import ParticipantFactory, UserFactory
from tests.consultations.factories import ConsultationFactory, MeetingFactory, WorkshopFactory
from tests.contributions.factories import ContributionFactory, VoteFactory

pytestmark = pytest.mark.django_db


def test_workshop_contributions_lists_published_ones_newest_first():
    workshop = WorkshopFactory()
    older, newer = ContributionFactory(workshop=workshop), ContributionFactory(workshop=workshop)
    ContributionFactory(workshop=workshop, moderation_status="pending")
    ContributionFactory()  # another workshop

    assert list(workshop_contributions(workshop=workshop, user=AnonymousUser())) == [newer, older]


def test_workshop_contributions_shows_the_facilitator_everything():
    facilitator = UserFactory(role="facilitator")
    workshop = WorkshopFactory(facilitator=facilitator)
    pending = ContributionFactory(workshop=workshop, moderation_status="pending")

    assert list(workshop_contributions(workshop=workshop, user=facilitator)) == [pending]


def test_workshop_contributions_filters_by_dimension():
    workshop = WorkshopFactory()
    proposal = ContributionFactory(workshop=workshop)
    ContributionFactory(workshop=workshop, dimension="challenge")

    assert list(
        workshop_contributions(workshop=workshop, user=AnonymousUser(), dimension="proposal")
    ) == [proposal]
    assert (
        workshop_contributions(workshop=workshop, user=AnonymousUser(), dimension="").count() == 2
    )


def test_workshop_contributions_rejects_an_unknown_dimension():
    with translation.override("en"), pytest.raises(DomainError) as caught:
        workshop_contributions(workshop=WorkshopFactory(), user=AnonymousUser(), dimension="x")

    assert (caught.value.code, caught.value.message) == (
        "dimension_invalid",
        "“x” is not a dimension of the diagnosis.",
    )


def test_contribution_get_for_user_hides_a_pending_contribution_from_others():
    pending = ContributionFactory(moderation_status="pending")

    with pytest.raises(Http404):
        contribution_get_for_user(contribution_id=pending.pk, user=AnonymousUser())


def test_contribution_get_for_user_shows_a_pending_contribution_to_its_author():
    author_user = UserFactory()
    pending = ContributionFactory(
        moderation_status="pending", author=ParticipantFactory(user=author_user)
    )

    assert contribution_get_for_user(contribution_id=pending.pk, user=author_user) == pending


def test_contribution_get_for_user_raises_404_for_an_unknown_id():
    with pytest.raises(Http404):
        contribution_get_for_user(contribution_id=99999, user=AnonymousUser())


def test_contribution_get_for_user_refuses_a_draft_consultation():
    contribution = ContributionFactory(workshop__meeting__consultation__status="draft")

    with pytest.raises(PermissionDenied):
        contribution_get_for_user(contribution_id=contribution.pk, user=AnonymousUser())


def test_participant_votes_on_maps_contributions_to_the_participants_votes():
    voter = ParticipantFactory()
    a, b, c = ContributionFactory(), ContributionFactory(), ContributionFactory()
    VoteFactory(contribution=a, participant=voter, value=1)
    VoteFactory(contribution=b, participant=voter, value=-1)
    VoteFactory(contribution=c, participant=ParticipantFactory(), value=1)

    assert participant_votes_on(participant=voter, contributions=[a, b, c]) == {a.pk: 1, b.pk: -1}
    assert participant_votes_on(participant=None, contributions=[a]) == {}


# -- the public counts per consultation ---------------------------------------------------------


def test_consultation_list_with_counts_counts_exactly_without_join_blow_up():
    consultation = ConsultationFactory()
    meetings = [MeetingFactory(consultation=consultation) for _ in range(2)]
    workshops = [WorkshopFactory(meeting=meetings[0]) for _ in range(3)] + [
        WorkshopFactory(meeting=meetings[1])
    ]
    proposals = [ContributionFactory(workshop=w) for w in workshops[:3]]
    rejected = ContributionFactory(workshop=workshops[3], moderation_status="rejected")
    for proposal in [*proposals[:2], rejected]:
        for value in (1, -1, 0):
            VoteFactory(contribution=proposal, value=value)
    # The votes are summed from the contributions' counters, as ``vote_cast`` keeps them.
    contribution_vote_counters_recompute()
    ConsultationFactory()  # empty: zero everywhere, not missing

    rows = {
        c.pk: (c.meetings_count, c.workshops_count, c.contributions_count, c.votes_count)
        for c in consultation_list_with_counts()
    }

    assert rows[consultation.pk] == (2, 4, 3, 6)
    assert sorted(rows.values())[0] == (0, 0, 0, 0)
    assert len(rows) == 2


def test_consultation_list_with_counts_reads_votes_from_the_counters_not_the_vote_rows():
    proposal = ContributionFactory()
    Contribution.objects.filter(pk=proposal.pk).update(
        agree_count=4, disagree_count=2, pass_count=1
    )
    VoteFactory(contribution=proposal)  # a row the counters were not told of: not scanned

    (row,) = consultation_list_with_counts()

    assert row.votes_count == 7


def test_consultation_list_with_counts_leaves_drafts_out():
    ConsultationFactory(status=Consultation.Status.DRAFT)

    assert list(consultation_list_with_counts()) == []


def test_consultation_list_with_counts_takes_one_query(django_assert_num_queries):
    for _ in range(3):
        ContributionFactory(workshop__meeting__consultation=ConsultationFactory())

    with django_assert_num_queries(1):
        rows = [(c.region.code, c.contributions_count) for c in consultation_list_with_counts()]

    assert rows == [("09", 1)] * 3
