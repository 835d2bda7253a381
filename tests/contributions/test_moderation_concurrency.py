"""Moderation under real concurrency: racing reports by one participant store one, racing
decisions on one contribution are each recorded, in the order the row lock gives them."""

import pytest

from tashawur.contributions.models import Contribution, ContributionFlag, ModerationEvent
from tashawur.contributions.services import contribution_flag, contribution_moderate
from tests.actors.factories import ParticipantFactory
from tests.contributions.factories import ContributionFactory
from tests.contributions.threads import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)


def test_racing_reports_by_one_participant_store_one():
    contribution = ContributionFactory()
    reporter = ParticipantFactory()

    results = run_concurrently(
        lambda i: contribution_flag(contribution=contribution, participant=reporter, reason="spam"),
        4,
    )

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert sorted(r.created for r in results) == [False, False, False, True]
    assert ContributionFlag.objects.count() == 1


def test_racing_rejections_are_each_recorded_and_the_status_is_rejected():
    contribution = ContributionFactory()

    results = run_concurrently(
        lambda i: contribution_moderate(
            contribution=Contribution.objects.get(pk=contribution.pk),
            status="rejected",
            reason=["spam", "insult", "duplicate"][i],
        ),
        3,
    )

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert Contribution.objects.get().moderation_status == "rejected"
    assert sorted(ModerationEvent.objects.values_list("reason", flat=True)) == [
        "duplicate",
        "insult",
        "spam",
    ]
