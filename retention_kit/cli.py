"""The command line: ``retention-kit report DATA ... --out report.html``.

This module only defines the options (:func:`build_parser`) and the entry point
(:func:`main`); :mod:`retention_kit.report.run` checks the file and the options first (a bad
column, file or date stops there, before anything runs, with a message that says what to do),
executes the report notebook with papermill, and writes a self-contained HTML file, and the
executed notebook if asked. Output files are written under a temporary name in the same
folder and renamed at the end, so a failed run never leaves a half-written report behind.

Exit codes: 0 done; 1 the data or an option cannot be analysed (the message says why);
2 the command line itself is wrong (unknown option, output exists without --force);
3 the report notebook failed for another reason (a bug: please report it).
"""

from __future__ import annotations

import argparse
import sys
import textwrap

from .report.run import EXIT_USAGE, run_command, run_report

__all__ = ["main"]

DESCRIPTION = """\
Turn a customer event log (one row per purchase, visit or login) into a retention report:
data quality, customer retention rate (CRR) per period with its decomposition, acquisition
cohorts (heatmap and curves), how long customers stay (survival curves, per segment when you
name a segment column) and, when you name an experiment-arm column, whether the treatment
arm kept more customers than control."""

REPORT_EPILOG = """\
examples:
  retention-kit report --out example.html
      the bundled coffee-shop example (segments and a loyalty-programme experiment)
  retention-kit report orders.csv --customer-col client --time-col ordered_at \\
      --amount-col total --out orders_report.html
  retention-kit report visits.parquet --customer-col user_id --time-col ts \\
      --segment-col plan --arm-col variant --control A --period W --out visits.html
  retention-kit report --as-of 2024-05-31 --planned-n 1500 --looks 4 --out interim.html
      the example's experiment read as an interim look of a four-look plan

Dates: ISO dates (2024-03-31, 2024-03-31 14:05) are read as they are. Dates such as
25/03/2024 or 03/25/2024 are read day first or month first when some value shows which (a
day above 12), and the report says so; when none does (03/04/2024), say which number is the
day with --date-format '%d/%m/%Y' (or '%m/%d/%Y'). Other layouts need --date-format.

The HTML file is self-contained (plots embedded): send it by e-mail or open it offline.
It names the data file with its SHA-256 checksum, the options, the retention_kit version
and the run time, and shows the command that re-runs it.

exit codes: 0 done, 1 the data or an option cannot be analysed (nothing is written),
2 wrong command line, 3 the report failed for another reason (please report it)."""


# The "experiment plan" group's description (wrapped to the help's width).
PLAN_HELP = (
    "While part of the customers are not yet mature (assigned too recently to know whether "
    "they were retained), or with --planned-n or --looks, the experiment is read as an interim "
    "look of a group-sequential plan (O'Brien-Fleming-type boundaries), which says whether "
    "the evidence is strong enough to stop early; the report also says when the experiment "
    "can be read in full at the observed enrolment rate.")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own exit code (2), with a pointer to --help
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\nRun '{self.prog} --help' for every option.\n")


