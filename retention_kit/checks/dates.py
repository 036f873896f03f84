"""Dates: the one day/month rule (the library's messages, the engines' and the report's
reading), the timestamps the kit can hold, and the words of the date checks that the event
and subscription check sets share (``null_dates``, ``bad_dates``, ``out_of_range`` and their
``starts``/``ends`` twins)."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .core import Finding, example_text

__all__ = ["DAY_FIRST", "MONTH_FIRST", "AMBIGUOUS", "MIXED_ORDER", "day_month_order", "day_month_formats",
           "DateReading", "read_dates_rule", "to_datetime_code", "engine_dates_code", "swapped_dates",
           "bad_dates_message", "missing_dates_message", "out_of_range_message", "TIME_MIN", "TIME_MAX", "MIN_US",
           "MAX_US", "unread_mask", "outside_mask", "null_dates_message", "unread_dates_message",
           "dates_out_of_range_message"]

DAY_FIRST, MONTH_FIRST, AMBIGUOUS, MIXED_ORDER = "day first", "month first", "ambiguous", "mixed"

# nn/nn/yy(yy) with one separator (/ . -), then optionally a time: the day/month layouts.
_DAY_MONTH = re.compile(r"^\s*(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?!\d)(.*)$", re.S)
_CLOCK = re.compile(r"^(?P<sep>[ T]|\s+)(?P<h>\d{1,2}):\d{2}(?P<s>:\d{2}(?P<f>\.\d{1,9})?)?"
                    r"(?:(?P<gap>\s*)(?P<ampm>[AaPp][Mm]))?\s*$")
# What the ISO parser (pd.to_datetime(format="ISO8601"), the engines' ISO reading) takes: year first.


def _texts(values) -> pd.Series:
    """The distinct non-missing values as text."""
    s = pd.Series(pd.unique(pd.Series(values, dtype=object).dropna().to_numpy(dtype=object)), dtype=object)
    return s.astype(str)


def _day_month_parts(texts: pd.Series):
    """(first number, second number, the parts) of nn/nn/yy(yy) values, or None if one is not of that kind."""
    if len(texts) == 0 or not texts.str.match(_DAY_MONTH).all():  # the cheap test first
        return None
    parts = texts.str.extract(_DAY_MONTH)
    return parts[0].astype(int), parts[2].astype(int), parts


def _order(found) -> str | None:
    if found is None:
        return None
    first, second, _ = found
    if ((first > 12) & (second > 12)).any() or (first == 0).any() or (second == 0).any():
        return None
    day, month = bool((first > 12).any()), bool((second > 12).any())
    return MIXED_ORDER if day and month else DAY_FIRST if day else MONTH_FIRST if month else AMBIGUOUS


def _formats(found, order: str) -> list:
    if found is None:
        return []
    parts = found[2]
    # One format per layout: the separator, the year's digits and the shape of the time.
    shapes = pd.DataFrame({"sep": parts[1], "year": parts[3].str.len(),
                           "rest": parts[4].fillna("").str.replace(r"\d", "9", regex=True)}).drop_duplicates()
    out = []
    for sep, year, rest in shapes.itertuples(index=False):
        date = (f"%d{sep}%m" if order == DAY_FIRST else f"%m{sep}%d") + sep + ("%Y" if year == 4 else "%y")
        if rest.strip():
            clock = _CLOCK.match(rest)
            if clock is None:
                fmt = None
            else:
                fmt = date + (clock["sep"] if clock["sep"] == "T" else " ") + ("%I" if clock["ampm"] else "%H") \
                    + ":%M" + (":%S" if clock["s"] else "") + (".%f" if clock["f"] else "") \
                    + (f"{' ' if clock['gap'] else ''}%p" if clock["ampm"] else "")
        else:
            fmt = date
        if fmt not in out:
            out.append(fmt)
    return out


def day_month_order(values) -> str | None:
    """The kit's one day/month rule: which number of ``nn/nn/yyyy`` dates is the day.

    ``"day first"`` when some first number is above 12 (25/01/2024) and no second one is,
    ``"month first"`` when some second number is (01/25/2024) and no first one is,
    ``"mixed"`` when both happen (the column was written both ways), ``"ambiguous"`` when no
    number is above 12 (03/04/2024: 3 April or 4 March cannot be told), and None when the
    values are not all of that kind (separators ``/``, ``.`` or ``-``; years of 2 or 4 digits;
    an optional time) or one of them is no date either way (13/13/2024). Missing values are
    ignored. The library refuses such dates and suggests the format this rule finds
    (:func:`bad_dates_message`); the report command reads an unambiguous column with it.

    Examples
    --------
    >>> day_month_order(["25/01/2024", "03/02/2024"]), day_month_order(["12/13/2024", "02/02/2024"])
    ('day first', 'month first')
    >>> day_month_order(["03/04/2024"]), day_month_order(["25/04/2024", "05/26/2024"]), day_month_order(["2024-01-05"])
    ('ambiguous', 'mixed', None)
    """
    return _order(_day_month_parts(_texts(values)))


def day_month_formats(values, order: str) -> list:
    """The strptime formats of ``nn/nn/yyyy`` values read in ``order`` ("day first" or "month
    first"), one per layout found, in order of appearance (None for a value whose time part is
    not hours:minutes[:seconds[.fraction]] [AM/PM]).

    >>> day_month_formats(["25.01.24", "03.02.24 10:30"], "day first")
    ['%d.%m.%y', '%d.%m.%y %H:%M']
    >>> day_month_formats(["01-25-2024 09:15:00 PM"], "month first")
    ['%m-%d-%Y %I:%M:%S %p']
    """
    return _formats(_day_month_parts(_texts(values)), order)


def _reads_all(texts: pd.Series, kwargs: dict) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return bool(pd.to_datetime(texts, errors="coerce", **kwargs).notna().all())
        except (ValueError, TypeError, OverflowError):
            return False


@dataclass(frozen=True)
class DateReading:
    """How the one date rule reads text dates that are not ISO 8601 (see :func:`read_dates_rule`).

    ``order`` is :func:`day_month_order`'s verdict on them (None: not day/month dates);
    ``options`` are ``(order, kwargs)`` pairs, each a ``pd.to_datetime`` reading that parses
    every value of the column: one when the order is known, day first and month first when it
    is ambiguous, none when it is mixed or no format reads the column; ``day_example`` and
    ``month_example`` are values that show the day first and the month first."""

    order: str | None
    options: tuple = ()
    day_example: str | None = None
    month_example: str | None = None
    ambiguous_example: str | None = None

    @property
    def reason(self) -> str:
        """Why the order is settled: "'25/01/2024' has no month 25" (day or month first only)."""
        if self.order == DAY_FIRST:
            return f"{self.day_example!r} has no month {int(_DAY_MONTH.match(self.day_example)[1])}"
        if self.order == MONTH_FIRST:
            return f"{self.month_example!r} has no month {int(_DAY_MONTH.match(self.month_example)[3])}"
        return ""

    @property
    def formats(self) -> list:
        """The strptime formats of the options (a one-format reading only)."""
        return [kw["format"] for _, kw in self.options if kw.get("format") not in (None, "mixed")]


def read_dates_rule(values, column=None) -> DateReading:
    """The one date rule applied to ``values``, the text dates that are not ISO 8601; the
    readings offered must parse every value of ``column`` (all its distinct values, ISO ones
    included; ``values`` when None): one strptime format when the column has one layout,
    else ``format="mixed"`` with ``dayfirst`` set by the order (safe once the order is
    settled). Dates that are not day/month ones (05 Jan 2024) get the format pandas guesses
    for them, when it reads the whole column.

    Examples
    --------
    >>> read_dates_rule(["12/13/2024", "02/02/2024"]).options
    (('month first', {'format': '%m/%d/%Y'}),)
    >>> read_dates_rule(["25/01/2024"], ["25/01/2024", "2024-01-26"]).options
    (('day first', {'format': 'mixed', 'dayfirst': True}),)
    >>> [fmt for _, fmt in read_dates_rule(["03/04/2024 10:30"]).options]
    [{'format': '%d/%m/%Y %H:%M'}, {'format': '%m/%d/%Y %H:%M'}]
    """
    texts = _texts(values)
    everything = texts if column is None else _texts(column)
    found = _day_month_parts(texts)
    order = _order(found)
    if order is None:
        options = []
        if len(texts):
            from pandas.tseries.api import guess_datetime_format

            try:
                fmt = guess_datetime_format(texts.iloc[0])
            except (ValueError, TypeError):
                fmt = None
            if fmt and _reads_all(everything, {"format": fmt}):
                options.append((None, {"format": fmt}))
        return DateReading(None, tuple(options))
    first, second, _ = found
    day_ex = texts[first > 12].iloc[0] if (first > 12).any() else None
    month_ex = texts[second > 12].iloc[0] if (second > 12).any() else None
    if order == MIXED_ORDER:
        return DateReading(order, (), day_ex, month_ex)
    both = texts[(first <= 12) & (second <= 12)]
    # ``values`` are a subset of the column's values: the same ones when as many.
    found_all = found if len(everything) == len(texts) else _day_month_parts(everything)
    options = []
    for which in ((DAY_FIRST, MONTH_FIRST) if order == AMBIGUOUS else (order,)):
        formats = _formats(found_all, which)
        for kwargs in ([{"format": formats[0]}] if len(formats) == 1 and formats[0] else []) + \
                [{"format": "mixed", "dayfirst": which == DAY_FIRST}]:
            if _reads_all(everything, kwargs):
                options.append((which, kwargs))
                break
    return DateReading(order, tuple(options), day_ex, month_ex, both.iloc[0] if len(both) else None)


def to_datetime_code(col: str, kwargs: dict, frame: str = "df") -> str:
    """The pandas statement of a reading: df['date'] = pd.to_datetime(df['date'], format='%d/%m/%Y')."""
    args = "".join(f", {k}={v!r}" for k, v in kwargs.items())
    return f"{frame}[{col!r}] = pd.to_datetime({frame}[{col!r}]{args})"


def engine_dates_code(col: str, fmt: str) -> str:
    """The engines' statements of a strptime format (DuckDB and Polars spell fractions differently)."""
    quoted = '"' + col.replace('"', '""') + '"'
    return (f"DuckDB strptime({quoted}, {fmt!r}), "
            f"Polars pl.col({col!r}).str.to_datetime({fmt.replace('.%f', '%.f')!r})")


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def swapped_dates(example: str) -> str:
    """'03/04/2024' (3 April or 4 March?)."""
    m = _DAY_MONTH.match(example)
    a, b = int(m[1]), int(m[3])
    return f"{example!r} ({a} {_MONTHS[b - 1]} or {b} {_MONTHS[a - 1]}?)" if a != b else repr(example)


