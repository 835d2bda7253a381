"""``tashawur demo``, ``tashawur serve`` and ``tashawur worker``.

``demo`` is the newcomer's one command: it migrates an embedded SQLite database, loads the
reference data and the Souss-Massa 2018 demo (with its regional action programme), runs the first
synthesis of the demo consultation here and now, links the programme's measures to the findings
it stored, has the demo's analyst accept the findings mostly about one demo idea and publish the
written diagnosis from them, starts one background worker, prints the address (with those of the
diagnosis, the published diagnosis and the programme) and the demo logins, and serves the site
with gunicorn (``DEMO_SERVER_OPTIONS``; DEBUG off unless ``TASHAWUR_DEBUG=1``) until interrupted
(then stops the worker). Arguments after ``demo`` go to gunicorn (``--workers 2``…).

The first synthesis runs before the site opens, so that the diagnosis and the programme's links
to it are there on the first visit (a few seconds). Should it fail, the demo starts anyway: the
error is printed and a fresh run is queued for the worker (analysts can also run it from the
diagnosis page). Once a run has succeeded, a later start runs nothing: ``load_demo`` links the
measures to the findings of the run the diagnosis shows, and publishes the diagnosis from them
if no version is published yet (never a second version). The demo's other regional
consultations (fictional, ``demo/data/regions/``) get their first synthesis the same way, with
nothing linked or published (about a second for both).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from tashawur.demo.accounts import DEMO_PASSWORD, DEMO_USERS, ONLINE_ROUND_SLUG

if TYPE_CHECKING:
    from tashawur.diagnosis.models import SynthesisRun

DEFAULT_PORT = "8000"
#: How the demo serves: gunicorn, as ``tashawur serve`` does, with a few single-threaded
#: workers. Django's runserver starts a thread per connection: 64 voters at once made 64
#: writers poll SQLite's lock (its busy handler is no queue: a writer may lose for longer than
#: the busy timeout, and gets "database is locked"), and its listen queue of 10 reset
#: connections. Three processes keep at most three writers waiting on SQLite (the others wait
#: in gunicorn's listen queue), and use the two processors of a small machine. No threads:
#: with four per worker, writers starved of the interpreter's lock held SQLite's for longer
#: (64 voters with a 1 s busy timeout: 42 "locked" against none single-threaded).
DEMO_SERVER_OPTIONS = ("--workers", "3", "--timeout", "120", "--graceful-timeout", "5")


def _manage_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tashawur", "manage", *args]


def _django_setup(env: str) -> None:
    os.environ.setdefault("TASHAWUR_ENV", env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tashawur.config.settings")
    import django

    django.setup()


def _raise_system_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _stop(process: subprocess.Popen[bytes], name: str) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    print(f"{name} stopped.", flush=True)


def _synthesis_request(slug: str | None = None) -> str | None:
    """Queue a synthesis run of the demo consultation (or of the consultation ``slug``) unless
    one has succeeded; return the path of its diagnosis page when one was queued."""
    from django.urls import reverse

    from tashawur.consultations.models import Consultation
    from tashawur.core.models import User
    from tashawur.demo.loader import CONSULTATION_SLUG
    from tashawur.diagnosis.models import SynthesisRun
    from tashawur.diagnosis.services import synthesis_run_request, synthesis_runs_abandon_pending

    consultation = Consultation.objects.get(slug=slug or CONSULTATION_SLUG)
    # No worker runs yet: a run still pending was left by a demo stopped mid-run.
    synthesis_runs_abandon_pending(consultation=consultation)
    if SynthesisRun.objects.filter(consultation=consultation).succeeded().exists():
        return None
    synthesis_run_request(consultation=consultation, user=User.objects.get(username="analyst"))
    return reverse("diagnosis:consultation", args=[consultation.slug])


def _synthesis_run_first() -> tuple[str, bool]:
    """Run the demo consultation's first synthesis now, unless one has succeeded, link the
    programme's measures to its findings and publish the diagnosis the analyst writes from them.
    Returns the diagnosis path and whether the diagnosis is there (False: a run is queued for
    the worker). Never raises: the demo starts anyway, and says what failed."""
    from django.urls import reverse

    from tashawur.consultations.models import Consultation
    from tashawur.demo.loader import CONSULTATION_SLUG
    from tashawur.demo.programme import demo_programme_link_findings
    from tashawur.diagnosis.models import SynthesisRun
    from tashawur.diagnosis.services import synthesis_run_execute

    path = reverse("diagnosis:consultation", args=[CONSULTATION_SLUG])
    started = time.perf_counter()
    try:
        if _synthesis_request() is None:
            return path, True  # a run has succeeded before; load_demo linked its findings
        print("Running the first synthesis…", flush=True)
        # Its task stays queued: the worker will find the run done and leave it.
        queued = SynthesisRun.objects.get(
            consultation=Consultation.objects.get(slug=CONSULTATION_SLUG),
            status=SynthesisRun.Status.QUEUED,
        )
        run = synthesis_run_execute(run_id=queued.pk)
        if run is None or run.status != SynthesisRun.Status.SUCCEEDED:
            raise RuntimeError(f"{run.error_code}: {run.error_message}" if run else "no run")
    except Exception as error:
        print(
            f"The first synthesis failed after {time.perf_counter() - started:.1f} s ({error}).",
            flush=True,
        )
        try:
            queued_again = _synthesis_request() is not None
        except Exception as again:
            print(f"No synthesis run could be queued either ({again}).", flush=True)
            queued_again = False
        if queued_again:
            print("A new run is queued: the background worker will try again.", flush=True)
        return path, False
    print(
        f"First synthesis done in {time.perf_counter() - started:.1f} s: "
        f"{run.findings.count()} findings.",
        flush=True,
    )
    try:
        links = demo_programme_link_findings(run=run)
    except Exception as error:
        print(f"The action programme could not be linked to the findings ({error}).", flush=True)
    else:
        print(f"The action programme's measures cite them ({links} links).", flush=True)
    _diagnosis_publish(run)
    return path, True


def _synthesis_run_regions() -> list[tuple[str, str, bool]]:
    """Run the first synthesis of each of the demo's other regions (fictional), as for
    Souss-Massa but with nothing linked or published. Returns ``(title, diagnosis path, done)``
    for each; never raises (a failed run is queued again for the worker)."""
    from django.urls import reverse

    from tashawur.consultations.models import Consultation
    from tashawur.demo.files import default_data_dir
    from tashawur.demo.regions import demo_region_slugs
    from tashawur.diagnosis.models import SynthesisRun
    from tashawur.diagnosis.services import synthesis_run_execute

    done: list[tuple[str, str, bool]] = []
    started = time.perf_counter()
    ran = 0
    for slug in demo_region_slugs(default_data_dir()):
        consultation = Consultation.objects.filter(slug=slug).first()
        if consultation is None:
            continue
        path = reverse("diagnosis:consultation", args=[slug])
        title = consultation.title_fr
        try:
            if _synthesis_request(slug) is None:
                done.append((title, path, True))
                continue
            ran += 1
            queued = SynthesisRun.objects.get(
                consultation=consultation, status=SynthesisRun.Status.QUEUED
            )
            run = synthesis_run_execute(run_id=queued.pk)
            if run is None or run.status != SynthesisRun.Status.SUCCEEDED:
                raise RuntimeError(f"{run.error_code}: {run.error_message}" if run else "no run")
        except Exception as error:
            print(f"The first synthesis of {slug} failed ({error}).", flush=True)
            try:
                _synthesis_request(slug)
            except Exception as again:
                print(f"No synthesis run of {slug} could be queued either ({again}).", flush=True)
            done.append((title, path, False))
            continue
        done.append((title, path, True))
    if ran:
        print(
            f"First synthesis of {ran} other regions done in "
            f"{time.perf_counter() - started:.1f} s.",
            flush=True,
        )
    return done


def _rollup_run_first() -> str | None:
    """Run the national roll-up of the demo's strategy over every region's published
    contributions, after the regional syntheses, unless one already read as many; return the
    strategy page's path. Never raises: the demo starts anyway."""
    from django.urls import reverse

    from tashawur.consultations.models import Consultation
    from tashawur.contributions.models import Contribution
    from tashawur.demo.loader import CONSULTATION_SLUG
    from tashawur.diagnosis.models import RollupRun
    from tashawur.diagnosis.services import rollup_run_now

    started = time.perf_counter()
    try:
        strategy = Consultation.objects.get(slug=CONSULTATION_SLUG).strategy
        published = (
            Contribution.objects.published()
            .filter(consultation__strategy=strategy)
            .exclude(consultation__status=Consultation.Status.DRAFT)
            .count()
        )
        current = RollupRun.objects.current_for(strategy)
        if current is None or current.contributions_count != published:
            print("Running the national roll-up…", flush=True)
            run = rollup_run_now(strategy=strategy)
            if run.status != RollupRun.Status.SUCCEEDED:
                raise RuntimeError(f"{run.error_code}: {run.error_message}")
            print(
                f"National roll-up done in {time.perf_counter() - started:.1f} s: "
                f"{run.shared_count} shared and {run.specific_count} region-specific findings "
                f"over {run.regions_count} regions.",
                flush=True,
            )
    except Exception as error:
        print(f"The national roll-up failed ({error}).", flush=True)
        return None
    return reverse("web:strategy", args=[strategy.slug])


