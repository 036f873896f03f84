"""The report's sentences on the data and the first analyses: the reproducibility header,
what the report answers, data quality, CRR, cohorts and survival, and the kit's warnings
rewritten for a reader who cannot pass arguments (:func:`caveats`).

The numbers come from the results themselves (their tables, medians and tests); this module
only chooses which ones lead and how they are said. It is the one place besides the command
line that reads the clock (the run time in the header).
"""

from __future__ import annotations

import re
import warnings
from contextlib import contextmanager
from datetime import datetime

import numpy as np
import pandas as pd

from ..errors import RetentionWarning
from ._words import count, days, join_words, long_date, pct
from .config import ReportConfig
from .inputs import ReportData

__all__ = ["header", "caveats", "for_reader", "intro_text", "quality_text", "crr_text", "cohort_text",
           "survival_text", "MIN_NAMED_SEGMENT"]


def _run_time() -> str:
    # The one clock read of the kit: when the report ran (never used by an analysis).
    return datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S (UTC%z)")


def header(data: ReportData, *, out: str = "report.html"):
    """Markdown block naming the data (with checksums), the parameters, the retention_kit
    version, the run time and the command that re-runs the report."""
    from IPython.display import Markdown

    from .. import __version__

    cfg = data.config
    files_md = "<br>".join(f"`{p}`<br>SHA-256 `{h}`" for p, h in data.sources)
    rows = [("Data", f"{data.label}, {len(data.events):,} rows<br>{files_md}")]
    mapping = ", ".join(f"{name.removesuffix('_col')} = `{col}`" for name, col in cfg.columns.items())
    if cfg.date_format:
        mapping += f" (format `{cfg.date_format}`)"
    rows.append(("Columns", mapping))
    params = [f"period = {cfg.freq.name}", f"as of = {cfg.as_of or 'last date in the data'}",
              f"churn after {days(cfg.churn_gap)} days of silence"
              + (f" ({cfg.churn_note})" if cfg.churn_note else "")]
    if cfg.arm_col:
        params += [f"experiment horizon = {days(cfg.horizon_gap)} days", f"control arm = `{cfg.control_arm}`",
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
                         f"{days(config.horizon_gap)} days after they started?")
    if config.amount_col:
        questions.append("What are the customers worth over the next year, and which customers the churn rule "
                         "calls lost are probably still active (customer value)?")
    return "This report answers:\n\n" + "\n".join(f"{i}. {q}" for i, q in enumerate(questions, 1))


def quality_text(data: ReportData, quality) -> str:
    """What was read and what validation did, in two or three sentences."""
    cfg = data.config
    q = quality
    span = f"from {long_date(q.first_time)} to {long_date(q.last_time)}"
    as_of = (f"The report looks at the data as of {long_date(q.as_of)}"
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
    flag = config.flag("churn_after") if config else "churn_after"
    silence = churn_gap / pd.Timedelta(days=1)
    text = []
    if config is not None and config.churn_note and len(gaps.gaps):
        text.append(f"A customer counts as churned after {silence:g} days without a purchase, "
                    f"{config.churn_note}.")
    elif len(gaps.gaps):
        q90 = gaps.quantile(0.9)
        if silence < q90:
            suggest = f"{np.ceil(gaps.quantile(0.95)):,.0f}"
            text.append(f"A customer counts as churned after {silence:g} days without a purchase, but 10 % of "
                        f"the gaps between purchases are longer than {q90:,.0f} days: ordinary pauses are "
                        f"counted as churn here, so lifetimes are understated. Consider "
                        f"a threshold of about {suggest} days ({flag} {suggest}).")
        else:
            text.append(f"A customer counts as churned after {silence:g} days without a purchase; 90 % of the "
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
