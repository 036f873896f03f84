"""The CDNOW master transaction log (real data, see ``data/README.md``)."""

from __future__ import annotations

from importlib.resources import files

import pandas as pd

from ..errors import ParameterError
from ..results import DataQualityReport

__all__ = ["load_cdnow"]

_FILE = "CDNOW_master.txt.gz"


def load_cdnow(*, same_day: str = "keep", duplicates: str = "keep", zero_amount: str = "keep") -> pd.DataFrame:
    """Load the CDNOW transaction log: 23,570 customers who first bought at the online
    music retailer CDNOW in January to March 1997, followed to 30 June 1998.

    Parameters
    ----------
    same_day : {"keep", "combine"}
        2,068 rows are further purchases by a customer on a day they already bought.
        ``"keep"`` (default) keeps every row; ``"combine"`` sums quantity and amount per
        customer and day, as Fader, Hardie & Lee (2005) did.
    duplicates : {"keep", "drop"}
        255 rows repeat another row exactly (same customer, day, CDs and dollars). They may
        be genuine repeat orders, so they are kept by default; ``"drop"`` removes them.
    zero_amount : {"keep", "drop"}
        80 rows have a value of $0. Kept by default (they are purchases); ``"drop"``
        removes them.

    Returns
    -------
    DataFrame
        Columns ``customer_id`` (str, five digits), ``date`` (datetime64), ``quantity``
        (int) and ``amount`` (float, US dollars). What was done with each quirk is in
        ``rk.data_quality(df)``, a :class:`~retention_kit.results.DataQualityReport` (kept in
        ``df.attrs["data_quality"]`` as a JSON record, so ``to_parquet`` keeps it too).

    Examples
    --------
    >>> cdnow = load_cdnow()
    >>> len(cdnow), cdnow["customer_id"].nunique(), round(float(cdnow["amount"].sum()), 2)
    (69659, 23570, 2500315.63)
    >>> from retention_kit import data_quality
    >>> data_quality(cdnow).summary[["check", "rows", "action"]]
                      check  rows action
    0  exact duplicate rows   255   kept
    1     same customer/day  2068   kept
    2                amount    80   kept
    """
    for name, value, allowed in (("same_day", same_day, ("keep", "combine")),
                                 ("duplicates", duplicates, ("keep", "drop")),
                                 ("zero_amount", zero_amount, ("keep", "drop"))):
        if value not in allowed:
            raise ParameterError(f"{name}={value!r}: use one of {allowed}.")
    with (files("retention_kit.data") / _FILE).open("rb") as fh:
        raw = pd.read_csv(fh, sep=r"\s+", compression="gzip",
                          dtype={"customer_id": str, "date": str})
    df = pd.DataFrame({
        "customer_id": raw["customer_id"].astype(str),
        "date": pd.to_datetime(raw["date"], format="%Y%m%d"),
        "quantity": raw["number_of_cds"].astype("int64"),
        "amount": raw["dollar_value"].astype(float),
    })
    report = DataQualityReport(rows_in=len(df))

    dup = df.duplicated()
    if duplicates == "drop":
        df = df[~dup]
        report.add("exact duplicate rows", int(dup.sum()), "dropped", "identical customer, day, CDs and dollars")
    else:
        report.add("exact duplicate rows", int(dup.sum()), "kept",
                   "identical customer, day, CDs and dollars; pass duplicates='drop' to remove")

    same = df.duplicated(["customer_id", "date"])
    if same_day == "combine":
        n_before = len(df)
        df = df.groupby(["customer_id", "date"], as_index=False, sort=True)[["quantity", "amount"]].sum()
        report.add("same customer/day", n_before - len(df), "merged",
                   "summed into one purchase per customer and day")
    else:
        report.add("same customer/day", int(same.sum()), "kept",
                   "further purchases on a day the customer already bought; same_day='combine' merges them")

    zero = df["amount"] == 0
    if zero_amount == "drop":
        df = df[~zero]
        report.add("amount", int(zero.sum()), "dropped", "$0 purchases")
    else:
        report.add("amount", int(zero.sum()), "kept", "$0 purchases; zero_amount='drop' removes them")

    df = df.reset_index(drop=True)
    report.rows_used = len(df)
    report.customers = int(df["customer_id"].nunique())
    report.first_time, report.last_time = df["date"].min(), df["date"].max()
    report.as_of = report.last_time
    df.attrs["data_quality"] = report
    return df
