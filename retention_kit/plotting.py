"""The one plot contract of the kit: ``plot_x(self, ax=None, *, <options>, **kwargs) -> Axes``
(a plot function: ``plot_x(table, ax=None, *, <options>, **kwargs)``).

``ax`` comes first and may be positional; every other option is keyword-only; ``**kwargs`` go
to the plot's main artist (each docstring names it), over the plot's own defaults
(:func:`artist_kwargs`). Every plot draws on the ``ax`` it is given (or a new figure), labels
both axes and sets a title, and returns the Axes, so notebooks can compose figures and tests
can inspect them.
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


def artist_kwargs(kwargs: dict, artist, **defaults) -> dict:
    """The caller's ``**kwargs`` for a plot's main artist with the plot's own ``defaults``
    under them (``setdefault``), so ``color=`` or ``label=`` override instead of raising
    "multiple values". Aliases are normalised first for the ``artist`` class (e.g.
    ``Line2D``), so ``lw=`` overrides a default ``linewidth``. Returns a new dict."""
    from matplotlib.cbook import normalize_kwargs

    out = normalize_kwargs(dict(kwargs), artist)
    for key, value in normalize_kwargs(defaults, artist).items():
        out.setdefault(key, value)
    return out


def percent_axis(ax, axis: str = "y", decimals: int | None = 0):
    """Show a 0-1 axis as percentages (``decimals=None``: as many as the axis range needs)."""
    from matplotlib.ticker import PercentFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(PercentFormatter(xmax=1.0, decimals=decimals))
    return ax


def label(ax, *, title: str, xlabel: str, ylabel: str):
    """Set the title and both axis labels (every plot of the kit has all three).

    A note already on the plot (:func:`note`) keeps its room under the title."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _make_room_for_notes(ax)
    return ax


# -- headroom ---------------------------------------------------------------------------

def headroom(ax, *, top: float | None = None, bottom: float | None = None, margin: float = 0.06):
    """y limits with a margin above the data (and above ``top``, e.g. 1.0 for 100 %), so
    the highest point, marker or bar is never cut by the frame."""
    lo, hi = ax.get_ylim()
    if bottom is not None:
        lo = bottom
    if top is not None:
        hi = max(hi, top)
    span = hi - lo if hi > lo else (abs(hi) or 1.0)
    ax.set_ylim(lo, hi + margin * span)
    return ax


# -- legends ----------------------------------------------------------------------------

