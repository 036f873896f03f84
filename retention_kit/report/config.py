"""What the report runs on: :class:`ReportConfig` (the file, its column mapping and the
analysis settings), how each option is spelled on the command line, and the checks of the
experiment plan's options (``plan_options``).

>>> cfg = ReportConfig("orders.csv", amount_col="total", segment_col=None, arm_col=None, period="W")
>>> cfg.cols, cfg.freq.name, cfg.flag("as_of")
({'customer_col': 'customer_id', 'time_col': 'date'}, 'week', 'as_of')
>>> ReportConfig(cli=True).flag("as_of")
'--as-of'
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..periods import parse_duration, parse_freq
from ._words import join_words, pct

__all__ = ["CLI_FLAGS", "ReportConfig", "plan_options", "DEFAULT_MDE", "DEFAULT_LOOKS", "MAX_LOOKS"]

# How each parameter is spelled on the command line (messages name what the reader typed).
CLI_FLAGS = {
    "data_path": "DATA", "customer_col": "--customer-col", "time_col": "--time-col",
    "amount_col": "--amount-col", "segment_col": "--segment-col", "arm_col": "--arm-col",
    "assigned_col": "--assigned-col",
    "control_arm": "--control", "date_format": "--date-format", "period": "--period",
    "as_of": "--as-of", "churn_after": "--churn-after", "horizon": "--horizon",
    "planned_n": "--planned-n", "mde": "--mde", "looks": "--looks",
}


# What the plan assumes when the analyst gives none; the text states each of them.
DEFAULT_MDE = 5.0           # minimum detectable effect, percentage points (--mde)
DEFAULT_LOOKS = 4           # looks of the group-sequential plan (--looks)
MAX_LOOKS = 20


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
        strptime format of the time column (and the assignment column), e.g. ``"%d/%m/%Y"``;
        needed when no value shows which number is the day (03/04/2024) and for dates that
        are neither ISO nor day/month/year. Without it a day/month column is read in the order
        its values settle (:mod:`retention_kit.report.dates`).
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
                          else parse_duration(self.churn_after, name=self.flag("churn_after")))
        self.churn_note = None
        self.horizon_gap = parse_duration(self.horizon, name=self.flag("horizon"))
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

    def flag(self, param: str) -> str:
        """How the reader spells the parameter ``param``: its command-line option with ``cli``
        (``--as-of``), else the Python argument (``as_of``)."""
        return CLI_FLAGS[param] if self.cli else param

    def _roles(self, col: str) -> str:
        return join_words([self.flag(k) for k in self.columns if self.columns[k] == col])

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
        looks = _whole(looks, name("looks"), 2, MAX_LOOKS,
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
