"""National scale: 1,000,000 participants × 10,000 statements, 50 million votes — time and memory.

Synthetic votes with planted opinion groups: each participant votes on 50 distinct statements,
agreeing with the probability their group gives each statement (generated in blocks of
participants, vectorised). The opinion map runs in a fresh process limited to two BLAS threads;
we report its wall and CPU time (vote matrix + fit, from arrays in memory) with the time of each
step, its peak resident memory (the process is stopped past ``--memory-cap-gib``), and the
adjusted Rand index against the planted groups on the participants it clustered.

The peer, red-dwarf 0.4.0, builds a dense pandas matrix, so it cannot run at this size: it is run
alone in a fresh process on a ladder of smaller synthetic sets (``--peer-sizes``, tashawur timed
on the same set) until one fails or passes ``--peer-cap-seconds`` of CPU or ``--peer-cap-gib``;
a power law fitted (least squares in log-log) to its CPU time against the matrix cells
(participants × statements) of the sizes it finished is extrapolated to the national size.
With ``--cli``, the national votes are also written as a ``participant,statement,vote`` CSV and
run through ``tashawur opinions`` end to end.

    .venv/bin/python benchmarks/bench_opinions_scale.py [--participants 1000000]
        [--statements 10000] [--votes-per-participant 50] [--groups 3]
        [--peer-sizes 10000x1000,20000x2000,...] [--no-peer] [--cli]
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
from typing import Any

import numpy as np

THREADS = {"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}


def synthetic_votes(
    n_participants: int, n_statements: int, per_participant: int, n_groups: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Participant ids, statement ids, votes (1/-1/0) and each participant's planted group.

    Ids are int32 and votes int8 (50 million votes take 450 MB); blocks of participants bound
    the temporaries.
    """
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
    total = n_participants * per_participant
    participants = np.repeat(np.arange(n_participants, dtype=np.int32), per_participant)
    statements = np.empty(total, dtype=np.int32)
    votes = np.empty(total, dtype=np.int8)
    block = 100_000
    for first in range(0, n_participants, block):
        rows = slice(first, min(first + block, n_participants))
        cells = slice(rows.start * per_participant, rows.stop * per_participant)
        chosen = (offset[rows, None] + k[None, :] * step[rows, None]) % n_statements
        agree = rng.random(chosen.shape) < p_agree[group[rows, None], chosen]
        passes = rng.random(chosen.shape) < 0.15
        statements[cells] = chosen.ravel()
        votes[cells] = np.where(passes, 0, np.where(agree, 1, -1)).ravel()
    return participants, statements, votes, group


def _memory_guard(cap_gib: float) -> None:
    """Stop this process (exit 3) as soon as its resident memory passes ``cap_gib``."""
    import threading

    page = os.sysconf("SC_PAGE_SIZE")
    cap = cap_gib * 2**30

    def watch() -> None:
        while True:
            with open("/proc/self/statm", encoding="ascii") as handle:
                resident = int(handle.read().split()[1]) * page
            if resident > cap:
                print(json.dumps({"error": f"over {cap_gib} GiB"}), flush=True)
                os._exit(3)
            time.sleep(0.05)

    threading.Thread(target=watch, daemon=True).start()


def _child_tashawur(folder: Path, cap_gib: float) -> None:
    import resource

    from sklearn.metrics import adjusted_rand_score

    from tashawur.synthesis.opinions import OpinionMap, vote_matrix

    _memory_guard(cap_gib)
    participants = np.load(folder / "participants.npy")
    statements = np.load(folder / "statements.npy")
    votes = np.load(folder / "votes.npy")
    planted = np.load(folder / "group.npy")
    start = time.perf_counter()
    cpu_start = time.process_time()
    matrix = vote_matrix(participants, statements, votes)
    built, built_cpu = time.perf_counter() - start, time.process_time() - cpu_start
    result = OpinionMap(random_state=0).fit(matrix)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    clustered = result.labels_ >= 0
    ids = np.array(result.participant_ids_, dtype=np.int64)
    ari = adjusted_rand_score(planted[ids[clustered]], result.labels_[clustered])
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu_seconds": cpu,
                "matrix_seconds": built,
                "matrix_cpu": built_cpu,
                "timings": result.timings_,
                "cpu_timings": result.cpu_timings_,
                "peak_mib": peak_kib / 1024,
                "ari_planted": float(ari),
                "clustered": int(clustered.sum()),
                "groups": result.n_groups_,
                "votes": matrix.n_votes,
            }
        )
    )


