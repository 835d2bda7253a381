"""The national roll-up: one synthesis over every region's published contributions, findings
classified as shared or specific to a region, with an over-representation test per region."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import hypergeom

from tashawur.core.errors import DomainError
from tashawur.diagnosis.models import (
    RollupCitation,
    RollupFinding,
    RollupRun,
)
from tashawur.diagnosis.services import rollup_run_now, rollup_run_request
from tashawur.diagnosis.services.rollup import (
    ALPHA,
    MIN_AUTHORS,
    _Inputs,
    benjamini_hochberg,
    rollup_classify,
)
from tashawur.diagnosis.tasks import rollup_run_task
from tests.actors.factories import UserFactory
from tests.consultations.factories import StrategyFactory

from .rollup_corpus import RollupCorpus, rollup_corpus_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> RollupCorpus:
    return rollup_corpus_build()


def _finding_citing(run: RollupRun, contribution_id: int) -> RollupFinding:
    return RollupFinding.objects.get(run=run, citations__contribution_id=contribution_id)


def test_rollup_reads_every_public_region_and_succeeds(world: RollupCorpus) -> None:
    run = rollup_run_now(strategy=world.strategy)

    assert run.status == RollupRun.Status.SUCCEEDED, run.error_message
    assert run.regions_count == 3
    assert run.contributions_count == 40
    assert run.parameters["min_authors"] == MIN_AUTHORS
    cited = set(RollupCitation.objects.filter(run=run).values_list("contribution_id", flat=True))
    assert world.draft_contribution is not None
    assert world.draft_contribution.pk not in cited


def test_water_said_in_two_regions_is_a_shared_finding_citing_both(world: RollupCorpus) -> None:
    run = rollup_run_now(strategy=world.strategy)

    finding = _finding_citing(run, world.said[("09", "water")][0].pk)

    assert finding.kind == RollupFinding.Kind.SHARED
    assert finding.region is None
    regions = set(finding.citations.values_list("region__code", flat=True))
    assert {"01", "09"} <= regions
    per_region = {r.region.code: r for r in finding.regions.select_related("region")}
    assert per_region["01"].authors >= MIN_AUTHORS
    assert per_region["09"].authors >= MIN_AUTHORS
    assert finding.regions_count >= 2


def test_school_said_only_in_souss_massa_is_specific_to_it(world: RollupCorpus) -> None:
    run = rollup_run_now(strategy=world.strategy)

    finding = _finding_citing(run, world.said[("09", "school")][0].pk)

    assert finding.kind == RollupFinding.Kind.SPECIFIC
    assert finding.region is not None and finding.region.code == "09"
    cell = finding.regions.get(region__code="09")
    assert cell.over_represented
    assert cell.q_value < ALPHA
    assert cell.lift > 1
    assert set(finding.citations.values_list("region__code", flat=True)) == {"09"}


def test_each_region_specific_idea_lands_in_its_region(world: RollupCorpus) -> None:
    run = rollup_run_now(strategy=world.strategy)

    for code, idea in (("01", "doctor"), ("03", "jobs")):
        finding = _finding_citing(run, world.said[(code, idea)][0].pk)
        assert (finding.kind, finding.region.code if finding.region else None) == (
            RollupFinding.Kind.SPECIFIC,
            code,
        )
    assert run.shared_count == RollupFinding.objects.filter(run=run, kind="shared").count() >= 1
    assert run.specific_count == RollupFinding.objects.filter(run=run, kind="specific").count()


def test_a_rerun_finds_the_same_findings_and_keeps_the_first(world: RollupCorpus) -> None:
    first = rollup_run_now(strategy=world.strategy)
    second = rollup_run_now(strategy=world.strategy)

    def picture(run: RollupRun) -> set[tuple[str, str, frozenset[int]]]:
        return {
            (f.kind, f.dimension, frozenset(f.citations.values_list("contribution_id", flat=True)))
            for f in RollupFinding.objects.filter(run=run)
        }

    assert second.pk != first.pk
    assert picture(second) == picture(first)
    assert RollupRun.objects.current_for(world.strategy) == second
    assert RollupFinding.objects.filter(run=first).exists()


def test_a_strategy_without_published_contributions_fails_with_a_reason() -> None:
    run = rollup_run_now(strategy=StrategyFactory())

    assert run.status == RollupRun.Status.FAILED
    assert run.error_code == "no_contributions"
    assert not RollupFinding.objects.filter(run=run).exists()


def test_the_request_is_for_the_national_coordinator_only(world: RollupCorpus) -> None:
    analyst = UserFactory(role="analyst")

    with pytest.raises(DomainError) as refused:
        rollup_run_request(strategy=world.strategy, user=analyst)

    assert refused.value.code == "rollup_not_allowed"
    assert not RollupRun.objects.exists()


def test_the_request_queues_one_run_that_the_task_executes(
    world: RollupCorpus, django_capture_on_commit_callbacks
) -> None:
    coordinator = UserFactory(role="national_coordinator")

    with django_capture_on_commit_callbacks(execute=True):
        run = rollup_run_request(strategy=world.strategy, user=coordinator)
        again = rollup_run_request(strategy=world.strategy, user=coordinator)

    assert again == run
    # The immediate backend of the tests ran the task once the request committed.
    run.refresh_from_db()
    assert run.status == RollupRun.Status.SUCCEEDED
    assert run.task_id
    assert rollup_run_task.enqueue(run.pk).return_value == "succeeded"  # claimed once only
    assert RollupRun.objects.count() == 1


def _inputs(regions: dict[int, int]) -> _Inputs:
    return _Inputs(
        records=[],
        dimensions=dict.fromkeys(regions, "challenge"),
        region_of=regions,
        voice_of={c: ("author", c) for c in regions},
        regions=sorted(set(regions.values())),
    )


def test_over_representation_is_the_hypergeometric_tail_corrected_by_bh() -> None:
    # Region 1 says 10 things, all in finding A; region 2 says 30, spread over A, B and C.
    region_of = dict.fromkeys(range(10), 1) | dict.fromkeys(range(10, 40), 2)
    members = [list(range(0, 10)) + list(range(10, 14)), list(range(14, 27)), list(range(27, 40))]

    cells, kinds = rollup_classify(members, _inputs(region_of))

    cell = next(c for c in cells[0] if c.region == 1)
    expected_p = hypergeom.sf(10 - 1, 40, 10, 14)
    assert cell.p_value == pytest.approx(expected_p, rel=1e-3)
    p_all = [
        hypergeom.sf(c.contributions - 1, 40, 10 if c.region == 1 else 30, len(members[c.finding]))
        for row in cells
        for c in row
    ]
    # Corrected over the cells with MIN_AUTHORS authors or more (here: every cell).
    q_all = benjamini_hochberg(np.array(p_all))
    assert cell.q_value == pytest.approx(q_all[0], rel=1e-3)
    assert cell.over_represented
    assert kinds[0] == ("shared", None)  # 4 authors of region 2 carry it too
    # B and C: region 2 alone, over-represented (it has 75 % of everything but 100 % there).
    b_cell = cells[1][0]
    assert b_cell.region == 2
    assert b_cell.q_value == pytest.approx(q_all[2], rel=1e-3)
    assert b_cell.q_value < ALPHA
    assert kinds[1] == ("specific", 2)


def test_a_finding_of_one_region_with_too_few_authors_is_not_specific() -> None:
    region_of = dict.fromkeys(range(4), 1) | dict.fromkeys(range(4, 40), 2)
    inputs = _inputs(region_of)
    # All four contributions of region 1 come from one author.
    inputs.voice_of.update(dict.fromkeys(range(4), ("author", 0)))

    cells, kinds = rollup_classify([list(range(0, 4)), list(range(4, 40))], inputs)

    assert cells[0][0].authors == 1 < MIN_AUTHORS
    assert not cells[0][0].over_represented
    assert cells[0][0].q_value == 1  # not a cell that could carry a claim: not tested
    assert kinds[0] == ("other", None)


def test_a_small_regions_own_finding_is_specific_even_when_not_significant() -> None:
    # Region 1 says 10 things of 100; three of its authors say C, which nobody else says.
    region_of = dict.fromkeys(range(10), 1) | dict.fromkeys(range(10, 100), 2)
    members = [list(range(0, 7)) + list(range(10, 55)), list(range(55, 100)), [7, 8, 9]]

    cells, kinds = rollup_classify(members, _inputs(region_of))

    (cell,) = cells[2]
    assert kinds[2] == ("specific", 1)
    assert cell.lift == pytest.approx(10.0)
    assert cell.p_value == pytest.approx(hypergeom.sf(2, 100, 10, 3), rel=1e-3)
    assert cell.over_represented == (cell.q_value < ALPHA)


def test_a_finding_carried_in_one_region_below_its_share_is_not_specific() -> None:
    # Region 2 has 90 % of all contributions but only 2 of finding A's 4 (authors: 2 each).
    region_of = dict.fromkeys(range(10), 1) | dict.fromkeys(range(10, 100), 2)
    inputs = _inputs(region_of)
    inputs.voice_of.update({0: ("author", 0), 1: ("author", 0)})
    members = [[0, 1, 10, 11], list(range(2, 10)) + list(range(12, 100))]

    cells, kinds = rollup_classify(members, inputs)

    assert [c.authors for c in cells[0]] == [1, 2]
    assert kinds[0] == ("other", None)  # only region 2 carries it, and it leans away from it


def test_benjamini_hochberg_matches_the_textbook_values() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005])

    q = benjamini_hochberg(p)

    # Sorted 0.005, 0.01, 0.03, 0.04 → ×4/1, ×4/2, ×4/3, ×4/4, then the running minimum.
    assert q.tolist() == pytest.approx([0.02, 0.04, 0.04, 0.02])


def test_roll_up_findings_are_titled_in_their_members_words(world: RollupCorpus) -> None:
    run = rollup_run_now(strategy=world.strategy)
    titled = 0
    for finding in RollupFinding.objects.filter(run=run).prefetch_related("citations"):
        texts = [
            " ".join(c.contribution.text.split())
            for c in finding.citations.select_related("contribution")
        ]
        for label in (finding.label_ar, finding.label_fr):
            words = " ".join(label.split()).removesuffix("…").strip()
            if words:
                titled += 1
                assert any(words in text for text in texts), label
    assert titled
