"""An incremental synthesis run: N contributions, then ``--new`` more (default 200), refreshed.

A consultation of N contributions (default 100,000) resampled from the eval-data texts as
``bench_synthesis_scale.py`` does (random word drops make near-duplicates) is stored in a fresh
database and synthesised once in full, as the diagnosis's runs do (``synthesis_run_execute``,
the ``use`` encoder): that run stores its vectors (``TextEmbedding``). Then ``--new`` new
contributions are added and the consultation is synthesised again, twice, each time in a fresh
process (so that its peak memory is its own, the model load included) and rolled back at the
end (so that both see the same database):

- ``stored``: as the app runs now, the vectors and languages of the texts already embedded and
  identified are read from the database (``TextEmbedding``, ``TextLanguage``) and only the new
  texts are embedded and identified;
- ``plain``: as it ran before (nothing stored): every text is identified and embedded again;
- ``warm`` (measured only when named): as ``stored``, but in a process that has run the same
  refresh once already (rolled back, not measured), as a long-lived ``tashawur worker`` has
  its models and imports loaded; the new texts are embedded and identified again.

Both start from the full run's result (incremental grouping). Reported: wall time of
``synthesis_run_execute`` (read inputs, synthesise, store) and the peak memory of the process
and its workers (summed PSS, sampled every 0.2 s), and the ratio plain / stored; and per stage
(read, previous result, synthesis, opinion map, store) wall and CPU seconds (this process and
its finished children: the CPU figures hold on a shared machine where wall time does not).

    .venv/bin/python benchmarks/bench_incremental.py [--size 100000] [--new 200]

The database is a temporary SQLite file unless ``DATABASE_URL`` names one (it must be empty:
the benchmark migrates it and fills it), or ``--keep PATH`` names a SQLite file kept between
invocations: built with its first run and new contributions the first time, reused as it is
after (the refreshes are rolled back, so each invocation measures the same refresh).
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
from typing import Any

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


def cpu_seconds() -> float:
    """CPU seconds of this process and its waited-for children (process pools)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed(stages: dict[str, list[float]], name: str, fn: Any) -> Any:
    """``fn`` wrapped so that each call adds its wall and CPU seconds to ``stages[name]``."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), cpu_seconds()
        try:
            return fn(*args, **kwargs)
        finally:
            totals = stages.setdefault(name, [0.0, 0.0])
            totals[0] += time.perf_counter() - wall
            totals[1] += cpu_seconds() - cpu

    return wrapper


def steps_timed(synthesize: Any, step_cpu: dict[str, float]) -> Any:
    """``synthesize`` with the CPU seconds of each library step added to ``step_cpu`` (the
    library is imported inside, so that its import time stays in the synthesis stage)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from contextlib import contextmanager

        from tashawur.synthesis import _pipeline

        original = _pipeline.Synthesizer._timed

        @contextmanager
        def cpu_timed(self: Any, timings: dict[str, float], step: str) -> Any:
            cpu = cpu_seconds()
            with original(self, timings, step):
                yield
            step_cpu[step] = step_cpu.get(step, 0.0) + cpu_seconds() - cpu

        _pipeline.Synthesizer._timed = cpu_timed  # type: ignore[method-assign,assignment]
        try:
            return synthesize(*args, **kwargs)
        finally:
            _pipeline.Synthesizer._timed = original  # type: ignore[method-assign]

    return wrapper


