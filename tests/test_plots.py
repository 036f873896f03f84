"""What people see: the plots (issue 16). Each test renders with Agg and checks what a
reader would see: tick positions, tick and cell texts, labels, notes, overlaps."""

import re
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import retention_kit as rk  # noqa: E402
from retention_kit import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def shop():
    return rk.load_coffee_shop()


@pytest.fixture(scope="module")
def shop_life(shop):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rk.customer_lifetimes(shop.transactions, churn_after=60, start_times=shop.assignments,
                                     by=["arm", "channel"])


@pytest.fixture(scope="module")
def cdnow_monthly():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rk.cohort_table(rk.load_cdnow(), "M", first_cohort="keep")


@pytest.fixture(scope="module")
def weekly52():
    """A weekly cohort table with 52 cohorts (20 customers each, a few purchases each)."""
    rng = np.random.default_rng(16)
    rows = []
    first = pd.Timestamp("2024-01-01")
    for week in range(52):
        for k in range(20):
            cid = f"c{week}-{k}"
            start = first + pd.Timedelta(days=7 * week + int(rng.integers(0, 7)))
            rows.append((cid, start))
            for gap in np.cumsum(rng.integers(3, 40, size=4)):
                rows.append((cid, start + pd.Timedelta(days=int(gap))))
    events = pd.DataFrame(rows, columns=["customer_id", "date"])
    events = events[events["date"] <= pd.Timestamp("2024-12-31")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = rk.cohort_table(events, "W", first_cohort="keep", as_of="2024-12-31")
    assert len(table.rates) == 52
    return table


def _visible_labels(axis):
    return [t for t in axis.get_ticklabels() if t.get_visible() and t.get_text()]


def _assert_no_overlap(ax):
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for axis in (ax.xaxis, ax.yaxis):
        boxes = [t.get_window_extent(renderer) for t in _visible_labels(axis)]
        assert len(boxes) >= 2, f"{axis.axis_name} axis has fewer than 2 labelled ticks"
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                overlap_w = min(a.x1, b.x1) - max(a.x0, b.x0)
                overlap_h = min(a.y1, b.y1) - max(a.y0, b.y0)
                assert overlap_w <= 0.5 or overlap_h <= 0.5, (
                    f"{axis.axis_name} tick labels {_visible_labels(axis)[i].get_text()!r} and "
                    f"{_visible_labels(axis)[j].get_text()!r} overlap")


# -------------------------------------------------------------------- Kaplan-Meier table


@pytest.mark.parametrize("xticks", [None, [0, 60, 120, 180, 240, 300]])
def test_at_risk_counts_sit_under_the_axis_ticks(shop_life, xticks):
    km = rk.kaplan_meier(shop_life, by="channel")
    ax = km.plot(xticks=xticks)
    ticks = list(ax.get_xticks())
    if xticks is not None:
        assert ticks == [float(t) for t in xticks]
    table = plotting.table_of(ax)
    assert table is not None and list(table.get_xticks()) == ticks
    cells = [t for t in table.texts if t.get_gid() == "retention_kit-table"]
    header = [t for t in cells if t.get_color() == "black"]
    # one header row (the times) and two rows (at risk, churned) per segment, each with one cell per tick
    assert len(cells) == len(ticks) * (1 + 2 * len(km.fitters))
    assert sorted({t.xy[0] for t in cells}) == sorted(ticks)
    assert [t.get_text() for t in header] == [f"{v:g}" for v in ticks]
    # Rendered: each cell is centred under its tick label.
    ax.figure.tight_layout()
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    centres = {round(t.get_position()[0], 6): (lambda b: (b.x0 + b.x1) / 2)(t.get_window_extent(renderer))
               for t in ax.get_xticklabels() if t.get_text()}
    for cell in cells:
        box = cell.get_window_extent(renderer)
        assert abs((box.x0 + box.x1) / 2 - centres[round(cell.xy[0], 6)]) < 1.0
    # Rows are named by segment, and the unit is said.
    names = {t.get_text() for t in table.texts}
    assert {"app: at risk", "delivery: churned", "walk-in: at risk", "days"} <= names
    assert any("days since start" in t.get_text() for t in table.texts)
    # The numbers: at risk at day 0 is every customer of the segment.
    app = shop_life[shop_life["channel"] == "app"]
    at_risk = [t for t in cells if t.get_color() != "black"]
    assert at_risk[0].get_text() == f"{len(app):,}"


def test_survival_note_when_curve_starts_below_100(shop_life):
    km = rk.kaplan_meier(shop_life, by="channel")
    ax = km.plot(at_risk=False)
    found = plotting.notes(ax)
    assert len(found) == 1
    text = found[0].get_text().replace("\n", " ")
    assert "Starts below 100 % on day 0" in text and "never came back" in text
    s0 = float(km.fitters["app"].predict(0.0))
    assert f"{s0:.1%} (app)" in text
    # The title sits above the note, not on it.
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    assert ax.title.get_window_extent(renderer).y0 >= found[0].get_window_extent(renderer).y1 - 0.5

    clean = pd.DataFrame({"duration": [2.0, 3, 4, 5, 6], "churned": [1, 0, 1, 0, 0]})
    assert plotting.notes(rk.kaplan_meier(clean).plot()) == []


def test_compare_curves_keep_the_note_and_legend_outside(shop):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = rk.compare_retention(shop.assignments, shop.transactions, horizon="30D", churn_after="30D")
    ax = res.plot_curves(at_risk=False)
    assert plotting.notes(ax), "S(0) < 100 % here: the note must survive the re-titling"
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    assert ax.title.get_window_extent(renderer).y0 >= plotting.notes(ax)[0].get_window_extent(renderer).y1 - 0.5
    legend = ax.get_legend()
    assert legend is not None and legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1
    assert ax.yaxis.get_major_formatter()(0.5, 0).endswith("%")


# -------------------------------------------------------------------- Cox / hazard ratios


_PLAIN = re.compile(r"^\d+(\.\d+)?$")


def test_cox_axis_reads_plain_hazard_ratios(shop_life):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cox = rk.cox_drivers(shop_life, covariates=["arm", "channel"],
                             reference={"arm": "control", "channel": "walk-in"})
    ax = cox.plot()
    ax.figure.canvas.draw()
    assert ax.get_xscale() == "log"
    major = [t.get_text() for t in _visible_labels(ax.xaxis)]
    minor = [t.get_text() for t in ax.xaxis.get_minorticklabels() if t.get_visible() and t.get_text()]
    assert major and all(_PLAIN.match(t) for t in major), major
    assert "1" in major and not minor
    assert any(abs(line.get_xdata()[0] - 1.0) < 1e-12 for line in ax.get_lines())  # reference line at 1
    assert "> 1" in ax.get_xlabel()
    _assert_no_overlap(ax)


def test_hazard_ratio_over_time_axis_is_plain(shop):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = rk.compare_retention(shop.assignments, shop.transactions, horizon="30D", churn_after="30D")
    ax = res.plot_hazard_ratio()
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in _visible_labels(ax.yaxis)]
    assert labels and all(_PLAIN.match(t) for t in labels) and "1" in labels
    assert "> 1" in ax.get_ylabel()


