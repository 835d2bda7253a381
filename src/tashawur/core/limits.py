"""Rate limits: how much one participant, one account or one network may do, and how fast.

Every limit is a setting (``config/settings.py``, "Limits"; docs/deployment.md, "Limits").
The counters are django-ratelimit's fixed windows in the default cache; a participant's writes
are counted per account, never per address, because a whole workshop shares one hotspot. A
limit that cannot be checked because the cache is down lets the request through (and logs it):
a broken cache must not stop a workshop.

Failed sign-ins per account are django-axes' business (``AXES_*`` settings); the per-network
count of failed sign-ins is here, with a much higher threshold.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django_ratelimit import core as ratelimit_core
from django_ratelimit.core import get_usage

log = logging.getLogger(__name__)

# IPv6 clients get a /64 each from their provider and can rotate inside it.
_IPV6_PREFIX = 64


def client_ip(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or, behind ``TASHAWUR_PROXY_COUNT`` reverse
    proxies that each append the address they saw to ``X-Forwarded-For``, the address that the
    outermost proxy saw. Entries further left are the client's own claims and are ignored."""
    remote = str(request.META.get("REMOTE_ADDR") or "")
    proxies = int(getattr(settings, "TASHAWUR_PROXY_COUNT", 0))
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies and _is_ip(forwarded[-proxies]):
            return forwarded[-proxies]
    return remote if _is_ip(remote) else "0.0.0.0"  # noqa: S104 - a key, not a bind address


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def client_network_key(group: str, request: HttpRequest) -> str:
    """django-ratelimit key: the client's address, an IPv6 address widened to its /64."""
    address = ipaddress.ip_address(client_ip(request))
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{_IPV6_PREFIX}", strict=False))
    return str(address)


@dataclass(frozen=True)
class Limited:
    """A refusal: the window ends in ``retry_after`` seconds."""

    retry_after: int

    @property
    def minutes(self) -> int:
        """Whole minutes to wait, at least one (for the translated messages)."""
        return max(1, math.ceil(self.retry_after / 60))


def _usage_counted(request: HttpRequest, *, group: str, rate: str, key: Any) -> Any:
    """``get_usage(..., increment=True)`` in one cache round trip where the cache can count
    so (``core.redis_cache.RedisCache.count_hit``; django-ratelimit's ``add`` then ``incr``
    cost three on Redis); ``NotImplemented`` for another cache, which goes through
    django-ratelimit. The same key, window, expiry and answer as django-ratelimit's (for the
    methods of every request, the only ones used here), which reads these counters too
    (``login_network_locked``)."""
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return None
    cache = ratelimit_core.caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    count_hit = getattr(cache, "count_hit", None)
    if (
        count_hit is None
        or "." in rate
        or not (callable(key) or key in ratelimit_core._SIMPLE_KEYS)
    ):
        return NotImplemented  # a rate or key by dotted path, a key by accessor: as django's
    limit, period = ratelimit_core._split_rate(rate)
    if period <= 0:
        raise ImproperlyConfigured("Ratelimit period must be greater than 0")
    value = key(group, request) if callable(key) else ratelimit_core._SIMPLE_KEYS[key](request)
    window = ratelimit_core._get_window(value, period)
    cache_key = ratelimit_core._make_cache_key(group, window, rate, value, ratelimit_core.ALL)
    count = count_hit(cache_key, period + ratelimit_core.EXPIRATION_FUDGE)
    return {
        "count": count,
        "limit": limit,
        "should_limit": count > limit,
        "time_left": window - int(time.time()),
    }


def _usage(
    request: HttpRequest, *, group: str, rate: str | None, key: Any, increment: bool
) -> dict[str, Any] | None:
    if rate is None:
        return None
    try:
        usage: dict[str, Any] | None = NotImplemented
        if increment:
            usage = _usage_counted(request, group=group, rate=rate, key=key)
        if usage is NotImplemented:
            usage = get_usage(request, group=group, key=key, rate=rate, increment=increment)
    except ImproperlyConfigured:
        raise
    except Exception:
        # Redis unreachable, a full disk under the file cache…: serve rather than refuse all.
        log.exception("Rate limit %r not checked: the cache failed.", group)
        return None
    if usage is None or usage["limit"] == 0:  # 0: django-ratelimit could not count
        return None
    return usage


def _hit(request: HttpRequest, *, group: str, rate: str | None, key: Any) -> Limited | None:
    usage = _usage(request, group=group, rate=rate, key=key, increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    return Limited(retry_after=max(1, int(usage["time_left"])))


def contribution_limited(request: HttpRequest, *, recorded_for_others: bool) -> Limited | None:
    """Count one contribution of the signed-in user; a refusal when over their rate. A
    facilitator recording for the room has a rate of their own, higher, keyed by the recorder."""
    if recorded_for_others:
        return _hit(
            request,
            group="contributions-recorded",
            rate=settings.TASHAWUR_RATE_CONTRIBUTIONS_RECORDED,
            key="user",
        )
    return _hit(
        request, group="contributions", rate=settings.TASHAWUR_RATE_CONTRIBUTIONS, key="user"
    )


def vote_limited(request: HttpRequest) -> Limited | None:
    """Count one vote of the signed-in participant; a refusal when over their rate."""
    return _hit(request, group="votes", rate=settings.TASHAWUR_RATE_VOTES, key="user")


def similar_limited(request: HttpRequest) -> Limited | None:
    """Count one "already said" look-up of the signed-in participant (a read, but one that
    embeds a text); a refusal when over their rate."""
    return _hit(request, group="similar", rate=settings.TASHAWUR_RATE_SIMILAR, key="user")


def flag_limited(request: HttpRequest) -> Limited | None:
    """Count one report of a contribution by the signed-in participant; a refusal when over
    their rate."""
    return _hit(request, group="flags", rate=settings.TASHAWUR_RATE_FLAGS, key="user")


def download_limited(request: HttpRequest) -> Limited | None:
    """Count one expensive download (programme PDF, open data) of an anonymous visitor, per
    network; signed-in users are not counted here."""
    if request.user.is_authenticated:
        return None
    return _hit(
        request,
        group="downloads",
        rate=settings.TASHAWUR_RATE_DOWNLOADS,
        key=client_network_key,
    )


def account_limited(request: HttpRequest) -> Limited | None:
    """Count one sign-up or password-reset request of the client's network; a refusal when
    over its rate (a workshop signs up through one hotspot, so the rate is generous)."""
    return _hit(
        request,
        group="accounts",
        rate=settings.TASHAWUR_RATE_ACCOUNTS,
        key=client_network_key,
    )


def _login_network_rate() -> str | None:
    failures = int(settings.TASHAWUR_LOGIN_FAILURES_PER_IP)
    if failures <= 0:
        return None
    return f"{failures}/{int(settings.TASHAWUR_LOGIN_COOLOFF_MINUTES)}m"


def _login_network_state(request: HttpRequest, *, increment: bool) -> Limited | None:
    usage = _usage(
        request,
        group="login-failures",
        rate=_login_network_rate(),
        key=client_network_key,
        increment=increment,
    )
    # Refused from the failure that reaches the threshold on, as for an account (django-axes).
    if usage is None or usage["count"] < usage["limit"]:
        return None
    return Limited(retry_after=max(1, int(usage["time_left"])))


def login_network_locked(request: HttpRequest) -> Limited | None:
    """Whether the client's network has failed to sign in too often in this window."""
    return _login_network_state(request, increment=False)


def login_network_failure(request: HttpRequest) -> Limited | None:
    """Count one failed sign-in of the client's network; a refusal if that reaches the limit."""
    return _login_network_state(request, increment=True)
