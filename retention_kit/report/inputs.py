"""Reading the analyst's data for the report: the file (CSV or Parquet, or the bundled
example) with its column mapping, the date format rules (``date_format``, or day-first dates
recognised), each customer's segment at their first event, the churn threshold chosen from
the data, and the checks that run before anything else (:func:`check_inputs`).

Every check raises :class:`~retention_kit.DataError` (or ``ParameterError``) naming the file or
column, what was found and what to do.

>>> data = load_data(ReportConfig())            # the bundled coffee-shop example
>>> len(data.events), data.label, data.config.churn_gap.days
(45533, 'bundled coffee-shop example', 22)
"""

from __future__ import annotations

import difflib
import hashlib
import warnings
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, RetentionWarning
from ..event_log import validate_events
from ._words import count, join_words
from .arms import arm_assignments, arm_per_customer, check_arms
from .config import ReportConfig
from .dates import read_dates

__all__ = ["ReportData", "load_data", "check_inputs", "choose_churn_after", "sha256", "CHURN_QUANTILE",
           "BUNDLED", "CSV_SUFFIXES", "COMPRESSIONS", "PARQUET_SUFFIXES"]

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
COMPRESSIONS = (".gz", ".bz2", ".zip", ".xz", ".zst")
PARQUET_SUFFIXES = (".parquet", ".pq")
BUNDLED = "bundled coffee-shop example"


@dataclass
class ReportData:
    """The events read from the file, with where they came from.

    ``events`` keeps the file's own column names; the time column holds datetimes when a
    ``date_format`` was given or the day/month order was settled by the column, and the segment is each
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
        flag = config.flag(param)
        fix = (f"Did you mean {close[0]!r}? Re-run with {flag} {close[0]!r}." if close and config.cli
               else f"Did you mean {close[0]!r}? Set {flag} = {close[0]!r}." if close
               else f"Name the column that holds it with {flag}.")
        optional = "" if param in ("customer_col", "time_col") else (
            " (This column is optional: leave the option out to skip what it is for.)")
        raise DataError(
            f"Column {col!r} ({flag}) was not found in {where}, which has {len(found)} columns: "
            f"{found[:15]}{' ...' if len(found) > 15 else ''}. {fix}{optional}")


def _bundled(config: ReportConfig) -> ReportData:
    from ..datasets import load_coffee_shop

    shop = load_coffee_shop()
    assigned = shop.assignments.rename(columns={"date": "assigned_at"})
    events = shop.transactions.merge(assigned, on="customer_id", how="left", validate="many_to_one")
    folder = files("retention_kit.data")
    sources = [(f"retention_kit/data/{name}", sha256(folder / name))
               for name in ("coffee_shop_transactions.csv.gz", "coffee_shop_assignments.csv.gz")]
    return ReportData(events=events, config=config, sources=sources, label=BUNDLED,
                      assignments=arm_assignments(events, config))


def _parse_times(events: pd.DataFrame, config: ReportConfig, notes: list[str]) -> None:
    """Apply ``date_format``, or the one day/month rule, before validation reads the dates
    (:func:`retention_kit.report.dates.read_dates`)."""
    col = config.time_col
    events[col] = read_dates(events[col], col, config, notes)


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


def load_data(config: ReportConfig | None = None) -> ReportData:
    """Read the events named by ``config`` (the bundled example when ``data_path`` is None).

    Checks, in this order, with a :class:`DataError` that names the file or column, what
    was found and what to do: the file exists and is CSV or Parquet, it can be read, it
    has rows, every mapped column is there, dates are ISO or read by ``date_format`` or in
    the day/month order the column settles (:mod:`retention_kit.report.dates`). The remaining checks (dates, amounts, as-of) are :func:`check_inputs`'s.
    With ``churn_after=None`` the churn threshold is then chosen from the data
    (``config.churn_gap``, ``config.churn_note``).
    """
    config = config or ReportConfig()
    data = _bundled(config) if config.data_path is None else _read(config)
    if config.churn_gap is None:
        choose_churn_after(data.log, config)
    return data


# The share of gaps between purchases that the chosen threshold leaves below it: a customer
# pausing as long as 19 pauses in 20 is not yet called churned.
CHURN_QUANTILE = 0.95


def choose_churn_after(events: pd.DataFrame, config: ReportConfig) -> None:
    from ..survival import purchase_gaps

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RetentionWarning)  # the sections show them
        gaps = purchase_gaps(events, as_of=config.as_of, **config.cols)
    if len(gaps.gaps) == 0:
        config.churn_gap = pd.Timedelta(days=30)
        config.churn_note = ("no customer bought twice, so the gaps cannot choose it; 30 days is the "
                             f"usual default, set your own with {config.flag('churn_after')}")
        return
    days = max(1.0, float(np.ceil(gaps.quantile(CHURN_QUANTILE))))
    config.churn_gap = pd.Timedelta(days=days)
    config.churn_note = (f"chosen from the data: {CHURN_QUANTILE:.0%} of the {len(gaps.gaps):,} gaps between "
                         f"purchases are shorter; set your own with {config.flag('churn_after')}")


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
        check_arms(events, config)
        assignments = arm_assignments(events, config)
        arm_per_customer(events, config, notes)
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
    from ..periods import period_codes, period_starts

    first_code = int(period_codes(np.array([log.first_time], dtype="datetime64[ns]"), config.freq)[0])
    first_end = period_starts(np.array([first_code + 1]), config.freq)[0]
    if first_end > as_of.normalize() + pd.Timedelta(days=1):
        raise DataError(
            f"The data run from {log.first_time:%Y-%m-%d} to {as_of:%Y-%m-%d}: not one complete "
            f"{config.freq.name}, so there is no retention to measure. Use a shorter period "
            f"({config.flag('period')} W or D) or a later {config.flag('as_of')}.")
    return data
