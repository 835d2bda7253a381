"""Incremental synthesis runs: vectors stored across runs (only new or edited texts are
embedded), votes read in one pass, and a debounced refresh queued when a workshop closes."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Sequence

import numpy as np
import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tashawur.consultations.models import Workshop
from tashawur.consultations.services import workshop_close
from tashawur.contributions.models import Contribution, Vote
from tashawur.diagnosis.models import Finding, FindingContribution, SynthesisRun, TextEmbedding
from tashawur.diagnosis.services import embeddings, runs, storing
from tashawur.diagnosis.services.embeddings import StoredEmbeddingCache
from tashawur.synthesis import Synthesizer
from tests.consultations.factories import WorkshopFactory, analyst_of
from tests.contributions.factories import ContributionFactory
from tests.synthesis.corpus import IDEAS

from .conftest import Corpus, run_now, votes_cast

pytestmark = pytest.mark.django_db

DIM = 32


class CountingEmbedder:
    """A deterministic encoder (not fitted on the run's texts) that records what it embeds:
    a text's vector is the normalised sum of one pseudo-random vector per word."""

    name = "counting"
    dim = DIM
    same_idea_similarity = 0.3
    paraphrase_similarity = 0.95

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed(self, texts: Sequence[str], languages: Sequence[str]) -> np.ndarray:
        self.embedded.extend(texts)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split() or [""]:
                seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "little")
                out[row] += np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
        return out


def records(extra: int = 0) -> list[dict[str, str]]:
    out = [
        {"id": f"{idea}-{language}", "text": texts[language], "language": language}
        for idea, texts in IDEAS.items()
        for language in ("ar", "fr")
    ]
    out += [
        {"id": f"new-{n}", "text": f"Une remarque nouvelle numéro {n} sur l'eau du village"}
        for n in range(extra)
    ]
    return out


def stored() -> StoredEmbeddingCache:
    return StoredEmbeddingCache(model="counting", dim=DIM)


def fit(embedder: CountingEmbedder, data: list[dict[str, str]], cache=None, previous=None):
    return Synthesizer(embedder=embedder, cache=cache, random_state=0).fit(data, previous=previous)


def partition(result) -> set[frozenset[str]]:
    members: dict[str, set[str]] = {}
    for row in result.assignments:
        members.setdefault(str(row["finding"]), set()).add(str(row["id"]))
    return {frozenset(m) for m in members.values()}


def test_a_second_run_embeds_only_the_new_texts() -> None:
    first = CountingEmbedder()
    fit(first, records(), cache=stored())
    assert len(first.embedded) == len(records())
    assert TextEmbedding.objects.filter(model="counting").count() == len(records())

    second = CountingEmbedder()
    cache = stored()
    fit(second, records(extra=2), cache=cache)

    assert sorted(second.embedded) == sorted(r["text"] for r in records(extra=2)[-2:])
    assert (cache.hits, cache.misses, cache.saved) == (len(records()), 2, 2)
    assert TextEmbedding.objects.count() == len(records()) + 2


def test_an_edited_text_gets_a_new_vector() -> None:
    fit(CountingEmbedder(), records(), cache=stored())
    edited = records()
    edited[0] = {**edited[0], "text": edited[0]["text"] + " وهذا مشكل كبير"}

    again = CountingEmbedder()
    fit(again, edited, cache=stored())

    assert again.embedded == [edited[0]["text"]]
    row = TextEmbedding.objects.latest("pk")
    assert row.dim == DIM
    vector = np.frombuffer(bytes(row.vector), dtype="<f4")
    assert np.allclose(vector, CountingEmbedder().embed([edited[0]["text"]], ["ar"])[0], atol=1e-6)


def test_two_runs_saving_the_same_vectors_at_once_do_not_fail() -> None:
    one, two = stored(), stored()
    keys = [f"{n:064x}" for n in range(3)]
    one.prefetch(keys)
    two.prefetch(keys)  # both read before either wrote
    for n, key in enumerate(keys):
        vector = np.full(DIM, n, dtype=np.float32)
        one.put(key, vector)
        two.put(key, vector)
    one.save()
    two.save()

    assert TextEmbedding.objects.filter(key__in=keys).count() == 3
    three = stored()
    three.prefetch(keys)
    assert np.allclose(three.get(keys[2]), 2.0)


