"""The one plot contract of the kit: ``plot_x(result, *, ax=None, **kwargs) -> Axes``.

Every plot draws on the ``ax`` it is given (or a new figure), labels both axes and sets a
title, and returns the Axes, so notebooks can compose figures and tests can inspect them.
pyplot is imported inside functions, so importing the kit never starts a GUI backend.
"""

from __future__ import annotations

__all__: list[str] = []


def get_axes(ax=None, *, figsize=(7, 4)):
    """The Axes to draw on: ``ax`` itself, or a new figure's Axes."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def percent_axis(ax, axis: str = "y", decimals: int = 0):
    """Show a 0-1 axis as percentages."""
    from matplotlib.ticker import PercentFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(PercentFormatter(xmax=1.0, decimals=decimals))
    return ax


def label(ax, *, title: str, xlabel: str, ylabel: str):
    """Set the title and both axis labels (every plot of the kit has all three)."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax
