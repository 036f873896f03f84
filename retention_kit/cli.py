"""The command line: ``retention-kit report DATA ... --out report.html``.

It checks the file and the options first (a bad column, file or date stops here, before
anything runs, with a message that says what to do), executes the report notebook with
papermill, and writes a self-contained HTML file, and the executed notebook if asked.
Output files are written under a temporary name in the same folder and renamed at the
end, so a failed run never leaves a half-written report behind.

Exit codes: 0 done; 1 the data or an option cannot be analysed (the message says why);
2 the command line itself is wrong (unknown option, output exists without --force);
3 the report notebook failed for another reason (a bug: please report it).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import tempfile
import textwrap
import threading
from pathlib import Path

from .errors import DataError, ParameterError

__all__ = ["main"]

EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3

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

Dates: ISO dates (2024-03-31, 2024-03-31 14:05) are read as they are. For dates such as
03/04/2024, say which number is the day with --date-format '%d/%m/%Y' (or '%m/%d/%Y').

The HTML file is self-contained (plots embedded): send it by e-mail or open it offline.
It names the data file with its SHA-256 checksum, the options, the retention_kit version
and the run time, and shows the command that re-runs it.

exit codes: 0 done, 1 the data or an option cannot be analysed (nothing is written),
2 wrong command line, 3 the report failed for another reason (please report it)."""

# Argument names in the kit's messages, as the command line spells them.
_FLAG_WORDS = {"customer_col": "--customer-col", "time_col": "--time-col", "amount_col": "--amount-col",
               "as_of": "--as-of", "churn_after": "--churn-after", "date_format": "--date-format",
               "segment_col": "--segment-col", "arm_col": "--arm-col", "planned_n": "--planned-n",
               "mde": "--mde", "looks": "--looks"}
_FLAG_ASSIGN = {"freq": "--period", "horizon": "--horizon", "period": "--period"}


