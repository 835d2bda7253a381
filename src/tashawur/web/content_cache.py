"""The body of a public page as a signed-in reader reads it, cached under the page's versions.

The anonymous page cache (``core.page_cache``) serves a whole page to signed-out readers; a
signed-in reader's page differs in its frame (their name, their menu, the CSRF token of the
language switcher), so it was rendered whole on every request (issue 15, item 1: the home page
20 ms of CPU, a consultation's 31 ms, against 10). What is the same for every reader who sees
it — the ``{% block content %}`` of the home page, say — is cached here instead, as HTML, under
the same versions (``web.page_versions``), the active language and whatever the caller adds of
the reader (what they may see of the page); the frame is rendered around it on every request.
The body must carry nothing of one reader (no CSRF token, no name): the caller's template keeps
those outside the part it caches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from tashawur.core.caching import cached_build, version_key


def content_cached(kind: str, versions: tuple[Any, ...], build: Callable[[], str]) -> SafeString:
    """The HTML that ``build()`` renders (an escaped template's output), cached under ``kind``,
    ``versions`` and the language for ``TASHAWUR_PAGE_CACHE_SECONDS``."""
    key = version_key("content", kind, get_language(), *versions)
    html = cached_build(key, build, timeout=int(settings.TASHAWUR_PAGE_CACHE_SECONDS))
    # Rendered by the template engine, which escaped what it was given: safe as it was then.
    return mark_safe(html)  # noqa: S308
