"""Small building blocks shared by every result object: a data-quality report and the
HTML/text rendering that makes results readable in Jupyter."""

from __future__ import annotations

import re
import textwrap
from html import escape

import pandas as pd

__all__ = ["DataQualityReport", "data_quality", "metadata", "set_metadata", "render_html", "format_p",
           "format_number", "format_percent", "is_rate_column", "Explanation", "explains", "Result"]


def format_p(p) -> str:
    """A p-value as people read it: ``< 0.001`` below a thousandth, else three decimals.

    >>> format_p(0.0000122), format_p(0.0493), format_p(float("nan"))
    ('< 0.001', '0.049', '–')
    """
    if p is None or pd.isna(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def format_number(v) -> str:
    """A table cell: whole numbers with thousands separators (never ``2.357e+04``), other
    numbers with four significant digits, missing values as ``–``.

    >>> format_number(23570.0), format_number(3.0), format_number(0.1234567), format_number(1234.567)
    ('23,570', '3', '0.1235', '1,234.6')
    """
    if v is None or pd.isna(v):
        return "–"
    if isinstance(v, bool):
        return str(v)
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if x.is_integer() and abs(x) < 1e15:
        return f"{x:,.0f}"
    if abs(x) >= 1000:
        return f"{x:,.1f}"
    return f"{x:.4g}"


def format_percent(v, decimals: int = 1) -> str:
    """A rate kept as a fraction, shown as a percentage with a fixed number of decimals.

    >>> format_percent(0.6289), format_percent(1.0), format_percent(-0.05), format_percent(None)
    ('62.9 %', '100.0 %', '-5.0 %', '–')
    """
    if v is None or pd.isna(v):
        return "–"
    return f"{100 * float(v):,.{decimals}f} %"


# Columns that hold rates (fractions, 0.629 for 62.9 %) in the kit's tables, by name: the last
# word names what the fraction is; ``rate_*`` columns are arms' rates. Parameters such as
# ``visit_rate_shape`` do not end in one of these words and stay numbers.
_RATE_WORDS = frozenset({"rate", "retention", "survival", "share", "crr"})


def is_rate_column(name) -> bool:
    """Whether a column of a result table holds a rate (a fraction shown as a percentage).

    >>> [is_rate_column(c) for c in ("crr", "churn_rate", "rate_c", "visit_rate_shape", "gap_days")]
    [True, True, True, False, False]
    """
    words = str(name).lower().split("_")
    return words[-1] in _RATE_WORDS or words[0] == "rate"


def _display_table(table: pd.DataFrame, percent=None) -> pd.DataFrame:
    """The table as text for display only (the result keeps its numbers): p-values by name,
    rates as percentages (``percent``: the columns, default by name with
    :func:`is_rate_column`), other numbers by :func:`format_number`, and no 0, 1, 2 ... index
    that says nothing."""
    shown = table.copy()
    rates = ({c: 1 for c in shown.columns if is_rate_column(c)} if percent is None
             else dict(percent) if isinstance(percent, dict) else dict.fromkeys(percent, 1))
    for col in shown.columns:
        values = shown[col]
        if not (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)):
            continue
        if "p_value" in str(col) or str(col) == "p_adjusted":
            shown[col] = values.map(format_p)
        elif col in rates:
            shown[col] = values.map(lambda v, d=rates[col]: format_percent(v, d))
        else:
            shown[col] = values.map(format_number)
    if isinstance(shown.index, pd.RangeIndex) and shown.index.start == 0 and shown.index.step == 1:
        shown = shown.reset_index(drop=True)
        return shown.style.hide(axis="index").format(escape="html")
    return shown


