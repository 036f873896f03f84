"""The course: exercises that check themselves, ``check("cohorts-1", answer)`` says right or gives a hint.

Each of the course notebooks ends with a few exercises about a number computed on the
bundled data (the CDNOW log or the coffee shop). The checker never stores an answer: it
computes the right one from the kit and the data when asked, and recognises the usual
mistakes by computing the wrong number each of them produces (counting the unfinished
month, forgetting to subtract N, treating censored customers as churned, counting
immature customers in an A/B rate, ...). So the checker, the library and the worked
solutions in ``notebooks/solutions/`` cannot drift apart: CI runs the solutions.

Answers are plain numbers. Rates may be given as fractions (0.25) or as percentages
(25, or the string "25%"); the checker accepts a small tolerance so a rounded answer
passes (:attr:`Exercise.tolerance`).

Layout
------
* ``checker.py``: the generic part (:class:`Exercise`, :class:`Mistake`, :class:`Solution`,
  :class:`CheckResult`, the registry, reading an answer, the verdict); it knows no exercise.
* One content module per notebook, each declaring and registering its exercises (id,
  title, question, solver, anticipated mistakes, hint): ``crr.py`` (01), ``cohorts.py``
  (02), ``survival.py`` (03), ``ab.py`` (04), ``clv.py`` (06), ``experiments.py`` (07).
  They are imported below in course order, which is the order of :func:`list_exercises`.
* ``_data.py``: the bundled data sets the solvers share, loaded once per session.

The content is the single source of each exercise's heading and question: the notebooks'
``### Exercise <id> · <title>`` cells (and the quotes in the worked solutions) are written
from it by ``python tools/render_course.py``. After editing a title or a question, run it;
``tests/test_course.py`` fails while a notebook is out of sync.

``retention_kit.exercises`` (``rk.exercises.check``, what the notebooks call) re-exports
this package.

Examples
--------
>>> from retention_kit import course
>>> course.check("crr-1", None).status
'no answer'
>>> list(course.list_exercises()["id"])[:3]
['crr-1', 'crr-2', 'crr-3']
>>> list(course.list_exercises("02")["id"])
['cohorts-1', 'cohorts-2']
>>> course.check("crr-1", 0.5).status
'not yet'
"""

from .checker import (
    CheckResult, Exercise, Mistake, Solution, all_exercises, check, get_exercise, list_exercises,
)
from . import crr, cohorts, survival, ab, clv, experiments  # noqa: F401  (each registers its exercises; course order)

__all__ = ["check", "list_exercises", "CheckResult", "Exercise", "Mistake", "Solution", "get_exercise",
           "all_exercises"]
