"""The national roll-up against the 12 regional syntheses: time and peak memory.

12 regions × N contributions in all (default 20,000), resampled from the eval-data text as
``bench_synthesis_scale.py`` does (random word drops make near-duplicates). Each region draws
70 % of its texts from ``COMMON_TEXTS`` common to all regions and 30 % from ``OWN_TEXTS`` of its
own, so that the roll-up has both shared and region-specific findings to find. Each
contribution gets its region, a province, an actor type and a channel.

Two modes, each in a fresh process (so that its peak memory is its own), with the same
embedder and seed as the diagnosis's runs (``diagnosis.services.runs``):

- ``rollup``: one synthesis over all N contributions, then the roll-up's classification
  (per-region counts, hypergeometric over-representation test with Benjamini–Hochberg,
  shared / specific), as ``diagnosis.services.rollup`` does before it stores;
- ``regional``: the 12 regional syntheses, one after the other, in the same process.

Peak memory is the summed proportional set size of the process and its workers, sampled every
0.2 s. The figure is the ratio roll-up / 12 regional runs, in wall time and in peak memory.
Neither mode reads or writes the database.

    .venv/bin/python benchmarks/bench_rollup.py [--size 20000] [--embedder use|lexical]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from _synthesis_common import DEFAULT_DATA, PeakMemory
from bench_synthesis_scale import ACTORS, CHANNELS, PROVINCES, text_pool

REGIONS = [f"{code:02d}" for code in range(1, 13)]
OWN_SHARE = 0.3
#: Texts each region's own slice holds, and texts common to all regions: few enough that the
#: same idea comes back, as in a consultation.
OWN_TEXTS = 40
COMMON_TEXTS = 600


def contributions(pool: list[str], n: int, seed: int = 0) -> list[dict[str, str]]:
    rng = random.Random(seed)
    shuffled = sorted(pool, key=lambda t: random.Random(t).random())
    common = shuffled[:COMMON_TEXTS]
    own = shuffled[COMMON_TEXTS:]
    slices = {r: own[k :: len(REGIONS)][:OWN_TEXTS] for k, r in enumerate(REGIONS)}
    out = []
    for k in range(n):
        region = REGIONS[k % len(REGIONS)]
        text = rng.choice(slices[region] if rng.random() < OWN_SHARE else common)
        words = text.split()
        if len(words) > 3 and rng.random() < 0.85:
            kept = [w for w in words if rng.random() >= 0.15]
            text = " ".join(kept or words[:1])
        out.append(
            {
                "id": str(k + 1),
                "text": text,
                "region": region,
                "province": rng.choice(PROVINCES),
                "actor_type": rng.choice(ACTORS),
                "channel": rng.choice(CHANNELS),
            }
        )
    return out


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tashawur.config.settings")
    os.environ.setdefault("TASHAWUR_ENV", "test")
    import django

    django.setup()


def _classify(records: list[dict[str, str]], result: object) -> Counter[str]:
    """The roll-up's classification of the findings, as the service computes it."""
    from tashawur.diagnosis.services.rollup import _Inputs, rollup_classify

    duplicates_of: dict[str, list[str]] = {}
    for group in result.duplicates:  # type: ignore[attr-defined]
        duplicates_of.setdefault(group.canonical_id, []).extend(group.duplicate_ids)
    members = [
        [int(i) for m in f.member_ids for i in (m, *duplicates_of.get(m, []))]
        for f in result.findings  # type: ignore[attr-defined]
    ]
    region_ids = {r: k for k, r in enumerate(REGIONS, start=1)}
    authors = random.Random(1)
    inputs = _Inputs(
        records=[],
        dimensions={},
        region_of={int(r["id"]): region_ids[r["region"]] for r in records},
        # About three contributions per author, within a region.
        voice_of={
            int(r["id"]): (
                "author",
                region_ids[r["region"]] * 10**7 + authors.randrange(len(records) // 36 + 1),
            )
            for r in records
        },
        regions=sorted(region_ids.values()),
    )
    _cells, kinds = rollup_classify(members, inputs)
    return Counter(kind for kind, _region in kinds)


def measure(mode: str, n: int, data: Path, embedder: str) -> dict[str, object]:
    _django()
    from tashawur.diagnosis.services.runs import RANDOM_STATE
    from tashawur.synthesis import Synthesizer

    records = contributions(text_pool(data), n)
    extra: dict[str, object] = {}
    with PeakMemory() as memory:
        started = time.perf_counter()
        if mode == "rollup":
            result = Synthesizer(embedder=embedder, random_state=RANDOM_STATE).run(
                [{k: v for k, v in r.items() if k != "region"} for r in records]
            )
            synthesised = time.perf_counter() - started
            kinds = _classify(records, result)
            extra = {
                "findings": len(result.findings),
                "synthesis_seconds": synthesised,
                "classify_seconds": time.perf_counter() - started - synthesised,
                "kinds": dict(kinds),
            }
        else:
            findings = 0
            for region in REGIONS:
                subset = [
                    {k: v for k, v in r.items() if k != "region"}
                    for r in records
                    if r["region"] == region
                ]
                result = Synthesizer(embedder=embedder, random_state=RANDOM_STATE).run(subset)
                findings += len(result.findings)
            extra = {"findings": findings}
        seconds = time.perf_counter() - started
    return {"mode": mode, "n": n, "seconds": seconds, "peak_rss": memory.peak, **extra}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--size", type=int, default=20_000, help="contributions in all regions")
    parser.add_argument("--embedder", default="use", choices=("use", "lexical"))
    parser.add_argument("--one", metavar="MODE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.size, args.data, args.embedder)))
        return

    figures = {}
    for mode in ("rollup", "regional"):
        completed = subprocess.run(
            [
                sys.executable,
                __file__,
                "--data",
                str(args.data),
                "--size",
                str(args.size),
                "--embedder",
                args.embedder,
                "--one",
                mode,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            sys.exit(f"{mode} failed:\n{completed.stderr}")
        figures[mode] = json.loads(completed.stdout.strip().splitlines()[-1])
    rollup, regional = figures["rollup"], figures["regional"]
    print(f"[{args.size:,} contributions over {len(REGIONS)} regions, embedder {args.embedder}]")
    print(
        f"  roll-up (one synthesis + classification): {rollup['seconds']:.1f} s "
        f"(synthesis {rollup['synthesis_seconds']:.1f} s, classification "
        f"{rollup['classify_seconds']:.2f} s), peak {rollup['peak_rss'] / 2**20:,.0f} MiB; "
        f"{rollup['findings']} findings: {rollup['kinds']}"
    )
    print(
        f"  12 regional syntheses, one after the other: {regional['seconds']:.1f} s, "
        f"peak {regional['peak_rss'] / 2**20:,.0f} MiB; {regional['findings']} findings"
    )
    print(
        f"  ratio roll-up / 12 regional runs: ×{rollup['seconds'] / regional['seconds']:.2f} time, "
        f"×{rollup['peak_rss'] / regional['peak_rss']:.2f} peak memory"
    )


if __name__ == "__main__":
    main()
