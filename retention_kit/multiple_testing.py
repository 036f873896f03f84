"""Adjusting p-values when several comparisons are made at once (treatment arms against
control, pairs of segments): one vocabulary and one implementation for the whole kit."""

from __future__ import annotations

import difflib

import numpy as np

from .errors import ParameterError
from ._options import legacy_arguments

__all__ = ["adjust_p_values"]

#: Method name -> what it controls, in words used by explanations.
CORRECTIONS = {
    "holm": "Holm's method (family-wise error: the chance of any false alarm)",
    "bh": "Benjamini-Hochberg (false-discovery rate: the share of false alarms among discoveries)",
    "bonferroni": "Bonferroni (family-wise error, more conservative than Holm)",
    "none": "no adjustment",
}
_ALIASES = {"holm": "holm", "bh": "bh", "fdr_bh": "bh", "benjamini-hochberg": "bh",
            "bonferroni": "bonferroni", "none": "none"}


def resolve_correction(value, name: str = "correction") -> str:
    """The canonical method name; a misspelling raises with the closest valid choice."""
    key = str(value).strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    close = difflib.get_close_matches(key, list(_ALIASES), n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ParameterError(f"{name}={value!r} is not an option.{hint} Use one of {list(CORRECTIONS)} "
                         "('fdr_bh' is accepted for 'bh').")


@legacy_arguments(renamed={"method": "correction"}, positional=("correction",))
def adjust_p_values(p_values, *, correction: str = "holm") -> np.ndarray:
    """Adjust p-values for several comparisons: Holm (default), Benjamini-Hochberg or
    Bonferroni.

    Holm controls the family-wise error rate (the chance of any false positive) and is
    uniformly more powerful than Bonferroni; Benjamini-Hochberg controls the expected
    share of false positives among the comparisons called significant. NaN p-values are
    left out of the count and stay NaN.

    Parameters
    ----------
    p_values : array-like of float
    correction : {"holm", "bh", "bonferroni", "none"}
        ``"fdr_bh"`` and ``"benjamini-hochberg"`` are accepted for ``"bh"``. (``method``
        until 0.2.0.)

    Returns
    -------
    ndarray of adjusted p-values, in the input order.

    Examples
    --------
    >>> adjust_p_values([0.01, 0.04, 0.03]).round(4).tolist()  # Holm: 3*0.01, 2*0.03, max(1*0.04, 0.06)
    [0.03, 0.06, 0.06]
    >>> adjust_p_values([0.01, 0.04, 0.03], correction="bh").round(4).tolist()  # 3/1*0.01; 3/3*0.04; min(3/2*0.03, 0.04)
    [0.03, 0.04, 0.04]
    >>> adjust_p_values([0.01, 0.04, 0.03], correction="bonferroni").round(4).tolist()  # 3 * p, capped at 1
    [0.03, 0.12, 0.09]
    """
    method = resolve_correction(correction, "correction")

    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ((p[ok] < 0) | (p[ok] > 1)).any():
        raise ParameterError(f"p_values must lie between 0 and 1; got {p[ok][(p[ok] < 0) | (p[ok] > 1)][:3].tolist()}.")
    q = p[ok]
    m = q.size
    if m == 0 or method == "none":
        out[ok] = q
        return out
    if method == "bonferroni":
        out[ok] = np.minimum(1.0, m * q)
        return out
    order = np.argsort(q, kind="stable")
    ranked = q[order]
    if method == "holm":
        adjusted = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * ranked))
    else:
        adjusted = np.minimum.accumulate((m / np.arange(1, m + 1) * ranked)[::-1])[::-1]
        adjusted = np.minimum(adjusted, 1.0)
    back = np.empty(m)
    back[order] = adjusted
    out[ok] = back
    return out
