"""What ``contribution_submit`` leaves once its own transaction commits, as a server runs it
(no transaction around it): the consultation's data generation replaced once, and the
language identification queued in the database task queue, which its worker runs."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from tashawur.consultations.models import Dimension
from tashawur.contributions.generations import consultation_data_generation
from tashawur.contributions.models import Channel, Contribution, Language
from tashawur.contributions.services import contribution_submit
from tests.actors.factories import ConsentTextFactory, ParticipantFactory
from tests.consultations.factories import WorkshopFactory

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = "Les coopératives n'ont pas accès au crédit bancaire sans garantie."


@pytest.fixture
def generation_writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The generation keys the cache is asked to write, one entry a write."""
    writes: list[str] = []
    set_one, set_many = cache.set, cache.set_many

    def counting_one(key: str, *args: Any, **kwargs: Any) -> Any:
        if ":generation:" in key:
            writes.append(key)
        return set_one(key, *args, **kwargs)

    def counting_many(data: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        writes.extend(key for key in data if ":generation:" in key)
        return set_many(data, *args, **kwargs)

    monkeypatch.setattr(cache, "set", counting_one)
    monkeypatch.setattr(cache, "set_many", counting_many)
    return writes


def _submit(workshop: Any, **kwargs: Any) -> Any:
    if "author" not in kwargs:
        kwargs["author"] = ParticipantFactory(consented=True)
    return contribution_submit(
        workshop=workshop,
        text=TEXT,
        dimension=Dimension.CHALLENGE,
        channel=Channel.WEB,
        idempotency_key="form-1",
        **kwargs,
    )


def test_its_own_transaction_replaces_the_data_generation_once_on_commit(
    generation_writes: list[str],
) -> None:
    ConsentTextFactory()
    workshop = WorkshopFactory()
    consultation_id = workshop.meeting.consultation_id
    author = ParticipantFactory(consented=True)
    before = consultation_data_generation(consultation_id)
    generation_writes.clear()

    _submit(workshop, author=author, language=Language.FRENCH)

    assert generation_writes == [f"tashawur:generation:consultation:{consultation_id}:data"]
    assert consultation_data_generation(consultation_id) != before


def test_inside_a_transaction_of_its_callers_the_generation_moves_before_the_commit(
    generation_writes: list[str],
) -> None:
    ConsentTextFactory()
    workshop = WorkshopFactory()
    consultation_id = workshop.meeting.consultation_id
    before = consultation_data_generation(consultation_id)

    with transaction.atomic():
        _submit(workshop, language=Language.FRENCH)
        # the caller may read what it cached before it commits
        assert consultation_data_generation(consultation_id) != before
        during = consultation_data_generation(consultation_id)

    assert consultation_data_generation(consultation_id) not in (before, during)


def test_the_language_task_is_queued_in_the_database_and_run_by_its_worker(
    settings: Any,
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}
    ConsentTextFactory()
    workshop = WorkshopFactory()

    author = ParticipantFactory(consented=True)
    submission = _submit(workshop, author=author)
    replay = _submit(workshop, author=author)  # the same form sent twice: queues nothing
    other = _submit(workshop)  # another author, the same key: their own

    assert (replay.created, replay.contribution.pk, other.created) == (
        False,
        submission.contribution.pk,
        True,
    )
    task = DBTaskResult.objects.get(args_kwargs__args=[submission.contribution.pk])
    assert (task.task_path, task.status) == (
        "tashawur.contributions.services.submissions.contribution_identify_language",
        "READY",
    )
    assert DBTaskResult.objects.count() == 2
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    assert set(Contribution.objects.values_list("language", flat=True)) == {Language.FRENCH}