def legend_outside(ax, handles=None, labels=None, *, title: str | None = None, **kwargs):
    """The legend to the right of the Axes, outside the data (it can never cover a bar or a
    curve); labels starting with ``_`` and duplicates are left out. Returns the Legend, or
    None when nothing is labelled."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    seen, keep_h, keep_l = set(), [], []
    for h, text in zip(handles, labels):
        if not text or text.startswith("_") or text in seen:
            continue
        seen.add(text)
        keep_h.append(h)
        keep_l.append(text)
    old = ax.get_legend()
    if old is not None:
        old.remove()
    if not keep_h:
        return None
    options = dict(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize="small",
                   frameon=False)
    options.update(kwargs)
    return ax.legend(keep_h, keep_l, title=title, **options)


# -- tick labels that never overlap -----------------------------------------------------

_NICE_STEPS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 13, 15, 20, 25, 26, 30, 40, 50, 52, 60, 75, 100, 125, 150,
               200, 250, 300, 400, 500, 1000)


def _index_locator(labels, *, rotation: float = 0.0):
    """A tick locator for positions 0, 1, ... n-1 named by ``labels`` that keeps every k-th
    position, k chosen at draw time from the axis length and the widest label, so the labels
    never run into each other whatever the number of rows or the figure size."""
    import math

    from matplotlib.ticker import Locator

    n = len(labels)
    chars = max((len(str(t)) for t in labels), default=1)

    class IndexLocator(Locator):
        def __call__(self):
            lo, hi = self.axis.get_view_interval()
            return self.tick_values(lo, hi)

        def _step(self) -> int:
            axis = self.axis
            if axis is None or axis.axes is None or axis.axes.figure is None:
                return 1
            ax = axis.axes
            box = ax.get_window_extent()
            points = 72.0 / ax.figure.dpi
            ticks = axis.get_major_ticks(1)
            size = ticks[0].label1.get_fontsize() if ticks else 10.0
            width, height = 0.6 * size * chars, 1.2 * size
            angle = math.radians(abs(rotation) % 180)
            horizontal = axis.axis_name == "x"
            if horizontal:
                need = width * math.cos(angle) + height * math.sin(angle) if rotation else width
                length = box.width * points
            else:
                need = width * math.sin(angle) + height * math.cos(angle) if rotation else height
                length = box.height * points
            need += 0.4 * size  # a gap between neighbours
            lo, hi = sorted(axis.get_view_interval())
            visible = max(min(hi, n - 0.5) - max(lo, -0.5), 1.0)
            per_label = length / visible  # points between neighbouring positions
            for step in _NICE_STEPS:
                if per_label * step >= need:
                    return step
            return max(n, 1)

        def tick_values(self, vmin, vmax):
            lo, hi = sorted((vmin, vmax))
            step = self._step()
            return [float(i) for i in range(0, n, step) if lo - 1e-9 <= i <= hi + 1e-9]

    return IndexLocator()


def index_ticks(ax, labels, *, axis: str = "x", rotation: float = 0.0, ha: str | None = None):
    """Name positions 0..n-1 of ``axis`` with ``labels``, thinned so that no two labels
    overlap (every k-th is shown, k from the axis length at draw time)."""
    from matplotlib.ticker import FuncFormatter, NullLocator

    labels = [str(t) for t in labels]
    target = ax.xaxis if axis == "x" else ax.yaxis

    def name(value, _pos=None):
        i = int(round(value))
        return labels[i] if abs(value - i) < 1e-9 and 0 <= i < len(labels) else ""

    target.set_major_locator(_index_locator(labels, rotation=rotation))
    target.set_major_formatter(FuncFormatter(name))
    target.set_minor_locator(NullLocator())
    if rotation:
        ax.tick_params(axis=axis, labelrotation=rotation)
    if ha is not None:
        for tick in target.get_major_ticks():  # later ticks copy the first tick's label
            tick.label1.set_horizontalalignment(ha)
    return ax


def short_period_labels(index) -> list[str]:
    """Cohort and period names short enough for an axis: a weekly period
    '1997-01-06/1997-01-12' is shown as its first day, '1997-01-06'; tuples are joined."""
    out = []
    for v in index:
        if isinstance(v, tuple):
            out.append(" | ".join(map(str, v)))
            continue
        start = getattr(v, "start_time", None)
        text = str(v)
        if "/" in text and start is not None:
            text = f"{start:%Y-%m-%d}"
        elif "/" in text and len(text.split("/")[0]) == 10:
            text = text.split("/")[0]
        out.append(text)
    return out


# -- hazard-ratio (log) axes -------------------------------------------------------------

_HR_TICKS = {
    0: (0.01, 0.1, 1, 10, 100),
    1: (0.02, 0.05, 0.2, 0.5, 2, 5, 20, 50),
    2: (0.25, 0.75, 1.5, 3, 4),
    3: (0.3, 0.4, 0.6, 0.7, 0.8, 0.9, 1.25, 6, 8),
}


def ratio_axis(ax, axis: str = "x", *, max_ticks: int = 7):
    """A log axis of ratios with plain tick labels (0.5, 0.75, 1, 1.5, 2, ...) instead of
    ``6x10^-1``; 1 always has a tick. The limits are widened to include 1."""
    import math

    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

    target = ax.xaxis if axis == "x" else ax.yaxis
    get, put = (ax.get_xlim, ax.set_xlim) if axis == "x" else (ax.get_ylim, ax.set_ylim)
    lo, hi = sorted(get())
    lo, hi = min(lo, 0.95), max(hi, 1.05)
    put(lo, hi)
    span = math.log10(hi / lo)
    gap = span / (max_ticks - 1)
    kept = [1.0]
    for tier in sorted(_HR_TICKS):
        for v in _HR_TICKS[tier]:
            if lo <= v <= hi and all(abs(math.log10(v / k)) >= gap for k in kept):
                kept.append(float(v))
    kept.sort()
    target.set_major_locator(FixedLocator(kept))
    target.set_major_formatter(FuncFormatter(lambda v, _pos=None: f"{v:g}"))
    target.set_minor_locator(NullLocator())
    target.set_minor_formatter(NullFormatter())
    return ax


# -- a note on the plot -------------------------------------------------------------------

_NOTE_GID = "retention_kit-note"
_NOTE_SIZE = 8.0


def note(ax, text: str):
    """A short note under the title (a subtitle), for what the reader must know to read the
    plot right, e.g. why a curve does not start at 100 %. Returns the Text."""
    import textwrap

    width_pt = ax.get_position().width * ax.figure.get_figwidth() * 72
    text = textwrap.fill(text, width=max(30, int(width_pt / (0.55 * _NOTE_SIZE))))
    existing = notes(ax)
    if existing:
        artist = existing[0]
        artist.set_text(artist.get_text() + "\n" + text)
    else:
        artist = ax.annotate(text, xy=(0, 1), xycoords="axes fraction", xytext=(0, 5),
                             textcoords="offset points", ha="left", va="bottom",
                             fontsize=_NOTE_SIZE, color="#444444", annotation_clip=False)
        artist.set_gid(_NOTE_GID)
    _make_room_for_notes(ax)
    return artist


def notes(ax) -> list:
    """The note Text artists on ``ax`` (see :func:`note`)."""
    return [t for t in ax.texts if t.get_gid() == _NOTE_GID]


def _make_room_for_notes(ax) -> None:
    """Lift the title above the note so they never overlap."""
    import matplotlib as mpl

    found = notes(ax)
    if not found:
        return
    lines = found[0].get_text().count("\n") + 1
    pad = mpl.rcParams["axes.titlepad"] + 5 + 1.25 * _NOTE_SIZE * lines
    ax.set_title(ax.get_title(), pad=pad)


# -- a caption under the x axis ---------------------------------------------------------

_CAPTION_GID = "retention_kit-caption"


def caption(ax, text: str, *, fontsize: float = 8.0):
    """Text under the x-axis label (it moves with the label, so it never overlaps the tick
    labels): legends of the encoding, e.g. what hatched and blank cells mean."""
    import textwrap

    width_pt = ax.get_position().width * ax.figure.get_figwidth() * 72
    text = textwrap.fill(text, width=max(30, int(width_pt / (0.55 * fontsize))))
    artist = ax.annotate(text, xy=(0, 0), xycoords=("axes fraction", ax.xaxis.label), xytext=(0, -4),
                         textcoords="offset points", ha="left", va="top", fontsize=fontsize,
                         color="#444444", annotation_clip=False)
    artist.set_gid(_CAPTION_GID)
    return artist


# -- a table of numbers under the x axis ------------------------------------------------

_TABLE_GID = "retention_kit-table"


def table_under(ax, ticks, rows, *, title: str | None = None, fontsize: float = 8.0):
    """Numbers under the x axis in columns centred exactly on ``ticks`` (data positions of
    ``ax``; pass the axis ticks so each number sits under its tick label), one line per
    ``(row label, values, colour)``; ``title`` opens the table. The texts live on a twin
    Axes of their own (returned) whose ticks are ``ticks``; they follow the x-axis label
    down, so they never overlap the tick labels."""
    table = ax.twiny()
    table.set_xlim(ax.get_xlim())
    table.set_xticks(list(ticks))
    table.set_gid(_TABLE_GID)
    table.axis("off")
    step = 1.35 * fontsize
    y = -5.0
    below_label = ax.xaxis.label
    if title:
        table.annotate(title, xy=(0, 0), xycoords=(ax.transAxes, below_label), xytext=(0, y),
                       textcoords="offset points", ha="left", va="top", fontsize=fontsize,
                       fontweight="bold", annotation_clip=False)
        y -= step
    for name, values, color in rows:
        table.annotate(str(name), xy=(0, 0), xycoords=(ax.transAxes, below_label), xytext=(-12, y),
                       textcoords="offset points", ha="right", va="top", fontsize=fontsize,
                       color=color or "black", annotation_clip=False)
        for t, v in zip(ticks, values):
            cell = table.annotate(str(v), xy=(t, 0), xycoords=(ax.transData, below_label),
                                  xytext=(0, y), textcoords="offset points", ha="center", va="top",
                                  fontsize=fontsize, color=color or "black", annotation_clip=False)
            cell.set_gid(_TABLE_GID)
        y -= step
    return table


def table_of(ax):
    """The twin Axes holding :func:`table_under`'s table, or None."""
    for other in ax.figure.axes:
        if other is not ax and other.get_gid() == _TABLE_GID and other.bbox.bounds == ax.bbox.bounds:
            return other
    return None


