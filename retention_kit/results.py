"""Small building blocks shared by every result object: a data-quality report and the
HTML/text rendering that makes results readable in Jupyter."""

from __future__ import annotations

from html import escape

import pandas as pd

__all__ = ["DataQualityReport", "data_quality", "metadata", "set_metadata", "render_html", "format_p", "format_number"]


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


def _display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table as text for display only (the result keeps its numbers): p-values by name,
    numbers by :func:`format_number`, and no 0, 1, 2 ... index that says nothing."""
    shown = table.copy()
    for col in shown.columns:
        values = shown[col]
        if not (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)):
            continue
        fmt = format_p if "p_value" in str(col) else format_number
        shown[col] = values.map(fmt)
    if isinstance(shown.index, pd.RangeIndex) and shown.index.start == 0 and shown.index.step == 1:
        shown = shown.reset_index(drop=True)
        return shown.style.hide(axis="index")
    return shown


def render_html(title: str, table: pd.DataFrame | None, notes=(), *, styler=None) -> str:
    """A titled table followed by short notes: the one HTML layout of the kit."""
    parts = [f"<div class='retention-kit'><h4 style='margin:0.2em 0'>{escape(title)}</h4>"]
    if styler is not None:
        parts.append(styler.to_html())
    elif table is not None:
        shown = _display_table(table)
        parts.append(shown.to_html() if hasattr(shown, "hide") else shown.to_html(na_rep="–"))
    for note in notes:
        parts.append(f"<p style='margin:0.2em 0;font-size:90%'>{escape(note)}</p>")
    parts.append("</div>")
    return "".join(parts)


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
