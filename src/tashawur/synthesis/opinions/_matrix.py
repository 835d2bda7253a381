"""The participant × statement vote matrix, and which participants Pol.is would cluster.

Votes are 1 (agree), -1 (disagree) and 0 (pass). The matrix is a ``scipy.sparse`` CSR array
whose sparsity pattern is what each participant has *seen*: passes are stored as explicit zeros,
so the matrix must never go through ``eliminate_zeros``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

#: Pol.is clusters a participant once they have voted on this many statements.
POLIS_MIN_VOTES = 7
#: Pol.is tops the clustered participants up to this many with the most active ones.
POLIS_MIN_PARTICIPANTS = 15

AGREE, DISAGREE, PASS = 1, -1, 0


class VoteError(ValueError):
    """Votes that cannot make a matrix: an unknown vote value, ids of unequal length."""


def _natural_key(value: str) -> tuple[int, int | str]:
    return (0, int(value)) if value.isdigit() else (1, value)


def natural_order(values: Collection[str]) -> list[str]:
    """Sort ids numerically when they are numbers, then the others alphabetically."""
    return sorted(values, key=_natural_key)


@dataclass(frozen=True, slots=True)
class VoteHistory:
    """Every vote event in time order, by matrix row and column, for replaying Pol.is's updates.

    ``columns`` numbers moderated-out statements after the matrix's own columns.
    """

    times: NDArray[np.float64]
    rows: NDArray[np.int64]
    columns: NDArray[np.int64]
    values: NDArray[np.int8]


@dataclass(frozen=True, slots=True)
class VoteMatrix:
    """Votes of participants (rows) on statements (columns), moderated-out statements removed.

    Rows are in the order Pol.is meets participants: by their first vote when vote times are
    known, otherwise in the order of the input. Build it with :func:`vote_matrix`.

    Attributes
    ----------
    votes : scipy.sparse.csr_array of int8, shape (n_participants, n_statements)
        1 agree, -1 disagree, 0 pass (stored); absent where the participant did not vote.
    participant_ids, statement_ids : list of str
        Row and column labels.
    vote_counts : ndarray of int64
        Votes of each participant on every statement, moderated-out ones included (what Pol.is's
        participant filter counts).
    n_moderated_out : int
        Moderated-out statements that received votes. Pol.is zeroes their columns rather than
        dropping them, which counts them as votes when it scales projections.
    early_admitted : ndarray of bool
        Participants Pol.is's incremental filter admits while the conversation is young (see
        :func:`early_admissions`); all False when vote times are unknown.
    n_duplicates : int
        Repeated votes of a participant on a statement that were replaced by a later one.
    history : VoteHistory or None
        The time-ordered vote events, kept when :func:`vote_matrix` is asked to
        (``keep_history``) and vote times are known; what ``OpinionMap(replay_window=...)``
        replays.
    """

    votes: sp.csr_array
    participant_ids: list[str]
    statement_ids: list[str]
    vote_counts: NDArray[np.int64]
    n_moderated_out: int
    early_admitted: NDArray[np.bool_]
    n_duplicates: int
    history: VoteHistory | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_participants, n_statements)``."""
        return (len(self.participant_ids), len(self.statement_ids))

    @property
    def n_votes(self) -> int:
        """Votes in the matrix (passes included, moderated-out statements excluded)."""
        return int(self.votes.nnz)

    def counts(self, value: int) -> NDArray[np.int64]:
        """Per participant, how many votes equal ``value`` (1, -1 or 0)."""
        mask = self.votes.data == value
        rows = np.repeat(np.arange(self.shape[0]), np.diff(self.votes.indptr))
        return np.bincount(rows[mask], minlength=self.shape[0]).astype(np.int64)


def early_admissions(
    participant_codes: NDArray[np.int64],
    statement_codes: NDArray[np.int64],
    n_participants: int,
    *,
    min_votes: int = POLIS_MIN_VOTES,
    min_participants: int = POLIS_MIN_PARTICIPANTS,
) -> NDArray[np.bool_]:
    """Replay the start of a time-ordered vote stream through Pol.is's participant filter.

    Pol.is keeps a participant for good once they qualify, and it re-applies its filter after
    every update: a participant qualifies with ``min(min_votes, statements so far)`` votes, and
    while fewer than ``min_participants`` qualify the most active others are added. Early in a
    conversation this admits the first voters even if they never vote again. This replays that
    rule vote by vote until it can no longer admit anyone the final counts would not.

    Parameters
    ----------
    participant_codes, statement_codes : ndarray of int64
        Row and column of every vote event, in time order (repeated votes included).
    n_participants : int
        Number of rows.

    Returns
    -------
    ndarray of bool, shape (n_participants,)
    """
    admitted = np.zeros(n_participants, dtype=bool)
    counts = np.zeros(n_participants, dtype=np.int64)
    seen_pairs: set[tuple[int, int]] = set()
    seen_statements: set[int] = set()
    n_admitted = 0
    for p, s in zip(participant_codes.tolist(), statement_codes.tolist(), strict=True):
        if n_admitted >= min_participants and len(seen_statements) >= min_votes:
            break  # from here on the rule is "min_votes votes", which the final counts apply
        if (p, s) not in seen_pairs:
            seen_pairs.add((p, s))
            counts[p] += 1
            seen_statements.add(s)
        if not admitted[p] and (
            counts[p] >= min(min_votes, len(seen_statements)) or n_admitted < min_participants
        ):
            admitted[p] = True
            n_admitted += 1
    return admitted


