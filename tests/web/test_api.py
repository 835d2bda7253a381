"""GET /api/consultations: the public consultations with their counts, as JSON."""

from __future__ import annotations

import pytest
from django.test import Client

from tashawur.consultations.models import Consultation

from .world import World

pytestmark = pytest.mark.django_db


def test_lists_consultations_with_counts(world: World, client: Client) -> None:
    response = client.get("/api/consultations")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "consultations": [
            {
                "slug": "souss-massa-2018",
                "title": {
                    "ar": "التشاور الجهوي سوس ماسة",
                    "fr": "Concertation régionale Souss-Massa",
                },
                "region": "09",
                "status": "open",
                "counts": {"meetings": 1, "workshops": 2, "contributions": 3, "votes": 1},
            }
        ]
    }


def test_arabic_is_sent_as_utf8_not_escapes(world: World, client: Client) -> None:
    assert "سوس ماسة".encode() in client.get("/api/consultations").content


def test_leaves_out_drafts(world: World, client: Client) -> None:
    Consultation.objects.filter(pk=world.consultation.pk).update(status="draft")
    assert client.get("/api/consultations").json() == {"consultations": []}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_are_not_allowed(world: World, method: str) -> None:
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)("/api/consultations")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
