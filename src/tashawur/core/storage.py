"""Private files: personal or not yet public (evidence, voice notes, uploads waiting for a
confirmation). They live under ``TASHAWUR_PRIVATE_MEDIA_ROOT``, which no web server serves;
views stream them after checking who asks."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage


class PrivateStorage(FileSystemStorage):
    """``TASHAWUR_PRIVATE_MEDIA_ROOT``, read at each use rather than once when a model class is
    built, so that a deployment's or a test's setting is the one that holds."""

    @property
    def base_location(self) -> str:
        return str(settings.TASHAWUR_PRIVATE_MEDIA_ROOT)

    @property
    def location(self) -> str:
        return str(Path(self.base_location).resolve())


def private_storage() -> Storage:
    return PrivateStorage()
