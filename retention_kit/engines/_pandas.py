"""The pandas engine's reductions: numpy kernels over canonical integer arrays (customer
codes, int64 nanosecond times, period codes). The analyses call them on pandas input where
the other engines run SQL (``_sql.py``); another engine can replace them without touching
the arithmetic after the reduction."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from ..periods import Freq, parse_freq, period_codes

__all__ = ["Pairs", "distinct_pairs", "customer_codes", "event_periods", "DAY_NS", "PandasLog", "customer_days"]

DAY_NS = 86_400 * 10**9


class Pairs(NamedTuple):
    customer: np.ndarray  # int64 customer code of each distinct pair, sorted by customer
    period: np.ndarray  # int64 period code of the pair, sorted within customer
    first: np.ndarray  # int64 first period of the pair's customer


def distinct_pairs(customer: np.ndarray, period: np.ndarray) -> Pairs:
    """Distinct (customer, period) pairs of integer codes, sorted, with each customer's
    first period. ``customer`` must be non-negative.

    One int64 key per event (customer x span + period) replaces hashing: a presence bitmap
    when the key range is small (no sort at all), else a sort and a mask of repeats.
    """
    empty = np.empty(0, np.int64)
    if len(customer) == 0:
        return Pairs(empty, empty, empty)
    p0 = int(period.min())
    span = int(period.max()) - p0 + 1
    n_keys = (int(customer.max()) + 1) * span
    if n_keys >= 2**62:  # astronomically sparse codes: fall back to a two-key sort
        order = np.lexsort((period, customer))
        c, p = customer[order], period[order]
        keep = np.ones(len(c), bool)
        keep[1:] = (c[1:] != c[:-1]) | (p[1:] != p[:-1])
        cust, per = c[keep], p[keep]
    else:
        key = customer * span  # in place below: no temporaries of 10M rows
        key += period
        key -= p0
        if n_keys <= max(8 * len(key), 1 << 22):
            seen = np.zeros(n_keys, dtype=bool)
            seen[key] = True
            key = np.flatnonzero(seen)
        else:
            key.sort()
            keep = np.empty(len(key), bool)
            keep[0] = True
            np.not_equal(key[1:], key[:-1], out=keep[1:])
            key = key[keep]
        cust, per = np.divmod(key, span)
        per += p0
    starts = np.flatnonzero(np.r_[True, cust[1:] != cust[:-1]])
    first = np.repeat(per[starts], np.diff(np.r_[starts, len(cust)]))
    return Pairs(cust.astype(np.int64, copy=False), per.astype(np.int64, copy=False), first)


def customer_codes(ids: pd.Series) -> tuple[np.ndarray, int]:
    """Non-negative integer codes (and their range) for customer ids: integer ids are used
    as they are when their range is compact, anything else is factorized."""
    values = ids.to_numpy()
    if values.dtype.kind in "iu" and len(values):
        lo, hi = int(values.min()), int(values.max())
        if hi - lo < 4 * len(values) + 1024:
            return values.astype(np.int64) - lo, hi - lo + 1
    codes, uniques = pd.factorize(ids, sort=False)
    return codes.astype(np.int64, copy=False), len(uniques)


def event_periods(t_ns: np.ndarray, freq: Freq) -> np.ndarray:
    """:func:`period_codes` of int64 nanosecond times, via a day lookup table (converting
    10M datetimes to months directly is several times slower)."""
    days = np.floor_divide(t_ns, DAY_NS)
    d0, d1 = int(days.min()), int(days.max())
    if freq.code == "D" or d1 - d0 > 4 * len(days) + 4096:
        return period_codes(t_ns.view("datetime64[ns]"), freq)
    table = period_codes(np.arange(d0, d1 + 1).astype("datetime64[D]"), freq)
    days -= d0
    return np.take(table, days, out=days, mode="clip")


# --------------------------------------------------------------------------------------
# The pandas engine behind the protocol every engine follows (see ._base.EventReductions).


def day_numbers(times: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 of timestamps, int64."""
    return times.to_numpy("datetime64[D]").view(np.int64)