def _diagnosis_publish(run: SynthesisRun) -> None:
    """Have the demo's analyst curate ``run``'s findings and publish the diagnosis, and say how
    it went. Never raises: the demo starts anyway."""
    from tashawur.demo.diagnosis import demo_diagnosis_publish

    try:
        published = demo_diagnosis_publish(run=run)
    except Exception as error:
        print(f"The diagnosis was not published ({error}).", flush=True)
    else:
        print(
            f"The analyst accepted {published.accepted} findings and published the diagnosis: "
            f"{published}.",
            flush=True,
        )


def _published_path() -> str | None:
    """The published diagnosis's page, once a version is published."""
    from django.urls import reverse

    from tashawur.demo.loader import CONSULTATION_SLUG
    from tashawur.diagnosis.models import DiagnosisPublication

    if not DiagnosisPublication.objects.filter(
        diagnosis__consultation__slug=CONSULTATION_SLUG
    ).exists():
        return None
    return reverse("diagnosis:published", args=[CONSULTATION_SLUG])


def _programme_path() -> str:
    from django.urls import reverse

    from tashawur.demo.loader import CONSULTATION_SLUG

    return reverse("programmes:programme", args=[CONSULTATION_SLUG])


def _logins_text(
    url: str,
    diagnosis_path: str | None = None,
    *,
    ready: bool = False,
    published_path: str | None = None,
    programme_path: str | None = None,
    regions: Sequence[tuple[str, str, bool]] = (),
) -> str:
    width = max(len(name) for name in DEMO_USERS)
    base = url.rstrip("/")
    lines = [
        "",
        f"Tashawur demo: {url}",
        "",
    ]
    if diagnosis_path and ready:
        lines += [
            f"Diagnosis of the Souss-Massa consultation: {base}{diagnosis_path}",
        ]
    elif diagnosis_path:
        lines += [
            "A synthesis run of the Souss-Massa consultation is queued; the background worker",
            f"runs it and its diagnosis appears in a few seconds: {base}{diagnosis_path}",
        ]
    if published_path:
        lines.append(f"Its published diagnosis: {base}{published_path}")
    if programme_path:
        lines.append(f"Its regional action programme: {base}{programme_path}")
    if regions:
        lines.append("Other regional consultations of the strategy (fictional, for the demo):")
    for title, path, done in regions:
        lines.append(f"  {title}: {base}{path}" + ("" if done else " (its run is queued)"))
    if diagnosis_path or published_path or programme_path or regions:
        lines.append("")
    lines += [
        f"Staff workspace (sign in with a staff login below): {base}/manage/",
        f"Take part in the online round after the meeting: {base}/m/{ONLINE_ROUND_SLUG}/",
        f"  (sign up first at {base}/signup/, or sign in as participant)",
        "",
        f"Demo logins (password for each: {DEMO_PASSWORD}; demo only):",
    ]
    lines += [f"  {name.ljust(width)}  {role}" for name, (role, _, _) in DEMO_USERS.items()]
    lines += ["", "Press Ctrl+C to stop.", ""]
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    """Set up the demo, start one background worker and serve on 127.0.0.1:$PORT (gunicorn)."""
    port = os.environ.get("PORT", DEFAULT_PORT)
    _django_setup("demo")
    from django.conf import settings
    from django.core.management import call_command

    print("Preparing the database…", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_reference_data", verbosity=0)
    call_command("load_demo")
    if not getattr(settings, "WHITENOISE_USE_FINDERS", False):
        call_command("collectstatic", interactive=False, verbosity=0)
    # WhiteNoise serves the demo's files from the apps (finders) but warns, in every server
    # process, when STATIC_ROOT is missing: an empty one keeps the start-up quiet.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    diagnosis_path, ready = _synthesis_run_first()
    regions = _synthesis_run_regions()
    if (strategy_path := _rollup_run_first()) is not None:
        print(f"The national picture: http://127.0.0.1:{port}{strategy_path}", flush=True)
    published_path = _published_path()
    programme_path = _programme_path()

    signal.signal(signal.SIGTERM, _raise_system_exit)
    # No autoreload: a reloading worker forks a child that would outlive our stop.
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter
        _manage_command("db_worker", "--no-reload")
    )
    print(f"Background worker started (pid {worker.pid}).", flush=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        print(
            _logins_text(
                url,
                diagnosis_path,
                ready=ready,
                published_path=published_path,
                programme_path=programme_path,
                regions=regions,
            ),
            flush=True,
        )
        server = subprocess.Popen(  # noqa: S603 - our own interpreter
            gunicorn_command(
                f"127.0.0.1:{port}", [*DEMO_SERVER_OPTIONS, "--access-logfile", "-", *argv]
            )
        )
        try:
            return server.wait()
        finally:
            _stop(server, "Web server")
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(worker, "Background worker")


def serve(argv: Sequence[str]) -> int:
    """Serve with gunicorn on $TASHAWUR_HOST:$PORT (127.0.0.1:8000 by default), with
    ``serve_workers()`` workers unless ``argv`` names its own ``--workers``."""
    os.execv(sys.executable, serve_command(argv, os.environ))  # noqa: S606 - becomes gunicorn
    return 0  # pragma: no cover


def serve_workers(environ: Mapping[str, str], cpu_count: int | None) -> int | None:
    """How many gunicorn workers ``tashawur serve`` starts: ``$TASHAWUR_WEB_WORKERS``, else
    gunicorn's own ``$WEB_CONCURRENCY`` (``None``: gunicorn reads it), else 2 × cores + 1
    (gunicorn's advice; its own default is a single worker)."""
    configured = environ.get("TASHAWUR_WEB_WORKERS", "").strip()
    if configured:
        if not configured.isdigit() or int(configured) < 1:
            raise SystemExit(f"TASHAWUR_WEB_WORKERS must be a whole number from 1: {configured!r}")
        return int(configured)
    if environ.get("WEB_CONCURRENCY", "").strip():
        return None
    return 2 * (cpu_count or 1) + 1


def _names_workers(argv: Sequence[str]) -> bool:
    return any(arg in ("-w", "--workers") or arg.startswith(("--workers=", "-w")) for arg in argv)


def serve_command(
    argv: Sequence[str], environ: Mapping[str, str], cpu_count: int | None = None
) -> list[str]:
    """The gunicorn command line of ``tashawur serve``; an explicit ``--workers`` wins."""
    bind = f"{environ.get('TASHAWUR_HOST', '127.0.0.1')}:{environ.get('PORT', DEFAULT_PORT)}"
    workers = None
    if not _names_workers(argv):
        workers = serve_workers(environ, os.cpu_count() if cpu_count is None else cpu_count)
    return gunicorn_command(
        bind, [*argv] if workers is None else ["--workers", str(workers), *argv]
    )


def gunicorn_command(bind: str, argv: Sequence[str]) -> list[str]:
    """The command line that serves the site with gunicorn on ``bind`` (``host:port``)."""
    return [sys.executable, "-m", "gunicorn", "tashawur.config.wsgi", "--bind", bind, *argv]


def worker(argv: Sequence[str]) -> int:
    """Run a background task worker (``db_worker`` of django-tasks-db), once the synthesis runs
    left running by a stopped worker are marked failed and those whose task is lost are queued
    again (django-tasks-db leaves the task of a killed worker "running" for ever)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tashawur.config.settings")
    import django

    django.setup()
    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    from tashawur.diagnosis.services import synthesis_runs_recover

    try:
        recovered = synthesis_runs_recover()
    except DatabaseError as error:
        print(f"Synthesis runs not checked ({error}).", file=sys.stderr, flush=True)
    else:
        if recovered.failed or recovered.requeued:
            print(
                f"Synthesis runs: {recovered.failed} marked failed (their worker had stopped), "
                f"{recovered.requeued} queued again.",
                flush=True,
            )
    execute_from_command_line(["tashawur worker", "db_worker", *argv])
    return 0