def render_html(title: str, table: pd.DataFrame | None, notes=(), *, styler=None, percent=None,
                warnings=()) -> str:
    """A titled table followed by short notes: the one HTML layout of the kit.

    Rate columns show as percentages (``percent`` names them, or maps them to their number of
    decimals; default: by name with one decimal, see :func:`is_rate_column`); ``warnings`` (the kit's caveats, as text or warning objects)
    show as styled notes under the table."""
    parts = [f"<div class='retention-kit'><h4 style='margin:0.2em 0'>{escape(title)}</h4>"]
    if styler is not None:
        parts.append(styler.to_html())
    elif table is not None:
        shown = _display_table(table, percent)
        parts.append(shown.to_html() if hasattr(shown, "hide") else shown.to_html(na_rep="–"))
    for note in notes:
        parts.append(f"<p style='margin:0.2em 0;font-size:90%'>{inline_html(str(note))}</p>")
    if warnings:
        from .errors import caveat_html
        parts.append(caveat_html(warnings))
    parts.append("</div>")
    return "".join(parts)


# Names of arguments, columns and functions in the kit's sentences (churn_after, logrank(),
# first_cohort='exclude') are set as code in HTML, as in the documentation.
_CODE = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+(?:=\'[^\']*\'|=\w+)?(?:\(\))?"
                   r"|\b[a-z][a-z0-9_]*\(\)")


def inline_html(text: str) -> str:
    """Escaped text with code names set in ``<code>``."""
    out, last = [], 0
    for m in _CODE.finditer(text):
        out.append(escape(text[last:m.start()]))
        out.append(f"<code>{escape(m.group())}</code>")
        last = m.end()
    out.append(escape(text[last:]))
    return "".join(out)


def explains(method):
    """Decorator for a result's ``explain`` method: what it returns becomes an
    :class:`Explanation` (the same text, displayed as paragraphs in notebooks)."""
    from functools import wraps

    @wraps(method)
    def explain(*args, **kwargs):
        return Explanation(method(*args, **kwargs))

    return explain


class Explanation(str):
    r"""What ``explain()`` returns: the plain sentences as a ``str`` (equal to the text, so it
    prints, compares and joins like any string) that notebooks display as readable paragraphs.

    Shown as the last expression of a cell, ``result.explain()`` renders as wrapped HTML
    paragraphs (code names set as code); IPython's plain-text display wraps it at word
    boundaries. ``print(result.explain())`` writes the text unchanged, one line per paragraph.

    >>> text = Explanation("Half had churned by 61.0 days.\nUse logrank() for a test.")
    >>> text == "Half had churned by 61.0 days.\nUse logrank() for a test.", text.paragraphs()
    (True, ['Half had churned by 61.0 days.', 'Use logrank() for a test.'])
    >>> print(Explanation("a " * 50).wrapped(20).splitlines()[0])
    a a a a a a a a a a
    """

    __slots__ = ()

    def paragraphs(self) -> list[str]:
        """The paragraphs (the text's lines), without empty ones."""
        return [line.strip() for line in self.split("\n") if line.strip()]

    def wrapped(self, width: int = 88) -> str:
        """The text filled to ``width`` columns, breaking between words only; a blank line
        between paragraphs."""
        return "\n\n".join(textwrap.fill(p, width, break_long_words=False, break_on_hyphens=False)
                           for p in self.paragraphs())

    def _repr_html_(self) -> str:
        paras = "".join(f"<p style='margin:0.35em 0'>{inline_html(p)}</p>" for p in self.paragraphs())
        return (f"<div class='retention-kit-explain' style='max-width:50em;line-height:1.5;"
                f"white-space:normal;word-break:normal;overflow-wrap:normal'>{paras}</div>")

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.wrapped())