def test_a_vector_of_another_encoder_version_is_replaced() -> None:
    key = "a" * 64
    TextEmbedding.objects.create(
        key=key, model="counting-v0", dim=DIM, vector=np.ones(DIM, "<f4").tobytes()
    )
    cache = stored()
    cache.prefetch([key])
    assert cache.get(key) is None
    cache.put(key, np.zeros(DIM, dtype=np.float32))
    cache.save()

    assert TextEmbedding.objects.get(key=key).model == "counting"


def test_results_with_the_stored_vectors_equal_those_without() -> None:
    data = records(extra=3)
    plain = fit(CountingEmbedder(), data)
    fit(CountingEmbedder(), data[:-3], cache=stored())  # the earlier run stored most vectors
    cached = fit(CountingEmbedder(), data, cache=stored())

    assert np.allclose(plain.embeddings_, cached.embeddings_, atol=1e-6)
    assert partition(plain.result_) == partition(cached.result_)
    assert len(plain.result_.themes) == len(cached.result_.themes)


def test_lexical_runs_are_given_no_stored_cache() -> None:
    assert embeddings.synthesis_cache("lexical") is None
    assert embeddings.synthesis_cache("use") is not None


def test_a_use_run_stores_its_vectors_and_the_next_embeds_only_the_new(
    corpus: Corpus, settings, monkeypatch
) -> None:
    from tashawur.synthesis._embed import USEEmbedder

    settings.TASHAWUR_SYNTHESIS_EMBEDDER = "use"
    embedded: list[str] = []
    original = USEEmbedder.embed

    def counting(self, texts, languages):
        embedded.extend(texts)
        return original(self, texts, languages)

    monkeypatch.setattr(USEEmbedder, "embed", counting)
    run_now(corpus)
    assert TextEmbedding.objects.filter(model=embeddings.encoder_version("use")).exists()

    embedded.clear()
    new = ContributionFactory(
        workshop=corpus.workshops[0], text="الطريق إلى السوق مليئة بالحفر", language="ar"
    )
    run_now(corpus)

    assert embedded == [new.text]


def test_votes_are_read_as_columns_and_give_the_opinion_map(corpus: Corpus) -> None:
    votes_cast(corpus)
    inputs = storing.inputs_read(corpus.consultation)

    assert isinstance(inputs.votes, storing.VoteColumns)
    assert len(inputs.votes) == 60  # ten voters, six proposals
    assert set(inputs.votes.values) == {1, -1}
    expected = sorted(Vote.objects.values_list("participant_id", "contribution_id", "value"))
    columns = inputs.votes
    rows = zip(columns.participants, columns.statements, columns.values, strict=True)
    assert sorted(rows) == expected
    # The same matrix as the one the library builds from string ids.
    from tashawur.synthesis.opinions import vote_matrix

    by_strings = vote_matrix(
        [str(p) for p in columns.participants],
        [str(c) for c in columns.statements],
        list(columns.values),
        timestamps=list(columns.timestamps),
    )
    by_arrays = vote_matrix(
        np.frombuffer(columns.participants, dtype=np.int64),
        np.frombuffer(columns.statements, dtype=np.int64),
        np.frombuffer(columns.values, dtype=np.int8),
        timestamps=np.frombuffer(columns.timestamps, dtype=np.float64),
    )
    assert by_arrays.participant_ids == by_strings.participant_ids
    assert by_arrays.statement_ids == by_strings.statement_ids
    assert (by_arrays.votes != by_strings.votes).nnz == 0
    opinions = runs._opinion_map(inputs.votes)
    assert opinions is not None
    assert opinions.n_groups_ >= 2


# -- a debounced refresh when a workshop closes -------------------------------------------------


@pytest.fixture
def database_tasks(settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}
    settings.TASHAWUR_RUN_DEBOUNCE_SECONDS = 120


