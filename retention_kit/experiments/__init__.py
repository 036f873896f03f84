"""Planning and monitoring retention experiments: group-sequential boundaries and
always-valid confidence sequences, power for survival endpoints and calendar-time plans,
covariate adjustment (CUPED), ratio metrics and guardrails, effects by segment."""

from . import sequential as _sequential
from .sequential import *  # noqa: F401,F403

__all__ = [*_sequential.__all__]
