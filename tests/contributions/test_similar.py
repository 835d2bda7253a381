"""“Already said”: the search behind the suggestions (contributions/similar.py), on a small
fixed corpus: the first round table of the demo consultation, in MSA, Darija, French and
Amazigh (src/tashawur/demo/data/contributions.yaml)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from tashawur.contributions import similar
from tashawur.contributions.models import Contribution, ModerationStatus
from tests.actors.factories import ParticipantFactory
from tests.consultations.factories import WorkshopFactory
from tests.contributions.factories import ContributionFactory, VoteFactory

pytestmark = pytest.mark.django_db

DEMO = Path(similar.__file__).parents[1] / "demo" / "data" / "contributions.yaml"
# The query: a Darija challenge ("the new cooperatives law asks us for lots of papers and
# accounts, and we cannot pay an accountant") whose French paraphrase (complying with law 112-12
# costs small cooperatives dearly: an accountant, registers, minutes) is in the corpus; the
# query itself is left out of it.
QUERY_KEY = "ess-026"
FRENCH_PARAPHRASE = "ess-027"


def _demo_rows() -> list[dict[str, str]]:
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    rows: list[dict[str, str]] = data["workshops"][0]["contributions"]
    return rows


@pytest.fixture
def corpus() -> dict[str, Contribution]:
    workshop = WorkshopFactory()
    by_key = {}
    for row in _demo_rows():
        if row["key"] == QUERY_KEY:
            continue
        by_key[row["key"]] = ContributionFactory(
            workshop=workshop,
            text=row["text"],
            language=row["language"],
            translation_fr=row.get("translation_fr") or "",
            dimension=row["dimension"],
        )
    return by_key


def _query() -> str:
    return next(r["text"] for r in _demo_rows() if r["key"] == QUERY_KEY)


def test_a_darija_text_finds_its_french_paraphrase(corpus):
    consultation_id = corpus[FRENCH_PARAPHRASE].consultation_id

    found = similar.similar_contributions(consultation_id=consultation_id, text=_query())

    assert 1 <= len(found) <= similar.SUGGESTIONS
    assert corpus[FRENCH_PARAPHRASE] in [s.contribution for s in found]
    similarities = [s.similarity for s in found]
    assert similarities == sorted(similarities, reverse=True)


def test_own_voted_unpublished_and_other_consultations_are_left_out(corpus):
    target = corpus[FRENCH_PARAPHRASE]
    consultation_id = target.consultation_id
    first = similar.similar_contributions(consultation_id=consultation_id, text=_query())
    shown = [s.contribution for s in first]
    reader = ParticipantFactory()
    # The reader wrote the first, voted on the second; the third is withdrawn from publication.
    Contribution.objects.filter(pk=shown[0].pk).update(author=reader)
    if len(shown) > 1:
        VoteFactory(contribution=shown[1], participant=reader)
    if len(shown) > 2:
        Contribution.objects.filter(pk=shown[2].pk).update(
            moderation_status=ModerationStatus.PENDING
        )
    # The same text in another consultation is never suggested.
    elsewhere = ContributionFactory(text=target.text, language=target.language)

    again = similar.similar_contributions(
        consultation_id=consultation_id, text=_query(), participant=reader
    )

    ids = {s.contribution.pk for s in again}
    assert not ids & {c.pk for c in shown}
    assert elsewhere.pk not in ids
    assert len(again) <= similar.SUGGESTIONS


def test_short_texts_get_nothing_and_long_ones_are_cut(corpus, monkeypatch):
    consultation_id = corpus[FRENCH_PARAPHRASE].consultation_id
    assert similar.similar_contributions(consultation_id=consultation_id, text="  قصير جدا ") == []
    seen = []
    embed_query = similar.embed_query
    monkeypatch.setattr(similar, "embed_query", lambda t: seen.append(t) or embed_query(t))
    similar.similar_contributions(consultation_id=consultation_id, text=_query() * 50)
    assert len(seen[0]) == similar.MAX_QUERY_CHARS


def test_the_index_follows_publication_and_embeds_new_ones_within_its_budget(corpus):
    consultation_id = corpus[FRENCH_PARAPHRASE].consultation_id
    index = similar.similar_index(consultation_id, budget=None)
    published = Contribution.objects.filter(consultation_id=consultation_id).count()
    assert len(index.ids) == published == len(corpus)
    assert index.centred.shape == (published, similar.DIM)
    assert np.allclose(np.linalg.norm(index.centred, axis=1), 1, atol=1e-3)

    workshop = corpus[FRENCH_PARAPHRASE].workshop
    added = [ContributionFactory(workshop=workshop) for _ in range(3)]
    Contribution.objects.filter(pk=corpus["ess-001"].pk).update(
        moderation_status=ModerationStatus.REJECTED
    )
    index = similar.similar_index(consultation_id, budget=2)
    assert corpus["ess-001"].pk not in index.ids
    assert sum(c.pk in index.ids for c in added) == 2  # the rest at the next request
    assert index.signature is None
    index = similar.similar_index(consultation_id, budget=2)
    assert all(c.pk in index.ids for c in added)
    assert index.signature is not None


def test_the_index_is_saved_and_read_back(corpus, settings, tmp_path):
    settings.TASHAWUR_SIMILAR_DIR = str(tmp_path)
    consultation_id = corpus[FRENCH_PARAPHRASE].consultation_id
    built = similar.similar_index_build.call(consultation_id=consultation_id)
    assert built == len(corpus)
    assert list(tmp_path.glob("*.npz"))
    similar.similar_index_forget()

    loaded = similar.similar_index(consultation_id, budget=0)

    assert len(loaded.ids) == len(corpus)
    assert loaded.signature is not None  # complete: nothing left to embed
    found = similar.similar_contributions(consultation_id=consultation_id, text=_query())
    assert corpus[FRENCH_PARAPHRASE] in [s.contribution for s in found]
