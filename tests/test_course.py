"""The course's notebooks and the exercise checker tell one story.

Each exercise lives in a content module of ``retention_kit/course/`` (its id, title, question
and the code that computes the answer) and is asked in a notebook under a heading ``### Exercise
<id> · <title>``, followed by the question, then a cell calling ``rk.exercises.check("<id>", ...)``.
The content is the single source of the heading and the question: ``tools/render_course.py``
writes them into the notebooks and the worked solutions. These tests hold the two together:
rendering is a no-op (the notebooks are in sync), the id exists and belongs to that notebook,
the heading and the question are the checker's word for word (the worked solutions quote the
same question), every exercise of a notebook is asked there, and the notebook does not print
the answer above the exercise that asks for it. They also pin the package's layout: a generic
checker that knows no exercise, one content module per notebook.
"""

import importlib.util
import json
import re
from pathlib import Path

import pytest

import retention_kit as rk
from retention_kit import course

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
HEADING = re.compile(r"^#{2,3} Exercise (\S+) · (.+)$", re.M)
CHECK_CALL = re.compile(r"""rk\.exercises\.check\(\s*["']([^"']+)["']""")


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _text(cell: dict) -> str:
    return "".join(cell["source"])


def _outputs(cell: dict) -> str:
    out = []
    for o in cell.get("outputs", []):
        out.append("".join(o.get("text", "")))
        out.append("".join(o.get("data", {}).get("text/plain", "")))
    return "".join(out)


def _words(text: str) -> str:
    return " ".join(text.split())


def _course_notebooks() -> list[Path]:
    return sorted(p for p in NOTEBOOKS.glob("*.ipynb")
                  if any(c["cell_type"] == "markdown" and HEADING.search(_text(c)) for c in _cells(p)))


def _asked(path: Path) -> list[tuple[int, str, str, str]]:
    """(cell index, id, title, question) for each exercise heading of a notebook."""
    found = []
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "markdown":
            continue
        m = HEADING.search(_text(cell))
        if m:
            found.append((i, m.group(1), m.group(2).strip(), _text(cell)[m.end():].strip()))
    return found


def _by_id() -> dict:
    return {e.id: e for e in course.all_exercises()}


def _render_tool():
    spec = importlib.util.spec_from_file_location("render_course", ROOT / "tools" / "render_course.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RENDER = "run `python tools/render_course.py` to write the course's headings and questions into the notebooks"


COURSE = _course_notebooks()


def test_the_course_has_exercise_notebooks():
    names = {p.stem for p in COURSE}
    assert {"01_customer_retention_rate", "02_cohort_analysis", "03_survival_churn"} <= names


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.stem)
def test_each_exercise_asks_the_checkers_question(path):
    known = _by_id()
    cells = _cells(path)
    asked = _asked(path)
    for i, ex_id, title, question in asked:
        assert ex_id in known, f"{path.name}: exercise {ex_id!r} is not in rk.exercises"
        ex = known[ex_id]
        assert ex.notebook == path.stem, f"{ex_id} belongs to {ex.notebook}, asked in {path.stem}"
        assert title == ex.title, f"{ex_id}: heading {title!r}, checker {ex.title!r}; {RENDER}"
        # One source of truth: the question in the notebook is the checker's, word for word.
        assert _words(question) == _words(ex.question), f"{ex_id}: the notebook's question differs; {RENDER}"
        # ... and the next code cell checks that exercise.
        following = next(c for c in cells[i + 1:] if c["cell_type"] == "code")
        assert CHECK_CALL.findall(_text(following)) == [ex_id]
    # Every exercise the checker places in this notebook is asked there, in course order.
    mine = [e.id for e in course.all_exercises() if e.notebook == path.stem]
    assert [a[1] for a in asked] == mine


def test_every_checked_id_exists_and_every_exercise_has_a_notebook():
    known = _by_id()
    paths = sorted(NOTEBOOKS.rglob("*.ipynb"))
    used = {ex_id for p in paths if ".ipynb_checkpoints" not in p.parts
            for c in _cells(p) if c["cell_type"] == "code" for ex_id in CHECK_CALL.findall(_text(c))}
    assert used and used <= set(known), sorted(used - set(known))
    assert {e.notebook for e in course.all_exercises()} <= {p.stem for p in COURSE}
    assert list(rk.exercises.list_exercises()["id"]) == list(known)


@pytest.mark.parametrize("path", sorted((NOTEBOOKS / "solutions").glob("*.ipynb")), ids=lambda p: p.stem)
def test_solutions_quote_the_checkers_question(path):
    known = _by_id()
    cells = _cells(path)
    seen = []
    for cell in cells:
        m = HEADING.search(_text(cell)) if cell["cell_type"] == "markdown" else None
        if not m:
            continue
        ex = known[m.group(1)]
        seen.append(ex.id)
        assert m.group(2).strip() == ex.title, f"{ex.id}: the solution's heading differs; {RENDER}"
        quote = " ".join(line[1:].strip() for line in _text(cell).splitlines() if line.startswith(">"))
        assert _words(quote) == _words(ex.question), f"{ex.id}: the solution quotes another question; {RENDER}"
    assert seen, f"{path.name} solves no exercise"
    assert {known[i].notebook[:2] for i in seen} == {path.stem[:2]}


