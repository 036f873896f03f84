"""The reductions, written once as SQL, and the few expressions that differ per engine.

Every query reads one table, ``rk_events``, whose columns are the caller's, and returns a
small pandas frame. Times travel as integer microseconds since the epoch, so no engine's
timestamp conversion stands between the SQL and the kit's own period arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Dialect", "DUCKDB", "POLARS", "SPARK"]

EVENTS = "rk_events"
STARTS = "rk_starts"


@dataclass(frozen=True)
class Dialect:
    """What differs between DuckDB, Polars and Spark SQL for our queries."""

    name: str
    quote: str  # identifier quote character
    epoch_us_template: str  # microseconds since 1970-01-01 of a timestamp {x}
    epoch_day_template: str  # days since 1970-01-01 of a timestamp {x}
    from_us_template: str  # timestamp from microseconds {x}
    bit_templates: tuple[str, str] | None = None  # ({x} << {n}, {x} >> {n}) on BIGINT; None: no BIT_OR
    sorts_results: bool = True  # ORDER BY big results (not on Spark, where a global sort is one more job)
    regex_template: str = "regexp_matches({x}, '{p}')"  # whether text {x} matches the pattern {p}

    def q(self, name: str) -> str:
        """A quoted identifier (column names may hold spaces or capitals)."""
        return self.quote + str(name).replace(self.quote, self.quote * 2) + self.quote

    def epoch_us(self, x: str) -> str:
        return self.epoch_us_template.format(x=x)

    def from_us(self, x: str) -> str:
        return self.from_us_template.format(x=x)

    def period(self, t: str, code: str) -> str:
        """The integer period code of :func:`retention_kit.periods.period_codes` from year,
        month and day numbers (EXTRACT gives small ints on some engines: cast first)."""
        if code in ("D", "W"):
            days = self.epoch_day_template.format(x=t)
            return days if code == "D" else f"CAST(FLOOR(({days} + 3) / 7.0) AS BIGINT)"
        year = f"(CAST(EXTRACT(YEAR FROM {t}) AS BIGINT) - 1970)"
        if code == "Y":
            return year
        months = f"({year} * 12 + CAST(EXTRACT(MONTH FROM {t}) AS BIGINT) - 1)"
        return months if code == "M" else f"CAST(FLOOR({months} / 3.0) AS BIGINT)"


DUCKDB = Dialect("duckdb", '"', "epoch_us({x})",
                 "CAST(CAST({x} AS DATE) - DATE '1970-01-01' AS BIGINT)", "make_timestamp({x})",
                 ("({x} << {n})", "({x} >> {n})"))
POLARS = Dialect("polars", '"', "CAST({x} AS BIGINT)", "CAST(CAST({x} AS DATE) AS BIGINT)",
                 "CAST({x} AS TIMESTAMP)", regex_template="regexp_like({x}, '{p}')")  # no BIT_OR, no bit shifts
SPARK = Dialect("spark", "`", "unix_micros({x})", "CAST(unix_date(CAST({x} AS DATE)) AS BIGINT)",
                "timestamp_micros({x})", ("shiftleft({x}, {n})", "shiftright({x}, {n})"), sorts_results=False,
                regex_template="{x} RLIKE '{p}'")


# Activity bitmasks hold one bit per period in a signed BIGINT.
MAX_MASK_PERIODS = 63


def count_if(condition: str) -> str:
    """COUNT_IF written portably."""
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


# --------------------------------------------------------------------------------------
# Queries. ``base`` is the SELECT list that renames the caller's columns to cust, t
# (a timestamp), amount and k0, k1, ... (carried columns); ``cut`` keeps the rows up to
# the as-of date.


def stats_query(d: Dialect, base: str, raw_time: str, *, amount: bool, cutoff_us: int | None,
                whole_day: bool, text_ids: tuple[str, str] | None = None) -> str:
    """One pass of validation counts: rows, missing ids/dates, unreadable dates, amounts,
    first/last time, what the as-of date drops and, given ``text_ids`` (the raw id text and
    the integer type it is read as), how many ids are not plain integers, and one of them."""
    from ..validation import ROW_CHECKS  # each check's SQL count is declared once, there

    us = d.epoch_us("t")
    parts = ["COUNT(*) AS n_rows"]
    parts += [f"{count_if(c.sql.format(us=us))} AS {c.name}" for c in ROW_CHECKS if amount or not c.amount]
    parts += [
        "MIN(CASE WHEN t_raw IS NOT NULL AND t IS NULL THEN t_raw END) AS bad_date_example",
        f"{d.epoch_us('MIN(t)')} AS first_us",
        f"{d.epoch_us('MAX(t)')} AS last_us",
    ]
    if text_ids is not None:
        parts += [f"{count_if('odd_id')} AS odd_ids", "MIN(CASE WHEN odd_id THEN id_raw END) AS odd_id_example"]
    if cutoff_us is not None:
        after = f"{us} >= {cutoff_us}" if whole_day else f"{us} > {cutoff_us}"
        parts += [f"{count_if(after)} AS after_as_of",
                  f"MAX(CASE WHEN NOT ({after}) THEN {us} END) AS last_kept_us"]
    extra = ""
    if text_ids is not None:  # "00017", "+17" or " 17" would all be read as 17
        raw, typ = text_ids
        odd = f"{raw} IS NOT NULL AND CAST(TRY_CAST({raw} AS {typ}) AS VARCHAR) IS DISTINCT FROM {raw}"
        extra = f", ({odd}) AS odd_id, {raw} AS id_raw"
    return (f"WITH raw AS (SELECT {base}, {raw_time} AS t_raw{extra} FROM {EVENTS}) "
            f"SELECT {', '.join(parts)} FROM raw")


# A day/month text date whose first (second) number cannot be a month: it tells the order.
DAY_FIRST_PATTERN = "^ *(1[3-9]|2[0-9]|3[01])[/.-]"
MONTH_FIRST_PATTERN = "^ *[0-9]{1,2}[/.-](1[3-9]|2[0-9]|3[01])[/.-]"


def date_order_query(d: Dialect, base: str, raw_time: str) -> str:
    """Besides the smallest unreadable date text, one whose day must come first and one whose
    month must come first (NULL when none): the day/month rule then judges the column as on
    pandas. Run only when dates were refused, so valid data pay nothing for it."""
    bad = "t_raw IS NOT NULL AND t IS NULL"
    parts = [f"MIN(CASE WHEN {bad} AND {d.regex_template.format(x='t_raw', p=pattern)} THEN t_raw END) AS {name}"
             for name, pattern in (("day_first_example", DAY_FIRST_PATTERN),
                                   ("month_first_example", MONTH_FIRST_PATTERN))]
    return f"WITH raw AS (SELECT {base}, {raw_time} AS t_raw FROM {EVENTS}) SELECT {', '.join(parts)} FROM raw"


class Select(str):
    """A SELECT list (cust, t, amount, k0, ...) that reads CTEs over the input table instead
    of the table itself: ``ctes`` defines them, ``table`` names the one read (see
    :func:`merged_orders`). A plain ``str`` reads :data:`EVENTS`."""

    ctes = ""
    table = EVENTS


def merged_orders(base: str, order: str, amount: bool) -> Select:
    """The events with the line items of one order merged into one purchase: per customer
    and order, the first time and (``amount``) the amounts summed; a row without an order id
    stays a purchase of its own. ``base`` is the raw SELECT list, ``order`` the order column."""
    total, amt = (", SUM(amount) AS amount", ", amount") if amount else ("", "")
    merged = Select("cust, t" + amt)
    merged.ctes = (f"rk_lines AS (SELECT {base}, {order} AS rk_order FROM {EVENTS}), "
                   f"rk_orders AS (SELECT cust, MIN(t) AS t{total} FROM rk_lines WHERE rk_order IS NOT NULL "
                   f"GROUP BY cust, rk_order UNION ALL SELECT cust, t{amt} FROM rk_lines WHERE rk_order IS NULL)")
    merged.table = "rk_orders"
    return merged


def extend(base: str, columns: str) -> str:
    """``base`` with further SELECT items, reading the same relation."""
    out = Select(base + columns)
    out.ctes, out.table = getattr(base, "ctes", ""), getattr(base, "table", EVENTS)
    return out


def span_query(d: Dialect, base: str, *, cutoff_us: int | None, whole_day: bool) -> str:
    """Rows, first and last time and what the as-of date drops, of ``base``'s rows (the
    purchases, once the line items of an order are merged)."""
    us = d.epoch_us("t")
    parts = ["COUNT(*) AS n_rows", f"{d.epoch_us('MIN(t)')} AS first_us", f"{d.epoch_us('MAX(t)')} AS last_us"]
    if cutoff_us is not None:
        after = f"{us} >= {cutoff_us}" if whole_day else f"{us} > {cutoff_us}"
        parts += [f"{count_if(after)} AS after_as_of", f"MAX(CASE WHEN NOT ({after}) THEN {us} END) AS last_kept_us"]
    return f"WITH {_events(base, '')} SELECT {', '.join(parts)} FROM ev"


def _events(base: str, cut: str) -> str:
    """The CTE ``ev``: the canonical events of ``base`` kept by ``cut``."""
    ctes, table = getattr(base, "ctes", ""), getattr(base, "table", EVENTS)
    head = f"{ctes}, " if ctes else ""
    if not cut:
        return f"{head}ev AS (SELECT {base} FROM {table})"
    return f"{head}ev_all AS (SELECT {base} FROM {table}), ev AS (SELECT * FROM ev_all WHERE {cut})"


def cohort_query(d: Dialect, base: str, cut: str, code: str, *, mode: str, revenue: bool,
                 first_period: int | None = None, n_periods: int = 0) -> str:
    """Cells of the calendar cohort table.

    With the data's first period code and the number of periods up to the as-of date
    (at most 63) and an engine with BIT_OR, mode "on" runs as one aggregation per
    customer (see :func:`_cohort_mask_query`) instead of distinct
    (customer, period) pairs, a self-join and a second aggregation.

    mode "on": (cohort, period, customers[, revenue, gross]) from distinct (customer,
    period) pairs and each customer's first period; gross caps each customer's revenue
    in a period at their period-0 revenue. mode "on or after": (cohort, period =
    last active period - cohort, customers), which the caller turns into counts with a
    reversed cumulative sum.
    """
    period = d.period("t", code)
    if mode == "on" and not revenue and first_period is not None and d.bit_templates is not None \
            and 0 < n_periods <= MAX_MASK_PERIODS:
        return _cohort_mask_query(d, base, cut, period, first_period, n_periods)
    head = f"WITH {_events(base, cut)}, per AS (SELECT cust, {period} AS p{', amount' if revenue else ''} FROM ev)"
    if mode == "on or after":
        return (f"{head}, span AS (SELECT cust, MIN(p) AS cohort, MAX(p) AS last_p FROM per GROUP BY cust) "
                "SELECT cohort, last_p - cohort AS period, COUNT(*) AS customers "
                "FROM span GROUP BY cohort, last_p - cohort")
    if not revenue:
        return (f"{head}, pairs AS (SELECT DISTINCT cust, p FROM per), "
                "firsts AS (SELECT cust, MIN(p) AS cohort FROM pairs GROUP BY cust) "
                "SELECT f.cohort AS cohort, pr.p - f.cohort AS period, COUNT(*) AS customers "
                "FROM pairs pr JOIN firsts f ON pr.cust = f.cust GROUP BY f.cohort, pr.p - f.cohort")
    return (f"{head}, pairs AS (SELECT cust, p, SUM(amount) AS rev FROM per GROUP BY cust, p), "
            "firsts AS (SELECT cust, MIN(p) AS cohort FROM pairs GROUP BY cust), "
            "base AS (SELECT f.cust AS cust, f.cohort AS cohort, pr.rev AS rev0 FROM firsts f "
            "JOIN pairs pr ON pr.cust = f.cust AND pr.p = f.cohort) "
            "SELECT b.cohort AS cohort, pr.p - b.cohort AS period, COUNT(*) AS customers, "
            "SUM(pr.rev) AS revenue, SUM(LEAST(pr.rev, b.rev0)) AS gross "
            "FROM pairs pr JOIN base b ON pr.cust = b.cust GROUP BY b.cohort, pr.p - b.cohort")


def _cohort_mask_query(d: Dialect, base: str, cut: str, period: str, first_period: int, n_periods: int) -> str:
    """mode "on" without revenue from one pass grouped by customer: the first active
    period and a bitmask of the active ones (bit b = period first_period + b). Customers
    sharing (cohort, mask) are counted together, and each set bit of a mask adds its
    customers to one cell. The distinct (customer, period) pairs are never built: the
    only large aggregation has one row per customer (about twice as fast on DuckDB at
    50M events; on Spark a single shuffle of the events)."""
    shl, shr = d.bit_templates
    bit = shl.format(x="CAST(1 AS BIGINT)", n="b")
    bits = ", ".join(f"({b})" for b in range(n_periods))
    is_set = f"({shr.format(x='mask', n='bits.b')} & 1) = 1"
    return (f"WITH {_events(base, cut)}, per AS (SELECT cust, {period} - {first_period} AS b FROM ev), "
            f"masks AS (SELECT MIN(b) AS c, BIT_OR({bit}) AS mask FROM per GROUP BY cust), "
            "combos AS (SELECT c, mask, COUNT(*) AS n FROM masks GROUP BY c, mask) "
            f"SELECT c + {first_period} AS cohort, bits.b - c AS period, SUM(n) AS customers "
            f"FROM combos CROSS JOIN (VALUES {bits}) AS bits(b) WHERE {is_set} GROUP BY c, bits.b")


def _activity(d: Dialect, base: str, cut: str, n_keep: int, starts: bool) -> str:
    """CTEs ev and act: first/last activity (microseconds) and number of events per
    customer, with the carried columns' values and whether they vary; with starts, only
    activity at or after the customer's start, by customers who have one."""
    first, last = d.epoch_us("MIN(t)"), d.epoch_us("MAX(t)")
    keep = "".join(f", MIN(k{i}) AS k{i}, COUNT(DISTINCT k{i}) + MAX(CASE WHEN k{i} IS NULL THEN 1 ELSE 0 END) "
                   f"AS k{i}_n" for i in range(n_keep))
    if not starts:
        return (f"{_events(base, cut)}, act AS (SELECT cust, {first} AS first_us, {last} AS last_us"
                f", COUNT(*) AS n_rows{keep} FROM ev GROUP BY cust)")
    return (f"{_events(base, cut)}, joined AS (SELECT ev.*, s.start_us AS start_us FROM ev "
            f"JOIN {STARTS} s ON ev.cust = s.cust WHERE {d.epoch_us('ev.t')} >= s.start_us), "
            f"act AS (SELECT cust, {first} AS first_us, {last} AS last_us, COUNT(*) AS n_rows{keep} "
            "FROM joined GROUP BY cust)")


