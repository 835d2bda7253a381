"""An incremental synthesis run: N contributions, then ``--new`` more (default 200), refreshed.

A consultation of N contributions (default 100,000) resampled from the eval-data texts as
``bench_synthesis_scale.py`` does (random word drops make near-duplicates) is stored in a fresh
database and synthesised once in full, as the diagnosis's runs do (``synthesis_run_execute``,
the ``use`` encoder): that run stores its vectors (``TextEmbedding``). Then ``--new`` new
contributions are added and the consultation is synthesised again, twice, each time in a fresh
process (so that its peak memory is its own, the model load included) and rolled back at the
end (so that both see the same database):

- ``stored``: as the app runs now, the vectors of the texts already embedded are read from the
  database and only the new texts are embedded;
- ``plain``: as it ran before (no stored vectors): every text is embedded again.

Both start from the full run's result (incremental grouping). Reported: wall time of
``synthesis_run_execute`` (read inputs, synthesise, store) and the peak memory of the process
and its workers (summed PSS, sampled every 0.2 s), and the ratio plain / stored.

    .venv/bin/python benchmarks/bench_incremental.py [--size 100000] [--new 200]

The database is a temporary SQLite file unless ``DATABASE_URL`` names one (it must be empty:
the benchmark migrates it and fills it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "src")]

from _synthesis_common import DEFAULT_DATA, PeakMemory  # noqa: E402
from bench_synthesis_scale import text_pool  # noqa: E402

DIMENSIONS = ("challenge", "proposal")


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tashawur.config.settings_test")
    import django

    django.setup()


def texts(pool: list[str], n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        text = rng.choice(pool)
        words = text.split()
        if len(words) > 3 and rng.random() < 0.85:
            kept = [w for w in words if rng.random() >= 0.15]
            text = " ".join(kept or words[:1])
        out.append(text)
    return out


def contributions_add(workshop_id: int, batch: list[str], seed: int) -> None:
    """Contributions typed in by the round table's rapporteur (one user), language unset."""
    from tests.actors.factories import UserFactory

    from tashawur.consultations.models import Workshop
    from tashawur.contributions.models import Channel, Contribution, Language

    workshop = Workshop.objects.select_related("meeting").get(pk=workshop_id)
    recorder = UserFactory()
    rng = random.Random(seed)
    Contribution.objects.bulk_create(
        (
            Contribution(
                workshop=workshop,
                consultation_id=workshop.meeting.consultation_id,
                theme_id=workshop.theme_id,
                text=text,
                language=Language.UNDETERMINED,
                dimension=rng.choice(DIMENSIONS),
                channel=Channel.FACILITATOR,
                recorded_by=recorder,
            )
            for text in batch
        ),
        batch_size=2000,
    )


def run_once(consultation_id: int) -> tuple[float, object]:
    from tashawur.diagnosis.models import SynthesisRun
    from tashawur.diagnosis.services import synthesis_run_execute

    run = SynthesisRun.objects.create(consultation_id=consultation_id)
    started = time.perf_counter()
    done = synthesis_run_execute(run_id=run.pk)
    seconds = time.perf_counter() - started
    assert done is not None
    if done.status != SynthesisRun.Status.SUCCEEDED:
        raise SystemExit(f"run failed: {done.error_code}: {done.error_message}")
    return seconds, done


def child(mode: str, consultation_id: int) -> None:
    """One refresh run in this process, rolled back at the end; prints its figures as JSON."""
    django_setup()
    from django.db import transaction

    from tashawur.diagnosis.models import TextEmbedding
    from tashawur.diagnosis.services import embeddings

    if mode == "plain":
        embeddings.synthesis_cache = lambda embedder: None  # type: ignore[assignment]
    before = TextEmbedding.objects.count()
    with PeakMemory() as memory, transaction.atomic():
        seconds, run = run_once(consultation_id)
        stored = TextEmbedding.objects.count() - before
        transaction.set_rollback(True)
    print(
        json.dumps(
            {
                "mode": mode,
                "seconds": round(seconds, 2),
                "peak_mib": round(memory.peak / 2**20),
                "timings": {k: round(v, 2) for k, v in run.timings.items()},  # type: ignore[attr-defined]
                "vectors_stored": stored,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=200)
    parser.add_argument("--child", choices=("stored", "plain"), help=argparse.SUPPRESS)
    parser.add_argument("--consultation", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.consultation)
        return

    tmp = None
    if not os.environ.get("DATABASE_URL"):
        tmp = tempfile.TemporaryDirectory(prefix="bench-incremental-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp.name}/bench.sqlite3"
    os.environ["TASHAWUR_SYNTHESIS_EMBEDDER"] = "use"
    django_setup()
    from django.core.management import call_command
    from tests.consultations.factories import WorkshopFactory

    from tashawur.diagnosis.models import TextEmbedding

    call_command("migrate", verbosity=0)
    pool = text_pool(args.data)
    workshop = WorkshopFactory()
    consultation_id = workshop.meeting.consultation_id
    contributions_add(workshop.pk, texts(pool, args.size, seed=0), seed=0)
    first_seconds = run_once(consultation_id)[0]
    print(
        f"first run, {args.size:,} contributions: {first_seconds:.1f} s "
        f"({TextEmbedding.objects.count():,} vectors stored)",
        flush=True,
    )
    contributions_add(workshop.pk, texts(pool, args.new, seed=1), seed=1)

    from django.db import connections

    connections.close_all()
    figures = {}
    for mode in ("stored", "plain"):
        out = subprocess.run(
            [sys.executable, __file__, "--child", mode, "--consultation", str(consultation_id)],
            check=True,
            capture_output=True,
            text=True,
            env=os.environ,
        )
        figures[mode] = json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps(figures[mode]), flush=True)
    stored, plain = figures["stored"], figures["plain"]
    print(
        f"\n+{args.new} into {args.size:,} contributions, cores: {os.cpu_count()}\n"
        f"  stored vectors: {stored['seconds']:.1f} s, peak {stored['peak_mib']} MiB "
        f"(embed {stored['timings'].get('embed', 0):.1f} s)\n"
        f"  re-embed all:   {plain['seconds']:.1f} s, peak {plain['peak_mib']} MiB "
        f"(embed {plain['timings'].get('embed', 0):.1f} s)\n"
        f"  ratio (re-embed / stored): {plain['seconds'] / stored['seconds']:.1f}x time, "
        f"{plain['peak_mib'] / stored['peak_mib']:.2f}x memory"
    )
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