# -- alt text: what a figure shows, in words (issue 16) ----------------------------------

_PANEL_CHARS = 300
_LEGEND_ITEMS = 6
_GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "Delta": "Δ", "lambda": "λ", "mu": "μ",
          "sigma": "σ", "rho": "ρ", "theta": "θ", "pi": "π", "chi": "χ", "tau": "τ", "times": "×",
          "cdot": "·", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "pm": "±", "approx": "≈", "%": "%"}


def _markup(command: str) -> str:
    """A mathtext command that only styles its argument (\\mathrm, \\hat, ...) is left out."""
    styles = ("hat", "bar", "tilde", "text", "operatorname", "overline", "left", "right", "displaystyle")
    return "" if command.startswith("math") or command in styles else command


def _plain(text) -> str:
    """``text`` without mathtext markup (``$\\hat{S}(t)$`` -> ``S(t)``), on one line."""
    import re

    text = str(text or "")

    def math(m):
        s = re.sub(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", r"(\1)/(\2)", m.group(1))
        s = re.sub(r"\\(?:hat|bar|tilde|mathrm|mathit|mathbf|mathsf|mathdefault|text|operatorname|overline)\s*\{([^{}]*)\}",
                   r"\1", s)
        s = re.sub(r"\\([A-Za-z]+|%)", lambda g: _GREEK.get(g.group(1), _markup(g.group(1))), s)
        s = re.sub(r"\\[,;:! ]", " ", s)
        return s.replace("{", "").replace("}", "")

    text = re.sub(r"(?<!\\)\$(.+?)(?<!\\)\$", math, text).replace(r"\$", "$")
    return " ".join(text.split())


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0].rstrip(",;:. ")
    return cut + "…"


