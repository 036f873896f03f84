"""The course's self-checking exercises as the notebooks call them: ``rk.exercises.check("crr-1", answer)``.

A compatibility name: the checker and the exercises live in :mod:`retention_kit.course`
(``checker.py`` the generic part, one content module per notebook), re-exported here.

Examples
--------
>>> from retention_kit import exercises
>>> exercises.check("crr-1", None).status
'no answer'
>>> list(exercises.list_exercises()["id"])[:3]
['crr-1', 'crr-2', 'crr-3']
"""

from .course import *  # noqa: F401,F403
from .course import __all__  # noqa: F401  (the same public names)
