"""Helpers of the retention report (``notebooks/retention_report.ipynb``, installed as package
data, and
``retention-kit report``): reading the analyst's file with a column mapping, checking it
before anything runs, the reproducibility header and the text that adapts to the results.

The analyses themselves are the public API (``rk.crr_table``, ``rk.cohort_table``, ...);
this module only reads files, checks inputs and writes sentences. It is the one place
besides the command line that reads the clock (the run time in the header).

Examples
--------
>>> cfg = ReportConfig()            # the bundled coffee-shop example
>>> data = load_data(cfg)
>>> len(data.events), data.events.columns.tolist()
(45533, ['customer_id', 'date', 'quantity', 'amount', 'channel', 'arm', 'assigned_at'])
>>> pct(0.7382), count(1, "customer"), count(3000, "customer"), join_words(["a", "b", "c"])
('73.8 %', '1 customer', '3,000 customers', 'a, b and c')
"""

from __future__ import annotations

import difflib
import hashlib
import re
import shlex
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import datetime
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError, ParameterError, RetentionWarning
from .periods import parse_duration, parse_freq
from .validation import validate_events

__all__ = [
    "ReportConfig", "ReportData", "load_data", "check_inputs", "report_notebook", "header", "intro_text",
    "caveats", "pct", "count", "join_words", "paragraphs", "quality_text", "crr_text",
    "cohort_text", "survival_text", "experiment_intro", "experiment_text",
    "ExperimentPlan", "experiment_plan", "plan_options", "maturity_text", "monitoring_text", "look_design",
    "plot_monitoring",
    "CustomerValueSection", "customer_value", "customer_value_intro", "customer_value_text",
    "plot_frequency_check", "plot_value_distribution",
]

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
COMPRESSIONS = (".gz", ".bz2", ".zip", ".xz", ".zst")
PARQUET_SUFFIXES = (".parquet", ".pq")
BUNDLED = "bundled coffee-shop example"

# How each parameter is spelled on the command line (messages name what the reader typed).
CLI_FLAGS = {
    "data_path": "DATA", "customer_col": "--customer-col", "time_col": "--time-col",
    "amount_col": "--amount-col", "segment_col": "--segment-col", "arm_col": "--arm-col",
    "assigned_col": "--assigned-col",
    "control_arm": "--control", "date_format": "--date-format", "period": "--period",
    "as_of": "--as-of", "churn_after": "--churn-after", "horizon": "--horizon",
    "planned_n": "--planned-n", "mde": "--mde", "looks": "--looks",
}


@dataclass
class ReportConfig:
    """What the report runs on: the file, its column mapping and the analysis settings.

    The defaults are the bundled coffee-shop example (``data_path=None``). Every field is
    a plain string, number or None, so the same values travel as papermill parameters.

    Attributes
    ----------
    data_path : str or None
        CSV (``.csv``, ``.tsv``, optionally compressed) or Parquet file; None for the
        bundled coffee-shop example (transactions with each customer's experiment arm).
    customer_col, time_col : str
        Columns holding the customer id and the event time.
    amount_col, segment_col, arm_col : str or None
        Optional columns: amount paid (revenue retention), a segment (survival curves and
        cohorts per segment, taken at each customer's first event) and the experiment arm
        (one per customer; the clock starts at the customer's first event).
    control_arm : str
        The arm the others are compared with.
    date_format : str or None
        strptime format of the time column, e.g. ``"%d/%m/%Y"``; needed when day and month
        could be swapped (03/04/2024).
    period : str
        Calendar period of CRR and cohorts: D, W, M, Q or Y.
    as_of : str or None
        End of observation; None for the last date in the data.
    planned_n, mde, looks : int or None, float, int or None
        The experiment's plan: mature customers per arm at the last look, the minimum
        detectable effect in percentage points (5 by default; it sizes the plan when
        ``planned_n`` is not given) and the number of looks of the group-sequential plan
        (4 by default when a plan is read; see :func:`experiment_plan`).
    churn_after, horizon : str
        Silence that counts as churn, and the horizon of the experiment's retention. With
        ``churn_after=None`` :func:`load_data` chooses it from the data: the 95th percentile
        of the gaps between a customer's purchases, so that ordinary pauses are rarely
        counted as churn (``churn_gap`` and ``churn_note`` say what was chosen and why).
    """

    data_path: str | None = None
    customer_col: str = "customer_id"
    time_col: str = "date"
    amount_col: str | None = "amount"
    segment_col: str | None = "channel"
    arm_col: str | None = "arm"
    assigned_col: str | None = "assigned_at"
    control_arm: str = "control"
    date_format: str | None = None
    period: str = "M"
    as_of: str | None = None
    churn_after: str | None = None
    horizon: str = "30D"
    planned_n: int | None = None
    mde: float = 5.0
    looks: int | None = None
    cli: bool = field(default=False, repr=False, compare=False)

    def __post_init__(self):
        for name in ("amount_col", "segment_col", "arm_col", "assigned_col", "date_format", "as_of", "data_path"):
            if getattr(self, name) == "":
                setattr(self, name, None)
        self.freq = parse_freq(self.period)
        # None: load_data chooses the threshold from the gaps between purchases (and says so).
        self.churn_gap = (None if self.churn_after is None
                          else parse_duration(self.churn_after, name=self._name("churn_after")))
        self.churn_note = None
        self.horizon_gap = parse_duration(self.horizon, name=self._name("horizon"))
        self.planned_n, self.mde, self.looks = plan_options(self.planned_n, self.mde, self.looks, cli=self.cli)
        if not self.arm_col:
            self.assigned_col = None  # an assignment time means nothing without an arm
        used = [c for c in (self.customer_col, self.time_col, self.amount_col, self.segment_col,
                            self.arm_col, self.assigned_col) if c]
        repeated = sorted({c for c in used if used.count(c) > 1})
        if repeated:
            raise ParameterError(
                f"Column {repeated[0]!r} is given for two roles ({self._roles(repeated[0])}); each role "
                "needs its own column. Check the column options.")

    def _name(self, param: str) -> str:
        return CLI_FLAGS[param] if self.cli else param

    def _roles(self, col: str) -> str:
        return join_words([self._name(k) for k in self.columns if self.columns[k] == col])

    @property
    def columns(self) -> dict[str, str]:
        """Parameter name -> column, for the columns that are used."""
        names = ("customer_col", "time_col", "amount_col", "segment_col", "arm_col", "assigned_col")
        return {n: getattr(self, n) for n in names if getattr(self, n)}

    @property
    def cols(self) -> dict[str, str]:
        """``customer_col`` and ``time_col``, ready to pass to the analyses as ``**cfg.cols``."""
        return {"customer_col": self.customer_col, "time_col": self.time_col}

    def parameters(self) -> dict:
        """The papermill parameters of the report notebook (``cli`` makes its text name the
        command-line options instead of Python arguments)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def command(self, out: str = "report.html") -> str:
        """The command line that re-runs this report."""
        if self.data_path is None:
            parts = ["retention-kit", "report"]
        else:
            # The file name only: a report is forwarded, and the analyst's folders are private.
            parts = ["retention-kit", "report", Path(self.data_path).name]
            defaults = ReportConfig()
            for name in ("customer_col", "time_col", "amount_col", "segment_col", "arm_col", "assigned_col"):
                value = getattr(self, name)
                if value is not None:
                    parts += [CLI_FLAGS[name], value]
            if self.arm_col and self.control_arm != defaults.control_arm:
                parts += ["--control", self.control_arm]
            if self.date_format:
                parts += ["--date-format", self.date_format]
        for name in ("period", "as_of", "churn_after", "horizon"):
            value = getattr(self, name)
            if value is not None and value != getattr(ReportConfig, name):
                parts += [CLI_FLAGS[name], str(value)]
        if self.arm_col:
            for name in ("planned_n", "mde", "looks"):
                value = getattr(self, name)
                if value is not None and value != getattr(ReportConfig, name):
                    parts += [CLI_FLAGS[name], f"{value:g}"]
        return shlex.join(parts + ["--out", out])


@dataclass
class ReportData:
    """The events read from the file, with where they came from.

    ``events`` keeps the file's own column names; the time column holds datetimes when a
    ``date_format`` was given or day-first dates were recognised, and the segment is each
    customer's value at their first event. ``sources`` lists (path, SHA-256) of the files read.
    """

    events: pd.DataFrame
    config: ReportConfig
    sources: list[tuple[str, str]]
    label: str
    notes: list[str] = field(default_factory=list)
    # One row per customer in the experiment: customer, arm and the time their clock starts
    # (the assignment column, else the first event that carries an arm); None without arms.
    assignments: pd.DataFrame | None = None
    _log: object = field(default=None, repr=False, compare=False)

    @property
    def log(self):
        """The events validated once (``rk.validate_events``, as of ``config.as_of``): every
        analysis of the report takes this :class:`~retention_kit.EventLog` and checks nothing again."""
        if self._log is None:
            self._log = validate_events(self.events, amount_col=self.config.amount_col, as_of=self.config.as_of,
                                        **self.config.cols)
        return self._log


# --------------------------------------------------------------------------------------
# Reading the file
# --------------------------------------------------------------------------------------

def sha256(path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _kind(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSIONS:
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in PARQUET_SUFFIXES:
        return "parquet"
    if last in CSV_SUFFIXES:
        return "tsv" if last == ".tsv" else "csv"
    raise DataError(
        f"{path.name}: the file type {''.join(path.suffixes) or '(no extension)'!r} is not one the "
        "report reads. Save the data as CSV (.csv, .tsv, optionally .gz/.zip compressed) or "
        "Parquet (.parquet) and pass that file.")


def _unreadable(path: Path, what: str, exc: Exception) -> DataError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DataError(
        f"{path} could not be read as {what}: {reason}. Check that the file is a {what} file "
        f"(open it in a text editor or spreadsheet), that it is not still being written, and "
        "that you have permission to read it.")


def _read_parquet(path: Path, columns: list[str] | None) -> pd.DataFrame:
    try:
        return pd.read_parquet(path, columns=columns)
    except ImportError:
        pass  # pandas needs pyarrow or fastparquet; duckdb reads Parquet without them
    try:
        import duckdb
    except ImportError:
        raise DataError(
            f"{path.name} is a Parquet file, and reading Parquet needs pyarrow (pip install pyarrow) "
            "or duckdb. Install one of them, or save the data as CSV.") from None
    relation = duckdb.read_parquet(str(path))
    if columns is not None:
        relation = relation.project(", ".join('"' + c.replace('"', '""') + '"' for c in columns))
    return relation.df()


def _read_header(path: Path, kind: str) -> list[str]:
    if kind == "parquet":
        return [str(c) for c in _read_parquet(path, None).head(0).columns]
    return [str(c) for c in pd.read_csv(path, nrows=0, sep="\t" if kind == "tsv" else ",").columns]


def _check_columns(found: list[str], config: ReportConfig, where: str) -> None:
    for param, col in config.columns.items():
        if col in found:
            continue
        close = difflib.get_close_matches(col, found, n=1, cutoff=0.6)
        flag = config._name(param)
        fix = (f"Did you mean {close[0]!r}? Re-run with {flag} {close[0]!r}." if close and config.cli
               else f"Did you mean {close[0]!r}? Set {flag} = {close[0]!r}." if close
               else f"Name the column that holds it with {flag}.")
        optional = "" if param in ("customer_col", "time_col") else (
            " (This column is optional: leave the option out to skip what it is for.)")
        raise DataError(
            f"Column {col!r} ({flag}) was not found in {where}, which has {len(found)} columns: "
            f"{found[:15]}{' ...' if len(found) > 15 else ''}. {fix}{optional}")


def _bundled(config: ReportConfig) -> ReportData:
    from .datasets import load_coffee_shop

    shop = load_coffee_shop()
    assigned = shop.assignments.rename(columns={"date": "assigned_at"})
    events = shop.transactions.merge(assigned, on="customer_id", how="left", validate="many_to_one")
    folder = files("retention_kit.data")
    sources = [(f"retention_kit/data/{name}", sha256(folder / name))
               for name in ("coffee_shop_transactions.csv.gz", "coffee_shop_assignments.csv.gz")]
    return ReportData(events=events, config=config, sources=sources, label=BUNDLED,
                      assignments=_assignments(events, config))


_AMBIGUOUS = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:\D|$)")


def _parse_times(events: pd.DataFrame, config: ReportConfig, notes: list[str]) -> None:
    """Apply ``date_format``, or settle day/month order, before validation reads the dates."""
    col = config.time_col
    values = events[col]
    if config.date_format:
        text = values.astype(str) if pd.api.types.is_numeric_dtype(values) else values
        parsed = pd.to_datetime(text, format=config.date_format, errors="coerce")
        bad = parsed.isna() & values.notna()
        if bad.any():
            examples = ", ".join(repr(v) for v in values[bad].head(3).tolist())
            raise DataError(
                f"Column {col!r}: {int(bad.sum()):,} of {len(values):,} values do not match "
                f"{config._name('date_format')} {config.date_format!r}, for example {examples}. "
                "Check the format against those values (%d day, %m month, %Y four-digit year, "
                "%y two-digit year, %H:%M hours and minutes), or fix those rows.")
        events[col] = parsed
        return
    if values.dtype != object:
        return
    distinct = pd.Series(values.dropna().unique()).astype(str)
    parts = distinct.str.extract(_AMBIGUOUS)
    if len(distinct) == 0 or parts[0].isna().any():
        return  # not all of the nn/nn/yyyy kind: validation parses (or refuses) them
    first, second = parts[0].astype(int), parts[1].astype(int)
    flag = config._name("date_format")
    if (first > 12).any() and (second > 12).any():
        raise DataError(
            f"Column {col!r} mixes day-first and month-first dates: {distinct[first > 12].iloc[0]!r} "
            f"has the day first, {distinct[second > 12].iloc[0]!r} the month first. Make the column "
            f"consistent, or give {flag} (e.g. '%d/%m/%Y') and fix the rows it rejects.")
    if (first > 12).any():
        events[col] = pd.to_datetime(values, dayfirst=True, format="mixed")
        notes.append(f"Dates in {col!r} were read day first (e.g. {distinct[first > 12].iloc[0]!r}).")
    elif not (second > 12).any():
        raise DataError(
            f"Column {col!r} holds dates such as {distinct.iloc[0]!r} in which day and month could be "
            f"swapped (no value has a day above 12 to tell them apart). Give the order with "
            f"{flag}: '%d/%m/%Y' for day first, '%m/%d/%Y' for month first (add ' %H:%M' if "
            "there are times).")


def _segment_at_first_event(events: pd.DataFrame, config: ReportConfig, notes: list[str]) -> None:
    """A segment can change over time (a customer moves from walk-in to app); the report
    uses each customer's value at their first event, as cohort breakdowns do."""
    col = config.segment_col
    missing = events[col].isna()
    if missing.any():
        notes.append(f"{count(int(missing.sum()), 'row')} {'has' if missing.sum() == 1 else 'have'} no "
                     f"{col!r}; they form the group '(missing)'.")
        events[col] = events[col].astype(object).where(~missing, "(missing)")
    ordered = events.sort_values(config.time_col, kind="stable")
    first = ordered.groupby(config.customer_col, sort=False)[col].first()
    changed = ordered.groupby(config.customer_col, sort=False)[col].nunique() > 1
    if changed.any():
        notes.append(f"{count(int(changed.sum()), 'customer')} changed {col!r} over time; each is "
                     f"counted in the {col!r} of their first event.")
        events[col] = events[config.customer_col].map(first)


