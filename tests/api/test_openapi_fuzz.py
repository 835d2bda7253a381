"""Schemathesis fuzzes every operation of the OpenAPI document against the WSGI application,
a bounded number of examples each: whatever it sends, the API never answers a 5xx."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

schemathesis = pytest.importorskip("schemathesis")

from schemathesis.checks import not_a_server_error  # noqa: E402

MAX_EXAMPLES = 25

# Served by the application itself, as a client reads it (no database needed for it).
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Any:
    """As Django's test client does: the request must not close the test's connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(site: Any) -> str:
    """A participant's token, so the writes reach past authentication."""
    from tashawur.core.tokens import api_token_create
    from tests.actors.factories import UserFactory

    from .conftest import author

    user = UserFactory()
    author(user=user)
    return api_token_create(user=user, name="fuzz", created_by=user)[1]


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_error(case: Any, bearer: str, settings: Any) -> None:
    settings.TASHAWUR_RATE_CONTRIBUTIONS = None
    settings.TASHAWUR_RATE_VOTES = None
    settings.TASHAWUR_RATE_DOWNLOADS = None
    response = case.call(headers={"Authorization": f"Bearer {bearer}"})
    case.validate_response(response, checks=[not_a_server_error])
