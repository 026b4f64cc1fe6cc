"""Data-quality gates: Great Expectations suites as code, run as checkpoints.

`run_checks(warehouse)` validates every raw entity (suites generated from
`pipelines/schema.py`) and every mart (rules discovered from
information_schema), and stores the run in `quality.check_runs` and
`quality.check_results`. `serviq publish` refuses a build whose latest check
run has a critical failure (see pipelines/publish.py).
"""

from __future__ import annotations

from pipelines.quality.runner import DEFAULT_SAMPLE_ROWS, CheckError, run_checks
from pipelines.quality.store import CheckRun, ResultRow

__all__ = ["DEFAULT_SAMPLE_ROWS", "CheckError", "CheckRun", "ResultRow", "run_checks"]
