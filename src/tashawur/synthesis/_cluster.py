"""Step 5, group: themes (coarse) and, inside each theme, findings (the same thing said).

Both levels use average-linkage agglomeration on cosine distance, which on cross-language data
keeps translations together far better than k-means; it is bounded to blocks (a sample for the
themes, k-means blocks for the findings), so its cost stays near-linear in the input size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from ._base import Step
from ._blocks import split_into_blocks
from ._embed import FloatArray, l2_normalise

IntArray = NDArray[np.int64]


def centre_by_language(
    vectors: FloatArray, languages: Sequence[str], *, shrink: float = 5.0, copy: bool = True
) -> FloatArray:
    """Subtract each language's mean vector, then re-normalise.

    The mean is shrunk towards zero for languages with few items (``n / (n + shrink)``), so a
    language with one contribution keeps most of its meaning.

    Parameters
    ----------
    vectors : ndarray of shape (n, dim)
        L2-normalised embeddings.
    languages : sequence of str
        The language of each row.
    shrink : float
        Pseudo-count of the shrinkage.
    copy : bool
        ``False`` works in place on a float32 ``vectors`` (large inputs: no second copy).
    """
    out = np.array(vectors, dtype=np.float32, copy=copy)
    langs = np.asarray(languages)
    for lang in np.unique(langs):
        mask = langs == lang
        count = int(mask.sum())
        out[mask] -= out[mask].mean(axis=0) * (count / (count + shrink))
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out /= norms
    return out


def centroids(vectors: FloatArray, labels: IntArray, n_labels: int) -> FloatArray:
    """Return the L2-normalised mean of each label's rows (zero for empty labels)."""
    return l2_normalise(means(vectors, labels, n_labels))


def means(vectors: FloatArray, labels: IntArray, n_labels: int) -> FloatArray:
    """Return the mean of each label's rows, not normalised (zero for empty labels).

    A row's dot product with a label's mean is its average cosine similarity to that label's
    rows: the quantity that average linkage cuts at.
    """
    from scipy import sparse

    counts = np.bincount(labels, minlength=n_labels).astype(np.float32)
    member = sparse.csr_matrix(
        (1.0 / counts[labels], (labels, np.arange(len(labels)))),
        shape=(n_labels, len(labels)),
        dtype=np.float32,
    )
    out: FloatArray = np.asarray(member @ vectors, dtype=np.float32)
    return out


def nearest(
    vectors: FloatArray, centres: FloatArray, *, chunk: int = 8192
) -> tuple[IntArray, FloatArray]:
    """Return each row's most similar centre and that cosine similarity, in chunks."""
    best = np.empty(len(vectors), dtype=np.int64)
    sims = np.empty(len(vectors), dtype=np.float32)
    for start in range(0, len(vectors), chunk):
        s = vectors[start : start + chunk] @ centres.T
        best[start : start + chunk] = s.argmax(axis=1)
        sims[start : start + chunk] = s.max(axis=1)
    return best, sims


def _cosine_distances(vectors: FloatArray) -> NDArray[np.float64]:
    # float64 and a clip keep the distances non-negative and exactly zero on the diagonal.
    x = vectors.astype(np.float64)
    dist = x @ x.T
    # In place (the same values as np.clip(1.0 - x @ x.T, 0.0, 2.0)): one n × n array, not three.
    np.subtract(1.0, dist, out=dist)
    np.clip(dist, 0.0, 2.0, out=dist)
    np.fill_diagonal(dist, 0.0)
    return dist


