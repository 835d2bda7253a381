"""The pieces under every limit: the client's address behind proxies, rate settings, counting
that fails open when the cache breaks, and the content-keyed cache of built files."""

from __future__ import annotations

import os
import threading
import time
import uuid
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory, override_settings

from tashawur.config import settings as settings_module
from tashawur.core import caching, limits


def _request(remote: str = "203.0.113.7", forwarded: str | None = None) -> Any:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().post("/", **extra)
    return request


@override_settings(TASHAWUR_PROXY_COUNT=0)
def test_without_a_proxy_the_address_is_remote_addr_and_forwarded_for_is_ignored() -> None:
    assert limits.client_ip(_request(forwarded="198.51.100.1")) == "203.0.113.7"


@override_settings(TASHAWUR_PROXY_COUNT=1)
def test_behind_one_proxy_the_address_is_the_one_it_appended() -> None:
    # The client claimed 10.0.0.1 itself; the proxy appended the address it saw.
    request = _request(remote="127.0.0.1", forwarded="10.0.0.1, 198.51.100.1")
    assert limits.client_ip(request) == "198.51.100.1"


@override_settings(TASHAWUR_PROXY_COUNT=2)
def test_behind_two_proxies_the_outer_proxys_entry_counts() -> None:
    request = _request(remote="127.0.0.1", forwarded="10.0.0.1, 198.51.100.1, 192.0.2.9")
    assert limits.client_ip(request) == "198.51.100.1"


@override_settings(TASHAWUR_PROXY_COUNT=1)
@pytest.mark.parametrize("forwarded", ["", "not-an-address", "١٢٧.٠.٠.١"])
def test_a_missing_or_bogus_forwarded_for_falls_back_to_remote_addr(forwarded: str) -> None:
    assert limits.client_ip(_request(remote="127.0.0.1", forwarded=forwarded)) == "127.0.0.1"


def test_ipv6_clients_are_counted_per_64_network() -> None:
    one = _request(remote="2001:db8:1:2:aaaa::1")
    other = _request(remote="2001:db8:1:2:bbbb::2")
    assert limits.client_network_key("g", one) == limits.client_network_key("g", other)
    assert limits.client_network_key("g", one) == "2001:db8:1:2::/64"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("10/m", "10/m"), ("100/15m", "100/15m"), (" 5/h ", "5/h"), ("off", None), ("", None)],
)
def test_rate_settings_read_count_and_period(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str | None
) -> None:
    monkeypatch.setenv("TASHAWUR_RATE_TEST", value)
    assert settings_module._rate("TASHAWUR_RATE_TEST", "1/m") == expected


@pytest.mark.parametrize("value", ["10", "10/x", "0/m", "10/0m", "ten/m", "١٠/m"])
def test_a_mistyped_rate_stops_the_start(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("TASHAWUR_RATE_TEST", value)
    with pytest.raises(ImproperlyConfigured, match="TASHAWUR_RATE_TEST"):
        settings_module._rate("TASHAWUR_RATE_TEST", "1/m")


def test_minutes_to_wait_are_rounded_up_and_at_least_one() -> None:
    assert [limits.Limited(retry_after=s).minutes for s in (1, 60, 61, 900)] == [1, 1, 2, 15]


class _BrokenCache:
    def __getattr__(self, name: str) -> Any:
        def fail(*args: object, **kwargs: object) -> None:
            raise ConnectionError("cache down")

        return fail


@override_settings(
    TASHAWUR_RATE_VOTES="1/m",
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
)
def test_a_broken_cache_lets_requests_through(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import django_ratelimit.core

    monkeypatch.setattr(django_ratelimit.core, "caches", {"default": _BrokenCache()})
    request = _request()
    request.user = type("U", (), {"pk": 1, "is_authenticated": True})()
    assert [limits.vote_limited(request) for _ in range(3)] == [None, None, None]
    assert "the cache failed" in caplog.text


def test_a_built_file_is_served_from_the_cache_the_second_time() -> None:
    builds: list[int] = []

    def build() -> bytes:
        builds.append(1)
        return b"pdf"

    key = caching.content_key("test", "same content")
    assert caching.cached_build(key, build) == b"pdf"
    assert caching.cached_build(key, build) == b"pdf"
    assert len(builds) == 1
    other = caching.content_key("test", "other content")
    assert other != key
    caching.cached_build(other, build)
    assert len(builds) == 2


def test_content_keys_do_not_collide_on_a_different_split() -> None:
    assert caching.content_key("k", "ab", "c") != caching.content_key("k", "a", "bc")


def test_a_request_waits_for_the_build_another_process_has_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(caching, "POLL_SECONDS", 0.01)
    key = caching.content_key("test", "slow")
    cache.add(f"{key}:building", True)  # another process is laying it out

    def finish_elsewhere() -> None:
        time.sleep(0.2)
        cache.set(key, b"built elsewhere")
        cache.delete(f"{key}:building")

    thread = threading.Thread(target=finish_elsewhere)
    thread.start()
    try:
        assert caching.cached_build(key, lambda: b"built here") == b"built elsewhere"
    finally:
        thread.join()


def test_a_build_that_failed_elsewhere_is_done_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caching, "POLL_SECONDS", 0.01)
    key = caching.content_key("test", "failed")
    cache.add(f"{key}:building", True)
    threading.Timer(0.05, cache.delete, args=[f"{key}:building"]).start()
    assert caching.cached_build(key, lambda: b"built here") == b"built here"


def test_a_broken_cache_still_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caching, "cache", _BrokenCache())
    key = caching.content_key("test", "x")
    start = time.monotonic()
    assert caching.cached_build(key, lambda: b"built") == b"built"
    assert time.monotonic() - start < 1  # no waiting on a lock nobody can hold


