"""Running ``retention-kit report``: from the parsed command line to the written report.

It checks the file and the options first (a bad column, file or date stops here, before
anything runs, with a message that says what to do), executes the report notebook with
papermill, and writes a self-contained HTML file, and the executed notebook if asked.
Output files are written under a temporary name in the same folder and put in place at the
end, without replacing a file that appeared meanwhile unless ``--force``; a failed or
terminated run (SIGTERM unwinds like Ctrl-C) never leaves a half-written report behind.

Exit codes: 0 done; 1 the data or an option cannot be analysed (the message says why);
2 the command line itself is wrong (unknown option, output exists without --force);
3 the report notebook failed for another reason (a bug: please report it).
"""

from __future__ import annotations

import os
import re
import signal
import sys
import tempfile
import textwrap
import threading
from importlib.resources import files
from pathlib import Path

from ..errors import DataError, ParameterError
from ._words import join_words
from .config import ReportConfig, plan_options
from .inputs import check_inputs

__all__ = ["run_report", "run_command", "report_notebook", "EXIT_OK", "EXIT_DATA", "EXIT_USAGE", "EXIT_FAILED"]

EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3

# Argument names in the kit's messages, as the command line spells them.
_FLAG_WORDS = {"customer_col": "--customer-col", "time_col": "--time-col", "amount_col": "--amount-col",
               "as_of": "--as-of", "churn_after": "--churn-after", "date_format": "--date-format",
               "segment_col": "--segment-col", "arm_col": "--arm-col", "planned_n": "--planned-n",
               "mde": "--mde", "looks": "--looks"}
_FLAG_ASSIGN = {"freq": "--period", "horizon": "--horizon", "period": "--period"}


_CDN_SCRIPT = re.compile(r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>\s*")


def report_notebook() -> Path:
    """Path of the report notebook, installed with the package as
    ``retention_kit.notebooks/retention_report.ipynb`` (``notebooks/`` of the source tree)."""
    resource = files("retention_kit.notebooks") / "retention_report.ipynb"
    if not resource.is_file():
        raise FileNotFoundError(
            "The report notebook retention_report.ipynb is missing from this installation of "
            "retention_kit; reinstall it, or pass --notebook PATH to use a copy.")
    return Path(str(resource))


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



def run_command(func, args) -> int:
    """``func(args)``, the command's exit code; Ctrl-C ends it with 130 and SIGTERM (a
    scheduler stopping the job), which unwinds like Ctrl-C so temporary files go, with 143."""
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if in_main else None
    try:
        return func(args)
    except KeyboardInterrupt:
        return _fail(130, "Interrupted.")
    except _Terminated:
        return _fail(143, "Terminated.")
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