# -------------------------------------------------------------------- cohorts


def test_heatmap_cells_show_one_decimal_with_percent(cdnow_monthly):
    ax = cdnow_monthly.plot_heatmap()
    texts = [t.get_text() for t in ax.texts if t.get_gid() is None]
    assert texts and all(re.fullmatch(r"\d{1,3}\.\d%", t) for t in texts), texts[:5]
    v = cdnow_monthly.rates.loc["1997-01", 1]
    assert f"{100 * v:.1f}%" in texts
    # Text colour contrasts with the cell: white on the darkest cell, black on the palest.
    image = ax.get_images()[0]
    by_text = {t.get_text(): t for t in ax.texts}
    later = cdnow_monthly.rates.drop(columns=0)
    darkest, palest = later.max().max(), later.min().min()
    assert by_text[f"{100 * darkest:.1f}%"].get_color() == "white"
    assert by_text[f"{100 * palest:.1f}%"].get_color() == "black"
    # An observed 0 % is coloured, not white like a cell not observed yet.
    assert sum(1 - c for c in image.get_cmap()(image.norm(0.0))[:3]) > 0.12
    # Unobserved cells are said to be blank (the 1997-03 cohort has no period 17 yet).
    assert np.isnan(cdnow_monthly.rates.loc["1997-03", 17])
    words = " ".join(t.get_text() for t in ax.texts).replace("\n", " ")
    assert "Blank: not observed yet" in words and "Hatched: partial period" in words


