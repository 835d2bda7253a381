"""National scale: 100,000 participants × 5,000 statements, 5 million votes — time and memory.

Synthetic votes with planted opinion groups: each participant votes on 50 distinct statements,
agreeing with the probability their group gives each statement. The opinion map runs in a fresh
process limited to two BLAS threads; we report its wall time (vote matrix + fit, from arrays in
memory), its peak resident memory, and the adjusted Rand index against the planted groups on the
participants it clustered. The peer, red-dwarf 0.4.0, builds a dense pandas matrix, so it is
timed on a smaller synthetic set (``--peer-participants`` × ``--peer-statements``) against us on
the same set, best of three each. With ``--cli``, the national votes are also written as a
``participant,statement,vote`` CSV and run through ``tashawur opinions`` end to end.

    .venv/bin/python benchmarks/bench_opinions_scale.py [--participants 100000]
        [--statements 5000] [--votes-per-participant 50] [--groups 3] [--cli]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

THREADS = {"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}


def synthetic_votes(
    n_participants: int, n_statements: int, per_participant: int, n_groups: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Participant ids, statement ids, votes (1/-1/0) and each participant's planted group."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, n_groups, n_participants)
    # Each group agrees with each statement with its own probability; passes 15% of the time.
    p_agree = rng.beta(0.6, 0.6, size=(n_groups, n_statements))
    # Distinct statements per participant: offset + k·step (mod n) with step prime to n.
    steps = np.arange(1, n_statements)
    steps = steps[np.gcd(steps, n_statements) == 1]
    offset = rng.integers(0, n_statements, n_participants)
    step = rng.choice(steps, n_participants)
    k = np.arange(per_participant)
    statements = (offset[:, None] + k[None, :] * step[:, None]) % n_statements
    participants = np.repeat(np.arange(n_participants), per_participant)
    statements = statements.ravel()
    u = rng.random(len(statements))
    agree = u < p_agree[group[participants], statements]
    passes = rng.random(len(statements)) < 0.15
    votes = np.where(passes, 0, np.where(agree, 1, -1)).astype(np.int8)
    return participants, statements, votes, group


def _child_tashawur(folder: Path) -> None:
    import resource

    from sklearn.metrics import adjusted_rand_score

    from tashawur.synthesis.opinions import OpinionMap, vote_matrix

    participants = np.load(folder / "participants.npy")
    statements = np.load(folder / "statements.npy")
    votes = np.load(folder / "votes.npy")
    planted = np.load(folder / "group.npy")
    start = time.perf_counter()
    cpu_start = time.process_time()
    matrix = vote_matrix(participants, statements, votes)
    built = time.perf_counter() - start
    result = OpinionMap(random_state=0).fit(matrix)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ids = np.array([int(p) for p in result.participant_ids_])
    clustered = result.labels_ >= 0
    ari = adjusted_rand_score(planted[ids[clustered]], result.labels_[clustered])
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu_seconds": cpu,
                "matrix_seconds": built,
                "timings": result.timings_,
                "peak_mib": peak_kib / 1024,
                "ari_planted": float(ari),
                "clustered": int(clustered.sum()),
                "groups": result.n_groups_,
                "votes": matrix.n_votes,
            }
        )
    )


def _child_slice(folder: Path, repeat: int = 3) -> None:
    """Both tools on the same votes, alternately, best of ``repeat`` each."""
    import warnings

    from reddwarf.implementations.polis import run_pipeline

    from tashawur.synthesis.opinions import OpinionMap, vote_matrix

    participants = np.load(folder / "participants.npy")
    statements = np.load(folder / "statements.npy")
    votes = np.load(folder / "votes.npy")
    records = [
        {"participant_id": int(p), "statement_id": int(s), "vote": int(v), "modified": 0}
        for p, s, v in zip(participants, statements, votes, strict=True)
    ]
    ours, theirs = float("inf"), float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        OpinionMap(random_state=0).fit(vote_matrix(participants, statements, votes))
        ours = min(ours, time.perf_counter() - start)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run_pipeline(votes=records, random_state=0)
        theirs = min(theirs, time.perf_counter() - start)
    print(json.dumps({"ours": ours, "theirs": theirs}))


def _run_child(kind: str, folder: Path) -> dict[str, float]:
    env = {**os.environ, **THREADS}
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(folder)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _run_cli(folder: Path, arrays: tuple[np.ndarray, ...]) -> tuple[float, float, float]:
    """Write the votes as CSV, run ``tashawur opinions`` on it: wall and CPU seconds, peak MiB."""
    import resource

    participants, statements, votes, _ = arrays
    path = folder / "votes.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("participant,statement,vote\n")
        for start in range(0, len(votes), 1_000_000):
            block = slice(start, start + 1_000_000)
            rows = np.char.add(
                np.char.add(participants[block].astype(str), ","),
                np.char.add(
                    np.char.add(statements[block].astype(str), ","), votes[block].astype(str)
                ),
            )
            handle.write("\n".join(rows.tolist()) + "\n")
    command = Path(sys.executable).with_name("tashawur")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [str(command), "opinions", str(path), "--out", str(folder / "out")],
        env={**os.environ, **THREADS},
        check=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return seconds, cpu, after.ru_maxrss / 1024


def _save(folder: Path, arrays: tuple[np.ndarray, ...]) -> None:
    for name, array in zip(("participants", "statements", "votes", "group"), arrays, strict=True):
        np.save(folder / f"{name}.npy", array)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--statements", type=int, default=5_000)
    parser.add_argument("--votes-per-participant", type=int, default=50)
    parser.add_argument("--groups", type=int, default=3)
    parser.add_argument("--peer-participants", type=int, default=10_000)
    parser.add_argument("--peer-statements", type=int, default=1_000)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--cli", action="store_true", help="also time the command end to end")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, folder = args.child
        (_child_tashawur if kind == "tashawur" else _child_slice)(Path(folder))
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = synthetic_votes(
            args.participants, args.statements, args.votes_per_participant, args.groups, 0
        )
        _save(folder, data)
        ours = _run_child("tashawur", folder)
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(
            f"national scale: {args.participants:,} participants x {args.statements:,} "
            f"statements, {int(ours['votes']):,} votes (2 BLAS threads)"
        )
        print(
            f"  tashawur: {ours['seconds']:.1f} s wall, {ours['cpu_seconds']:.1f} s CPU "
            f"(matrix {ours['matrix_seconds']:.1f} s, "
            f"pca {ours['timings']['pca']:.1f} s, cluster {ours['timings']['cluster']:.1f} s, "
            f"statements {ours['timings']['statements']:.1f} s), peak {ours['peak_mib']:,.0f} MiB,"
            f" {int(ours['groups'])} groups, ARI vs planted {ours['ari_planted']:.3f} on "
            f"{int(ours['clustered']):,} clustered"
        )
        print(
            f"  targets: <= 30 s: {'yes' if ours['seconds'] <= 30 else 'NO'}; "
            f"<= 4 GB: {'yes' if ours['peak_mib'] <= 4096 else 'NO'}"
        )
        if args.cli:
            seconds, cpu, peak = _run_cli(folder, data)
            print(
                f"  tashawur opinions (CSV in, groups/statements/report out): {seconds:.1f} s "
                f"wall, {cpu:.1f} s CPU, peak {peak:,.0f} MiB"
            )
        if args.no_peer:
            return 0
        slice_data = synthetic_votes(
            args.peer_participants,
            args.peer_statements,
            args.votes_per_participant,
            args.groups,
            1,
        )
        _save(folder, slice_data)
        both = _run_child("slice", folder)
        print(
            f"peer slice {args.peer_participants:,} x {args.peer_statements:,} (best of 3): "
            f"tashawur {both['ours']:.2f} s, red-dwarf 0.4.0 {both['theirs']:.2f} s "
            f"({both['theirs'] / both['ours']:.1f}x faster)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