def _axis_words(ax, which: str) -> str:
    """'x: <label> (<first tick> to <last tick>)': the label as written (units included) and
    the range the tick labels show; '(%)' when the axis is drawn as percentages."""
    from matplotlib.category import StrCategoryFormatter
    from matplotlib.ticker import FixedFormatter, FixedLocator, PercentFormatter

    axis = ax.xaxis if which == "x" else ax.yaxis
    if not axis.get_visible():
        return ""
    text = _plain(axis.get_label().get_text())
    try:
        lo, hi = sorted(axis.get_view_interval())
        locs = [v for v in axis.get_majorticklocs() if lo - 1e-9 * (abs(lo) + 1) <= v <= hi + 1e-9 * (abs(hi) + 1)]
        if axis.get_scale() == "log":  # plain numbers, not 10^{3}
            names = [f"{v:,g}" for v in locs]
        else:
            names = [n for n in (_plain(n) for n in axis.get_major_formatter().format_ticks(locs)) if n]
    except Exception:  # a custom locator or formatter that needs a drawn figure: the label alone
        names = []
    named = isinstance(axis.get_major_formatter(), (FixedFormatter, StrCategoryFormatter)) or (
        isinstance(axis.get_major_locator(), FixedLocator) and any(c.isalpha() for n in names for c in n))
    if 2 <= len(names) <= 5 and named:
        shown = ", ".join(names)  # categories (arms, segments): all of them, not a range
    else:
        shown = f"{names[0]} to {names[-1]}" if len(names) >= 2 else names[0] if names else ""
    if shown:
        text = f"{text} ({shown})" if text else shown
    elif isinstance(axis.get_major_formatter(), PercentFormatter) and "%" not in text:
        text += " (%)"
    return f"{which}: {text.strip()}" if text.strip() else ""


