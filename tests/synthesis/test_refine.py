"""The refinement of findings: singletons merged when close, mixed findings split, turned off."""

import csv
import os
from pathlib import Path

import numpy as np
import pytest

from tashawur.synthesis import KeepFindings, MergeSplitFindings, Synthesizer
from tashawur.synthesis._embed import l2_normalise

from .corpus import records

EVAL_DATA = Path(
    os.environ.get("TASHAWUR_EVAL_DATA", Path(__file__).resolve().parents[3] / "shared/eval-data")
)


def _around(centre, n, spread, rng):
    return centre + spread * rng.normal(size=(n, len(centre)))


def _finding_and_one(angle_cosine, dim=16, seed=0):
    """Six rows close to e0 (one finding), and a row whose cosine with e0 is ``angle_cosine``."""
    rng = np.random.default_rng(seed)
    e0, e1 = np.eye(dim)[0], np.eye(dim)[1]
    finding = _around(e0, 6, 0.05, rng)
    single = angle_cosine * e0 + np.sqrt(1 - angle_cosine**2) * e1
    vectors = l2_normalise(np.vstack([finding, single]).astype(np.float32))
    return vectors, np.array([0] * 6 + [1], dtype=np.int64)


def test_a_singleton_close_to_a_finding_joins_it():
    vectors, labels = _finding_and_one(0.6)
    refined = MergeSplitFindings(merge_similarity=0.5).fit(vectors, labels).labels_
    assert len(set(refined.tolist())) == 1
    assert refined.tolist() == [0] * 7


def test_a_singleton_far_from_every_finding_stays_alone():
    vectors, labels = _finding_and_one(0.3)
    refined = MergeSplitFindings(merge_similarity=0.5).fit(vectors, labels).labels_
    assert refined.tolist() == [0] * 6 + [1]


def test_a_singleton_joins_only_a_finding_of_its_own_scope():
    vectors, labels = _finding_and_one(0.9)
    scopes = ["challenge"] * 6 + ["proposal"]
    refined = MergeSplitFindings(merge_similarity=0.5).fit(vectors, labels, scopes).labels_
    assert refined.tolist() == [0] * 6 + [1]
    unscoped = MergeSplitFindings(merge_similarity=0.5).fit(vectors, labels).labels_
    assert unscoped.tolist() == [0] * 7


def test_a_finding_mixing_two_ideas_is_split_and_a_tight_one_is_not():
    rng = np.random.default_rng(1)
    dim = 16
    a, b, c = np.eye(dim)[0], np.eye(dim)[1], np.eye(dim)[2]
    rows = np.vstack([_around(a, 4, 0.1, rng), _around(b, 4, 0.1, rng), _around(c, 6, 0.1, rng)])
    vectors = l2_normalise(rows.astype(np.float32))
    # Interleaved, as the finding step could leave them: one finding holds both ideas.
    order = np.array([0, 4, 1, 5, 2, 6, 3, 7, *range(8, 14)])
    vectors = vectors[order]
    labels = np.array([0] * 8 + [1] * 6, dtype=np.int64)
    step = MergeSplitFindings(merge_similarity=None, split_similarity=0.5).fit(vectors, labels)
    refined = step.labels_
    idea = np.array([0, 1] * 4 + [2] * 6)
    assert len(set(refined.tolist())) == 3
    for k in range(3):
        assert len(set(refined[idea == k].tolist())) == 1
    assert step.n_split_ == 1


def test_a_small_mixed_finding_is_left_to_the_merge():
    rng = np.random.default_rng(2)
    a, b = np.eye(8)[0], np.eye(8)[1]
    vectors = l2_normalise(np.vstack([_around(a, 2, 0.1, rng), _around(b, 2, 0.1, rng)]))
    labels = np.zeros(4, dtype=np.int64)
    refined = MergeSplitFindings(merge_similarity=None, split_min_size=6).fit(vectors, labels)
    assert refined.labels_.tolist() == [0] * 4


def test_a_finding_of_two_scopes_is_split_by_scope():
    vectors, _ = _finding_and_one(0.9)
    labels = np.zeros(7, dtype=np.int64)
    scopes = ["challenge", "proposal"] * 3 + ["challenge"]
    refined = (
        MergeSplitFindings(merge_similarity=None, split_similarity=None)
        .fit(vectors, labels, scopes)
        .labels_
    )
    assert refined.tolist() == [0, 1] * 3 + [0]
    kept = MergeSplitFindings(split_scopes=False, merge_similarity=None, split_similarity=None)
    assert kept.fit(vectors, labels, scopes).labels_.tolist() == [0] * 7


def test_keep_findings_changes_nothing():
    vectors, labels = _finding_and_one(0.99)
    assert KeepFindings().fit(vectors, labels, ["x"] * 7).labels_.tolist() == labels.tolist()


def test_the_refinement_is_a_step_of_the_synthesis_and_can_be_turned_off():
    rows = records(("ar", "fr"))
    # Every record in its own dimension: the default refinement splits each finding apart.
    for k, row in enumerate(rows):
        row["dimension"] = f"d{k}"
    refined = Synthesizer(embedder="use", random_state=0).run(rows)
    kept = Synthesizer(embedder="use", random_state=0, finding_refiner=KeepFindings()).run(rows)
    unscoped = Synthesizer(embedder="use", random_state=0, finding_scope=None).run(rows)
    assert len(refined.findings) == len(rows)
    assert len(kept.findings) < len(rows)
    assert [a["finding"] for a in unscoped.assignments] == [a["finding"] for a in kept.assignments]


def test_a_callers_refiner_is_copied_not_fitted():
    step = MergeSplitFindings()
    Synthesizer(embedder="lexical", finding_refiner=step).run(records(("ar", "fr")))
    assert [name for name in vars(step) if name.endswith("_")] == []


@pytest.mark.skipif(
    not (EVAL_DATA / "flores200" / "flores200_dev.tsv").exists(),
    reason="Flores-200 dev is not in the eval data",
)
def test_translations_stay_together_on_a_flores_sample():
    with (EVAL_DATA / "flores200" / "flores200_dev.tsv").open(encoding="utf-8") as handle:
        sample = list(csv.DictReader(handle, delimiter="\t"))[:60]
    languages = ("arb_Arab", "fra_Latn")
    rows = [
        {"id": f"{lang}|{r['line_no']}", "text": r[lang], "dimension": "proposal"}
        for lang in languages
        for r in sample
    ]

    def together(result):
        finding = {a["id"]: a["finding"] for a in result.assignments}
        return [
            finding[f"arb_Arab|{r['line_no']}"] == finding[f"fra_Latn|{r['line_no']}"]
            for r in sample
        ]

    refined = together(Synthesizer(embedder="use", random_state=0).run(rows))
    kept = together(
        Synthesizer(embedder="use", random_state=0, finding_refiner=KeepFindings()).run(rows)
    )
    assert np.mean(refined) >= 0.95
    assert np.mean(refined) >= np.mean(kept)