def _as_times(values: pd.Series, col: str, flag: str, config: ReportConfig) -> pd.Series:
    """A column read as naive times with the time column's rules (ISO, or ``date_format``)."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        text = values.astype("string").str.strip()
        fmt = config.date_format or "ISO8601"
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        bad = parsed.isna() & text.notna() & (text != "")
        if bad.any():
            example = text[bad].iloc[0]
            fix = (f"give {config._name('date_format')} for it" if not config.date_format
                   else "check the values")
            raise DataError(f"Column {col!r} ({flag}) has {count(int(bad.sum()), 'value')} that are not "
                            f"dates in the format {fmt!r} (for example {example!r}): {fix}.")
        values = parsed
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values


def _assignment_times(events: pd.DataFrame, config: ReportConfig) -> pd.Series:
    """The assignment time of each customer; a customer with two different times is refused."""
    col, who, flag = config.assigned_col, config.customer_col, config._name("assigned_col")
    values = _as_times(events[col], col, flag, config)
    times = pd.DataFrame({who: events[who], "t": values}).dropna().drop_duplicates()
    twice = times[who].duplicated(keep=False)
    if twice.any():
        example = times.loc[twice, who].iloc[0]
        raise DataError(f"Column {col!r} ({flag}) gives {count(int(times.loc[twice, who].nunique()), 'customer')} "
                        f"more than one assignment time (for example customer {example!r}). Each customer is "
                        "assigned once: keep the first assignment of each customer.")
    return times.set_index(who)["t"]


def _assignments(events: pd.DataFrame, config: ReportConfig) -> pd.DataFrame:
    """Customer, arm and the start of their clock: the assignment time when a column gives
    it, else the first event that carries an arm (which in a win-back or installed-base
    test may be long after the customer's first event)."""
    who, arm, time = config.customer_col, config.arm_col, config.time_col
    carrying = events.loc[events[arm].notna(), [who, arm, time]].copy()
    carrying[time] = _as_times(carrying[time], time, config._name("time_col"), config)
    first = carrying.sort_values(time, kind="stable").drop_duplicates(who)
    if config.assigned_col:
        starts = _assignment_times(events, config)
        first = first[first[who].isin(starts.index)].copy()
        first[time] = first[who].map(starts)
    return first.sort_values(who, kind="stable").reset_index(drop=True)


def _arm_per_customer(events: pd.DataFrame, config: ReportConfig, notes: list[str]) -> None:
    """The arm may be filled on some rows only (the assignment row): spread each customer's
    arm to all their rows. Customers with two arms are refused by :func:`check_inputs`."""
    col, who = config.arm_col, config.customer_col
    arms = events[[who, col]].dropna().drop_duplicates(who).set_index(who)[col]
    events[col] = events[who].map(arms)
    outside = events.loc[events[col].isna(), who].nunique()
    if outside:
        notes.append(f"{count(outside, 'customer')} {'has' if outside == 1 else 'have'} no {col!r} and "
                     "{'is' if outside == 1 else 'are'} not part of the experiment.")


def load_data(config: ReportConfig | None = None) -> ReportData:
    """Read the events named by ``config`` (the bundled example when ``data_path`` is None).

    Checks, in this order, with a :class:`DataError` that names the file or column, what
    was found and what to do: the file exists and is CSV or Parquet, it can be read, it
    has rows, every mapped column is there, dates in ``nn/nn/yyyy`` form say which number
    is the day. The remaining checks (dates, amounts, as-of) are :func:`check_inputs`'s.
    With ``churn_after=None`` the churn threshold is then chosen from the data
    (``config.churn_gap``, ``config.churn_note``).
    """
    config = config or ReportConfig()
    data = _bundled(config) if config.data_path is None else _read(config)
    if config.churn_gap is None:
        _choose_churn_after(data.log, config)
    return data


# The share of gaps between purchases that the chosen threshold leaves below it: a customer
# pausing as long as 19 pauses in 20 is not yet called churned.
CHURN_QUANTILE = 0.95


def _choose_churn_after(events: pd.DataFrame, config: ReportConfig) -> None:
    from .survival import purchase_gaps

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RetentionWarning)  # the sections show them
        gaps = purchase_gaps(events, as_of=config.as_of, **config.cols)
    if len(gaps.gaps) == 0:
        config.churn_gap = pd.Timedelta(days=30)
        config.churn_note = ("no customer bought twice, so the gaps cannot choose it; 30 days is the "
                             f"usual default, set your own with {config._name('churn_after')}")
        return
    days = max(1.0, float(np.ceil(gaps.quantile(CHURN_QUANTILE))))
    config.churn_gap = pd.Timedelta(days=days)
    config.churn_note = (f"chosen from the data: {CHURN_QUANTILE:.0%} of the {len(gaps.gaps):,} gaps between "
                         f"purchases are shorter; set your own with {config._name('churn_after')}")


