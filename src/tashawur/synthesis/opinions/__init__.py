"""Opinion map: Pol.is-compatible groups, representative statements, consensus, divisiveness.

From agree (1), disagree (-1) and pass (0) votes of participants on statements: a sparse vote
matrix, Pol.is's participant filter, its PCA with sparsity-aware projection, its two-level
k-means (base clusters, then 2 to 5 groups chosen by silhouette), and its representativeness
and group-informed consensus. Pure Python, numpy and scipy; no Django.

Example
-------
>>> from tashawur.synthesis.opinions import OpinionMap, vote_matrix
>>> matrix = vote_matrix(["p1", "p1", "p2"], ["s1", "s2", "s1"], [1, -1, 0])
>>> OpinionMap(random_state=0).fit(matrix).labels_.tolist()
[0, 1]
"""

from ._breakdown import BREAKDOWN_FIELDS, GroupBreakdown, group_breakdowns
from ._cluster import TwoLevelKMeans, polis_kmeans, polis_silhouette
from ._io import InputError, Statements, Votes, read_participants, read_statements, read_votes
from ._map import OpinionMap
from ._matrix import (
    POLIS_MIN_PARTICIPANTS,
    POLIS_MIN_VOTES,
    VoteError,
    VoteMatrix,
    early_admissions,
    polis_participant_filter,
    vote_matrix,
)
from ._pca import PolisPCA
from ._repness import (
    Representative,
    StatementStats,
    representative_statements,
    statement_stats,
)

__all__ = [
    "BREAKDOWN_FIELDS",
    "POLIS_MIN_PARTICIPANTS",
    "POLIS_MIN_VOTES",
    "GroupBreakdown",
    "InputError",
    "OpinionMap",
    "PolisPCA",
    "Representative",
    "StatementStats",
    "Statements",
    "TwoLevelKMeans",
    "VoteError",
    "VoteMatrix",
    "Votes",
    "early_admissions",
    "group_breakdowns",
    "polis_kmeans",
    "polis_participant_filter",
    "polis_silhouette",
    "read_participants",
    "read_statements",
    "read_votes",
    "representative_statements",
    "statement_stats",
    "vote_matrix",
]
