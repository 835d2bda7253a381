"""The cached open data, home counts and pages follow every writer at once
(``contributions.generations``): each test first shows that the thing is served from the cache (a
change written behind every writer's back, a raw ``update`` that bumps nothing, is not seen),
then runs one writer path and finds its effect in the very next response. The ZIP is the
exception for what only adds (a vote, a new contribution): the next download is the last ZIP and
queues its rebuild (run at once by the tests' immediate task backend), so the one after it has it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tashawur.actors.models import ConsentText
from tashawur.actors.services import consent_withdraw
from tashawur.contributions.models import Contribution, ModerationStatus, Vote
from tashawur.contributions.services import contribution_moderate, vote_cast
from tashawur.contributions.services.erasure import participant_erase
from tashawur.contributions.services.submissions import contribution_submit
from tashawur.contributions.services.votes import contribution_vote_counters_recompute
from tashawur.core.caching import _generation_key
from tests.actors.factories import OrganisationFactory, ParticipantFactory, UserFactory
from tests.contributions.factories import ContributionFactory

from .conftest import Site, author, response_bytes

ZIP_URL = "/api/consultations/souss-massa-2018/open-data.zip"
JSON_URL = "/api/consultations/souss-massa-2018/contributions.json"


@pytest.fixture(autouse=True)
def _k_one(settings: Any) -> None:
    settings.TASHAWUR_OPEN_DATA_K = 1  # every author's province and type shown


def rows(client: Client, name: str = "contributions.csv") -> dict[str, dict[str, str]]:
    response = client.get(ZIP_URL)
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response_bytes(response)))
    (path,) = [p for p in archive.namelist() if p.endswith(name)]
    table = list(csv.DictReader(io.StringIO(archive.read(path).decode("utf-8-sig"))))
    key = "id" if name == "contributions.csv" else "statement_id"
    return {row[key]: row for row in table}


def cached_zip_ignores_a_quiet_change(client: Client, canary: Contribution) -> None:
    """The ZIP is served from the cache: a raw update (no writer path) is not in it."""
    rows(client)
    Contribution.objects.filter(pk=canary.pk).update(text="quiet change")
    assert rows(client)[str(canary.pk)]["text"] != "quiet change"


def test_a_contribution_submitted_is_in_the_next_zip(site: Site, client: Client) -> None:
    canary = ContributionFactory(workshop=site.workshop, author=author())
    cached_zip_ignores_a_quiet_change(client, canary)

    made = contribution_submit(
        workshop=site.workshop,
        text="نقترح مسلكا طرقيا جديدا",
        dimension="proposal",
        channel="web",
        author=author(),
    ).contribution

    assert str(made.pk) not in rows(client)  # the last ZIP; its rebuild queued
    assert str(made.pk) in rows(client)


def test_a_contribution_saved_by_any_path_is_in_the_next_zip(site: Site, client: Client) -> None:
    # The import, offline sync, SMS and API channels all end in a saved row (the signal).
    canary = ContributionFactory(workshop=site.workshop, author=author())
    cached_zip_ignores_a_quiet_change(client, canary)

    made = ContributionFactory(
        workshop=site.workshop, author=None, recorded_by=UserFactory(), channel="facilitator"
    )

    assert str(made.pk) not in rows(client)  # the last ZIP; its rebuild queued
    assert str(made.pk) in rows(client)


def test_an_edit_is_in_the_next_zip(site: Site, client: Client) -> None:
    canary = ContributionFactory(workshop=site.workshop, author=author())
    cached_zip_ignores_a_quiet_change(client, canary)

    canary.text = "نص معدل"
    canary.save()

    assert rows(client)[str(canary.pk)]["text"] == "نص معدل"


def test_a_moderation_decision_is_in_the_next_zip(site: Site, client: Client) -> None:
    canary = ContributionFactory(workshop=site.workshop, author=author())
    taken_down = ContributionFactory(workshop=site.workshop, author=author())
    cached_zip_ignores_a_quiet_change(client, canary)

    contribution_moderate(
        contribution=taken_down, status=ModerationStatus.REJECTED, reason="off_topic"
    )

    assert str(taken_down.pk) not in rows(client)


def test_a_profile_change_is_in_the_next_zip(site: Site, client: Client) -> None:
    person = author(province=site.agadir)
    canary = ContributionFactory(workshop=site.workshop, author=person)
    cached_zip_ignores_a_quiet_change(client, canary)

    person.territory = site.tiznit
    person.save()

    assert rows(client)[str(canary.pk)]["author_province"] == site.tiznit.code


def test_an_organisation_joined_is_in_the_next_zip(site: Site, client: Client) -> None:
    person = author(province=site.agadir)
    canary = ContributionFactory(workshop=site.workshop, author=person)
    cached_zip_ignores_a_quiet_change(client, canary)

    person.organisations.add(OrganisationFactory(actor_type=site.cooperative))

    assert rows(client)[str(canary.pk)]["author_actor_type"] == "cooperative"


def test_a_consent_withdrawn_unlinks_the_author_in_the_next_zip_and_json(
    site: Site, client: Client
) -> None:
    person = author(province=site.agadir)
    canary = ContributionFactory(workshop=site.workshop, author=person)
    client.get(JSON_URL)
    cached_zip_ignores_a_quiet_change(client, canary)
    assert rows(client)[str(canary.pk)]["author_pseudonym"]

    consent_withdraw(participant=person, purpose=ConsentText.Purpose.PARTICIPATION)

    assert rows(client)[str(canary.pk)]["author_pseudonym"] == ""
    (row,) = client.get(JSON_URL).json()["results"]
    assert row["author_pseudonym"] == ""


def test_an_erasure_unlinks_the_author_in_the_next_zip_and_json(site: Site, client: Client) -> None:
    person = author(province=site.agadir)
    canary = ContributionFactory(workshop=site.workshop, author=person)
    client.get(JSON_URL)
    cached_zip_ignores_a_quiet_change(client, canary)

    participant_erase(participant=person)

    assert rows(client)[str(canary.pk)]["author_pseudonym"] == ""
    assert rows(client)[str(canary.pk)]["author_province"] == ""
    (row,) = client.get(JSON_URL).json()["results"]
    assert row["author_pseudonym"] == ""


def test_a_vote_is_in_the_next_zip(site: Site, client: Client) -> None:
    proposal = ContributionFactory(workshop=site.workshop, author=author())
    cached_zip_ignores_a_quiet_change(client, proposal)
    assert rows(client, "votes.csv")[str(proposal.pk)]["agree_count"] == "0"

    vote_cast(contribution=proposal, participant=ParticipantFactory(), value=Vote.Value.AGREE)

    assert rows(client, "votes.csv")[str(proposal.pk)]["agree_count"] == "0"  # queued
    assert rows(client, "votes.csv")[str(proposal.pk)]["agree_count"] == "1"


def test_counters_recounted_are_in_the_next_zip(site: Site, client: Client) -> None:
    proposal = ContributionFactory(workshop=site.workshop, author=author())
    cached_zip_ignores_a_quiet_change(client, proposal)
    # Votes loaded in bulk, past vote_cast: the counters are recounted after.
    Vote.objects.bulk_create(
        [Vote(contribution=proposal, participant=ParticipantFactory(), value=-1) for _ in "ab"]
    )

    contribution_vote_counters_recompute()

    assert rows(client, "votes.csv")[str(proposal.pk)]["disagree_count"] == "2"


def test_a_lost_generation_never_brings_back_an_old_zip(site: Site, client: Client) -> None:
    canary = ContributionFactory(workshop=site.workshop, author=author())
    cached_zip_ignores_a_quiet_change(client, canary)

    # The cache lost the token (culled, restarted) but kept the ZIP: a new random token.
    cache.delete(_generation_key(f"consultation:{site.consultation.pk}:data"))

    assert rows(client)[str(canary.pk)]["text"] != "quiet change"  # the last ZIP; rebuild queued
    assert rows(client)[str(canary.pk)]["text"] == "quiet change"


def test_a_lost_removals_generation_never_serves_the_last_zip(site: Site, client: Client) -> None:
    canary = ContributionFactory(workshop=site.workshop, author=author())
    cached_zip_ignores_a_quiet_change(client, canary)

    cache.delete(_generation_key(f"consultation:{site.consultation.pk}:removals"))

    assert rows(client)[str(canary.pk)]["text"] == "quiet change"


def _home_counts(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("path", ["/fr/", "/fr/c/souss-massa-2018/"])
def test_home_and_consultation_counts_follow_contributions_and_votes(
    site: Site, client: Client, path: str
) -> None:
    proposal = ContributionFactory(workshop=site.workshop, author=author())
    assert "1 contribution" in _home_counts(client, path)
    assert "0 vote" in _home_counts(client, path)
    Contribution.objects.filter(pk=proposal.pk).update(agree_count=7)
    assert "7 votes" not in _home_counts(client, path)  # cached

    vote_cast(contribution=proposal, participant=ParticipantFactory(), value=Vote.Value.AGREE)
    assert "8 votes" in _home_counts(client, path)
    contribution_submit(
        workshop=site.workshop,
        text="مقترح آخر",
        dimension="proposal",
        channel="web",
        author=author(),
    )
    assert "2 contributions" in _home_counts(client, path)


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
        if response.streaming:
            b"".join(response)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("path", ["/fr/", "/fr/c/souss-massa-2018/", ZIP_URL, JSON_URL])
def test_cached_pages_take_as_many_queries_at_thirty_as_at_three(
    site: Site, client: Client, path: str
) -> None:
    def add(n: int) -> None:
        for _ in range(n):
            ContributionFactory(workshop=site.workshop, author=author(province=site.agadir))
        ContributionFactory(
            workshop=site.workshop, author=None, recorded_by=UserFactory(), channel="facilitator"
        )

    add(3)
    client.get(path)
    small = _queries(client, path)
    add(30)
    client.get(path)
    assert _queries(client, path) == small
    # Cached: what the version costs, not the data (the ZIP: the consultation and its run).
    assert small <= {ZIP_URL: 3, JSON_URL: 5}.get(path, 8)