def _read(config: ReportConfig) -> ReportData:
    path = Path(config.data_path).expanduser()
    if not path.exists():
        raise DataError(f"The data file {str(path)!r} does not exist. Check the path (it is relative "
                        f"to the folder you run the command from: {Path.cwd()}).")
    if path.is_dir():
        raise DataError(f"{str(path)!r} is a folder, not a data file. Pass the CSV or Parquet file itself.")
    kind = _kind(path)
    if path.stat().st_size == 0:
        raise DataError(f"The data file {str(path)!r} is empty (0 bytes): there is nothing to analyse. "
                        "Check that the export finished and that you passed the right file.")
    what = "Parquet" if kind == "parquet" else "CSV"
    try:
        found = _read_header(path, kind)
    except pd.errors.EmptyDataError:
        raise DataError(f"The data file {str(path)!r} is empty: it has no column names and no rows. "
                        "Check that the export finished and that you passed the right file.") from None
    except DataError:
        raise
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError, RuntimeError) as exc:
        raise _unreadable(path, what, exc) from None
    except Exception as exc:  # duckdb raises its own error types for bad Parquet files
        raise _unreadable(path, what, exc) from None
    _check_columns(found, config, repr(path.name))
    wanted = list(dict.fromkeys(config.columns.values()))
    try:
        if kind == "parquet":
            events = _read_parquet(path, wanted)
        else:
            # Ids and labels stay text: "007" is not the number 7.
            text_cols = {c: str for c in (config.customer_col, config.segment_col, config.arm_col) if c}
            events = pd.read_csv(path, usecols=wanted, dtype=text_cols,
                                 sep="\t" if kind == "tsv" else ",", low_memory=False)
    except Exception as exc:
        raise _unreadable(path, what, exc) from None
    if len(events) == 0:
        raise DataError(f"The data file {str(path)!r} has column names ({join_words(found[:6])}) but "
                        "no rows: there is nothing to analyse. Check the export or its filters.")
    notes: list[str] = []
    _parse_times(events, config, notes)
    if config.segment_col:
        _segment_at_first_event(events, config, notes)
    assignments = None
    if config.arm_col:
        _check_arms(events, config)
        assignments = _assignments(events, config)
        _arm_per_customer(events, config, notes)
    # File name only (not the analyst's folders): the header and prose of a forwarded report.
    return ReportData(events=events, config=config, sources=[(path.name, sha256(path))],
                      label=path.name, notes=notes, assignments=assignments)


def check_inputs(config: ReportConfig | None = None) -> ReportData:
    """Everything that can be checked before the report runs: :func:`load_data`, then the
    dates, customers and amounts (``rk.check_events`` rules), the as-of date, at least one
    complete period, one experiment arm per customer and the control arm.

    Raises :class:`DataError` or :class:`ParameterError` with the fix; returns the data.
    """
    config = config or ReportConfig()
    data = load_data(config)
    log = data.log  # validated once; the report's analyses take the same log
    as_of = log.as_of
    # One complete period is needed for CRR and cohorts.
    from .periods import period_codes, period_starts

    first_code = int(period_codes(np.array([log.first_time], dtype="datetime64[ns]"), config.freq)[0])
    first_end = period_starts(np.array([first_code + 1]), config.freq)[0]
    if first_end > as_of.normalize() + pd.Timedelta(days=1):
        raise DataError(
            f"The data run from {log.first_time:%Y-%m-%d} to {as_of:%Y-%m-%d}: not one complete "
            f"{config.freq.name}, so there is no retention to measure. Use a shorter period "
            f"({config._name('period')} W or D) or a later {config._name('as_of')}.")
    return data


def _check_arms(events: pd.DataFrame, config: ReportConfig) -> None:
    col = config.arm_col
    arms = events[[config.customer_col, col]].dropna().drop_duplicates()
    if arms.empty:
        raise DataError(f"Column {col!r} ({config._name('arm_col')}) is empty in every row: there is no "
                        "experiment to compare. Leave the option out, or check the column.")
    twice = arms[config.customer_col].duplicated(keep=False)
    if twice.any():
        example = arms.loc[twice, config.customer_col].iloc[0]
        seen = sorted(arms.loc[arms[config.customer_col] == example, col].astype(str))
        raise DataError(
            f"Column {col!r} ({config._name('arm_col')}) gives {count(int(arms.loc[twice, config.customer_col].nunique()), 'customer')} "
            f"more than one arm (for example customer {example!r} is in {join_words(seen)}). Each "
            "customer belongs to one arm; customers in two arms break the randomisation: fix the "
            "assignment or remove them.")
    found = sorted(arms[col].astype(str).unique())
    if config.control_arm not in found:
        close = difflib.get_close_matches(config.control_arm, found, n=1)
        raise ParameterError(
            f"The control arm {config.control_arm!r} ({config._name('control_arm')}) is not in column "
            f"{col!r}, which holds {join_words([repr(a) for a in found[:10]])}. "
            + (f"Did you mean {close[0]!r}? " if close else "")
            + f"Name the control arm with {config._name('control_arm')}.")
    if len(found) < 2:
        raise DataError(f"Column {col!r} holds only one arm ({found[0]!r}): an experiment needs at least "
                        "two. Leave the arm option out, or check the column.")


def report_notebook() -> Path:
    """Path of the report notebook, installed with the package as
    ``retention_kit.notebooks/retention_report.ipynb`` (``notebooks/`` of the source tree)."""
    resource = files("retention_kit.notebooks") / "retention_report.ipynb"
    if not resource.is_file():
        raise FileNotFoundError(
            "The report notebook retention_report.ipynb is missing from this installation of "
            "retention_kit; reinstall it, or pass --notebook PATH to use a copy.")
    return Path(str(resource))


# --------------------------------------------------------------------------------------
# Reproducibility header
# --------------------------------------------------------------------------------------

def _run_time() -> str:
    # The one clock read of the kit: when the report ran (never used by an analysis).
    return datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S (UTC%z)")


def header(data: ReportData, *, out: str = "report.html"):
    """Markdown block naming the data (with checksums), the parameters, the retention_kit
    version, the run time and the command that re-runs the report."""
    from IPython.display import Markdown

    from . import __version__

    cfg = data.config
    files_md = "<br>".join(f"`{p}`<br>SHA-256 `{h}`" for p, h in data.sources)
    rows = [("Data", f"{data.label}, {len(data.events):,} rows<br>{files_md}")]
    mapping = ", ".join(f"{name.removesuffix('_col')} = `{col}`" for name, col in cfg.columns.items())
    if cfg.date_format:
        mapping += f" (format `{cfg.date_format}`)"
    rows.append(("Columns", mapping))
    params = [f"period = {cfg.freq.name}", f"as of = {cfg.as_of or 'last date in the data'}",
              f"churn after {_days(cfg.churn_gap)} days of silence"
              + (f" ({cfg.churn_note})" if cfg.churn_note else "")]
    if cfg.arm_col:
        params += [f"experiment horizon = {_days(cfg.horizon_gap)} days", f"control arm = `{cfg.control_arm}`",
                   f"minimum detectable effect = {cfg.mde:g} points"]
        if cfg.planned_n:
            params.append(f"planned = {cfg.planned_n:,} mature customers per arm")
        if cfg.looks:
            params.append(f"looks = {cfg.looks}")
    rows.append(("Parameters", "; ".join(params)))
    rows.append(("retention_kit", __version__))
    rows.append(("Run", _run_time()))
    rows.append(("Re-run with", f"`{cfg.command(out)}`"))
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    return Markdown("| | |\n|---|---|\n" + table)


# --------------------------------------------------------------------------------------
# Text that adapts
# --------------------------------------------------------------------------------------

def pct(x, digits: int = 1) -> str:
    """A share as a percentage, ``"–"`` when unknown."""
    return "–" if x is None or not np.isfinite(x) else f"{100 * float(x):.{digits}f} %"


def count(n, singular: str, plural: str | None = None) -> str:
    """``"1 customer"``, ``"3,000 customers"``."""
    n = int(n)
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"


def join_words(items) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def paragraphs(*parts):
    """Markdown of the non-empty parts, one paragraph each (skipped parts leave no trace)."""
    from IPython.display import Markdown

    return Markdown("\n\n".join(p for p in parts if p))


def _days(td: pd.Timedelta) -> str:
    return f"{td / pd.Timedelta(days=1):g}"


def _date(ts) -> str:
    ts = pd.Timestamp(ts)
    return f"{ts.day} {ts:%B %Y}"


class _Caveats(list):
    def markdown(self):
        from IPython.display import Markdown

        if not self:
            return Markdown("")
        return Markdown("**Caveats**\n\n" + "\n".join(f"* {text}" for text in self))

    def _repr_markdown_(self) -> str:
        return self.markdown().data