def _order_reason(reading: DateReading) -> str:
    return f"here the {'day' if reading.order == DAY_FIRST else 'month'} comes first ({reading.reason})"


def bad_dates_message(col: str, n_bad: int, n_rows: int, examples: list, engine: bool = False,
                      reading: DateReading | None = None) -> str:
    """Text that is not an ISO 8601 date, with the same words on every engine: day/month
    layouts are never guessed; the fix is the reading the one rule (:func:`read_dates_rule`)
    finds for the column -- its format when the day or the month comes first, both when
    they cannot be told apart, "make it consistent" when the column mixes them. ``reading``
    is the rule's verdict on the whole column (pandas); an engine reports the smallest
    unreadable text and, when there are any, one value whose day and one whose month must come
    first (:func:`retention_kit.engines._sql.date_order_query`), and the rule reads those.
    Every statement suggested runs.

    Examples
    --------
    >>> bad_dates_message("date", 2, 2, ["12/13/2024", "02/02/2024"])  # doctest: +ELLIPSIS
    "Column 'date': 2 of 2 dates ... here the month comes first ('12/13/2024' has no month 13), so ... format='%m/%d/%Y')."
    """
    shown = example_text(examples)
    head = (f"Column {col!r}: {n_bad:,} of {n_rows:,} dates are not in ISO format (YYYY-MM-DD), for "
            f"example {shown}.")
    if reading is None:
        reading = read_dates_rule(examples)

    def code(kwargs):
        if engine:
            return engine_dates_code(col, kwargs["format"])
        return to_datetime_code(col, kwargs)

    options = [(o, kw) for o, kw in reading.options if not engine or kw.get("format") != "mixed"]
    if reading.order == MIXED_ORDER:
        fix = ("fix the rows written the other way in the engine" if engine else
               "fix the rows written the other way")
        return (f"{head} The column mixes day-first and month-first dates ({reading.day_example!r} has the day "
                f"first, {reading.month_example!r} the month first), so no one format reads it and none is "
                f"guessed: make the column consistent ({fix}), or write the dates in ISO format.")
    where = "to a timestamp in the engine first" if engine else "yourself first"
    # An engine reports a few examples, not every row: its fix is the format of the first one's layout.
    layout = f" (the layout of {examples[0]!r}; rows written in another layout need theirs)" if engine and examples \
        else ""
    if reading.order in (DAY_FIRST, MONTH_FIRST) and options:
        return (f"{head} Day/month dates are not guessed; {_order_reason(reading)}, so parse the column {where}, "
                f"in that order{layout}: {code(options[0][1])}.")
    if reading.order == AMBIGUOUS and options:
        ways = "; ".join(f"if the {'day' if o == DAY_FIRST else 'month'} comes first, {code(kw)}" for o, kw in options)
        if engine:  # the engine's examples tell no order: they say nothing of the other rows
            return (f"{head} Day/month dates are not guessed: parse the column {where}, in the order its dates "
                    f"are written{layout}: {ways}.")
        return (f"{head} Dates such as {swapped_dates(reading.ambiguous_example)} could have the day or the month "
                f"first, and no value has a number above 12 to tell, so they are not guessed: say which, "
                f"parsing the column {where}: {ways}.")
    if reading.order is None and options:
        return (f"{head} They are not guessed: parse the column {where} with its format{layout}: "
                f"{code(options[0][1])}.")
    readable = False
    if examples:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            readable = bool(pd.to_datetime(pd.Series([str(v) for v in examples], dtype=object),
                                           errors="coerce", format="mixed").notna().any())
    if readable:
        how = ("with strptime (DuckDB) or str.to_datetime (Polars)" if engine else
               "with pd.to_datetime and the format they are written in")
        return (f"{head} They are not guessed, and no one format reads every value of the column: parse the "
                f"column {where} {how} (%d day, %m month, %Y year, %H:%M time), fixing the rows that do not fit.")
    fix = ("fix or drop those rows, or parse the column to a timestamp in the engine" if engine else
           f"fix those rows or drop them, e.g. df = df[pd.to_datetime(df[{col!r}], format='ISO8601', "
           "errors='coerce').notna()]" if n_bad < n_rows else
           "fix those rows, or parse the column yourself with pd.to_datetime and the format its dates are written in")
    return (f"Column {col!r}: {n_bad:,} of {n_rows:,} values could not be read as dates"
            f"{', for example ' + shown if shown else ''}: {fix}.")