def activity_query(d: Dialect, base: str, cut: str, n_keep: int, starts: bool) -> str:
    """One row per customer: cust, first_us, last_us (and k_i, k_i_n)."""
    return f"WITH {_activity(d, base, cut, n_keep, starts)} SELECT * FROM act"


def start_checks_query(d: Dialect, base: str, cut: str) -> str:
    """Events without a start (rows, customers, an example) and events before the start."""
    return (f"WITH {_events(base, cut)}, j AS (SELECT ev.cust AS cust, {d.epoch_us('ev.t')} AS t_us, "
            f"s.start_us AS start_us FROM ev LEFT JOIN {STARTS} s ON ev.cust = s.cust) "
            f"SELECT {count_if('start_us IS NULL')} AS unknown_rows, "
            "COUNT(DISTINCT CASE WHEN start_us IS NULL THEN cust END) AS unknown_customers, "
            "MIN(CASE WHEN start_us IS NULL THEN cust END) AS unknown_example, "
            f"{count_if('start_us IS NOT NULL AND t_us < start_us')} AS before_rows FROM j")


def lifetime_query(d: Dialect, base: str, cut: str, n_keep: int, starts: bool, *, as_of_us: int,
                   churn_us: int, censor_us: int, unit: str | None) -> str:
    """The (k..., span, churned, n, events_n) survival table: span is the duration in
    microseconds (unit None) or in calendar periods, churned 1/0, events_n the customers'
    events; the definitions of ``customer_lifetimes`` (last activity, or the start when
    there is none). Customers who started after the detection limit ``as_of - churn_after``
    (not yet classifiable) come as churned = 2. Exact durations without carried columns
    come as one key per customer instead, span * 2 + churned, and the not yet classifiable
    as -1 - their number of events."""
    act = _activity(d, base, cut, n_keep, starts)
    keeps = "".join(f", k{i}, k{i}_n" for i in range(n_keep))
    if starts:
        life = (f"life AS (SELECT s.start_us AS start_us, COALESCE(a.last_us, s.start_us) AS last_us, "
                f"COALESCE(a.n_rows, 0) AS n_rows"
                f"{''.join(f', a.k{i} AS k{i}, a.k{i}_n AS k{i}_n' for i in range(n_keep))} "
                f"FROM {STARTS} s LEFT JOIN act a ON s.cust = a.cust)")
    else:
        life = f"life AS (SELECT first_us AS start_us, last_us, n_rows{keeps} FROM act)"
    late = f"(start_us > {as_of_us - churn_us})"
    churned = f"({as_of_us} - last_us >= {churn_us})"
    end = f"CASE WHEN {churned} THEN last_us ELSE GREATEST(start_us, {censor_us}) END"
    if unit is None:
        span = f"({end}) - start_us"
    else:
        span = f"{d.period(d.from_us(f'({end})'), unit)} - {d.period(d.from_us('start_us'), unit)}"
    ks = [f"k{i}" for i in range(n_keep)]
    varying = "".join(f", MAX(k{i}_n) AS k{i}_n" for i in range(n_keep))
    group = ", ".join([*ks, "span", "churned"])
    head = (f"WITH {act}, {life}, spans AS (SELECT {span} AS span, "
            f"CASE WHEN {late} THEN 2 WHEN {churned} THEN 1 ELSE 0 END AS churned, n_rows{keeps} FROM life) ")
    if unit is None and not n_keep:
        # Exact durations are nearly all distinct, so grouping would not shrink the result:
        # one key per customer, span * 2 + churned, sorted where sorting is cheap; the
        # caller counts the runs of equal keys.
        key = "CASE WHEN churned = 2 THEN -1 - n_rows ELSE span * 2 + churned END"
        return head + f"SELECT {key} AS key FROM spans" + (" ORDER BY key" if d.sorts_results else "")
    return head + f"SELECT {group}, COUNT(*) AS n, SUM(n_rows) AS events_n{varying} FROM spans GROUP BY {group}"


