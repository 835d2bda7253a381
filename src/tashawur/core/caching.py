"""Files that are expensive to build (the programme's PDF, the open-data ZIP), kept in the
default cache under the hash of what they are built from.

The key is the content, not a guess at what might have changed: the caller hashes everything
the file is made of (the HTML the PDF is laid out from; the rows, the day and the language of
the ZIP), so a change anywhere in the data gives a new key at once and a stale file can never
be served. Readers of an unchanged programme share one build; when many ask at the same moment
for a file not built yet, one process builds it and the others wait for it rather than lay out
the same PDF side by side. A cache that fails is skipped: the file is built as if uncached.

Pages whose content is too costly to hash (the public diagnosis, the programme) are cached for
anonymous readers under their *versions* instead (``version_key``): the selectors read, in a
few small queries, a version of everything the page shows (the run shown, its last curation
event, the latest publication, the contributions' and programme's last changes...), so a change
gives a new key at once. What no version covers (a reference label renamed) is bounded by
``TASHAWUR_PAGE_CACHE_SECONDS``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)

T = TypeVar("T")

# How long a build may hold the right to build; past it, another process may start its own.
BUILD_LOCK_SECONDS = 120
# How long a request waits for another process's build before building the file itself.
BUILD_WAIT_SECONDS = 30.0
POLL_SECONDS = 0.1


def content_key(kind: str, *parts: str | bytes) -> str:
    """A cache key for ``kind`` built from ``parts``: their SHA-256, length-prefixed so that
    two different splits of the same bytes never collide."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return f"tashawur:{kind}:{digest.hexdigest()}"


def version_key(kind: str, *versions: object) -> str:
    """A cache key for ``kind`` made of the ``versions`` of what it shows (``repr`` of each:
    ids, timestamps, counts, the language), hashed as ``content_key``."""
    return content_key(kind, *(repr(v) for v in versions))


def _cache_call(method: str, *args: Any, **kwargs: Any) -> Any:
    try:
        return getattr(cache, method)(*args, **kwargs)
    except Exception:
        log.exception("Cache %s failed; building without the cache.", method)
        return None


def cached_build(key: str, build: Callable[[], T], *, timeout: int | None = None) -> T:
    """The value cached under ``key``, or ``build()``'s, stored for ``timeout`` seconds
    (``TASHAWUR_DOWNLOAD_CACHE_SECONDS`` unless given)."""
    value: T | None = _cache_call("get", key)
    if value is not None:
        return value
    lock = f"{key}:building"
    # False: another process holds the lock; None: the cache failed, so build at once.
    if _cache_call("add", lock, True, BUILD_LOCK_SECONDS) is False:
        deadline = time.monotonic() + BUILD_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            value = _cache_call("get", key)
            if value is not None:
                return value
            if not _cache_call("get", lock):
                break  # the other build failed or was dropped: build here
    try:
        value = build()
        if timeout is None:
            timeout = int(settings.TASHAWUR_DOWNLOAD_CACHE_SECONDS)
        _cache_call("set", key, value, timeout)
    finally:
        _cache_call("delete", lock)
    return value


def cached_page(key: str, build: Callable[[], str]) -> str:
    """The HTML cached under ``key`` (a ``version_key``), or ``build()``'s, kept
    ``TASHAWUR_PAGE_CACHE_SECONDS``; never for a signed-in reader (the caller's to check)."""
    return cached_build(key, build, timeout=int(settings.TASHAWUR_PAGE_CACHE_SECONDS))