# Warnings end with advice for a Python caller ("Pass first_cohort='exclude' ..."); a report
# reader cannot pass arguments, so the report says what it did instead, or leaves it out.
_READER_ADVICE = [
    (re.compile(r"Pass first_cohort='exclude' to drop it, or first_cohort='keep' if the data start "
                r"with every customer's first activity\."),
     "The report keeps it: read its row with that in mind."),
    (re.compile(r"([\d,]+) customers start after the as-of date \((\d{4}-\d{2}-\d{2})\) and were left out: "
                r"their start time \(start_times; in compare_retention, the assignment time\) is later\."),
     r"\1 customers assigned after the as-of date (\2) are left out."),
]
_PYTHON_ADVICE = re.compile(r"\b[a-z_]+=(?:'[^']*'|\"[^\"]*\"|[\w.]+)|\b[a-z_]+\(\)")


def for_reader(text: str) -> str:
    """A warning's text without advice that only a Python caller can follow.

    >>> for_reader("Two arms are small. Pass looks=3 to correct for peeking. Read with care.")
    'Two arms are small. Read with care.'
    """
    for pattern, replacement in _READER_ADVICE:
        text = pattern.sub(replacement, text)
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text.strip())
    return " ".join(x for x in sentences if not _PYTHON_ADVICE.search(x))


@contextmanager
def caveats():
    """Collect the kit's warnings (``RetentionWarning``) raised in the block as plain
    sentences, to show under the section instead of as warning boxes::

        with report.caveats() as notes:
            table = rk.cohort_table(...)
        notes            # renders "Caveats" and the list, or nothing
    """
    found = _Caveats()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RetentionWarning)
        yield found
    for w in caught:
        if issubclass(w.category, RetentionWarning):
            text = for_reader(str(w.message))
            if text and text not in found:
                found.append(text)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def intro_text(config: ReportConfig) -> str:
    """What the report answers, for the sections it will have."""
    word = config.freq.name
    questions = [
        "Is the data fit for analysis, and what did validation do with it?",
        f"Did the customer base hold up from one {word} to the next, net of new customers "
        "(customer retention rate, CRR)?",
        "How does each group of customers acquired in the same "
        f"{word} keep buying as it ages (cohorts)?",
        "How long do customers stay" + (f", and does it differ by {config.segment_col!r}?"
                                        if config.segment_col else "?") + " (survival curves)",
    ]
    if config.arm_col:
        questions.append(f"Did the treatment arm keep more customers than the control arm {config.control_arm!r} "
                         f"{_days(config.horizon_gap)} days after they started?")
    if config.amount_col:
        questions.append("What are the customers worth over the next year, and which customers the churn rule "
                         "calls lost are probably still active (customer value)?")
    return "This report answers:\n\n" + "\n".join(f"{i}. {q}" for i, q in enumerate(questions, 1))


def quality_text(data: ReportData, quality) -> str:
    """What was read and what validation did, in two or three sentences."""
    cfg = data.config
    q = quality
    span = f"from {_date(q.first_time)} to {_date(q.last_time)}"
    as_of = (f"The report looks at the data as of {_date(q.as_of)}"
             + (" (the last date in the data)." if cfg.as_of is None else
                f"; {count(q.rows_dropped, 'later row')} {'is' if q.rows_dropped == 1 else 'are'} left out."
                if q.rows_dropped else "."))
    parts = [f"The data ({data.label}) hold {count(q.rows_in, 'row')} for {count(q.customers, 'customer')}, "
             f"{span}. {as_of}"]
    parts += data.notes
    if q.checks:
        kinds = join_words(sorted({c['action'] for c in q.checks}))
        parts.append(f"Validation has {count(len(q.checks), 'finding')} (rows {kinds}), listed in the table; "
                     "nothing is dropped without a row there.")
    else:
        parts.append("Validation found nothing to fix: every row was used as it is.")
    return " ".join(parts)


def crr_text(table) -> str:
    """Headline of the CRR table: range, latest period and revenue retention when known."""
    t = table.table.dropna(subset=["crr"])
    word = table.freq.name
    if t.empty:
        return (f"No {word} has customers at its start yet, so CRR is undefined: it needs at least two "
                f"complete {word}s.")
    last = t.iloc[-1]
    text = [f"**CRR in {last.name}: {pct(last['crr'])}** — of {last['start']:,.0f} customers at the start, "
            f"{last['retained']:,.0f} ({pct(last['cohort_retention'])}) were still buying at the end."]
    if len(t) > 1:
        lo, hi = t["crr"].idxmin(), t["crr"].idxmax()
        median = t["crr"].median()
        where = ("above" if last["crr"] > median else "below" if last["crr"] < median else "at")
        text.append(f"Over {count(len(t), 'complete ' + word)} with customers at the start, CRR ranged from "
                    f"{pct(t.loc[lo, 'crr'])} ({lo}) to {pct(t.loc[hi, 'crr'])} ({hi}); the latest "
                    f"{word} is {where} the median of {pct(median)}.")
    if "net_revenue_retention" in t and np.isfinite(last.get("net_revenue_retention", np.nan)):
        text.append(f"Revenue from the customers at the start of {last.name} was "
                    f"{pct(last['net_revenue_retention'])} of what they spent the {word} before "
                    f"(net revenue retention; {pct(last['gross_revenue_retention'])} gross, without "
                    "the increases).")
    return " ".join(text)


def cohort_text(cohorts, periods=(1, 3, 6)) -> str:
    """Headline of the cohort table: size-weighted retention at a few ages."""
    avg = cohorts.average()
    word = cohorts.freq.name
    shown = [k for k in periods if k in avg.index and np.isfinite(avg[k])]
    text = [f"{count(len(cohorts.sizes), 'acquisition cohort')} ({count(int(cohorts.sizes.sum()), 'customer')})."]
    if shown:
        pieces = [f"{pct(avg[k])} {count(k, word)} after acquisition" for k in shown]
        text.append(f"On average (weighted by cohort size, complete {word}s only), {join_words(pieces)} "
                    "were buying again.")
    else:
        text.append(f"No cohort has completed a {word} after its acquisition {word} yet, so there is no "
                    "retention to average.")
    if cohorts.partial.to_numpy().any():
        text.append(f"Cells of the latest {word} are not over yet; the heatmap marks them and the average "
                    "leaves them out.")
    return " ".join(text)


# A segment's median is named in the headline only with this many customers: the medians
# of smaller groups are too uncertain to call one segment the fastest to leave.
MIN_NAMED_SEGMENT = 50


def survival_text(curves, gaps, churn, logrank=None) -> str:
    """Whether the churn threshold suits the gaps between purchases, a headline lifetime
    that means something (the one-time buyers when the median is day 0), and segments
    named only when they are large and the log-rank test separates them.

    ``churn`` is the :class:`ReportConfig` (or the threshold as a ``pd.Timedelta``)."""
    config = churn if isinstance(churn, ReportConfig) else None
    churn_gap = config.churn_gap if config else churn
    flag = config._name("churn_after") if config else "churn_after"
    days = churn_gap / pd.Timedelta(days=1)
    text = []
    if config is not None and config.churn_note and len(gaps.gaps):
        text.append(f"A customer counts as churned after {days:g} days without a purchase, "
                    f"{config.churn_note}.")
    elif len(gaps.gaps):
        q90 = gaps.quantile(0.9)
        if days < q90:
            suggest = f"{np.ceil(gaps.quantile(0.95)):,.0f}"
            text.append(f"A customer counts as churned after {days:g} days without a purchase, but 10 % of "
                        f"the gaps between purchases are longer than {q90:,.0f} days: ordinary pauses are "
                        f"counted as churn here, so lifetimes are understated. Consider "
                        f"a threshold of about {suggest} days ({flag} {suggest}).")
        else:
            text.append(f"A customer counts as churned after {days:g} days without a purchase; 90 % of the "
                        f"gaps between purchases are shorter than {q90:,.0f} days, so ordinary pauses "
                        "rarely count as churn.")
    text += _lifetime_headline(curves)
    if len(curves.fitters) >= 2:
        text += _segment_sentences(curves, logrank)
    return " ".join(text)


def _lifetime_headline(curves) -> list[str]:
    med = curves.median_lifetime()
    if len(med) != 1:
        return []
    row, unit = med.iloc[0], curves.time_unit
    if not row["reached"]:
        return [f"The curve {row['note']}."]
    if row["median"] > 0:
        return [f"Half of the customers had made their last purchase by day {row['median']:,.0f}."]
    # A median of 0: most customers never bought again, which is the headline.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RetentionWarning)
        at = curves.survival_at([0, 90, 365]).set_index("horizon")["survival"]
    parts = [f"{pct(1 - at[0], 0)} of the customers never bought again after their first purchase day "
             "(one-time buyers), so the median lifetime is 0 " + unit]
    later = [f"{pct(at[h], 0)} after {h:g} {unit}" for h in (90, 365) if np.isfinite(at[h])]
    if later:
        parts.append("the share still buying was " + join_words(later))
    return ["; ".join(parts) + "."]


def _segment_sentences(curves, logrank) -> list[str]:
    med = curves.median_lifetime()
    sizes = curves.summary.set_index("group")["customers"]
    med = med.assign(customers=med["group"].map(sizes))
    text = []
    separated = logrank is not None and logrank.p_value < logrank.alpha
    named = med[med["reached"] & (med["customers"] >= MIN_NAMED_SEGMENT)]
    if separated and len(named) >= 2:
        fast, slow = named.loc[named["median"].idxmin()], named.loc[named["median"].idxmax()]
        unit = curves.time_unit
        text.append(f"Customers of {fast['group']} leave fastest (median lifetime {fast['median']:,.0f} "
                    f"{unit}, {fast['customers']:,.0f} customers), those of {slow['group']} stay longest "
                    f"({slow['median']:,.0f} {unit}, {slow['customers']:,.0f} customers).")
    small = med.loc[med["customers"] < MIN_NAMED_SEGMENT, "group"].tolist()
    if small:
        text.append(f"{join_words(small)} {'has' if len(small) == 1 else 'have'} fewer than "
                    f"{MIN_NAMED_SEGMENT} customers: too few to rank.")
    for row in med[~med["reached"]].itertuples():
        text.append(f"The {row.group} curve {row.note}.")
    if logrank is not None:
        p = logrank.p_value
        verdict = ("a difference this large is unlikely to be chance" if p < logrank.alpha else
                   "the curves are not distinguishable from chance variation")
        text.append(f"Log-rank test: p {'< 0.0001' if p < 1e-4 else f'= {p:.3f}'}, {verdict}.")
    return text