def test_weekly_tick_labels_never_overlap(weekly52):
    ax = weekly52.plot_heatmap()
    labels = [t.get_text() for t in _visible_labels(ax.yaxis)]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", t) for t in labels), labels[:3]  # a date, not a range
    _assert_no_overlap(ax)
    _assert_no_overlap(weekly52.plot_curves())
    # A small Axes too: fewer labels, still no overlap.
    fig, small = plt.subplots(figsize=(4, 3))
    _assert_no_overlap(weekly52.plot_heatmap(ax=small))


def test_cohort_curves_leave_period_0_out_by_default(cdnow_monthly):
    ax = cdnow_monthly.plot_curves()
    ax.figure.canvas.draw()
    first_label = _visible_labels(ax.xaxis)[0].get_text()
    assert first_label == "1"
    assert "period 0" in ax.get_xlabel() and "left out" in ax.get_xlabel()
    top = max(np.nanmax(line.get_ydata()) for line in ax.get_lines())
    assert top < 0.5 and ax.get_ylim()[1] < 0.5  # the 6-15 % range fills the axis
    assert ax.yaxis.get_major_formatter()(0.1, 0).endswith("%")

    ax = cdnow_monthly.plot_curves(period0=True)
    ax.figure.canvas.draw()
    assert _visible_labels(ax.xaxis)[0].get_text() == "0"
    assert max(np.nanmax(line.get_ydata()) for line in ax.get_lines()) == pytest.approx(1.0)
    assert ax.get_ylim()[1] > 1.0  # headroom above 100 %
    assert "left out" not in ax.get_xlabel()


def test_cohort_curves_legend_is_outside_and_thinned(weekly52):
    ax = weekly52.plot_curves()
    legend = ax.get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    assert len(texts) == 3 and "first cohort" in texts[0] and "last cohort" in texts[1]
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1


# -------------------------------------------------------------------- CRR


def test_crr_legends_do_not_cover_the_data_and_have_headroom():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = rk.crr_table(rk.load_coffee_shop().transactions, freq="M", amount_col="amount")
    fig, axes = plt.subplots(1, 2, figsize=(13, 4))
    table.plot(ax=axes[0])
    table.plot_decomposition(ax=axes[1])
    fig.tight_layout()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in axes:
        legend = ax.get_legend()
        assert legend is not None
        assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1
        top = max(ax.dataLim.y1, 0)
        assert ax.get_ylim()[1] > top
        _assert_no_overlap(ax)
        assert ax.title.get_window_extent(renderer).y1 <= fig.bbox.y1  # the title is not cut
    assert axes[0].get_ylim()[1] > 1.0  # the 100 % line is not on the frame


# -------------------------------------------------------------------- contractual, backtest


def test_sbg_axis_names_the_unit():
    model = rk.fit_sbg([1000, 631, 468, 382])
    ax = model.plot(periods=12, unit="year")
    assert "year" in ax.get_xlabel() and "period" not in ax.get_xlabel().split("(")[0]
    assert ax.get_ylim()[1] > 1.0  # the first point (100 %) is not cut by the frame
    assert model.plot(periods=12).get_xlabel() == "period"  # the counts alone do not say
    assert "month" in model.plot(unit="month").get_xlabel()


def test_backtest_plots_use_percent_axes_and_outside_legends():
    events = pd.DataFrame({"customer_id": ["a", "a", "b", "b", "c", "c", "c"],
                           "date": pd.to_datetime(["2024-01-01", "2024-02-15", "2024-01-10", "2024-03-01",
                                                   "2024-01-20", "2024-02-01", "2024-04-20"])})

    def shares(ev, as_of):
        n = ev["customer_id"].nunique()
        return {"repeat": float((ev.groupby("customer_id").size() > 1).mean()), "single": 1 / max(n, 1)}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bt = rk.backtest(shares, events, ["2024-02-01", "2024-03-01", "2024-04-30"], name="spy")
    ax = bt.plot()
    assert ax.get_ylabel() == "share (%)" and ax.yaxis.get_major_formatter()(0.5, 0).endswith("%")
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    assert ax.get_legend().get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1
    _assert_no_overlap(ax)


