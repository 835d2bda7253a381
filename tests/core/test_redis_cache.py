"""The Redis cache backend keeps one client object per connection pool (core/redis_cache.py)."""

from __future__ import annotations

from tashawur.core.redis_cache import RedisCache


def test_every_call_gets_the_same_client_of_its_pool() -> None:
    # Building a client opens no connection: no Redis server is needed here.
    backend = RedisCache("redis://127.0.0.1:6379/15", {})
    client = backend._cache

    first = client.get_client("a-key")

    assert client.get_client("another-key") is first
    # One server: reads and writes share its pool, so its client too.
    assert client.get_client("a-key", write=True) is first


def test_each_server_has_its_own_client() -> None:
    backend = RedisCache("redis://127.0.0.1:6379/15,redis://127.0.0.1:6380/15", {})
    client = backend._cache

    writer = client.get_client(write=True)
    reader = client.get_client()

    assert reader is not writer
    assert reader.connection_pool is not writer.connection_pool
    assert client.get_client() is reader