def build_parser() -> argparse.ArgumentParser:
    """``retention-kit`` and its ``report`` command, whose options come in four groups."""
    from . import __version__

    parser = _Parser(prog="retention-kit", description=DESCRIPTION,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"retention_kit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    rep = commands.add_parser(
        "report", help="write a retention report (HTML) from a CSV or Parquet file",
        description=DESCRIPTION, epilog=REPORT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_data_options(rep.add_argument_group("your data"))
    _add_analysis_options(rep.add_argument_group("analysis"))
    _add_plan_options(rep.add_argument_group("experiment plan", textwrap.fill(PLAN_HELP, width=76)))
    _add_output_options(rep.add_argument_group("output"))
    rep.set_defaults(func=run_report)
    return parser


def _add_data_options(group) -> None:
    """The file and its columns (DATA, --customer-col ... --control)."""
    group.add_argument("data", nargs="?", metavar="DATA",
                       help="CSV (.csv, .tsv, also .csv.gz/.zip) or Parquet file with one row per event. "
                            "Leave it out to run on the bundled coffee-shop example.")
    group.add_argument("--customer-col", metavar="COL",
                       help="column with the customer id (default: customer_id)")
    group.add_argument("--time-col", metavar="COL",
                       help="column with the date or date-time of each event (default: date)")
    group.add_argument("--date-format", metavar="FMT",
                       help="how the dates are written, e.g. '%%d/%%m/%%Y' (day first) or "
                            "'%%m/%%d/%%Y %%H:%%M'; needed when no value shows which number is the day (03/04/2024) "
                            "and for dates that are neither ISO nor day/month/year")
    group.add_argument("--amount-col", metavar="COL",
                       help="column with the amount paid; adds revenue retention and a customer-value "
                            "section (optional)")
    group.add_argument("--segment-col", metavar="COL",
                       help="column with a segment such as channel, plan or country; adds survival "
                            "curves per segment (each customer counts in the segment of their first "
                            "event) (optional)")
    group.add_argument("--arm-col", metavar="COL",
                       help="column with each customer's experiment arm; adds the experiment verdict. "
                            "Each customer's clock starts at their first event that carries an arm, or "
                            "at --assigned-col (optional)")
    group.add_argument("--assigned-col", metavar="COL",
                       help="with --arm-col: column with each customer's assignment time, where their "
                            "clock starts (events before it do not count) (optional)")
    group.add_argument("--control", metavar="ARM", default="control",
                       help="the arm the others are compared with (default: control)")


def _add_analysis_options(group) -> None:
    """--period, --as-of, --churn-after and --horizon."""
    group.add_argument("--period", default="M", metavar="P",
                       help="period of the retention rate and the cohorts: D (day), W (week, Monday "
                            "first), M (month, default), Q (quarter) or Y (year)")
    group.add_argument("--as-of", metavar="DATE",
                       help="end of observation, e.g. 2024-12-31; later events are left out "
                            "(default: the last date in the data)")
    group.add_argument("--churn-after", metavar="DAYS",
                       help="a customer silent for this long is counted as churned: a number of days "
                            "(30) or a length with its unit (30D, 8W, 12h; months have no fixed "
                            "length) (default: chosen from the data, the 95th percentile of the gaps "
                            "between a customer's purchases; the report says which)")
    group.add_argument("--horizon", default="30D", metavar="DAYS",
                       help="experiment only: 'retained' means bought again after this long: a "
                            "number of days (30) or a length with its unit (30D, 4W) (default: 30D)")


def _add_plan_options(group) -> None:
    """The experiment's plan: --planned-n, --mde and --looks."""
    group.add_argument("--planned-n", metavar="N",
                       help="planned mature customers per arm at the plan's last look, e.g. 1500 (default: the "
                            "sample that --mde needs from the control's observed retention, 80%% power)")
    group.add_argument("--mde", metavar="POINTS",
                       help="minimum detectable effect in percentage points, e.g. 5 for 60 %% -> 65 %%; sizes the "
                            "plan when --planned-n is not given (default: 5)")
    group.add_argument("--looks", metavar="K",
                       help="planned looks, the final one included, 2 to 20 (default: 4 when a plan is read)")


def _add_output_options(group) -> None:
    """Where and how the report is written (--out ... --notebook)."""
    group.add_argument("--out", "-o", required=True, metavar="FILE.html",
                       help="where to write the HTML report (required)")
    group.add_argument("--notebook-out", metavar="FILE.ipynb",
                       help="also write the executed notebook, to open in JupyterLab")
    group.add_argument("--show-code", action="store_true",
                       help="keep the code cells in the HTML (hidden by default)")
    group.add_argument("--force", action="store_true", help="overwrite output files that already exist")
    group.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    group.add_argument("--notebook", metavar="FILE.ipynb",
                       help="run your own copy of the report notebook instead of the bundled one")


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``retention-kit`` and ``python -m retention_kit``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return run_command(args.func, args)
