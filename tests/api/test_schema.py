"""GET /api/openapi.json describes every route of the API and the rows it returns."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tashawur.api import urls
from tests.actors.factories import UserFactory
from tests.contributions.factories import ContributionFactory

from .conftest import Site, author

pytestmark = pytest.mark.django_db

_PYTHON_TYPES = {"integer": int, "string": str, "null": type(None)}


def test_describes_every_route_and_no_other(client: Client) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    routes = {
        "/api/" + re.sub(r"<\w+:(\w+)>", r"{\1}", str(pattern.pattern))
        for pattern in urls.urlpatterns
    }
    assert set(document["paths"]) | {"/api/openapi.json"} == routes


def test_a_served_row_matches_the_contribution_schema(site: Site, client: Client) -> None:
    ContributionFactory(workshop=site.workshop, author=author())
    ContributionFactory(
        workshop=None,
        consultation=site.consultation,
        theme=None,
        author=None,
        recorded_by=UserFactory(),
        channel="import",
    )
    schema = client.get("/api/openapi.json").json()["components"]["schemas"]["Contribution"]
    rows = client.get("/api/consultations/souss-massa-2018/contributions.json").json()["results"]
    assert len(rows) == 2
    for row in rows:
        assert list(row) == schema["required"] == list(schema["properties"])
        for name, value in row.items():
            prop = schema["properties"][name]
            kinds = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
            assert isinstance(value, tuple(_PYTHON_TYPES[k] for k in kinds)), (name, value)
            if "enum" in prop:
                assert value in prop["enum"]
            if "pattern" in prop:
                assert re.search(prop["pattern"], value), (name, value)