def _codes(
    labels: Sequence[str] | NDArray[np.generic], order: NDArray[np.int64] | None
) -> tuple[NDArray[np.int64], list[str]]:
    """Integer codes of ``labels[order]`` (of ``labels`` when ``order`` is None), numbered by
    first appearance, and the labels."""
    if isinstance(labels, np.ndarray) and np.issubdtype(labels.dtype, np.integer):
        coded = _integer_codes(labels, order)
        if coded is not None:
            return coded
    if isinstance(labels, np.ndarray):
        ordered = labels if order is None else labels[order]
        distinct, first, raw = np.unique(ordered, return_index=True, return_inverse=True)
        names = [str(x) for x in distinct.tolist()]
    else:
        names = list(dict.fromkeys(labels))
        index = {name: i for i, name in enumerate(names)}
        raw = np.fromiter(map(index.__getitem__, labels), np.int64, len(labels))
        if order is not None:
            raw = raw[order]
        first = np.unique(raw, return_index=True)[1]  # every code occurs: indexed by code
    appearance = np.argsort(first, kind="stable")  # codes, in order of first appearance
    rank = np.empty(len(names), dtype=np.int64)
    rank[appearance] = np.arange(len(names))
    return rank[raw.astype(np.int64)], [names[c] for c in appearance.tolist()]


def _integer_codes(
    labels: NDArray[np.generic], order: NDArray[np.int64] | None
) -> tuple[NDArray[np.int64], list[str]] | None:
    """:func:`_codes` for integers of a compact range, by counting instead of sorting.

    Sorting 50 million ids to number them costs tens of seconds; integers spanning a range not
    much wider than their count are numbered with one pass (None for other integers).
    """
    n = len(labels)
    if not n:
        return None
    low, high = int(labels.min()), int(labels.max())
    span = high - low + 1
    if span > 4 * n + 1024 or high > np.iinfo(np.int64).max:
        return None
    ordered = labels if order is None else labels[order]
    offsets = ordered.astype(np.int64) - low if low else ordered.astype(np.int64, copy=False)
    if bool(np.all(offsets[1:] >= offsets[:-1])):  # sorted: values appear in increasing order
        appearance = np.flatnonzero(np.bincount(offsets, minlength=span))
    else:
        first = np.full(span, n, dtype=np.int64)
        np.minimum.at(first, offsets, np.arange(n))
        present = np.flatnonzero(first < n)
        appearance = present[np.argsort(first[present], kind="stable")]  # values - low, in order
    rank = np.zeros(span, dtype=np.int64)
    rank[appearance] = np.arange(len(appearance))
    codes: NDArray[np.int64] = rank[offsets]
    return codes, [str(v) for v in (appearance + low).tolist()]


