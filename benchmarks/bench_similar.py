"""“Already said” suggestions at 100,000 contributions: how long the search part of
GET /w/<pk>/similar/ takes (embed the typed text + centre it + top candidates + top 3).

The index is the one the view uses (``tashawur.contributions.similar``): ``--unique`` real texts
from ``eval-data`` (Flores-200 dev in French, MSA, Darija and Tifinagh through the Amazigh
bridge, then Darija comments of the MAC corpus) are embedded, then repeated with small noise up
to ``--size`` rows, centred per language. Queries are other texts of the same sources, in the
four languages, never seen by the index.

Peer, measured in the same run on the same vectors and queries: scikit-learn's
``NearestNeighbors(metric="cosine", algorithm="brute")`` (the same embedding, then its search).
Both run on one BLAS thread, as a web worker would. The database part of the view (one
aggregate, one ``pk__in`` query of 40 rows) is not included.

    .venv/bin/python benchmarks/bench_similar.py [--size 100000] [--unique 4000] [--queries 300]
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from pathlib import Path

import django
import numpy as np

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tashawur.config.settings_test")
django.setup()

from sklearn.neighbors import NearestNeighbors  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from tashawur.contributions import similar  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("TASHAWUR_EVAL_DATA", REPO.parent / "shared" / "eval-data"))
FLORES_LANGUAGES = {"fra_Latn": "fr", "arb_Arab": "ar", "ary_Arab": "ary", "tzm_Tfng": "zgh"}


def texts(data: Path) -> list[tuple[str, str]]:
    """(text, language) pairs, Flores first (row by row, the four languages), then MAC."""
    out: list[tuple[str, str]] = []
    with (data / "flores200" / "flores200_dev.tsv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            out.extend((row[column], language) for column, language in FLORES_LANGUAGES.items())
    with (data / "darija_sentiment" / "mac_corpus.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if len(row["text"]) >= similar.MIN_QUERY_CHARS:
                out.append((row["text"], "ary" if row["variety"] != "standard" else "ar"))
    return out


def percentiles(times: list[float]) -> tuple[float, float, float]:
    ms = np.array(times) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95)), float(ms.max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--unique", type=int, default=4000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()

    pool = texts(args.data)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(pool))
    corpus = [pool[i] for i in order[: args.unique]]
    queries = [pool[i][0] for i in order[args.unique : args.unique + args.queries]]

    with threadpool_limits(1):
        started = time.perf_counter()
        similar.embed_query("warm-up: the model and the language detectors")
        model_load = time.perf_counter() - started
        started = time.perf_counter()
        unique = similar.embed_texts([t for t, _ in corpus], [g for _, g in corpus])
        embed_rate = len(corpus) / (time.perf_counter() - started)

        # --size rows: the unique vectors repeated, each with a little noise.
        picks = np.arange(args.size) % len(corpus)
        noise = rng.normal(0, 0.02, (args.size, similar.DIM)).astype(np.float32)
        raw = unique[picks] + noise
        raw /= np.linalg.norm(raw, axis=1, keepdims=True)
        index = similar._Index.empty()
        index.ids = np.arange(1, args.size + 1, dtype=np.int64)
        index.raw = raw.astype(np.float16)
        index.languages = np.array([corpus[i][1] for i in picks], dtype="<U8")
        started = time.perf_counter()
        index.recentre()
        recentre_s = time.perf_counter() - started

        # A new process starts from the file: load (float16 → float32) and centre.
        with tempfile.TemporaryDirectory() as directory:
            from django.conf import settings

            settings.TASHAWUR_SIMILAR_DIR = directory
            similar._save(1, index)
            size_mb = sum(p.stat().st_size for p in Path(directory).iterdir()) / 1e6
            started = time.perf_counter()
            loaded = similar._load(1)
            load_s = time.perf_counter() - started
            assert loaded is not None and len(loaded.ids) == args.size

        ours: list[float] = []
        ours_search: list[float] = []
        agree = 0
        peer_model = NearestNeighbors(
            n_neighbors=similar.CANDIDATES, metric="cosine", algorithm="brute"
        ).fit(index.centred)
        peer: list[float] = []
        peer_search: list[float] = []
        for query in queries:
            started = time.perf_counter()
            vector, language = similar.embed_query(query)
            centred = index.centre(vector[None, :], [language])[0]
            searched = time.perf_counter()
            rows, _scores = similar.top_candidates(index.centred, centred)
            top3 = index.ids[rows[: similar.SUGGESTIONS]]
            done = time.perf_counter()
            ours.append(done - started)
            ours_search.append(done - searched)

            started = time.perf_counter()
            vector, language = similar.embed_query(query)
            centred = index.centre(vector[None, :], [language])[0]
            searched = time.perf_counter()
            _distances, neighbours = peer_model.kneighbors(centred[None, :])
            peer_top3 = index.ids[neighbours[0][: similar.SUGGESTIONS]]
            done = time.perf_counter()
            peer.append(done - started)
            peer_search.append(done - searched)
            agree += len(rows) == 0 or set(top3.tolist()) == set(peer_top3.tolist())

    o50, o95, omax = percentiles(ours)
    p50, p95, pmax = percentiles(peer)
    s50, s95, _ = percentiles(ours_search)
    q50, q95, _ = percentiles(peer_search)
    print(
        f"index: {args.size:,} contributions ({args.unique:,} real texts repeated with noise), "
        f"{similar.DIM} dimensions; {len(queries)} queries; one BLAS thread"
    )
    print(
        f"model + detectors load {model_load:.2f} s (first request of a process); "
        f"corpus embedding {embed_rate:.0f} texts/s"
    )
    print(
        f"index file {size_mb:.0f} MB (float16); load + centre {load_s:.2f} s; "
        f"re-centre in memory {recentre_s:.2f} s"
    )
    print(f"tashawur (embed + top-3): p50 {o50:.1f} ms, p95 {o95:.1f} ms, max {omax:.1f} ms")
    print(f"  of which search:        p50 {s50:.1f} ms, p95 {s95:.1f} ms")
    print(f"sklearn brute cosine:      p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {pmax:.1f} ms")
    print(f"  of which search:        p50 {q50:.1f} ms, p95 {q95:.1f} ms")
    print(f"same top-3 as the peer: {agree}/{len(queries)} queries")
    print(f"ratio of p95 (sklearn / tashawur): {p95 / o95:.2f}x; search only {q95 / s95:.2f}x")
    print(f"p95 under 300 ms: {'yes' if o95 < 300 else 'NO'}")


if __name__ == "__main__":
    main()