def experiment_intro(config: ReportConfig) -> str:
    """What the experiment section measures, and where each customer's clock starts."""
    if config.assigned_col:
        clock = f"their clock starts at their assignment (column `{config.assigned_col}`)"
    else:
        clock = ("their clock starts at their first event that carries an arm (give the assignment time "
                 f"with {config._name('assigned_col')} when customers were assigned later)")
    return (f"## 5. The experiment\n\nEach customer's arm comes from the column `{config.arm_col}`; {clock}, "
            "and events before it do not count. *Retained* means they bought again more than "
            f"{_days(config.horizon_gap)} days after it. Only customers observed long enough to know (the horizon "
            f"plus the {_days(config.churn_gap)}-day churn threshold) enter the fixed-horizon test.")


def experiment_text(result, plan: "ExperimentPlan | None" = None) -> str:
    """The verdict of each arm against control, in one or two sentences each: the verdict
    is the comparison's own (its declared primary test, adjusted across arms), so the report
    and ``explain()`` never disagree. With a ``plan`` (:func:`experiment_plan`) whose look
    is read for an arm, the look's decision leads instead: at an interim look the numbers
    are shown without a verdict, and the final look decides against the plan's boundary."""
    text = []
    conf = f"{1 - result.alpha:.0%}"
    h = result.horizon / pd.Timedelta(days=1)
    w = result.window / pd.Timedelta(days=1)
    sfx = "_adjusted" if len(result.summary) > 1 else ""
    for arm, row in result.summary.iterrows():
        ci = f"{row['ci_lower' + sfx] * 100:+.1f} to {row['ci_upper' + sfx] * 100:+.1f} points"
        head = (f"{row['rate']:.1%} of {arm} vs {row['control_rate']:.1%} of {result.control} customers bought "
                f"again between day {h:g} and day {h + w:g}: {row['diff'] * 100:+.1f} points ({conf} CI {ci})")
        verdict = row["verdict"]
        look = plan.monitors.get(arm) if plan is not None else None
        if look is not None and plan.interim(arm):
            text.append(f"**{arm} vs {result.control} so far.** {head}. This interval holds for one look at the end; "
                        "at an interim look the decision is the plan's, above.")
            continue
        if look is not None:
            verdict = {"stop for efficacy": "better", "stop for harm": "worse"}.get(look.decision,
                                                                                   "no clear difference")
        if verdict == "better":
            text.append(f"**{arm} kept more customers.** {head}.")
        elif verdict == "worse":
            text.append(f"**{arm} kept fewer customers.** {head}.")
        elif verdict == "no clear difference":
            text.append(f"**No clear difference between {arm} and {result.control}.** {head}; "
                        "the data are consistent with no effect.")
        else:
            text.append(f"**{arm} could not be compared with {result.control}.** {head}.")
        if look is not None:
            text[-1] += " The verdict is the plan's final look, above."
        elif result.primary != "fixed_horizon":
            text[-1] += f" The verdict follows the declared primary analysis ({result.primary.replace('_', ' ')})."
    if result.srm.mismatch:
        text.append("**Warning:** the arms' sizes do not match the planned split (sample ratio mismatch): "
                    "the assignment may be broken, so do not trust the comparison before checking it.")
    return "\n\n".join(text)


# --------------------------------------------------------------------------------------
# The experiment's maturity, its plan and the monitoring state
# --------------------------------------------------------------------------------------

# What the plan assumes when the analyst gives none; the text states each of them.
DEFAULT_MDE = 5.0           # minimum detectable effect, percentage points (--mde)
DEFAULT_LOOKS = 4           # looks of the group-sequential plan (--looks)
PLAN_POWER = 0.8
PLAN_SPENDING = "obrien-fleming"
_MAX_LOOKS = 20


def _whole(value, name: str, lowest: int, highest: int | None, what: str) -> int:
    text = str(value).strip().replace(",", "").replace("_", "") if isinstance(value, str) else value
    try:
        number = float(text) if not isinstance(text, bool) else float("nan")
    except (TypeError, ValueError):
        number = float("nan")
    if not np.isfinite(number) or number != int(number) or number < lowest or (highest and number > highest):
        span = f"from {lowest} to {highest}" if highest else f"of at least {lowest:,}"
        raise ParameterError(f"{name} {value!r} is not {what}: give a whole number {span}.")
    return int(number)


def plan_options(planned_n=None, mde=DEFAULT_MDE, looks=None, *, cli: bool = False):
    """``planned_n``, ``mde`` (percentage points) and ``looks`` of the experiment's plan,
    read from text or numbers and checked; the messages name the options as ``cli`` spells
    them. Returns ``(planned_n or None, mde as float, looks or None)``."""
    def name(param):
        return CLI_FLAGS[param] if cli else f"{param} ="

    if planned_n is not None and planned_n != "":
        planned_n = _whole(planned_n, name("planned_n"), 1, None,
                           "a number of customers (the mature customers per arm your plan reads at its last look)")
    else:
        planned_n = None
    if looks is not None and looks != "":
        looks = _whole(looks, name("looks"), 2, _MAX_LOOKS,
                       "a number of looks (the planned looks, the final one included; one look is the "
                       "fixed-horizon test the report runs anyway)")
    else:
        looks = None
    if mde is None or (isinstance(mde, str) and mde.strip() == ""):
        mde = DEFAULT_MDE
    text = mde.strip().removesuffix("%").removesuffix("pp").strip() if isinstance(mde, str) else mde
    try:
        points = float(text) if not isinstance(text, bool) else float("nan")
    except (TypeError, ValueError):
        points = float("nan")
    if not (np.isfinite(points) and 0 < points < 100):
        raise ParameterError(f"{name('mde')} {mde!r} is not a minimum detectable effect: give it in percentage "
                             "points, a number above 0 and below 100 (5 means from 60 % to 65 %).")
    if points < 0.1:
        raise ParameterError(f"{name('mde')} {mde!r} is in percentage points, so it means {points:g} points, an "
                             "effect no experiment of ordinary size can detect. If you meant "
                             f"{pct(points, 0)} (a share of {points:g}), write {name('mde')} {100 * points:g}.")
    return planned_n, points, looks


@dataclass
class ExperimentPlan:
    """Maturity, plan and monitoring state of the report's experiment (see :func:`experiment_plan`).

    ``assigned`` and ``mature`` count customers per arm (control first) by the as-of date;
    ``per_week`` is the customers assigned per week between the first and the last
    assignment; ``delay`` is the horizon plus the retention window (a customer is mature
    that long after assignment). With a plan (``monitoring``): ``target`` mature customers
    per arm at the last of ``looks`` looks (``planned_n``, or ``sample`` — the fixed
    sample a ``mde`` needs at the control's observed rate — times the design's
    ``inflation``), ``target_date`` (``target_how``: "reached", "assigned" or "projected"
    by ``calendar``), the ``design`` and one :class:`SequentialMonitor` per treatment arm
    in ``monitors`` (or a sentence in ``problems`` when the arm cannot be read yet).
    """

    result: object
    config: ReportConfig
    assigned: pd.Series
    mature: pd.Series
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    per_week: float
    delay: pd.Timedelta
    mde: float
    planned_n: int | None = None
    looks: int | None = None
    sample: object = None
    inflation: float | None = None
    target: int | None = None
    target_how: str | None = None
    target_date: pd.Timestamp | None = None
    calendar: object = None
    design: object = None
    monitors: dict = field(default_factory=dict)
    problems: dict = field(default_factory=dict)
    no_plan: str | None = None

    @property
    def immature(self) -> int:
        return int((self.assigned - self.mature).sum())

    @property
    def monitoring(self) -> bool:
        return self.design is not None

    @property
    def information(self) -> float:
        """Mature customers per arm as a look counts them: the harmonic mean of each treatment
        arm's and the control's, 2 / (1/n_t + 1/n_c), the smallest over the treatment arms."""
        n_c = self.mature.iloc[0]
        values = [2.0 / (1.0 / n + 1.0 / n_c) if n and n_c else 0.0 for n in self.mature.iloc[1:]]
        return float(min(values)) if values else 0.0

    @property
    def all_mature_on(self) -> pd.Timestamp | None:
        return None if self.last is None else self.last + self.delay

    def interim(self, arm) -> bool:
        """True when ``arm``'s look is an interim one (not the final look of the plan)."""
        m = self.monitors.get(arm)
        return m is not None and not _final(m)


def _final(m) -> bool:
    return m.information_fraction >= 1 - 1e-9 or m.decision == "final look: no significant difference" or (
        m.planned_looks is not None and m.look >= m.planned_looks)