def missing_dates_message(col: str, n: int, n_rows: int, first: str = "", engine: bool = False) -> str:
    where = f" The first is at index {first}." if first else ""
    fix = (f"Filter them out (WHERE {col} IS NOT NULL) or fill them" if engine else
           f"Drop those rows (df = df.dropna(subset=[{col!r}])) or fill them")
    return f"Column {col!r} has {n:,} missing dates out of {n_rows:,} rows.{where} {fix} before the analysis."


def out_of_range_message(col: str, n: int | None, example) -> str:
    count = f"{n:,} values" if n is not None else "values"
    return (f"Column {col!r} has {count} outside the years 1677-2262 (e.g. {example!r}), which the kit's "
            "nanosecond timestamps cannot hold; they are usually typos or placeholders such as "
            f"9999-12-31. Fix or drop those rows first, e.g. df = df[df[{col!r}].between('1900-01-01', "
            "'2100-12-31')].")


# --------------------------------------------------------------------------------------
# The timestamps the kit can hold, and the date checks' counts and words
# --------------------------------------------------------------------------------------

# Timestamps the kit can hold: datetime64[ns] spans 1677-09-21 to 2262-04-11.
TIME_MIN, TIME_MAX = pd.Timestamp.min.ceil("s"), pd.Timestamp.max.floor("s")
# The times datetime64[ns] holds, in microseconds.
MIN_US, MAX_US = TIME_MIN.value // 1000, TIME_MAX.value // 1000


