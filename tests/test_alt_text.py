"""Alt text on every figure in the HTML (issue 16): :func:`describe_figure` writes it, the
IPython hook that importing retention_kit installs puts it into each figure's output metadata,
and the ``rk_lab`` nbconvert template (used by the report command and ``make report``) writes
it into the ``<img>``."""

import fnmatch
import re
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402

import retention_kit as rk  # noqa: E402
from retention_kit.plotting import describe_figure, disable_alt_text, enable_alt_text  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "retention_kit" / "templates"
PLACEHOLDER = "No description has been provided for this image"  # nbconvert's, for an <img> without alt


def _alts(html: str) -> list[str]:
    """The alt text of every <img> (None for an image without one), unescaped."""
    import html as html_lib

    out = []
    for tag in re.findall(r"<img\b[^>]*>", html):
        m = re.search(r"""\balt=(?:"([^"]*)"|'([^']*)')""", tag)
        out.append(html_lib.unescape(m.group(1) if m.group(1) is not None else m.group(2)) if m else None)
    return out


@pytest.fixture(scope="module")
def shop():
    return rk.load_coffee_shop()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# -- describe_figure ----------------------------------------------------------------------

def test_crr_plot_is_described_with_its_titles_axes_and_series(shop):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        crr = rk.crr_table(shop.transactions, "M", amount_col="amount")
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
    crr.plot(ax=axes[0])
    crr.plot_decomposition(ax=axes[1])
    text = describe_figure(fig)
    assert text.startswith("Figure with 2 plots. Plot 1 of 2: Customer retention per month.")
    first, second = text.split("Plot 2 of 2: ")
    for ax, part in zip(axes, (first, second)):
        assert ax.get_title() in part
        assert f"x: {ax.get_xlabel()}" in part and f"y: {ax.get_ylabel()}" in part
    assert "(0% to 100%)" in first  # the percent axis reads as percentages
    assert "3 lines; legend: CRR = (E - N) / S, kept of S (retained / S), churn rate (lost / S)" in first
    n_bars = 3 * len(crr.table)
    assert f"{n_bars} bars in 3 series" in second and "came back" in second
    assert describe_figure(fig) == text  # deterministic


def test_cohort_heatmap_is_described_with_its_grid_and_colour_scale(shop):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        cohorts = rk.cohort_table(shop.transactions, "M")
    ax = cohorts.plot_heatmap()
    text = describe_figure(ax.figure)
    rows, cols = cohorts.rates.shape
    assert text.startswith(ax.get_title() + ".")
    assert f"x: {ax.get_xlabel()}" in text and f"y: {ax.get_ylabel()} (" in text
    assert f"heatmap of {rows} rows × {cols} columns, colour scale 0% to " in text
    assert "colorbar" not in text.lower() and "Plot 1 of" not in text  # the colour bar is not a plot


def test_kaplan_meier_plot_is_described_with_groups_and_its_note(shop):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        life = rk.customer_lifetimes(shop.transactions, churn_after="30D", by=["channel"])
    curves = rk.kaplan_meier(life, by="channel")
    ax = curves.plot()
    text = describe_figure(ax.figure)
    groups = list(curves.fitters)
    assert text.startswith("Share of customers still active by channel (Kaplan-Meier).")
    assert "x: days since start (0 to " in text and "y: survival (retained) (0% to 100%)" in text
    assert f"{len(groups)} lines; legend: {', '.join(map(str, groups))}." in text
    assert "Starts below 100 % on day 0" in text  # the plot's note, for a reader who cannot see it
    assert "Plot 1 of" not in text  # the at-risk table's twin Axes is not a second plot
    assert len(text) <= 300


def test_text_is_plain_short_and_never_empty():
    fig, ax = plt.subplots()
    fig.suptitle(r"Survival $\hat{S}(t)$ at rate $\lambda$")
    ax.set_title("x" * 500)
    text = describe_figure(fig)
    assert text.startswith("Survival S(t) at rate λ. ") and "$" not in text and "\\" not in text
    assert len(text) < 330 and text.endswith("…")
    assert describe_figure(plt.figure()) == "A figure with no title or labels."


# -- the IPython hook -----------------------------------------------------------------------

def _shell():
    """What enable_alt_text needs of an IPython shell, with matplotlib's png formatter."""
    from IPython.core.formatters import DisplayFormatter
    from IPython.core.pylabtools import select_figure_formats

    shell = SimpleNamespace(display_formatter=DisplayFormatter())
    select_figure_formats(shell, {"png"})
    return shell


def test_hook_adds_alt_to_the_image_metadata_and_keeps_the_image():
    shell = _shell()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0.5])
    ax.set(title="Kept", xlabel="days", ylabel="share")
    assert enable_alt_text(shell) is True
    data, metadata = shell.display_formatter.format(fig)
    assert data["image/png"] and "text/plain" in data
    assert metadata["image/png"]["alt"] == describe_figure(fig) == metadata["alt"]
    # matplotlib's inline backend registers its png formatter again (e.g. %config
    # InlineBackend.figure_formats); the hook is on another formatter and stays. With retina
    # the png formatter returns metadata of its own; the top-level alt is still there.
    from IPython.core.pylabtools import select_figure_formats

    select_figure_formats(shell, {"retina"})
    data, metadata = shell.display_formatter.format(fig)
    assert set(metadata["image/png"]) == {"width", "height"} and metadata["alt"].startswith("Kept.")
    disable_alt_text(shell)
    assert "alt" not in shell.display_formatter.format(fig)[1]


