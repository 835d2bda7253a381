"""The home page's versions (``web.page_versions.home_page_versions``) are read in one
statement and move with each thing the page shows: a consultation's or strategy's status, a
meeting or round table added or changed (issue 15, item 1: four queries before)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import RequestFactory

from tashawur.consultations.models import Consultation, Strategy
from tashawur.web.page_versions import home_page_versions
from tests.consultations.factories import MeetingFactory, WorkshopFactory

from .world import World

pytestmark = pytest.mark.django_db


def _versions() -> tuple[Any, ...]:
    return home_page_versions(RequestFactory().get("/"))


def test_the_home_pages_versions_take_one_query(
    world: World, django_assert_num_queries: Any
) -> None:
    _versions()  # the generations set in the cache

    with django_assert_num_queries(1):
        _versions()


def test_the_home_pages_versions_read_each_part_in_order(world: World) -> None:
    consultations, strategies, meetings, workshops, generations = _versions()

    # (id, status, updated_at, region, strategy); the times as the database gives them.
    assert [(c[0], c[1], c[3], c[4]) for c in consultations] == list(
        Consultation.objects.order_by("pk").values_list("pk", "status", "region_id", "strategy_id")
    )
    assert [(s[0], s[1]) for s in strategies] == list(
        Strategy.objects.order_by("pk").values_list("pk", "status")
    )
    assert meetings[0] == 1
    assert workshops[0] == 2
    assert len(generations) == 1


def _close_strategy(world: World) -> None:
    Strategy.objects.filter(pk=world.consultation.strategy_id).update(status=Strategy.Status.DRAFT)


def _draft_consultation(world: World) -> None:
    Consultation.objects.filter(pk=world.consultation.pk).update(status=Consultation.Status.DRAFT)


def _new_meeting(world: World) -> None:
    MeetingFactory(consultation=world.consultation, territory=world.meeting.territory)


def _new_workshop(world: World) -> None:
    WorkshopFactory(meeting=world.meeting, theme=world.workshop.theme, position=9)


def _renamed_workshop(world: World) -> None:
    world.workshop.title_fr = "Des labels pour toutes les coopératives"
    world.workshop.save()


@pytest.mark.parametrize(
    "change",
    [_close_strategy, _draft_consultation, _new_meeting, _new_workshop, _renamed_workshop],
    ids=["strategy status", "consultation status", "meeting", "round table", "renamed"],
)
def test_the_home_pages_versions_move_with_what_it_shows(
    world: World, change: Callable[[World], None]
) -> None:
    before = _versions()
    assert _versions() == before

    change(world)

    assert _versions() != before
