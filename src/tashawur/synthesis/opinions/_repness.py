"""What each group stands for, what all groups agree on, and what divides them.

The formulas are Pol.is's (``polismath.math.repness`` and ``stats``): agree and disagree rates
smoothed as ``(1 + n) / (2 + seen)``; representativeness as the ratio of a group's rate to the
rate of everyone else clustered; one- and two-proportion z-tests (each count +1) significant
above the one-sided quantile of ``confidence`` (1.2816 at 90%); group-informed consensus as the
product over groups of the smoothed agree rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.stats import norm

from ._matrix import AGREE, DISAGREE, VoteMatrix

Array = NDArray[np.float64]

#: Votes counted per block in :func:`group_vote_counts`.
_BLOCK_VOTES = 4_000_000


@dataclass(frozen=True, slots=True)
class Representative:
    """A statement that represents a group, as Pol.is picks them."""

    statement: int  # column index in the vote matrix
    repful_for: str  # "agree" or "disagree"
    n_success: int
    n_trials: int
    p_success: float
    p_test: float
    repness: float
    repness_test: float
    best_agree: bool


@dataclass(frozen=True, slots=True)
class StatementStats:
    """Per group (rows) and statement (columns) vote counts and Pol.is statistics.

    ``consensus`` and ``divisiveness`` have one value per statement. Representativeness arrays
    are NaN when there are fewer than two groups (there is no "rest" to compare with).
    """

    agree: NDArray[np.int64]
    disagree: NDArray[np.int64]
    passes: NDArray[np.int64]
    p_agree: Array
    p_disagree: Array
    agree_test: Array
    disagree_test: Array
    repness_agree: Array
    repness_disagree: Array
    repness_agree_test: Array
    repness_disagree_test: Array
    consensus: Array
    divisiveness: Array

    @property
    def repful_for_agree(self) -> NDArray[np.bool_]:
        """Whether agreement (rather than disagreement) is what makes the statement stand out."""
        return np.asarray(self.repness_agree_test > self.repness_disagree_test)

    @property
    def repness(self) -> Array:
        """Representativeness on the side that stands out (Pol.is's ``finalize-cmt-stats``)."""
        return np.where(self.repful_for_agree, self.repness_agree, self.repness_disagree)


def prop_test(successes: Array, trials: Array) -> Array:
    """Pol.is's one-proportion z-statistic against 1/2, each count + 1."""
    s, n = successes + 1.0, trials + 1.0
    return np.asarray(2.0 * np.sqrt(n) * (s / n - 0.5))


def two_prop_test(succ_in: Array, succ_out: Array, pop_in: Array, pop_out: Array) -> Array:
    """Pol.is's two-proportion z-statistic (in-group above the rest), each count + 1."""
    s1, s2, n1, n2 = succ_in + 1.0, succ_out + 1.0, pop_in + 1.0, pop_out + 1.0
    pooled = (s1 + s2) / (n1 + n2)
    spread = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    z = np.divide(s1 / n1 - s2 / n2, spread, out=np.zeros_like(spread), where=spread > 0)
    return np.asarray(np.where(pooled >= 1.0, 0.0, z))


def z_threshold(confidence: float) -> float:
    """One-sided z above which a statistic is significant at ``confidence``."""
    return float(norm.ppf(confidence))


def group_vote_counts(
    matrix: VoteMatrix, labels: NDArray[np.int64], n_groups: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Agree, disagree and seen counts per group (rows) and statement; label -1 is left out.

    One ``bincount`` of (group, statement, vote) per block of rows: exact integers, in memory
    bounded by the block whatever the number of votes.
    """
    votes = matrix.votes
    n_rows, m = matrix.shape
    slots = 3 * m  # per group: agree, disagree, pass counts of every statement
    totals = np.zeros(max(n_groups, 1) * slots, dtype=np.int64)
    group_of_row = np.asarray(labels, dtype=np.int64)
    step = max(1, _BLOCK_VOTES * n_rows // max(votes.nnz, 1))
    for start in range(0, n_rows, step):
        stop = min(start + step, n_rows)
        low, high = int(votes.indptr[start]), int(votes.indptr[stop])
        groups = np.repeat(group_of_row[start:stop], np.diff(votes.indptr[start : stop + 1]))
        clustered = groups >= 0
        data = votes.data[low:high][clustered]
        kind = np.where(data == AGREE, 0, np.where(data == DISAGREE, 1, 2))
        key = groups[clustered] * slots + votes.indices[low:high][clustered] * 3 + kind
        totals += np.bincount(key, minlength=len(totals))
    counts = totals.reshape(max(n_groups, 1), m, 3)[:n_groups]
    agree, disagree = counts[:, :, 0].copy(), counts[:, :, 1].copy()
    return agree, disagree, counts.sum(axis=2)


def statement_stats(matrix: VoteMatrix, labels: NDArray[np.int64], n_groups: int) -> StatementStats:
    """Compute every per-group statistic of every statement.

    Parameters
    ----------
    matrix : VoteMatrix
    labels : ndarray of int
        Group of each participant, -1 when not clustered.
    n_groups : int

    Returns
    -------
    StatementStats
    """
    na, nd, ns = group_vote_counts(matrix, labels, n_groups)
    a, d, s = na.astype(np.float64), nd.astype(np.float64), ns.astype(np.float64)
    pa, pd = (a + 1.0) / (s + 2.0), (d + 1.0) / (s + 2.0)
    m = matrix.shape[1]
    nan = np.full((n_groups, m), np.nan)
    if n_groups >= 2:
        ra_, rd_ = a.sum(0) - a, d.sum(0) - d
        rs_ = s.sum(0) - s
        ra = pa / ((1.0 + ra_) / (2.0 + rs_))
        rd = pd / ((1.0 + rd_) / (2.0 + rs_))
        rat = two_prop_test(a, ra_, s, rs_)
        rdt = two_prop_test(d, rd_, s, rs_)
    else:
        ra, rd, rat, rdt = nan, nan.copy(), nan.copy(), nan.copy()
    if n_groups:
        consensus = np.prod(pa, axis=0)
        divisiveness = pa.max(axis=0) - pa.min(axis=0)
    else:
        consensus = np.full(m, np.nan)
        divisiveness = np.full(m, np.nan)
    return StatementStats(
        agree=na,
        disagree=nd,
        passes=ns - na - nd,
        p_agree=pa,
        p_disagree=pd,
        agree_test=prop_test(a, s),
        disagree_test=prop_test(d, s),
        repness_agree=ra,
        repness_disagree=rd,
        repness_agree_test=rat,
        repness_disagree_test=rdt,
        consensus=consensus,
        divisiveness=divisiveness,
    )


def _representative(stats: StatementStats, g: int, j: int, *, best_agree: bool) -> Representative:
    agree = best_agree or bool(stats.repness_agree_test[g, j] > stats.repness_disagree_test[g, j])
    if agree:
        n, p, pt = stats.agree[g, j], stats.p_agree[g, j], stats.agree_test[g, j]
        r, rt = stats.repness_agree[g, j], stats.repness_agree_test[g, j]
    else:
        n, p, pt = stats.disagree[g, j], stats.p_disagree[g, j], stats.disagree_test[g, j]
        r, rt = stats.repness_disagree[g, j], stats.repness_disagree_test[g, j]
    seen = int(stats.agree[g, j] + stats.disagree[g, j] + stats.passes[g, j])
    return Representative(
        statement=j,
        repful_for="agree" if agree else "disagree",
        n_success=int(n),
        n_trials=seen,
        p_success=float(p),
        p_test=float(pt),
        repness=float(r),
        repness_test=float(rt),
        best_agree=best_agree,
    )


def _metric(rep: Representative) -> float:
    return rep.repness * rep.repness_test * rep.p_success * rep.p_test


def representative_statements(
    stats: StatementStats, *, confidence: float = 0.9, top: int = 5
) -> dict[int, list[Representative]]:
    """Each group's representative statements, picked and ordered as Pol.is does.

    Statements significant on both tests (agree or disagree side) qualify; they are ranked by
    ``repness × repness_test × p_success × p_test`` behind the group's best agreed statement, the
    first ``top`` kept, agreements before disagreements. A group with no qualifying statement
    gets its best agreed statement, or failing that its most distinctive one.

    Returns
    -------
    dict of int to list of Representative
        Empty when there are fewer than two groups.
    """
    n_groups, m = stats.agree.shape
    if n_groups < 2:
        return {}
    z = z_threshold(confidence)
    ra, rat, pa, pat = (
        stats.repness_agree,
        stats.repness_agree_test,
        stats.p_agree,
        stats.agree_test,
    )
    rdt, pdt = stats.repness_disagree_test, stats.disagree_test
    result: dict[int, list[Representative]] = {}
    for g in range(n_groups):
        sufficient: list[int] = []
        best: int | None = None
        best_agree: int | None = None
        for j in range(m):
            if (rat[g, j] > z and pat[g, j] > z) or (rdt[g, j] > z and pdt[g, j] > z):
                sufficient.append(j)
            if not sufficient and (
                best is None or max(rat[g, j], rdt[g, j]) > max(rat[g, best], rdt[g, best])
            ):
                best = j
            if stats.agree[g, j] == 0 and stats.disagree[g, j] == 0:
                continue
            if best_agree is not None and ra[g, best_agree] > 1.0:
                beats = (
                    ra[g, j] * rat[g, j] * pa[g, j] * pat[g, j]
                    > ra[g, best_agree]
                    * rat[g, best_agree]
                    * pa[g, best_agree]
                    * pat[g, best_agree]
                )
            elif best_agree is not None:
                beats = pa[g, j] * pat[g, j] > pa[g, best_agree] * pat[g, best_agree]
            else:
                beats = bool(pat[g, j] > z or (ra[g, j] > 1.0 and pa[g, j] > 0.5))
            if beats:
                best_agree = j
        head = (
            [_representative(stats, g, best_agree, best_agree=True)]
            if best_agree is not None
            else []
        )
        if not sufficient:
            if not head and best is not None:
                head = [_representative(stats, g, best, best_agree=False)]
            result[g] = head
            continue
        ranked = sorted(
            (_representative(stats, g, j, best_agree=False) for j in sufficient if j != best_agree),
            key=lambda r: -_metric(r),
        )
        chosen = (head + ranked)[:top]
        result[g] = [r for r in chosen if r.repful_for == "agree"] + [
            r for r in chosen if r.repful_for == "disagree"
        ]
    return result
