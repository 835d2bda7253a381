"""Fixtures for the view tests (Django's test client)."""

from __future__ import annotations

import pytest
from django.test import Client

from .world import World, build_world


@pytest.fixture
def world(db: object) -> World:
    return build_world()


@pytest.fixture
def participant_client(world: World) -> Client:
    client = Client()
    client.force_login(world.participant_user)
    return client


@pytest.fixture
def htmx_headers() -> dict[str, str]:
    return {"HX-Request": "true"}
