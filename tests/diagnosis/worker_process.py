"""``tashawur worker`` on the test database, for the tests that kill a worker mid-run.

Usage: ``python tests/diagnosis/worker_process.py DATABASE_NAME [PAUSE_DIR]``

The real worker (``tashawur.demo.command.worker``: the start-up recovery, then django-tasks-db's
``db_worker`` loop) with the database task backend, on the test database ``DATABASE_NAME`` (the
SQLite file or the PostgreSQL database the test runs on; the rest of the connection comes from
the environment, as for the tests). With ``PAUSE_DIR``, each run it executes stops twice so that
a test can watch and kill it at known points, and nothing else of the run changes:

1. before the synthesis: it creates ``PAUSE_DIR/synthesizing`` and waits for ``PAUSE_DIR/go``;
2. after storing everything, inside the run's transaction (not committed): it creates
   ``PAUSE_DIR/storing`` and waits to be killed.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

POLL_SECONDS = 0.05


def _wait_for(path: Path) -> None:
    while not path.exists():
        time.sleep(POLL_SECONDS)


def _pause_runs(pause_dir: Path) -> None:
    from tashawur.diagnosis.services import runs, storing

    synthesize = runs._synthesize
    result_store = storing.result_store

    def synthesize_paused(records: Any, previous: Any) -> Any:
        (pause_dir / "synthesizing").touch()
        _wait_for(pause_dir / "go")
        return synthesize(records, previous)

    def result_store_paused(*args: Any) -> Any:
        run = result_store(*args)
        (pause_dir / "storing").touch()
        _wait_for(pause_dir / "never")  # until killed
        return run

    runs._synthesize = synthesize_paused
    storing.result_store = result_store_paused


def main(argv: list[str]) -> int:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tashawur.config.settings"
    os.environ["TASHAWUR_ENV"] = "test"
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = argv[0]
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}
    import django

    django.setup()
    if len(argv) > 1:
        _pause_runs(Path(argv[1]))

    from tashawur.demo.command import worker

    return worker(["--no-reload", "--no-startup-delay", "--interval", "0.2", "--verbosity", "0"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
