"""retention_kit: customer retention rate, cohorts, survival curves for churn and A/B
comparisons of retention strategies.

The public API is re-exported here; each name lives in the module of its concept.
"""

from . import (
    clv as _clv, cohorts as _cohorts, compare as _compare, contractual as _contractual, crr as _crr,
    datasets as _datasets, errors as _errors, plotting as _plotting, survival as _survival,
)
from .clv import *  # noqa: F401,F403
from .cohorts import *  # noqa: F401,F403
from .compare import *  # noqa: F401,F403
from .contractual import *  # noqa: F401,F403
from .crr import *  # noqa: F401,F403
from .datasets import *  # noqa: F401,F403
from .errors import *  # noqa: F401,F403
from .multiple_testing import adjust_p_values
from .plotting import *  # noqa: F401,F403
from .results import DataQualityReport, Result, data_quality, metadata
from .survival import *  # noqa: F401,F403
from .backtest import Backtest, ThresholdBacktest, backtest, churn_threshold_backtest
from .event_log import EventLog, validate_events
from .validation import check_events
from . import exercises  # rk.exercises.check("crr-1", answer): the course's self-checking exercises
from ._version import __version__
from . import experiments as _experiments  # planning and monitoring experiments (issue 18)
from .experiments import *  # noqa: F401,F403

__all__ = [
    *_experiments.__all__, *_crr.__all__, *_cohorts.__all__, *_survival.__all__, *_contractual.__all__,
    "backtest", "Backtest", "churn_threshold_backtest", "ThresholdBacktest",
    *_compare.__all__, *_plotting.__all__, *_datasets.__all__, *_errors.__all__, *_clv.__all__,
    "DataQualityReport", "Result", "data_quality", "metadata", "adjust_p_values",
    "check_events", "EventLog", "validate_events", "exercises", "__version__",
]

# In a notebook, every matplotlib figure gets an alt text in its output (issue 16); a no-op elsewhere.
_plotting.enable_alt_text()