def precomputed_silhouette(
    dist: NDArray[np.float64], labels: IntArray, *, block: int = 256
) -> float:
    """The mean silhouette of ``labels`` over the square distance matrix ``dist``.

    scikit-learn's ``silhouette_score(dist, labels, metric="precomputed")``, computed the same
    way (each row's distances to a group summed in column order, as its ``np.bincount`` per row
    does, then the same divisions), but with one ``np.bincount`` per block of ``block`` rows
    instead of one per row and without its checks and copies: about twice as fast on the theme
    step's 4,000 rows. Needs 2 to n - 1 groups.
    """
    codes = np.unique(labels, return_inverse=True)[1].astype(np.intp).ravel()
    n = len(codes)
    freqs = np.bincount(codes)
    k = len(freqs)
    sums = np.empty((n, k), dtype=np.float64)
    # Bin (row, group) of each entry of a block of rows: row * k + group, in row-major order.
    offsets = np.arange(min(block, n), dtype=np.intp)[:, None] * k
    bins = np.empty((len(offsets), n), dtype=np.intp)
    for start in range(0, n, block):
        stop = min(start + block, n)
        rows = stop - start
        np.add(offsets[:rows], codes, out=bins[:rows])
        weights = np.ascontiguousarray(dist[start:stop], dtype=np.float64).ravel()
        sums[start:stop] = np.bincount(
            bins[:rows].ravel(), weights=weights, minlength=rows * k
        ).reshape(rows, k)
    at = (np.arange(n), codes)
    intra = sums[at]
    sums[at] = np.inf
    sums /= freqs
    inter = sums.min(axis=1)
    denom = (freqs - 1).take(codes, mode="clip")
    with np.errstate(divide="ignore", invalid="ignore"):
        intra /= denom
        scores = inter - intra
        scores /= np.maximum(intra, inter)
    # A group of one scores 0 (its 0 / 0 above).
    return float(np.mean(np.nan_to_num(scores)))


def _average_linkage_from(dist: NDArray[np.float64]) -> NDArray[np.float64]:
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import squareform

    tree: NDArray[np.float64] = linkage(squareform(dist, checks=False), method="average")
    return tree


def _average_linkage(vectors: FloatArray) -> NDArray[np.float64]:
    return _average_linkage_from(_cosine_distances(vectors))


def _relabel_by_first_seen(labels: IntArray) -> IntArray:
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(first)
    remap = np.empty(labels.max() + 1, dtype=np.int64)
    remap[np.unique(labels)[order]] = np.arange(len(order))
    out: IntArray = remap[labels]
    return out


class ThemeClusterer(Step):
    """Base class of the theme step: ``fit`` sets ``labels_`` and ``centroids_``.

    The synthesis fits the step on at most ``sample_size`` rows (a seeded sample of larger
    inputs) and assigns the other rows to the nearest of ``centroids_`` on its executor. It
    passes each row's language group as ``groups``, so that a step can join a sentence and its
    translations across languages (as `MutualNeighbourThemes` does); a step may ignore it.
    """

    #: At most this many rows are given to ``fit``.
    sample_size: int = 4000
    labels_: IntArray
    centroids_: FloatArray

    def fit(self, vectors: FloatArray, groups: Sequence[str] | None = None) -> ThemeClusterer:
        """Group ``vectors`` (L2-normalised rows, in the language groups ``groups``) into
        themes; return ``self``."""
        raise NotImplementedError


class FindingClusterer(Step):
    """Base class of the finding step: ``fit`` sets ``labels_`` (findings within one theme)."""

    labels_: IntArray

    def fit(self, vectors: FloatArray) -> FindingClusterer:
        """Group ``vectors`` (the rows of one theme) into findings; return ``self``."""
        raise NotImplementedError


