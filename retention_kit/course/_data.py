"""The bundled data sets the course's solvers share, loaded once per session."""

from __future__ import annotations

import functools

import pandas as pd

__all__ = ["cdnow", "shop"]


@functools.cache
def cdnow() -> pd.DataFrame:
    """The CDNOW event log (``rk.load_cdnow()``)."""
    from ..datasets import load_cdnow

    return load_cdnow()


@functools.cache
def shop():
    """The coffee shop's saved run (``rk.load_coffee_shop()``): transactions and assignments."""
    from ..datasets import load_coffee_shop

    return load_coffee_shop()
