"""Background entry points: they take ids, load objects and call a service."""

from __future__ import annotations

from django_tasks import task

from tashawur.diagnosis.services import synthesis_run_execute


@task()
def synthesis_run_task(run_id: int) -> str | None:
    """Execute a queued synthesis run; returns its status afterwards (``None`` when the run has
    gone since it was queued)."""
    run = synthesis_run_execute(run_id=run_id)
    return None if run is None else str(run.status)
