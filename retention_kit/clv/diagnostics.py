"""Does the fitted model describe the data? Three checks of Fader, Hardie & Lee (2005),
each a table and a plot (``plot_*(table, *, ax=None, **kwargs) -> Axes``), and P(alive)
beside the kit's inactivity rule.

* :func:`tracking_table`: cumulative repeat purchases of the calibration cohort, period
  by period through calibration and holdout, actual vs expected (FHL Figure 1);
* :func:`conditional_expectations_table`: holdout purchases by calibration frequency,
  actual mean vs the model's conditional expectation (FHL Figure 3);
* :func:`frequency_histogram_table`: customers by number of calibration repeat purchases,
  actual vs expected (FHL Figure 2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engines import open_events
from ..errors import DataError, ParameterError
from ..plotting import get_axes, label
from .._options import legacy_arguments
from ..validation import log_columns, resolve_as_of
from ._base import column
from ._purchase import PurchaseModel
from .summary import day_number, unit_days

__all__ = ["tracking_table", "plot_tracking", "conditional_expectations_table", "plot_conditional_expectations",
           "frequency_histogram_table", "plot_frequency_histogram"]


def _check_model(model):
    if not isinstance(model, PurchaseModel):
        raise ParameterError(f"model must be a fitted BG/NBD or Pareto/NBD model; got {type(model).__name__}.")


def _bins(frequency: np.ndarray, max_frequency: int) -> pd.Categorical:
    if isinstance(max_frequency, bool) or not isinstance(max_frequency, (int, np.integer)) or max_frequency < 1:
        raise ParameterError(f"max_frequency={max_frequency!r} must be a whole number >= 1.")
    labels = [str(i) for i in range(max_frequency)] + [f"{max_frequency}+"]
    return pd.Categorical.from_codes(np.minimum(frequency, max_frequency).astype(int), labels)


def _day_counts(events, cal_day, customer_col, time_col, as_of):
    """(first_d, d, n): repeat purchase days by first-purchase day, and cohort sizes."""
    customer_col, time_col, _ = log_columns(events, customer_col, time_col)
    log = open_events(events, customer_col=customer_col, time_col=time_col, as_of=as_of)
    return log.repeat_days(cal_day)


@legacy_arguments(positional=("time_unit",))
def tracking_table(model, events, calibration_end, observation_end=None, *, time_unit: str = "W",
                   customer_col: str = "customer_id", time_col: str = "date") -> pd.DataFrame:
    """Repeat purchases of the calibration cohort per period, actual vs expected.

    Periods of one ``time_unit`` (whole days; months and years rounded to 30 and 365
    days) end on the calibration end day, so the split falls between two periods. The
    expectation of a period's cumulative count is the sum over first-purchase days s of
    (customers who first bought on s) x E[X(end - s)], the unconditional expectation of
    the fitted model. Takes the same inputs as :func:`rfm_summary`.

    Returns
    -------
    DataFrame
        ``period_end`` (date), ``t`` (time units since the first purchase day of the
        cohort), ``actual``, ``expected``, ``actual_cumulative``, ``expected_cumulative``
        and ``holdout`` (True after the calibration end).
    """
    _check_model(model)
    step = int(round(unit_days(time_unit)))
    days = unit_days(time_unit)
    cal = resolve_as_of(calibration_end, pd.NaT)
    obs = resolve_as_of(observation_end, pd.NaT) if observation_end is not None else cal
    if obs < cal:
        raise ParameterError(f"observation_end={observation_end!r} is before calibration_end={calibration_end!r}.")
    cal_day, obs_day = day_number(cal), day_number(obs)
    sizes, pairs = _day_counts(events, cal_day, customer_col, time_col, observation_end or calibration_end)
    if sizes.empty:
        raise DataError("No customer made a first purchase by calibration_end: nothing to track.")
    first_day = int(sizes.index.min())
    ends = np.arange(cal_day - step * ((cal_day - first_day) // step), obs_day + step, step)
    ends = ends[ends <= max(obs_day, cal_day)]
    purchase_days = pairs.index.get_level_values("d").to_numpy()
    actual_cum = np.array([pairs.to_numpy()[purchase_days <= e].sum() for e in ends], dtype=float)
    starts, counts = sizes.index.to_numpy(), sizes.to_numpy(float)
    age = np.maximum(ends[:, None] - starts[None, :], 0) / days
    expected_cum = (np.asarray(model.expected_purchases_new(age.ravel())).reshape(age.shape) * counts).sum(axis=1)
    return pd.DataFrame({
        "period_end": pd.to_datetime(ends, unit="D"), "t": (ends - first_day + 1) / days,
        "actual": np.diff(actual_cum, prepend=0.0), "expected": np.diff(expected_cum, prepend=0.0),
        "actual_cumulative": actual_cum, "expected_cumulative": expected_cum, "holdout": ends > cal_day})


def plot_tracking(table: pd.DataFrame, ax=None, *, cumulative: bool = True, **kwargs):
    """Actual and expected repeat purchases per period (cumulative by default), with the
    end of the calibration period marked. Returns the Axes.

    ``kwargs`` go to the model's line (``Axes.plot``), e.g. ``color=`` or ``label=`` to
    draw a second model on the same Axes."""
    from matplotlib.lines import Line2D

    from ..plotting import artist_kwargs

    ax = get_axes(ax)
    suffix = "_cumulative" if cumulative else ""
    ax.plot(table["period_end"], table["actual" + suffix], color="black", label="actual")
    ax.plot(table["period_end"], table["expected" + suffix],
            **artist_kwargs(kwargs, Line2D, color="#4c72b0", ls="--", label="model"))
    if table["holdout"].any():
        ax.axvline(table.loc[~table["holdout"], "period_end"].max(), color="grey", ls=":", lw=1)
    ax.legend()
    what = "Cumulative repeat purchases" if cumulative else "Repeat purchases per period"
    return label(ax, title=f"{what}: actual vs model (calibration | holdout)", xlabel="period end",
                 ylabel="repeat purchases")


@legacy_arguments(positional=("max_frequency",))
def conditional_expectations_table(model, summary: pd.DataFrame, *, max_frequency: int = 7) -> pd.DataFrame:
    """Mean holdout purchases by calibration frequency: actual vs the model's conditional
    expectation given each customer's (x, t_x, T) and holdout length.

    Needs an rfm_summary with a holdout (``observation_end`` after ``calibration_end``).
    Returns one row per frequency (the last bin is ``max_frequency`` and above) with
    ``customers``, ``actual`` and ``expected``.
    """
    _check_model(model)
    if "frequency_holdout" not in summary.columns:
        raise DataError("The summary has no holdout: build it with rk.rfm_summary(events, calibration_end, "
                        "observation_end) with observation_end after calibration_end.")
    expected = model.expected_purchases(column(summary, "duration_holdout"), summary)
    frame = pd.DataFrame({"bin": _bins(column(summary, "frequency"), max_frequency),
                          "actual": column(summary, "frequency_holdout"), "expected": expected.to_numpy()})
    out = frame.groupby("bin", observed=False).agg(customers=("actual", "size"), actual=("actual", "mean"),
                                                   expected=("expected", "mean"))
    out.index.name = "frequency"
    return out


def plot_conditional_expectations(table: pd.DataFrame, ax=None, **kwargs):
    """Mean holdout purchases by calibration frequency, actual vs model. Returns the Axes.

    ``kwargs`` go to the model's line (``Axes.plot``), e.g. ``color=`` or ``label=``."""
    from matplotlib.lines import Line2D

    from ..plotting import artist_kwargs

    ax = get_axes(ax)
    labels = [str(i) for i in table.index]
    ax.plot(labels, table["actual"], "o-", color="black", label="actual")
    ax.plot(labels, table["expected"],
            **artist_kwargs(kwargs, Line2D, marker="s", ls="--", color="#4c72b0", label="model"))
    ax.legend()
    return label(ax, title="Holdout purchases by calibration frequency", xlabel="repeat purchases in calibration",
                 ylabel="mean purchases in holdout")


