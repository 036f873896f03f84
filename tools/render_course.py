"""Write each exercise's heading and question into the notebooks, from ``retention_kit.course``.

The course content (``retention_kit/course/<topic>.py``) is the single source of every
exercise's title and question. A course notebook asks an exercise in a markdown cell

    ### Exercise <id> · <title>

    <question>

and its worked solution (``notebooks/solutions/``) quotes it:

    ## Exercise <id> · <title>

    > <question>

    <the solution's own explanation, kept as it is>

This tool rewrites exactly the heading line and the question (or quote) paragraph of those
cells from the content. Every other line, cell, cell id, metadata and output stays as it
is; a notebook already in sync is not written at all, so running it on a synced tree
leaves ``git diff`` empty. A cell whose heading names an unknown exercise is an error.

    .venv/bin/python tools/render_course.py            # rewrite what is out of sync
    .venv/bin/python tools/render_course.py --check    # only list it; exit status 1 if any
    .venv/bin/python tools/render_course.py notebooks/02_cohort_analysis.ipynb

``tests/test_course.py`` fails while a notebook is out of sync with the content.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADING = re.compile(r"^(#{2,3}) Exercise (\S+) · (.*)$")


def course_notebooks() -> list[Path]:
    """The notebooks that may ask or solve exercises: notebooks/ and notebooks/solutions/."""
    return sorted([*(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "notebooks" / "solutions").glob("*.ipynb")])


def course_exercises() -> dict:
    """The course's exercises by id (imported here so the module loads without the kit)."""
    from retention_kit import course

    return {ex.id: ex for ex in course.all_exercises()}


def render_cell(text: str, exercises: dict) -> str:
    """The markdown cell ``text`` with its exercise heading and question written from the
    content; ``text`` itself when it does not start with an exercise heading.

    The question is the first paragraph after the heading: a quote (lines starting with
    ``>``) in the solutions, plain lines in the notebooks. Everything after it is kept.
    """
    lines = text.split("\n")
    match = HEADING.match(lines[0])
    if not match:
        return text
    level, ex_id = match.group(1), match.group(2)
    if ex_id not in exercises:
        raise KeyError(f"a heading asks exercise {ex_id!r}, which retention_kit.course does not have "
                       f"(known: {sorted(exercises)})")
    ex = exercises[ex_id]
    start = 1
    while start < len(lines) and not lines[start].strip():
        start += 1
    quoted = start < len(lines) and lines[start].startswith(">")
    end = start
    while end < len(lines) and lines[end].strip() and lines[end].startswith(">") == quoted:
        end += 1
    question = ex.question.split("\n")
    if quoted:
        question = [f"> {line}" for line in question]
    return "\n".join([f"{level} Exercise {ex.id} · {ex.title}", "", *question, *lines[end:]])


def _source(text: str) -> list[str]:
    """A cell's text as nbformat stores it: lines, each but the last ending with a newline."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def render_text(raw: str, exercises: dict) -> tuple[str, list[str]]:
    """A notebook's JSON text with its exercise cells rendered, and the ids of the cells that
    changed. Unchanged when already in sync (the text is re-serialised only if a cell changed,
    the way nbformat writes it)."""
    nb = json.loads(raw)
    changed = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        new = render_cell(text, exercises)
        if new != text:
            cell["source"] = _source(new)
            changed.append(HEADING.match(new.split("\n")[0]).group(2))
    if not changed:
        return raw, []
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", changed


def out_of_sync(paths=None, exercises=None) -> dict[str, list[str]]:
    """``{notebook: [exercise ids]}`` for every exercise cell rendering would change."""
    exercises = course_exercises() if exercises is None else exercises
    stale = {}
    for path in course_notebooks() if paths is None else [Path(p) for p in paths]:
        _, changed = render_text(path.read_text(encoding="utf-8"), exercises)
        if changed:
            stale[str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)] = changed
    return stale


def main(argv: list[str]) -> int:
    check_only = "--check" in argv
    paths = [Path(a).resolve() for a in argv if a != "--check"] or course_notebooks()
    exercises = course_exercises()
    stale = 0
    for path in paths:
        raw = path.read_text(encoding="utf-8")
        new, changed = render_text(raw, exercises)
        if not changed:
            continue
        stale += 1
        verb = "out of sync" if check_only else "rendered"
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {verb} {', '.join(changed)}")
        if not check_only:
            path.write_text(new, encoding="utf-8")
    if not stale:
        print(f"{len(paths)} notebooks in sync with retention_kit.course")
    return 1 if check_only and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
