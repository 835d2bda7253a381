"""The Amazigh bridge: Tifinagh and Latin-script Amazigh text into the USE embedding space.

No encoder shipped on PyPI reads Tamazight, so Amazigh contributions without a translation would
otherwise cluster by script rather than by meaning. The bridge is a kernel ridge regression (a
linear kernel, solved in its dual form) from character n-grams of the Amazigh sentence to the
multilingual Universal Sentence Encoder embedding of its translations, learned on parallel
sentences (see ``scripts/train-amazigh-bridge`` and ``data/README.md``).

Both scripts share one model: Tifinagh is transliterated to Latin letters and Latin Amazigh is
folded to the same letters (no emphatic dots, no schwa), so Kabyle and Tamazight teach each other
the shared roots.

The dual form keeps the shipped file small: the training sentences' sparse n-gram vectors and one
coefficient row per sentence, instead of a dense (n-grams × 512) matrix.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import scipy.linalg
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["AmazighBridge", "amazigh_normalise"]

WEIGHTS_FILE = "amazigh_bridge.npz"
VOCABULARY_FILE = "amazigh_bridge.vocab.json"
FORMAT_VERSION = 1

# IRCAM Tifinagh (the Moroccan standard) plus the few extra letters met in practice, written with
# the Latin letters Kabyle uses, emphatic dots folded away.
_TIFINAGH_TO_LATIN = {
    "ⴰ": "a",
    "ⴱ": "b",
    "ⴳ": "g",
    "ⴷ": "d",
    "ⴹ": "d",
    "ⴻ": "e",
    "ⴼ": "f",
    "ⴽ": "k",
    "ⵀ": "h",
    "ⵃ": "h",
    "ⵄ": "ɛ",
    "ⵅ": "x",
    "ⵇ": "q",
    "ⵉ": "i",
    "ⵊ": "j",
    "ⵍ": "l",
    "ⵎ": "m",
    "ⵏ": "n",
    "ⵓ": "u",
    "ⵔ": "r",
    "ⵕ": "r",
    "ⵖ": "ɣ",
    "ⵙ": "s",
    "ⵚ": "s",
    "ⵛ": "c",
    "ⵜ": "t",
    "ⵟ": "t",
    "ⵡ": "w",
    "ⵢ": "y",
    "ⵣ": "z",
    "ⵥ": "z",
    "ⵒ": "p",
    "ⵠ": "v",
    "ⵯ": "w",  # labialisation mark: ⴳⵯ is gw
    "\u2d7f": "",  # consonant joiner
}
_LATIN_FOLD = {
    "ε": "ɛ",  # Greek epsilon, common in Kabyle typing
    "γ": "ɣ",  # Greek gamma
    "ǧ": "j",
    "č": "c",
}
_TRANSLATION = str.maketrans({**_TIFINAGH_TO_LATIN, **_LATIN_FOLD})
_DIGITS = re.compile(r"\d")
_SPACES = re.compile(r"\s+")


def amazigh_normalise(text: str) -> str:
    """Write Amazigh text, Tifinagh or Latin, in one folded Latin form.

    Lower case; Tifinagh transliterated; emphatic and other diacritics dropped (ḍ → d); schwa ``e``
    dropped, because IRCAM Tifinagh rarely writes it and Kabyle spelling always does; every digit
    written ``0`` so that numbers match by shape.

    Parameters
    ----------
    text : str
        An Amazigh sentence in Tifinagh or in Latin letters.

    Returns
    -------
    str
        The folded form, only used as input to the character n-grams.
    """
    folded = unicodedata.normalize("NFKC", text).lower().translate(_TRANSLATION)
    decomposed = unicodedata.normalize("NFD", folded)
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = folded.replace("e", "")
    folded = _DIGITS.sub("0", folded)
    return _SPACES.sub(" ", folded).strip()


def _l2_normalise(matrix: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    out: npt.NDArray[np.float32] = (matrix / np.maximum(norms, 1e-12)).astype(np.float32)
    return out


def _vectoriser(ngram_range: tuple[int, int], min_df: int) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=ngram_range,
        min_df=min_df,
        sublinear_tf=True,
        lowercase=False,  # amazigh_normalise already lowers
        dtype=np.float32,
    )


class AmazighBridge:
    """Projects Amazigh text (Tifinagh, and Amazigh in Latin script) into the USE embedding space.

    Parameters
    ----------
    ngram_range : tuple of int, default=(1, 5)
        Character n-gram lengths, taken inside word boundaries of the normalised text.
    min_df : int, default=2
        N-grams seen in fewer training sentences are dropped (they cost space and rarely help).
    alpha : float, default=0.1
        Ridge penalty. Small, because translations of one sentence are few and precise.

    Attributes
    ----------
    vocabulary_ : list of str
        The character n-grams, in feature order.
    idf_ : ndarray of shape (n_features,)
        Inverse document frequencies of the n-grams.
    train_features_ : scipy.sparse.csr_matrix of shape (n_train, n_features)
        TF-IDF vectors of the training sentences (the kernel's support).
    dual_coef_ : ndarray of shape (n_train, dim)
        Kernel ridge coefficients.
    target_mean_ : ndarray of shape (dim,)
        Mean target embedding, the intercept.
    """

    def __init__(
        self, *, ngram_range: tuple[int, int] = (1, 5), min_df: int = 2, alpha: float = 0.1
    ) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.alpha = alpha

    @property
    def dim(self) -> int:
        """Dimension of the output embeddings (512 for USE)."""
        return int(self.dual_coef_.shape[1])

    def fit(self, amazigh_texts: Sequence[str], target_embeddings: npt.ArrayLike) -> Self:
        """Learn the projection from parallel data.

        Parameters
        ----------
        amazigh_texts : sequence of str
            Amazigh sentences, in Tifinagh or Latin letters.
        target_embeddings : array-like of shape (n, dim)
            For each sentence, the embedding it should land on — typically the mean of the
            L2-normalised USE embeddings of its translations.

        Returns
        -------
        AmazighBridge
            ``self``, fitted.
        """
        targets = np.asarray(target_embeddings, dtype=np.float64)
        if targets.ndim != 2 or targets.shape[0] != len(amazigh_texts):
            raise ValueError(
                f"target_embeddings must have shape ({len(amazigh_texts)}, dim), "
                f"got {targets.shape}"
            )
        vectoriser = _vectoriser(self.ngram_range, self.min_df)
        features = vectoriser.fit_transform([amazigh_normalise(t) for t in amazigh_texts])
        vocabulary: dict[str, int] = vectoriser.vocabulary_
        self.vocabulary_ = sorted(vocabulary, key=vocabulary.__getitem__)
        self.idf_ = np.asarray(vectoriser.idf_, dtype=np.float32)
        self.train_features_ = sp.csr_matrix(features, dtype=np.float32)
        self.target_mean_ = targets.mean(axis=0).astype(np.float32)
        gram = (features @ features.T).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.alpha
        coef = scipy.linalg.solve(gram, targets - targets.mean(axis=0), assume_a="pos")
        self.dual_coef_ = np.asarray(coef, dtype=np.float32)
        self._vectoriser = vectoriser
        return self

    def transform(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed Amazigh texts in the target space.

        Parameters
        ----------
        texts : sequence of str
            Amazigh sentences, in Tifinagh or Latin letters.

        Returns
        -------
        ndarray of shape (n, dim), float32
            L2-normalised embeddings; a text with no known n-gram gets the (normalised) mean.
        """
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        features = self._vectoriser.transform([amazigh_normalise(t) for t in texts])
        kernel = (features @ self.train_features_.T).toarray()
        projected = kernel @ self.dual_coef_ + self.target_mean_
        return _l2_normalise(np.asarray(projected, dtype=np.float32))

    def save(self, path: str | Path) -> None:
        """Write the fitted bridge into directory ``path`` (created if absent).

        Two files: ``amazigh_bridge.npz`` (float16 weights, byte-identical for identical
        weights) and ``amazigh_bridge.vocab.json`` (the n-grams in feature order).
        """
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        features = self.train_features_
        index_type = np.uint16 if len(self.vocabulary_) <= np.iinfo(np.uint16).max else np.int32
        arrays: dict[str, npt.NDArray[Any]] = {
            "format_version": np.asarray(FORMAT_VERSION, dtype=np.int32),
            "ngram_range": np.asarray(self.ngram_range, dtype=np.int32),
            "min_df": np.asarray(self.min_df, dtype=np.int32),
            "alpha": np.asarray(self.alpha, dtype=np.float64),
            "idf": self.idf_.astype(np.float32),
            "train_data": features.data.astype(np.float16),
            "train_indices": features.indices.astype(index_type),
            "train_indptr": features.indptr.astype(np.int32),
            "train_shape": np.asarray(features.shape, dtype=np.int64),
            "dual_coef": self.dual_coef_.astype(np.float16),
            "target_mean": self.target_mean_.astype(np.float32),
        }
        _write_npz(directory / WEIGHTS_FILE, arrays)
        vocabulary_json = json.dumps(self.vocabulary_, ensure_ascii=False, separators=(",", ":"))
        (directory / VOCABULARY_FILE).write_text(vocabulary_json + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path | None = None) -> AmazighBridge:
        """Load a saved bridge; by default the one shipped in ``tashawur/synthesis/data/``.

        Raises
        ------
        FileNotFoundError
            When the directory lacks the bridge files (the embed step then falls back to lexical
            vectors for Amazigh records).
        """
        if path is None:
            directory = Path(str(resources.files("tashawur.synthesis") / "data"))
        else:
            directory = Path(path)
        weights_path, vocabulary_path = directory / WEIGHTS_FILE, directory / VOCABULARY_FILE
        for required in (weights_path, vocabulary_path):
            if not required.is_file():
                raise FileNotFoundError(f"Amazigh bridge file not found: {required}")
        with np.load(weights_path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        if int(arrays["format_version"]) != FORMAT_VERSION:
            raise ValueError(
                f"{weights_path} has format {int(arrays['format_version'])}, "
                f"this code reads format {FORMAT_VERSION}"
            )
        low, high = (int(n) for n in arrays["ngram_range"])
        bridge = cls(
            ngram_range=(low, high), min_df=int(arrays["min_df"]), alpha=float(arrays["alpha"])
        )
        bridge.vocabulary_ = json.loads(vocabulary_path.read_text(encoding="utf-8"))
        bridge.idf_ = arrays["idf"].astype(np.float32)
        rows, columns = (int(n) for n in arrays["train_shape"])
        bridge.train_features_ = sp.csr_matrix(
            (
                arrays["train_data"].astype(np.float32),
                arrays["train_indices"].astype(np.int32),
                arrays["train_indptr"].astype(np.int32),
            ),
            shape=(rows, columns),
        )
        bridge.dual_coef_ = arrays["dual_coef"].astype(np.float32)
        bridge.target_mean_ = arrays["target_mean"].astype(np.float32)
        if len(bridge.vocabulary_) != columns or bridge.idf_.shape != (columns,):
            raise ValueError(f"{directory}: vocabulary and weights do not match")
        vectoriser = _vectoriser(bridge.ngram_range, bridge.min_df)
        vectoriser.vocabulary = {gram: i for i, gram in enumerate(bridge.vocabulary_)}
        vectoriser.idf_ = bridge.idf_
        bridge._vectoriser = vectoriser
        return bridge


def _write_npz(path: Path, arrays: dict[str, npt.NDArray[Any]]) -> None:
    # np.savez stamps the current time into the zip: write a fixed date so that retraining on
    # the same data gives the same bytes.
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(
                buffer, np.asarray(arrays[name], order="C"), allow_pickle=False
            )
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue(), compresslevel=9)