def test_closing_two_workshops_queues_one_deferred_run(
    corpus: Corpus, database_tasks: None, django_capture_on_commit_callbacks
) -> None:
    run_now(corpus)
    for workshop in corpus.workshops:
        with django_capture_on_commit_callbacks(execute=True):
            workshop_close(workshop=workshop, closing_report="Compte rendu de la table.")

    pending = SynthesisRun.objects.filter(
        consultation=corpus.consultation, status=SynthesisRun.Status.QUEUED
    )
    assert pending.count() == 1
    task = DBTaskResult.objects.get()
    assert str(task.id) == pending.get().task_id
    assert task.run_after > timezone.now() + dt.timedelta(seconds=60)


def test_closing_a_workshop_before_any_synthesis_queues_nothing(
    corpus: Corpus, database_tasks: None, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        workshop_close(workshop=corpus.workshops[0], closing_report="Compte rendu de la table.")

    assert not SynthesisRun.objects.exists()
    assert Workshop.objects.get(pk=corpus.workshops[0].pk).status == Workshop.Status.CLOSED


def test_a_closed_workshop_refresh_runs_incrementally(
    corpus: Corpus, django_capture_on_commit_callbacks
) -> None:
    first = run_now(corpus)
    extra = WorkshopFactory(meeting=corpus.workshops[0].meeting)
    ContributionFactory(workshop=extra, text="Il faut un bus scolaire pour le douar")
    with django_capture_on_commit_callbacks(execute=True):  # immediate backend: runs at once
        workshop_close(workshop=extra, closing_report="Compte rendu de la table.")

    latest = SynthesisRun.objects.exclude(pk=first.pk).get()
    assert latest.status == SynthesisRun.Status.SUCCEEDED
    assert latest.contributions_count == Contribution.objects.published().count()


# -- pruning ------------------------------------------------------------------------------------


def test_pruning_deletes_the_vectors_no_contribution_uses(corpus: Corpus) -> None:
    from django.core.management import call_command

    from tashawur.synthesis._embed import content_key

    version = embeddings.encoder_version("use")
    water = corpus.by_key["water-ar"]
    used = content_key("use", water.text)
    translated = content_key("use", corpus.by_key["water-zgh"].translation_fr)
    for key, model in ((used, version), (translated, version), ("0" * 64, version)):
        TextEmbedding.objects.create(key=key, model=model, dim=2, vector=b"\0" * 8)
    TextEmbedding.objects.create(key="1" * 64, model="use/old", dim=2, vector=b"\0" * 8)

    out = io.StringIO()
    call_command("prune_embeddings", stdout=out)

    assert "Deleted 2 " in out.getvalue()

    assert set(TextEmbedding.objects.values_list("key", flat=True)) == {used, translated}
    Contribution.objects.filter(pk=water.pk).update(text="نص معدل")
    Contribution.objects.filter(pk=corpus.copy.pk).update(text="نص آخر")  # the same text
    assert embeddings.embeddings_prune() == 1
    assert set(TextEmbedding.objects.values_list("key", flat=True)) == {translated}


def test_an_analyst_request_starts_a_waiting_refresh_at_once(
    corpus: Corpus, database_tasks: None, django_capture_on_commit_callbacks
) -> None:
    run_now(corpus)
    with django_capture_on_commit_callbacks(execute=True):
        workshop_close(workshop=corpus.workshops[0], closing_report="Compte rendu de la table.")
    with django_capture_on_commit_callbacks(execute=True):
        run = runs.synthesis_run_request(
            consultation=corpus.consultation, user=analyst_of(corpus.consultation)
        )

    assert SynthesisRun.objects.filter(status=SynthesisRun.Status.QUEUED).get() == run
    run.refresh_from_db()
    now_task = DBTaskResult.objects.get(pk=run.task_id)
    assert now_task.run_after <= timezone.now() or now_task.run_after.year == 9999
    assert DBTaskResult.objects.count() == 2


# -- storing a refresh ----------------------------------------------------------------------------

_KEPT = (
    "key",
    "theme_key",
    "label_ar",
    "label_fr",
    "title_borrowed_from",
    "title_sources",
    "size",
    "duplicate_count",
    "dimension",
    "dimension_counts",
    "status",
    "merged_into_id",
    "title_override_ar",
    "title_override_fr",
)


def _stored(run: SynthesisRun) -> dict[str, tuple]:
    return {row[0]: row for row in Finding.objects.filter(run=run).values_list(*_KEPT)}


def _cited(run: SynthesisRun) -> dict[str, set[tuple[int, int | None]]]:
    out: dict[str, set[tuple[int, int | None]]] = {}
    for key, contribution, duplicate_of in FindingContribution.objects.filter(run=run).values_list(
        "finding__key", "contribution_id", "duplicate_of_id"
    ):
        out.setdefault(key, set()).add((contribution, duplicate_of))
    return out


def test_a_refresh_with_nothing_new_stores_the_same_findings_and_citations(
    corpus: Corpus,
) -> None:
    first = run_now(corpus)
    again = run_now(corpus)

    assert _stored(again) == _stored(first)
    assert _cited(again) == _cited(first)
    full = {
        key: row
        for key, *row in Finding.objects.filter(run=first).values_list(
            "key", "key_phrases_ar", "key_phrases_fr", "profiles", "position"
        )
    }
    assert {
        key: row
        for key, *row in Finding.objects.filter(run=again).values_list(
            "key", "key_phrases_ar", "key_phrases_fr", "profiles", "position"
        )
    } == full
    ranked = set(
        FindingContribution.objects.filter(run=first, rank__isnull=False).values_list(
            "finding__key", "contribution_id", "rank"
        )
    )
    assert ranked and ranked == set(
        FindingContribution.objects.filter(run=again, rank__isnull=False).values_list(
            "finding__key", "contribution_id", "rank"
        )
    )


def test_a_text_joining_one_finding_changes_only_that_finding_and_the_page_shows_it(
    corpus: Corpus, client
) -> None:
    first = run_now(corpus)
    water = corpus.by_key["water-fr"]
    joined = Finding.objects.get(run=first, contributions=water)
    new = ContributionFactory(
        workshop=corpus.workshops[0],
        dimension=water.dimension,
        text=water.text + " Depuis une semaine personne ne répare les canalisations du douar.",
        language="fr",
    )

    again = run_now(corpus)

    before, after = _stored(first), _stored(again)
    cited_before, cited_after = _cited(first), _cited(again)
    assert new.pk in {contribution for contribution, _ in cited_after[joined.key]}
    assert after[joined.key][6] == before[joined.key][6] + 1  # its size
    unchanged = set(before) - {joined.key}
    assert unchanged
    for key in unchanged:
        assert after[key] == before[key]
        assert cited_after[key] == cited_before[key]
    page = client.get(
        f"/fr/c/{corpus.consultation.slug}/diagnosis/findings/"
        f"{Finding.objects.get(run=again, key=joined.key).pk}/"
    )
    assert page.status_code == 200
    assert "personne ne répare les canalisations du douar" in page.content.decode()


def test_a_refresh_with_nothing_curated_reads_no_citation_to_carry_curation_over(
    corpus: Corpus,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tashawur.diagnosis.services.carry_over import curation_carry_over

    first = run_now(corpus)
    again = run_now(corpus)

    with CaptureQueriesContext(connection) as queries:
        out = curation_carry_over(run=again, previous=first)

    assert (out.carried, out.issues, out.entries_repointed) == ([], [], 0)
    table = FindingContribution._meta.db_table
    assert not [q["sql"] for q in queries if table in q["sql"]]


def test_the_run_reads_each_contributions_province_theme_translation_and_language() -> None:
    from tashawur.contributions.models import Language
    from tashawur.territories.models import Territory
    from tests.actors.factories import ParticipantFactory
    from tests.territories.factories import ProvinceFactory

    province, other = ProvinceFactory(), ProvinceFactory()
    commune = Territory.objects.create(
        code=f"{province.code}.01",
        level=Territory.Level.COMMUNE,
        kind=Territory.Kind.RURAL_COMMUNE,
        name_ar="جماعة",
        name_fr="Commune",
        parent=province,
    )
    workshop = WorkshopFactory()
    own = ContributionFactory(
        workshop=workshop, territory=commune, author=ParticipantFactory(territory=other)
    )
    authors = ContributionFactory(
        workshop=workshop,
        author=ParticipantFactory(territory=commune),
        translation_fr="Un guichet unique",
        language=Language.UNDETERMINED,
    )

    inputs = storing.inputs_read(workshop.meeting.consultation)

    by_id = {r["id"]: r for r in inputs.records}
    assert by_id[str(own.pk)]["province"] == province.code  # the commune's, not the author's
    assert by_id[str(authors.pk)]["province"] == province.code  # the author's commune's
    assert by_id[str(own.pk)]["theme"] == workshop.theme.slug
    assert by_id[str(own.pk)]["language"] == own.language
    assert by_id[str(own.pk)]["translation"] is None
    assert by_id[str(authors.pk)]["translation"] == "Un guichet unique"
    assert "language" not in by_id[str(authors.pk)]
    assert inputs.dimensions == {own.pk: own.dimension, authors.pk: authors.dimension}


def _vector_row(key: str, values: list[float], **fields) -> TextEmbedding:
    return TextEmbedding.objects.create(
        key=key, model="counting", dim=DIM, vector=np.array(values * DIM, "<f4").tobytes(), **fields
    )


def test_a_worker_reads_a_stored_vector_once_while_its_row_is_unchanged() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    key = hashlib.sha256(b"read once").hexdigest()
    _vector_row(key, [1.0])
    stored().prefetch([key])  # an earlier run of this process read it

    again = stored()
    with CaptureQueriesContext(connection) as queries:
        again.prefetch([key])

    assert np.allclose(again.get(key), 1.0)
    vector_column = connection.ops.quote_name("vector")
    assert not any(vector_column in q["sql"] for q in queries.captured_queries)


def test_a_remembered_vector_whose_row_went_is_not_used() -> None:
    key = hashlib.sha256(b"pruned").hexdigest()
    row = _vector_row(key, [1.0])
    pk, created_at = row.pk, row.created_at
    stored().prefetch([key])  # remembered by this process
    row.delete()  # pruned, or an insert rolled back

    gone = stored()
    gone.prefetch([key])
    assert gone.get(key) is None  # embedded again, and stored again

    # Inserted again under the same id (SQLite reuses the id of a rolled-back insert): another
    # row, whose vector is read.
    _vector_row(key, [2.0], pk=pk)
    TextEmbedding.objects.filter(pk=pk).update(created_at=created_at + dt.timedelta(1))
    again = stored()
    again.prefetch([key])
    assert np.allclose(again.get(key), 2.0)


def test_a_refresh_with_remembered_vectors_and_languages_equals_one_without(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tashawur.diagnosis.services import languages

    def keys(result) -> dict[str, object]:
        out = result.to_dict()
        out.pop("timings")
        return out

    data = records(extra=3)
    fit(CountingEmbedder(), data[:-3], cache=stored())
    language_cache = languages.synthesis_language_cache
    first = Synthesizer(
        embedder=CountingEmbedder(), cache=stored(), language_cache=language_cache()
    ).fit(data)
    # The same refresh in this process again: vectors and languages remembered...
    remembered = Synthesizer(
        embedder=CountingEmbedder(), cache=stored(), language_cache=language_cache()
    ).fit(data)
    # ... and read from the database by a process that remembers nothing.
    monkeypatch.setattr(embeddings, "_REMEMBERED_VECTORS", {})
    monkeypatch.setattr(languages, "_REMEMBERED", embeddings.RowMemo(languages.TextLanguage, 10))
    read = Synthesizer(
        embedder=CountingEmbedder(), cache=stored(), language_cache=language_cache()
    ).fit(data)

    assert keys(first.result_) == keys(remembered.result_) == keys(read.result_)


@pytest.mark.django_db(transaction=True)
def test_a_committed_row_read_by_a_worker_is_confirmed_from_its_key_and_id_alone() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    key = hashlib.sha256(b"committed").hexdigest()
    row = _vector_row(key, [1.0])  # committed: no transaction around this test
    stored().prefetch([key])

    again = stored()
    with CaptureQueriesContext(connection) as queries:
        again.prefetch([key])
    assert np.allclose(again.get(key), 1.0)
    assert not any("created_at" in q["sql"] for q in queries.captured_queries)

    row.delete()  # pruned
    gone = stored()
    gone.prefetch([key])
    assert gone.get(key) is None
