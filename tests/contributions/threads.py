"""Run a function in several real threads at once, each with its own database connection."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def run_concurrently(fn: Callable[[int], Any], n: int) -> list[Any]:
    """Call ``fn(i)`` for i in range(n) in n threads released together; return the results
    (an exception raised in a thread is returned in its place)."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = fn(i)
        except BaseException as exc:  # handed back to the test to assert on
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
