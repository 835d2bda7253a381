"""Step 4, near-duplicates: exact, normalised and paraphrase copies folded into one canonical item.

Exact and normalised copies are found by hashing (linear); paraphrases by cosine similarity
inside blocks of similar items (two random-projection trees with overlapping cuts), so no step is
quadratic in the number of contributions. Blocking never cuts identical or near-identical
vectors apart (`split_into_blocks`), on any processor.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ._base import Step
from ._blocks import split_into_blocks
from ._types import DuplicateGroup

#: Above this many items a language's paraphrase search is split into blocks.
BLOCK_SIZE = 256

#: Items closer than this (Euclidean, on unit vectors: a cosine above 1 - 5e-9) always share a
#: block, whatever the rounding of the projections: near-identical vectors are never cut apart.
BLOCK_OVERLAP = 1e-4


@dataclass(frozen=True, slots=True)
class DuplicateLinks:
    """For each item, the index of its canonical item (itself when canonical) and the level."""

    canonical: NDArray[np.int64]
    level: list[str]  # "" for canonical items


class DuplicateFinder(Step):
    """Base class of the near-duplicate step."""

    def find_copies(
        self, texts: Sequence[str], cleaned: Sequence[str]
    ) -> tuple[NDArray[np.int64], list[str]]:
        """Return the canonical index and level of each text by exact and normalised copy."""
        raise NotImplementedError

    def find_paraphrases(
        self,
        vectors: NDArray[np.float32],
        languages: Sequence[str],
        threshold: float,
    ) -> NDArray[np.int64]:
        """Return, for each vector, the index of its canonical paraphrase (itself if none)."""
        raise NotImplementedError


class ThreeLevelDuplicateFinder(DuplicateFinder):
    """Exact copies, copies equal after normalisation, and same-language paraphrases.

    Parameters
    ----------
    random_state : int
        Seed of the blocking.
    """

    def __init__(self, *, random_state: int = 0) -> None:
        self.random_state = random_state

    def find_copies(
        self, texts: Sequence[str], cleaned: Sequence[str]
    ) -> tuple[NDArray[np.int64], list[str]]:
        """Return the canonical index and level of each text by exact and normalised copy.

        Parameters
        ----------
        texts : sequence of str
            Texts as written.
        cleaned : sequence of str
            Their analysis form; an empty one is never a copy.
        """
        n = len(texts)
        canonical = np.arange(n, dtype=np.int64)
        level = [""] * n
        exact: dict[str, int] = {}
        exact_first: dict[str, int] = {}
        normalised: dict[str, int] = {}
        for i, (text, clean) in enumerate(zip(texts, cleaned, strict=True)):
            if not clean:
                continue
            key = unicodedata.normalize("NFC", text).strip()
            first = exact.get(key)
            if first is not None:
                # A copy of a copy is as far from the canonical item as the first copy is.
                earlier = exact_first[key]
                canonical[i] = first
                level[i] = "exact" if earlier == first else level[earlier]
                continue
            exact_first[key] = i
            first = normalised.get(clean)
            if first is not None:
                canonical[i], level[i] = first, "normalised"
            else:
                normalised[clean] = i
            # Later exact copies point to the canonical item, never to another copy.
            exact[key] = int(canonical[i])
        return canonical, level

    def find_paraphrases(
        self,
        vectors: NDArray[np.float32],
        languages: Sequence[str],
        threshold: float,
    ) -> NDArray[np.int64]:
        """Link same-language items whose cosine similarity is at least ``threshold``.

        Parameters
        ----------
        vectors : ndarray of shape (n, dim)
            L2-normalised embeddings.
        languages : sequence of str
            Only items of one language are compared.
        threshold : float
            Cosine similarity from which two items are paraphrases.

        Returns
        -------
        ndarray of shape (n,)
            The canonical (earliest) index of each item's paraphrase group.
        """
        n = len(vectors)
        links: list[tuple[NDArray[np.int64], NDArray[np.int64]]] = []
        by_language: dict[str, list[int]] = {}
        for i, lang in enumerate(languages):
            by_language.setdefault(lang, []).append(i)
        from threadpoolctl import threadpool_limits

        # Many small products: one BLAS thread avoids the threads' hand-off cost, which
        # dominates at this size (and worse on a busy machine).
        with threadpool_limits(1, user_api="blas"):
            for lang in sorted(by_language):
                idx = np.array(by_language[lang], dtype=np.int64)
                for block in self._blocks(vectors, idx):
                    links.append(self._link_block(vectors, block, threshold))
        return _earliest_of_components(n, links)

    def _blocks(
        self, vectors: NDArray[np.float32], idx: NDArray[np.int64]
    ) -> list[NDArray[np.int64]]:
        if len(idx) <= BLOCK_SIZE:
            return [idx]
        # Two independent trees: a pair cut apart by one is very likely together in the other.
        rows = vectors[idx]  # one copy for both trees
        return [
            idx[b]
            for seed in (self.random_state, self.random_state + 1)
            for b in split_into_blocks(rows, BLOCK_SIZE, random_state=seed, overlap=BLOCK_OVERLAP)
        ]

    @staticmethod
    def _link_block(
        vectors: NDArray[np.float32],
        block: NDArray[np.int64],
        threshold: float,
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """The pairs (item, item) of the block at or above ``threshold``, as two index arrays
        (a star per connected group of the block: enough to connect what the block connects)."""
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        sub = vectors[block]
        rows: list[NDArray[np.int64]] = []
        cols: list[NDArray[np.int64]] = []
        step = 512
        for start in range(0, len(block), step):
            r, c = np.nonzero(sub[start : start + step] @ sub.T >= threshold)
            keep = r + start < c
            rows.append(r[keep] + start)
            cols.append(c[keep])
        r_all, c_all = np.concatenate(rows), np.concatenate(cols)
        if len(r_all) <= len(block):
            # Few pairs (most blocks): they are links enough as they are; only the groups
            # they make matter once all blocks are joined (``_earliest_of_components``).
            return block[r_all], block[c_all]
        graph = coo_matrix((np.ones(len(r_all)), (r_all, c_all)), shape=(len(block), len(block)))
        _, component = connected_components(graph, directed=False)
        linked = np.unique(np.concatenate([r_all, c_all]))
        # Link every linked item to one item of its component (whichever: the groups are the
        # same, and the canonical item is chosen once all blocks are joined).
        hub = np.zeros(int(component.max()) + 1, dtype=np.int64)
        hub[component[linked]] = linked
        return block[hub[component[linked]]], block[linked]


def _earliest_of_components(
    n: int, links: Sequence[tuple[NDArray[np.int64], NDArray[np.int64]]]
) -> NDArray[np.int64]:
    """The earliest item of each item's connected group, the groups joined by ``links``."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if n == 0:
        return np.zeros(0, dtype=np.int64)
    rows = np.concatenate([r for r, _ in links] or [np.zeros(0, dtype=np.int64)])
    cols = np.concatenate([c for _, c in links] or [np.zeros(0, dtype=np.int64)])
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    # Components are numbered in the order of their first item: that item is the canonical one.
    _, first = np.unique(component, return_index=True)
    out: NDArray[np.int64] = first[component].astype(np.int64)
    return out


def duplicate_groups(
    ids: Sequence[str], canonical: NDArray[np.int64], level: Sequence[str]
) -> list[DuplicateGroup]:
    """Gather the duplicate links into one `DuplicateGroup` per canonical item, in input order."""
    members: dict[int, list[int]] = {}
    for i, c in enumerate(canonical.tolist()):
        if c != i:
            members.setdefault(c, []).append(i)
    return [
        DuplicateGroup(
            canonical_id=ids[c],
            duplicate_ids=tuple(ids[i] for i in dups),
            levels=tuple(level[i] for i in dups),
        )
        for c, dups in sorted(members.items())
    ]
