"""Synthesis throughput and peak memory at 10k, 100k and 1M contributions, against embedding alone.

Contributions are resampled from the eval-data text (SIB-200 and Flores-200 in MSA, Darija,
French, English, Tifinagh and Kabyle; MAC and MYC Moroccan tweets and comments, Arabizi included;
Mawdoo3 questions; French STS sentences): each draws a text at random and, 85 % of the time,
drops each of its words with probability 0.15, so that most are distinct but near-duplicates
abound, as in a real consultation. Each gets a random province, actor type and channel for the
profiles. Seeded: the same sizes give the same contributions.

Each size runs in a fresh process (so that peak memory is its own): the whole synthesis with
the default USE embedder, then, in another fresh process, USE alone over the same distinct texts
on a pool of one-thread USE processes, one per core (the least any embedding-based synthesis
must do). Peak memory is the summed proportional set
size (PSS: pages shared with forked workers counted once) of the process and its workers, sampled
every 0.2 s. The figure is the ratio whole run / embedding
alone.

    .venv/bin/python benchmarks/bench_synthesis_scale.py [--sizes 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from _synthesis_common import DEFAULT_DATA, PeakMemory, read_table

PROVINCES = ("Agadir Ida-Outanane", "Inezgane Aït Melloul", "Chtouka Aït Baha", "Taroudant")
PROVINCES += ("Tiznit", "Tata")
ACTORS = ("citizen", "association", "elected", "administration", "private sector")
CHANNELS = ("workshop", "online", "paper")


def text_pool(data: Path) -> list[str]:
    texts: list[str] = []
    for lang in ("arb_Arab", "ary_Arab", "fra_Latn", "eng_Latn", "tzm_Tfng", "kab_Latn"):
        for split in ("train", "dev"):
            texts += [r["text"] for r in read_table(data / "sib200" / lang / f"{split}.tsv")]
    for row in read_table(data / "flores200" / "flores200_dev.tsv"):
        texts += [row[k] for k in ("arb_Arab", "ary_Arab", "fra_Latn", "tzm_Tfng", "kab_Latn")]
    for name in ("mac_corpus.csv", "myc_cleaned.csv"):
        texts += [r["text"] for r in read_table(data / "darija_sentiment" / name, ",")]
    for row in read_table(data / "arabic_q2q_mawdoo3" / "q2q_similarity_workshop_v2.1.tsv"):
        texts += [row["question1"], row["question2"]]
    for name in ("stsb_fr_dev.csv", "stsb_fr_test.csv"):
        for row in read_table(data / "french_sts_mt" / name, ","):
            texts += [row["sentence1"], row["sentence2"]]
    return sorted({t.strip() for t in texts if t and t.strip()})


def contributions(pool: list[str], n: int, seed: int = 0) -> list[dict[str, str]]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        text = rng.choice(pool)
        words = text.split()
        if len(words) > 3 and rng.random() < 0.85:
            kept = [w for w in words if rng.random() >= 0.15]
            text = " ".join(kept or words[:1])
        out.append(
            {
                "id": f"c{k}",
                "text": text,
                "province": rng.choice(PROVINCES),
                "actor_type": rng.choice(ACTORS),
                "channel": rng.choice(CHANNELS),
            }
        )
    return out


def embed_chunk(texts: list[str]) -> int:
    from tashawur.synthesis import USEEmbedder

    return len(USEEmbedder().embed(texts, []))


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (pool workers)."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )


@contextmanager
def _cpu_timed(timings: dict[str, float], step: str) -> Iterator[None]:
    # Each step's CPU (this process and the pools it closed), beside the pipeline's wall time.
    start = cpu_seconds()
    try:
        yield
    finally:
        CPU_STEPS[step] = CPU_STEPS.get(step, 0.0) + cpu_seconds() - start


CPU_STEPS: dict[str, float] = {}


def measure(mode: str, n: int, data: Path) -> dict[str, object]:
    records = contributions(text_pool(data), n)
    cpu_before = cpu_seconds()
    with PeakMemory() as memory:
        started = time.perf_counter()
        if mode == "synthesis":
            from tashawur.synthesis import Synthesizer

            timed = Synthesizer._timed

            @contextmanager
            def both(self: Synthesizer, timings: dict[str, float], step: str) -> Iterator[None]:
                with timed(self, timings, step), _cpu_timed(timings, step):
                    yield

            Synthesizer._timed = both  # type: ignore[method-assign]
            result = Synthesizer(random_state=0).run(records)
            extra: dict[str, object] = {
                "timings": result.timings,
                "cpu_steps": CPU_STEPS,
                "themes": len(result.themes),
                "findings": len(result.findings),
                "duplicates": sum(a["duplicate_of"] is not None for a in result.assignments),
            }
        else:
            # In order of first appearance, in the pipeline's chunks, on a pool of one-thread USE
            # processes, one per core: the fastest way to embed on this machine, as the
            # pipeline embeds.
            distinct = list(dict.fromkeys(r["text"] for r in records))
            chunks = [distinct[start : start + 2048] for start in range(0, len(distinct), 2048)]
            with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
                for _ in pool.map(embed_chunk, chunks):
                    pass
            extra = {"distinct": len(distinct)}
        seconds = time.perf_counter() - started
    cpu = cpu_seconds()
    figures = {"mode": mode, "n": n, "seconds": seconds, "cpu_seconds": cpu - cpu_before}
    return {**figures, "peak_rss": memory.peak, **extra}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated sizes")
    parser.add_argument("--one", nargs=2, metavar=("MODE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], int(args.one[1]), args.data)))
        return

    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(f"text pool: {len(text_pool(args.data)):,} distinct texts")
    for n in sizes:
        figures = {}
        for mode in ("synthesis", "embedding"):
            completed = subprocess.run(
                [sys.executable, __file__, "--data", str(args.data), "--one", mode, str(n)],
                capture_output=True,
                text=True,
            )
            if completed.returncode != 0:
                sys.exit(f"{mode} at {n} failed:\n{completed.stderr}")
            figures[mode] = json.loads(completed.stdout.strip().splitlines()[-1])
        run, embed = figures["synthesis"], figures["embedding"]
        print(
            f"\n[{n:,} contributions] whole synthesis {run['seconds']:.1f} s "
            f"({n / run['seconds']:,.0f}/s, CPU {run['cpu_seconds']:.1f} s), "
            f"peak {run['peak_rss'] / 2**30:.2f} GiB; "
            f"{run['themes']} themes, {run['findings']} findings, {run['duplicates']:,} duplicates"
        )
        print("  steps (s): " + ", ".join(f"{k} {v:.1f}" for k, v in run["timings"].items()))
        print("  steps (CPU s): " + ", ".join(f"{k} {v:.1f}" for k, v in run["cpu_steps"].items()))
        print(
            f"  USE alone on the {embed['distinct']:,} distinct texts: {embed['seconds']:.1f} s, "
            f"(CPU {embed['cpu_seconds']:.1f} s), peak {embed['peak_rss'] / 2**30:.2f} GiB"
        )
        print(
            f"  ratio whole run / embedding alone: ×{run['seconds'] / embed['seconds']:.2f} wall, "
            f"×{run['cpu_seconds'] / embed['cpu_seconds']:.2f} CPU; whole run / its own embed "
            f"step: ×{run['seconds'] / run['timings']['embed']:.2f}"
        )


if __name__ == "__main__":
    main()
