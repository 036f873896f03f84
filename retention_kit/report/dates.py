"""How the report reads a date column (the time column and the assignment column): with
``date_format`` when the analyst gives one, else by the kit's one day/month rule
(:func:`retention_kit.checks.day_month_order`, the rule the library's messages follow).

ISO dates are left to the validation of the event log. Dates whose day and month order the
column settles (some day above 12, or some month position above 12, never both) are read in
that order and said in a note; every other column that is not ISO is refused here, with the
``date_format`` (``--date-format``) that reads it when there is one -- the fix of this path,
never Python code.

>>> from retention_kit.report.config import ReportConfig
>>> notes = []
>>> read_dates(pd.Series(["12/13/2024", "02/02/2024"]), "date", ReportConfig(cli=True), notes).dt.day.tolist()
[13, 2]
>>> notes
["Dates in 'date' were read month first ('12/13/2024' has no month 13)."]
>>> read_dates(pd.Series(["03/04/2024"]), "date", ReportConfig(cli=True), [])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
retention_kit.errors.DataError: Column 'date' holds dates such as '03/04/2024' (3 April or 4 March?) ... if the day comes first, --date-format '%d/%m/%Y'; if the month comes first, --date-format '%m/%d/%Y'.
"""

from __future__ import annotations

import warnings

import pandas as pd

from ..checks import AMBIGUOUS, DAY_FIRST, MIXED_ORDER, MONTH_FIRST, example_text, read_dates_rule, swapped_dates
from ..errors import DataError
from .config import ReportConfig

__all__ = ["read_dates", "date_format_option"]

FORMAT_CODES = "%d day, %m month, %Y four-digit year, %y two-digit year, %H:%M hours and minutes"


def date_format_option(config: ReportConfig, fmt: str) -> str:
    """How the reader gives a format: ``--date-format '%d/%m/%Y'`` or ``date_format='%d/%m/%Y'``."""
    flag = config.flag("date_format")
    return f"{flag} '{fmt}'" if config.cli else f"{flag}={fmt!r}"


def _named(col: str, flag: str | None) -> str:
    return f"Column {col!r}" + (f" ({flag})" if flag else "")


def _with_format(values: pd.Series, col: str, flag: str | None, config: ReportConfig) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    text = values.astype(str) if pd.api.types.is_numeric_dtype(values) else values.astype("string").str.strip()
    parsed = pd.to_datetime(text, format=config.date_format, errors="coerce")
    given = values.notna() & (text != "")
    bad = parsed.isna() & given
    if bad.any() and (bad == given).all() and not pd.api.types.is_numeric_dtype(values):
        # A column wholly in ISO (the time column, when the format is for the assignment
        # column, or the other way round): ISO is never ambiguous, and validation reads it.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            iso = pd.to_datetime(text[bad].astype(object), format="ISO8601", errors="coerce", utc=True)
        if iso.notna().all():
            return values
    if bad.any():
        raise DataError(
            f"{_named(col, flag)}: {int(bad.sum()):,} of {len(values):,} values do not match "
            f"{config.flag('date_format')} {config.date_format!r}, for example {example_text(values[bad].tolist())}. "
            f"Check the format against those values ({FORMAT_CODES}), or fix those rows.")
    return parsed


def read_dates(values: pd.Series, col: str, config: ReportConfig, notes: list[str],
               flag: str | None = None) -> pd.Series:
    """The column as the report reads it: parsed with ``config.date_format`` (a column wholly in
    ISO is left to validation: the format may be meant for the other date column); else left as it
    is when it holds datetimes or ISO text (validation reads those), parsed in the order the
    one day/month rule settles (with a note), or refused with the ``date_format`` that reads
    it. ``flag`` names the option that chose the column in messages (``--assigned-col``)."""
    if config.date_format:
        return _with_format(values, col, flag, config)
    if pd.api.types.is_datetime64_any_dtype(values) or pd.api.types.is_bool_dtype(values):
        return values  # booleans: validation says they are not dates
    option = config.flag("date_format")
    if pd.api.types.is_numeric_dtype(values):
        shown = example_text(values.dropna().head(3).tolist())
        raise DataError(
            f"{_named(col, flag)} holds numbers, not dates (for example {shown}). They are not guessed (days, "
            f"seconds or YYYYMMDD?): if they are written YYYYMMDD, give {date_format_option(config, '%Y%m%d')}; "
            "otherwise write the dates in the file as YYYY-MM-DD.")
    if values.dtype != object and not pd.api.types.is_string_dtype(values):
        return values
    present = values.notna()
    text = values[present].astype(str)
    distinct = pd.Series(pd.unique(text.to_numpy(dtype=object)), dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        iso = pd.to_datetime(distinct, format="ISO8601", errors="coerce", utc=True).notna().to_numpy()
    if iso.all():
        return values
    reading = read_dates_rule(distinct[~iso], distinct)
    is_bad = text.isin(set(distinct[~iso])).to_numpy()
    n_bad, shown = int(is_bad.sum()), example_text(text[is_bad].head(3).tolist())
    formats = [kw["format"] for _, kw in reading.options if kw.get("format") != "mixed"]
    if reading.order in (DAY_FIRST, MONTH_FIRST) and reading.options:
        parsed = pd.to_datetime(values, errors="raise", **reading.options[0][1])
        notes.append(f"Dates in {col!r} were read {reading.order} ({reading.reason}).")
        return parsed
    if reading.order == MIXED_ORDER:
        raise DataError(
            f"{_named(col, flag)} mixes day-first and month-first dates: {reading.day_example!r} has the day "
            f"first, {reading.month_example!r} the month first. Make the column consistent (fix the rows written "
            f"the other way, or write the dates as YYYY-MM-DD) and run again; {option} cannot read both.")
    if reading.order == AMBIGUOUS:
        example = reading.ambiguous_example or distinct[~iso].iloc[0]
        head = (f"{_named(col, flag)} holds dates such as {swapped_dates(example)} in which day and month could be "
                "swapped (no value has a day or a month above 12 to tell them apart), so they are not guessed.")
        if len(formats) == len(reading.options) == 2:
            ways = "; ".join(f"if the {'day' if o == DAY_FIRST else 'month'} comes first, "
                             f"{date_format_option(config, fmt)}" for (o, _), fmt in zip(reading.options, formats))
            raise DataError(f"{head} Give the order: {ways}.")
        raise DataError(
            f"{head} They are written in several layouts ({n_bad:,} of {len(values):,} values are not YYYY-MM-DD, "
            f"for example {shown}), which one {option} cannot read: write the dates in the file in one layout, best "
            f"YYYY-MM-DD (or give {option} for the one layout if it is another).")
    if formats:
        raise DataError(
            f"{_named(col, flag)}: {n_bad:,} of {len(values):,} dates are not in ISO format (YYYY-MM-DD), for "
            f"example {shown}. They are not guessed: give their format, {date_format_option(config, formats[0])}.")
    raise DataError(
        f"{_named(col, flag)}: {n_bad:,} of {len(values):,} values could not be read as dates, for example {shown}. "
        f"Fix or drop those rows in the file, or give {option} with the format they are written in ({FORMAT_CODES}).")

