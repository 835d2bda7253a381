"""The synthesis map steps on a Dask cluster on loopback against the local executor (issue 15,
item 5): wall time, CPU time of every process involved, and whether the results are identical.

N contributions (default 5,000) are resampled from the eval-data texts as
``bench_synthesis_scale.py`` does, and synthesised with the ``use`` encoder, the library's
default chunk size and seed, as the app's runs call it:

- ``local``: in a fresh process with no executor (the app without ``TASHAWUR_DASK_SCHEDULER``:
  the map steps in the process, or on its local pool above the library's thresholds); CPU is
  that process's and its pool's;
- ``dask``: in a fresh process whose executor is a client of a scheduler started with
  ``dask scheduler --host 127.0.0.1 --port 0`` and two ``dask worker <address> --nthreads 1
  --no-nanny`` processes (tests/synthesis/dask_cluster.py, the tests' launcher); CPU is the
  client process's plus the scheduler's and the workers' (``/proc/<pid>/stat``, before and
  after). Run twice on the same cluster: ``cold`` (each worker loads the language identifier and
  the encoder) and ``warm`` (their second run).

Identical: each contribution's finding and theme, and the findings' members, duplicates, labels
and titles (no floating-point scores) are the same as the local run's.

    .venv/bin/python benchmarks/bench_dask.py [--size 5000] [--chunk-size 2048]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "src")]

from _synthesis_common import DEFAULT_DATA  # noqa: E402
from bench_synthesis_scale import contributions, text_pool  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def outcome(result: Any) -> dict[str, Any]:
    return {
        "assignments": result.assignments,
        "findings": [
            [f.id, f.theme, f.member_ids, f.duplicate_count, f.label_ar, f.label_fr, f.title_ar]
            for f in result.findings
        ],
        "titles_fr": [f.title_fr for f in result.findings],
        "themes": [[t.id, t.finding_ids] for t in result.themes],
        "duplicates": [[d.canonical_id, list(d.duplicate_ids)] for d in result.duplicates],
    }


def child(args: argparse.Namespace) -> None:
    """One synthesis in this fresh process; prints its figures as JSON."""
    from tashawur.synthesis import Synthesizer

    rows = contributions(text_pool(args.data), args.size)
    client = None
    executor = None
    if args.scheduler:
        import distributed

        client = distributed.Client(args.scheduler, set_as_default=False)
    runs = 2 if client is not None else 1
    for k in range(runs):
        if client is not None:
            executor = client.get_executor(pure=False)  # as the app does (executors.py)
            workers = client.run(os.getpid)
            scheduler_pid = client.run_on_scheduler(os.getpid)
            before = {pid: cpu_seconds(pid) for pid in [*workers.values(), scheduler_pid]}
        wall = time.perf_counter()
        cpu = time.process_time()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = Synthesizer(random_state=0, chunk_size=args.chunk_size, executor=executor).run(
            rows
        )
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu
        after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
        pool = (after_children.ru_utime + after_children.ru_stime) - (
            children.ru_utime + children.ru_stime
        )
        cluster = 0.0
        if client is not None:
            cluster = sum(cpu_seconds(pid) - before[pid] for pid in before)
        print(
            json.dumps(
                {
                    "mode": ("dask-cold", "dask-warm")[k] if client is not None else "local",
                    "wall": round(wall, 2),
                    "cpu_client": round(cpu, 2),
                    "cpu_pool_or_cluster": round(pool + cluster, 2),
                    "timings": result.timings,
                    "findings": len(result.findings),
                    "outcome": outcome(result),
                }
            ),
            flush=True,
        )
    if client is not None:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--chunk-size", type=int, default=2048)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--scheduler", default="")
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    def run_child(*extra: str) -> list[dict[str, Any]]:
        command = [sys.executable, __file__, "--child", "--size", str(args.size)]
        command += ["--chunk-size", str(args.chunk_size), "--data", str(args.data), *extra]
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]

    from tests.synthesis.dask_cluster import dask_cluster

    rows = run_child()
    with (
        tempfile.TemporaryDirectory() as directory,
        dask_cluster(Path(directory), workers=2) as address,
    ):
        rows += run_child("--scheduler", address)
    local = rows[0]
    print(f"{args.size} contributions, use encoder, chunk size {args.chunk_size}")
    print(f"{'mode':10} {'wall s':>7} {'CPU client':>10} {'CPU pool/cluster':>16} {'CPU all':>8}")
    for row in rows:
        total = row["cpu_client"] + row["cpu_pool_or_cluster"]
        same = row["outcome"] == local["outcome"]
        print(
            f"{row['mode']:10} {row['wall']:7.1f} {row['cpu_client']:10.1f} "
            f"{row['cpu_pool_or_cluster']:16.1f} {total:8.1f}  findings {row['findings']}  "
            f"identical to local: {'yes' if same else 'NO'}"
        )
        print("           steps:", {k: round(v, 1) for k, v in row["timings"].items()})


if __name__ == "__main__":
    main()