def _child_peer(folder: Path, cap_gib: float) -> None:
    """red-dwarf's Pol.is pipeline, once, alone in this process: wall, CPU, peak."""
    import resource
    import warnings

    from reddwarf.implementations.polis import run_pipeline

    participants = np.load(folder / "participants.npy")
    statements = np.load(folder / "statements.npy")
    votes = np.load(folder / "votes.npy")
    records = [
        {"participant_id": int(p), "statement_id": int(s), "vote": int(v), "modified": 0}
        for p, s, v in zip(participants, statements, votes, strict=True)
    ]
    _memory_guard(cap_gib)
    start, cpu_start = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_pipeline(votes=records, random_state=0)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_mib": peak}))


def _run_child(
    kind: str, folder: Path, cap_gib: float, cpu_cap: float | None = None
) -> dict[str, Any]:
    """Run a child; ``{"error": why}`` when it is stopped for CPU time or memory.

    The time cap is on CPU seconds (``RLIMIT_CPU``), which a shared machine does not inflate as
    it does wall time; the wall time is capped at four times that.
    """
    import resource

    def limit() -> None:
        if cpu_cap is not None:
            resource.setrlimit(resource.RLIMIT_CPU, (int(cpu_cap), int(cpu_cap) + 5))

    env = {**os.environ, **THREADS}
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--child", kind, str(folder), str(cap_gib)],
            env=env,
            capture_output=True,
            text=True,
            timeout=None if cpu_cap is None else 4 * cpu_cap,
            preexec_fn=limit,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"over {4 * (cpu_cap or 0):.0f} s wall"}
    if out.returncode < 0 and cpu_cap is not None:
        return {"error": f"over {cpu_cap:.0f} s CPU"}
    lines = out.stdout.strip().splitlines()
    if not lines:
        return {"error": f"exit {out.returncode}: {out.stderr.strip()[-300:]}"}
    result: dict[str, Any] = json.loads(lines[-1])
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


def _fit_power(cells: list[float], values: list[float]) -> tuple[float, float]:
    """Least squares of log(value) = log(a) + b·log(cells): ``(a, b)``."""
    slope, intercept = np.polyfit(np.log(cells), np.log(values), 1)
    return float(np.exp(intercept)), float(slope)


