"""Planning and monitoring retention experiments: group-sequential boundaries and
always-valid confidence sequences, power for survival endpoints and calendar-time plans,
covariate adjustment (CUPED), ratio metrics and guardrails, effects by segment."""

from . import (
    cuped as _cuped, planning as _planning, power as _power, ratio as _ratio, segments as _segments,
    sequential as _sequential,
)
from .cuped import *  # noqa: F401,F403
from .planning import *  # noqa: F401,F403
from .power import *  # noqa: F401,F403
from .ratio import *  # noqa: F401,F403
from .segments import *  # noqa: F401,F403
from .sequential import *  # noqa: F401,F403

__all__ = [*_sequential.__all__, *_power.__all__, *_planning.__all__, *_cuped.__all__, *_ratio.__all__,
           *_segments.__all__]
