"""A round table's SMS keyword: set in the workspace form (normalised, unique, translated
errors), shown with the instructions to its staff and never to the public."""

from __future__ import annotations

import pytest
from django.test import Client

from tashawur.consultations.models import Workshop
from tashawur.core.models import User
from tashawur.core.roles import Role

from .world import PASSWORD, World

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(world: World) -> Client:
    user = User.objects.create_user(
        username="coordinator", password=PASSWORD, role=Role.REGIONAL_COORDINATOR
    )
    world.consultation.coordinators.add(user)
    client = Client()
    client.force_login(user)
    return client


def _post(world: World, **changes: str) -> dict[str, object]:
    workshop = world.workshop
    data: dict[str, object] = {
        "theme": workshop.theme_id,
        "position": str(workshop.position),
        "title_ar": workshop.title_ar,
        "title_fr": workshop.title_fr,
        "question_ar": workshop.question_ar,
        "question_fr": workshop.question_fr,
        "room": workshop.room,
        "facilitator": workshop.facilitator_id,
        "rapporteur": workshop.rapporteur_id or "",
        "sms_keyword": "",
    }
    data.update(changes)
    return data


def test_staff_set_a_keyword_and_see_the_instructions(
    world: World, coordinator: Client, settings
) -> None:
    settings.TASHAWUR_SMS_NUMBER = "+212 522 00 00 00"
    url = f"/manage/w/{world.workshop.pk}/"

    response = coordinator.post(url, _post(world, sms_keyword=" tar٣ "))

    assert response.status_code == 302
    world.workshop.refresh_from_db()
    assert world.workshop.sms_keyword == "TAR3"
    page = coordinator.get(url).content.decode()
    assert 'value="TAR3"' in page
    assert "TAR3" in page and "+212 522 00 00 00" in page
    workshop_page = coordinator.get(f"/w/{world.workshop.pk}/").content.decode()
    assert "sms-instructions" in workshop_page and "+212 522 00 00 00" in workshop_page
    assert "sms-instructions" not in Client().get(f"/w/{world.workshop.pk}/").content.decode()


def test_a_keyword_taken_by_another_round_table_is_refused(
    world: World, coordinator: Client
) -> None:
    Workshop.objects.filter(pk=world.closed_workshop.pk).update(sms_keyword="TAR3")

    response = coordinator.post(f"/manage/w/{world.workshop.pk}/", _post(world, sms_keyword="Tar3"))

    assert response.status_code == 422
    page = response.content.decode()
    assert "«TAR3»" in page or "“TAR3”" in page  # the translated message, before or after compiling
    world.workshop.refresh_from_db()
    assert world.workshop.sms_keyword is None


@pytest.mark.parametrize("keyword", ["TAR 3", "T", "TAR_3", "x" * 17])
def test_a_keyword_that_is_not_one_short_word_is_refused(
    world: World, coordinator: Client, keyword: str
) -> None:
    response = coordinator.post(
        f"/manage/w/{world.workshop.pk}/", _post(world, sms_keyword=keyword)
    )

    assert response.status_code == 422
    world.workshop.refresh_from_db()
    assert world.workshop.sms_keyword is None


def test_an_empty_keyword_removes_it(world: World, coordinator: Client) -> None:
    Workshop.objects.filter(pk=world.workshop.pk).update(sms_keyword="TAR3")

    response = coordinator.post(f"/manage/w/{world.workshop.pk}/", _post(world))

    assert response.status_code == 302
    world.workshop.refresh_from_db()
    assert world.workshop.sms_keyword is None
