"""What every step shares: scikit-learn's parameter protocol, so that steps copy cleanly.

A step's parameters are the keyword arguments of its ``__init__``, stored under the same names
(scikit-learn's contract). `Step` reads them back (`get_params`) and sets them (`set_params`)
the way ``sklearn.base.BaseEstimator`` does, without importing scikit-learn when the package is
imported; ``sklearn.base.clone`` then builds an unfitted copy of any step, which is how the
`Synthesizer` leaves the steps it is given untouched.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any, Protocol, Self, TypeVar

S = TypeVar("S")


class Step:
    """Mixin giving a step scikit-learn's ``get_params`` and ``set_params``."""

    @classmethod
    def _get_param_names(cls) -> list[str]:
        init = cls.__init__
        if init is object.__init__:
            return []
        parameters = inspect.signature(init).parameters.values()
        return sorted(
            p.name
            for p in parameters
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        )

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Return the step's parameters (with ``deep``, those of its sub-steps as ``a__b``)."""
        out: dict[str, Any] = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{name}__{k}", v) for k, v in value.get_params().items())
            out[name] = value
        return out

    def set_params(self, **params: Any) -> Self:
        """Set parameters (``a__b`` sets ``b`` of the sub-step ``a``); return ``self``."""
        valid = self._get_param_names()
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise ValueError(f"{type(self).__name__} has no parameter {name!r}")
            if sub:
                getattr(self, name).set_params(**{sub: value})
            else:
                setattr(self, name, value)
        return self


def clone(step: S) -> S:
    """An unfitted copy of ``step`` with the same parameters (``sklearn.base.clone``).

    A step without ``get_params`` (a caller's own object) is deep-copied instead.
    """
    from sklearn.base import clone as sklearn_clone

    copy: S = sklearn_clone(step, safe=False)
    return copy


C = TypeVar("C")
R = TypeVar("R")


class MapChunks(Protocol):
    """How the synthesis runs a map step: ``fn`` over ``chunks``, on its executor or in process.

    ``step`` names the progress bar; ``pool`` allows a local process pool when no executor was
    given.
    """

    def __call__(
        self, fn: Callable[[C], R], chunks: Sequence[C], step: str, *, pool: bool = False
    ) -> list[R]: ...
