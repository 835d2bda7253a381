"""The signed-in participant's round-table, consultation and home pages issue a pinned number
of queries, the same with five or fifty people contributing and voting (issue 15, item 1): the
cached parts (cards, their tallies, the blank form, the header, the consultation's body) read
nothing more when they are found, and a query added back fails here."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .chain import build_chain
from .test_query_counts import grow
from .world import build_world

# Read again, as a reader reads it (the test's world: the participant's own rejected and pending
# contributions add their rejection's query); the pager's COUNT and the consultation read twice
# are gone. The round table's row brings the reader's participant, the reader's votes, reports
# and consent are one statement, the roster one; the consultation's programme comes from the
# cache and its round tables' version says whether the reader facilitates one of them.
WORKSHOP_QUERIES = 6
CONSULTATION_QUERIES = 4
# The user, then the versions of the home page's cached body in one statement (consultations,
# strategies, meetings and round tables: four queries before).
HOME_QUERIES = 2


def _queries(client: Client, path: str) -> tuple[int, int]:
    """The queries of the page built (cold cache) and of the page read again (warm)."""
    cache.clear()
    found = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, path
        found.append(len(queries))
    return found[0], found[1]


@pytest.mark.parametrize("page", ["workshop", "consultation", "home"])
def test_a_participant_page_issues_a_pinned_number_of_queries_at_any_size(
    db: object, page: str
) -> None:
    chain = build_chain(build_world())
    world = chain.world
    client = Client()
    client.force_login(world.participant_user)
    path = {
        "workshop": reverse("contributions:workshop", args=[world.workshop.pk]),
        "consultation": reverse("web:consultation", args=[world.consultation.slug]),
        "home": reverse("web:home"),
    }[page]
    grow(chain, 5, start=0)
    small = _queries(client, path)
    grow(chain, 45, start=5)
    large = _queries(client, path)

    expected = {
        "workshop": WORKSHOP_QUERIES,
        "consultation": CONSULTATION_QUERIES,
        "home": HOME_QUERIES,
    }[page]
    assert large == small
    assert small[1] == expected
