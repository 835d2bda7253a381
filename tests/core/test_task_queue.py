"""``core.task_queue.task_enqueue`` writes the row the database backend's ``enqueue`` writes,
which its worker runs; any other backend gets ``Task.enqueue``."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django_tasks.signals import log_task_enqueued, task_enqueued
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from tashawur.contributions.models import Contribution, Language
from tashawur.contributions.tasks import contribution_identify_language
from tashawur.core.task_queue import task_enqueue
from tests.contributions.factories import ContributionFactory

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}


def _row(result_id: Any) -> dict[str, Any]:
    row = DBTaskResult.objects.values().get(id=result_id)
    return {k: v for k, v in row.items() if k not in ("id", "enqueued_at", "args_kwargs")}


@pytest.mark.django_db
def test_the_row_is_the_database_backends_own(settings: Any) -> None:
    settings.TASKS = DATABASE_TASKS
    by_backend = contribution_identify_language.enqueue(41)

    task_enqueue(contribution_identify_language, 42)

    plain = DBTaskResult.objects.exclude(id=by_backend.id).get()
    assert _row(plain.id) == _row(by_backend.id)
    assert plain.args_kwargs == {"args": [42], "kwargs": {}}
    assert plain.enqueued_at >= DBTaskResult.objects.get(id=by_backend.id).enqueued_at
    assert list(DBTaskResult.objects.ready().order_by("enqueued_at")) == [
        DBTaskResult.objects.get(id=by_backend.id),
        plain,
    ]
    assert plain.task_result.task == contribution_identify_language
    assert plain.task_result.args == [42]


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_it(settings: Any) -> None:
    settings.TASKS = DATABASE_TASKS
    contribution = ContributionFactory(
        text="Les coopératives n'ont pas accès au crédit bancaire sans garantie.",
        language=Language.UNDETERMINED,
    )

    task_enqueue(contribution_identify_language, contribution.pk)
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    assert DBTaskResult.objects.get().return_value == Language.FRENCH
    assert Contribution.objects.get(pk=contribution.pk).language == Language.FRENCH


@pytest.mark.django_db
def test_another_backend_enqueues_as_it_does() -> None:
    # The tests' immediate backend runs the task at once.
    contribution = ContributionFactory(text="ⵜⵉⵡⵉⵣⵉ ⴷ ⴰⵙⴰⵙ ⵏ ⵜⵎⵢⴰⵡⴰⵙⵜ.", language="und")

    task_enqueue(contribution_identify_language, contribution.pk)

    assert Contribution.objects.get(pk=contribution.pk).language == Language.AMAZIGH
    assert not DBTaskResult.objects.exists()


def test_task_enqueued_has_no_receiver_but_the_debug_log() -> None:
    """``task_enqueue`` sends ``task_enqueued`` only when django-tasks' DEBUG log would write
    its line: a receiver added here would miss the contributions' tasks."""
    sync_receivers, async_receivers = task_enqueued._live_receivers(DatabaseBackend)
    assert (sync_receivers, async_receivers) == ([log_task_enqueued], [])
