"""A Dask ``distributed`` cluster on loopback for the tests: a scheduler and worker processes
started with the ``dask scheduler`` and ``dask worker`` commands, as a deployment starts them
(docs/deployment.md, "Dask"), each a process of its own with one thread."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

#: How long the scheduler and its workers may take to start (a worker imports numpy and Dask).
START_SECONDS = 60
#: How long the processes may take to end after SIGTERM before they are killed.
STOP_SECONDS = 2


def dask_command() -> list[str]:
    """The ``dask`` command of the running interpreter's environment."""
    script = Path(sys.executable).with_name("dask")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dask"]


@contextmanager
def dask_cluster(directory: Path, *, workers: int = 2) -> Iterator[str]:
    """Start a scheduler on 127.0.0.1 (a free port) and ``workers`` one-thread worker processes;
    yield the scheduler's address once every worker has joined; stop them all afterwards."""
    import distributed

    scheduler_file = directory / "scheduler.json"
    # The BLAS of each worker on one thread, as the library's own pool runs it (a nanny sets
    # these too; the scheduler needs none).
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    with ExitStack() as stack:
        started: list[subprocess.Popen[bytes]] = []

        def start(name: str, args: list[str]) -> None:
            log = stack.enter_context((directory / f"{name}.log").open("wb"))
            process = subprocess.Popen(  # noqa: S603 (our own command line)
                [*dask_command(), *args], stdout=log, stderr=subprocess.STDOUT, env=env
            )
            started.append(process)

        def stop() -> None:
            # Workers first: a worker whose scheduler went away first keeps trying to reach it.
            # A worker without a nanny stops its work on SIGTERM, but `dask worker` closes only
            # nannies on a signal, so the worker's own close is cancelled and its process then
            # waits about 10 s for its task thread before it exits: they get STOP_SECONDS in
            # all, then SIGKILL (nothing of a test cluster is kept).
            for process in reversed(started):
                process.terminate()
            deadline = time.monotonic() + STOP_SECONDS
            for process in reversed(started):
                try:
                    process.wait(timeout=max(deadline - time.monotonic(), 0.1))
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

        stack.callback(stop)
        start(
            "scheduler",
            [
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(scheduler_file),
            ],
        )
        deadline = time.monotonic() + START_SECONDS
        while not scheduler_file.exists():
            if time.monotonic() > deadline or started[0].poll() is not None:
                raise RuntimeError(
                    "the Dask scheduler did not start: "
                    + (directory / "scheduler.log").read_text(errors="replace")[-2000:]
                )
            time.sleep(0.1)
        time.sleep(0.1)  # written in one go, but give the writer its close
        address = str(json.loads(scheduler_file.read_text())["address"])
        for n in range(workers):
            start(
                f"worker-{n}",
                [
                    "worker",
                    address,
                    "--nthreads",
                    "1",
                    # The worker process itself, without a nanny process watching it.
                    "--no-nanny",
                    "--no-dashboard",
                    "--name",
                    f"worker-{n}",
                    "--local-directory",
                    str(directory / f"worker-{n}"),
                ],
            )
        with distributed.Client(address, timeout=START_SECONDS, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=START_SECONDS)
        yield address
