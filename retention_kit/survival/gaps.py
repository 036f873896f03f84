"""Gaps between purchases, the evidence for choosing ``churn_after``: :func:`purchase_gaps`
and :class:`PurchaseGaps`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..plotting import get_axes, label
from ..results import DataQualityReport, explains, render_html, Result
from ..validation import CUSTOMER, log_columns, prepare_events, TIME
from ._common import DAY


@dataclass
class PurchaseGaps(Result):
    """Gaps between consecutive purchases of the same customer, in days.

    ``gaps`` has one row per gap (``customer_id``, ``gap``); ``open_gaps`` the time since
    each customer's last purchase at ``as_of`` (a gap still running, a lower bound).
    """

    gaps: pd.DataFrame
    open_gaps: pd.Series
    as_of: pd.Timestamp
    data_quality: DataQualityReport
    quantiles: tuple = (0.5, 0.75, 0.9, 0.95, 0.99)

    def quantile(self, q: float) -> float:
        """The q-quantile of the closed gaps, in days."""
        if not 0 < q < 1:
            raise ParameterError(f"q={q!r} must be between 0 and 1 (e.g. 0.9).")
        return float(self.gaps["gap"].quantile(q))

    @property
    def summary(self) -> pd.DataFrame:
        """Quantiles of the gap and the share of customers currently silent for longer."""
        rows = []
        for q in self.quantiles:
            days = self.quantile(q) if len(self.gaps) else np.nan
            rows.append({"quantile": q, "gap_days": days,
                         "silent_longer_now": float((self.open_gaps > days).mean())})
        return pd.DataFrame(rows)

    title = "Gaps between consecutive purchases (days)"

    @property
    def notes(self) -> list[str]:
        """How many gaps and customers the quantiles rest on, and why the upper ones are lower bounds."""
        return self._notes()

    def _notes(self) -> list[str]:
        return [
            f"{len(self.gaps):,} gaps between consecutive purchases of "
            f"{self.gaps['customer_id'].nunique():,} repeat customers; "
            f"{len(self.open_gaps):,} customers in all, as of {self.as_of:%Y-%m-%d}.",
            "Gaps longer than the observation window cannot be seen, so the upper "
            "quantiles are lower bounds on the true ones.",
        ]

    @explains
    def explain(self) -> str:
        """Plain-language reading of the gap distribution."""
        if len(self.gaps) == 0:
            return "No customer bought twice: there are no gaps to learn a threshold from."
        q50, q90, q95 = self.quantile(0.5), self.quantile(0.9), self.quantile(0.95)
        silent = float((self.open_gaps > q90).mean())
        return (
            f"Half of the gaps between consecutive purchases are shorter than {q50:,.1f} days; "
            f"90 % are shorter than {q90:,.1f} days and 95 % shorter than {q95:,.1f} days. "
            f"A customer silent for longer than about {q90:,.0f}-{q95:,.0f} days is unlikely to be "
            f"on an ordinary pause, which makes it a defensible churn_after. By that rule "
            f"{silent:.1%} of the customers are silent for longer than {q90:,.0f} days now. "
            "Gaps longer than the data window cannot be seen, so these quantiles are lower "
            "bounds: check how the survival results change with the threshold."
        )

    def plot(self, ax=None, *, quantiles=(0.9, 0.95), **kwargs):
        """Histogram of the gaps with the chosen quantiles marked (returns the Axes).

        ``kwargs`` go to the histogram (``Axes.hist``), e.g. ``bins=``, ``color=`` or ``label=``."""
        from matplotlib.patches import Patch

        from ..plotting import artist_kwargs

        ax = get_axes(ax)
        gaps = self.gaps["gap"].to_numpy()
        upper = np.quantile(gaps, 0.995) if len(gaps) else 1.0
        ax.hist(gaps[gaps <= upper], **artist_kwargs(kwargs, Patch, bins=60, color="#4c72b0", alpha=0.8))
        for q in quantiles:
            value = self.quantile(q)
            ax.axvline(value, color="#c44e52", ls="--", lw=1)
            ax.annotate(f"{q:.0%}: {value:,.0f} d", (value, ax.get_ylim()[1] * 0.9),
                        rotation=90, ha="right", va="top", fontsize=8, color="#c44e52")
        return label(ax, title="Days between consecutive purchases",
                     xlabel="gap (days)", ylabel="number of gaps")

    def __repr__(self) -> str:
        return "PurchaseGaps\n" + self.summary.to_string(index=False) + "\n" + "\n".join(self._notes())

    def _repr_html_(self) -> str:
        return render_html(self.title, self.summary, self._notes(),
                           percent={"quantile": 0, "silent_longer_now": 1})


def purchase_gaps(events: pd.DataFrame, *, customer_col: str = "customer_id", time_col: str = "date",
                  as_of=None) -> PurchaseGaps:
    """The distribution of days between consecutive purchases, to choose ``churn_after``.

    Gaps of zero (two events at the same instant) are left out: they say nothing about
    pauses. See :func:`customer_lifetimes` (Notes) for how to use it.

    Examples
    --------
    >>> log = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                     "date": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-31",
    ...                                             "2024-01-15"])})
    >>> gaps = purchase_gaps(log)
    >>> gaps.gaps["gap"].tolist(), gaps.quantile(0.5)
    ([10.0, 20.0], 15.0)
    """
    customer_col, time_col, _ = log_columns(events, customer_col, time_col)
    log = prepare_events(events, customer_col=customer_col, time_col=time_col, as_of=as_of)
    frame = log.frame.sort_values([CUSTOMER, TIME], kind="stable")
    same = frame[CUSTOMER].to_numpy()[1:] == frame[CUSTOMER].to_numpy()[:-1]
    diff = np.diff(frame[TIME].to_numpy()).astype("timedelta64[ns]") / np.timedelta64(1, "D")
    keep = same & (diff > 0)
    gaps = pd.DataFrame({"customer_id": frame[CUSTOMER].to_numpy()[1:][keep], "gap": diff[keep]})
    open_gaps = (log.as_of - frame.groupby(CUSTOMER)[TIME].max()) / DAY
    return PurchaseGaps(gaps=gaps, open_gaps=open_gaps, as_of=log.as_of, data_quality=log.report)
