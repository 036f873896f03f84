"""The generic exercise checker: what an exercise is, the registry, and the verdict on an answer.

Nothing here knows any exercise. The content modules of :mod:`retention_kit.course` declare
their :class:`Exercise` objects and :func:`register` them; :func:`check` finds one by id,
reads the learner's answer (a number, a percentage, a one-value Series, ...), computes the
right answer with the exercise's solver and compares, with a tolerance, first with the right
answer and then with the wrong number each anticipated :class:`Mistake` produces.

Examples
--------
A toy exercise, checked without registering it:

>>> toy = Exercise(id="toy-1", notebook="00_toy", title="Two and two", question="2 + 2?",
...                unit="customers", tolerance=0.5,
...                solve=lambda: Solution(4.0, "2 + 2 = 4.", {"glued": 22.0}),
...                mistakes=(Mistake("glued", "You wrote the digits side by side."),),
...                hint="Add them.")
>>> verdict(toy, "4").status
'right'
>>> verdict(toy, 22).message
'You wrote the digits side by side.'
>>> verdict(toy, 5)
✗ toy-1: not yet
Not yet. Hint: Add them.
"""

from __future__ import annotations

import difflib
import functools
import math
import numbers
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..results import render_html

__all__ = ["Mistake", "Solution", "Exercise", "CheckResult", "RATE_TOLERANCE", "solver", "register",
           "get_exercise", "all_exercises", "list_exercises", "verdict", "check", "read_number"]

RATE_TOLERANCE = 0.0015
"""The tolerance of a rate asked to 3 decimals: the answer rounded to 3 decimals (or 0.1 %) passes."""


# ---------------------------------------------------------------------------------------
# What an exercise is, and what checking returns
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Mistake:
    """An anticipated mistake: the hint to give and the key of the wrong number it produces
    in the exercise's solution (``Solution.wrong[key]``, one number or several)."""

    key: str
    hint: str


@dataclass(frozen=True)
class Solution:
    """What the checker computed: the right answer, a sentence showing how, and the wrong
    answer each anticipated mistake produces."""

    right: float
    how: str
    wrong: dict


