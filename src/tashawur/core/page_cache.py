"""Whole public pages for anonymous readers, cached as the bytes of their response.

The costly public pages (the diagnosis, a finding, the action programme, the strategy) cache
their body under the versions of what they show (``core.caching.version_key``), but the frame
around it — the base template, the exports block, the look-ups of the run and the publication,
the language switcher — was rendered on every request: 20 to 30 ms of CPU for a page that had
not changed. ``anonymous_page`` caches the whole response instead, keyed on the address asked
(scheme, host, path and query), the active language and the page's *versions*, which the view
gives as a function of the request (the same few small queries or cache reads its body key
uses; ``None``: not cacheable now, such as a run pending). A hit renders nothing.

What is per request in a page served to everyone:

- the CSRF token of its forms (the language switcher posts): stored as a placeholder, replaced
  at serve time by a token of the requester's (``get_token``, so that the cookie is set);
- the headers the middleware adds (Content-Language, Vary, CSP, the CSRF cookie, compression):
  they run outside the view, on a hit as on a miss. The view's own headers are kept.

Never served nor stored: a signed-in reader (their page may differ), a request with data in its
session or messages waiting (the page would show them), an HTMX request (it gets a part of the
page); never stored: a response other than a 200, one that sets a cookie, or a request whose
view wrote to its session or queued a message. The pages carry no CSP nonce (the policy
allows ``'self'`` scripts only), so nothing else is per request.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeAlias

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

from tashawur.core.caching import cache_get, cache_set, version_key

#: What a view gives: the versions of what its page shows, or ``None`` (do not cache now).
Versions: TypeAlias = Callable[..., tuple[Any, ...] | None]
View: TypeAlias = Callable[..., HttpResponse]

#: Stands for the requester's CSRF token in a stored page. Its ``<`` never comes out of escaped
#: text, so no user content can carry it.
CSRF_PLACEHOLDER = b"<tashawur:csrf>"
_CSRF_INPUT = re.compile(rb'(<input type="hidden" name="csrfmiddlewaretoken" value=")[^"]*(")')
_CACHED_STATUS = 200
_SAFE_METHODS = ("GET", "HEAD")


def _messages_waiting(request: HttpRequest) -> int:
    storage = getattr(request, "_messages", None)
    return 0 if storage is None else len(storage)


def _cacheable_request(request: HttpRequest, params: frozenset[str]) -> bool:
    if request.method not in _SAFE_METHODS or request.headers.get("HX-Request"):
        return False
    # A query the page does not read (?utm_source=, a random one) is served uncached: it would
    # otherwise store one copy of the page per made-up address.
    if not params.issuperset(request.GET.keys()):
        return False
    if request.user.is_authenticated:
        return False
    # Loaded already by the check above (cached_db: a cache read); an empty session has no key.
    session = getattr(request, "session", None)
    if session is not None and not session.is_empty() and list(session.keys()):
        return False
    return not _messages_waiting(request)


def _stored(request: HttpRequest, response: HttpResponse) -> dict[str, Any] | None:
    """What to keep of ``response``: its bytes (CSRF tokens made placeholders) and headers;
    ``None`` when it must not be kept."""
    if (
        response.status_code != _CACHED_STATUS
        or response.streaming
        or response.cookies
        or _messages_waiting(request)
        or getattr(getattr(request, "session", None), "modified", False)
    ):
        return None
    content = _CSRF_INPUT.sub(rb"\1" + CSRF_PLACEHOLDER + rb"\2", response.content)
    headers = {k: v for k, v in response.headers.items() if k.lower() != "set-cookie"}
    return {"content": content, "headers": headers}


def _served(request: HttpRequest, stored: dict[str, Any]) -> HttpResponse:
    content: bytes = stored["content"]
    if CSRF_PLACEHOLDER in content:
        content = content.replace(CSRF_PLACEHOLDER, get_token(request).encode("ascii"))
    return HttpResponse(content, status=_CACHED_STATUS, headers=stored["headers"])


def page_versions(request: HttpRequest) -> tuple[Any, ...] | None:
    """The versions ``anonymous_page`` read for this request (before it called the view on a
    miss), if it did."""
    found: tuple[Any, ...] | None = getattr(request, "page_versions", None)
    return found


def page_key(request: HttpRequest, versions: tuple[Any, ...]) -> str:
    """The key of the page ``request`` asks, as it reads at ``versions``."""
    return version_key("anonymous-page", request.build_absolute_uri(), get_language(), *versions)


def anonymous_page(versions: Versions, *, params: tuple[str, ...] = ()) -> Callable[[View], View]:
    """Serve the decorated view's page to anonymous readers from the cache, under
    ``versions(request, *args, **kwargs)`` (which may raise ``Http404`` or
    ``PermissionDenied`` as the view would), kept ``TASHAWUR_PAGE_CACHE_SECONDS``. Only a
    query made of the ``params`` the page reads is cached."""
    allowed = frozenset(params)

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not _cacheable_request(request, allowed):
                return view(request, *args, **kwargs)
            found = versions(request, *args, **kwargs)
            if found is None:
                return view(request, *args, **kwargs)
            # For the view, on a miss: what its own caches are keyed by, not read twice.
            request.page_versions = found  # type: ignore[attr-defined]
            key = page_key(request, found)
            stored = cache_get(key)
            if stored is not None:
                return _served(request, stored)
            response = view(request, *args, **kwargs)
            kept = _stored(request, response)
            if kept is not None:
                cache_set(key, kept, int(settings.TASHAWUR_PAGE_CACHE_SECONDS))
            return response

        return wrapped

    return decorator
