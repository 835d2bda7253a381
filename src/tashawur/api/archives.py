"""The open-data ZIP of a consultation, built in the background and served from a file.

At national size (100,000 contributions, 1,000,000 votes) a build costs seconds of CPU and
hundreds of megabytes; during an event a vote lands every second, so a ZIP keyed on the data's
versions would be rebuilt by nearly every download. Instead the last ZIP built is kept in a file
(``TASHAWUR_PRIVATE_MEDIA_ROOT/open-data/<consultation id>/``: no web server serves it, and a
multi-machine install shares it as it shares the other private files) and a download is
answered from it, streamed:

- when the data changed since (a vote, a new contribution, a new day), the download is answered
  with the last ZIP, whose README, ``datapackage.json`` and ``Last-Modified``/``ETag`` headers
  say when it was built and which version of the data it holds, and one rebuild is queued
  (``open_data_archive_task``), deferred by ``TASHAWUR_OPEN_DATA_DEBOUNCE_SECONDS`` so that
  every change meanwhile joins it;
- when something may have been taken out since (a takedown, an edit, a consent withdrawn, an
  erasure, a finding rejected: the ``removals`` generation, ``contributions.generations``), the
  last ZIP is never served again: the download builds a new one at once (one process builds,
  the others wait for it, ``core.caching.cached_build``) and the old file is deleted;
- with no ZIP yet (or its record lost from the cache, or its file from the disk), the download
  builds one at once.

Which ZIP is the last is recorded in the default cache (``ArchiveBuilt``), shared by every
process and machine as the generations are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.utils import timezone
from django_tasks import task

from tashawur.api.opendata import OPEN_DATA_RENDERER, open_data_zip_write
from tashawur.api.selectors import (
    open_data_build,
    open_data_removals_version,
    open_data_version,
)
from tashawur.consultations.models import Consultation
from tashawur.core.caching import cached_build, version_key

log = logging.getLogger(__name__)

#: How long a rebuild queued after a change waits for other changes to join it, when the
#: setting ``TASHAWUR_OPEN_DATA_DEBOUNCE_SECONDS`` is absent.
DEFAULT_DEBOUNCE_SECONDS = 60
#: A queued rebuild's mark outlives its delay by this much, so that a worker a little late
#: does not let a second rebuild be queued beside it.
QUEUED_GRACE_SECONDS = 300
VERSION_DIGITS = 16
#: How long a ZIP replaced by a newer one (nothing taken out between them) stays on disk.
KEEP_PREVIOUS_SECONDS = 600


@dataclass(frozen=True)
class ArchiveBuilt:
    """The last ZIP built for a consultation: its file and what it holds."""

    name: str  # in ``archive_storage()``
    size: int
    built_at: dt.datetime
    version: str  # the data it holds (``_Versions.full``), shown in README.txt and the ETag
    removals: str  # the removals it was built after (``_Versions.removals``)

    @property
    def day(self) -> dt.date:
        return timezone.localtime(self.built_at).date()


@dataclass(frozen=True)
class _Versions:
    full: str
    removals: str


def archive_storage() -> FileSystemStorage:
    """Where the built ZIPs are kept (read at call time: the tests move the private root)."""
    return FileSystemStorage(location=Path(settings.TASHAWUR_PRIVATE_MEDIA_ROOT) / "open-data")


def open_data_debounce() -> dt.timedelta:
    """How long a rebuild queued after a change waits: ``TASHAWUR_OPEN_DATA_DEBOUNCE_SECONDS``
    (0 for none), read at call time."""
    seconds = getattr(settings, "TASHAWUR_OPEN_DATA_DEBOUNCE_SECONDS", None)
    if seconds is None:
        seconds = DEFAULT_DEBOUNCE_SECONDS
    return dt.timedelta(seconds=max(float(seconds), 0.0))


def _latest_key(consultation_id: int) -> str:
    return f"tashawur:open-data-archive:{consultation_id}"


def _queued_key(consultation_id: int) -> str:
    return f"tashawur:open-data-archive:{consultation_id}:queued"


def _cache(method: str, *args: object) -> object:
    try:
        return getattr(cache, method)(*args)
    except Exception:
        log.exception("Cache %s failed for the open-data archive.", method)
        return None


def _versions(consultation: Consultation) -> _Versions:
    # Read before the data: a change during a build leaves the ZIP with the older version,
    # so the next download queues (or makes) the rebuild that takes it in.
    version = open_data_version(consultation=consultation)
    day = timezone.localdate()
    full = version_key("open-data-zip", OPEN_DATA_RENDERER, day, *version)
    removals = version_key(
        "open-data-removals",
        OPEN_DATA_RENDERER,
        *open_data_removals_version(consultation=consultation, version=version),
    )
    return _Versions(full=full.rsplit(":", 1)[1], removals=removals.rsplit(":", 1)[1])


def _latest(consultation_id: int) -> ArchiveBuilt | None:
    latest = _cache("get", _latest_key(consultation_id))
    return latest if isinstance(latest, ArchiveBuilt) else None


def _archive_build(consultation: Consultation, versions: _Versions) -> ArchiveBuilt:
    """Build the ZIP into a new file, record it as the last one and delete the older files."""
    data = open_data_build(consultation=consultation, version=versions.full[:VERSION_DIGITS])
    built_at = data.generated_at
    storage = archive_storage()
    folder = str(consultation.pk)
    with tempfile.TemporaryFile() as spool:
        open_data_zip_write(data, spool)
        del data  # the rows: the file holds them now
        size = spool.tell()
        spool.seek(0)
        name = storage.save(
            f"{folder}/{_removals_prefix(versions)}{versions.full[:VERSION_DIGITS]}-"
            f"{uuid.uuid4().hex}.zip",
            File(spool),
        )
    built = ArchiveBuilt(
        name=name,
        size=size,
        built_at=built_at,
        version=versions.full,
        removals=versions.removals,
    )
    _cache("set", _latest_key(consultation.pk), built, None)
    _older_delete(storage, folder, keep=name)
    return built


def _removals_prefix(versions: _Versions) -> str:
    return f"{versions.removals[:VERSION_DIGITS]}-"


def _older_delete(storage: FileSystemStorage, folder: str, *, keep: str) -> None:
    """Delete the consultation's older ZIPs: at once those built before a removal (they may
    hold what was taken down), after ``KEEP_PREVIOUS_SECONDS`` the others (a download that was
    just told to read one may not have opened it yet)."""
    try:
        _, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    prefix = keep.rsplit("/", 1)[-1][: VERSION_DIGITS + 1]
    old = timezone.now() - dt.timedelta(seconds=KEEP_PREVIOUS_SECONDS)
    for file_name in files:
        path = f"{folder}/{file_name}"
        if path == keep:
            continue
        try:
            if not file_name.startswith(prefix) or storage.get_modified_time(path) < old:
                storage.delete(path)
        except FileNotFoundError:
            pass  # deleted by another build meanwhile


def _build_now(consultation: Consultation, versions: _Versions) -> ArchiveBuilt:
    # One build per state of the removals: concurrent downloads after a takedown wait for it.
    key = version_key("open-data-archive-build", consultation.pk, versions.removals, versions.full)
    built = cached_build(
        key,
        lambda: _archive_build(consultation, versions),
        timeout=int(settings.TASHAWUR_PAGE_CACHE_SECONDS),
    )
    if not archive_storage().exists(built.name):
        built = _archive_build(consultation, versions)  # built on another machine's disk
    return built


def _rebuild_queue(consultation_id: int) -> None:
    """Queue one deferred rebuild, unless one is queued already (debounced)."""
    delay = open_data_debounce()
    mark_seconds = int(delay.total_seconds()) + QUEUED_GRACE_SECONDS
    if not _cache("add", _queued_key(consultation_id), True, mark_seconds):
        return
    rebuild = open_data_archive_task
    if delay and rebuild.get_backend().supports_defer:
        rebuild = rebuild.using(run_after=timezone.now() + delay)
    rebuild.enqueue(consultation_id)


class ArchiveReader:
    """A stored ZIP, opened on the first read: a response nobody reads holds no file. Once
    open, the file is read to its end even if a newer build deletes its name (POSIX)."""

    def __init__(self, name: str) -> None:
        self.name_in_storage = name
        self._file: IO[bytes] | None = None

    def read(self, size: int = -1) -> bytes:
        if self._file is None:
            self._file = archive_storage().open(self.name_in_storage, "rb")
        return self._file.read(size)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


@dataclass(frozen=True)
class ArchiveFile:
    built: ArchiveBuilt
    file: ArchiveReader


def open_data_archive_open(*, consultation: Consultation) -> ArchiveFile:
    """The last ZIP built for ``consultation``, opened for reading; built now only when there
    is none or something may have been taken out since (see the module's docstring); a rebuild
    is queued when the data changed otherwise."""
    versions = _versions(consultation)
    latest = _latest(consultation.pk)
    # Its file gone (the disk of another machine, a clean-up): built here.
    if (
        latest is not None
        and latest.removals == versions.removals
        and archive_storage().exists(latest.name)
    ):
        if latest.version != versions.full:
            _rebuild_queue(consultation.pk)
        return ArchiveFile(built=latest, file=ArchiveReader(latest.name))
    built = _build_now(consultation, versions)
    return ArchiveFile(built=built, file=ArchiveReader(built.name))


def open_data_archive_refresh(*, consultation_id: int) -> str:
    """Rebuild the consultation's ZIP unless the last one holds the current data; say what was
    done: ``"built"``, ``"current"`` or ``"gone"`` (a draft or a deleted consultation)."""
    # Cleared first: a change during this build queues the next rebuild.
    _cache("delete", _queued_key(consultation_id))
    consultation = (
        Consultation.objects.select_related("region")
        .exclude(status=Consultation.Status.DRAFT)
        .filter(pk=consultation_id)
        .first()
    )
    if consultation is None:
        return "gone"
    versions = _versions(consultation)
    latest = _latest(consultation_id)
    if latest is not None and latest.version == versions.full:
        return "current"
    _build_now(consultation, versions)
    return "built"


@task()
def open_data_archive_task(consultation_id: int) -> str:
    """Rebuild a consultation's open-data ZIP (``open_data_archive_refresh``)."""
    return open_data_archive_refresh(consultation_id=consultation_id)


def etag(built: ArchiveBuilt) -> str:
    return '"' + hashlib.sha256(f"{built.version}:{built.name}".encode()).hexdigest()[:32] + '"'