def _content_words(ax) -> str:
    """What is drawn, counted: lines, bars, a heatmap's cells, points."""
    from matplotlib.collections import PathCollection
    from matplotlib.container import BarContainer, ErrorbarContainer

    reference = (ax.get_xaxis_transform(), ax.get_yaxis_transform())
    markers = [ln for c in ax.containers if isinstance(c, ErrorbarContainer)  # drawn by errorbar
               for ln in (c.lines[0], *(c.lines[1] or ()))]
    lines = [ln for ln in ax.get_lines() if ln.get_visible() and len(ln.get_xdata()) >= 2
             and ln.get_transform() not in reference and not any(ln is m for m in markers)]
    parts = []
    for image in ax.get_images():
        shape = getattr(image.get_array(), "shape", ())
        if len(shape) >= 2:
            parts.append(f"heatmap of {shape[0]} rows × {shape[1]} columns")
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    if bars:
        n = sum(len(c) for c in bars)
        parts.append(f"{n} bar{'s' if n != 1 else ''}" + (f" in {len(bars)} series" if len(bars) > 1 else ""))
    errors = sum(len(c.lines[0].get_xdata()) for c in ax.containers
                 if isinstance(c, ErrorbarContainer) and c.lines[0] is not None)
    if errors:
        parts.append(f"{errors} estimate{'s' if errors != 1 else ''} with error bars")
    if lines:
        parts.append(f"{len(lines)} line{'s' if len(lines) != 1 else ''}")
    points = sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection) and c.get_visible())
    if points:
        parts.append(f"{points} point{'s' if points != 1 else ''}")
    return ", ".join(parts)


def _colorbar_of(ax):
    for other in ax.figure.axes:
        bar = getattr(other, "_colorbar", None)
        mappable = getattr(bar, "mappable", None)
        if mappable is not None and getattr(mappable, "axes", None) is ax:
            return bar
    return None


def _panel_words(ax) -> str:
    titles = [_plain(ax.get_title(loc)) for loc in ("left", "center", "right")]
    parts = [" – ".join(t for t in titles if t)]
    parts += [_axis_words(ax, "x"), _axis_words(ax, "y")]
    drawn = _content_words(ax)
    bar = _colorbar_of(ax)
    if bar is not None:
        scale = _axis_words(bar.ax, "y" if bar.orientation == "vertical" else "x").partition(": ")[2]
        drawn += f", colour scale {scale}" if scale else ", with a colour scale"
    # A few values written on the plot (an estimate and its interval), not a heatmap's cells.
    written = [w for w in (_plain(t.get_text()) for t in ax.texts if t.get_visible() and t.get_gid() is None) if w]
    if 1 <= len(written) <= 4:
        drawn += ("; " if drawn else "") + "values shown: " + ", ".join(written)
    legend = ax.get_legend()
    if legend is not None and legend.get_visible():
        names = [_plain(t.get_text()) for t in legend.get_texts()]
        names = [n for n in names if n]
        if names:
            more = len(names) - _LEGEND_ITEMS
            shown = ", ".join(names[:_LEGEND_ITEMS]) + (f" and {more} more" if more > 0 else "")
            drawn += ("; " if drawn else "") + f"legend: {shown}"
    parts.append(drawn)
    parts += [_plain(t.get_text()) for t in notes(ax)]
    table = table_of(ax)
    if table is not None:
        titles = [_plain(t.get_text()) for t in table.texts if t.get_gid() != _TABLE_GID and t.get_fontweight() == "bold"]
        parts.append("table under the plot" + (f": {titles[0]}" if titles else ""))
    text = ". ".join(p.rstrip(". ") for p in parts if p)
    return _shorten(text + "." if text else "", _PANEL_CHARS)


def _panels(fig) -> list:
    """The Axes a reader sees as plots: not colour bars, not :func:`table_under`'s twin,
    not hidden or empty Axes."""
    out = []
    for ax in fig.axes:
        if not ax.get_visible() or getattr(ax, "_colorbar", None) is not None or ax.get_label() == "<colorbar>":
            continue
        if ax.get_gid() == _TABLE_GID:
            continue
        if not ax.axison and not (ax.get_title() or ax.get_lines() or ax.get_images() or ax.patches
                                  or ax.collections):
            continue
        out.append(ax)
    return out