def _peer_ladder(args: argparse.Namespace, folder: Path) -> None:
    """red-dwarf (and tashawur) on growing sets until red-dwarf fails; extrapolate its growth."""
    finished: list[tuple[float, float, dict[str, Any]]] = []
    print(
        f"peer ladder, each tool alone in a fresh process, one run each; red-dwarf stopped past "
        f"{args.peer_cap_seconds:.0f} s of CPU or {args.peer_cap_gib:g} GiB"
    )
    for size in args.peer_sizes.split(","):
        n_p, n_s = (int(x) for x in size.lower().split("x"))
        data = synthetic_votes(n_p, n_s, args.votes_per_participant, args.groups, 1)
        _save(folder, data)
        ours = _run_child("tashawur", folder, args.memory_cap_gib)
        theirs = _run_child("peer", folder, args.peer_cap_gib, args.peer_cap_seconds)
        label = f"  {n_p:>9,} x {n_s:>6,} ({len(data[2]):>11,} votes):"
        if "error" in theirs:
            print(
                f"{label} red-dwarf stopped ({theirs['error']}); tashawur {ours['seconds']:.2f} s"
            )
            break
        finished.append((float(n_p) * n_s, float(len(data[2])), theirs))
        print(
            f"{label} red-dwarf {theirs['seconds']:7.1f} s wall, {theirs['cpu_seconds']:7.1f} s "
            f"CPU, peak {theirs['peak_mib']:7,.0f} MiB | tashawur {ours['seconds']:5.2f} s wall, "
            f"{ours['cpu_seconds']:5.2f} s CPU, peak {ours['peak_mib']:5,.0f} MiB | CPU ratio "
            f"{theirs['cpu_seconds'] / ours['cpu_seconds']:.0f}x"
        )
    if len(finished) < 2:
        print("  fewer than two finished sizes: no extrapolation")
        return
    runs = [r for _, _, r in finished]
    target = {"cells": float(args.participants) * args.statements}
    target["votes"] = float(args.participants) * args.votes_per_participant
    print(
        f"  extrapolation to {args.participants:,} x {args.statements:,}: power law, least "
        f"squares in log-log on the {len(finished)} finished sizes (one dense float64 copy of "
        f"the matrix alone: {target['cells'] * 8 / 2**30:,.0f} GiB)"
    )
    for name, index in (("cells", 0), ("votes", 1)):
        size = [row[index] for row in finished]
        a, b = _fit_power(size, [r["cpu_seconds"] for r in runs])
        ma, mb = _fit_power(size, [r["peak_mib"] for r in runs])
        x = target[name]
        print(
            f"    against {name}: CPU = {a:.3g} x {name}^{b:.2f} -> {a * x**b:,.0f} s "
            f"({a * x**b / 3600:.1f} h); peak = {ma:.3g} x {name}^{mb:.2f} -> "
            f"{ma * x**mb / 1024:,.0f} GiB"
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=1_000_000)
    parser.add_argument("--statements", type=int, default=10_000)
    parser.add_argument("--votes-per-participant", type=int, default=50)
    parser.add_argument("--groups", type=int, default=3)
    parser.add_argument("--memory-cap-gib", type=float, default=8.0)
    parser.add_argument(
        "--peer-sizes",
        default="10000x1000,20000x2000,50000x2000,100000x5000,200000x5000",
        help="participants x statements of each rung, comma-separated",
    )
    parser.add_argument("--peer-cap-seconds", type=float, default=180.0)
    parser.add_argument("--peer-cap-gib", type=float, default=6.0)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--no-national", action="store_true", help="only the peer ladder")
    parser.add_argument("--cli", action="store_true", help="also time the command end to end")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "DIR", "GIB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, folder, cap = args.child
        (_child_tashawur if kind == "tashawur" else _child_peer)(Path(folder), float(cap))
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not args.no_national:
            _national(args, folder)
        if not args.no_peer:
            _peer_ladder(args, folder)
    return 0


def _national(args: argparse.Namespace, folder: Path) -> None:
    start, cpu_start = time.perf_counter(), time.process_time()
    data = synthetic_votes(
        args.participants, args.statements, args.votes_per_participant, args.groups, 0
    )
    generated = (time.perf_counter() - start, time.process_time() - cpu_start)
    _save(folder, data)
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    ours = _run_child("tashawur", folder, args.memory_cap_gib)
    if "error" in ours:
        print(f"tashawur stopped: {ours['error']}")
        return
    print(
        f"national scale: {args.participants:,} participants x {args.statements:,} "
        f"statements, {int(ours['votes']):,} votes (2 BLAS threads); generated in "
        f"{generated[0]:.1f} s wall, {generated[1]:.1f} s CPU"
    )
    t, c = ours["timings"], ours["cpu_timings"]
    print(
        f"  tashawur: {ours['seconds']:.1f} s wall, {ours['cpu_seconds']:.1f} s CPU, peak "
        f"{ours['peak_mib']:,.0f} MiB (the arrays loaded included); wall / CPU per step: matrix "
        f"{ours['matrix_seconds']:.1f} / {ours['matrix_cpu']:.1f} s, filter + PCA "
        f"{t['pca']:.1f} / {c['pca']:.1f} s, clustering {t['cluster']:.1f} / {c['cluster']:.1f} "
        f"s, statement statistics {t['statements']:.1f} / {c['statements']:.1f} s"
    )
    print(
        f"  {int(ours['groups'])} groups, ARI vs planted {ours['ari_planted']:.3f} on "
        f"{int(ours['clustered']):,} clustered; load average after: {os.getloadavg()[0]:.1f}"
    )
    print(
        f"  targets: <= 60 s: {'yes' if ours['seconds'] <= 60 else 'NO'}; "
        f"<= 8 GB: {'yes' if ours['peak_mib'] * 2**20 <= 8e9 else 'NO'}"
    )
    if args.cli:
        seconds, cpu, peak = _run_cli(folder, data)
        print(
            f"  tashawur opinions (CSV in, groups/statements/report out): {seconds:.1f} s "
            f"wall, {cpu:.1f} s CPU, peak {peak:,.0f} MiB"
        )


if __name__ == "__main__":
    sys.exit(main())