def vote_matrix(
    participants: Sequence[str] | NDArray[np.generic],
    statements: Sequence[str] | NDArray[np.generic],
    votes: Sequence[int] | NDArray[np.integer],
    *,
    timestamps: Sequence[float] | NDArray[np.floating] | None = None,
    moderated_out: Collection[str] = (),
    keep_history: bool = False,
) -> VoteMatrix:
    """Build the vote matrix from one row per vote, the latest vote of a pair winning.

    Parameters
    ----------
    participants, statements : sequence of str, or ndarray
        Who voted on what, one entry per vote. Arrays (of integers, say) are the fast path for
        millions of votes; their values become ids through ``str``.
    votes : sequence of int
        1 agree, -1 disagree, 0 pass.
    timestamps : sequence of float, optional
        When each vote was cast. The latest vote of a participant on a statement wins (the later
        row on ties); without times, the later row wins. Times also order the participants as
        Pol.is meets them and let the participant filter replay the conversation's start.
    moderated_out : collection of str
        Statements rejected by moderation: removed from the matrix.
    keep_history : bool, default=False
        With ``timestamps``, keep the time-ordered vote events (:attr:`VoteMatrix.history`)
        so that the opinion map can replay Pol.is's incremental updates.

    Returns
    -------
    VoteMatrix

    Raises
    ------
    VoteError
        On a vote value other than 1, -1 or 0, or inputs of unequal length.
    """
    n = len(participants)
    if len(statements) != n or len(votes) != n or (timestamps is not None and len(timestamps) != n):
        raise VoteError("participants, statements, votes and timestamps must have equal lengths")
    values = np.asarray(votes)
    compact = np.issubdtype(values.dtype, np.integer) and (
        not n or (int(values.min()) >= DISAGREE and int(values.max()) <= AGREE)
    )
    if n and not compact and not (valid := np.isin(values, (AGREE, DISAGREE, PASS))).all():
        bad = values[~valid][0].item()
        raise VoteError(f"unknown vote value {bad!r}: votes are 1 (agree), -1 (disagree), 0 (pass)")
    values = values.astype(np.int8)
    order: NDArray[np.int64] | None = None  # None: the input order
    if timestamps is not None:
        times = np.asarray(timestamps, dtype=np.float64)
        order = np.argsort(times, kind="stable")  # time order, input order on ties
        values = values[order]
    p_codes, p_labels = _codes(participants, order)
    s_codes, s_labels = _codes(statements, order)

    early = (
        early_admissions(p_codes, s_codes, len(p_labels))
        if timestamps is not None
        else np.zeros(len(p_labels), dtype=bool)
    )

    # Columns: statements not moderated out, in natural id order; moderated ones after them.
    rejected = {str(x) for x in moderated_out}
    kept_labels = natural_order([s for s in s_labels if s not in rejected])
    n_moderated_out = len(s_labels) - len(kept_labels)
    position = {s: j for j, s in enumerate(kept_labels)}
    for s in s_labels:
        position.setdefault(s, len(position))
    column_of = np.array([position[s] for s in s_labels], dtype=np.int64)
    cols = column_of[s_codes]
    del s_codes
    history = (
        VoteHistory(times=times[order], rows=p_codes, columns=cols, values=values)
        if keep_history and timestamps is not None and order is not None
        else None
    )

    # One stable sort by (participant, column) groups each pair's votes in stream order, in the
    # order CSR wants: the last of each run is the latest vote, which wins. Rows and columns are
    # read back from the sorted cells, so that no other array of every vote is gathered.
    width = max(len(s_labels), 1)
    cell = p_codes * width
    cell += cols
    del p_codes, cols  # the history, when kept, holds its own references
    by_cell = np.argsort(cell, kind="stable")
    cell = cell[by_cell]
    last = np.ones(len(cell), dtype=bool)
    np.not_equal(cell[1:], cell[:-1], out=last[:-1])
    keep = by_cell[last]
    del by_cell
    n_duplicates = n - len(keep)
    values = values[keep]
    del keep
    cell = cell[last]
    del last
    rows = cell // width
    cell -= rows * width  # now the column of each vote
    vote_counts = np.bincount(rows, minlength=len(p_labels)).astype(np.int64)
    if n_moderated_out:
        in_matrix = cell < len(kept_labels)
        rows, cell, values = rows[in_matrix], cell[in_matrix], values[in_matrix]
        per_row = np.bincount(rows, minlength=len(p_labels))
    else:
        per_row = vote_counts
    del rows
    indptr = np.zeros(len(p_labels) + 1, dtype=np.int64)
    np.cumsum(per_row, out=indptr[1:])
    matrix = sp.csr_array(
        (values, cell.astype(np.int32), indptr), shape=(len(p_labels), len(kept_labels))
    )
    return VoteMatrix(
        votes=matrix,
        participant_ids=p_labels,
        statement_ids=kept_labels,
        vote_counts=vote_counts,
        n_moderated_out=n_moderated_out,
        early_admitted=early,
        n_duplicates=int(n_duplicates),
        history=history,
    )


def polis_participant_filter(
    matrix: VoteMatrix,
    *,
    min_votes: int = POLIS_MIN_VOTES,
    min_participants: int = POLIS_MIN_PARTICIPANTS,
) -> NDArray[np.bool_]:
    """Which participants Pol.is clusters.

    A participant is kept with at least ``min(min_votes, n_statements)`` votes (moderated-out
    statements count, as in Pol.is), or when admitted early (see :func:`early_admissions`);
    while fewer than ``min_participants`` are kept, the most active others are added (the
    earlier participant first on equal counts).

    Returns
    -------
    ndarray of bool, shape (n_participants,)
    """
    n_statements = len(matrix.statement_ids) + matrix.n_moderated_out
    kept = (matrix.vote_counts >= min(min_votes, n_statements)) | matrix.early_admitted
    missing = min_participants - int(kept.sum())
    if missing > 0:
        candidates = np.flatnonzero(~kept)
        by_activity = candidates[np.argsort(-matrix.vote_counts[candidates], kind="stable")]
        kept[by_activity[:missing]] = True
    return kept