def experiment_plan(result, assignments: pd.DataFrame, config: ReportConfig) -> ExperimentPlan:
    """Maturity and plan of the experiment, and the monitoring state when it is not mature.

    Customers per arm assigned by the as-of date and mature (assignment + horizon + window
    <= as of) come from ``result`` (a ``rk.compare_retention`` result); the enrolment rate
    from ``assignments`` (one row per customer, the report's ``data.assignments``).

    A plan is read when part of the assigned customers are immature, or when the analyst
    gives ``config.looks`` or ``config.planned_n``: a group-sequential design with
    O'Brien-Fleming-type spending (``rk.spending_boundaries``) over ``config.looks`` looks
    (``DEFAULT_LOOKS``), at alpha divided by the number of treatment arms (Bonferroni), and
    each treatment arm's comparison read as one look with ``result.monitor``. The planned
    maximum is ``config.planned_n`` mature customers per arm, or else the fixed sample
    ``rk.sample_size`` gives for ``config.mde`` points from the control's observed rate
    (80 % power) times the design's inflation factor.
    """
    from .compare import sample_size
    from .experiments import calendar_plan, spending_boundaries

    arms = [result.control, *result.summary.index]
    immature = result.immature.reindex(arms).fillna(0).astype(int)
    mature = pd.Series([int(result.control_n), *result.summary["n"].astype(int)], index=arms, name="mature")
    assigned = (mature + immature).rename("assigned")
    window = result.window if result.window is not None else result.churn_after
    delay = result.horizon + window
    time, who = config.time_col, config.arm_col
    starts = pd.to_datetime(assignments[time])
    until = pd.Timestamp(result.as_of).normalize() + pd.Timedelta(days=1)  # the as-of day counts
    starts = starts[starts < until]
    first, last = (starts.min(), starts.max()) if len(starts) else (None, None)
    span_weeks = (last - first) / pd.Timedelta(weeks=1) if len(starts) else 0.0
    per_week = float(len(starts) / span_weeks) if span_weeks > 0 else float("nan")
    plan = ExperimentPlan(result, config, assigned, mature, first, last, per_week, delay, config.mde / 100,
                          planned_n=config.planned_n)
    if not (plan.immature or config.looks or config.planned_n):
        return plan
    plan.looks = config.looks or DEFAULT_LOOKS
    alpha = result.alpha / len(result.summary)
    plan.design = spending_boundaries(looks=plan.looks, alpha=alpha, spending=PLAN_SPENDING)
    baseline = float(result.summary["control_rate"].iloc[0])
    if config.planned_n:
        plan.target = int(config.planned_n)
    elif np.isfinite(baseline) and 0 < baseline < 1:
        step = plan.mde if baseline + plan.mde < 1 else -plan.mde
        try:
            plan.sample = sample_size(baseline, step, alpha=alpha, power=PLAN_POWER)
        except ParameterError:
            plan.sample = None
        if plan.sample is not None:
            plan.inflation = plan.design.inflation_factor(PLAN_POWER)
            plan.target = int(np.ceil(plan.sample.n_control * plan.inflation))
    if plan.target is None:
        plan.no_plan = (f"No plan was given ({config._name('planned_n')}), and the control's retention rate "
                        f"({pct(baseline)}) cannot size one, so the looks cannot be read against a plan.")
        plan.design = None
        return plan
    # When will the planned customers per arm be mature? Reached as the monitor counts it:
    # unequal arms by their harmonic mean (the difference's variance goes with 1/n_t + 1/n_c).
    if plan.information >= plan.target:
        plan.target_how = "reached"
    elif assigned.min() >= plan.target:
        frame = assignments.assign(_t=pd.to_datetime(assignments[time]))
        frame = frame[frame["_t"] < until]
        nth = frame.sort_values("_t", kind="stable").groupby(who)["_t"].nth(plan.target - 1)
        plan.target_how, plan.target_date = "assigned", pd.Timestamp(nth.max()) + delay
    elif np.isfinite(per_week) and first is not None:
        plan.calendar = calendar_plan(len(arms) * plan.target, per_week, horizon=result.horizon,
                                      churn_after=result.churn_after, window=window)
        plan.target_how = "projected"
        plan.target_date = first + pd.Timedelta(weeks=plan.calendar.readable_week)
    # Each treatment arm's comparison as one look of the design.
    planned = plan.design.information_fractions
    for arm in result.summary.index:
        n_t, n_c = mature[arm], mature[result.control]
        if n_t == 0 or n_c == 0:
            plan.problems[arm] = (f"No customer of {arm if n_t == 0 else result.control} is mature yet, so there is "
                                  f"no look to read; the first are mature on {_date(first + delay)}."
                                  if first is not None else f"No customer of {arm} is mature yet.")
            continue
        t_now = 2.0 / (1.0 / n_t + 1.0 / n_c) / plan.target
        try:
            if t_now >= 1:
                plan.monitors[arm] = result.monitor(plan.design, plan.target, arm=arm)
            else:  # an interim look: the planned look nearest in information, never the final one
                look = min(int(np.argmin(np.abs(planned - t_now))) + 1, plan.looks - 1)
                plan.monitors[arm] = result.monitor(plan.design, plan.target, arm=arm, look=look, final=False)
        except (DataError, ParameterError):
            plan.problems[arm] = (f"The comparison of {arm} with {result.control} cannot be read as a look yet "
                                  "(everyone or no one retained so far in both arms).")
    return plan


def _arm_counts_words(counts: pd.Series, of: pd.Series | None = None) -> str:
    if of is None:
        return join_words([f"{n:,} {arm}" for arm, n in counts.items()])
    return join_words([f"{n:,} of {of[arm]:,} {arm}" for arm, n in counts.items()])


def maturity_text(plan: ExperimentPlan) -> str:
    """How many customers per arm are mature (their retention at the horizon is known) of
    those assigned, the enrolment rate and when every assigned customer is mature; with a
    plan, the planned sample per arm and when it is (or will be) mature."""
    res, cfg = plan.result, plan.config
    h, w = _days(res.horizon), _days(plan.delay - res.horizon)
    total, ripe = int(plan.assigned.sum()), int(plan.mature.sum())
    if plan.last is None:
        return "No customer was assigned by the as-of date: there is nothing to read yet."
    text = []
    if plan.immature == 0:
        text.append(f"All {count(total, 'assigned customer')} ({_arm_counts_words(plan.assigned)}) are mature, "
                    f"that is observed for the {h}-day horizon and the {w}-day window after it (the last, assigned "
                    f"on {_date(plan.last)}, since {_date(plan.all_mature_on)}), so the experiment can be read "
                    "in full.")
    else:
        since = pd.Timestamp(res.as_of) - plan.delay
        text.append(f"Of the {count(total, 'customer')} assigned by {_date(res.as_of)}, **{ripe:,} are mature** "
                    f"({_arm_counts_words(plan.mature, plan.assigned)}): observed for the {h}-day horizon and the "
                    f"{w}-day window after it. The other {plan.immature:,}, assigned after {_date(since)}, are not "
                    "yet, and are left out of the numbers below.")
        if np.isfinite(plan.per_week):
            text.append(f"Customers were assigned at about {plan.per_week:,.0f} a week ({total:,} from "
                        f"{_date(plan.first)} to {_date(plan.last)}). Every customer assigned so far is mature on "
                        f"{_date(plan.all_mature_on)}: the experiment can be read in full then, or later if "
                        "assignment goes on.")
        else:
            text.append(f"Every customer assigned so far is mature on {_date(plan.all_mature_on)}.")
    if plan.no_plan:
        text.append(plan.no_plan)
    if plan.target is None:
        return " ".join(text)
    first_paragraph, text = " ".join(text), []
    looks = f"{plan.looks} looks"
    if plan.sample is not None:
        s = plan.sample
        direction = "rise" if s.mde > 0 else "drop"
        text.append(
            f"No planned sample was given ({cfg._name('planned_n')}), so the report reads the experiment against "
            f"the sample needed to detect a {direction} of {abs(s.mde) * 100:g} percentage points (the minimum "
            f"detectable effect; set it with {cfg._name('mde')}) from the control's observed {pct(s.baseline)} to "
            f"{pct(s.baseline + s.mde)}, with {pct(s.power, 0)} power and a {s.alpha * 100:g} % false-alarm rate: "
            f"{s.n_control:,} mature customers per arm for a single look at the end, **{plan.target:,} per arm** "
            f"for a plan of {looks} ({pct(plan.inflation - 1)} more, the price of looking early).")
    else:
        text.append(f"The plan: **{plan.target:,} mature customers per arm** at the last of {looks}.")
    per_arm = f"{plan.target:,} mature customers per arm"
    if plan.target_how == "reached":
        unequal = (f" (unequal arms counted by their harmonic mean, here {plan.information:,.0f})"
                   if plan.mature.min() < plan.target else "")
        text.append(f"The experiment has reached {per_arm}{unequal}.")
    elif plan.target_how == "assigned":
        text.append(f"Enough customers are assigned already: every arm has {per_arm} on "
                    f"{_date(plan.target_date)}.")
    elif plan.target_how == "projected":
        text.append(f"At the observed rate, split evenly between the arms, {per_arm} are reached in week "
                    f"{plan.calendar.readable_week:.0f} after the first assignment, around "
                    f"{_date(plan.target_date)}.")
    return first_paragraph + "\n\n" + " ".join(text)


def _fmt_points(x: float) -> str:
    return f"{x * 100:+.1f} points"