class LinkageThemes(ThemeClusterer):
    """Average-linkage themes on a sample, the rest assigned to the nearest theme centre.

    Parameters
    ----------
    n_themes : int or None
        Number of themes; ``None`` chooses it from the data (the largest relative jump in the
        merge heights of the dendrogram, among cuts whose groups all have ``min_size`` items).
    max_themes : int
        Upper bound when the number is chosen from the data.
    min_size : int
        Groups of the tree cut smaller than this are folded into the nearest larger group.
    sample_size : int
        At most this many rows build the tree.
    random_state : int
        Seed of the sample.
    """

    def __init__(
        self,
        *,
        n_themes: int | None = None,
        max_themes: int = 12,
        min_size: int = 3,
        sample_size: int = 4000,
        random_state: int = 0,
    ) -> None:
        self.n_themes = n_themes
        self.max_themes = max_themes
        self.min_size = min_size
        self.sample_size = sample_size
        self.random_state = random_state

    def fit(self, vectors: FloatArray, groups: Sequence[str] | None = None) -> LinkageThemes:
        """Group ``vectors`` into themes (``groups`` is unused); return ``self``."""
        from threadpoolctl import threadpool_limits

        # One BLAS thread, as the finding step: a second one costs more CPU than it saves
        # (it waits on the first), the more so on a busy machine.
        with threadpool_limits(1, user_api="blas"):
            return self._fit(vectors)

    def _fit(self, vectors: FloatArray) -> LinkageThemes:
        n = len(vectors)
        if n < 3 or self.n_themes == 1:
            self.labels_ = np.zeros(n, dtype=np.int64)
            self.centroids_ = centroids(vectors, self.labels_, 1)
            self.n_themes_ = 1
            return self
        if n > self.sample_size:
            rng = np.random.default_rng(self.random_state)
            sample_idx = np.sort(rng.choice(n, self.sample_size, replace=False))
        else:
            sample_idx = np.arange(n)
        sample = vectors[sample_idx]
        dist = _cosine_distances(sample)
        tree = _average_linkage_from(dist)
        min_size = min(self.min_size, max(1, len(sample) // 20))
        if self.n_themes is not None:
            sample_labels = self._cut(tree, sample, min(self.n_themes, len(sample)), min_size)
        else:
            sample_labels = self._choose(tree, sample, dist, min_size)
        n_themes = int(sample_labels.max()) + 1
        self.labels_, _ = nearest(vectors, centroids(sample, sample_labels, n_themes))
        self.labels_[sample_idx] = sample_labels
        self.labels_ = _relabel_by_first_seen(self.labels_)
        self.n_themes_ = int(self.labels_.max()) + 1
        self.centroids_ = centroids(vectors, self.labels_, self.n_themes_)
        return self

    @staticmethod
    def _cut(tree: NDArray[np.float64], sample: FloatArray, wanted: int, min_size: int) -> IntArray:
        """Cut the tree into ``wanted`` groups of at least ``min_size`` rows.

        The tree is cut finer until ``wanted`` groups are large enough; the rows of the groups
        that are too small join the nearest large one.
        """
        from scipy.cluster.hierarchy import fcluster

        labels = np.zeros(len(sample), dtype=np.int64)
        big: IntArray = np.zeros(1, dtype=np.int64)
        for cut in range(wanted, len(sample) + 1):
            labels = fcluster(tree, cut, criterion="maxclust").astype(np.int64) - 1
            big = np.nonzero(np.bincount(labels) >= min_size)[0]
            if len(big) >= wanted:
                break
        out, _ = nearest(sample, centroids(sample, labels, int(labels.max()) + 1)[big])
        keep = np.isin(labels, big)
        remap = np.full(int(labels.max()) + 1, -1, dtype=np.int64)
        remap[big] = np.arange(len(big))
        out[keep] = remap[labels[keep]]
        return out

    def _choose(
        self,
        tree: NDArray[np.float64],
        sample: FloatArray,
        dist: NDArray[np.float64],
        min_size: int,
    ) -> IntArray:
        """The cut with the best silhouette between a floor and a ceiling that grow with the
        input: at least ``2 log10(n)`` themes (two for small inputs), at most ``sqrt(n / 2)``
        and ``max_themes``. Without the floor, average linkage's silhouette often prefers a
        first split in two, too coarse to read a consultation by."""
        upper = max(2, min(self.max_themes, int(math.sqrt(len(sample) / 2))))
        lower = max(2, min(upper, int(2 * math.log10(len(sample)))))
        best = np.zeros(len(sample), dtype=np.int64)
        best_score = -np.inf
        for k in range(lower, upper + 1):
            labels = self._cut(tree, sample, k, min_size)
            # The silhouette needs 2 to n - 1 groups; a cut refined past ties can give n.
            if not 2 <= len(np.unique(labels)) < len(sample):
                continue
            score = precomputed_silhouette(dist, labels)
            if score > best_score + 1e-9:
                best, best_score = labels, score
        return best


class LinkageFindings(FindingClusterer):
    """Average-linkage findings cut at a similarity threshold, in blocks of bounded size.

    Parameters
    ----------
    similarity : float
        Average cosine similarity from which contributions say the same thing.
    block_size : int
        Larger themes are first split by k-means into blocks of about this size.
    random_state : int
        Seed of the blocking.
    """

    def __init__(
        self, *, similarity: float = 0.35, block_size: int = 1500, random_state: int = 0
    ) -> None:
        self.similarity = similarity
        self.block_size = block_size
        self.random_state = random_state

    def fit(self, vectors: FloatArray) -> LinkageFindings:
        """Group ``vectors`` into findings; return ``self``."""
        from threadpoolctl import threadpool_limits

        n = len(vectors)
        labels = np.zeros(n, dtype=np.int64)
        with threadpool_limits(1, user_api="blas"):
            self._fit_blocks(vectors, labels)
        self.labels_ = _relabel_by_first_seen(labels) if n else labels
        return self

    def _fit_blocks(self, vectors: FloatArray, labels: IntArray) -> None:
        from scipy.cluster.hierarchy import fcluster

        next_label = 0
        for block in self._blocks(vectors):
            if len(block) == 1:
                labels[block] = next_label
                next_label += 1
                continue
            tree = _average_linkage(vectors[block])
            local = fcluster(tree, 1.0 - self.similarity, criterion="distance").astype(np.int64)
            local = _relabel_by_first_seen(local - 1)
            labels[block] = local + next_label
            next_label += int(local.max()) + 1

    def _blocks(self, vectors: FloatArray) -> list[IntArray]:
        return split_into_blocks(vectors, self.block_size, random_state=self.random_state)


def mutual_neighbour_groups(
    vectors: FloatArray, groups: Sequence[str], *, similarity: float = 0.3
) -> IntArray:
    """Join rows of different languages that are each other's nearest neighbour.

    For every pair of languages, a row whose most similar row in the other language has it as
    its own most similar row (and a cosine of at least ``similarity``) is joined to it: mostly
    translations and close paraphrases, which then reinforce each other as one point.

    Returns
    -------
    ndarray of int
        The group of each row, numbered from 0 (rows joined to nothing are alone).
    """
    from scipy.cluster.hierarchy import DisjointSet

    n = len(vectors)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    langs = np.asarray(groups)
    kinds = np.unique(langs)
    members = [np.nonzero(langs == kind)[0] for kind in kinds]
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    for a in range(len(kinds)):
        for b in range(a + 1, len(kinds)):
            left, right = members[a], members[b]
            sims = vectors[left] @ vectors[right].T
            best_right = sims.argmax(axis=1)
            best_left = sims.argmax(axis=0)
            p = np.arange(len(left))
            mutual = (best_left[best_right] == p) & (sims[p, best_right] >= similarity)
            rows.append(left[mutual])
            cols.append(right[best_right[mutual]])
    pairs_from = np.concatenate(rows).tolist() if rows else []
    pairs_to = np.concatenate(cols).tolist() if cols else []
    # Each group is named by the row it was last joined into (a pair joins the left row's group
    # into the right row's), and numbered in the order of those rows: the order of the points
    # the theme step's k-means reads, which its result depends on.
    sets = DisjointSet(range(n))
    named: dict[int, int] = {}  # scipy's representative of a group -> the row naming it
    for left_row, right_row in zip(pairs_from, pairs_to, strict=True):
        into = sets[right_row]
        if sets[left_row] == into:
            continue
        name = named.get(into, into)
        sets.merge(left_row, right_row)
        named[sets[right_row]] = name
    names = [named.get(sets[i], sets[i]) for i in range(n)]
    out: IntArray = np.unique(names, return_inverse=True)[1].astype(np.int64)
    return out


class MutualNeighbourThemes(ThemeClusterer):
    """Themes by k-means over cross-language mutual neighbours, refined from a finer cut.

    1. Rows of different languages that are mutual nearest neighbours become one weighted
       point (`mutual_neighbour_groups`): a sentence and its translations vote together.
    2. k-means cuts these points into ``n_fine`` small groups, whose centres average linkage
       merges into the themes; a weighted k-means started from the merged centres refines them.
       The best of ``n_restarts`` seeds by k-means inertia is kept.
    3. The number of themes, when not forced, is the one `LinkageThemes` chooses.

    Chosen on SIB-200 *train* in MSA, Darija and French (7 topics, 2,103 sentences): NMI against
    the topics 0.35 with `LinkageThemes`, 0.45 with this (0.92 of a sentence's translations in
    one theme). On the small dev split (297) it does not gain: 0.42 against 0.38–0.40.

    Parameters
    ----------
    n_themes : int or None
        Number of themes; ``None`` chooses it from the data.
    max_themes, min_size : int
        Passed to `LinkageThemes` when the number is chosen from the data.
    n_fine : int
        Number of small groups merged into themes.
    n_restarts : int
        Seeds tried; the lowest inertia wins.
    neighbour_similarity : float
        Least cosine for two mutual neighbours to be joined.
    random_state : int
        Seed of the restarts.
    """

    def __init__(
        self,
        *,
        n_themes: int | None = None,
        max_themes: int = 12,
        min_size: int = 3,
        sample_size: int = 4000,
        n_fine: int = 30,
        n_restarts: int = 5,
        neighbour_similarity: float = 0.3,
        random_state: int = 0,
    ) -> None:
        self.n_themes = n_themes
        self.max_themes = max_themes
        self.min_size = min_size
        self.sample_size = sample_size
        self.n_fine = n_fine
        self.n_restarts = n_restarts
        self.neighbour_similarity = neighbour_similarity
        self.random_state = random_state

    def fit(
        self, vectors: FloatArray, groups: Sequence[str] | None = None
    ) -> MutualNeighbourThemes:
        """Group ``vectors`` (rows in the languages ``groups``) into themes; return ``self``."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, user_api="blas"):  # as `LinkageThemes.fit`
            return self._fit(vectors, groups)

    def _fit(self, vectors: FloatArray, groups: Sequence[str] | None) -> MutualNeighbourThemes:
        n = len(vectors)
        if self.n_themes is None:
            wanted = (
                LinkageThemes(
                    max_themes=self.max_themes,
                    min_size=self.min_size,
                    sample_size=self.sample_size,
                    random_state=self.random_state,
                )
                .fit(vectors)
                .n_themes_
            )
        else:
            wanted = self.n_themes
        point_of = mutual_neighbour_groups(
            vectors,
            groups if groups is not None else [""] * n,
            similarity=self.neighbour_similarity,
        )
        n_points = int(point_of.max()) + 1 if n else 0
        wanted = min(wanted, n_points)
        if wanted <= 1 or n < 3:
            labels = np.zeros(n, dtype=np.int64)
        else:
            weights = np.bincount(point_of, minlength=n_points).astype(np.float64)
            points = l2_normalise(means(vectors, point_of, n_points))
            labels = self._partition(points, weights, wanted)[point_of]
        self.labels_ = _relabel_by_first_seen(labels) if n else labels
        self.n_themes_ = int(self.labels_.max()) + 1 if n else 0
        self.centroids_ = centroids(vectors, self.labels_, max(self.n_themes_, 1))
        return self

    def _partition(self, points: FloatArray, weights: NDArray[np.float64], k: int) -> IntArray:
        import warnings

        from scipy.cluster.hierarchy import fcluster
        from sklearn.cluster import KMeans
        from sklearn.exceptions import ConvergenceWarning
        from threadpoolctl import threadpool_limits

        n_fine = max(k, min(self.n_fine, len(points) // 2))
        best: IntArray = np.zeros(len(points), dtype=np.int64)
        best_inertia = np.inf
        # One thread for BLAS and OpenMP alike: k-means' OpenMP threads, like BLAS's, crawl on
        # two cores as soon as another process is busy.
        with threadpool_limits(1), warnings.catch_warnings():
            # Fewer distinct points than small groups (tiny inputs): k-means says so and
            # leaves some empty, which the merge below skips.
            warnings.simplefilter("ignore", ConvergenceWarning)
            for restart in range(self.n_restarts):
                seed = self.random_state * 1000 + restart
                fine = KMeans(n_fine, n_init=1, random_state=seed).fit(
                    points, sample_weight=weights
                )
                fine_labels = fine.labels_.astype(np.int64)
                centres = centroids(points, fine_labels, n_fine)
                used = np.unique(fine_labels)
                if len(used) <= k:
                    merged = np.zeros(n_fine, dtype=np.int64)
                    merged[used] = np.arange(len(used))
                else:
                    tree = _average_linkage(centres[used])
                    cut = fcluster(tree, k, criterion="maxclust").astype(np.int64) - 1
                    merged = np.zeros(n_fine, dtype=np.int64)
                    merged[used] = cut
                coarse = merged[fine_labels]
                n_coarse = int(coarse.max()) + 1
                start = means(points * weights[:, None].astype(np.float32), coarse, n_coarse)
                refined = KMeans(
                    n_coarse, init=l2_normalise(start), n_init=1, random_state=seed
                ).fit(points, sample_weight=weights)
                if refined.inertia_ < best_inertia - 1e-9:
                    best, best_inertia = refined.labels_.astype(np.int64), refined.inertia_
        return best