def crr_query(d: Dialect, base: str, cut: str, code: str, *, revenue: bool) -> str:
    """Per period code p: buyers, repeat buyers, buyers of p who also bought in p - 1
    (retained), customers first seen in p (new) and, with amounts, revenue, revenue of the
    retained in p and its cap at their p - 1 revenue."""
    period = d.period("t", code)
    rev = ", SUM(amount) AS rev" if revenue else ""
    extra = (", SUM(a.rev) AS kept_revenue, SUM(LEAST(a.rev, b.rev)) AS kept_capped" if revenue else "")
    return (f"WITH {_events(base, cut)}, per AS (SELECT cust, {period} AS p{', amount' if revenue else ''} FROM ev), "
            f"pairs AS (SELECT cust, p, COUNT(*) AS purchases{rev} FROM per GROUP BY cust, p), "
            "firsts AS (SELECT cust, MIN(p) AS p FROM pairs GROUP BY cust), "
            f"by_p AS (SELECT p, COUNT(*) AS buyers, {count_if('purchases >= 2')} AS repeaters"
            f"{', SUM(rev) AS revenue' if revenue else ''} FROM pairs GROUP BY p), "
            f"kept AS (SELECT a.p AS p, COUNT(*) AS retained{extra} FROM pairs a JOIN pairs b "
            "ON a.cust = b.cust AND b.p = a.p - 1 GROUP BY a.p), "
            "news AS (SELECT p, COUNT(*) AS new FROM firsts GROUP BY p) "
            f"SELECT by_p.p AS p, buyers, repeaters, retained, new{', revenue, kept_revenue, kept_capped' if revenue else ''} "
            "FROM by_p LEFT JOIN kept ON by_p.p = kept.p LEFT JOIN news ON by_p.p = news.p")