def monitoring_text(plan: ExperimentPlan) -> str:
    """Each treatment arm read as a look of the plan, in the reader's words: the share of the
    planned information, the evidence needed to stop at this look and what the data give.
    Empty without a plan."""
    if not plan.monitoring:
        return ""
    res = plan.result
    several = len(res.summary) > 1
    text = []
    for arm in res.summary.index:
        if arm in plan.problems:
            text.append(plan.problems[arm])
            continue
        m = plan.monitors[arm]
        row = res.summary.loc[arm]
        n_t, n_c = row["n"], row["control_n"]
        pooled = (row["retained"] + row["control_retained"]) / (n_t + n_c)
        se = float(np.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c)))
        final = _final(m)
        rule = (f"a plan of {plan.looks} looks whose O'Brien–Fleming-type boundaries keep the chance of a false "
                f"alarm over all the looks at {plan.design.alpha * 100:g} %"
                + (" (the 5 % shared between the treatment arms)" if several else ""))
        info = f"{pct(m.information_fraction, 0)} of the planned information: {m.table['information'].iloc[-1]:,.0f} of " \
               f"{plan.target:,} mature customers per arm"
        need = (f"z ≥ {m.boundary:.2f} in either direction (a difference of {m.boundary * se * 100:.1f} points or "
                "more)")
        given = f"the data give z = {m.z:+.2f} ({_fmt_points(row['diff'])})"
        who = f"{arm} vs {res.control}: " if several else ""
        if final:
            lead = {"stop for efficacy": f"{arm} kept more customers", "stop for harm": f"{arm} kept fewer customers"
                    }.get(m.decision, "no clear difference")
            body = (f"**{who}Final look: {lead}.** The plan's {plan.target:,} mature customers per arm are reached, "
                    f"so this is the last look of {rule}. The evidence needed at this look is {need}; "
                    f"{given}" + (": the boundary is crossed." if m.decision.startswith("stop") else
                                  ": the boundary is not crossed."))
        else:
            if m.decision == "continue":
                lead, end = "continue", ": not enough to stop, so continue to the next look."
            elif m.decision == "stop for efficacy":
                lead, end = (f"stop, {arm} kept more customers",
                             ": strong enough to stop early. An effect measured at an early stop tends to be "
                             "overstated.")
            else:
                lead, end = f"stop, {arm} kept fewer customers", ": strong enough to stop early for harm."
            body = (f"**{who}Interim look: {lead}.** This is an interim look ({info}), read as look {m.look} of "
                    f"{rule}. The evidence needed to stop early at this look is {need}; {given}{end}")
            if m.decision == "continue" and abs(m.z) >= 1.96:
                body += (" At the usual 1.96 this look would already count as significant: that is the early "
                         "false alarm the plan guards against.")
        if arm == res.summary.index[0]:
            body += (" (z is the difference divided by its standard error. A single look at the end would need "
                     "1.96; stopping at the first of several looks past 1.96 would raise the false-alarm rate "
                     "well above 5 %.)")
        if m.assumed_earlier and not final:
            body += (f" The report assumes the plan's earlier look{'s were' if m.look > 2 else ' was'} at "
                     f"{join_words(pct(t, 0) for t in m.table['information_fraction'].iloc[:-1])} of the "
                     "information.")
        text.append(body)
    return "\n\n".join(text)


def look_design(plan: ExperimentPlan, arm):
    """The plan's boundaries with ``arm``'s look at the information it has: the earlier
    looks at their planned fractions, this look in place of the planned one, then the
    planned later looks (K looks in all). Its boundary at this look is the monitor's."""
    from .experiments import spending_boundaries

    m = plan.monitors[arm]
    if _final(m):
        return m.design
    planned = plan.design.information_fractions
    t = np.concatenate([planned[:m.look - 1], [m.information_fraction], planned[m.look:]])
    return spending_boundaries(t, alpha=plan.design.alpha, spending=plan.design.spending, sides=plan.design.sides)


def plot_monitoring(plan: ExperimentPlan, *, axes=None):
    """The boundaries of the plan (:func:`look_design`) with each arm's z at this look, one
    panel per arm: stop when the z of a look is beyond the boundary."""
    import matplotlib.pyplot as plt

    from .plotting import label

    arms = list(plan.monitors)
    if axes is None:
        _, axes = plt.subplots(1, max(1, len(arms)), figsize=(9 * max(1, len(arms)), 3.8), squeeze=False)
        axes = axes[0]
    for ax, arm in zip(np.atleast_1d(axes), arms):
        m, design = plan.monitors[arm], look_design(plan, arm)
        t, c = design.information_fractions, np.minimum(design.boundaries, 8.0)
        ax.fill_between(t, c, 8.5, color="#d62728", alpha=0.12)
        ax.fill_between(t, -8.5, -c, color="#d62728", alpha=0.12)
        ax.plot(t, c, marker="o", color="#d62728", label="boundary: stop beyond it")
        ax.plot(t, -c, marker="o", color="#d62728")
        ax.axhline(1.96, color="grey", ls="--", lw=1, label="1.96 (a single look at the end)")
        ax.axhline(-1.96, color="grey", ls="--", lw=1)
        ax.axhline(0, color="grey", lw=0.5)
        ax.plot([m.information_fraction], [m.z], marker="s", color="black", ls="none", ms=7,
                label=f"this look: z = {m.z:+.2f}")
        ax.annotate(f"look {m.look}: {m.decision}", (m.information_fraction, m.z), textcoords="offset points",
                    xytext=(8, -4), fontsize=8)
        top = float(min(8.5, max(np.max(c), abs(m.z)) + 0.8))
        ax.set_ylim(-top, top)
        ax.set_xlim(0, 1.05)
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x:.0%}"))
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
        label(ax, title=f"{arm} vs {plan.result.control}: look {m.look} of the {plan.looks}-look plan",
              xlabel="information (mature customers per arm, share of the plan)", ylabel="z")
    plt.gcf().tight_layout()
    return axes


# --------------------------------------------------------------------------------------
# Customer value
# --------------------------------------------------------------------------------------

# What the section assumes; its text states each of them. Weeks as in notebook 06: days make
# recency and age noisy, months are too coarse for a year of data.
VALUE_TIME_UNIT = "W"
VALUE_HORIZON = 52          # weeks ahead: one year
ANNUAL_DISCOUNT = 0.10      # a year, as in notebook 06
ALIVE_THRESHOLD = 0.5       # P(alive) from which the model calls a customer probably alive
# The spend model's three parameters are fitted on the repeat buyers alone; with fewer of them
# than this its estimates (and every value) swing with a handful of customers.
MIN_REPEAT_BUYERS = 100
# From this share of one-time buyers the forecasts rest mostly on the models' assumptions.
ONE_TIME_HEAVY = 0.5
# Share of customers in the wrong bar of the frequency check above which the text calls the fit rough.
FIT_GAP = 0.10


@dataclass
class CustomerValueSection:
    """The customer-value section of the report: the RFM summary (in weeks), the fitted
    BG/NBD and gamma-gamma models, each customer's value and the churn rule beside P(alive).

    When the section is left out, ``skipped`` says why (in a sentence for the reader) and
    the models are None. ``value`` is a :class:`retention_kit.clv.CustomerValue` over
    ``horizon`` weeks discounted at ``annual_discount`` a year, ``alive`` an
    :class:`retention_kit.clv.AliveComparison` against ``config.churn_gap``, and
    ``no_spend`` counts the repeat buyers left out of the spend model's fit (their repeat
    purchases all had amount 0).
    """

    config: ReportConfig
    skipped: str | None = None
    summary: pd.DataFrame | None = None
    purchase_model: object = None
    spend_model: object = None
    value: object = None
    alive: object = None
    no_spend: int = 0
    horizon: int = VALUE_HORIZON
    annual_discount: float = ANNUAL_DISCOUNT

    @property
    def deciles(self) -> pd.DataFrame:
        """Customers ranked by value (ties in customer order) in ten groups of nearly equal
        size, the most valuable first: ``customers``, ``value``, ``share_of_value``, and the
        mean ``expected_purchases`` and ``probability_alive`` of the group."""
        t = self.value.table.sort_values("clv", ascending=False, kind="stable")
        group = np.arange(len(t)) * 10 // len(t) + 1
        out = t.groupby(group).agg(customers=("clv", "size"), value=("clv", "sum"),
                                   expected_purchases=("expected_purchases", "mean"),
                                   probability_alive=("probability_alive", "mean"))
        out.insert(2, "share_of_value", out["value"] / t["clv"].sum())
        out.index.name = "decile"
        return out

    @property
    def frequency_check(self) -> pd.DataFrame:
        """Customers by number of repeat purchase days, actual vs the purchase model (the fit
        check that needs no holdout period); the last bin collects the top tenth or so."""
        x = self.summary["frequency"]
        top = int(np.clip(np.quantile(x, 0.9), 7, 15))  # more bars than 16 crowd their labels
        from .clv import frequency_histogram_table

        return frequency_histogram_table(self.purchase_model, self.summary, max_frequency=top)

    def _repr_html_(self) -> str:
        from .results import render_html

        if self.skipped:
            return render_html("Customer value", None, [self.skipped])
        d = self.deciles
        shown = pd.DataFrame({
            "customers": d["customers"].map("{:,}".format),
            "value": d["value"].map("{:,.0f}".format),
            "share of value": d["share_of_value"].map(pct),
            "expected purchases (mean)": d["expected_purchases"].map("{:,.2f}".format),
            "P(alive) (mean)": d["probability_alive"].map(pct)})
        shown.index = [f"{k} (top 10 %)" if k == 1 else f"{k} (lowest)" if k == 10 else str(k) for k in d.index]
        note = (f"{count(len(self.value.table), 'customer')} ranked by their value over the next {self.horizon} "
                f"weeks (in the units of {self.config.amount_col!r}, discounted at {pct(self.annual_discount, 0)} "
                "a year), in ten groups of equal size.")
        return render_html("Value by decile of customers", shown, [note])


