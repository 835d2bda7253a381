"""Findings at the grain of an idea (issue 14, part 3): the refinement against the grouping as cut.

In one run, for the findings as the finding step cuts them (``KeepFindings``) and for the
default refinement (``MergeSplitFindings``: split by dimension, cut again large findings that
average below the split similarity, merge singletons into the nearest finding of their
dimension), plus each part alone:

1. Demo consultation (``src/tashawur/demo/data/contributions.yaml``, 362 contributions, 131
   ``idea`` labels): ARI of the findings against the ideas (every contribution, duplicates
   included), number of findings, share of singletons; ARI on round tables 1–3 and 4–5 apart.
2. Flores-200 dev, MSA + Darija + French (907 sentences × 3): the share of sentences whose three
   translations share one finding, and of MSA–French pairs that do (must stay ≥ 0.95).
3. Calibration on public pairs, cosine after centring as the pipeline does: the share of
   Mawdoo3 Q2Q question pairs (similar / not) and of French STS dev pairs (scored ≥ 4 / ≤ 2)
   at or above the merge and split similarities.

    .venv/bin/python benchmarks/bench_grain.py [--data DIR] [--mawdoo3-pairs N]
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sklearn.metrics import adjusted_rand_score

from _synthesis_common import DEFAULT_DATA, PrecomputedUSE, embed_table, read_table
from tashawur.synthesis import (
    FindingRefiner,
    KeepFindings,
    MergeSplitFindings,
    Synthesizer,
    USEEmbedder,
    centre_by_language,
)

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "src" / "tashawur" / "demo" / "data" / "contributions.yaml"
SIMILARITY = USEEmbedder.same_idea_similarity
MERGE, SPLIT = SIMILARITY - 0.05, SIMILARITY + 0.1
FLORES = ("arb_Arab", "ary_Arab", "fra_Latn")


def variants() -> dict[str, FindingRefiner | None]:
    return {
        "as cut (KeepFindings)": KeepFindings(),
        "split by dimension only": MergeSplitFindings(merge_similarity=None, split_similarity=None),
        f"merge ≥ {MERGE:.2f} only": MergeSplitFindings(split_similarity=None, split_scopes=False),
        f"split < {SPLIT:.2f} only": MergeSplitFindings(merge_similarity=None, split_scopes=False),
        "refined (default)": None,
    }


def demo_rows() -> list[dict[str, Any]]:
    data = yaml.safe_load(DEMO.read_text("utf-8"))
    return [
        {**c, "table": table}
        for table, w in enumerate(data["workshops"], start=1)
        for c in w["contributions"]
    ]


def demo(embedder: PrecomputedUSE) -> None:
    rows = demo_rows()
    # As the diagnosis passes them (services/storing.py): text, translation, metadata.
    records = [
        {
            "id": r["key"],
            "text": r["text"],
            "translation": r.get("translation_fr"),
            "language": r["language"],
            "dimension": r["dimension"],
            "channel": r["channel"],
        }
        for r in rows
    ]
    ideas = [r["idea"] for r in rows]
    print(
        f"\n== Demo: {len(rows)} contributions, {len(set(ideas))} ideas "
        f"({sum(v == 1 for v in Counter(ideas).values())} said once)"
    )
    print(
        f"  {'grouping':28} {'ARI':>6} {'findings':>9} {'singletons':>11} "
        f"{'ARI 1-3':>8} {'ARI 4-5':>8} {'seconds':>8}"
    )
    first = np.array([r["table"] <= 3 for r in rows])
    for name, refiner in variants().items():
        started = time.perf_counter()
        result = Synthesizer(embedder=embedder, random_state=0, finding_refiner=refiner).run(
            records
        )
        seconds = time.perf_counter() - started
        finding = {a["id"]: a["finding"] for a in result.assignments}
        labels = np.array([finding[r["key"]] for r in rows])
        sizes = Counter(labels.tolist())
        ideas_ = np.array(ideas)
        print(
            f"  {name:28} {adjusted_rand_score(ideas, labels):6.3f} {len(sizes):9d} "
            f"{sum(v == 1 for v in sizes.values()) / len(sizes):11.2f} "
            f"{adjusted_rand_score(ideas_[first], labels[first]):8.3f} "
            f"{adjusted_rand_score(ideas_[~first], labels[~first]):8.3f} {seconds:8.1f}"
        )


def flores(data: Path, embedder: PrecomputedUSE, rows: list[dict[str, str]]) -> None:
    records = [{"id": f"{lang}|{r['line_no']}", "text": r[lang]} for lang in FLORES for r in rows]
    print(f"\n== Flores-200 dev: {len(rows)} sentences in MSA, Darija, French")
    print(
        f"  {'grouping':28} {'3 together':>10} {'MSA-French':>11} {'findings':>9} "
        f"{'singletons':>11}"
    )
    for name, refiner in variants().items():
        result = Synthesizer(embedder=embedder, random_state=0, finding_refiner=refiner).run(
            records
        )
        finding = {a["id"]: a["finding"] for a in result.assignments}
        by_sentence: dict[str, set[str]] = defaultdict(set)
        for identifier, f in finding.items():
            by_sentence[identifier.split("|")[1]].add(f)
        together = np.mean([len(v) == 1 for v in by_sentence.values()])
        pairs = np.mean(
            [
                finding[f"arb_Arab|{r['line_no']}"] == finding[f"fra_Latn|{r['line_no']}"]
                for r in rows
            ]
        )
        sizes = Counter(finding.values())
        print(
            f"  {name:28} {together:10.3f} {pairs:11.3f} {len(sizes):9d} "
            f"{sum(v == 1 for v in sizes.values()) / len(sizes):11.2f}"
        )


def centred_pair_similarity(pairs: list[tuple[str, str]]) -> np.ndarray:
    texts = sorted({t for pair in pairs for t in pair})
    table, _ = embed_table(texts)
    vectors = np.stack([table[t] for t in texts]).astype(np.float32)
    vectors = centre_by_language(vectors, [""] * len(texts))
    index = {t: k for k, t in enumerate(texts)}
    left = vectors[[index[a] for a, _ in pairs]]
    right = vectors[[index[b] for _, b in pairs]]
    return np.einsum("ij,ij->i", left, right)


def calibration(data: Path, n_pairs: int) -> None:
    print("\n== Calibration on public pairs (cosine after centring)")
    mawdoo3 = read_table(data / "arabic_q2q_mawdoo3" / "q2q_similarity_workshop_v2.1.tsv")
    if n_pairs < len(mawdoo3):
        mawdoo3 = random.Random(0).sample(mawdoo3, n_pairs)
    with (data / "french_sts_mt" / "stsb_fr_dev.csv").open(encoding="utf-8", newline="") as f:
        sts = [
            r
            for r in csv.DictReader(f)
            if float(r["similarity_score"]) >= 4 or float(r["similarity_score"]) <= 2
        ]
    sets = {
        "Mawdoo3 Q2Q": (
            [(p["question1"], p["question2"]) for p in mawdoo3],
            np.array([p["label"] == "1" for p in mawdoo3]),
        ),
        "French STS dev": (
            [(p["sentence1"], p["sentence2"]) for p in sts],
            np.array([float(p["similarity_score"]) >= 4 for p in sts]),
        ),
    }
    print(
        f"  {'data':16} {'pairs':>6} {'similar':>8} {'sim. ≥ merge':>13} {'not ≥ merge':>12} "
        f"{'sim. ≥ split':>13} {'not ≥ split':>12} {'sim. 5%':>8} {'F1-best τ':>10}"
    )
    for name, (pairs, similar) in sets.items():
        sims = centred_pair_similarity(pairs)
        grid = np.round(np.arange(0.1, 0.9, 0.01), 2)
        f1 = [2 * (similar & (sims >= t)).sum() / ((sims >= t).sum() + similar.sum()) for t in grid]
        print(
            f"  {name:16} {len(pairs):6d} {similar.sum():8d} "
            f"{(sims[similar] >= MERGE).mean():13.3f} {(sims[~similar] >= MERGE).mean():12.3f} "
            f"{(sims[similar] >= SPLIT).mean():13.3f} {(sims[~similar] >= SPLIT).mean():12.3f} "
            f"{np.percentile(sims[similar], 5):8.3f} {grid[int(np.argmax(f1))]:10.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--mawdoo3-pairs", type=int, default=3000)
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"finding similarity {SIMILARITY}, merge from {MERGE:.2f}, split below {SPLIT:.2f}")

    rows = demo_rows()
    flores_rows = read_table(args.data / "flores200" / "flores200_dev.tsv")
    texts = [r["text"] for r in rows] + [
        r["translation_fr"] for r in rows if r.get("translation_fr")
    ]
    texts += [r[lang] for lang in FLORES for r in flores_rows]
    table, embed_s = embed_table(texts)
    print(f"USE embedding of {len(table)} texts: {embed_s:.1f} s (outside the timings)")
    embedder = PrecomputedUSE(table)
    demo(embedder)
    flores(args.data, embedder, flores_rows)
    calibration(args.data, args.mawdoo3_pairs)
    print(f"\n{time.perf_counter() - started:.1f} s in all")


if __name__ == "__main__":
    main()
