"""Agreement with Pol.is's own groups, and speed, against red-dwarf 0.4.0 on real conversations.

For every conversation in ``eval-data/polis``: adjusted Rand index between Pol.is's ``group-id``
(participants-votes.csv) and the groups of tashawur's opinion map and of red-dwarf's Pol.is
pipeline, on the participants Pol.is clustered, where a participant a tool leaves unclustered
counts as one more group (a second pair of columns keeps only those the tool clustered too); and
the time of each, from the same parsed votes, best of ``--repeat``, both under the same BLAS
thread limit (``--threads``, default 1: on a shared 2-core machine more threads only make small
problems wait on each other).

With ``--replay-window SECONDS``, tashawur's groups are also computed by replaying Pol.is's
incremental updates from the vote times (``OpinionMap(replay_window=...)``, one update per window
that received votes), timed once, and printed beside today's and red-dwarf's.

    .venv/bin/python benchmarks/bench_opinions_polis.py [--data DIR] [--repeat 10]
        [--replay-window 300]
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

from tashawur.synthesis.opinions import (
    OpinionMap,
    Votes,
    read_statements,
    read_votes,
    vote_matrix,
)

REPO = Path(__file__).resolve().parents[1]
T = TypeVar("T")
DEFAULT_DATA = Path(os.environ.get("TASHAWUR_EVAL_DATA", REPO.parent / "shared" / "eval-data"))


def polis_groups(folder: Path) -> dict[str, int]:
    with (folder / "participants-votes.csv").open(encoding="utf-8", newline="") as handle:
        return {
            row["participant"]: int(float(row["group-id"]))
            for row in csv.DictReader(handle)
            if row["group-id"].strip()
        }


def agreement(reference: dict[str, int], labels: dict[str, int], *, both: bool = False) -> float:
    """ARI on the participants Pol.is clustered (``both``: and the tool clustered too)."""
    ids = sorted(p for p in reference if not both or p in labels)
    return float(adjusted_rand_score([reference[p] for p in ids], [labels.get(p, -1) for p in ids]))


def run_tashawur(
    votes: Votes, moderated_out: set[str], seed: int, replay_window: float | None = None
) -> dict[str, int]:
    matrix = vote_matrix(
        votes.participants,
        votes.statements,
        votes.values,
        timestamps=votes.timestamps,
        moderated_out=moderated_out,
        keep_history=replay_window is not None,
    )
    result = OpinionMap(random_state=seed, replay_window=replay_window).fit(matrix)
    return {
        p: int(g) for p, g in zip(result.participant_ids_, result.labels_, strict=True) if g >= 0
    }


def red_dwarf_votes(votes: Votes) -> list[dict[str, int]]:
    """Votes as red-dwarf takes them: one per participant and statement, the latest."""
    assert votes.timestamps is not None, "Pol.is votes.csv carries timestamps"
    latest: dict[tuple[int, int], dict[str, int]] = {}
    order = np.argsort(np.asarray(votes.timestamps), kind="stable")
    for i in order.tolist():
        p, s = int(votes.participants[i]), int(votes.statements[i])
        latest[(p, s)] = {
            "participant_id": p,
            "statement_id": s,
            "vote": votes.values[i],
            "modified": int(votes.timestamps[i]),
        }
    return list(latest.values())


def run_red_dwarf(
    rd_votes: list[dict[str, int]], moderated_out: set[str], seed: int
) -> dict[str, int]:
    from reddwarf.implementations.polis import run_pipeline

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_pipeline(
            votes=rd_votes,
            mod_out_statement_ids=sorted(int(s) for s in moderated_out),
            random_state=seed,
        )
    labels = result.participants_df["cluster_id"].dropna()
    return {str(p): int(g) for p, g in labels.items()}


def best_time(func: Callable[[], T], repeat: int) -> tuple[float, T]:
    best, value = float("inf"), func()
    for _ in range(repeat):
        start = time.perf_counter()
        value = func()
        best = min(best, time.perf_counter() - start)
    return best, value


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA / "polis")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--replay-window",
        type=float,
        default=None,
        help="also replay Pol.is's updates, one per window of this many seconds",
    )
    args = parser.parse_args()
    with threadpool_limits(limits=args.threads):
        return _compare(args)


def _compare(args: argparse.Namespace) -> int:
    conversations = sorted(p for p in args.data.iterdir() if (p / "votes.csv").exists())
    if not conversations:
        print(f"no conversations under {args.data}", file=sys.stderr)
        return 1
    print(
        f"{'conversation':30} {'ptpts':>6} {'polis':>6} {'ARI ours':>9} {'ARI rd':>7} "
        f"{'both-clustered: ours':>21} {'rd':>6} "
        f"{'ours s':>7} {'rd s':>7} {'speed-up':>8}"
        + (f" {'ARI replay':>10} {'replay s':>8}" if args.replay_window else "")
    )
    ratios = []
    for folder in conversations:
        votes = read_votes(folder / "votes.csv")
        moderated_out = read_statements(folder / "comments.csv").moderated_out
        reference = polis_groups(folder)
        ours_s, ours = best_time(
            lambda v=votes, m=moderated_out: run_tashawur(v, m, args.seed), args.repeat
        )
        rd_votes = red_dwarf_votes(votes)
        rd_s, theirs = best_time(
            lambda v=rd_votes, m=moderated_out: run_red_dwarf(v, m, args.seed), args.repeat
        )
        ratio = rd_s / ours_s
        ratios.append(ratio)
        replayed = ""
        if args.replay_window:
            start = time.perf_counter()
            # Pol.is's vote times are in milliseconds.
            replay = run_tashawur(votes, moderated_out, args.seed, args.replay_window * 1000)
            replayed = f" {agreement(reference, replay):10.3f} {time.perf_counter() - start:8.1f}"
        print(
            f"{folder.name:30} {len(set(votes.participants)):6d} {len(reference):6d} "
            f"{agreement(reference, ours):9.3f} {agreement(reference, theirs):7.3f} "
            f"{agreement(reference, ours, both=True):21.3f} "
            f"{agreement(reference, theirs, both=True):6.3f} "
            f"{ours_s:7.3f} {rd_s:7.3f} {ratio:7.1f}x" + replayed
        )
    print(
        f"speed-up vs red-dwarf: min {min(ratios):.1f}x, geometric mean "
        f"{float(np.exp(np.mean(np.log(ratios)))):.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
