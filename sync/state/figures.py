"""The figures of a finished sync run, as the runs table stores them."""

from __future__ import annotations

from collections import Counter

from rules.findings import Severity
from sync.run import RunResult
from sync.state.records import RunFigures


def run_figures(result: RunResult) -> RunFigures:
    """Return the counts of ``result`` for :meth:`StateStore.finish_run`.

    A dry run, or a run with nothing to write, wrote nothing, so its write
    figures are zero.
    """
    severities = Counter(finding.severity for finding in result.findings)
    report = result.report
    return RunFigures(
        deals=len(result.deals),
        errors=severities[Severity.ERROR],
        warnings=severities[Severity.WARNING],
        infos=severities[Severity.INFO],
        status_cells_written=report.status_cells_written if report else 0,
        tabs_written=list(report.tabs_written) if report else [],
        api_requests=result.requests,
        bytes_written=report.bytes_written if report else 0,
    )