def customer_days(frame: pd.DataFrame, cal_day: int, amount: bool) -> pd.DataFrame:
    """The RFM reduction on a canonical pandas log (see
    :meth:`~._base.EventReductions.customer_days`)."""
    day = day_numbers(frame["date"])
    daily = pd.DataFrame({"cust": frame["customer_id"].to_numpy(), "d": day, "n": 1})
    if amount:
        daily["amt"] = frame["amount"].to_numpy(float)
    daily = daily.groupby(["cust", "d"], sort=True).sum().reset_index()
    g = daily.groupby("cust", sort=False)
    first = g["d"].transform("min").to_numpy()
    cal = daily["d"].to_numpy() <= cal_day
    out = pd.DataFrame({
        "cust": daily["cust"], "first_d": first, "cal_d": np.where(cal, daily["d"], np.iinfo(np.int64).min),
        "n_cal": cal.astype(np.int64), "n_hold": (~cal).astype(np.int64), "n_rows": daily["n"],
    })
    if amount:
        amt = daily["amt"].to_numpy()
        out["amt_cal"] = np.where(cal, amt, 0.0)
        out["amt_first"] = np.where(daily["d"].to_numpy() == first, amt, 0.0)
    agg = {"first_d": "min", "cal_d": "max", "n_cal": "sum", "n_hold": "sum", "n_rows": "sum"}
    if amount:
        agg.update(amt_cal="sum", amt_first="sum")
    return out.groupby("cust", sort=False).agg(agg).reset_index()


