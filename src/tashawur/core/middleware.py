"""Django's locale and messages middleware, without the work every request paid for nothing.

Each replaces Django's in ``MIDDLEWARE`` and gives the same result (issue 15, item 1: the floor
under every budget):

- ``LocaleMiddleware``: the site's pages sit under ``i18n_patterns`` without a prefix for the
  default language, so Django's middleware picks the language of the path's prefix, or else
  ``LANGUAGE_CODE``; it reads the language cookie and ``Accept-Language`` first, then throws
  that answer away. Here the path alone is read when the URLs are laid out that way; any other
  layout goes through Django's.
- ``MessageMiddleware``: Django's builds the message storage (a cookie signer and a session
  storage) on every request; here it is built on first use, and a request that never touched
  it has nothing to store, exactly as Django's unused storage stores nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.messages.storage import default_storage
from django.contrib.messages.storage.base import BaseStorage
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation
from django.utils.functional import SimpleLazyObject, empty


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's, reading the path's language prefix only where nothing else can count."""

    def process_request(self, request: HttpRequest) -> None:
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        i18n_patterns_used, prefixed_default_language = is_language_prefix_patterns_used(urlconf)
        if not i18n_patterns_used or prefixed_default_language:
            super().process_request(request)
            return
        # Django's: the path's language if it has one, else LANGUAGE_CODE (the cookie and the
        # browser's languages are read only to be replaced by it).
        language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class _LazyStorage(SimpleLazyObject[BaseStorage]):
    """The request's message storage, built when first touched."""


class MessageMiddleware(DjangoMessageMiddleware):
    """Django's, with the message storage built on first use."""

    def process_request(self, request: HttpRequest) -> None:
        request._messages = _LazyStorage(lambda: default_storage(request))  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        storage = getattr(request, "_messages", None)
        if type(storage) is _LazyStorage and storage._wrapped is empty:
            # Never read nor written: Django's storage would store nothing either.
            return response
        return super().process_response(request, response)
