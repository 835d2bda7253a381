"""The map steps on a Dask ``distributed`` cluster of separate processes on loopback — a
scheduler and two one-thread workers started with the ``dask`` commands — give the same result
as the local executor, with the real ``use`` encoder: the map functions and their arguments
(cleaner, identifier, embedder, chunks) travel by pickle and run in other interpreters."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tashawur.synthesis import SynthesisResult, Synthesizer

from .corpus import records
from .dask_cluster import dask_cluster

distributed = pytest.importorskip("distributed")


def outcome(result: SynthesisResult) -> dict[str, Any]:
    """What a run decided, without its timings or floating-point scores: each contribution's
    finding and theme, the findings (members, duplicates, labels, titles, representatives), the
    themes and the duplicate groups."""
    return {
        "assignments": result.assignments,
        "findings": [
            (
                f.id,
                f.theme,
                f.size,
                f.member_ids,
                f.duplicate_count,
                f.representative_ids,
                f.label_ar,
                f.label_fr,
                f.title_ar,
                f.title_fr,
            )
            for f in result.findings
        ],
        "themes": [(t.id, t.finding_ids, t.label_ar, t.label_fr) for t in result.themes],
        "duplicates": result.duplicates,
        "warnings": result.warnings,
    }


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with dask_cluster(tmp_path_factory.mktemp("dask"), workers=2) as address:
        yield address


def test_scheduler_and_two_worker_processes_give_the_local_result_with_use(
    scheduler: str,
) -> None:
    rows = records(("ar", "ary", "fr", "ary-Latn"))
    local = Synthesizer(chunk_size=4, random_state=0).run(rows)
    with distributed.Client(scheduler, set_as_default=False) as client:
        pids = client.run(os.getpid)
        with distributed.get_task_stream(client) as stream:
            remote = Synthesizer(
                chunk_size=4, random_state=0, executor=client.get_executor(pure=False)
            ).run(rows)

    # Two worker processes, neither of them this one, and both took map tasks.
    assert len(set(pids.values())) == 2
    assert os.getpid() not in pids.values()
    ran_on = {task["worker"] for task in stream.data}
    assert ran_on == set(pids)
    assert remote.parameters["embedder"] == "use"
    assert outcome(remote) == outcome(local)


def test_a_fitted_embedder_travels_to_the_worker_processes(scheduler: str) -> None:
    # The lexical embedder is fitted in this process, then pickled with its vocabulary and SVD.
    rows = records(("ar", "fr"))
    local = Synthesizer(embedder="lexical", chunk_size=3).run(rows)
    with distributed.Client(scheduler, set_as_default=False) as client:
        remote = Synthesizer(
            embedder="lexical", chunk_size=3, executor=client.get_executor(pure=False)
        ).run(rows)
    assert outcome(remote) == outcome(local)