@dataclass(frozen=True)
class Exercise:
    """One exercise: where it lives, what it asks, and how it is checked.

    ``solve`` computes the :class:`Solution` from the kit and the bundled data (cached);
    ``unit`` is ``"fraction"`` (percentages accepted), ``"percent"`` (a number in percent, e.g. a
    relative lift of -1.5), ``"days"`` or ``"customers"`` (and the other counts and scores);
    ``tolerance`` is absolute, or relative to the right answer when ``relative`` is True.
    ``title`` and ``question`` are what the notebook asks, word for word
    (``tools/render_course.py`` writes them into the notebooks).
    """

    id: str
    notebook: str
    title: str
    question: str
    unit: str
    tolerance: float
    solve: Callable[[], Solution] = field(repr=False)
    mistakes: tuple = ()
    hint: str = ""
    relative: bool = False

    def allowed_error(self, right: float) -> float:
        return self.tolerance * abs(right) if self.relative else self.tolerance


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one answer. ``correct`` is True only for a right answer.

    ``status`` is ``"right"``, ``"hint"`` (a recognised mistake), ``"not yet"`` (wrong, not
    recognised), ``"no answer"`` (still None) or ``"unreadable"`` (not a number).
    """

    exercise_id: str
    answer: object
    correct: bool
    status: str
    message: str

    _MARKS = {"right": "✓", "hint": "✗", "not yet": "✗", "no answer": "…", "unreadable": "?"}

    def _headline(self) -> str:
        words = {"right": "right", "hint": "not yet, here is a hint", "not yet": "not yet",
                 "no answer": "write your answer first", "unreadable": "that is not a number"}
        return f"{self._MARKS[self.status]} {self.exercise_id}: {words[self.status]}"

    def __repr__(self) -> str:
        return f"{self._headline()}\n{self.message}"

    def _repr_html_(self) -> str:
        return render_html(self._headline(), None, [self.message])


def solver(func: Callable[[], Solution]) -> Callable[[], Solution]:
    """Decorate an exercise's solver (or the data several solvers share): computed once per
    session, without warnings (checking must not repeat the kit's warnings at the learner:
    they saw them already)."""
    @functools.wraps(func)
    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return func()
    return functools.cache(run)


# ---------------------------------------------------------------------------------------
# The registry: the content modules register their exercises in course order
# ---------------------------------------------------------------------------------------

_REGISTRY: dict[str, Exercise] = {}


def register(*exercises: Exercise) -> None:
    """Add exercises to the course, after those already registered (course order)."""
    for ex in exercises:
        if ex.id in _REGISTRY:
            raise ValueError(f"exercise {ex.id!r} is registered twice")
        _REGISTRY[ex.id] = ex


def all_exercises() -> tuple[Exercise, ...]:
    """Every registered exercise, in course order."""
    return tuple(_REGISTRY.values())


def get_exercise(exercise_id) -> Exercise:
    """The exercise with this id; a :class:`ParameterError` naming the closest id otherwise."""
    try:
        return _REGISTRY[exercise_id]
    except (KeyError, TypeError):
        known = list(_REGISTRY)
        close = difflib.get_close_matches(str(exercise_id), known, n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ParameterError(f"exercise_id={exercise_id!r} is not an exercise.{hint} "
                             f"Use one of {known} (see list_exercises()).") from None


def list_exercises(notebook: str | None = None) -> pd.DataFrame:
    """The exercises in course order: ``id``, ``notebook``, ``title``, ``unit``, ``question``.

    Parameters
    ----------
    notebook : str, optional
        Only this notebook's exercises; its number ("02") or name ("02_cohort_analysis").

    Raises
    ------
    ParameterError
        If no exercise belongs to ``notebook`` (with the notebooks that have some).
    """
    rows = [{"id": e.id, "notebook": e.notebook, "title": e.title, "unit": e.unit,
             "question": e.question} for e in all_exercises()]
    out = pd.DataFrame(rows)
    if notebook is not None:
        key = str(notebook)
        out = out[out["notebook"].str.startswith(key)]
        if out.empty:
            names = sorted({e.notebook for e in all_exercises()})
            raise ParameterError(f"notebook={notebook!r} has no exercises. Use one of {names} "
                                 "(or just its number, e.g. '02').")
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# Reading an answer and judging it
# ---------------------------------------------------------------------------------------

def read_number(answer, unit: str) -> tuple[float | None, str]:
    """The answer as a float, or None with the reason; percentages become fractions.

    >>> read_number("25%", "fraction")
    (0.25, '')
    >>> read_number("1,342", "customers")
    (1342.0, '')
    """
    if isinstance(answer, (pd.Series, pd.DataFrame, np.ndarray, list, tuple)):
        size = np.size(answer)
        if size != 1:
            return None, (f"Your answer holds {size} values ({type(answer).__name__}); give one number, "
                          "for example a single cell: `table.loc[row, column]`.")
        answer = np.asarray(answer).reshape(-1)[0]
    percent = False
    if isinstance(answer, str):
        text = answer.strip().replace(",", "").replace(" ", "")
        percent = text.endswith("%")
        try:
            answer = float(text.rstrip("%"))
        except ValueError:
            return None, f"{answer!r} is not a number. Give a number such as 0.25 or \"25%\"."
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, numbers.Real):
        return None, f"{answer!r} is not a number. Give a number such as 0.25."
    value = float(answer)
    if not math.isfinite(value):
        return None, (f"Your answer is {value}: the computation gave no number (NaN often means a row or "
                      "a cell that does not exist, or a division by zero). Check the row you picked.")
    if unit == "fraction" and (percent or abs(value) > 2):
        # No rate in these exercises exceeds 200 %: a bigger number is a percentage.
        value /= 100
    return value, ""


def verdict(ex: Exercise, answer) -> CheckResult:
    """The verdict on ``answer`` to the exercise ``ex`` (registered or not): see :func:`check`."""
    if answer is None:
        return CheckResult(ex.id, None, False, "no answer",
                           f"Write your answer first: replace None in `answer = None` with your number "
                           f"and run the cell again ({ex.title}).")
    value, why = read_number(answer, ex.unit)
    if value is None:
        return CheckResult(ex.id, answer, False, "unreadable", why)
    sol = ex.solve()
    allowed = ex.allowed_error(sol.right)
    if abs(value - sol.right) <= allowed:
        return CheckResult(ex.id, answer, True, "right", f"Right. {sol.how}")
    for mistake in ex.mistakes:
        wrong = np.atleast_1d(np.asarray(sol.wrong[mistake.key], dtype=float))
        if np.any(np.abs(value - wrong) <= allowed):
            return CheckResult(ex.id, answer, False, "hint", mistake.hint)
    return CheckResult(ex.id, answer, False, "not yet", f"Not yet. Hint: {ex.hint}")


def check(exercise_id: str, answer) -> CheckResult:
    """Check an answer: right, a hint about the likely mistake, or "not yet".

    The right answer is computed from the kit and the bundled data (nothing is stored),
    and every anticipated mistake is recognised by computing the wrong number it gives.
    ``answer=None`` (the notebooks' placeholder) returns a reminder, never an error, so the
    notebooks run top to bottom.

    Parameters
    ----------
    exercise_id : str
        A registered exercise's id (:func:`list_exercises` lists them).
    answer : number, str or None
        Rates as fractions (0.25), percentages (25) or strings ("25%").

    Returns
    -------
    CheckResult
        ``.correct``, ``.status`` and ``.message``; readable as text and in Jupyter.

    Raises
    ------
    ParameterError
        If ``exercise_id`` is not an exercise (with the closest one).
    """
    return verdict(get_exercise(exercise_id), answer)
