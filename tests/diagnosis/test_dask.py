"""A synthesis run whose map steps run on a Dask cluster (``TASHAWUR_DASK_SCHEDULER``): a
scheduler and two worker processes on loopback store the same findings as the local executor; a
scheduler that does not answer fails the run with a message on the diagnosis page; ``check``
warns when the setting is set without Dask installed."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import checks
from django.test import Client, override_settings

from tashawur.diagnosis.models import Finding, FindingContribution, SynthesisRun
from tashawur.diagnosis.services import executors
from tests.consultations.factories import analyst_of
from tests.synthesis.dask_cluster import dask_cluster

from .conftest import Corpus, corpus_build, run_execute

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.django_db

UNREACHABLE = (
    "The last synthesis run failed: the Dask cluster it runs on did not answer. Start its "
    "scheduler, or empty the TASHAWUR_DASK_SCHEDULER setting, then run the synthesis again."
)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with dask_cluster(tmp_path_factory.mktemp("dask"), workers=2) as address:
        yield address


def client_workers(address: str) -> list[str]:
    with distributed.Client(address, set_as_default=False) as client:
        return list(client.scheduler_info()["workers"])


def findings_stored(corpus: Corpus, run: SynthesisRun) -> list[tuple[Any, ...]]:
    """The run's findings as stored, with contributions named by their corpus key (the two
    corpora compared hold the same texts under other ids)."""
    names = {c.pk: key for key, c in corpus.by_key.items()} | {corpus.copy.pk: "copy"}
    members: dict[int, list[tuple[str, str | None]]] = {}
    for citation in FindingContribution.objects.filter(run=run):
        members.setdefault(citation.finding_id, []).append(
            (names[citation.contribution_id], names.get(citation.duplicate_of_id or 0))
        )
    return [
        (
            f.key,
            f.theme_key,
            f.label_ar,
            f.label_fr,
            f.theme_label_ar,
            f.theme_label_fr,
            f.title_borrowed_from,
            {lang: names[int(pk)] for lang, pk in f.title_sources.items()},
            f.size,
            f.duplicate_count,
            f.dimension,
            f.position,
            sorted(members[f.pk]),
        )
        for f in Finding.objects.filter(run=run).order_by("position")
    ]


def test_a_run_on_the_dask_cluster_stores_the_findings_of_a_local_run(scheduler: str) -> None:
    local_corpus, dask_corpus = corpus_build(), corpus_build()
    # On the cluster first: the local run then finds the texts' languages stored by it (the
    # language cache), but embeds them itself.
    with (
        distributed.Client(scheduler, set_as_default=False) as client,
        distributed.get_task_stream(client) as stream,
        override_settings(TASHAWUR_DASK_SCHEDULER=scheduler),
    ):
        on_dask = run_execute(dask_corpus)
    local = run_execute(local_corpus)

    assert local.status == on_dask.status == SynthesisRun.Status.SUCCEEDED
    # The map steps (one chunk each at this size) ran on the cluster's workers.
    assert stream.data
    assert {task["worker"] for task in stream.data} <= set(client_workers(scheduler))
    stored = findings_stored(dask_corpus, on_dask)
    assert stored == findings_stored(local_corpus, local)
    assert len(stored) >= 4


def test_the_executor_runs_every_call_even_with_equal_arguments(scheduler: str) -> None:
    # Dask's default ("pure" tasks keyed by a hash of function and arguments) handed one call's
    # result to another: at 5,000 texts the findings differed from the local run's.
    with (
        override_settings(TASHAWUR_DASK_SCHEDULER=scheduler),
        executors.synthesis_executor() as executor,
    ):
        assert executor is not None
        first, second = executor.map(lambda _: uuid.uuid4().hex, [0, 0])
    assert first != second


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_run_fails_saying_so_when_the_scheduler_does_not_answer(
    corpus: Corpus, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(executors, "DASK_CONNECT_SECONDS", 1.0)
    address = f"tcp://127.0.0.1:{closed_port()}"
    with override_settings(TASHAWUR_DASK_SCHEDULER=address):
        run = run_execute(corpus)

    assert run.status == SynthesisRun.Status.FAILED
    assert run.error_code == "dask_unreachable"
    assert run.error_message.startswith(f"the Dask scheduler at {address} did not answer")
    assert not Finding.objects.filter(run=run).exists()
    client.force_login(analyst_of(corpus.consultation))
    html = client.get(f"/en/c/{corpus.consultation.slug}/diagnosis/").content.decode()
    assert UNREACHABLE in html


def test_a_run_fails_saying_so_when_dask_is_not_installed(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(executors, "dask_installed", lambda: False)
    with override_settings(TASHAWUR_DASK_SCHEDULER="tcp://127.0.0.1:8786"):
        run = run_execute(corpus)

    assert run.status == SynthesisRun.Status.FAILED
    assert run.error_code == "dask_missing"


def test_without_a_scheduler_the_run_uses_the_local_executor(corpus: Corpus) -> None:
    with executors.synthesis_executor() as executor:
        assert executor is None
    assert run_execute(corpus).status == SynthesisRun.Status.SUCCEEDED


def warnings_of_check() -> list[str]:
    return [message.id or "" for message in checks.run_checks()]


def test_check_warns_when_the_scheduler_is_set_without_dask(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(executors, "dask_installed", lambda: False)
    assert "tashawur.diagnosis.W001" not in warnings_of_check()
    with override_settings(TASHAWUR_DASK_SCHEDULER="tcp://127.0.0.1:8786"):
        assert "tashawur.diagnosis.W001" in warnings_of_check()


def test_check_is_quiet_when_the_scheduler_is_set_and_dask_installed() -> None:
    with override_settings(TASHAWUR_DASK_SCHEDULER="tcp://127.0.0.1:8786"):
        assert "tashawur.diagnosis.W001" not in warnings_of_check()