def _shown(value: float, unit: str) -> list[str]:
    if unit == "fraction":
        return [f"{value:.3f}", f"{100 * value:.1f}"]
    if unit == "days":
        return [f"{value:.1f}"]
    return [f"{value:,.0f}", f"{value:.0f}"]


@pytest.mark.parametrize("path", [p for p in COURSE if p.stem[:2] in {"01", "02", "03"}], ids=lambda p: p.stem)
def test_no_answer_is_printed_above_its_exercise(path):
    """The saved outputs and the prose above an exercise do not give its answer away."""
    known = _by_id()
    cells = _cells(path)
    for i, ex_id, _, _ in _asked(path):
        ex = known[ex_id]
        right = ex.solve().right
        for j, cell in enumerate(cells[:i]):
            text = _text(cell) if cell["cell_type"] == "markdown" else _outputs(cell)
            for shown in _shown(right, ex.unit):
                assert not re.search(r"(?<![\d.,])" + re.escape(shown) + r"(?![\d])", text), (
                    f"{path.name}: cell {j} shows {shown}, the answer to {ex_id}")


@pytest.mark.parametrize("path", [p for p in COURSE if p.stem[:2] in {"01", "02", "03"}], ids=lambda p: p.stem)
def test_the_format_example_is_not_an_answer(path):
    """'Rates can be given as fractions (x)': x must not be the answer to an exercise."""
    answers = {f"{e.solve().right:.3f}" for e in course.all_exercises()
               if e.unit == "fraction" and e.notebook[:2] in {"01", "02", "03"}}
    examples = [x for c in _cells(path) if c["cell_type"] == "markdown"
                for x in re.findall(r"fractions \((\d*\.\d+)\)", _text(c))]
    assert examples, f"{path.name}: the exercise instructions give no example format"
    assert not {f"{float(x):.3f}" for x in examples} & answers


def test_coffee_shop_reactivations_match_the_text():
    """Notebook 01 says how many lapsed coffee-shop customers come back each month."""
    table = rk.crr_table(rk.load_coffee_shop().transactions, freq="M").table.iloc[2:]
    text = " ".join(_text(c) for c in _cells(NOTEBOOKS / "01_customer_retention_rate.ipynb"))
    assert "lapses are permanent" not in text
    low, high = int(table["reactivated"].min()), int(table["reactivated"].max())
    lost_low, lost_high = int(table["lost"].min()), int(table["lost"].max())
    assert f"only {low} to {high} lapsed customers come back each month" in _words(text)
    assert f"against {lost_low} to {lost_high} starting customers who lapse" in _words(text)


# -- the single source: the notebooks' exercise cells are rendered from the course ---------

def test_the_notebooks_are_in_sync_with_the_course_content():
    stale = _render_tool().out_of_sync()
    assert not stale, f"exercise headings or questions differ from retention_kit.course in {stale}: {RENDER}"


@pytest.mark.parametrize("name", ["01_customer_retention_rate.ipynb", "solutions/07_experiments_solutions.ipynb"])
def test_rendering_rewrites_only_the_exercise_headings_and_questions(name):
    # An out-of-date title and a question wrapped over two lines, in every exercise cell: rendering
    # gives back the committed notebook byte for byte (every other line, cell id and output kept).
    tool = _render_tool()
    raw = (NOTEBOOKS / name).read_text(encoding="utf-8")
    nb = json.loads(raw)
    quoted = name.startswith("solutions/")
    for cell in nb["cells"]:
        text = _text(cell)
        if cell["cell_type"] == "markdown" and HEADING.match(text):
            heading, body = text.split("\n", 1)
            body = body.replace(" the ", "\n> the " if quoted else "\nthe ", 1)
            cell["source"] = f"{heading} (old)\n{body}".splitlines(keepends=True)
    stale = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    rendered, changed = tool.render_text(stale, _by_id())
    assert changed == [ex_id for _, ex_id, _, _ in _asked(NOTEBOOKS / name)]
    assert rendered == raw
    assert tool.render_text(raw, _by_id()) == (raw, [])


def test_rendering_refuses_a_heading_of_an_unknown_exercise():
    with pytest.raises(KeyError, match="'crr-9', which retention_kit.course does not have"):
        _render_tool().render_cell("### Exercise crr-9 · Nothing\n\nWhat?", _by_id())


# -- the layout: a generic checker, one content module per notebook -------------------------

COURSE_DIR = ROOT / "retention_kit" / "course"


def test_the_checker_knows_no_exercise():
    source = (COURSE_DIR / "checker.py").read_text(encoding="utf-8")
    assert not [ex_id for ex_id in _by_id() if ex_id in source]
    assert "_data" not in source and "notebook 0" not in source.lower()


def test_each_content_module_registers_the_exercises_of_its_notebook():
    modules = {"crr": "01", "cohorts": "02", "survival": "03", "ab": "04", "clv": "06", "experiments": "07"}
    for name, number in modules.items():
        module = getattr(course, name)
        assert module.NOTEBOOK.startswith(number)
        source = (COURSE_DIR / f"{name}.py").read_text(encoding="utf-8")
        mine = [e.id for e in course.all_exercises() if e.notebook == module.NOTEBOOK]
        assert mine and all(f'id="{ex_id}"' in source for ex_id in mine), name
    assert [e.notebook[:2] for e in course.all_exercises()] == sorted(e.notebook[:2] for e in course.all_exercises())