_CDN_SCRIPT = re.compile(r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>\s*")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own exit code (2), with a pointer to --help
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\nRun '{self.prog} --help' for every option.\n")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(prog="retention-kit", description=DESCRIPTION,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"retention_kit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    rep = commands.add_parser(
        "report", help="write a retention report (HTML) from a CSV or Parquet file",
        description=DESCRIPTION, epilog=REPORT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)

    data = rep.add_argument_group("your data")
    data.add_argument("data", nargs="?", metavar="DATA",
                      help="CSV (.csv, .tsv, also .csv.gz/.zip) or Parquet file with one row per event. "
                           "Leave it out to run on the bundled coffee-shop example.")
    data.add_argument("--customer-col", metavar="COL",
                      help="column with the customer id (default: customer_id)")
    data.add_argument("--time-col", metavar="COL",
                      help="column with the date or date-time of each event (default: date)")
    data.add_argument("--date-format", metavar="FMT",
                      help="how the dates are written, e.g. '%%d/%%m/%%Y' (day first) or "
                           "'%%m/%%d/%%Y %%H:%%M'; needed only when day and month could be swapped")
    data.add_argument("--amount-col", metavar="COL",
                      help="column with the amount paid; adds revenue retention and a customer-value "
                           "section (optional)")
    data.add_argument("--segment-col", metavar="COL",
                      help="column with a segment such as channel, plan or country; adds survival "
                           "curves per segment (each customer counts in the segment of their first "
                           "event) (optional)")
    data.add_argument("--arm-col", metavar="COL",
                      help="column with each customer's experiment arm; adds the experiment verdict. "
                           "Each customer's clock starts at their first event that carries an arm, or "
                           "at --assigned-col (optional)")
    data.add_argument("--assigned-col", metavar="COL",
                      help="with --arm-col: column with each customer's assignment time, where their "
                           "clock starts (events before it do not count) (optional)")
    data.add_argument("--control", metavar="ARM", default="control",
                      help="the arm the others are compared with (default: control)")

    analysis = rep.add_argument_group("analysis")
    analysis.add_argument("--period", default="M", metavar="P",
                          help="period of the retention rate and the cohorts: D (day), W (week, Monday "
                               "first), M (month, default), Q (quarter) or Y (year)")
    analysis.add_argument("--as-of", metavar="DATE",
                          help="end of observation, e.g. 2024-12-31; later events are left out "
                               "(default: the last date in the data)")
    analysis.add_argument("--churn-after", metavar="DAYS",
                          help="a customer silent for this long is counted as churned: a number of days "
                               "(30) or a length with its unit (30D, 8W, 12h; months have no fixed "
                               "length) (default: chosen from the data, the 95th percentile of the gaps "
                               "between a customer's purchases; the report says which)")
    analysis.add_argument("--horizon", default="30D", metavar="DAYS",
                          help="experiment only: 'retained' means bought again after this long: a "
                               "number of days (30) or a length with its unit (30D, 4W) (default: 30D)")

    plan = rep.add_argument_group("experiment plan", textwrap.fill(
        "While part of the customers are not yet mature (assigned too recently to know whether "
        "they were retained), or with --planned-n or --looks, the experiment is read as an interim "
        "look of a group-sequential plan (O'Brien-Fleming-type boundaries), which says whether "
        "the evidence is strong enough to stop early; the report also says when the experiment "
        "can be read in full at the observed enrolment rate.", width=76))
    plan.add_argument("--planned-n", metavar="N",
                      help="planned mature customers per arm at the plan's last look, e.g. 1500 (default: the "
                           "sample that --mde needs from the control's observed retention, 80%% power)")
    plan.add_argument("--mde", metavar="POINTS",
                      help="minimum detectable effect in percentage points, e.g. 5 for 60 %% -> 65 %%; sizes the "
                           "plan when --planned-n is not given (default: 5)")
    plan.add_argument("--looks", metavar="K",
                      help="planned looks, the final one included, 2 to 20 (default: 4 when a plan is read)")

    output = rep.add_argument_group("output")
    output.add_argument("--out", "-o", required=True, metavar="FILE.html",
                        help="where to write the HTML report (required)")
    output.add_argument("--notebook-out", metavar="FILE.ipynb",
                        help="also write the executed notebook, to open in JupyterLab")
    output.add_argument("--show-code", action="store_true",
                        help="keep the code cells in the HTML (hidden by default)")
    output.add_argument("--force", action="store_true", help="overwrite output files that already exist")
    output.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    output.add_argument("--notebook", metavar="FILE.ipynb",
                        help="run your own copy of the report notebook instead of the bundled one")
    rep.set_defaults(func=run_report)
    return parser


def _for_cli(message: str) -> str:
    """The kit speaks Python (customer_col=...); the reader typed --customer-col."""
    for word, flag in _FLAG_WORDS.items():
        message = re.sub(rf"\b{word}\b", flag, message)
    for word, flag in _FLAG_ASSIGN.items():
        message = re.sub(rf"\b{word}=", f"{flag}=", message)
    return message


def _fail(code: int, message: str, *, nothing_written: bool = True) -> int:
    text = textwrap.fill(" ".join(message.split()), width=100, break_long_words=False,
                         break_on_hyphens=False, initial_indent="retention-kit: ",
                         subsequent_indent="  ")
    print(text + ("\n  Nothing was written." if nothing_written else ""), file=sys.stderr)
    return code


def _config(args):
    from .report import ReportConfig, join_words, plan_options

    if args.assigned_col and not args.arm_col:
        raise _Usage("--assigned-col is the assignment time of an experiment: give --arm-col too.")
    given = [flag for flag, value in (("--planned-n", args.planned_n), ("--mde", args.mde), ("--looks", args.looks))
             if value is not None]
    if given and args.data is not None and not args.arm_col:
        raise _Usage(f"{join_words(given)} plan{'s' if len(given) == 1 else ''} an experiment: give --arm-col too.")
    try:
        planned_n, mde, looks = plan_options(args.planned_n, args.mde, args.looks, cli=True)
    except ParameterError as exc:
        raise _Usage(str(exc)) from None
    plan = {"planned_n": planned_n, "mde": mde, "looks": looks}
    columns = ("customer_col", "time_col", "amount_col", "segment_col", "arm_col", "assigned_col", "date_format")
    if args.data is None:
        given = [f"--{c.replace('_', '-')}" for c in columns if getattr(args, c) is not None]
        if given:
            raise _Usage(f"{', '.join(given)} describe your own file: give the file (DATA) too. Without "
                         "DATA the report runs on the bundled coffee-shop example, whose columns are known.")
        return ReportConfig(control_arm=args.control, period=args.period, as_of=args.as_of,
                            churn_after=args.churn_after, horizon=args.horizon, **plan, cli=True)
    return ReportConfig(
        data_path=str(Path(args.data).expanduser().resolve()) if Path(args.data).expanduser().exists() else args.data,
        customer_col=args.customer_col or "customer_id", time_col=args.time_col or "date",
        amount_col=args.amount_col, segment_col=args.segment_col, arm_col=args.arm_col,
        assigned_col=args.assigned_col, control_arm=args.control, date_format=args.date_format, period=args.period, as_of=args.as_of,
        churn_after=args.churn_after, horizon=args.horizon, **plan, cli=True)


class _Usage(Exception):
    pass


def _outputs(args) -> list[Path]:
    outs = [Path(args.out).expanduser()]
    if args.notebook_out:
        outs.append(Path(args.notebook_out).expanduser())
    if len(outs) == 2 and outs[0].resolve() == outs[1].resolve():
        raise _Usage("--out and --notebook-out name the same file; give two different files.")
    if args.data and Path(args.data).expanduser().exists() and any(
            o.exists() and o.resolve() == Path(args.data).expanduser().resolve() for o in outs):
        raise _Usage(f"The output {args.out} is your data file; choose another --out.")
    for out in outs:
        if not out.parent.is_dir():
            raise _Usage(f"The folder {str(out.parent)!r} for {out.name} does not exist; create it first "
                         "or choose another path.")
        if out.is_dir():
            raise _Usage(f"{str(out)!r} is a folder; give a file name such as {out / 'report.html'}.")
        if out.exists() and not args.force:
            raise _Usage(f"{str(out)!r} already exists and was left as it is. Pass --force to overwrite it, "
                         "or choose another file name.")
        _check_writable(out.parent)
    return outs


def _html(nb, show_code: bool, title: str) -> str:
    from importlib.resources import files

    from nbconvert import HTMLExporter

    # rk_lab: nbconvert's lab template with each figure's alt text (shipped in the package;
    # `make report` uses it too).
    templates = str(files("retention_kit") / "templates")
    exporter = HTMLExporter(template_name="rk_lab", extra_template_basedirs=[templates],
                            exclude_input=not show_code, exclude_input_prompt=not show_code,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    # The template loads require.js and MathJax from a CDN; the report needs neither (no
    # widgets, no formulas), and without them it opens offline without fetching anything.
    return _CDN_SCRIPT.sub("", body)


def _file_mode() -> int:
    # mkstemp makes files 0600 whatever the umask; a report is for colleagues, so it gets the
    # mode any new file would get here (0644 under the usual umask 022).
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _check_writable(folder: Path) -> None:
    """Fail before the notebook runs, not after, when the folder takes no new files."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".retention-kit-check.", dir=folder)
    except OSError as exc:
        raise _Usage(f"Cannot write in the folder {str(folder)!r} ({exc.strerror}); choose another "
                     "--out or fix the folder's permissions.") from None
    os.close(fd)
    os.remove(probe)


def _write_atomically(targets: list[tuple[Path, str]], *, force: bool) -> None:
    """Write every file under a temporary name next to it, then put them in place; on any
    failure (a SIGTERM included) remove the temporary files, so no half-written output is
    left. Without ``force`` a file is put in place only if none exists by then (a hard link
    fails on an existing name), so a file created while the report ran is never replaced."""
    temps, placed = [], []
    try:
        for path, text in targets:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            temps.append(tmp)
            os.fchmod(fd, _file_mode())
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
        for (path, _), tmp in zip(targets, temps):
            if force:
                os.replace(tmp, path)
                continue
            try:
                _place_new(tmp, path)
            except FileExistsError:
                raise _Usage(f"{str(path)!r} appeared while the report ran and was left as it is. Pass "
                             "--force to overwrite it, or choose another file name.") from None
            placed.append(path)
        placed.clear()
    finally:
        for path in placed:  # an earlier output of this run, when a later one could not be placed
            path.unlink(missing_ok=True)
        for tmp in temps:
            if os.path.exists(tmp):
                os.remove(tmp)


def _place_new(tmp: str, path: Path) -> None:
    """Give ``tmp`` the name ``path`` only if that name is free (FileExistsError otherwise)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: claim the name, then fill it
        with open(path, "x"):
            pass
        os.replace(tmp, path)
        return
    os.remove(tmp)


class _Terminated(Exception):
    pass


def _on_sigterm(signum, frame):
    raise _Terminated()


def run_report(args) -> int:
    from .report import check_inputs, report_notebook

    try:
        outs = _outputs(args)
        config = _config(args)
    except _Usage as exc:
        return _fail(EXIT_USAGE, str(exc))
    except (DataError, ParameterError) as exc:
        return _fail(EXIT_DATA, _for_cli(str(exc)))
    try:
        template = Path(args.notebook) if args.notebook else report_notebook()
    except FileNotFoundError as exc:
        return _fail(EXIT_USAGE, str(exc))
    if not template.is_file():
        return _fail(EXIT_USAGE, f"The notebook {str(template)!r} (--notebook) does not exist.")

    say = (lambda *a: None) if args.quiet else (lambda text: print(text, file=sys.stderr, flush=True))
    say(f"Checking {config.data_path or 'the bundled coffee-shop example'} ...")
    try:
        data = check_inputs(config)
    except (DataError, ParameterError) as exc:
        return _fail(EXIT_DATA, _for_cli(str(exc)))
    events = data.events
    say(f"  {len(events):,} rows, {events[config.customer_col].nunique():,} customers: ok.")

    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    parameters = {**config.parameters(), "report_out": outs[0].name}
    say(f"Running the report notebook ({template.name}) ...")
    try:
        nb = papermill.execute_notebook(str(template), None, parameters=parameters,
                                        progress_bar=not args.quiet, kernel_name="python3",
                                        cwd=str(template.parent),
                                        # keep the kernel's start-up notices off the progress output
                                        extra_arguments=["--IPKernelApp.log_level=ERROR"])
    except PapermillExecutionError as exc:
        if exc.ename in ("DataError", "ParameterError"):
            return _fail(EXIT_DATA, _for_cli(exc.evalue))
        where = f"at cell {exc.exec_count}: {exc.ename}: {exc.evalue}."
        if args.notebook:
            return _fail(EXIT_FAILED, f"Your notebook {template} failed {where} Run it in JupyterLab with the "
                                      "same parameters to see the full traceback.")
        return _fail(EXIT_FAILED, f"The report notebook failed {where} This is probably a bug in retention_kit: "
                                  "please report it with the command you ran. To see the full traceback, run "
                                  f"{template} in JupyterLab with the same parameters.")

    title = f"Retention report – {Path(config.data_path).name if config.data_path else 'coffee-shop example'}"
    targets = [(outs[0], _html(nb, args.show_code, title))]
    if args.notebook_out:
        targets.append((outs[1], nbformat.writes(nb)))
    try:
        _write_atomically(targets, force=args.force)
    except _Usage as exc:
        return _fail(EXIT_USAGE, str(exc))
    for path, text in targets:
        say(f"Wrote {path} ({len(text.encode()) / 1e6:.1f} MB).")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``retention-kit`` and ``python -m retention_kit``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    # SIGTERM (a scheduler stopping the job) unwinds like Ctrl-C, so temporary files go.
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if in_main else None
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return _fail(130, "Interrupted.")
    except _Terminated:
        return _fail(143, "Terminated.")
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