class Result:
    """The contract every result object of the kit keeps, so that a person reading any of them
    (and the report, the CLI and the tests) finds the same five things in the same places.

    Every result has

    ``summary``
        A read-only property returning a :class:`pandas.DataFrame`: the numbers that matter,
        one row per group, arm, period, term or parameter. Never ``None``, never a field
        assigned from outside, so ``result.summary`` is always the table and always current.
        Where a result keeps a richer table under another name (``.table``), ``summary`` may
        be that same table.
    ``explain()``
        The plain sentences with the result's own numbers and what they do not say, as an
        :class:`Explanation` (a ``str``; write it with :func:`explains`).
    ``title``
        One line naming what was computed (the heading of the Jupyter table).
    ``notes``
        The caveats a reader must see next to the table, as strings; empty when there are
        none. Results that collect them keep a list; the default is an empty tuple.
    ``to_frame()``
        The result as a DataFrame you own: a copy of ``summary``, to change, join or write
        (``to_parquet``, ``to_csv``) without touching the result. A result whose ``summary``
        aggregates a per-row table says so and returns that table instead
        (:class:`~retention_kit.clv.CustomerValue`: one row per customer).

    and two displays built from them: ``repr()`` (``Class: title``, the summary as text and a
    pointer to ``.explain()``) and ``_repr_html_`` (the kit's one layout, :func:`render_html`:
    title, summary with rates as percentages, notes). Results with a better display of their
    own (a heat map of cohorts, an HTML table of verdicts) override these; what they show is
    part of their tests.

    Results hold data only (frames, numbers, strings, fitted models), never lambdas or
    closures, so ``pickle`` and ``copy.deepcopy`` round-trip them with equal summaries.
    ``tests/test_result_contract.py`` checks all of this on every public result class, and
    fails for a class with ``explain`` and ``_repr_html_`` that does not derive from here.

    Examples
    --------
    >>> class Tally(Result):
    ...     title = "Customers per arm"
    ...     @property
    ...     def summary(self):
    ...         return pd.DataFrame({"arm": ["control", "loyalty"], "customers": [1529, 1471]})
    ...     @explains
    ...     def explain(self):
    ...         return "3,000 customers: 1,529 in control and 1,471 in loyalty."
    >>> print(repr(Tally()))
    Tally: Customers per arm
           arm  customers
    0  control       1529
    1  loyalty       1471
    (.explain() for the reading in words)
    >>> Tally().to_frame().equals(Tally().summary), Tally().notes
    (True, ())
    """

    # A plain class attribute, not a property: results that are dataclasses declare
    # ``notes: list = field(default_factory=list)`` and set it in ``__init__``.
    notes: tuple | list = ()

    @property
    def summary(self) -> pd.DataFrame:
        """The result's table (every result class defines it)."""
        raise NotImplementedError(f"{type(self).__name__} must define a summary property (a DataFrame).")

    @property
    def title(self) -> str:
        """One line naming what was computed (every result class defines it)."""
        raise NotImplementedError(f"{type(self).__name__} must define a title.")

    def explain(self) -> Explanation:
        """The reading in plain sentences (every result class defines it, with :func:`explains`)."""
        raise NotImplementedError(f"{type(self).__name__} must define explain().")

    def to_frame(self) -> pd.DataFrame:
        """A copy of :attr:`summary`: a DataFrame to change or write without touching the result."""
        return self.summary.copy()

    def __repr__(self) -> str:
        with pd.option_context("display.width", 120, "display.precision", 4, "display.max_columns", 20):
            table = self.summary.to_string()
        return f"{type(self).__name__}: {self.title}\n{table}\n(.explain() for the reading in words)"

    def _repr_html_(self) -> str:
        return render_html(self.title, self.summary, [str(n) for n in self.notes])


def _stamp(value) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).isoformat()


def _time(value) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value)


