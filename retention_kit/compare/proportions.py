"""Rate differences and their intervals, from sufficient statistics (vectorised over
comparisons): Wilson intervals of each rate, Newcombe's hybrid score or the Wald interval of
the difference, the pooled z-test, and the fixed-horizon columns of a comparison's summary.

Internal to :mod:`retention_kit.compare`; the names in ``__all__`` are shared by its modules only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import SmallSampleWarning
from ..multiple_testing import adjust_p_values
from .posterior import beta_compare
from .text import p_is, warn
from .verdicts import family_alpha

__all__ = ["FIXED_COLUMNS", "fixed_horizon", "two_proportions"]

#: The fixed-horizon columns of a comparison's summary, in order.
FIXED_COLUMNS = ["n", "retained", "rate", "control_n", "control_retained", "control_rate", "diff",
                 "relative_diff", "ci_lower", "ci_upper", "p_value", "p_value_adjusted", "ci_lower_adjusted",
                 "ci_upper_adjusted", "exact_p_value", "prob_beat_control", "expected_loss",
                 "exact_p_value_adjusted"]


def _wilson(x, n, z):
    """Wilson score interval of x successes out of n (arrays)."""
    x, n = np.asarray(x, float), np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        denom = n + z ** 2
        centre = (x + z ** 2 / 2) / denom
        half = z / denom * np.sqrt(x * (n - x) / n + z ** 2 / 4)
    return p, centre - half, centre + half


def two_proportions(n_t, x_t, n_c, x_c, *, alpha: float = 0.05, ci_method: str = "newcombe") -> dict:
    """Treatment-minus-control statistics for arrays of counts (one entry per comparison).

    Returns a dict of float arrays: rate_t, rate_c, diff, ci_lower, ci_upper, z, p_value.
    Undefined entries (an empty arm; a pooled rate of 0 or 1, where the z-test has no
    variance) are NaN; callers warn about them.
    """
    n_t, x_t, n_c, x_c = (np.asarray(a, float) for a in (n_t, x_t, n_c, x_c))
    z_crit = stats.norm.isf(alpha / 2)
    p_t, lo_t, hi_t = _wilson(x_t, n_t, z_crit)
    p_c, lo_c, hi_c = _wilson(x_c, n_c, z_crit)
    diff = p_t - p_c
    with np.errstate(invalid="ignore", divide="ignore"):
        if ci_method == "newcombe":
            lower = diff - np.sqrt((p_t - lo_t) ** 2 + (hi_c - p_c) ** 2)
            upper = diff + np.sqrt((hi_t - p_t) ** 2 + (p_c - lo_c) ** 2)
        else:
            se = np.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
            lower, upper = diff - z_crit * se, diff + z_crit * se
        pooled = (x_t + x_c) / (n_t + n_c)
        se0 = np.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c))
        z = np.where(se0 > 0, diff / np.where(se0 > 0, se0, 1.0), np.nan)
    p_value = 2 * stats.norm.sf(np.abs(z))
    return {"rate_t": p_t, "rate_c": p_c, "diff": diff, "ci_lower": lower, "ci_upper": upper,
            "z": z, "p_value": p_value}


def fixed_horizon(counts: pd.DataFrame, control, *, alpha, ci_method, correction, prior, notes) -> pd.DataFrame:
    """The fixed-horizon columns of the summary, one row per treatment arm."""
    treat = counts.drop(index=control)
    n_c, x_c = int(counts.loc[control, "n"]), int(counts.loc[control, "retained"])
    stats2 = two_proportions(treat["n"], treat["retained"], n_c, x_c, alpha=alpha, ci_method=ci_method)
    out = pd.DataFrame(index=treat.index)
    out["n"] = treat["n"].astype(np.int64)
    out["retained"] = treat["retained"].astype(np.int64)
    out["rate"] = stats2["rate_t"]
    out["control_n"] = n_c
    out["control_retained"] = x_c
    out["control_rate"] = stats2["rate_c"]
    out["diff"] = stats2["diff"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["relative_diff"] = stats2["diff"] / stats2["rate_c"]
    out["ci_lower"], out["ci_upper"] = stats2["ci_lower"], stats2["ci_upper"]
    out["p_value"] = stats2["p_value"]
    out["p_value_adjusted"] = adjust_p_values(out["p_value"].to_numpy(), correction=correction)
    level = family_alpha(out["p_value_adjusted"], alpha, correction)
    wide = two_proportions(treat["n"], treat["retained"], n_c, x_c, alpha=level, ci_method=ci_method)
    out["ci_lower_adjusted"], out["ci_upper_adjusted"] = wide["ci_lower"], wide["ci_upper"]
    a0, b0 = prior
    exact, beat, loss = [], [], []
    for arm, row in treat.iterrows():
        n_t, x_t = int(row["n"]), int(row["retained"])
        exact.append(stats.fisher_exact([[x_t, n_t - x_t], [x_c, n_c - x_c]])[1] if n_t and n_c else np.nan)
        p_beat, e_loss = beta_compare(a0 + x_t, b0 + n_t - x_t, a0 + x_c, b0 + n_c - x_c)
        beat.append(p_beat)
        loss.append(e_loss)
    out["exact_p_value"], out["prob_beat_control"], out["expected_loss"] = exact, beat, loss
    out["exact_p_value_adjusted"] = adjust_p_values(out["exact_p_value"].to_numpy(float), correction=correction)
    _warn_small(out, alpha, ci_method, notes)
    return out


def _warn_small(out: pd.DataFrame, alpha, ci_method, notes) -> None:
    """Warn where the normal approximations are unreliable (an expected cell below 5)."""
    for arm, row in out.iterrows():
        n_t, n_c = row["n"], row["control_n"]
        if n_t == 0 or n_c == 0:
            empty = arm if n_t == 0 else "the control arm"
            warn(SmallSampleWarning, f"{arm} vs control: {empty} has no mature customers, so the "
                 "fixed-horizon statistics are NaN. Wait until customers mature or shorten the horizon.", notes)
            continue
        pooled = (row["retained"] + row["control_retained"]) / (n_t + n_c)
        smallest = min(n_t, n_c) * min(pooled, 1 - pooled)
        if smallest >= 5:
            continue
        other = "wald" if ci_method == "newcombe" else "newcombe"
        alt = two_proportions(n_t, row["retained"], n_c, row["control_retained"], alpha=alpha, ci_method=other)
        warn(SmallSampleWarning,
             f"{arm} vs control: an expected count of only {smallest:.1f} retained or lost customers "
             f"(below 5), so the approximate methods may disagree: z-test p {p_is(row['p_value'])} vs "
             f"Fisher's exact p {p_is(row['exact_p_value'])}; {ci_method} CI "
             f"{row['ci_lower'] * 100:+.1f} to {row['ci_upper'] * 100:+.1f} points vs {other} "
             f"{float(alt['ci_lower']) * 100:+.1f} to {float(alt['ci_upper']) * 100:+.1f}. "
             "Prefer the exact test and collect more customers.", notes)