def test_hook_never_breaks_display_and_respects_another_printer(monkeypatch):
    shell = _shell()
    fig, _ = plt.subplots()
    assert enable_alt_text(shell)

    def broken(fig):
        raise RuntimeError("boom")

    monkeypatch.setattr("retention_kit.plotting.describe_figure", broken)
    data, metadata = shell.display_formatter.format(fig)
    assert data["image/png"] and "alt" not in metadata
    disable_alt_text(shell)
    mine = lambda fig: ({}, {"image/png": {"alt": "mine"}})  # noqa: E731
    shell.display_formatter.mimebundle_formatter.for_type_by_name("matplotlib.figure", "Figure", mine)
    assert enable_alt_text(shell) is False
    assert shell.display_formatter.format(fig)[1]["image/png"]["alt"] == "mine"


def test_hook_is_a_no_op_outside_ipython():
    code = ("import sys, retention_kit.plotting as p; "
            "print(p.enable_alt_text(), 'IPython' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]  # and IPython is not even imported


# -- a real kernel and the template -----------------------------------------------------------

@pytest.fixture(scope="module")
def executed():
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import matplotlib.pyplot as plt\nimport retention_kit as rk\n"
            "shop = rk.load_coffee_shop()\nrk.cohort_table(shop.transactions, 'M').plot_heatmap()\nplt.show()"),
        nbformat.v4.new_code_cell(
            "fig, ax = plt.subplots()\nax.plot([0, 1], [1, 0.5], label='a <b> & \"c\"')\n"
            "ax.set_title('Quotes \"and\" <tags>')\nax.legend()"),
    ]
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   extra_arguments=["--IPKernelApp.log_level=ERROR"]).execute()
    return nb


def test_kernel_outputs_carry_the_alt_text(executed):
    images = [o for c in executed.cells for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 2
    heatmap, quotes = (o.metadata["image/png"]["alt"] for o in images)
    assert heatmap.startswith("Retention ('on') by monthly cohort") and "heatmap of" in heatmap
    assert quotes.startswith('Quotes "and" <tags>.') and 'legend: a <b> & "c"' in quotes


def test_template_writes_the_alt_text_into_every_img(executed):
    from nbconvert import HTMLExporter

    html, _ = HTMLExporter(template_name="rk_lab", extra_template_basedirs=[str(TEMPLATES)]).from_notebook_node(executed)
    alts = _alts(html)
    expected = [o.metadata["image/png"]["alt"] for c in executed.cells for o in c.outputs
                if "image/png" in o.get("data", {})]
    assert alts == expected  # escaped in the HTML, the same text once unescaped
    assert "<tags>" not in html.split("Quotes", 1)[1].split(">", 1)[0]
    # Without the template, nbconvert writes its placeholder: the template is what adds the text.
    assert set(_alts(HTMLExporter().from_notebook_node(executed)[0])) == {PLACEHOLDER}


# -- both producers ----------------------------------------------------------------------------

def test_report_command_gives_every_figure_an_alt_text(tmp_path):
    out = tmp_path / "example.html"
    done = subprocess.run([sys.executable, "-m", "retention_kit", "report", "--out", str(out), "-q"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    html = out.read_text()
    alts = _alts(html)
    assert len(alts) == len(re.findall(r"<img[^>]+src=\"data:image/png;base64,", html)) == 5
    assert all(a and a != PLACEHOLDER and len(a) > 40 for a in alts), alts
    joined = " ".join(alts)
    for title in ("Customer retention per month", "by monthly cohort", "Share of customers still active",
                  "Retention by arm since assignment"):
        assert title in joined


def test_make_report_and_the_wheel_use_the_template():
    make = (ROOT / "Makefile").read_text()
    report = make.split("\nreport:", 1)[1].split("\n\n", 1)[0]
    assert "--template rk_lab" in report
    assert "--TemplateExporter.extra_template_basedirs=$(CURDIR)/retention_kit/templates" in report
    assert (TEMPLATES / "rk_lab" / "index.html.j2").is_file()
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["retention_kit"]
    shipped = [p.relative_to(ROOT / "retention_kit").as_posix() for p in TEMPLATES.rglob("*") if p.is_file()
               and "__pycache__" not in p.parts]
    missing = [f for f in shipped if not any(fnmatch.fnmatch(f, pat) for pat in patterns)]
    assert shipped and not missing, f"add {missing} to [tool.setuptools.package-data] retention_kit"
    assert "recursive-include retention_kit/templates" in (ROOT / "MANIFEST.in").read_text()
