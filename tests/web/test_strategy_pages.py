"""The strategy page (``/s/<slug>/``): the regions on a map and in a table with their
participation, the findings shared by several regions and those specific to one citing the
contributions of each region, and links down to each regional diagnosis; the regions side by
side (``/s/<slug>/compare/``); the national coordinator's re-run."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tashawur.consultations.models import Strategy
from tashawur.contributions.models import Contribution, ModerationStatus
from tashawur.diagnosis.models import RollupRun
from tashawur.diagnosis.services import rollup_run_now
from tashawur.territories.models import Territory
from tests.actors.factories import ParticipantFactory, UserFactory
from tests.diagnosis.rollup_corpus import RollupCorpus, rollup_corpus_build

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def lexical_embedder(settings):
    settings.TASHAWUR_SYNTHESIS_EMBEDDER = "lexical"
    settings.TASHAWUR_OPEN_DATA_K = 5


@pytest.fixture
def world() -> RollupCorpus:
    corpus = rollup_corpus_build()
    run = rollup_run_now(strategy=corpus.strategy)
    assert run.status == RollupRun.Status.SUCCEEDED, run.error_message
    return corpus


def _cited(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/(?:fr/)?s/(\d+)/"', html)}


@pytest.mark.parametrize(
    ("prefix", "html_tag", "region"),
    [
        ("", '<html lang="ar" dir="rtl">', "سوس-ماسة"),
        ("/fr", '<html lang="fr" dir="ltr">', "Souss-Massa"),
    ],
)
def test_the_page_renders_in_arabic_and_french(
    world: RollupCorpus, prefix: str, html_tag: str, region: str
) -> None:
    response = Client().get(f"{prefix}/s/{world.strategy.slug}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert html_tag in html
    assert region in html
    assert "<svg" in html and "<path" in html  # the map


def test_the_page_cites_contributions_of_each_consulted_region(world: RollupCorpus) -> None:
    html = Client().get(f"/fr/s/{world.strategy.slug}/").content.decode()

    cited = _cited(html)
    for code in ("01", "03", "09"):
        region_ids = {c.pk for (r, _idea), said in world.said.items() if r == code for c in said}
        assert cited & region_ids, f"no contribution of region {code} is cited"
    assert world.draft_contribution is not None
    assert world.draft_contribution.pk not in cited


def test_the_page_links_down_to_each_regional_diagnosis(world: RollupCorpus) -> None:
    html = Client().get(f"/fr/s/{world.strategy.slug}/").content.decode()

    for consultation in world.consultations.values():
        assert f"/fr/c/{consultation.slug}/diagnosis/" in html
    assert "/c/ess-05/diagnosis/" not in html  # the draft consultation


def test_the_page_shows_participation_per_10000_inhabitants(world: RollupCorpus) -> None:
    html = Client().get(f"/fr/s/{world.strategy.slug}/").content.decode()

    # Souss-Massa: 16 authors for 3,020,431 inhabitants → 0.05 per 10,000.
    souss = re.search(r'<tr id="region-09">(.*?)</tr>', html, re.S)
    assert souss is not None
    assert "16" in souss.group(1)
    assert "0,05" in souss.group(1) or "0.05" in souss.group(1)


def test_the_page_names_no_participant(world: RollupCorpus) -> None:
    for prefix in ("", "/fr"):
        html = Client().get(f"{prefix}/s/{world.strategy.slug}/").content.decode()
        assert "Personne" not in html
        compare = Client().get(f"{prefix}/s/{world.strategy.slug}/compare/?r=01&r=09")
        assert "Personne" not in compare.content.decode()


def test_a_region_with_fewer_than_k_authors_shows_no_count(world: RollupCorpus, settings) -> None:
    settings.TASHAWUR_OPEN_DATA_K = 9  # Fès-Meknès has 8 authors

    html = Client().get(f"/fr/s/{world.strategy.slug}/").content.decode()

    fes = re.search(r'<tr id="region-03">(.*?)</tr>', html, re.S)
    assert fes is not None
    _consulted, contributions, participants, per_10k, _link = re.findall(
        r"<td>(.*?)</td>", fes.group(1), re.S
    )
    assert (contributions, participants, per_10k) == ("8", "&lt; 9", "—")


def test_compare_shows_the_regions_picked_side_by_side(world: RollupCorpus) -> None:
    response = Client().get(f"/fr/s/{world.strategy.slug}/compare/?r=01&r=09&r=99&r=x")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="region-01"' in html and 'id="region-09"' in html
    assert 'id="region-03"' not in html
    assert 'value="01" checked' in html
    assert _cited(html)


def test_compare_with_one_region_asks_for_two(world: RollupCorpus) -> None:
    response = Client().get(f"/fr/s/{world.strategy.slug}/compare/?r=09")

    assert response.status_code == 200
    assert "Choisissez au moins deux régions consultées" in response.content.decode()


def test_a_draft_strategy_is_not_found(world: RollupCorpus) -> None:
    Strategy.objects.filter(pk=world.strategy.pk).update(status=Strategy.Status.DRAFT)

    assert Client().get(f"/s/{world.strategy.slug}/").status_code == 404
    national = Client()
    national.force_login(UserFactory(role="national_coordinator"))
    assert national.get(f"/s/{world.strategy.slug}/").status_code == 200


def test_a_numeric_address_stays_a_contribution_page(world: RollupCorpus) -> None:
    contribution = world.said[("09", "water")][0]

    response = Client().get(f"/fr/s/{contribution.pk}/")

    assert response.status_code == 200
    assert "<svg" not in response.content.decode() or "region-map" not in response.content.decode()


def test_the_national_coordinator_sees_the_runs_and_may_run_again(
    world: RollupCorpus, django_capture_on_commit_callbacks
) -> None:
    client = Client()
    client.force_login(UserFactory(role="national_coordinator"))
    page = client.get(f"/fr/s/{world.strategy.slug}/").content.decode()
    assert f"/s/{world.strategy.slug}/rollup/" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/fr/s/{world.strategy.slug}/rollup/")

    assert response.status_code == 302
    assert RollupRun.objects.filter(strategy=world.strategy).count() == 2
    assert RollupRun.objects.order_by("-pk").first().status == RollupRun.Status.SUCCEEDED


@pytest.mark.parametrize("role", [None, "participant", "analyst", "regional_coordinator"])
def test_nobody_else_may_run_the_rollup(world: RollupCorpus, role: str | None) -> None:
    client = Client()
    if role is not None:
        client.force_login(UserFactory(role=role))

    page = client.get(f"/fr/s/{world.strategy.slug}/").content.decode()
    response = client.post(f"/fr/s/{world.strategy.slug}/rollup/")

    assert f"/s/{world.strategy.slug}/rollup/" not in page
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "/login/" in response["Location"]
    assert RollupRun.objects.filter(strategy=world.strategy).count() == 1


def test_the_page_with_its_map_stays_under_100_kb(world: RollupCorpus) -> None:
    response = Client().get(f"/s/{world.strategy.slug}/")

    assert len(response.content) < 100_000


def _quietly_rename_souss_massa() -> None:
    """A change no version records (a raw update): only an uncached page shows it."""
    Territory.objects.filter(level=Territory.Level.REGION, code="09").update(
        name_fr="Région renommée en douce"
    )


def test_the_anonymous_page_is_served_from_the_cache(world: RollupCorpus) -> None:
    url = f"/fr/s/{world.strategy.slug}/"
    Client().get(url)
    _quietly_rename_souss_massa()

    with CaptureQueriesContext(connection) as queries:
        html = Client().get(url).content.decode()

    assert "Région renommée en douce" not in html
    assert "Souss-Massa" in html
    # The versions and the strategy, not the page's own reads (regions, findings, quotes).
    assert not [q for q in queries if "diagnosis_rollupcitation" in q["sql"]]


def test_a_new_roll_up_run_shows_at_once(world: RollupCorpus) -> None:
    url = f"/fr/s/{world.strategy.slug}/"
    Client().get(url)
    _quietly_rename_souss_massa()

    rollup_run_now(strategy=world.strategy)
    html = Client().get(url).content.decode()

    assert "Région renommée en douce" in html


def test_a_new_contribution_shows_at_once(world: RollupCorpus) -> None:
    url = f"/fr/s/{world.strategy.slug}/"
    Client().get(url)
    _quietly_rename_souss_massa()

    consultation = next(iter(world.consultations.values()))
    Contribution.objects.create(
        consultation=consultation,
        text="Une contribution de plus",
        dimension="proposal",
        channel="web",
        author=ParticipantFactory(),
        moderation_status=ModerationStatus.PUBLISHED,
    )
    html = Client().get(url).content.decode()

    assert "Région renommée en douce" in html


def test_a_signed_in_reader_is_never_served_the_cached_page(world: RollupCorpus) -> None:
    url = f"/fr/s/{world.strategy.slug}/"
    Client().get(url)
    _quietly_rename_souss_massa()
    client = Client()
    client.force_login(UserFactory())

    html = client.get(url).content.decode()

    assert "Région renommée en douce" in html
