"""Reports of robustness results: the terminal summary, ``results.json`` and the reports rendered from it.

- :class:`RunResults` (``results.json``): everything a run measured, enough to re-score without re-running;
  :func:`load_results` reads one, :func:`merge_results` joins the shards of a run;
- :class:`Report` and :func:`write_reports`: ``report.json`` (every figure), ``report.md`` (a CI job
  summary) and ``report.html`` (one self-contained page with charts);
- :func:`figures` and :class:`Row`: the figures every output prints, from :mod:`pytest_recode.metrics`;
- :func:`compare_files` / :func:`compare_figures`: Robust Pass deltas between two runs and the CI gate;
- :func:`summary_lines`: the plugin's terminal summary.
"""

from ._compare import DEFAULT_MAX_DROP, Comparison, Delta, check_max_drop, compare_figures, compare_files
from ._figures import Figures, Row, figures, rows
from ._files import check_writable_dir, write_text_atomic
from ._merge import merge_results
from ._report import FORMATS, Report, load_figures, write_reports
from ._results import (
    EXAMPLES_PER_TRANSFORM,
    Example,
    ProblemRecord,
    RunResults,
    first_difference,
    keep_examples,
    load_results,
    now,
    versions_here,
)
from ._terminal import summary_lines

__all__ = [
    "DEFAULT_MAX_DROP",
    "EXAMPLES_PER_TRANSFORM",
    "FORMATS",
    "Comparison",
    "Delta",
    "Example",
    "Figures",
    "ProblemRecord",
    "Report",
    "Row",
    "RunResults",
    "check_max_drop",
    "check_writable_dir",
    "compare_figures",
    "compare_files",
    "figures",
    "first_difference",
    "keep_examples",
    "load_figures",
    "load_results",
    "merge_results",
    "now",
    "rows",
    "summary_lines",
    "versions_here",
    "write_reports",
    "write_text_atomic",
]
