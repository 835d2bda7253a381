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
_ARABIC_DIGIT = re.compile("[\u0660-\u0669\u06f0-\u06f9]")
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
    text = normalise_arabic(text)
    if _ARABIC_DIGIT.search(text):  # rare: the per-character translate is slow
        text = text.translate(_ARABIC_DIGITS)
    text = text.casefold()
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
    """The sparse feature matrix (one row per text, already in `model_text` form).

    The same matrix as `make_vectorizers`' two ``transform`` (``hstack``-ed), built faster:
    each distinct word's hashed character n-grams (and each word n-gram's hash) is worked out
    once per process (`_Hashes`) instead of once per occurrence, in scikit-learn's pure-Python
    analyzers. The hashes are scikit-learn's (`murmurhash3_32`, as its ``FeatureHasher``), the
    counts are summed and the rows L2-normalised by scikit-learn: the same values, bit for bit
    (``tests/synthesis/test_langid.py`` checks it against the vectorizers).
    """
    import scipy.sparse

    hashes = _Hashes.get(params)
    return scipy.sparse.hstack([hashes.chars(texts), hashes.words(texts)]).tocsr()


class _Hashes:
    """Hashed n-grams of the words seen so far, for one set of parameters (see `featurize`)."""

    #: Words (and word n-grams) remembered at most; past it the memory starts again.
    MAX_ENTRIES = 200_000
    _by_params: dict[str, _Hashes] = {}

    def __init__(self, params: dict[str, Any]) -> None:
        self.char_range = (int(params["char_ngrams"][0]), int(params["char_ngrams"][1]))
        self.word_range = (int(params["word_ngrams"][0]), int(params["word_ngrams"][1]))
        self.char_features = 2 ** int(params["char_bits"])
        self.word_features = 2 ** int(params["word_bits"])
        # Tuples: the garbage collector stops tracking tuples of ints, not lists.
        self._char_of: dict[str, tuple[int, ...]] = {}
        self._word_of: dict[str, int] = {}

    @classmethod
    def get(cls, params: dict[str, Any]) -> _Hashes:
        key = json.dumps(
            [params[k] for k in ("char_ngrams", "char_bits", "word_ngrams", "word_bits")]
        )
        found = cls._by_params.get(key)
        if found is None:
            found = cls._by_params[key] = cls(params)
        return found

    @staticmethod
    def _hash(grams: list[list[str]], n_features: int) -> list[tuple[int, ...]]:
        """The hashed index of each n-gram, by scikit-learn's ``FeatureHasher`` (in one call)."""
        from itertools import repeat

        from sklearn.feature_extraction._hashing_fast import transform

        # One row of every n-gram in order (the hasher sums duplicates only after this call).
        row = [g for gram_list in grams for g in gram_list]
        indices, _, _ = transform([zip(row, repeat(1))], n_features, np.float64, False, seed=0)
        flat = indices.tolist()
        out = []
        start = 0
        for gram_list in grams:
            end = start + len(gram_list)
            out.append(tuple(flat[start:end]))
            start = end
        return out

    def _char_grams(self, word: str) -> list[str]:
        # scikit-learn's _char_wb_ngrams on one word: padded with a space each side, each
        # n-gram of it; a word no longer than n counted once, and no longer n-grams after it.
        min_n, max_n = self.char_range
        w = " " + word + " "
        w_len = len(w)
        grams: list[str] = []
        for n in range(min_n, max_n + 1):
            if w_len <= n:
                grams.append(w)
                break
            grams += [w[i : i + n] for i in range(w_len - n + 1)]
        return grams

    def _learn(self, known: dict[str, Any], new: list[str], grams: list[list[str]], n: int) -> None:
        for key, hashed in zip(new, self._hash(grams, n), strict=True):
            known[key] = hashed

    def chars(self, texts: Sequence[str]) -> Any:
        """The L2-normalised counts of each text's character n-grams within words."""
        split = [text.split() for text in texts]
        known = self._char_of
        if len(known) > self.MAX_ENTRIES:  # before this batch: its rows read what is known
            known.clear()
        new = list(dict.fromkeys(w for words in split for w in words if w not in known))
        if new:
            self._learn(known, new, [self._char_grams(w) for w in new], self.char_features)
        flat: list[int] = []
        lengths = []
        for words in split:
            before = len(flat)
            for word in words:
                flat += known[word]
            lengths.append(len(flat) - before)
        return _counts(flat, lengths, self.char_features)

    def words(self, texts: Sequence[str]) -> Any:
        """The L2-normalised counts of each text's word n-grams (``\\b\\w+\\b`` tokens)."""
        min_n, max_n = self.word_range
        grams_of = []
        for text in texts:
            tokens = _TOKEN.findall(text)
            grams: list[str] = []
            for n in range(min_n, min(max_n, len(tokens)) + 1):
                if n == 1:
                    grams += tokens
                else:
                    grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
            grams_of.append(grams)
        known = self._word_of
        if len(known) > self.MAX_ENTRIES:
            known.clear()
        new = list(dict.fromkeys(g for grams in grams_of for g in grams if g not in known))
        if new:
            hashed = self._hash([[g] for g in new], self.word_features)
            for gram, (index,) in zip(new, hashed, strict=True):
                known[gram] = index
        flat = [known[g] for grams in grams_of for g in grams]
        return _counts(flat, [len(grams) for grams in grams_of], self.word_features)


_TOKEN = re.compile(r"(?u)\b\w+\b")


def warm_up() -> None:
    """Import what `featurize` needs (see `RuleLanguageIdentifier.warm_up`)."""
    import scipy.sparse  # noqa: F401
    from sklearn.feature_extraction import _hashing_fast  # noqa: F401
    from sklearn.preprocessing import normalize  # noqa: F401


def _counts(flat: list[int], lengths: list[int], n_features: int) -> Any:
    """Rows of hashed indices (``flat``, ``lengths[k]`` of them for row ``k``) as scikit-learn's
    HashingVectorizer leaves them: counts summed (indices sorted), each row L2-normalised."""
    import scipy.sparse
    from sklearn.preprocessing import normalize

    indptr = np.zeros(len(lengths) + 1, dtype=np.int32)
    np.cumsum(lengths, out=indptr[1:])
    indices = np.array(flat, dtype=np.int32)
    matrix = scipy.sparse.csr_matrix(
        (np.ones(len(indices), dtype=np.float64), indices, indptr),
        shape=(len(lengths), n_features),
    )
    matrix.sum_duplicates()
    return normalize(matrix, norm="l2", copy=False)


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
