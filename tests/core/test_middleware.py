"""The middleware that replaces Django's and django-csp's (core.csp, core.middleware) gives the
same headers, the same language and the same messages, doing less on every request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from csp.constants import NONCE, SELF
from csp.decorators import csp_exempt, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.contrib import messages
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.test import RequestFactory
from django.utils import translation

import tashawur.core.csp
from tashawur.core.csp import CSPMiddleware
from tashawur.core.middleware import LocaleMiddleware, MessageMiddleware

# A URL configuration without i18n_patterns (this module's), for Django's own reading.
urlpatterns: list[Any] = []

factory = RequestFactory()


def _ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def _directives(header: str) -> dict[str, list[str]]:
    return {name: sources for name, *sources in (part.split() for part in header.split(";"))}


# -- Content-Security-Policy ------------------------------------------------------------------


def test_the_policy_is_the_one_django_csp_builds() -> None:
    ours = CSPMiddleware(_ok)(factory.get("/"))
    theirs = DjangoCSPMiddleware(_ok)(factory.get("/"))
    assert ours["Content-Security-Policy"] == theirs["Content-Security-Policy"]
    assert "Content-Security-Policy-Report-Only" not in ours


def test_the_policy_is_built_once_for_many_responses(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    build = tashawur.core.csp.build_policy

    def counting(**kwargs: Any) -> str:
        calls.append(kwargs)
        return build(**kwargs)

    monkeypatch.setattr(tashawur.core.csp, "build_policy", counting)
    middleware = CSPMiddleware(_ok)
    headers = {middleware(factory.get("/"))["Content-Security-Policy"] for _ in range(5)}
    assert len(headers) == 1
    assert len(calls) == 2  # the policy and the report-only one, once each


def test_a_changed_policy_is_sent_from_the_next_response(settings) -> None:
    middleware = CSPMiddleware(_ok)
    assert "'none'" in middleware(factory.get("/"))["Content-Security-Policy"]

    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": [SELF, "cdn.example"]}}
    header = middleware(factory.get("/"))["Content-Security-Policy"]
    assert _directives(header) == {"default-src": ["'self'", "cdn.example"]}

    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"img-src": [SELF]}}
    header = middleware(factory.get("/"))["Content-Security-Policy-Report-Only"]
    assert _directives(header) == {"default-src": ["'self'"], "img-src": ["'self'"]}


def test_excluded_prefixes_get_no_policy(settings) -> None:
    settings.CONTENT_SECURITY_POLICY = {
        "EXCLUDE_URL_PREFIXES": ["/outside/"],
        "DIRECTIVES": {"default-src": [SELF]},
    }
    middleware = CSPMiddleware(_ok)
    assert "Content-Security-Policy" not in middleware(factory.get("/outside/page"))
    assert "Content-Security-Policy" in middleware(factory.get("/inside/page"))


def test_a_view_s_own_policy_and_exemption_are_honoured() -> None:
    updated = CSPMiddleware(csp_update({"img-src": ["data:"]})(_ok))(factory.get("/"))
    assert "img-src 'self' data:" in updated["Content-Security-Policy"]
    # ... and the next plain response has the settings' policy again.
    assert "data:" not in CSPMiddleware(_ok)(factory.get("/"))["Content-Security-Policy"]

    exempt = CSPMiddleware(csp_exempt()(_ok))(factory.get("/"))
    assert "Content-Security-Policy" not in exempt


def test_a_drawn_nonce_reaches_the_header_and_a_late_one_is_refused(settings) -> None:
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": [SELF, NONCE]}}
    drawn: list[str] = []

    def with_nonce(request: HttpRequest) -> HttpResponse:
        drawn.append(str(request.csp_nonce))  # type: ignore[attr-defined]
        return HttpResponse("ok")

    middleware = CSPMiddleware(with_nonce)
    header = middleware(factory.get("/"))["Content-Security-Policy"]
    assert _directives(header)["script-src"] == ["'self'", f"'nonce-{drawn[0]}'"]

    request = factory.get("/")
    header = CSPMiddleware(_ok)(request)["Content-Security-Policy"]
    assert _directives(header)["script-src"] == ["'self'"]
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)  # type: ignore[attr-defined]


# -- Language -------------------------------------------------------------------------------


def _language(middleware: type[DjangoLocaleMiddleware], request: HttpRequest) -> tuple[str, ...]:
    response = middleware(_ok)(request)
    return (request.LANGUAGE_CODE, translation.get_language(), response["Content-Language"])


@pytest.mark.parametrize("path", ["/", "/fr/", "/en/c/x/", "/ar/", "/api/consultations", "/de/"])
@pytest.mark.parametrize("cookie", [None, "fr", "en", "xx"])
@pytest.mark.parametrize("accept", ["", "fr-FR,fr;q=0.9", "en"])
def test_the_language_is_the_one_django_picks(path: str, cookie: str | None, accept: str) -> None:
    def request() -> HttpRequest:
        made = factory.get(path, headers={"Accept-Language": accept} if accept else {})
        if cookie is not None:
            made.COOKIES["django_language"] = cookie
        return made

    assert _language(LocaleMiddleware, request()) == _language(DjangoLocaleMiddleware, request())


def test_the_site_s_pages_do_not_read_the_browser_s_languages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unused(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("read for nothing")

    monkeypatch.setattr(translation, "get_language_from_request", unused)
    request = factory.get("/fr/c/x/", headers={"Accept-Language": "en"})
    assert _language(LocaleMiddleware, request) == ("fr", "fr", "fr")


def test_urls_without_language_prefixes_read_the_cookie_as_django_does(settings) -> None:
    settings.ROOT_URLCONF = __name__
    request = factory.get("/")
    request.COOKIES["django_language"] = "fr"
    assert _language(LocaleMiddleware, request)[0] == "fr"


# -- Messages ------------------------------------------------------------------------------


def _through(middleware: type[DjangoMessageMiddleware], view: Callable[..., HttpResponse]) -> Any:
    return SessionMiddleware(middleware(view))


@pytest.mark.django_db
def test_a_request_that_touches_no_message_builds_no_storage() -> None:
    request = factory.get("/")
    response = _through(MessageMiddleware, _ok)(request)
    assert "messages" not in response.cookies
    assert not isinstance(request._messages._wrapped, FallbackStorage)  # type: ignore[attr-defined]

    request = factory.get("/")
    _through(DjangoMessageMiddleware, _ok)(request)
    assert isinstance(request._messages, FallbackStorage)  # type: ignore[attr-defined]


@pytest.mark.django_db
@pytest.mark.parametrize("middleware", [MessageMiddleware, DjangoMessageMiddleware])
def test_a_message_reaches_the_next_request_and_is_shown_once(
    middleware: type[DjangoMessageMiddleware],
) -> None:
    def saving(request: HttpRequest) -> HttpResponse:
        messages.success(request, "saved")
        return HttpResponse("ok")

    shown: list[list[str]] = []

    def showing(request: HttpRequest) -> HttpResponse:
        shown.append([str(message) for message in messages.get_messages(request)])
        return HttpResponse("ok")

    first = _through(middleware, saving)(factory.get("/"))
    cookie = first.cookies["messages"].value
    assert cookie

    untouched = factory.get("/")
    untouched.COOKIES["messages"] = cookie
    assert "messages" not in _through(middleware, _ok)(untouched).cookies  # left for later

    reading = factory.get("/")
    reading.COOKIES["messages"] = cookie
    response = _through(middleware, showing)(reading)
    assert shown == [["saved"]]
    assert response.cookies["messages"]["max-age"] == 0  # shown once: the cookie goes