REDIS_URL = os.environ.get("TASHAWUR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


@pytest.mark.skipif(not _redis_answers(), reason="no Redis server answers at " + REDIS_URL)
@pytest.mark.usefixtures("frozen_rate_windows")
def test_limits_and_built_files_work_on_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    """The production path: Django's RedisCache, as settings.py configures it with REDIS_URL."""
    redis_caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"tashawur-test-{uuid.uuid4().hex}",
        }
    }
    with override_settings(
        CACHES=redis_caches, TASHAWUR_RATE_VOTES="2/m", TASHAWUR_DOWNLOAD_CACHE_SECONDS=60
    ):
        from django.core.cache import caches

        caches.close_all()
        monkeypatch.setattr(caching, "cache", caches["default"])
        request = _request()
        request.user = type("U", (), {"pk": 42, "is_authenticated": True})()
        results = [limits.vote_limited(request) for _ in range(3)]
        assert results[:2] == [None, None]
        assert results[2] is not None and results[2].retry_after <= 60

        key = caching.content_key("test", uuid.uuid4().hex)
        assert caching.cached_build(key, lambda: b"one") == b"one"
        assert caching.cached_build(key, lambda: b"two") == b"one"


@pytest.fixture
def project_redis_cache(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The cache settings.py configures with REDIS_URL (core/redis_cache.py), under a prefix
    of this test's own."""
    if not _redis_answers():
        pytest.skip("no Redis server answers at " + REDIS_URL)
    redis_caches = {
        "default": {
            "BACKEND": "tashawur.core.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"tashawur-test-{uuid.uuid4().hex}",
        }
    }
    with override_settings(CACHES=redis_caches):
        from django.core.cache import caches

        caches.close_all()
        yield caches["default"]
        caches.close_all()


def _commands_counted(monkeypatch: pytest.MonkeyPatch, backend: Any) -> list[str]:
    """The Redis commands ``backend`` sends from now on (its one client object per pool)."""
    client = backend._cache.get_client(write=True)
    sent: list[str] = []
    execute = client.execute_command

    def counted(*args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return execute(*args, **options)

    monkeypatch.setattr(client, "execute_command", counted)
    return sent


@pytest.mark.usefixtures("frozen_rate_windows")
def test_on_redis_a_limit_counts_in_one_round_trip(
    monkeypatch: pytest.MonkeyPatch, project_redis_cache: Any
) -> None:
    sent = _commands_counted(monkeypatch, project_redis_cache)
    request = _request()
    with override_settings(TASHAWUR_RATE_VOTES="2/m"):
        # Once per server: the script is loaded (it is run by its hash after).
        request.user = type("U", (), {"pk": 41, "is_authenticated": True})()
        limits.vote_limited(request)
        sent.clear()
        request.user = type("U", (), {"pk": 42, "is_authenticated": True})()
        results = [limits.vote_limited(request) for _ in range(3)]
    assert results[:2] == [None, None]
    assert results[2] is not None and 1 <= results[2].retry_after <= 30
    # django-ratelimit's add then incr cost three (Django's incr asks whether the key exists).
    assert len(sent) == 3, sent


@pytest.mark.usefixtures("frozen_rate_windows")
def test_on_redis_the_counter_is_django_ratelimits_own(project_redis_cache: Any) -> None:
    """The same key, value and expiry as django-ratelimit's add + incr: what it reads (the
    network lock after failed sign-ins reads without counting) is what was counted."""
    import django_ratelimit.core

    request = _request("198.51.100.9")
    request.user = type("U", (), {"pk": 7, "is_authenticated": False})()
    with override_settings(TASHAWUR_LOGIN_FAILURES_PER_IP=3, TASHAWUR_LOGIN_COOLOFF_MINUTES=2):
        assert limits.login_network_failure(request) is None
        assert limits.login_network_failure(request) is None
        assert limits.login_network_locked(request) is None
        # django-ratelimit counting the same key carries on from our count, and ours from its.
        usage = django_ratelimit.core.get_usage(
            request,
            group="login-failures",
            key=limits.client_network_key,
            rate="3/2m",
            increment=True,
        )
        assert usage is not None and usage["count"] == 3
        locked = limits.login_network_locked(request)
        assert locked is not None and 1 <= locked.retry_after <= 30
        assert limits.login_network_failure(request) is not None

    # The counter lives the window and django-ratelimit's fudge, as its add sets it, and a
    # later count leaves that expiry as it was.
    window = django_ratelimit.core._get_window("198.51.100.9", 120)
    key = django_ratelimit.core._make_cache_key(
        "login-failures", window, "3/2m", "198.51.100.9", django_ratelimit.core.ALL
    )
    raw_key = project_redis_cache.make_and_validate_key(key)
    client = project_redis_cache._cache.get_client(write=True)
    assert project_redis_cache.get(key) == 4
    assert 120 < client.ttl(raw_key) <= 120 + django_ratelimit.core.EXPIRATION_FUDGE


@pytest.mark.usefixtures("frozen_rate_windows")
def test_on_redis_a_counter_created_keeps_its_expiry(project_redis_cache: Any) -> None:
    request = _request()
    request.user = type("U", (), {"pk": 43, "is_authenticated": True})()
    client = project_redis_cache._cache.get_client(write=True)
    with override_settings(TASHAWUR_RATE_VOTES="5/m"):
        limits.vote_limited(request)
        (raw_key,) = client.keys(f"{project_redis_cache.key_prefix}*")
        client.expire(raw_key, 7)  # as if the window were nearly over
        limits.vote_limited(request)
    assert 0 < client.ttl(raw_key) <= 7
    assert int(client.get(raw_key)) == 2
