"""The map steps on other executors: a Dask distributed LocalCluster (kept small: one thread
worker) and a local process pool."""

import pytest

from tashawur.synthesis import Synthesizer

from .corpus import records

distributed = pytest.importorskip("distributed")


def test_map_steps_run_on_a_dask_local_cluster_with_the_same_result():
    rows = records(("ar", "ary", "fr", "ary-Latn"))
    local = Synthesizer(embedder="lexical", chunk_size=4).run(rows)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = Synthesizer(embedder="lexical", chunk_size=4, executor=client.get_executor()).run(
            rows
        )
    assert remote.assignments == local.assignments
    assert [f.member_ids for f in remote.findings] == [f.member_ids for f in local.findings]


def test_map_steps_run_on_a_process_pool_with_the_same_result():
    from concurrent.futures import ProcessPoolExecutor

    rows = records(("ar", "fr"))
    local = Synthesizer(embedder="lexical", chunk_size=3).run(rows)
    with ProcessPoolExecutor(max_workers=2) as pool:
        pooled = Synthesizer(embedder="lexical", chunk_size=3, executor=pool).run(rows)
    assert pooled.assignments == local.assignments
