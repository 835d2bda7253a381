"""Background entry points: they take ids, load objects and call a service.

The synthesis run's task is defined next to the service that enqueues it
(``services.runs.synthesis_run_task``), so that this module imports the services and never the
reverse; the worker and callers find it here too.
"""

from __future__ import annotations

from tashawur.diagnosis.services.rollup import rollup_run_task
from tashawur.diagnosis.services.runs import synthesis_run_task

__all__ = ["rollup_run_task", "synthesis_run_task"]