def child(mode: str, consultation_id: int) -> None:
    """One refresh run in this process, rolled back at the end; prints its figures as JSON."""
    django_setup()
    from django.db import transaction

    from tashawur.diagnosis.models import TextEmbedding, TextLanguage
    from tashawur.diagnosis.services import embeddings, languages, runs, storing

    if mode == "plain":
        embeddings.synthesis_cache = lambda embedder: None  # type: ignore[assignment]
        languages.synthesis_language_cache = lambda: None  # type: ignore[assignment,return-value]
    warm_up = None
    if mode == "warm":
        # A long-lived worker: the same refresh once before, unmeasured and rolled back, loads
        # the models (and imports) in this process; the measured run then finds them loaded
        # and embeds and identifies the same new texts again (their rows were rolled back).
        with transaction.atomic():
            warm_up = run_once(consultation_id)[0]
            transaction.set_rollback(True)
    stages: dict[str, list[float]] = {}
    storing.inputs_read = timed(stages, "read", storing.inputs_read)
    storing.result_store = timed(stages, "store", storing.result_store)
    runs._previous_result = timed(stages, "previous", runs._previous_result)
    step_cpu: dict[str, float] = {}
    runs._synthesize = timed(stages, "synthesize", steps_timed(runs._synthesize, step_cpu))
    runs._opinion_map = timed(stages, "opinions", runs._opinion_map)
    before = TextEmbedding.objects.count(), TextLanguage.objects.count()
    with PeakMemory() as memory, transaction.atomic():
        cpu = cpu_seconds()
        seconds, run = run_once(consultation_id)
        cpu = cpu_seconds() - cpu
        stored = TextEmbedding.objects.count() - before[0]
        identified = TextLanguage.objects.count() - before[1]
        transaction.set_rollback(True)
    print(
        json.dumps(
            {
                "mode": mode,
                "warm_up_seconds": None if warm_up is None else round(warm_up, 2),
                "seconds": round(seconds, 2),
                "cpu_seconds": round(cpu, 2),
                "peak_mib": round(memory.peak / 2**20),
                "stages_wall_cpu": {k: [round(w, 2), round(c, 2)] for k, (w, c) in stages.items()},
                "timings": {k: round(v, 2) for k, v in run.timings.items()},  # type: ignore[attr-defined]
                "steps_cpu": {k: round(v, 2) for k, v in step_cpu.items()},
                "vectors_stored": stored,
                "languages_stored": identified,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="a SQLite file built once and reused")
    parser.add_argument(
        "--modes",
        default="stored,plain",
        help="the refreshes to measure (stored, plain; warm: stored, in a process that has run "
        "the same refresh once already, as a long-lived worker has its models loaded)",
    )
    parser.add_argument("--child", choices=("stored", "plain", "warm"), help=argparse.SUPPRESS)
    parser.add_argument("--consultation", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.consultation)
        return

    tmp = None
    if args.keep:
        os.environ["DATABASE_URL"] = f"sqlite:///{args.keep.resolve()}"
    elif not os.environ.get("DATABASE_URL"):
        tmp = tempfile.TemporaryDirectory(prefix="bench-incremental-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp.name}/bench.sqlite3"
    os.environ["TASHAWUR_SYNTHESIS_EMBEDDER"] = "use"
    # A SQLite file named by DATABASE_URL gets no IMMEDIATE transactions (settings give those to
    # the default file only): the run's heartbeat, writing every 5 s from its own thread, then
    # made the run's store fail with "database is locked" on a loaded machine. One lease long
    # enough that no heartbeat is due during a measured run (children inherit it).
    os.environ.setdefault("TASHAWUR_RUN_LEASE_SECONDS", "3600")
    django_setup()
    from django.core.management import call_command
    from tests.consultations.factories import WorkshopFactory

    from tashawur.diagnosis.models import SynthesisRun, TextEmbedding

    call_command("migrate", verbosity=0)
    built = SynthesisRun.objects.filter(status=SynthesisRun.Status.SUCCEEDED).first()
    if args.keep and built is not None:
        consultation_id = built.consultation_id
        print(f"reusing {args.keep} (consultation {consultation_id})", flush=True)
    else:
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
    for mode in args.modes.split(","):
        out = subprocess.run(
            [sys.executable, __file__, "--child", mode, "--consultation", str(consultation_id)],
            check=True,
            capture_output=True,
            text=True,
            env=os.environ,
        )
        figures[mode] = json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps(figures[mode]), flush=True)
    if set(figures) != {"stored", "plain"}:
        return
    stored, plain = figures["stored"], figures["plain"]
    print(
        f"\n+{args.new} into {args.size:,} contributions, cores: {os.cpu_count()}\n"
        f"  stored:       {stored['seconds']:.1f} s ({stored['cpu_seconds']:.1f} s CPU), "
        f"peak {stored['peak_mib']} MiB "
        f"(embed {stored['timings'].get('embed', 0):.1f} s)\n"
        f"  nothing kept: {plain['seconds']:.1f} s ({plain['cpu_seconds']:.1f} s CPU), "
        f"peak {plain['peak_mib']} MiB "
        f"(embed {plain['timings'].get('embed', 0):.1f} s)\n"
        f"  ratio (nothing kept / stored): {plain['seconds'] / stored['seconds']:.1f}x time, "
        f"{plain['peak_mib'] / stored['peak_mib']:.2f}x memory"
    )
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