def unread_mask(raw, parsed):
    """The count of the rows whose ``raw`` value is there and ``parsed`` is not (a ``Check.count``)."""
    return lambda c: (pd.notna(c[raw]) & pd.isna(c[parsed])).to_numpy()


def outside_mask(role):
    """The count of the rows whose time ``role`` is outside what datetime64[ns] holds (a ``Check.count``)."""
    def count(c):
        t = pd.Series(c[role])
        if isinstance(t.dtype, pd.DatetimeTZDtype):
            t = t.dt.tz_convert("UTC").dt.tz_localize(None)
        unit = np.datetime_data(t.dtype)[0] if t.dtype.kind == "M" else "ns"
        return ((t < TIME_MIN.as_unit(unit)) | (t > TIME_MAX.as_unit(unit))).to_numpy()
    return count


def null_dates_message(f: Finding) -> str:
    """:func:`missing_dates_message` of a finding."""
    return missing_dates_message(f.column, f.rows, f.of, "" if f.first is None else repr(f.first), f.engine)


def unread_dates_message(f: Finding) -> str:
    """:func:`bad_dates_message` of a finding."""
    return bad_dates_message(f.column, f.rows, f.of, list(f.examples), f.engine)


def dates_out_of_range_message(f: Finding) -> str:
    """:func:`out_of_range_message` of a finding."""
    return out_of_range_message(f.column, f.rows, str(f.examples[0]) if f.examples else "")
