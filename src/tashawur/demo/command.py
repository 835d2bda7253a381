"""``tashawur demo``, ``tashawur serve`` and ``tashawur worker``.

``demo`` is the newcomer's one command: it migrates an embedded SQLite database, loads the
reference data and the Souss-Massa 2018 demo, starts one background worker, prints the address
and the demo logins, and serves the site until interrupted (then stops the worker).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from types import FrameType

from tashawur.demo.accounts import DEMO_PASSWORD, DEMO_USERS

DEFAULT_PORT = "8000"


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


def _synthesis_request() -> str | None:
    """Queue a synthesis run of the demo consultation unless one has succeeded; return the
    path of its diagnosis page when one was queued."""
    from django.urls import reverse

    from tashawur.consultations.models import Consultation
    from tashawur.core.models import User
    from tashawur.demo.loader import CONSULTATION_SLUG
    from tashawur.diagnosis.models import SynthesisRun
    from tashawur.diagnosis.services import synthesis_run_request, synthesis_runs_abandon_pending

    consultation = Consultation.objects.get(slug=CONSULTATION_SLUG)
    # No worker runs yet: a run still pending was left by a demo stopped mid-run.
    synthesis_runs_abandon_pending(consultation=consultation)
    if SynthesisRun.objects.filter(
        consultation=consultation, status=SynthesisRun.Status.SUCCEEDED
    ).exists():
        return None
    synthesis_run_request(consultation=consultation, user=User.objects.get(username="analyst"))
    return reverse("diagnosis:consultation", args=[consultation.slug])


def _logins_text(url: str, diagnosis_path: str | None = None) -> str:
    width = max(len(name) for name in DEMO_USERS)
    lines = [
        "",
        f"Tashawur demo: {url}",
        "",
    ]
    if diagnosis_path:
        diagnosis_url = f"{url.rstrip('/')}{diagnosis_path}"
        lines += [
            "A synthesis run of the Souss-Massa consultation is queued; the background worker",
            f"runs it and its diagnosis appears in a few seconds: {diagnosis_url}",
            "",
        ]
    lines += [
        f"Demo logins (password for each: {DEMO_PASSWORD}; demo only):",
    ]
    lines += [f"  {name.ljust(width)}  {role}" for name, (role, _, _) in DEMO_USERS.items()]
    lines += ["", "Press Ctrl+C to stop.", ""]
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    """Set up the demo, start one background worker and serve on 127.0.0.1:$PORT."""
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
    diagnosis_path = _synthesis_request()

    signal.signal(signal.SIGTERM, _raise_system_exit)
    # No autoreload: a reloading worker forks a child that would outlive our stop.
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter
        _manage_command("db_worker", "--no-reload")
    )
    print(f"Background worker started (pid {worker.pid}).", flush=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        print(_logins_text(url, diagnosis_path), flush=True)
        server = subprocess.Popen(  # noqa: S603 - our own interpreter
            _manage_command("runserver", "--noreload", f"127.0.0.1:{port}", *argv)
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
    """Serve with gunicorn on $TASHAWUR_HOST:$PORT (127.0.0.1:8000 by default)."""
    bind = f"{os.environ.get('TASHAWUR_HOST', '127.0.0.1')}:{os.environ.get('PORT', DEFAULT_PORT)}"
    command = [sys.executable, "-m", "gunicorn", "tashawur.config.wsgi", "--bind", bind, *argv]
    os.execv(sys.executable, command)  # noqa: S606 - replaces this process with gunicorn
    return 0  # pragma: no cover


def worker(argv: Sequence[str]) -> int:
    """Run a background task worker (``db_worker`` of django-tasks-db)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tashawur.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tashawur worker", "db_worker", *argv])
    return 0
