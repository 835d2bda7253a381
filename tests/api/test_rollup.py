"""GET /api/strategies/<slug>/rollup: the regions, the counts and the shared and specific
findings with per-region counts and citations — the strategy page as JSON, no personal data."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tashawur.api.schema import openapi_document
from tashawur.consultations.models import Strategy
from tashawur.contributions.models import Contribution, ModerationStatus
from tashawur.diagnosis.models import RollupRun
from tashawur.diagnosis.services import rollup_run_now
from tests.diagnosis.rollup_corpus import RollupCorpus, rollup_corpus_build

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def lexical_embedder(settings):
    settings.TASHAWUR_SYNTHESIS_EMBEDDER = "lexical"
    settings.TASHAWUR_OPEN_DATA_K = 5


@pytest.fixture
def world() -> RollupCorpus:
    corpus = rollup_corpus_build()
    assert rollup_run_now(strategy=corpus.strategy).status == RollupRun.Status.SUCCEEDED
    return corpus


def _get(slug: str) -> dict:
    response = Client().get(f"/api/strategies/{slug}/rollup")
    assert response.status_code == 200, response.content
    assert "public" in response["Cache-Control"]
    return json.loads(response.content)


def test_the_rollup_lists_every_region_with_its_participation(world: RollupCorpus) -> None:
    body = _get(world.strategy.slug)

    regions = {r["code"]: r for r in body["regions"]}
    assert regions["09"]["consulted"] is True
    assert regions["09"]["contributions"] == 16
    assert regions["09"]["participants"] == 16
    assert regions["09"]["participants_per_10000"] == pytest.approx(
        16 * 10_000 / 3_020_431, abs=0.01
    )
    assert regions["09"]["diagnosis_url"].endswith("/c/ess-09/diagnosis/")
    assert regions["05"]["consulted"] is False  # its consultation is a draft
    assert body["counts"]["regions_consulted"] == 3
    assert body["counts"]["contributions"] == 40


def test_shared_and_specific_findings_cite_contributions_of_their_regions(
    world: RollupCorpus,
) -> None:
    body = _get(world.strategy.slug)

    shared = [f for f in body["findings"] if f["kind"] == "shared"]
    specific = [f for f in body["findings"] if f["kind"] == "specific"]
    assert body["counts"]["shared"] == len(shared) >= 1
    assert body["counts"]["specific"] == len(specific)
    water_09 = {c.pk for c in world.said[("09", "water")]}
    water_01 = {c.pk for c in world.said[("01", "water")]}
    water = next(f for f in shared if water_09 & {c for r in f["regions"] for c in r["citations"]})
    cited = {r["code"]: set(r["citations"]) for r in water["regions"]}
    assert cited["09"] & water_09 and cited["01"] & water_01
    for region in water["regions"]:
        assert region["contributions"] >= len(region["citations"]) >= 1
    assert {f["region"] for f in specific} >= {"01", "03", "09"}
    assert body["contribution_url"].endswith("/s/{id}/")


def test_a_contribution_taken_down_is_no_longer_cited(world: RollupCorpus) -> None:
    taken_down = world.said[("09", "school")][0]
    Contribution.objects.filter(pk=taken_down.pk).update(
        moderation_status=ModerationStatus.REJECTED
    )

    body = _get(world.strategy.slug)

    cited = {c for f in body["findings"] for r in f["regions"] for c in r["citations"]}
    assert taken_down.pk not in cited
    assert world.said[("09", "school")][1].pk in cited


def test_the_rollup_carries_no_personal_data(world: RollupCorpus) -> None:
    raw = Client().get(f"/api/strategies/{world.strategy.slug}/rollup").content.decode()

    assert "Personne" not in raw
    assert "display_name" not in raw and "email" not in raw and "phone" not in raw


def test_before_any_run_the_rollup_has_regions_and_no_findings() -> None:
    corpus = rollup_corpus_build()

    body = _get(corpus.strategy.slug)

    assert body["run"] is None
    assert body["findings"] == []
    assert len(body["regions"]) == 4


@pytest.mark.parametrize("slug", ["no-such-strategy", "draft"])
def test_a_draft_or_unknown_strategy_answers_404_json(world: RollupCorpus, slug: str) -> None:
    if slug == "draft":
        Strategy.objects.filter(pk=world.strategy.pk).update(status=Strategy.Status.DRAFT)
        slug = world.strategy.slug

    response = Client().get(f"/api/strategies/{slug}/rollup")

    assert response.status_code == 404
    assert json.loads(response.content)["error"]["code"] == "strategy_not_found"


def test_the_rollup_is_in_the_openapi_document() -> None:
    document = openapi_document()

    operation = document["paths"]["/api/strategies/{slug}/rollup"]["get"]
    assert operation["operationId"] == "strategy_rollup"
    assert "Rollup" in document["components"]["schemas"]


def test_a_write_is_refused_with_405(world: RollupCorpus) -> None:
    response = Client().post(f"/api/strategies/{world.strategy.slug}/rollup")

    assert response.status_code == 405
