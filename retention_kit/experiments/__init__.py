"""Planning and monitoring retention experiments: group-sequential boundaries and
always-valid confidence sequences, power for survival endpoints and calendar-time plans,
covariate adjustment (CUPED), ratio metrics and guardrails, effects by segment."""

from . import (
    adjusted_hazard as _adjusted_hazard, cuped as _cuped, planning as _planning, power as _power, ratio as _ratio,
    segments as _segments, sequential as _sequential,
)
from .adjusted_hazard import *  # noqa: F401,F403
from .boundaries import *  # noqa: F401,F403
from .confidence_sequences import *  # noqa: F401,F403
from .cuped import *  # noqa: F401,F403
from .interim import *  # noqa: F401,F403
from .monitoring import *  # noqa: F401,F403
from .planning import *  # noqa: F401,F403
from .power import *  # noqa: F401,F403
from .ratio import *  # noqa: F401,F403
from .segments import *  # noqa: F401,F403
from .spending import *  # noqa: F401,F403

# The names in their former order: sequential gathers the sequential modules by concept
# (spending, boundaries, interim, confidence_sequences, monitoring), and the covariate
# adjustment (cuped, adjusted_hazard) was one alphabetical list.
__all__ = [*_sequential.__all__, *_power.__all__, *_planning.__all__,
           *sorted([*_cuped.__all__, *_adjusted_hazard.__all__]), *_ratio.__all__, *_segments.__all__]
