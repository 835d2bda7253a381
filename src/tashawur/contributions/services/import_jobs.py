"""A long notes file imported by the background worker rather than within the web request.

A file of more than ``background_rows()`` rows (``TASHAWUR_NOTES_IMPORT_BACKGROUND_ROWS``,
1,000) would keep a request waiting for a minute (10,000 rows: 19 s on SQLite, 72 s on
PostgreSQL). ``notes_import_queue`` keeps the confirmed file on private storage and records a
``NotesImport``; the task ``notes_import_run`` imports it with ``contributions_import`` — all
or nothing, exactly as in the request — and records what it stored, or every refused row. The
file is deleted when the import ends, whatever its outcome: it holds speakers' names.

A job is claimed by a conditional update (queued → running), so a task delivered twice imports
once; and the import's own idempotency keys would store nothing twice anyway.
"""

from __future__ import annotations

import logging
import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from tashawur.consultations.models import Workshop
from tashawur.contributions import rules
from tashawur.contributions.models import NotesImport
from tashawur.contributions.services.importing import (
    NotesImportRefused,
    contributions_import,
)
from tashawur.core import tabular
from tashawur.core.errors import DomainError
from tashawur.core.models import User
from tashawur.core.storage import private_storage

logger = logging.getLogger(__name__)

DEFAULT_BACKGROUND_ROWS = 1_000
#: At most this many refused rows are kept on the job (the first ones, in file order).
ERRORS_KEPT = 500
FOLDER = "contributions/import-jobs"


def background_rows() -> int:
    return int(getattr(settings, "TASHAWUR_NOTES_IMPORT_BACKGROUND_ROWS", DEFAULT_BACKGROUND_ROWS))


def notes_import_in_background(rows: int) -> bool:
    """Whether a file of ``rows`` rows is imported by the worker rather than in the request."""
    return rows > background_rows()


@transaction.atomic
def notes_import_queue(
    *, workshop: Workshop, data: bytes, filename: str, by: User, rows: int
) -> NotesImport:
    """Keep the file and queue its import; the worker runs it once this transaction commits."""
    if not rules.can_import_notes(by, workshop):
        raise DomainError(
            _(
                "Only this round table's facilitator, its rapporteur and those who manage its "
                "consultation may import its notes."
            ),
            code="import_forbidden",
        )
    kind = tabular.file_kind(filename)
    path = private_storage().save(
        f"{FOLDER}/{workshop.pk}/{secrets.token_hex(16)}.{kind}", ContentFile(data)
    )
    job = NotesImport.objects.create(
        workshop=workshop, uploaded_by=by, filename=filename[:200], stored_path=path, rows=rows
    )
    # robust: a queue that is down leaves the job queued (shown so), not an error page.
    transaction.on_commit(lambda: notes_import_run.enqueue(job.pk), robust=True)
    return job


def _finish(job: NotesImport, status: str, **fields: object) -> NotesImport:
    storage = private_storage()
    if job.stored_path and storage.exists(job.stored_path):
        storage.delete(job.stored_path)
    for name, value in fields.items():
        setattr(job, name, value)
    job.status = status
    job.stored_path = ""
    job.finished_at = timezone.now()
    job.save()
    return job


def notes_import_execute(*, notes_import: NotesImport) -> NotesImport:
    """Run a queued import now; returns the job as it ended (a job another worker claimed is
    returned untouched)."""
    claimed = NotesImport.objects.filter(
        pk=notes_import.pk, status=NotesImport.Status.QUEUED
    ).update(status=NotesImport.Status.RUNNING, updated_at=timezone.now())
    job = NotesImport.objects.select_related("workshop__meeting", "uploaded_by").get(
        pk=notes_import.pk
    )
    if not claimed:
        return job
    storage = private_storage()
    if not job.stored_path or not storage.exists(job.stored_path):
        return _finish(
            job,
            NotesImport.Status.FAILED,
            message=_("The file was no longer there: upload it again."),
        )
    with storage.open(job.stored_path, "rb") as stored:
        content = stored.read()
    try:
        result = contributions_import(
            workshop=job.workshop, data=content, filename=job.filename, by=job.uploaded_by
        )
    except NotesImportRefused as refused:
        errors = [
            {"number": row.number, "errors": [str(error) for error in row.errors]}
            for row in refused.plan.refused[:ERRORS_KEPT]
        ]
        return _finish(
            job,
            NotesImport.Status.REFUSED,
            errors=errors,
            message=refused.message,
        )
    except DomainError as error:
        return _finish(job, NotesImport.Status.REFUSED, message=error.message)
    except Exception:
        logger.exception("notes import %s failed", job.pk)
        _finish(
            job,
            NotesImport.Status.FAILED,
            message=_("The import failed on the server: nothing was stored. Try again later."),
        )
        raise
    return _finish(
        job,
        NotesImport.Status.DONE,
        created_count=result.created,
        already_count=result.already,
        pending=result.pending,
    )


@task()
def notes_import_run(notes_import_id: int) -> str | None:
    """The worker's entry point: run the queued import ``notes_import_id``; returns its status
    (``None`` when the job is gone)."""
    job = NotesImport.objects.filter(pk=notes_import_id).first()
    if job is None:
        return None
    return notes_import_execute(notes_import=job).status


__all__ = [
    "background_rows",
    "notes_import_execute",
    "notes_import_in_background",
    "notes_import_queue",
    "notes_import_run",
]
