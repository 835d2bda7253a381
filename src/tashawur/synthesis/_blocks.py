"""Blocks of neighbouring rows, so that pairwise steps (findings, paraphrases) stay near-linear."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float32]
IntArray = NDArray[np.int64]


def split_into_blocks(
    vectors: FloatArray, block_size: int, *, random_state: int = 0, overlap: float = 0.0
) -> list[IntArray]:
    """Split rows into blocks of about ``block_size`` rows that tend to be neighbours.

    A random-projection tree: each node is cut at the median of the rows' projection on a
    random unit direction, until blocks are small enough. Linear in the rows per level, so the
    whole split costs O(n log n), and neighbours mostly share a block.

    Two promises hold by construction, whatever the processor's BLAS kernels do:

    - identical rows always share a block: they are split as one row (found by hashing their
      bytes), since BLAS may project two copies of a row a few units in the last place apart
      when it sums them in another order at another position of the matrix;
    - with ``overlap`` > 0, rows closer than ``overlap`` times the largest row norm (less the
      rounding of one projection, about 1e-6 of a unit row) always share at least one block:
      rows whose projection lies within that distance of a cut go to both sides, so blocks may
      then share rows. Without overlap the blocks are a partition.

    A node whose rows cannot be cut (they all project within the overlap band) stays one block,
    larger than ``block_size``: correctness first, the caller compares all its pairs.

    Parameters
    ----------
    vectors : ndarray of shape (n, dim)
        The rows to split.
    block_size : int
        Largest block, but for overlap rows and rows that cannot be cut apart.
    random_state : int
        Seed of the directions.
    overlap : float
        Width of the band around each cut whose rows go to both sides, relative to the largest
        row norm; 0 for a partition.

    Returns
    -------
    list of ndarray of int
        The row indices of each block, ascending, blocks ordered by their first row.
    """
    n = len(vectors)
    if n == 0:
        return []
    rows = np.ascontiguousarray(vectors)
    _, first, inverse = np.unique(_row_hashes(rows), return_index=True, return_inverse=True)
    rng = np.random.default_rng(random_state)
    directions = rng.normal(size=(rows.shape[1], 64)).astype(rows.dtype)
    directions /= np.linalg.norm(directions, axis=0, keepdims=True)
    # Project once on a bank of random directions; each node draws one of them. Copies of a
    # row all take the projection of its first copy.
    bank = (rows @ directions)[first]
    band = (
        float(overlap) * float(np.sqrt(np.max(np.einsum("ij,ij->i", rows, rows))))
        if overlap
        else 0.0
    )
    done: list[IntArray] = []
    todo: list[IntArray] = [np.arange(len(first), dtype=np.int64)]
    while todo:
        node = todo.pop()
        if len(node) <= block_size:
            done.append(node)
            continue
        cut = _cut(bank, node, rng, band)
        if cut is None:
            done.append(node)
            continue
        todo.extend(cut)
    return _expand_unique_blocks(done, inverse)


def _row_hashes(rows: FloatArray, columns: int = 32) -> NDArray[np.uint64]:
    """A 64-bit hash of each row, read from a few of its columns' bytes.

    Equal rows always hash equal, which is the promise that matters; two other rows hash equal
    only when they agree bit for bit on every column read (or by a 2**-64 chance), and then
    they merely share a block.
    """
    words = rows.view(np.uint32) if rows.dtype.itemsize % 4 == 0 else rows.view(np.uint8)
    picked = np.unique(np.linspace(0, words.shape[1] - 1, num=columns).astype(np.int64))
    multipliers = np.random.default_rng(0).integers(
        1, 2**62, size=len(picked), dtype=np.uint64
    ) * np.uint64(2) + np.uint64(1)
    # Sums of products wrap modulo 2**64, as a hash wants.
    hashes: NDArray[np.uint64] = (words[:, picked].astype(np.uint64) * multipliers).sum(
        axis=1, dtype=np.uint64
    )
    return hashes


def _cut(
    bank: FloatArray, node: IntArray, rng: np.random.Generator, band: float
) -> tuple[IntArray, IntArray] | None:
    """Cut ``node`` in two at the median of a random projection, or ``None`` when it cannot."""
    for _ in range(4 if band else 1):
        projected = bank[node, int(rng.integers(bank.shape[1]))]
        half = len(node) // 2
        median = np.partition(projected, half - 1)[half - 1]
        if band:
            # Rows within the band of the median go both ways: no two rows closer than the
            # band fall on two sides.
            left, right = projected <= median + band, projected > median - band
        else:
            # Never cut between equal projections.
            left = projected <= median
            if left.all():
                left = projected < median
            right = ~left
        if left.any() and right.any() and not (left.all() or right.all()):
            return node[right], node[left]
    return None


def _expand_unique_blocks(blocks: list[IntArray], inverse: IntArray) -> list[IntArray]:
    """Replace each unique row of ``blocks`` by the rows it stands for."""
    inverse = inverse.ravel().astype(np.int64)
    order = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    expanded = []
    for block in blocks:
        lengths = counts[block]
        offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        members = np.sort(order[np.repeat(starts[block], lengths) + offsets])
        expanded.append(members.astype(np.int64))
    return sorted(expanded, key=lambda block: int(block[0]))