def describe_figure(fig) -> str:
    """Alternative text for ``fig``: the figure's title, then per plot its title, both axes
    (label with units, and the range of the tick labels), what is drawn (lines, bars, a
    heatmap's cells, points), the legend and the kit's notes under the title.

    Deterministic, plain text (mathtext is turned into words), at most about 300 characters
    per plot. The notebook HTML of the kit's reports puts it in the ``alt`` attribute of each
    figure's image (see :func:`enable_alt_text`).

    >>> import matplotlib
    >>> from matplotlib.figure import Figure
    >>> fig = Figure()
    >>> ax = fig.subplots()
    >>> _ = ax.plot([0, 1, 2], [1.0, 0.8, 0.7], label="web")
    >>> _ = ax.set(title="Still active", xlabel="days since first purchase", ylabel="share")
    >>> _ = ax.legend()
    >>> describe_figure(fig)
    'Still active. x: days since first purchase (0.00 to 2.00). y: share (0.70 to 1.00). 1 line; legend: web.'
    """
    panels = _panels(fig)
    head = ""
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None and suptitle.get_visible():
        head = _plain(suptitle.get_text())
    words = [_panel_words(ax) for ax in panels]
    if len(words) <= 1:
        body = words[0] if words else ""
        if head and body:
            return f"{head.rstrip('.')}. {body}"
        return head or body or "A figure with no title or labels."
    n = len(words)
    text = f"{head.rstrip('.') + ': ' if head else 'Figure with '}{n} plots. "
    return text + " ".join(f"Plot {i} of {n}: {w}" for i, w in enumerate(words, 1))


# -- alt text in notebooks: IPython's display formatter ----------------------------------

def _alt_text_metadata(fig):
    """IPython mime-bundle printer for Figure: no data (the png formatter renders the image),
    metadata ``alt`` for the image. Never raises: a figure is always shown, with or without
    a description."""
    try:
        text = describe_figure(fig)
    except Exception:
        return None
    if not text:
        return None
    # Per image type (read by the kit's nbconvert template) and at the top level, where it
    # survives an image formatter that returns metadata of its own (retina: width, height);
    # nbconvert's get_metadata filter falls back to it.
    return {}, {"image/png": {"alt": text}, "alt": text}


def _shell(shell=None):
    import sys

    if shell is not None:
        return shell
    if "IPython" not in sys.modules:  # a plain script: nothing to hook into (no import of IPython)
        return None
    try:
        from IPython import get_ipython
    except Exception:
        return None
    return get_ipython()


def enable_alt_text(shell=None) -> bool:
    """Give every matplotlib figure shown in this IPython kernel an ``alt`` text
    (:func:`describe_figure`) in its output's metadata (``metadata['image/png']['alt']``).
    Importing retention_kit does this in a notebook; outside IPython it does nothing.

    Uses IPython's public formatter registry (a mime-bundle printer for
    ``matplotlib.figure.Figure`` that returns only metadata), so matplotlib's own png
    formatter, which the inline backend re-registers, is left alone. A printer that someone
    else registered for Figure is kept. Returns whether the text is now added."""
    try:
        ip = _shell(shell)
        formatter = ip.display_formatter.mimebundle_formatter if ip is not None else None
        if formatter is None:
            return False
        try:
            current = formatter.lookup_by_type("matplotlib.figure.Figure")
        except KeyError:
            current = None
        if current is not None and current is not _alt_text_metadata:
            return False
        formatter.for_type_by_name("matplotlib.figure", "Figure", _alt_text_metadata)
        return True
    except Exception:
        return False


def disable_alt_text(shell=None) -> None:
    """Undo :func:`enable_alt_text`."""
    try:
        ip = _shell(shell)
        if ip is None:
            return
        formatter = ip.display_formatter.mimebundle_formatter
        try:
            current = formatter.lookup_by_type("matplotlib.figure.Figure")
        except KeyError:
            return
        if current is _alt_text_metadata:
            formatter.pop("matplotlib.figure.Figure", None)
    except Exception:
        pass
