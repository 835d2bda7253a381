"""An uploaded file kept until its uploader confirms it (an import's preview, then its
confirmation): on private storage under a random name, in a folder of its own per owner object,
remembered in the uploader's session by a random token. It is read once, then deleted; what
nobody confirmed is deleted after a day, at the next upload for the same object."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.http import HttpRequest
from django.utils import timezone

from tashawur.core.storage import private_storage

KEPT_FOR = dt.timedelta(days=1)


@dataclass(frozen=True)
class PendingUploads:
    session_key: str
    folder: str

    def _stored(self, request: HttpRequest) -> dict[str, Any]:
        stored = request.session.get(self.session_key)
        return stored if isinstance(stored, dict) else {}

    def _forget_old(self, owner_pk: int) -> None:
        storage = private_storage()
        folder = f"{self.folder}/{owner_pk}"
        if not storage.exists(folder):
            return
        cutoff = timezone.now() - KEPT_FOR
        for name in storage.listdir(folder)[1]:
            path = f"{folder}/{name}"
            if storage.get_modified_time(path) < cutoff:
                storage.delete(path)

    def keep(
        self, request: HttpRequest, *, owner_pk: int, content: bytes, kind: str, name: str = ""
    ) -> str:
        """Keep ``content`` for the object ``owner_pk``; returns the token that takes it back."""
        self._forget_old(owner_pk)
        token = secrets.token_urlsafe(16)
        path = private_storage().save(
            f"{self.folder}/{owner_pk}/{secrets.token_hex(16)}.{kind}", ContentFile(content)
        )
        uploads = self._stored(request)
        uploads[token] = {"owner": owner_pk, "path": path, "kind": kind, "name": name}
        request.session[self.session_key] = uploads
        return token

    def take(
        self, request: HttpRequest, *, owner_pk: int, token: str
    ) -> tuple[bytes, dict[str, str]] | None:
        """The content kept under ``token`` for ``owner_pk`` (deleted as it is read) with its
        kind and name, or None: unknown token, another object's, or gone."""
        uploads = self._stored(request)
        kept = uploads.pop(token, None)
        request.session[self.session_key] = uploads
        if not isinstance(kept, dict) or kept.get("owner") != owner_pk:
            return None
        storage = private_storage()
        path = str(kept.get("path", ""))
        if not path.startswith(f"{self.folder}/{owner_pk}/") or not storage.exists(path):
            return None
        with storage.open(path, "rb") as stored:
            content = stored.read()
        storage.delete(path)
        return content, {"kind": str(kept.get("kind", "")), "name": str(kept.get("name", ""))}
