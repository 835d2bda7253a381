"""The Amazigh bridge on sentences it never saw, against raw USE and a plain ridge projection.

Held-out sets (the shipped bridge is trained on Flores-200 dev rows outside SIB-200 dev):
``sib-dev`` is SIB-200 dev (99 sentences); ``held-out`` adds the SIB-200 train sentences that are
not in the Flores-200 dev file (they come from Flores devtest), 427 in all. For each: NMI of
KMeans(7) (per-language centred, mean of 20 seeds) on MSA + Darija + French + Amazigh against
the 7 topics, and Amazigh → MSA and → French top-1 retrieval among the set's sentences.

Peers, measured in the same run: USE reading the Amazigh text directly, and the plain ridge of
DESIGN-synthesis.md (TF-IDF character 1–5-grams → MSA embedding, alpha 1, same training rows).

    .venv/bin/python benchmarks/bench_amazigh_bridge.py [--data DIR]
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Ridge
from sklearn.metrics import normalized_mutual_info_score

from tashawur.synthesis import USEEmbedder
from tashawur.synthesis._amazigh import AmazighBridge

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("TASHAWUR_EVAL_DATA", REPO.parent / "shared" / "eval-data"))
LANGUAGES = ("arb_Arab", "ary_Arab", "fra_Latn")
AMAZIGH = ("tzm_Tfng", "kab_Latn")


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def topic_nmi(blocks: list[np.ndarray], topics: np.ndarray, seeds: int = 20) -> float:
    vectors = np.vstack([unit(b - b.mean(axis=0)) for b in blocks])
    truth = np.concatenate([topics] * len(blocks))
    scores = [
        normalized_mutual_info_score(
            truth, KMeans(7, n_init=3, random_state=seed).fit_predict(vectors)
        )
        for seed in range(seeds)
    ]
    return float(np.mean(scores))


def top1(queries: np.ndarray, pool: np.ndarray) -> float:
    return float(np.mean((unit(queries) @ unit(pool).T).argmax(axis=1) == np.arange(len(pool))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()

    flores = read_tsv(args.data / "flores200" / "flores200_dev.tsv")
    in_flores = {row["sib_index_id"] for row in flores if row["sib_index_id"]}
    training = [row for row in flores if row["sib_split"] != "dev"]
    languages = (*LANGUAGES, *AMAZIGH)
    dev = {lang: read_tsv(args.data / "sib200" / lang / "dev.tsv") for lang in languages}
    train = {lang: read_tsv(args.data / "sib200" / lang / "train.tsv") for lang in languages}
    sets = {
        "sib-dev": {lang: dev[lang] for lang in languages},
        "held-out": {
            lang: dev[lang] + [r for r in train[lang] if r["index_id"] not in in_flores]
            for lang in languages
        },
    }
    for rows in sets.values():
        ids = [r["index_id"] for r in rows["arb_Arab"]]
        assert all([r["index_id"] for r in rows[lang]] == ids for lang in languages)

    encoder = USEEmbedder()
    started = time.perf_counter()
    embedded = {
        name: {lang: encoder.embed([r["text"] for r in rows[lang]], []) for lang in languages}
        for name, rows in sets.items()
    }
    msa_targets = encoder.embed([row["arb_Arab"] for row in training], [])
    print(f"USE embedding of the sets: {time.perf_counter() - started:.1f} s")

    bridge = AmazighBridge.load()
    plain = {}
    for lang in AMAZIGH:
        vectoriser = TfidfVectorizer(analyzer="char", ngram_range=(1, 5))
        features = vectoriser.fit_transform([row[lang] for row in training])
        plain[lang] = (vectoriser, Ridge(alpha=1.0).fit(features, msa_targets))

    for name, rows in sets.items():
        topics = np.array([r["category"] for r in rows["arb_Arab"]])
        vectors = embedded[name]
        oracle = topic_nmi([vectors[lang] for lang in (*LANGUAGES, "arb_Arab")], topics)
        print(f"\n[{name}] {len(topics)} sentences; MSA+Darija+French+MSA again: NMI {oracle:.3f}")
        for lang in AMAZIGH:
            texts = [r["text"] for r in rows[lang]]
            vectoriser, ridge = plain[lang]
            started = time.perf_counter()
            bridged = bridge.transform(texts)
            seconds = time.perf_counter() - started
            candidates = {
                "raw USE": vectors[lang],
                "plain ridge": ridge.predict(vectoriser.transform(texts)),
                "bridge": bridged,
            }
            figures = {}
            for method, amazigh in candidates.items():
                score = topic_nmi([*(vectors[lang_] for lang_ in LANGUAGES), amazigh], topics)
                to_msa = top1(amazigh, vectors["arb_Arab"])
                to_fra = top1(amazigh, vectors["fra_Latn"])
                figures[method] = (score, to_msa, to_fra)
                print(
                    f"  {lang} {method:12s} NMI {score:.3f}  →MSA top-1 {to_msa:.3f}"
                    f"  →French top-1 {to_fra:.3f}"
                )
            for peer in ("raw USE", "plain ridge"):
                ratios = [
                    b / p if p else float("inf")
                    for b, p in zip(figures["bridge"], figures[peer], strict=True)
                ]
                print(
                    f"  {lang} bridge / {peer}: NMI ×{ratios[0]:.2f}, →MSA ×{ratios[1]:.2f},"
                    f" →French ×{ratios[2]:.2f}"
                )
            print(f"  {lang} bridge speed: {len(texts) / seconds:,.0f} sentences/s")


if __name__ == "__main__":
    main()
