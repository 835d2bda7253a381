"""Where a run's synthesis map steps execute: in the worker's own process (and its local pool),
or on a Dask ``distributed`` cluster when ``TASHAWUR_DASK_SCHEDULER`` names its scheduler.

The library takes any ``concurrent.futures.Executor`` (``Synthesizer(executor=...)``); a Dask
client's ``get_executor()`` is one. The map functions and their arguments (a cleaner, an
embedder, chunks of texts) travel to the workers by pickle, by reference to the installed
``tashawur`` package: the Dask workers run in an environment with the same version installed.

A scheduler that does not answer fails the run (``dask_unreachable``) rather than falling back
to the local machine: the setting says the worker machine is not sized for the map steps, and a
silent fallback would hide a dead cluster behind runs many times slower.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from typing import Any

from django.conf import settings

from tashawur.diagnosis.services.storing import SynthesisRunError

#: How long a run waits for the scheduler to answer before it fails.
DASK_CONNECT_SECONDS = 10.0


def dask_scheduler() -> str:
    """The address of the Dask scheduler of the synthesis map steps (``TASHAWUR_DASK_SCHEDULER``,
    read at call time), or ``""`` for the local executor."""
    return str(getattr(settings, "TASHAWUR_DASK_SCHEDULER", "") or "").strip()


def dask_installed() -> bool:
    """Whether Dask's ``distributed`` package can be imported (the ``dask`` extra)."""
    return importlib.util.find_spec("distributed") is not None


@contextmanager
def synthesis_executor() -> Iterator[Executor | None]:
    """The executor of a run's map steps for the duration of the block: ``None`` (the library's
    local default) without a scheduler, else a client of the scheduler, closed afterwards.

    Raises
    ------
    SynthesisRunError
        ``dask_missing`` when a scheduler is set but ``distributed`` is not installed;
        ``dask_unreachable`` when the scheduler does not answer within ``DASK_CONNECT_SECONDS``.
    """
    address = dask_scheduler()
    if not address:
        yield None
        return
    if not dask_installed():
        raise SynthesisRunError(
            "TASHAWUR_DASK_SCHEDULER is set but Dask's distributed package is not installed "
            "(install tashawur[dask])",
            code="dask_missing",
        )
    # Imported here: an optional dependency (the dask extra), typed loosely by its package.
    distributed: Any = importlib.import_module("distributed")
    try:
        client = distributed.Client(address, timeout=DASK_CONNECT_SECONDS, set_as_default=False)
    except (OSError, ValueError) as error:
        raise SynthesisRunError(
            f"the Dask scheduler at {address} did not answer: {error}"[:4000],
            code="dask_unreachable",
        ) from error
    try:
        # Not "pure": Dask would otherwise key each task by a hash of its function and chunk,
        # and hand one call's result to another whose arguments hash alike.
        yield client.get_executor(pure=False)
    finally:
        client.close()
