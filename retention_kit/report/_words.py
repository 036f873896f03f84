"""Wording shared by the report's modules: shares, counts, lists, dates and lengths of time as
the report writes them (``pct``, ``count``, ``join_words`` and ``paragraphs`` are also public
as ``retention_kit.report.pct`` ...).

>>> pct(0.7382), count(1, "customer"), count(3000, "customer"), join_words(["a", "b", "c"])
('73.8 %', '1 customer', '3,000 customers', 'a, b and c')
>>> days(pd.Timedelta(hours=36)), long_date("2024-03-05"), signed_points(0.0312), few(0.134), few(2.25)
('1.5', '5 March 2024', '+3.1 points', '0.13', '2.2')
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["pct", "count", "join_words", "paragraphs", "days", "long_date", "signed_points", "few"]


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



def days(td: pd.Timedelta) -> str:
    """A length of time in days, as few digits as it needs (``"30"``, ``"1.5"``)."""
    return f"{td / pd.Timedelta(days=1):g}"


def long_date(ts) -> str:
    """``"5 March 2024"``."""
    ts = pd.Timestamp(ts)
    return f"{ts.day} {ts:%B %Y}"


def signed_points(x: float) -> str:
    """A difference of two shares in percentage points, with its sign (``"+3.1 points"``)."""
    return f"{x * 100:+.1f} points"


def few(x: float) -> str:
    """A small expected count: two decimals below 1 (0.13, not 0.1), one above."""
    return f"{x:,.2f}" if x < 1 else f"{x:,.1f}"
