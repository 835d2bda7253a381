"""Real threads, real transactions: 64 replays of one key sent at once through the API store
one contribution, and every answer carries it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tashawur.contributions.models import Contribution, Vote
from tashawur.core.tokens import api_token_create
from tests.actors.factories import ConsentTextFactory, ParticipantFactory, UserFactory
from tests.consultations.factories import WorkshopFactory
from tests.contributions.factories import ContributionFactory
from tests.contributions.threads import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)

REPLAYS = 64


@pytest.fixture
def _generous_rates(settings: Any) -> None:
    # Each request that finds no stored key yet is counted; the race is what is tested here.
    settings.TASHAWUR_RATE_CONTRIBUTIONS = "1000/m"
    settings.TASHAWUR_RATE_VOTES = "1000/m"


@pytest.mark.usefixtures("_generous_rates")
def test_concurrent_replays_of_one_key_store_one_row() -> None:
    ConsentTextFactory()
    workshop = WorkshopFactory()
    user = UserFactory()
    ParticipantFactory(user=user, consented=True)
    _token, key = api_token_create(user=user, name="phone", created_by=user)
    body = json.dumps(
        {
            "text": "نقترح تبسيط المساطر",
            "dimension": "proposal",
            "language": "ar",
            "channel": "offline",
            "idempotency_key": "tablet-3:item-0042",
        }
    )

    def send(_i: int) -> tuple[int, bytes]:
        response = Client().post(
            f"/api/workshops/{workshop.pk}/contributions",
            body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}"},
        )
        return response.status_code, response.content

    results = run_concurrently(send, REPLAYS)

    assert [r for r in results if not isinstance(r, tuple)] == []
    statuses = sorted(status for status, _content in results)
    assert statuses == [200] * (REPLAYS - 1) + [201]
    assert len({content for _status, content in results}) == 1
    stored = Contribution.objects.get()
    assert json.loads(results[0][1])["id"] == stored.pk


@pytest.mark.usefixtures("_generous_rates")
def test_concurrent_votes_of_one_participant_leave_one_vote() -> None:
    proposal = ContributionFactory()
    user = UserFactory()
    ParticipantFactory(user=user)
    _token, key = api_token_create(user=user, name="phone", created_by=user)

    def send(_i: int) -> int:
        return (
            Client()
            .post(
                f"/api/contributions/{proposal.pk}/votes",
                json.dumps({"value": "agree"}),
                content_type="application/json",
                headers={"Authorization": f"Bearer {key}"},
            )
            .status_code
        )

    statuses = run_concurrently(send, REPLAYS)

    assert sorted(statuses) == [200] * (REPLAYS - 1) + [201]
    proposal.refresh_from_db()
    assert (Vote.objects.filter(contribution=proposal).count(), proposal.agree_count) == (1, 1)
