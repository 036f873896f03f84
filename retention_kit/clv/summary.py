"""The RFM summary: frequency, recency and age of every customer, from an event log.

One reduction feeds every customer-base model: per customer, the first purchase day, the
last purchase day up to the calibration end, the number of distinct purchase days in the
calibration and holdout periods, and the spend of the first day and of the calibration
period. It runs where the data are (pandas, DuckDB for paths and relations, Polars,
Spark: :mod:`retention_kit.engines`), and the arithmetic that turns it into the summary is
written once, below, so every input gives the same numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engines import open_events
from ..errors import DataError, ParameterError
from ..results import set_metadata
from .._options import legacy_arguments
from ..validation import log_columns, resolve_as_of

__all__ = ["rfm_summary"]

# Days per time unit. Months and years are average lengths (365.25 / 12 and 365.25 days):
# the models need a fixed unit, not calendar months.
TIME_UNITS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12, "Y": 365.25}
_UNIT_NAMES = {"D": "days", "W": "weeks", "M": "months", "Y": "years"}


def unit_days(time_unit: str) -> float:
    """Days in one ``time_unit`` (D, W, M or Y), or a ParameterError."""
    key = str(time_unit).upper()[:1] if isinstance(time_unit, str) else None
    if key not in TIME_UNITS or len(str(time_unit)) > 1 and str(time_unit).lower() not in (
            "day", "days", "week", "weeks", "month", "months", "year", "years"):
        raise ParameterError(f"time_unit={time_unit!r}: use 'D' (days), 'W' (weeks), 'M' (months of "
                             "365.25/12 days) or 'Y' (years of 365.25 days).")
    return TIME_UNITS[key]


def unit_name(time_unit: str) -> str:
    return _UNIT_NAMES[str(time_unit).upper()[:1]]


def day_number(ts) -> int:
    return int(pd.Timestamp(ts).normalize().value // 86_400_000_000_000)


def _finish(per: pd.DataFrame, *, cal_day: int, obs_day: int, days: float, amount: bool,
            customer_col: str, report) -> pd.DataFrame:
    """Per-customer reduction -> the summary (the arithmetic every engine shares)."""
    late = per["first_d"].to_numpy() > cal_day
    if late.any():
        report.add("first purchase after calibration_end", int(per.loc[late, "n_rows"].sum()), "dropped",
                   f"{int(late.sum()):,} customers who first bought after the calibration end are not "
                   "in the calibration cohort")
        per = per[~late]
    if per.empty:
        raise DataError("No customer made a first purchase by the calibration end: nothing to summarise. "
                        "Move calibration_end later.")
    if not per["cust"].is_monotonic_increasing:  # DuckDB sorts in the query (pandas: 0.3-1.5 s at 1M customers)
        per = per.sort_values("cust", kind="stable")
    first = per["first_d"].to_numpy(np.int64)
    n_cal = per["n_cal"].to_numpy(np.int64)
    out = pd.DataFrame({"frequency": (n_cal - 1).astype(float),
                        "recency": (per["cal_d"].to_numpy(np.int64) - first) / days,
                        "T": (cal_day - first) / days},
                       index=pd.Index(per["cust"].to_numpy(), name=customer_col))
    if amount:
        repeat = per["amt_cal"].to_numpy(float) - per["amt_first"].to_numpy(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["monetary_value"] = np.where(n_cal > 1, repeat / np.maximum(n_cal - 1, 1), np.nan)
    if obs_day > cal_day:
        out["frequency_holdout"] = per["n_hold"].to_numpy(float)
        out["duration_holdout"] = (obs_day - cal_day) / days
    return out


def _ends(calibration_end, observation_end):
    """The as-of date given to validation (rows after it are dropped and reported)."""
    if calibration_end is not None and observation_end is not None:
        cal, obs = (resolve_as_of(v, pd.NaT) for v in (calibration_end, observation_end))
        if obs < cal:
            raise ParameterError(f"observation_end={observation_end!r} is before calibration_end="
                                 f"{calibration_end!r}: the holdout period must follow the calibration "
                                 "period. Swap them, or leave observation_end out for no holdout.")
    return observation_end if observation_end is not None else calibration_end


@legacy_arguments(positional=("time_unit",))
def rfm_summary(events, calibration_end=None, observation_end=None, *, time_unit: str = "W",
                customer_col: str = "customer_id", time_col: str = "date",
                amount_col: str | None = None) -> pd.DataFrame:
    """One row per customer: repeat purchases, recency and age, the input of the
    customer-base models (:func:`fit_bgnbd`, :func:`fit_pareto_nbd`, :func:`fit_gamma_gamma`).

    Parameters
    ----------
    events : DataFrame, path, DuckDB relation, Polars or PySpark DataFrame
        One row per purchase (see :mod:`retention_kit.engines`); the same call gives the
        same summary on every input.
    calibration_end : date-like, optional
        End of the calibration period, that day included. Defaults to the last date in the
        data (after ``observation_end``). Customers whose first purchase is later are left
        out, and their rows reported as dropped.
    observation_end : date-like, optional
        End of a holdout period after ``calibration_end``; rows after it are dropped and
        reported. Adds ``frequency_holdout`` and ``duration_holdout``.
    time_unit : {"W", "D", "M", "Y"}
        Unit of recency, T and the holdout duration (months are 365.25 / 12 days).
    customer_col, time_col, amount_col : str
        Columns of ``events``; ``amount_col`` adds ``monetary_value``.

    Returns
    -------
    DataFrame
        Indexed by customer id (sorted), with ``frequency`` (purchase days after the first:
        several purchases on one day count once), ``recency`` (first to last purchase day),
        ``T`` (first purchase day to the calibration end day), ``monetary_value`` (mean
        spend of the repeat purchase days; NaN without repeat purchases) and the holdout
        columns. ``.attrs`` holds ``data_quality``, ``time_unit``, ``calibration_end`` and
        ``observation_end``.

    Examples
    --------
    >>> log = pd.DataFrame({"customer_id": ["a", "a", "a", "b"], "amount": [10.0, 4.0, 6.0, 8.0],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-08", "2024-01-05"])})
    >>> rfm_summary(log, "2024-01-15", time_unit="D", amount_col="amount")
                 frequency  recency     T  monetary_value
    customer_id
    a                  1.0      7.0  14.0            10.0
    b                  0.0      0.0  10.0             NaN
    """
    days = unit_days(time_unit)
    as_of = _ends(calibration_end, observation_end)
    customer_col, time_col, amount_col = log_columns(events, customer_col, time_col, amount_col)
    amount = amount_col is not None
    log = open_events(events, customer_col=customer_col, time_col=time_col, amount_col=amount_col, as_of=as_of)
    report, last, first = log.report, log.as_of, log.first_time
    cal = last if calibration_end is None else resolve_as_of(calibration_end, pd.NaT)
    if cal.normalize() < pd.Timestamp(first).normalize():
        raise DataError(f"calibration_end={calibration_end!r} is before the first purchase in the data "
                        f"({pd.Timestamp(first):%Y-%m-%d}): no customer can be summarised. Leave it out to "
                        "use the last date, or pick a date inside the data.")
    obs = last if observation_end is not None else cal
    cal_day, obs_day = day_number(cal), max(day_number(obs), day_number(cal))
    per = log.customer_days(cal_day, amount=amount, holdout=obs_day > cal_day)
    out = _finish(per, cal_day=cal_day, obs_day=obs_day, days=days, amount=amount,
                  customer_col=customer_col, report=report)
    report.rows_used = report.rows_in - sum(c["rows"] for c in report.checks if c["action"] == "dropped")
    report.customers = len(out)
    set_metadata(out, data_quality=report, time_unit=str(time_unit).upper()[:1],
                 calibration_end=pd.Timestamp(cal).normalize(),
                 observation_end=pd.Timestamp(obs).normalize() if observation_end is not None else None)
    return out
