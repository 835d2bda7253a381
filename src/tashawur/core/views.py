"""Sign-in with its lock-outs, and the translated "too many requests" page.

An account is locked by django-axes after ``AXES_FAILURE_LIMIT`` failed sign-ins within
``AXES_COOLOFF_TIME`` (the right password is refused too until the cool-off ends); a network,
after ``TASHAWUR_LOGIN_FAILURES_PER_IP`` (``core.limits``), a far higher number because a whole
workshop signs in through one hotspot.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.translation import ngettext
from django.views.i18n import set_language as django_set_language

from tashawur.core import limits
from tashawur.core.forms import SignInForm

TOO_MANY_REQUESTS = 429


def too_many_requests(
    request: HttpRequest,
    *,
    message: str,
    limited: limits.Limited,
    template: str = "429.html",
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """The translated 429 page, with ``Retry-After``."""
    response = render(
        request, template, {"message": message, **(context or {})}, status=TOO_MANY_REQUESTS
    )
    response["Retry-After"] = str(limited.retry_after)
    return response


def download_limit_message(limited: limits.Limited) -> str:
    """Why an anonymous download is refused (the programme's PDF, open data)."""
    return ngettext(
        "Too many downloads from your network. Try again in %(minutes)s minute.",
        "Too many downloads from your network. Try again in %(minutes)s minutes.",
        limited.minutes,
    ) % {"minutes": limited.minutes}


def _account_locked_message(minutes: int) -> str:
    return ngettext(
        "Too many failed sign-in attempts for this account. Sign-in is paused: try again in "
        "%(minutes)s minute.",
        "Too many failed sign-in attempts for this account. Sign-in is paused: try again in "
        "%(minutes)s minutes.",
        minutes,
    ) % {"minutes": minutes}


def _network_locked_message(minutes: int) -> str:
    return ngettext(
        "Too many failed sign-in attempts from your network. Sign-in from it is paused: try "
        "again in %(minutes)s minute.",
        "Too many failed sign-in attempts from your network. Sign-in from it is paused: try "
        "again in %(minutes)s minutes.",
        minutes,
    ) % {"minutes": minutes}


def _locked_out(request: HttpRequest, message: str, limited: limits.Limited) -> HttpResponse:
    return too_many_requests(
        request, message=message, limited=limited, template="core/locked_out.html"
    )


def _account_cool_off_left(username: str) -> int:
    cool_off: dt.timedelta = settings.AXES_COOLOFF_TIME
    last = AccessAttempt.objects.filter(username=username).aggregate(last=Max("attempt_time"))[
        "last"
    ]
    if last is None:
        return int(cool_off.total_seconds())
    return int((last + cool_off - timezone.now()).total_seconds())


def account_locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """django-axes' lock-out response (``AXES_LOCKOUT_CALLABLE``): the translated page, for
    this site's sign-in and the admin's alike."""
    username = str((credentials or {}).get("username") or request.POST.get("username", ""))
    limited = limits.Limited(retry_after=max(1, _account_cool_off_left(username)))
    return _locked_out(request, _account_locked_message(limited.minutes), limited)


class SignInView(auth_views.LoginView):
    """Django's sign-in, refused to a network that failed too often (an account's lock-out is
    django-axes', in the authentication backend and its middleware)."""

    template_name = "core/login.html"
    form_class = SignInForm  # the user name's length checked on the server (core.forms)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        limited = limits.login_network_locked(request)
        if limited is not None:
            return _locked_out(request, _network_locked_message(limited.minutes), limited)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        limited = limits.login_network_failure(self.request)
        if limited is not None:
            return _locked_out(self.request, _network_locked_message(limited.minutes), limited)
        return super().form_invalid(form)


def _account_rate_message(limited: limits.Limited) -> str:
    return ngettext(
        "Too many accounts or password resets asked from your network. Try again in "
        "%(minutes)s minute.",
        "Too many accounts or password resets asked from your network. Try again in "
        "%(minutes)s minutes.",
        limited.minutes,
    ) % {"minutes": limited.minutes}


def account_rate_refusal(request: HttpRequest) -> HttpResponse | None:
    """The translated 429 page when the client's network asked for too many accounts or
    password resets (``core.limits.account_limited``), else None (and one more is counted)."""
    limited = limits.account_limited(request)
    if limited is None:
        return None
    return too_many_requests(request, message=_account_rate_message(limited), limited=limited)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset in the site's pages, each request counted per network: every
    one sends an e-mail."""

    template_name = "core/password_reset.html"
    email_template_name = "core/password_reset_email.txt"
    subject_template_name = "core/password_reset_subject.txt"
    success_url = reverse_lazy("core:password_reset_done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        refusal = account_rate_refusal(self.request)
        if refusal is not None:
            return refusal
        return super().form_valid(form)


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's ``set_language``, with ``next`` resolved in its own language. Django turns
    ``next`` into the chosen language's address by resolving it under the active language,
    which for ``/i18n/setlang/`` (no prefix) is Arabic: a French address (``/fr/…``) then
    did not resolve and the reader stayed in French after choosing Arabic."""
    next_url = request.POST.get("next", request.GET.get("next")) or ""
    language = translation.get_language_from_path(next_url.split("?", 1)[0])
    with translation.override(language or settings.LANGUAGE_CODE):
        return django_set_language(request)
