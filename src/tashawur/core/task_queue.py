"""A task queued in one plain INSERT when its queue is the database (``django-tasks-db``).

``Task.enqueue`` on the database backend checks the task again (``validate_task`` inspects the
function's signature each time), saves the row through the ORM with its signals, then builds
the ``TaskResult`` it returns for the ``task_enqueued`` signal: 1.2 ms of CPU for the language
identification queued by every contribution (issue 15, item 1). ``task_enqueue`` writes the
same row — the backend's own id, the JSON of the arguments, priority, queue, task path and
backend name, ``run_after`` as the backend's ``pre_save`` handler sets it — with one statement
(``core.raw_insert``), checks each task once per backend, and sends ``task_enqueued`` only
when its one receiver, django-tasks' DEBUG log line, would write something. Any other backend
(the immediate one of the tests, the dummy one) gets ``Task.enqueue`` itself.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

from django_tasks.base import Task
from django_tasks.signals import task_enqueued
from django_tasks.utils import normalize_json
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from tashawur.core.raw_insert import ModelInsert

_insert = ModelInsert(DBTaskResult)
# The tasks each backend has checked (a backend is rebuilt when the TASKS setting changes).
_checked: weakref.WeakKeyDictionary[DatabaseBackend, set[Task[Any, Any]]] = (
    weakref.WeakKeyDictionary()
)
_log = logging.getLogger("django_tasks")


def task_enqueue(task: Task[Any, Any], *args: Any) -> None:
    """Queue ``task`` with the positional ``args`` (ids: JSON), as ``task.enqueue(*args)``
    would, on the task's backend."""
    backend = task.get_backend()
    # A subclass may enqueue otherwise: the backend itself only. (Its stubs type it from
    # django_tasks_db's compatibility module, apart from django_tasks' base: hence the ignore.)
    if type(backend) is not DatabaseBackend:  # type: ignore[comparison-overlap]
        task.enqueue(*args)
        return
    checked = _checked.setdefault(backend, set())
    if task not in checked:
        backend.validate_task(task)
        checked.add(task)
    row = DBTaskResult(
        id=backend._get_id(),
        args_kwargs=normalize_json({"args": args, "kwargs": {}}),
        priority=task.priority,
        task_path=task.module_path,
        queue_name=task.queue_name,
        # django_tasks_db.signal_handlers.set_run_after, which pre_save would have run
        run_after=task.run_after if task.run_after is not None else get_date_max(),
        backend_name=backend.alias,
    )
    _insert.insert(row)
    if _log.isEnabledFor(logging.DEBUG):
        task_enqueued.send(type(backend), task_result=row.task_result)