# The spend of each customer's first purchase day (days are distinct per customer), where
# the engine has an aggregate for it; elsewhere (Polars SQL) a join to the first days.
_FIRST_AMOUNT = {"duckdb": "arg_min(amt, d)", "spark": "min_by(amt, d)"}


def customer_days_query(d: Dialect, base: str, cut: str, cal_day: int, amount: bool,
                        holdout: bool = True) -> str:
    """The RFM reduction (:meth:`~._base.EventReductions.customer_days`) as SQL. Without
    ``holdout`` every row kept lies on or before the calibration end day (the caller knows)."""
    day = d.epoch_day_template.format(x="t")
    amt = ", SUM(amount) AS amt" if amount else ""
    first_amt = _FIRST_AMOUNT.get(d.name)
    if first_amt is not None:
        # One aggregation of the (customer, DATE) pairs, the first day's spend by arg_min: no
        # self-join to the first days (about 40% more CPU on DuckDB at 10M events), a DATE key
        # (narrower than the day number) and, without a holdout, plain sums instead of CASEs
        # and no event count (n_rows is only read for customers dropped as starting after the
        # calibration end, who exist only with a holdout); with ORDER BY below, 1.6x faster at 10M.
        end = f"DATE '{np.datetime64(cal_day, 'D')}'"
        if holdout:
            cal_d = f"MAX(CASE WHEN d <= {end} THEN d END)"
            n_cal = f"SUM(CASE WHEN d <= {end} THEN 1 ELSE 0 END)"
            n_hold = f"SUM(CASE WHEN d > {end} THEN 1 ELSE 0 END)"
            amt_cal = f"SUM(CASE WHEN d <= {end} THEN amt ELSE 0 END)"
            n, n_rows = ", COUNT(*) AS n", "SUM(n)"
        else:  # every row kept lies on or before the calibration end day
            cal_d, n_cal, n_hold, amt_cal, n, n_rows = "MAX(d)", "COUNT(*)", "0", "SUM(amt)", "", "0"
        num = d.epoch_day_template.format
        extra = f", {amt_cal} AS amt_cal, {first_amt} AS amt_first" if amount else ""
        return (f"WITH {_events(base, cut)}, "
                f"days AS (SELECT cust, CAST(t AS DATE) AS d{n}{amt} FROM ev GROUP BY cust, CAST(t AS DATE)) "
                f"SELECT cust, {num(x='MIN(d)')} AS first_d, {num(x=cal_d)} AS cal_d, {n_cal} AS n_cal, "
                f"{n_hold} AS n_hold, {n_rows} AS n_rows{extra} FROM days GROUP BY cust"
                + (" ORDER BY cust" if d.sorts_results else ""))
    extra = (", SUM(CASE WHEN dy.d <= {c} THEN dy.amt ELSE 0 END) AS amt_cal, "
             "SUM(CASE WHEN dy.d = f.first_d THEN dy.amt ELSE 0 END) AS amt_first").format(c=cal_day) \
        if amount else ""
    return (f"WITH {_events(base, cut)}, "
            f"days AS (SELECT cust, {day} AS d, COUNT(*) AS n{amt} FROM ev GROUP BY cust, {day}), "
            "firsts AS (SELECT cust, MIN(d) AS first_d FROM days GROUP BY cust) "
            "SELECT dy.cust AS cust, MIN(f.first_d) AS first_d, "
            f"MAX(CASE WHEN dy.d <= {cal_day} THEN dy.d END) AS cal_d, "
            f"SUM(CASE WHEN dy.d <= {cal_day} THEN 1 ELSE 0 END) AS n_cal, "
            f"SUM(CASE WHEN dy.d > {cal_day} THEN 1 ELSE 0 END) AS n_hold, SUM(dy.n) AS n_rows{extra} "
            "FROM days dy JOIN firsts f ON dy.cust = f.cust GROUP BY dy.cust")


def repeat_days_head(d: Dialect, base: str, cut: str, cal_day: int) -> str:
    """CTEs days (distinct purchase days per customer) and firsts (first days up to ``cal_day``)
    of :meth:`~._base.EventReductions.repeat_days`."""
    day = d.epoch_day_template.format(x="t")
    return (f"WITH {_events(base, cut)}, days AS (SELECT DISTINCT cust, {day} AS d FROM ev), "
            f"firsts AS (SELECT cust, MIN(d) AS first_d FROM days GROUP BY cust HAVING MIN(d) <= {cal_day}) ")
