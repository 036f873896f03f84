"""The interface every purchase model (BG/NBD, Pareto/NBD) shares.

A subclass supplies the formulas as functions of a parameter vector -- ``_p_alive``,
``_conditional`` (expected purchases in the next t), ``_unconditional`` (expected
purchases of a new customer in t) and ``_pmf`` (P(X(t) = n)) -- and this class turns them
into methods that accept arrays, scalars or an rfm_summary frame and return one value per
customer (a Series keeping the frame's index).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ._base import FittedModel, as_arrays

__all__: list[str] = []


def _nonnegative(value, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ParameterError(f"{name}={value!r} must be a length of time >= 0 (in the summary's time unit).")
    return arr


def _shape(values: np.ndarray, index, scalar: bool):
    if index is not None:
        return pd.Series(values, index=index)
    return float(values) if scalar else values


def unique_rows(*arrays: np.ndarray):
    """Evaluate once per distinct row: (unique columns, inverse index)."""
    frame = pd.DataFrame({f"c{i}": a.ravel() for i, a in enumerate(arrays)})
    codes = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()
    first = pd.Series(np.arange(len(codes))).groupby(codes).first().to_numpy()
    return [a.ravel()[first] for a in arrays], codes


class PurchaseModel(FittedModel):
    """Predictions of a fitted purchase model, one value per customer."""

    def _p_alive(self, p, x, tx, big_t):  # pragma: no cover - abstract
        raise NotImplementedError

    def _conditional(self, p, t, x, tx, big_t):  # pragma: no cover - abstract
        raise NotImplementedError

    def _unconditional(self, p, t):  # pragma: no cover - abstract
        raise NotImplementedError

    def _pmf(self, p, n, t):  # pragma: no cover - abstract
        raise NotImplementedError

    def _per_customer(self, fn, frequency, recency, T, *extra):
        scalar = all(np.ndim(v) == 0 for v in (frequency, recency, T, *extra)) and not isinstance(
            frequency, pd.DataFrame)
        x, tx, big_t, index = as_arrays(frequency, recency, T)
        arrays = np.broadcast_arrays(x, tx, big_t, *extra)
        (ux, utx, ut, *uextra), inverse = unique_rows(*arrays)
        values = fn(self._log_params, ux, utx, ut, *uextra)[inverse].reshape(arrays[0].shape)
        return _shape(values, index, scalar)

    def probability_alive(self, frequency, recency=None, T=None):
        """P(the customer is still active at the end of the calibration period), given
        ``frequency`` repeat purchases, the last at ``recency``, observed for ``T``.

        ``frequency`` may be an rfm_summary frame (then leave ``recency`` and ``T`` out):
        the result is a Series, one value per customer."""
        return self._per_customer(lambda lp, x, tx, t: self._p_alive(np.exp(lp), x, tx, t),
                                  frequency, recency, T)

    def expected_purchases(self, t, frequency, recency=None, T=None):
        """Expected number of purchases in the next ``t`` time units, given the customer's
        history (the conditional expectation E[Y(t) | x, t_x, T])."""
        t = _nonnegative(t, "t")
        fn = lambda lp, x, tx, big_t, tt: self._conditional(np.exp(lp), tt, x, tx, big_t)  # noqa: E731
        if isinstance(frequency, pd.DataFrame):
            x, tx, big_t, index = as_arrays(frequency, None, None)
            (ux, utx, ut, utt), inv = unique_rows(*np.broadcast_arrays(x, tx, big_t, t))
            return pd.Series(fn(self._log_params, ux, utx, ut, utt)[inv], index=index)
        return self._per_customer(fn, frequency, recency, T, t)

    def expected_purchases_new(self, t):
        """Expected number of repeat purchases of a new customer in ``t`` time units after
        the first purchase (the unconditional E[X(t)])."""
        t = _nonnegative(t, "t")
        out = self._unconditional(self.params.to_numpy(), t)
        return float(out) if np.ndim(out) == 0 else out

    def probability_of_purchases(self, n, t):
        """P(X(t) = n): the probability that a new customer makes exactly ``n`` repeat
        purchases in the ``t`` time units after the first one. ``t`` may be an
        rfm_summary frame (each customer's T is used): one value per customer."""
        index = None
        if isinstance(t, pd.DataFrame):
            index, t = t.index, t["T"].to_numpy(float)
        n = np.asarray(n, dtype=float)
        if not np.isfinite(n).all() or (n < 0).any() or (n != np.round(n)).any():
            raise ParameterError(f"n={n!r} must be a whole number of purchases >= 0.")
        t = _nonnegative(t, "t")
        scalar = index is None and n.ndim == 0 and t.ndim == 0
        n, t = np.broadcast_arrays(n, t)
        (un, ut), inv = unique_rows(n, t)
        values = self._pmf(self.params.to_numpy(), un, ut)[inv].reshape(n.shape)
        return _shape(values, index, scalar)