class DataQualityReport(dict):
    """What validation found in an event log and what it did about it.

    Every row of :attr:`summary` is one check: how many rows it concerned, what was done
    (``kept``, ``dropped``, ``converted``) and why. Nothing is dropped without a row here.

    The report is a plain JSON record underneath (a ``dict`` of numbers, strings and lists,
    times as ISO text), so a frame that carries it in ``.attrs["data_quality"]`` survives
    ``to_parquet``, ``pickle``, ``copy.deepcopy`` and ``pd.concat``. After a round trip that
    leaves a bare ``dict``, :func:`data_quality` turns it back into a report.

    Examples
    --------
    >>> report = DataQualityReport(rows_in=3, rows_used=2, customers=2)
    >>> report.add("missing customer id", 1, "dropped", "no customer to attribute the row to")
    >>> report.rows_dropped, report["checks"][0]["rows"]
    (1, 1)
    >>> import json; json.loads(json.dumps(report))["rows_used"]
    2
    """

    _FIELDS = ("rows_in", "rows_used", "customers", "first_time", "last_time", "as_of", "checks")

    def __init__(self, rows_in: int = 0, rows_used: int = 0, first_time=None, last_time=None,
                 as_of=None, checks=None, customers: int | None = None, customer_ids=None):
        super().__init__(rows_in=int(rows_in), rows_used=int(rows_used), customers=None,
                         first_time=_stamp(first_time), last_time=_stamp(last_time),
                         as_of=_stamp(as_of), checks=[dict(c) for c in (checks or [])])
        # Counting distinct customers costs a hash pass (0.3 s at 10M rows), so validation
        # hands over the ids and the count is made only when someone reads it.
        self._customer_ids = customer_ids
        if customers is not None:
            self.customers = customers

    @classmethod
    def from_dict(cls, record: dict) -> "DataQualityReport":
        """The report back from its JSON record (what Parquet metadata returns)."""
        unknown = set(record) - set(cls._FIELDS)
        if unknown:
            raise ValueError(f"Not a data-quality record: unexpected keys {sorted(unknown)}.")
        return cls(**{k: record[k] for k in cls._FIELDS if k in record})

    def to_dict(self) -> dict:
        """A plain JSON-serialisable copy (the customer count is made first if pending)."""
        self.customers  # noqa: B018 (settles a pending count)
        return {k: (list(map(dict, v)) if k == "checks" else v) for k, v in self.items()}

    def __getattr__(self, name):
        # Fields read as attributes (report.rows_in); the times come back as Timestamps.
        if name in DataQualityReport._FIELDS:
            value = self[name]
            return _time(value) if name in ("first_time", "last_time", "as_of") else value
        raise AttributeError(name)

    def __setattr__(self, name, value):
        if name in ("first_time", "last_time", "as_of"):
            self[name] = _stamp(value)
        elif name in ("rows_in", "rows_used"):
            self[name] = int(value)
        elif name == "checks":
            self[name] = list(value)
        else:
            super().__setattr__(name, value)

    def __reduce__(self):
        # pickle and deepcopy rebuild from the record (the pending ids are not worth keeping).
        return (DataQualityReport.from_dict, (self.to_dict(),))

    @property
    def customers(self) -> int | None:
        """Distinct customers in the rows used."""
        if self["customers"] is None and self._customer_ids is not None:
            self["customers"] = int(pd.Series(self._customer_ids).nunique())
            self._customer_ids = None
        return self["customers"]

    @customers.setter
    def customers(self, value: int) -> None:
        self["customers"], self._customer_ids = int(value), None

    @property
    def customer_ids(self):
        return self._customer_ids

    @customer_ids.setter
    def customer_ids(self, ids) -> None:
        self["customers"], self._customer_ids = None, ids

    def add(self, check: str, rows: int, action: str, detail: str) -> None:
        """Record one check (only when it concerned at least one row)."""
        if rows:
            self["checks"].append(
                {"check": check, "rows": int(rows), "action": action, "detail": detail}
            )

    @property
    def rows_dropped(self) -> int:
        return self.rows_in - self.rows_used

    @property
    def summary(self) -> pd.DataFrame:
        """One row per finding: check, rows, action, detail."""
        return pd.DataFrame(self["checks"], columns=["check", "rows", "action", "detail"])

    def _headline(self) -> str:
        span = ""
        customers = "?" if self.customers is None else f"{self.customers:,}"
        if self.first_time is not None:
            span = f", {self.first_time:%Y-%m-%d} to {self.last_time:%Y-%m-%d}"
        as_of = f"; as of {self.as_of:%Y-%m-%d %H:%M}" if self.as_of is not None else ""
        return (
            f"{self.rows_in:,} rows in, {self.rows_used:,} used "
            f"({self.rows_dropped:,} dropped); {customers} customers{span}{as_of}"
        )

    def __repr__(self) -> str:
        lines = [f"DataQualityReport: {self._headline()}"]
        if not self.checks:
            lines.append("  no findings")
        for c in self.checks:
            lines.append(f"  - {c['check']}: {c['rows']:,} rows {c['action']} ({c['detail']})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        table = self.summary if self.checks else None
        notes = [] if self.checks else ["No findings: every row was used as it is."]
        return render_html(f"Data quality: {self._headline()}", table, notes)


def data_quality(obj) -> DataQualityReport | None:
    """The data-quality report of a loaded log, a lifetimes table or a result.

    Works on a frame whose ``.attrs["data_quality"]`` went through Parquet (a bare dict), on
    anything with a ``data_quality`` attribute, and on the report itself; None if there is
    none.

    Examples
    --------
    >>> import io, pandas as pd, retention_kit as rk
    >>> cdnow = rk.load_cdnow()
    >>> back = pd.read_parquet(io.BytesIO(cdnow.to_parquet()))
    >>> rk.data_quality(back).rows_in == rk.data_quality(cdnow).rows_in == 69659
    True
    """
    if isinstance(obj, DataQualityReport):
        return obj
    if isinstance(obj, dict):
        return DataQualityReport.from_dict(obj)
    attrs = getattr(obj, "attrs", None)
    if isinstance(attrs, dict) and attrs.get("data_quality") is not None:
        return data_quality(attrs["data_quality"])
    found = getattr(obj, "data_quality", None)
    return None if found is None else data_quality(found)


# What the kit records about a frame it returns (lifetimes, survival tables, RFM summaries)
# lives in ``.attrs`` as JSON values, because pandas writes ``.attrs`` into Parquet metadata
# with json.dumps: times as ISO text, durations as ISO 8601 durations. ``metadata`` reads
# them back typed.
_TIME_KEYS = frozenset({"as_of", "calibration_end", "observation_end", "first_time", "last_time"})
_DURATION_KEYS = frozenset({"churn_after"})


def _json_value(value):
    if isinstance(value, DataQualityReport) or value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, pd.Timedelta):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def set_metadata(frame: pd.DataFrame, **values) -> pd.DataFrame:
    """Record ``values`` in ``frame.attrs`` as JSON (see :func:`metadata`); returns the frame."""
    frame.attrs.update({key: _json_value(value) for key, value in values.items()})
    return frame


def metadata(frame) -> dict:
    """What the kit recorded about a frame it returned, with times as ``pd.Timestamp``,
    durations as ``pd.Timedelta`` and the data-quality record as a
    :class:`DataQualityReport`; also after the frame went through Parquet.

    Examples
    --------
    >>> import io, pandas as pd, retention_kit as rk
    >>> life = rk.customer_lifetimes(rk.load_cdnow(), churn_after=180)
    >>> back = pd.read_parquet(io.BytesIO(life.to_parquet()))
    >>> info = rk.metadata(back)
    >>> info["as_of"], info["churn_after"], info["as_of"] - info["churn_after"]
    (Timestamp('1998-06-30 00:00:00'), Timedelta('180 days 00:00:00'), Timestamp('1998-01-01 00:00:00'))
    """
    out = {}
    for key, value in dict(getattr(frame, "attrs", {}) or {}).items():
        if value is not None and key in _TIME_KEYS:
            value = pd.Timestamp(value)
        elif value is not None and key in _DURATION_KEYS:
            value = pd.Timedelta(value)
        elif key == "data_quality" and value is not None:
            value = data_quality(value)
        out[key] = value
    return out
