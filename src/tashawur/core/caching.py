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
gives a new key at once. Those queries' answers are themselves kept under generations (below)
that their writers bump (``contributions.generations`` ``pages``, ``consultations.
generations``), so that a cached page's hit reads its versions from the cache alone. What no
version covers (a reference label loaded in bulk) is bounded by
``TASHAWUR_PAGE_CACHE_SECONDS``. Those pages, and the home and consultation pages, are also
kept whole for anonymous readers, frame included, under the same versions
(``core.page_cache``): a hit renders nothing.

What changes with every contribution or vote (a consultation's data) is versioned by a
*generation*: a random token kept in the default cache under a name (``generation``), replaced
by a new random token when what it covers changes (``generation_bump``, once the writer's
transaction commits). Reading one is a cache ``get`` — no scan, no hot database row that every
vote would update — and a token missing (a flushed or culled cache, a restart of locmem) is set
with ``add`` to a new random one, so it never comes back to a value an old cached page was keyed
under: a lost token costs a rebuild, never a stale page. A bump before the commit alone would
let a reader cache the old data under the new token (so it is made again on commit); after it,
a reader that took the old token caches under a key no one asks for again. Redis
(``REDIS_URL``) shares the tokens between machines, the file cache between the processes of
one; locmem (tests) is one process's.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

log = logging.getLogger(__name__)

T = TypeVar("T")
K = TypeVar("K")

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


def cache_get(key: str) -> Any:
    """The value cached under ``key``; ``None`` when there is none or the cache fails (logged):
    a failing cache is skipped, never an error of the page."""
    return _cache_call("get", key)


def cache_set(key: str, value: Any, timeout: int | None) -> None:
    """Keep ``value`` under ``key`` for ``timeout`` seconds (``None``: until culled); a failing
    cache is logged and skipped."""
    _cache_call("set", key, value, timeout)


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


def cached_many(
    keys: dict[K, str], build: Callable[[list[K]], dict[K, T]], *, timeout: int | None = None
) -> dict[K, T]:
    """For each item of ``keys`` (item → its cache key), the value cached under its key, or
    ``build``'s for those missing (one call for all of them), stored for ``timeout`` seconds
    (``TASHAWUR_PAGE_CACHE_SECONDS`` unless given). One cache round trip when all are there."""
    found: dict[str, Any] = _cache_call("get_many", list(keys.values())) or {}
    out = {item: found[key] for item, key in keys.items() if key in found}
    missing = [item for item in keys if item not in out]
    if missing:
        built = build(missing)
        if timeout is None:
            timeout = int(settings.TASHAWUR_PAGE_CACHE_SECONDS)
        _cache_call("set_many", {keys[item]: built[item] for item in missing}, timeout)
        out.update(built)
    return out


def cached_page(key: str, build: Callable[[], str]) -> str:
    """The HTML cached under ``key`` (a ``version_key``), or ``build()``'s, kept
    ``TASHAWUR_PAGE_CACHE_SECONDS``; never for a signed-in reader (the caller's to check)."""
    return cached_build(key, build, timeout=int(settings.TASHAWUR_PAGE_CACHE_SECONDS))


def _generation_key(scope: str) -> str:
    return f"tashawur:generation:{scope}"


def generations(*scopes: str) -> tuple[str, ...]:
    """The current token of each of ``scopes`` (one cache round trip when all are there);
    one missing is set, with ``add``, to a new random token. When the cache fails, a fresh
    token each call: nothing cached under it is ever found again."""
    keys = [_generation_key(scope) for scope in scopes]
    found: dict[str, Any] = _cache_call("get_many", keys) or {}
    tokens = []
    for key in keys:
        token = found.get(key)
        if token is None:
            fresh = uuid.uuid4().hex
            # add: if another process set one meanwhile, theirs wins and both read it.
            _cache_call("add", key, fresh, None)
            token = _cache_call("get", key) or fresh
        tokens.append(str(token))
    return tuple(tokens)


def generation(scope: str) -> str:
    """The current token of ``scope`` (``generations``)."""
    return generations(scope)[0]


#: The connection attribute holding the scopes to bump when its transaction commits.
_PENDING = "tashawur_generations_pending"


def _generations_replace(scopes: Iterable[str]) -> None:
    tokens = {_generation_key(s): uuid.uuid4().hex for s in scopes}
    if len(tokens) == 1:
        # One scope (a vote's): a SET, not the pipeline of set_many (a third of its CPU).
        ((key, token),) = tokens.items()
        _cache_call("set", key, token, None)
    else:
        _cache_call("set_many", tokens, None)


def generation_bump(*scopes: str, on_commit_only: bool = False) -> None:
    """Give each of ``scopes`` a new random token now and again once the current transaction
    commits: everything cached under the old tokens is never read again. The second bump is
    the one that counts (a reader between the two may cache the uncommitted past under the
    first); the first serves the tests, whose transactions never commit, and the writer's own
    reads before the commit.

    The bumps on commit are made once per transaction: the scopes wait in a set of the
    connection's and the first of the callbacks to run replaces them all in one ``set_many``
    (one Redis round trip for a transaction that saved a thousand rows, not a thousand); the
    others find the set empty. Each call still queues its callback, so a savepoint rolled back
    with the callback of an earlier call loses no bump; a scope left in the set by a rolled
    back transaction is bumped at the next commit, once too often, never too few times.

    ``on_commit_only``: the caller's transaction is its own (its ``atomic`` the outermost) and
    reads nothing cached under ``scopes`` before it commits, so the bump is made on commit
    alone: one cache round trip, not two (a contribution: issue 15, item 1). Inside a
    transaction that the caller did not open (a test's, an import's), which may read them
    before it commits, the bump is made now too."""
    if not scopes:
        return
    connection = transaction.get_connection()
    if not (on_commit_only and len(connection.atomic_blocks) == 1):
        _generations_replace(scopes)
    if connection.get_autocommit() and not connection.in_atomic_block:
        return  # nothing uncommitted: that bump was the one on commit (one round trip)
    pending: set[str] = connection.__dict__.setdefault(_PENDING, set())
    pending.update(scopes)

    def bump() -> None:
        if pending:
            due = list(pending)
            pending.clear()
            _generations_replace(due)

    transaction.on_commit(bump)