# -------------------------------------------------------------------- one plot contract (issue 14)
#
# plot…(self, ax=None, *, <options keyword-only>, **kwargs) -> Axes: ``ax`` first and
# positional-or-keyword, every other option keyword-only, ``**kwargs`` to the main artist over
# the plot's own defaults (so color= / label= override instead of raising "multiple values").

import importlib  # noqa: E402
import inspect  # noqa: E402
import pkgutil  # noqa: E402

from matplotlib.colors import same_color, to_rgb  # noqa: E402
from test_result_contract import _build, _package_classes  # noqa: E402

from retention_kit.results import Result  # noqa: E402

# Plot functions of report.py are being reworked with the report (not part of this contract yet).
# plot_monitoring draws one panel per treatment arm on ``axes`` (a sequence), not one Axes.
_NOT_YET = {"retention_kit.report.plot_monitoring"}


def _is_plot(name: str) -> bool:
    return name == "plot" or name.startswith("plot_")


def _plot_methods() -> list:
    found = {}
    for qual, cls in _package_classes().items():
        if not issubclass(cls, Result):
            continue
        for name, member in inspect.getmembers(cls, inspect.isfunction):
            if _is_plot(name):
                found[f"{member.__module__}.{member.__qualname__}"] = member
    return sorted(found.items())