@legacy_arguments(positional=("max_frequency",))
def frequency_histogram_table(model, summary: pd.DataFrame, *, max_frequency: int = 7) -> pd.DataFrame:

    """Customers by number of repeat purchases in the calibration period, actual vs
    expected: the expected count of n is the sum over customers of P(X(T) = n); the last
    bin (``max_frequency`` and above) takes the rest."""
    _check_model(model)
    x = column(summary, "frequency")
    big_t = column(summary, "T")
    actual = pd.Series(_bins(x, max_frequency)).value_counts(sort=False)
    expected = [float(np.sum(model.probability_of_purchases(np.full(len(big_t), n), big_t)))
                for n in range(max_frequency)]
    expected.append(len(x) - sum(expected))
    out = pd.DataFrame({"actual": actual.to_numpy(), "expected": expected}, index=actual.index)
    out.index.name = "frequency"
    return out


def plot_frequency_histogram(table: pd.DataFrame, ax=None, **kwargs):
    """Customers by calibration repeat purchases: actual and model side by side. Returns
    the Axes.

    ``kwargs`` go to the model's bars (``Axes.bar``), e.g. ``color=`` or ``label=``."""
    from matplotlib.patches import Rectangle

    from ..plotting import artist_kwargs

    ax = get_axes(ax)
    pos = np.arange(len(table))
    ax.bar(pos - 0.2, table["actual"], width=0.4, color="black", label="actual")
    ax.bar(pos + 0.2, table["expected"], **artist_kwargs(kwargs, Rectangle, width=0.4, color="#4c72b0",
                                                         label="model"))
    ax.set_xticks(pos, [str(i) for i in table.index])
    ax.legend()
    return label(ax, title="Customers by number of repeat purchases", xlabel="repeat purchases in calibration",
                 ylabel="customers")