def customer_value(events: pd.DataFrame, config: ReportConfig) -> CustomerValueSection:
    """The customer-value section: RFM summary in weeks up to the report's as-of date,
    BG/NBD and gamma-gamma fits, value over the next ``VALUE_HORIZON`` weeks discounted at
    ``ANNUAL_DISCOUNT`` a year (revenue, margin 1) and the churn rule beside P(alive).

    Left out (``skipped`` says why) without an amount column or with fewer than
    ``MIN_REPEAT_BUYERS`` repeat buyers who spent something. Caveats are warned as
    :class:`RetentionWarning` in words for the report's reader (collect them with
    :func:`caveats`): a fit that did not converge, spend that depends on frequency, mostly
    one-time buyers, a forecast longer than the data's history, free repeat purchases.
    """
    from . import clv

    if not config.amount_col:
        return CustomerValueSection(config, skipped=(
            "Customer value needs the amount of each purchase, and the report was run without an amount "
            f"column ({config._name('amount_col')}), so this section is left out."))
    if config.churn_gap is None:
        _choose_churn_after(events, config)
    summary = clv.rfm_summary(events, calibration_end=config.as_of, time_unit=VALUE_TIME_UNIT,
                              amount_col=config.amount_col, **config.cols)
    n = len(summary)
    repeat = summary["frequency"] > 0
    paid = repeat & (summary["monetary_value"] > 0)
    n_repeat, n_paid = int(repeat.sum()), int(paid.sum())
    if n_paid < MIN_REPEAT_BUYERS:
        who = ("bought on more than one day" if n_paid == n_repeat
               else "bought on more than one day and paid something for their repeat purchases")
        return CustomerValueSection(config, summary=summary, skipped=(
            f"Customer value is left out: only {n_paid:,} of the {count(n, 'customer')} {who}. The models "
            "behind it learn how often customers buy and how much they spend from these repeat buyers, and "
            f"need at least {MIN_REPEAT_BUYERS} of them for estimates that do not swing with a handful of "
            "customers."))
    notes = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RetentionWarning)
        purchase = clv.fit_bgnbd(summary)
        # Free repeat purchases (amount 0) have no place in a model of positive spend.
        spend = clv.fit_gamma_gamma(summary[~repeat | paid])
        weekly = (1 + ANNUAL_DISCOUNT) ** (1 / 52) - 1
        value = clv.customer_lifetime_value(purchase, spend, summary, horizon=VALUE_HORIZON,
                                            discount_rate=weekly)
        alive = clv.alive_vs_inactivity(purchase, summary, churn_after=config.churn_gap, threshold=ALIVE_THRESHOLD)
    for w in caught:
        if issubclass(w.category, clv.ConvergenceWarning):
            which = "spend" if "gamma-gamma" in str(w.message) else "purchase"
            notes.append(f"The {which} model's fit did not converge cleanly: its estimates, and every number of "
                         "this section built on them, may be unreliable.")
        elif issubclass(w.category, clv.IndependenceWarning):
            r = spend.spend_correlation
            notes.append(f"Customers who buy more often spend {'more' if r > 0 else 'less'} per purchase "
                         f"(correlation {r:.2f} between repeat purchases and mean spend); the spend model assumes "
                         "the two are unrelated, so expected spend and values may be biased.")
        elif "(T = 0)" not in str(w.message):  # customers first seen on the last day: said below
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    one_time = 1 - n_repeat / n
    if one_time >= ONE_TIME_HEAVY:
        notes.append(f"{pct(one_time)} of the customers bought only once. The models know little about them "
                     "beyond how long they have been silent, so their forecasts rest mostly on the models' "
                     "assumptions rather than on their own history.")
    history = float(summary["T"].max())
    if round(history) < VALUE_HORIZON:  # in whole weeks, as the sentence says it
        notes.append(f"The forecast looks {VALUE_HORIZON} weeks ahead, further than the data go back "
                     f"({history:,.0f} weeks): read it as an extrapolation.")
    new = int((summary["T"] == 0).sum())
    if new:
        notes.append(f"{count(new, 'customer')} first bought on the last day of the data: the purchase model "
                     "learns nothing from them and values them as new customers.")
    if n_repeat > n_paid:
        one = n_repeat - n_paid == 1
        notes.append(f"{count(n_repeat - n_paid, 'repeat buyer')} paid nothing for their repeat purchases and "
                     f"{'is' if one else 'are'} left out of the spend model's fit; their "
                     f"{'value is' if one else 'values are'} still computed.")
    for note in notes:
        warnings.warn(note, RetentionWarning, stacklevel=2)
    return CustomerValueSection(config, summary=summary, purchase_model=purchase, spend_model=spend,
                                value=value, alive=alive, no_spend=n_repeat - n_paid)


def customer_value_intro(config: ReportConfig) -> str:
    """Heading and method of the customer-value section (after the experiment when there is one)."""
    number = 6 if config.arm_col else 5
    return (f"## {number}. Customer value\n\n"
            "Two models forecast each customer's future from their own history: how many days they bought "
            "on, how long ago their last purchase was, and how much they spent per repeat purchase. The "
            "purchase model (BG/NBD) lets each customer buy at their own steady rate until they silently "
            "leave, which can happen right after any repeat purchase; it gives each customer's expected "
            "purchases and the probability that they are still a customer, *P(alive)*. The spend model "
            "(gamma-gamma) pulls each customer's average spend towards the overall average, the more so "
            "the fewer purchases it rests on. A customer's **value** is their expected purchases times "
            f"their expected spend over the next {VALUE_HORIZON} weeks, discounted at "
            f"{pct(ANNUAL_DISCOUNT, 0)} a year: revenue in the units of `{config.amount_col}`, not profit. "
            "Several purchases on one day count as one.")


def _few(x: float) -> str:
    """A small expected count: two decimals below 1 (0.13, not 0.1), one above."""
    return f"{x:,.2f}" if x < 1 else f"{x:,.1f}"


def customer_value_text(section: CustomerValueSection) -> str:
    """Who the models learn from, the headline forecast and value with its interval, the
    top decile's share, and where the churn rule and P(alive) disagree; or why the section
    is left out."""
    if section.skipped:
        return section.skipped
    cfg, summary, value, alive = section.config, section.summary, section.value, section.alive
    n = len(summary)
    repeat = int((summary["frequency"] > 0).sum())
    when = _date(summary.attrs["calibration_end"])
    h = section.horizon
    total = value.summary.iloc[0]
    purchases = value.table["expected_purchases"]
    top = section.deciles.iloc[0]
    text = [f"Of the {count(n, 'customer')}, {repeat:,} ({pct(repeat / n)}) bought on more than one day "
            f"(repeat buyers). The forecasts are for the {h} weeks after {when}."]
    text.append(
        f"**Expected value over the next {h} weeks: {total['total_clv']:,.0f}** "
        f"({pct(1 - value.ci_alpha, 0)} interval {total['total_lower']:,.0f} to {total['total_upper']:,.0f}, "
        "from the uncertainty of the models' estimates, not from what any one customer will do), "
        f"{total['mean_clv']:,.2f} per customer on average, from {total['expected_purchases']:,.0f} expected "
        f"purchases: {_few(purchases.median())} for the median customer, {_few(purchases.mean())} on average. "
        f"The top 10 % of customers ({top['customers']:,.0f}) hold {pct(top['share_of_value'])} of the value.")
    check = section.frequency_check
    # Half the summed gaps: the share of customers the model would have to move between bars.
    gap = float((check["actual"] - check["expected"]).abs().sum() / 2 / n)
    text.append(
        "The left chart checks the purchase model against the data: customers by number of repeat purchases, "
        f"actual and expected. The two differ by {pct(gap)} of the customers"
        + (f" (above {pct(FIT_GAP, 0)}): the model misreads how often these customers buy, so treat its "
           "forecasts for single customers as rough." if gap > FIT_GAP else ", a close fit."))
    c = alive.customers
    churned = int(c["rule_churned"].sum())
    agree_gone = alive.rule_churned_but_alive
    once = int((c["rule_churned"] & c["model_alive"] & (summary["frequency"] == 0)).sum())
    who = (f": {agree_gone - once:,} repeat buyers for whom such a silence is ordinary given how rarely they "
           f"buy, and {count(once, 'one-time buyer')}, whom this model never counts as gone (it lets customers "
           "leave only right after a repeat purchase)") if once else (
           ", repeat buyers for whom such a silence is ordinary given how rarely they buy")
    text.append(
        f"The churn rule of this report (no purchase for {_days(cfg.churn_gap)} days) calls "
        f"{count(churned, 'customer')} churned. The purchase model gives {agree_gone:,} of them at least a "
        f"{pct(alive.threshold, 0)} chance of still being customers{who}. The other way round, it gives "
        f"{count(alive.rule_active_but_gone, 'customer')} the rule calls active less than a "
        f"{pct(alive.threshold, 0)} chance (frequent buyers who have gone quiet).")
    return "\n\n".join(text)


def plot_frequency_check(section: CustomerValueSection, ax=None, **kwargs):
    """The purchase model's check (:attr:`CustomerValueSection.frequency_check`) as bars,
    labelled for the report: its data are not split into calibration and holdout.
    ``**kwargs`` go to the model's bars (as in :func:`retention_kit.clv.plot_frequency_histogram`)."""
    from .clv import plot_frequency_histogram
    from .plotting import label

    ax = plot_frequency_histogram(section.frequency_check, ax=ax, **kwargs)
    return label(ax, title="Purchase model check: customers by number of repeat purchases",
                 xlabel="repeat purchases (days with a purchase after the first)", ylabel="customers")


def plot_value_distribution(section: CustomerValueSection, ax=None, **kwargs):
    """Histogram of the customers' values; the top 1 % are gathered in the last bar so that
    a few large customers do not squeeze the rest into one bar. ``**kwargs`` go to the
    histogram's bars (``ax.hist``)."""
    from matplotlib.patches import Rectangle

    from .plotting import artist_kwargs, get_axes, label

    ax = get_axes(ax)
    clv = section.value.table["clv"].to_numpy(float)
    cap = float(np.quantile(clv, 0.99))
    ax.hist(np.minimum(clv, cap), bins=np.linspace(0, cap if cap > 0 else 1.0, 41),
            **artist_kwargs(kwargs, Rectangle, color="#4c72b0"))
    ax.set_yscale("log")
    return label(ax, title=f"Customer value over the next {section.horizon} weeks",
                 xlabel=f"value ({section.config.amount_col}; the last bar gathers the top 1 %, "
                        f"above {cap:,.0f})",
                 ylabel="customers (log scale)")
