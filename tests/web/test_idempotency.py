"""Idempotency keys through the contribution form: a key belongs to the account that sends it.

Another participant reusing someone's key gets their own contribution stored and learns
nothing of the first; the same participant replaying their key at another round table is told,
in their language, that they already used it.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tashawur.actors.models import Participant
from tashawur.consultations.models import Workshop
from tashawur.contributions.models import Contribution
from tashawur.core.models import User
from tashawur.core.roles import Role

from .world import PASSWORD, World

pytestmark = pytest.mark.django_db

KEY = "tablet-3:item-0042"
FIRST = "الحصول على علامات الجودة يتطلب مواكبة"
SECOND = "نقترح تكوينًا في التلفيف والتسويق لفائدة التعاونيات النسائية"


def _post(client: Client, workshop: Workshop, text: str, **headers: str):
    payload = {"text": text, "dimension": "proposal", "idempotency_key": KEY}
    return client.post(f"/w/{workshop.pk}/contribute/", payload, headers=headers)


@pytest.fixture
def ahmed_client(world: World) -> Client:
    """Ahmed B. (a consenting participant at the round table) signed in on his own account."""
    ahmed = Participant.objects.get(display_name="Ahmed B.")
    ahmed.user = User.objects.create_user(
        username="ahmed", password=PASSWORD, role=Role.PARTICIPANT
    )
    ahmed.save()
    client = Client()
    client.force_login(ahmed.user)
    return client


@pytest.fixture
def other_table(world: World) -> Workshop:
    """A second open round table of the same meeting."""
    return Workshop.objects.create(
        meeting=world.meeting,
        theme=world.workshop.theme,
        position=3,
        title_ar="التسويق",
        title_fr="Commercialisation",
        status=Workshop.Status.OPEN,
        opened_at=world.workshop.opened_at,
    )


def test_another_participants_key_stores_their_own_contribution(
    world: World, participant_client: Client, ahmed_client: Client
) -> None:
    _post(ahmed_client, world.workshop, FIRST)

    response = _post(participant_client, world.workshop, SECOND, **{"HX-Request": "true"})

    html = response.content.decode()
    stored = Contribution.objects.get(text=SECOND)
    assert (response.status_code, stored.author) == (200, world.participant)
    assert f'<li class="card contribution" id="c-{stored.pk}">' in html
    assert "hx-swap-oob" in html  # a new card: created, not a replay of Ahmed's
    assert FIRST not in html
    assert Contribution.objects.filter(idempotency_key=KEY).count() == 2


def test_another_participants_key_at_another_round_table_reveals_nothing(
    world: World, participant_client: Client, ahmed_client: Client, other_table: Workshop
) -> None:
    _post(ahmed_client, world.workshop, FIRST)

    response = _post(participant_client, other_table, SECOND)

    stored = Contribution.objects.get(text=SECOND)
    assert (stored.author, stored.workshop) == (world.participant, other_table)
    assert response.status_code == 302
    assert response["Location"] == f"/w/{other_table.pk}/#c-{stored.pk}"


def test_own_key_replayed_at_another_round_table_is_refused_in_arabic(
    world: World, participant_client: Client, other_table: Workshop
) -> None:
    _post(participant_client, world.workshop, FIRST)

    response = _post(participant_client, other_table, SECOND, **{"HX-Request": "true"})

    assert response.status_code == 422
    assert "سبق استعمال مفتاح عدم التكرار هذا في ورشة أخرى." in response.content.decode()
    assert list(
        Contribution.objects.filter(idempotency_key=KEY).values_list("text", flat=True)
    ) == [FIRST]