class PandasLog:
    """A validated pandas event log and its reductions (numpy kernels): the pandas engine of
    :class:`~._base.EventReductions`. Made by :func:`retention_kit.engines.open_events` from a
    pandas DataFrame or a pandas :class:`~retention_kit.EventLog`; ``frame`` is the canonical
    log (customer_id, date[, amount], carried columns) for the options only pandas runs."""

    engine = "pandas"
    resolution = "ns"

    def __init__(self, prepared, keep_cols=()):
        self.prepared = prepared
        self.frame: pd.DataFrame = prepared.frame
        self.report = prepared.report
        self.as_of: pd.Timestamp = prepared.as_of
        self.tz = prepared.tz
        self.keep_cols = list(keep_cols)
        self._cache: dict = {}

    @classmethod
    def supports(cls, option: str) -> bool:
        """Every analysis option runs on pandas; the survival counts by start time or by a
        segment run through :func:`~retention_kit.customer_lifetimes` instead."""
        return option != "grouped_lifetime_counts"

    @property
    def observed_until(self) -> pd.Timestamp:
        return self.prepared.observed_until

    @property
    def first_time(self) -> pd.Timestamp:
        return self.frame["date"].min()

    # -- arrays, made once per log ---------------------------------------------------------

    def times(self) -> np.ndarray:
        """int64 nanoseconds of the events."""
        return self.frame["date"].to_numpy().view(np.int64)

    def codes(self) -> tuple[np.ndarray, int]:
        """:func:`customer_codes` of the events (cached)."""
        if "codes" not in self._cache:
            self._cache["codes"] = customer_codes(self.frame["customer_id"])
        return self._cache["codes"]

    # -- reductions ---------------------------------------------------------------------------

    def cohort_cells(self, code: str, *, mode: str, revenue: bool) -> pd.DataFrame:
        freq = parse_freq(code)
        cust, n_codes = self.codes()
        periods = event_periods(self.times(), freq)
        pairs = distinct_pairs(cust, periods)
        new = np.empty(len(pairs.customer), bool)
        if len(new):
            new[0] = True
            np.not_equal(pairs.customer[1:], pairs.customer[:-1], out=new[1:])
        members, member_cohort = pairs.customer[new], pairs.first[new]
        offset = pairs.period - pairs.first
        if mode == "on or after":  # each customer's last active period since the cohort
            last = np.full(n_codes, -1, np.int64)
            np.maximum.at(last, pairs.customer, offset)
            cell_cohort, cell_offset = member_cohort, last[members]
        else:
            cell_cohort, cell_offset = pairs.first, offset
        c0, n_off = int(member_cohort.min()), int(cell_offset.max()) + 1
        key = (cell_cohort - c0) * n_off + cell_offset
        counts = np.bincount(key, minlength=(int(member_cohort.max()) - c0 + 1) * n_off)
        cells = np.flatnonzero(counts)
        out = pd.DataFrame({"cohort": cells // n_off + c0, "period": cells % n_off,
                            "customers": counts[cells].astype(np.int64)})
        if revenue:
            cohort_of = np.zeros(n_codes, np.int64)
            cohort_of[members] = member_cohort
            by_pair = pd.Series(self.frame["amount"].to_numpy(float)).groupby([cust, periods - cohort_of[cust]]).sum()
            rc = by_pair.index.get_level_values(0).to_numpy()
            ro = by_pair.index.get_level_values(1).to_numpy()
            rv = by_pair.to_numpy()
            rkey = (cohort_of[rc] - c0) * n_off + ro
            base_of = np.zeros(n_codes)
            zero = ro == 0
            base_of[rc[zero]] = rv[zero]
            out["revenue"] = np.bincount(rkey, weights=rv, minlength=len(counts))[cells]
            out["gross"] = np.bincount(rkey, weights=np.minimum(rv, base_of[rc]), minlength=len(counts))[cells]
        return out

    def crr_counts(self, code: str, *, revenue: bool) -> pd.DataFrame:
        freq = parse_freq(code)
        cust, n_customers = pd.factorize(self.frame["customer_id"], sort=False)
        cust = cust.astype(np.int64, copy=False)
        p = event_periods(self.times(), freq)
        p0 = int(p.min())
        n_p = int(p.max()) - p0 + 1
        key = cust * n_p + (p - p0)
        pair_key, purchases = np.unique(key, return_counts=True)
        pc, pp = np.divmod(pair_key, n_p)
        same = np.r_[False, pc[1:] == pc[:-1]]
        kept = same & np.r_[False, pp[1:] == pp[:-1] + 1]
        first = ~same
        out = pd.DataFrame({"buyers": np.bincount(pp, minlength=n_p),
                            "repeaters": np.bincount(pp[purchases >= 2], minlength=n_p),
                            "retained": np.bincount(pp[kept], minlength=n_p),
                            "new": np.bincount(pp[first], minlength=n_p)},
                           index=pd.Index(np.arange(p0, p0 + n_p, dtype=np.int64), name="p")).astype(np.int64)
        if revenue:
            out = out.join(self._crr_revenue(cust, p - p0, n_p).set_index(out.index))
        return out

    def _crr_revenue(self, cust: np.ndarray, rel: np.ndarray, n_p: int) -> pd.DataFrame:
        """Revenue per period and, for the buyers of p - 1 (in customer-code order, the
        order crr_table has always summed them in), their revenue in p - 1, in p and capped."""
        per = pd.DataFrame({"p": rel, "c": cust, "amount": self.frame["amount"].to_numpy()}).groupby(
            ["p", "c"], sort=True).agg(revenue=("amount", "sum"))["revenue"]
        bounds = np.searchsorted(per.index.get_level_values("p").to_numpy(), np.arange(n_p + 1))
        customers = per.index.get_level_values("c").to_numpy()
        values = per.to_numpy()
        out = {name: np.zeros(n_p) for name in ("start_revenue", "kept_revenue", "kept_capped")}
        out = {"revenue": per.groupby(level="p").sum().reindex(range(n_p), fill_value=0.0).to_numpy(), **out}
        for k in range(1, n_p):
            c_prev, before = customers[bounds[k - 1]:bounds[k]], values[bounds[k - 1]:bounds[k]]
            c_now, v_now = customers[bounds[k]:bounds[k + 1]], values[bounds[k]:bounds[k + 1]]
            now = np.zeros(len(c_prev))
            at = np.searchsorted(c_prev, c_now)
            hit = (at < len(c_prev)) & (c_prev[np.minimum(at, len(c_prev) - 1)] == c_now) if len(c_prev) else \
                np.zeros(len(c_now), bool)
            now[at[hit]] = v_now[hit]
            out["start_revenue"][k] = before.sum()
            out["kept_revenue"][k] = now.sum()
            out["kept_capped"][k] = np.minimum(now, before).sum()
        return pd.DataFrame(out)

    def activity(self, starts: pd.DataFrame | None = None) -> pd.DataFrame:
        frame = self.frame
        t_us = self.times() // 1000
        if starts is not None:
            start = pd.Series(starts["start_us"].to_numpy(), index=starts["cust"].to_numpy())
            start_of = start.reindex(frame["customer_id"].to_numpy()).to_numpy()
            use = ~np.isnan(start_of) & (t_us >= start_of) if start_of.dtype.kind == "f" else (t_us >= start_of)
            frame, t_us = frame[use], t_us[use]
        g = pd.DataFrame({"cust": frame["customer_id"].to_numpy(), "t": t_us}).groupby("cust", sort=True)["t"]
        out = pd.DataFrame({"first_us": g.min(), "last_us": g.max(), "n_rows": g.size().astype(np.int64)})
        for i, col in enumerate(self.keep_cols):
            values = frame[col].groupby(frame["customer_id"].to_numpy(), sort=True)
            out[f"k{i}"] = values.min()
            out[f"k{i}_n"] = (values.nunique() + values.apply(lambda v: int(v.isna().any()))).astype(np.int64)
        return out.rename_axis("cust").reset_index()

    def start_checks(self, starts: pd.DataFrame) -> dict:
        ids = self.frame["customer_id"]
        start = pd.Series(starts["start_us"].to_numpy(), index=starts["cust"].to_numpy())
        start_of = start.reindex(ids.to_numpy())
        unknown = start_of.isna().to_numpy()
        t_us = self.times() // 1000
        missing = ids[unknown]
        return {"unknown_rows": int(unknown.sum()), "unknown_customers": int(missing.nunique()),
                "unknown_example": missing.min() if len(missing) else None,
                "before_rows": int((t_us[~unknown] < start_of.to_numpy()[~unknown]).sum())}

    def lifetime_counts(self, *, churn_after: pd.Timedelta, censor_time: pd.Timestamp, unit: str | None,
                        starts: pd.DataFrame | None = None) -> dict[str, np.ndarray]:
        """One key per customer (see :meth:`~._base.EventReductions.lifetime_counts`), spans in
        nanoseconds; without start times or carried columns (``supports("grouped_lifetime_counts")``
        is False: those go through :func:`~retention_kit.customer_lifetimes`)."""
        if starts is not None or self.keep_cols:
            raise NotImplementedError("pandas: customer_lifetimes makes the lifetimes by start time or segment")
        t = self.times()
        cust, n_codes = self.codes()
        big = np.iinfo(np.int64).max
        first = np.full(n_codes, big)
        np.minimum.at(first, cust, t)
        last = np.full(n_codes, -big)
        np.maximum.at(last, cust, t)
        seen = first != big
        rows = np.bincount(cust, minlength=n_codes)[seen]
        first, last = first[seen], last[seen]
        as_of_ns, gap_ns = self.as_of.value, pd.Timedelta(churn_after).value
        late = first > as_of_ns - gap_ns  # not yet classifiable
        churned = as_of_ns - last >= gap_ns
        end = np.where(churned, last, np.maximum(first, pd.Timestamp(censor_time).value))
        if unit is None:
            span = end - first
        else:
            freq = parse_freq(unit)
            span = (event_periods(end, freq) - event_periods(first, freq)).astype(np.int64)
        key = span * 2 + churned
        key[late] = -1 - rows[late]
        return {"key": key}

    def same_time_counts(self) -> dict:
        cust, _ = pd.factorize(self.frame["customer_id"], sort=False)
        dup = pd.DataFrame({"c": cust, "t": self.times()}).duplicated().to_numpy()
        return {"customers": int(cust.max()) + 1 if len(cust) else 0,
                "affected": int(np.unique(cust[dup]).size), "extra": int(dup.sum())}

    def customer_days(self, cal_day: int, *, amount: bool, holdout: bool = True) -> pd.DataFrame:
        return customer_days(self.frame, cal_day, amount)

    def repeat_days(self, cal_day: int) -> tuple[pd.Series, pd.Series]:
        days = pd.DataFrame({"cust": self.frame["customer_id"].to_numpy(),
                             "d": day_numbers(self.frame["date"])}).drop_duplicates()
        days["first_d"] = days.groupby("cust")["d"].transform("min")
        days = days[days["first_d"] <= cal_day]
        sizes = days.groupby("first_d")["cust"].nunique()
        pairs = days[days["d"] > days["first_d"]].groupby(["first_d", "d"]).size()
        return sizes, pairs
