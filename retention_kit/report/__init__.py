"""Helpers of the retention report (``notebooks/retention_report.ipynb``, installed as package
data, and ``retention-kit report``): reading the analyst's file with a column mapping, checking
it before anything runs, the reproducibility header and the text that adapts to the results.

The analyses themselves are the public API (``rk.crr_table``, ``rk.cohort_table``, ...); this
package only reads files, checks inputs, writes sentences and runs the notebook. One module
per concept:

* ``config``: :class:`ReportConfig` (file, column mapping, settings), the options' flags and
  the checks of the experiment plan's options;
* ``inputs``: reading the file or the bundled example, the date format rules, segments,
  :class:`ReportData`, the churn threshold chosen from the data and :func:`check_inputs`;
  ``arms``: the experiment's arm and assignment-time columns;
* ``text``: the header and the sentences of the data, CRR, cohort and survival sections, and
  :func:`caveats`; ``_words``: the wording they share (``pct``, ``count``, dates, ...);
* ``plan``: the experiment's maturity and group-sequential plan; ``experiment``: the
  experiment section's sentences; ``value``: the customer-value section;
* ``run``: the report command from the parsed options to the written files.

Examples
--------
>>> cfg = ReportConfig()            # the bundled coffee-shop example
>>> data = load_data(cfg)
>>> len(data.events), data.events.columns.tolist()
(45533, ['customer_id', 'date', 'quantity', 'amount', 'channel', 'arm', 'assigned_at'])
>>> pct(0.7382), count(1, "customer"), count(3000, "customer"), join_words(["a", "b", "c"])
('73.8 %', '1 customer', '3,000 customers', 'a, b and c')
"""

from __future__ import annotations

from ..event_log import validate_events  # a name of report.py before the split
from ._words import count, join_words, paragraphs, pct
from .config import CLI_FLAGS, DEFAULT_LOOKS, DEFAULT_MDE, ReportConfig, plan_options
from .experiment import experiment_intro, experiment_text, maturity_text, monitoring_text
from .inputs import (BUNDLED, CHURN_QUANTILE, COMPRESSIONS, CSV_SUFFIXES, PARQUET_SUFFIXES, ReportData,
                     check_inputs, load_data, sha256)
from .plan import PLAN_POWER, PLAN_SPENDING, ExperimentPlan, experiment_plan, look_design, plot_monitoring
from .run import report_notebook
from .text import (MIN_NAMED_SEGMENT, caveats, cohort_text, crr_text, for_reader, header, intro_text,
                   quality_text, survival_text)
from .value import (ALIVE_THRESHOLD, ANNUAL_DISCOUNT, FIT_GAP, MIN_REPEAT_BUYERS, ONE_TIME_HEAVY,
                    VALUE_HORIZON, VALUE_TIME_UNIT, CustomerValueSection, customer_value,
                    customer_value_intro, customer_value_text, plot_frequency_check,
                    plot_value_distribution)

__all__ = [
    "ReportConfig", "ReportData", "load_data", "check_inputs", "report_notebook", "header", "intro_text",
    "caveats", "pct", "count", "join_words", "paragraphs", "quality_text", "crr_text",
    "cohort_text", "survival_text", "experiment_intro", "experiment_text",
    "ExperimentPlan", "experiment_plan", "plan_options", "maturity_text", "monitoring_text", "look_design",
    "plot_monitoring",
    "CustomerValueSection", "customer_value", "customer_value_intro", "customer_value_text",
    "plot_frequency_check", "plot_value_distribution",
]

# The public functions keep retention_kit.report as their module, the name the notebook calls
# them by and the one they had before the package was split (pickles, the kit's package walks
# such as tests/test_plots.py's). Classes keep their defining module, where inspect finds
# their source.
for _fn in (load_data, check_inputs, report_notebook, header, intro_text, caveats, for_reader, pct, count,
            join_words, paragraphs, quality_text, crr_text, cohort_text, survival_text, experiment_intro,
            experiment_text, experiment_plan, plan_options, maturity_text, monitoring_text, look_design,
            plot_monitoring, customer_value, customer_value_intro, customer_value_text, plot_frequency_check,
            plot_value_distribution, sha256):
    _fn.__module__ = __name__
del _fn