def _plot_functions() -> list:
    found = {}
    for info in pkgutil.walk_packages(rk.__path__, prefix="retention_kit."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, fn in vars(module).items():
            if inspect.isfunction(fn) and _is_plot(name) and fn.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = fn
    return sorted((k, v) for k, v in found.items() if k not in _NOT_YET)


PLOT_METHODS = _plot_methods()
PLOT_FUNCTIONS = _plot_functions()


def _check_signature(fn, skip: int) -> None:
    params = list(inspect.signature(fn).parameters.values())[skip:]
    assert params, f"{fn.__qualname__} takes no ax"
    ax = params[0]
    assert ax.name == "ax" and ax.default is None and ax.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, \
        f"{fn.__qualname__}: the first parameter must be ax=None, positional-or-keyword; got {ax}"
    rest = params[1:]
    assert rest and rest[-1].kind is inspect.Parameter.VAR_KEYWORD, f"{fn.__qualname__} has no **kwargs"
    wrong = [p.name for p in rest[:-1] if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    assert not wrong, f"{fn.__qualname__}: options {wrong} must be keyword-only"
    assert "kwargs" in (inspect.getdoc(fn) or ""), f"{fn.__qualname__}: the docstring must say where kwargs go"


def test_every_result_class_with_a_plot_is_walked():
    names = {q.rsplit(".", 2)[-2] for q, _ in PLOT_METHODS}
    assert {"CRRTable", "CohortTable", "SurvivalCurves", "RetentionComparison", "SequentialDesign",
            "ConfidenceSequence", "_RetentionModel"} <= names, names
    assert len(PLOT_METHODS) >= 20
    assert {q.rsplit(".", 1)[-1] for q, _ in PLOT_FUNCTIONS} >= {
        "plot_tracking", "plot_conditional_expectations", "plot_frequency_histogram"}


@pytest.mark.parametrize("qual, method", PLOT_METHODS, ids=[q for q, _ in PLOT_METHODS])
def test_plot_method_signature(qual, method):
    _check_signature(method, skip=1)


@pytest.mark.parametrize("qual, function", PLOT_FUNCTIONS, ids=[q for q, _ in PLOT_FUNCTIONS])
def test_plot_function_signature(qual, function):
    _check_signature(function, skip=1)  # the table to draw comes first


@pytest.fixture(scope="module")
def built():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _build()


_MINE = "#123456"


def _artists(ax):
    return [*ax.lines, *ax.collections, *ax.patches, *ax.containers, *ax.images]


def _reaches(ax, label):
    """Some artist (or errorbar/bar container) of ``ax`` has ``label`` and the colour _MINE."""
    for artist in _artists(ax):
        if artist.get_label() != label:
            continue
        parts = list(artist) if isinstance(artist, matplotlib.container.Container) else [artist]
        for part in parts:
            if part is None:
                continue
            for getter in ("get_color", "get_facecolor"):
                colour = getattr(part, getter, None)
                if colour is None:
                    continue
                value = colour()
                values = value if np.ndim(value) == 2 else [value]
                if len(values) and all(same_color(to_rgb(v), _MINE) for v in values):  # alpha aside
                    return True
    return False


def _calls():
    """Every plot method of every built result (names from test_result_contract)."""
    from test_result_contract import NAMES

    out = []
    for name in NAMES:
        cls_name = name.split(" ")[0]
        for qual, _ in PLOT_METHODS:
            owner, method = qual.rsplit(".", 2)[-2:]
            if owner == cls_name or (owner == "_RetentionModel" and cls_name in ("SBGModel", "BdWModel")):
                out.append((name, method))
    return out


PLOT_CALLS = _calls()


# Every concrete Result class has an instance in test_result_contract.py (its own package walk
# fails otherwise), so every plot method below is called on a real result.


@pytest.mark.parametrize("name, method", PLOT_CALLS, ids=[f"{n}.{m}" for n, m in PLOT_CALLS])
def test_ax_positional_and_kwargs_reach_the_main_artist(built, name, method):
    plot = getattr(built[name], method)
    fig, ax = plt.subplots()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = plot(ax)
    except rk.ParameterError:  # e.g. curves of a comparison made from counts: nothing to draw
        with pytest.raises(rk.ParameterError):
            plot(ax, color=_MINE)
        return
    assert out is ax and _artists(ax), f"{name}.{method}(ax) must draw on ax and return it"
    plt.close(fig)

    fig, ax = plt.subplots()
    if method == "plot_heatmap":
        out = plot(ax, cmap="Greens", label="mine")
        assert out is ax and ax.get_images()[0].get_cmap().name == "Greens"
        assert ax.get_images()[0].get_label() == "mine"
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = plot(ax, color=_MINE, label="mine")  # both are defaults of some plots: no TypeError
    assert out is ax
    assert _reaches(ax, "mine"), f"color= / label= did not reach the main artist of {name}.{method}"


def test_alias_overrides_a_default_and_old_keyword_calls_still_work(built):
    # lw= overrides the default linewidth of the cohort average (no "both lw and linewidth")
    ax = built["CohortTable"].plot_curves(lw=5)
    assert any(line.get_linewidth() == 5 for line in ax.get_lines())
    # the options of the comparison's curves are named now, and still keyword-compatible
    ax = built["RetentionComparison"].plot_curves(ax=None, at_risk=False, ci_show=False, lw=3)
    assert any(line.get_linewidth() == 3 for line in ax.get_lines())
    ax = built["RetentionComparison"].plot_hazard_ratio(intervals=2)
    assert ax.get_yscale() == "log"
    with pytest.raises(TypeError):
        built["RetentionComparison"].plot_hazard_ratio(None, 2)  # intervals is keyword-only
    fig, ax = plt.subplots()
    assert built["CRRTable"].plot(ax=ax) is ax and built["CRRTable"].plot_decomposition(ax) is ax


def test_plot_functions_take_ax_positionally_and_style_the_model():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cdnow = rk.load_cdnow()
        sample = cdnow[cdnow["customer_id"].isin(rk.cdnow_sample_ids())]
        summary = rk.rfm_summary(sample, "1997-09-30", "1998-06-30")
        bg = rk.fit_bgnbd(summary)
    tables = [(rk.plot_tracking, rk.tracking_table(bg, sample, "1997-09-30", "1998-06-30")),
              (rk.plot_conditional_expectations, rk.conditional_expectations_table(bg, summary)),
              (rk.plot_frequency_histogram, rk.frequency_histogram_table(bg, summary))]
    for plot, table in tables:
        fig, ax = plt.subplots()
        assert plot(table, ax) is ax
        fig, ax = plt.subplots()
        assert plot(table, ax, color=_MINE, label="BG/NBD") is ax
        assert _reaches(ax, "BG/NBD"), plot.__name__
        # the actual data keep their own style: black, labelled "actual"
        actual = [a for a in _artists(ax) if a.get_label() == "actual"]
        assert actual
        assert plot(table, ax=ax) is ax  # the keyword call of before
