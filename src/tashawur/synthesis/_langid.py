"""The shipped language-identification model: hashed character and word n-grams, linear scores.

Two small linear models, trained by ``scripts/langid_train.py`` on public labelled data (see
``data/README.md``): one for Arabic script (Darija ``ary`` against MSA ``ar``) and one for Latin
script (Arabizi ``ary-Latn`` against French ``fr`` and English ``en``). Features are scikit-learn
``HashingVectorizer`` counts (character 1–4-grams within word boundaries and word 1–2-grams, each
L2-normalised), so no vocabulary is stored; the weights are a compressed ``.npz`` of float16 arrays
read with ``allow_pickle=False`` and the parameters a JSON file.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import unicodedata
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ._clean import normalise_arabic, strip_invisible

FORMAT_VERSION = 1
WEIGHTS_FILE = "langid.npz"
PARAMS_FILE = "langid.json"
MODELS = ("arabic", "latin")

_URL = re.compile(r"https?://\S+|www\.\S+|[@#]\w+")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_REPEAT = re.compile(r"(\D)\1{2,}")  # 3+ times the same letter: twice (waaaa → waa)
_NOT_WORD = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")
_ARABIC_DIGITS = str.maketrans(
    {**{chr(0x0660 + d): str(d) for d in range(10)}, **{chr(0x06F0 + d): str(d) for d in range(10)}}
)


def model_text(text: str) -> str:
    """The form of a text that the model reads.

    HTML escapes and line breaks undone, no addresses or @/# handles, Unicode NFC, no bidi
    controls, unified Arabic letter forms (as `clean_text`), lower case, letters repeated three
    or more times kept twice, punctuation and symbols removed, single spaces. Digits stay: inside
    Latin words they are Arabizi letters.
    """
    text = html.unescape(_BREAK.sub(" ", text))
    text = _URL.sub(" ", text)
    text = unicodedata.normalize("NFC", strip_invisible(text))
    text = normalise_arabic(text).translate(_ARABIC_DIGITS).casefold()
    text = _REPEAT.sub(r"\1\1", text)
    text = _NOT_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def make_vectorizers(params: dict[str, Any]) -> tuple[Any, Any]:
    """The two hashing vectorizers (characters, words) that ``params`` describes."""
    from sklearn.feature_extraction.text import HashingVectorizer

    common = {"alternate_sign": False, "norm": "l2", "lowercase": False, "dtype": np.float64}
    chars = HashingVectorizer(
        analyzer="char_wb",
        ngram_range=tuple(params["char_ngrams"]),
        n_features=2 ** int(params["char_bits"]),
        **common,
    )
    words = HashingVectorizer(
        analyzer="word",
        token_pattern=r"(?u)\b\w+\b",  # noqa: S106 (a regular expression, not a password)
        ngram_range=tuple(params["word_ngrams"]),
        n_features=2 ** int(params["word_bits"]),
        **common,
    )
    return chars, words


def featurize(texts: Sequence[str], params: dict[str, Any]) -> Any:
    """The sparse feature matrix (one row per text, already in `model_text` form)."""
    import scipy.sparse

    chars, words = make_vectorizers(params)
    return scipy.sparse.hstack([chars.transform(texts), words.transform(texts)]).tocsr()


def _softmax(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float64)


class LanguageModel:
    """The two linear models and their parameters; `load` reads the shipped ones."""

    def __init__(
        self,
        params: dict[str, Any],
        weights: dict[str, npt.NDArray[np.float32]],
        intercepts: dict[str, npt.NDArray[np.float32]],
    ) -> None:
        self.params = params
        self.weights = weights
        self.intercepts = intercepts
        self.classes: dict[str, list[str]] = {m: list(params["classes"][m]) for m in MODELS}

    def probabilities(self, model: str, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Class probabilities (rows sum to 1, columns in ``classes[model]`` order).

        ``texts`` are raw texts; they are put in `model_text` form here.
        """
        features = featurize([model_text(t) for t in texts], self.params)
        scores = np.asarray(features @ self.weights[model].T, dtype=np.float64)
        scores = scores + self.intercepts[model].astype(np.float64)
        if scores.shape[1] == 1:  # binary: one column, the score of classes[model][1]
            scores = np.hstack([np.zeros_like(scores), scores])
        return _softmax(scores)

    def save(self, path: str | Path) -> dict[str, str]:
        """Write ``langid.npz`` and ``langid.json`` into directory ``path``; return their digests.

        The JSON records the SHA-256 of the weights file, checked by `load`.
        """
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, Any] = {"format_version": np.asarray(FORMAT_VERSION, np.int64)}
        for model in MODELS:
            arrays[f"{model}_weights"] = self.weights[model].astype(np.float16)
            arrays[f"{model}_intercept"] = self.intercepts[model].astype(np.float32)
        weights_path = directory / WEIGHTS_FILE
        # np.savez_compressed writes the same bytes for the same arrays except for zip times;
        # write through zipfile with a fixed time so that a retrain is byte-identical.
        _write_npz(weights_path, arrays)
        digest = hashlib.sha256(weights_path.read_bytes()).hexdigest()
        params = {**self.params, "format_version": FORMAT_VERSION, "weights_sha256": digest}
        (directory / PARAMS_FILE).write_text(
            json.dumps(params, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        return {WEIGHTS_FILE: digest}

    @classmethod
    def load(cls, path: str | Path | None = None) -> LanguageModel:
        """Load a saved model; by default the one shipped in ``tashawur/synthesis/data/``.

        Raises
        ------
        FileNotFoundError
            When the directory lacks the model files.
        ValueError
            When the format version or the weights' SHA-256 does not match the JSON.
        """
        if path is None:
            directory = Path(str(resources.files("tashawur.synthesis") / "data"))
        else:
            directory = Path(path)
        weights_path, params_path = directory / WEIGHTS_FILE, directory / PARAMS_FILE
        for required in (weights_path, params_path):
            if not required.is_file():
                raise FileNotFoundError(f"language model file not found: {required}")
        params = json.loads(params_path.read_text(encoding="utf-8"))
        if int(params.get("format_version", -1)) != FORMAT_VERSION:
            raise ValueError(f"{params_path} has format {params.get('format_version')}")
        digest = hashlib.sha256(weights_path.read_bytes()).hexdigest()
        if digest != params.get("weights_sha256"):
            raise ValueError(f"{weights_path} does not match the SHA-256 in {params_path}")
        with np.load(weights_path, allow_pickle=False) as stored:
            if int(stored["format_version"]) != FORMAT_VERSION:
                raise ValueError(f"{weights_path} has format {int(stored['format_version'])}")
            weights = {m: stored[f"{m}_weights"].astype(np.float32) for m in MODELS}
            intercepts = {m: stored[f"{m}_intercept"].astype(np.float32) for m in MODELS}
        return cls(params, weights, intercepts)


def _write_npz(path: Path, arrays: dict[str, Any]) -> None:
    import io
    import zipfile

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue(), compresslevel=9)
