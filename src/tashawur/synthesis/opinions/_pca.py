"""Two principal components of the vote matrix, and the sparsity-aware projection of Pol.is.

Pol.is fills a missing vote with its statement's mean before the PCA, then projects each
participant using only the votes they cast and scales the result by
``sqrt(n_statements / n_votes)`` so that people who voted little are not all drawn to the
centre. Centring a mean-filled column makes the missing cells exactly zero, so the centred matrix
keeps the sparsity of the votes: the components are the top eigenvectors of ``SᵀS`` for that
sparse ``S``, found by Lanczos iteration without ever forming a dense matrix.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.linalg import LinearOperator, eigsh
from threadpoolctl import ThreadpoolController

from ._matrix import VoteMatrix

_controller: ThreadpoolController | None = None


def _blas_controller() -> ThreadpoolController:
    # Scanning the loaded BLAS libraries costs milliseconds: do it once.
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller


#: Up to this many matrix cells (participants × statements) the PCA is computed densely.
DENSE_LIMIT = 4_000_000


def _centred(matrix: VoteMatrix) -> tuple[sp.csr_array, NDArray[np.float64]]:
    votes = matrix.votes
    n_seen = np.bincount(votes.indices, minlength=matrix.shape[1])
    totals = np.bincount(
        votes.indices, weights=votes.data.astype(np.float64), minlength=matrix.shape[1]
    )
    center = np.divide(totals, n_seen, out=np.zeros(matrix.shape[1]), where=n_seen > 0)
    data = votes.data.astype(np.float64) - center[votes.indices]
    centred = sp.csr_array((data, votes.indices, votes.indptr), shape=matrix.shape)
    return centred, center


class PolisPCA:
    """Pol.is's PCA: mean-filled votes, two components, sparsity-aware scaled projection.

    Parameters
    ----------
    n_components : int, default=2
        Components kept (Pol.is keeps two).
    random_state : int or None, default=None
        Seeds the start vector of the Lanczos iteration (Pol.is also starts its power iteration
        from a random vector). The components do not depend on it beyond rounding and sign.

    Attributes
    ----------
    center_ : ndarray of shape (n_statements,)
        Mean vote of each statement.
    components_ : ndarray of shape (n_components, n_statements)
        Unit principal axes, strongest first; zero rows when the votes have fewer dimensions.
    explained_variance_ : ndarray of shape (n_components,)
        Eigenvalues of ``SᵀS / (n_participants - 1)``.
    embedding_ : ndarray of shape (n_participants, n_components)
        Scaled projection of every participant.
    """

    def __init__(self, *, n_components: int = 2, random_state: int | None = None) -> None:
        self.n_components = n_components
        self.random_state = random_state

    def fit(self, matrix: VoteMatrix) -> PolisPCA:
        """Find the components and project every participant.

        Parameters
        ----------
        matrix : VoteMatrix

        Returns
        -------
        self
        """
        centred, center = _centred(matrix)
        n_participants, n_statements = matrix.shape
        k = self.n_components
        eigenvalues = np.zeros(k)
        components = np.zeros((k, n_statements))
        usable = min(k, n_statements)
        if n_statements and centred.nnz:
            if n_participants * n_statements <= DENSE_LIMIT or usable >= n_statements:
                dense = centred.toarray()
                # Threads only cost time at this size, and thrash on a busy machine.
                with _blas_controller().limit(limits=1, user_api="blas"):
                    values, vectors = np.linalg.eigh(dense.T @ dense)
                values, vectors = values[::-1][:usable], vectors[:, ::-1][:, :usable]
            else:
                rng = np.random.default_rng(self.random_state)
                operator = LinearOperator(
                    (n_statements, n_statements),
                    matvec=lambda x: centred.T @ (centred @ x),
                    dtype=np.float64,
                )
                values, vectors = eigsh(
                    operator, k=usable, which="LA", v0=rng.uniform(0.5, 1.5, n_statements)
                )
                order = np.argsort(-values)
                values, vectors = values[order], vectors[:, order]
            positive = values > 1e-12 * max(float(values[0]), 1.0)
            eigenvalues[:usable] = np.where(positive, values, 0.0)
            components[:usable] = (vectors * positive).T
            # A deterministic sign: the largest loading of each axis is positive.
            for i in range(usable):
                if components[i, np.argmax(np.abs(components[i]))] < 0:
                    components[i] = -components[i]
        self.center_ = center
        self.components_ = components
        self.explained_variance_ = eigenvalues / max(n_participants - 1, 1)
        self.embedding_ = self._project(centred, matrix)
        return self

    def _project(self, centred: sp.csr_array, matrix: VoteMatrix) -> NDArray[np.float64]:
        # Pol.is zeroes moderated-out columns instead of dropping them: every participant then
        # "voted" on them, and the scaling counts them in both the statements and the votes.
        n_statements = matrix.shape[1] + matrix.n_moderated_out
        n_votes = np.diff(centred.indptr) + matrix.n_moderated_out
        scale = np.sqrt(n_statements / np.maximum(n_votes, 1))
        projected: NDArray[np.float64] = np.asarray(centred @ self.components_.T) * scale[:, None]
        return projected

    def fit_transform(self, matrix: VoteMatrix) -> NDArray[np.float64]:
        """Fit and return :attr:`embedding_`."""
        return self.fit(matrix).embedding_
