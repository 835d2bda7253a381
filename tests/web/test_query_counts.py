"""Query guards: a participant-facing page issues the same number of queries whatever the
size of the data behind it (no query per contribution, vote, participant or finding)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tashawur.consultations.models import AgendaItem, Attendance
from tashawur.contributions.models import Vote
from tashawur.core.models import User
from tashawur.diagnosis.models import Finding, FindingContribution
from tashawur.diagnosis.services import diagnosis_entry_create, diagnosis_publish
from tashawur.programmes.models import ProgressUpdate
from tests.actors.factories import ParticipantFactory
from tests.consultations.factories import ConsultationFactory, MeetingFactory, WorkshopFactory
from tests.contributions.factories import ContributionFactory, VoteFactory
from tests.programmes.factories import IndicatorFactory, MeasureFactory
from tests.territories.factories import RegionFactory

from .chain import ChainWorld, build_chain
from .world import build_world

# A page above this many queries has grown a loop somewhere, whatever the data.
CEILING = 30


def grow(chain: ChainWorld, size: int, *, start: int) -> None:
    """Add ``size`` of each to the chain: participants at the round table, contributions and
    votes, findings, diagnosis entries and measures, agenda items, round tables, meetings and
    consultations of the strategy."""
    world = chain.world
    analyst = User.objects.get(username="national")
    for index in range(start, start + size):
        person = ParticipantFactory()
        Attendance.objects.create(workshop=world.workshop, participant=person)
        said = ContributionFactory(workshop=world.workshop, author=person)
        VoteFactory(contribution=said, participant=world.participant, value=Vote.Value.AGREE)
        VoteFactory(contribution=world.proposal, participant=person, value=Vote.Value.DISAGREE)
        finding = Finding.objects.create(
            run=chain.run,
            key=f"G{index}",
            theme_key="T1",
            label_ar=f"خلاصة {index}",
            label_fr=f"Constat {index}",
            size=1,
            dimension="challenge",
            dimension_counts={"challenge": 1},
            position=index + 10,
            status=Finding.Status.ACCEPTED,
        )
        FindingContribution.objects.create(
            run=chain.run, finding=finding, contribution=said, is_representative=True, rank=1
        )
        # The participant's own proposal is cited by every entry and answered by every measure.
        diagnosis_entry_create(
            consultation=world.consultation,
            user=analyst,
            dimension="challenge",
            statement_ar=f"ملاحظة {index}",
            statement_fr=f"Constat {index}",
            finding_ids=[finding.pk],
            contribution_ids=[said.pk, chain.mine.pk],
        )
        # More round tables in the meeting, more meetings, more consultations of the strategy.
        WorkshopFactory(meeting=world.meeting, theme=world.workshop.theme, position=index + 10)
        elsewhere = MeetingFactory(
            consultation=world.consultation, territory=world.meeting.territory
        )
        ContributionFactory(workshop=WorkshopFactory(meeting=elsewhere))
        ContributionFactory(
            workshop__meeting__consultation=ConsultationFactory(
                strategy=world.consultation.strategy,
                region=RegionFactory(code=f"R{index}", parent=world.consultation.region.parent),
            )
        )
        measure = MeasureFactory(programme=chain.programme, code=f"9.{index}")
        measure.findings.add(finding, chain.finding)
        ProgressUpdate.objects.create(measure=measure, on=dt.date(2020, 1, 1), percent=10)
        IndicatorFactory(measure=measure)
        AgendaItem.objects.create(
            meeting=world.meeting,
            position=index + 10,
            starts_at=dt.time(14, 0),
            ends_at=dt.time(15, 0),
            kind=AgendaItem.Kind.WORKSHOPS,
            title_ar=f"فقرة {index}",
            title_fr=f"Séquence {index}",
        )
    # Readers read the published snapshot: publish what was added.
    diagnosis_publish(consultation=world.consultation, user=analyst)


def pages(chain: ChainWorld) -> dict[str, str]:
    world = chain.world
    slug = world.consultation.slug
    return {
        "home": reverse("web:home"),
        "consultation": reverse("web:consultation", args=[slug]),
        "meeting": reverse("web:meeting", args=[world.meeting.slug]),
        "workshop": reverse("contributions:workshop", args=[world.workshop.pk]),
        "contribution": reverse("web:contribution", args=[chain.mine.pk]),
        "diagnosis": reverse("diagnosis:consultation", args=[slug]),
        "diagnosis_published": reverse("diagnosis:published", args=[slug]),
        "programme": reverse("programmes:programme", args=[slug]),
        "strategy": reverse("web:strategy", args=[world.consultation.strategy.slug]),
    }


def count(client: Client, path: str) -> int:
    # The page as built, not as a cache may keep it for anonymous readers.
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(queries)


def counts(chain: ChainWorld, client: Client) -> dict[str, int]:
    return {name: count(client, path) for name, path in pages(chain).items()}


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "participant"])
def test_participant_pages_issue_as_many_queries_at_fifty_as_at_five(
    db: object, signed_in: bool
) -> None:
    chain = build_chain(build_world())
    client = Client()
    if signed_in:
        client.force_login(chain.world.participant_user)
    grow(chain, 5, start=0)
    small = counts(chain, client)
    grow(chain, 45, start=5)
    large = counts(chain, client)

    assert large == small
    assert {name: n for name, n in large.items() if n > CEILING} == {}


# --- writes ----------------------------------------------------------------------------------
# Pinned: a change that adds a query to every vote or contribution shows here. The counts
# include the user and the savepoints of the test's transaction; the session is read through
# the cache (SESSION_ENGINE cached_db), and a vote's answer shows the counters its UPDATE
# returned rather than reading the statement again.

# A vote: the user, then on PostgreSQL one statement that reads the statement with its round
# table, consultation, the voter's participant and vote, and writes the vote and the counters
# (no transaction of its own); on SQLite a savepoint and its release around that read and the
# two writes (no writing CTE).
VOTE_QUERIES = {"postgresql": 2, "sqlite": 6}
# The same vote again writes nothing: the user and that one statement (PostgreSQL), or the user,
# the savepoint, the read and the release (SQLite).
SAME_VOTE_QUERIES = {"postgresql": 2, "sqlite": 4}
# The round table's row brings the author's participant with it (workshop_get_for_user).
# The round table's status, the sender's key and the consent in one query, the contribution's
# row in one INSERT without a savepoint (contribution_submit).
SUBMIT_QUERIES = 6


def _sql(queries: CaptureQueriesContext) -> str:
    return "\n".join(q["sql"][:160] for q in queries.captured_queries)


@pytest.mark.parametrize(
    ("before", "expected_writes"),
    [(None, 1), ("-1", 1), ("1", 0)],
    ids=["first vote", "changed vote", "same vote again"],
)
def test_a_vote_takes_a_fixed_number_of_queries(
    db: object, before: str | None, expected_writes: int
) -> None:
    world = build_world()
    client = Client()
    client.force_login(world.participant_user)
    url = reverse("contributions:vote", args=[world.proposal.pk])
    if before is not None:
        client.post(url, {"value": before}, headers={"HX-Request": "true"})
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, {"value": "1"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert Vote.objects.get(participant=world.participant).value == 1
    world.proposal.refresh_from_db()
    assert (world.proposal.agree_count, world.proposal.disagree_count) == (2, 0)  # theirs, mine
    expected = (VOTE_QUERIES if expected_writes else SAME_VOTE_QUERIES)[connection.vendor]
    assert len(queries) == expected, _sql(queries)


def test_a_contribution_takes_a_fixed_number_of_queries(db: object) -> None:
    world = build_world()
    client = Client()
    client.force_login(world.participant_user)
    url = reverse("contributions:submit", args=[world.workshop.pk])
    text = "نقترح تكوينًا في التلفيف والتسويق لفائدة التعاونيات النسائية"
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            url,
            {"text": text, "dimension": "proposal", "idempotency_key": ""},
            headers={"HX-Request": "true"},
        )

    assert response.status_code == 200
    assert world.workshop.contributions.filter(text=text).exists()
    assert len(queries) == SUBMIT_QUERIES, _sql(queries)
