"""Show a run's result: a summary for people, a JSON document for machines.

Texts from the workbook or the definition go into tables as rich ``Text``, never
as ``str``, which rich would parse as markup (``[b]`` styles, ``[/]`` raises).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
from collections import Counter
from json.encoder import encode_basestring_ascii
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from config.models import ID_FIELD, Locale, Pipeline
from rules.findings import Finding, Severity
from rules.messages import counted, first_and_more, render_message, render_messages
from sync.render import round_half_up
from sync.run import RunResult
from sync.sources.read_only import is_read_only_format

# Findings listed under the summary for people; --json lists all of them.
FINDINGS_SHOWN = 10
# New IDs listed in the summary for people; --json lists all of them.
NEW_IDS_SHOWN = 5
# Values that _plain returns as they are.
PLAIN_TYPES = frozenset({str, int, float, bool})
# A finding's code and severity values, and its row. ``_value_`` is the
# attribute behind an enum's ``value`` property, read here in C: counting the
# 86,000 findings of a 100k-row run through ``.value`` took 0.04 s of the
# 0.05 s the summary took.
CODE_SEVERITY_ROW = attrgetter("code._value_", "severity._value_", "row")
CODE = attrgetter("code._value_")
SEVERITY = attrgetter("severity._value_")
# The code and severity of a ``CODE_SEVERITY_ROW`` tuple.
CODE_AND_SEVERITY = itemgetter(0, 1)


def show_result(console: Console, result: RunResult, pipeline: Pipeline) -> None:
    """Print the run summary, the funnel and the most common findings."""
    # The summary's totals are summed from the per-code counts in 0.02 ms. A
    # second pass over the 86,000 findings of a 100k-row first run took 5 ms
    # (CPython 3.11, 2-core VM).
    counts, rows = _code_counts(result.findings)
    console.print(_summary_table(result, _severity_totals(counts)), highlight=False)
    console.print(_funnel_table(result), highlight=False)
    if result.findings:
        console.print(_codes_table(counts, rows), highlight=False)
        console.print(_first_findings_table(result, pipeline), highlight=False)


def result_as_json(result: RunResult, pipeline: Pipeline) -> dict[str, Any]:
    """Return the run as a JSON-ready document (findings, metrics, writes)."""
    locale = pipeline.outputs.locale
    document = {
        "workbook": result.workbook,
        "tab": result.tab,
        "as_of": result.as_of.isoformat(),
        "dry_run": result.dry_run,
        "header_row": result.columns.header_row,
        "deals": len(result.deals),
        "findings_by_severity": _severity_counts(result),
        "findings_by_code": dict(Counter(map(CODE, result.findings))),
        "findings": _findings_json(result.findings, locale),
        "followups": [_plain(item) for item in result.followups],
        "metrics": _plain(result.metrics),
        "planned": _planned_json(result),
        "written": _written_json(result),
        "blockers": list(result.blockers),
        "api_requests": result.requests,
        "seconds": round(result.seconds, 3),
    }
    if pipeline.columns[ID_FIELD].fill is not None:
        document["new_ids"] = _new_ids_json(result)
    return document


def _new_ids_json(result: RunResult) -> dict[str, Any]:
    """Return the new IDs planned for blank ID cells, and those written or skipped.

    ``written`` and ``skipped_rows`` are None on a dry run.
    """
    planned = [] if _not_written_reason(result) else result.plan.id_cells
    report = result.report
    written: list[str] | None = None
    skipped: list[int] | None = None
    if not result.dry_run:
        written = list(report.ids_filled) if report is not None else []
        skipped = list(report.id_rows_skipped) if report is not None else []
    return {
        "planned": [{"row": write.row, "id": write.deal_id} for write in planned],
        "written": written,
        "skipped_rows": skipped,
    }


def _findings_json(findings: list[Finding], locale: Locale) -> list[dict[str, Any]]:
    """Return each finding as a JSON-ready dict with its rendered message.

    The messages are rendered in one batch, which renders each repeated text
    once, and the enum values are read in C (see ``CODE_SEVERITY_ROW``).
    """
    messages = render_messages(findings, locale)
    placed = map(CODE_SEVERITY_ROW, findings)
    return [
        {
            "code": code,
            "severity": severity,
            "row": row,
            "column": f.column,
            "value": f.value,
            "deal_id": f.deal_id,
            "field": f.field,
            "message": message,
        }
        for f, (code, severity, row), message in zip(
            findings, placed, messages, strict=True
        )
    ]


def _planned_json(result: RunResult) -> dict[str, Any]:
    """Return what a run would write, and why nothing when nothing is written.

    Nothing is planned for a format pipesheet only reads, or when a blocker
    would stop the run. ``reason`` then names which, as the summary's Written
    line does, and is None otherwise.
    """
    reason = _not_written_reason(result)
    if reason is not None:
        nothing = {"status_cells": 0, "tabs": [], "status_header": False}
        return {**nothing, "reason": reason}
    plan = result.plan
    return {
        "status_cells": len(plan.status_cells),
        "tabs": [tab.name for tab in plan.tabs],
        "status_header": plan.write_status_header,
        "reason": None,
    }


def _not_written_reason(result: RunResult) -> str | None:
    """Return why a run writes nothing whatever it finds, or None."""
    if is_read_only_format(Path(result.workbook)):
        return f"pipesheet does not write {Path(result.workbook).suffix} files"
    if result.blockers:
        problems = counted(len(result.blockers), "problem")
        verb = "stops" if len(result.blockers) == 1 else "stop"
        return f"{problems} {verb} a run before it writes"
    return None


def _written_json(result: RunResult) -> dict[str, Any] | None:
    """Return what the run wrote: None on a dry run, zeros when nothing changed."""
    if result.dry_run:
        return None
    report = result.report
    if report is None:
        return {
            "status_cells": 0,
            "tabs": [],
            "bytes": 0,
            "requests": 0,
            "skipped": [],
            "output": None,
            "status_header": False,
        }
    return {
        "status_cells": report.status_cells_written,
        "tabs": report.tabs_written,
        "bytes": report.bytes_written,
        "requests": report.requests,
        "skipped": report.skipped,
        "output": report.output,
        "status_header": report.status_header_written,
    }


def _summary_table(result: RunResult, counts: dict[str, int]) -> Table:
    """Build the summary table from ``counts``, the findings per severity value."""
    place = f"{result.workbook} · {result.tab}" if result.has_tabs else result.workbook
    table = Table(
        title=Text(f"{place} · as of {result.as_of}"),
        show_header=False,
    )
    table.add_column("")
    # Folded, not cut, because a path or a text without spaces (Chinese) can
    # be wider than the terminal, and the cut would hide its end.
    table.add_column("", justify="right", overflow="fold")
    table.add_row("Deals", f"{len(result.deals):,}")
    table.add_row("Errors", f"{counts['error']:,}")
    table.add_row("Warnings", f"{counts['warning']:,}")
    table.add_row("Notices", f"{counts['info']:,}")
    table.add_row("Follow-ups due", f"{len(result.followups):,}")
    table.add_row("Written", Text(_written_text(result)))
    new_ids = _new_ids_text(result)
    if new_ids is not None:
        table.add_row("New IDs", Text(new_ids))
    return table


def _new_ids_text(result: RunResult) -> str | None:
    """Return the summary line of the new IDs, or None when the run plans none.

    Rows are as read, so they name the rows whose blank ID cell gets the ID.
    """
    planned = result.plan.id_cells
    if not planned or result.blockers or is_read_only_format(Path(result.workbook)):
        return None
    if result.dry_run:
        listed = [f"{write.deal_id} (row {write.row})" for write in planned]
        return f"would write {len(planned):,}: {first_and_more(listed, NEW_IDS_SHOWN)}"

    report = result.report
    if report is None:
        return None
    skipped = set(report.id_rows_skipped)
    listed = [
        f"{write.deal_id} (row {write.row})"
        for write in planned
        if write.row not in skipped
    ]
    text = f"{len(listed):,} written"
    if listed:
        text += f": {first_and_more(listed, NEW_IDS_SHOWN)}"
    if skipped:
        rows = [str(row) for row in report.id_rows_skipped]
        text += (
            f"; {counted(len(rows), 'row')} left blank because the row changed "
            f"since the read (rows {first_and_more(rows, NEW_IDS_SHOWN)}); the "
            "next run tries again"
        )
    return text


def _written_text(result: RunResult) -> str:
    plan = result.plan
    reason = _not_written_reason(result)
    if is_read_only_format(Path(result.workbook)):
        return f"nothing ({reason})"
    if result.dry_run and reason is not None:
        return f"nothing (dry run; {reason})"
    if result.dry_run:
        cells = counted(len(plan.status_cells), "status cell")
        tabs = counted(len(plan.tabs), "tab")
        if plan.tabs:
            tabs += f" ({', '.join(tab.name for tab in plan.tabs)})"
        header = " plus the status header" if plan.write_status_header else ""
        return f"nothing (dry run; would write {cells} and {tabs}{header})"
    if result.report is None:
        return "nothing (no changes)"
    report = result.report
    if report.output_unchanged:
        return f"nothing ({report.output} already contains this result)"
    text = (
        f"{counted(report.status_cells_written, 'status cell')}, "
        f"{counted(len(report.tabs_written), 'tab')} to {report.output}"
    )
    if report.status_header_written:
        text += "; status header written"
    if plan.remove_highlights:
        text += "; highlight rules removed"
    if plan.add_highlights:
        text += "; highlight rules added"
    if report.skipped:
        text += f"; {counted(len(report.skipped), 'row')} skipped (moved or edited)"
    return text


def _funnel_table(result: RunResult) -> Table:
    metrics = result.metrics
    table = Table(title="Funnel")
    for name in ("Stage", "Deals now", "Value now", "Reached", "Conversion"):
        if name == "Stage":
            table.add_column(name, overflow="fold")
        else:
            table.add_column(name, justify="right")
    for stage in metrics.stages:
        table.add_row(
            Text(stage.name),
            f"{stage.deals:,}",
            _whole_text(stage.value),
            "" if stage.reached is None else f"{stage.reached:,}",
            _percent_text(stage.conversion),
        )
    table.caption = (
        f"Win rate {_percent_text(metrics.win_rate)} by count, "
        f"{_percent_text(metrics.win_rate_by_value)} by value · "
        f"won value {_whole_text(metrics.won_value)} · "
        f"weighted pipeline {_whole_text(metrics.weighted_pipeline)}"
    )
    return table


def _codes_table(
    counts: Counter[tuple[str, str]], rows: Counter[tuple[str, str]]
) -> Table:
    """Build the table of findings per code and of the distinct rows they are on.

    ``counts`` and ``rows`` are those of :func:`_code_counts`. A row missing
    three required fields has three findings of one code, so the two counts
    differ. A finding without a row counts in Findings only.
    """
    table = Table(title="Findings by code")
    table.add_column("Code")
    table.add_column("Severity")
    table.add_column("Findings", justify="right")
    table.add_column("Rows", justify="right")
    for key, count in counts.most_common():
        code, severity = key
        table.add_row(code, severity, f"{count:,}", f"{rows[key]:,}")
    return table


def _code_counts(
    findings: list[Finding],
) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    """Count the findings, and the distinct rows they are on, per code and severity.

    Both counts are made by ``map`` and ``Counter`` in C, with no Python step
    per finding. The table of the 93k findings of a next-day run of the
    100k-row benchmark workbook took 33 ms instead of 85 ms (2-core VM).
    """
    placed = list(map(CODE_SEVERITY_ROW, findings))
    counts = Counter(map(CODE_AND_SEVERITY, placed))
    distinct = set(placed)
    if len(distinct) == len(placed):
        # No row has two findings of one code and severity, so every finding
        # adds a row.
        rows = counts.copy()
    else:
        rows = Counter(map(CODE_AND_SEVERITY, distinct))
    # A finding without a row counts in the findings only. Its key appears
    # once in ``distinct``, whatever the number of such findings.
    for key in counts:
        if (*key, None) in distinct:
            rows[key] -= 1
    return counts, rows


def _first_findings_table(result: RunResult, pipeline: Pipeline) -> Table:
    shown = result.findings[:FINDINGS_SHOWN]
    where = _where_findings_are(result, pipeline)
    if len(shown) < len(result.findings):
        title = (
            f"First {len(shown)} of {len(result.findings):,} findings "
            f"(all of them are in {where})"
        )
    else:
        title = f"{counted(len(shown), 'finding')} (also in {where})"
    table = Table(title=title)
    table.add_column("Row", justify="right")
    table.add_column("Column", overflow="fold")
    table.add_column("Message", overflow="fold")
    for finding in shown:
        table.add_row(
            "" if finding.row is None else str(finding.row),
            Text(finding.column or ""),
            Text(render_message(finding, pipeline.outputs.locale)),
        )
    return table


def _where_findings_are(result: RunResult, pipeline: Pipeline) -> str:
    """Name where the run's findings are listed in full, for the findings title.

    Only a run that writes fills the Problems tab. A file that pipesheet
    only reads, such as a CSV file, never gets one, and a dry run or
    ``check`` writes none.
    """
    if not result.has_tabs or is_read_only_format(Path(result.workbook)):
        return "--json"
    tab = pipeline.outputs.tabs.problems
    if result.dry_run:
        return f"--json, and a run lists them in tab {tab!r}"
    return f"tab {tab!r} and in --json"


def _severity_counts(result: RunResult) -> dict[str, int]:
    counts = Counter(map(SEVERITY, result.findings))
    return {severity.value: counts.get(severity.value, 0) for severity in Severity}


def _severity_totals(counts: Counter[tuple[str, str]]) -> dict[str, int]:
    """Sum the per-code counts of :func:`_code_counts` by severity value.

    The result equals :func:`_severity_counts` of the same findings.
    """
    totals = dict.fromkeys((severity.value for severity in Severity), 0)
    for (_code, severity), count in counts.items():
        totals[severity] += count
    return totals


def _percent_text(value: float | None) -> str:
    # Rounded as the Funnel tab rounds, so the terminal and the tab agree.
    return "—" if value is None else f"{round_half_up(value * 100, 2):.2f}%"


def _whole_text(value: float) -> str:
    return f"{round_half_up(value, 0):,.0f}"


def write_json(document: dict[str, Any], out: TextIO) -> None:
    """Write ``document`` to ``out`` exactly as ``json.dumps(document, indent=2)``.

    CPython 3.11 encodes indented JSON in pure Python, which took 1.8 s for the
    findings and follow-ups of the 100k-row benchmark workbook. Lists of flat
    entries are therefore formatted here, with the C string escaping of the
    standard library.
    """
    if not document:
        out.write("{}")
        return
    out.write("{")
    for index, (key, value) in enumerate(document.items()):
        out.write(",\n  " if index else "\n  ")
        out.write(f"{encode_basestring_ascii(key)}: ")
        text = _flat_entries_json(value)
        if text is None:
            text = json.dumps(value, indent=2).replace("\n", "\n  ")
        out.write(text)
    out.write("\n}")


def _flat_entries_json(entries: Any) -> str | None:
    """Return a list of flat dicts as indented JSON one level deep, else None."""
    if not isinstance(entries, list) or not entries:
        return None
    lines = []
    for entry in entries:
        if not isinstance(entry, dict) or not entry:
            return None
        fields = []
        for key, value in entry.items():
            scalar = _scalar_json(value)
            if scalar is None or not isinstance(key, str):
                return None
            fields.append(f"      {encode_basestring_ascii(key)}: {scalar}")
        lines.append("    {\n" + ",\n".join(fields) + "\n    }")
    return "[\n" + ",\n".join(lines) + "\n  ]"


def _scalar_json(value: Any) -> str | None:
    """Return text, a whole number or null as JSON, or None for anything else."""
    if type(value) is str:
        return encode_basestring_ascii(value)
    if value is None:
        return "null"
    if type(value) is int:
        return int.__repr__(value)
    return None


def _plain(value: Any) -> Any:
    """Return ``value`` with dataclasses as dicts, dates as ISO text, enums as values.

    This is ``dataclasses.asdict`` without its deep copy of every field, which
    cost half a second for the follow-ups of a 100k-row sheet.
    """
    # Most values are plain already; exact types leave out str and int enums.
    if value is None or type(value) in PLAIN_TYPES:
        return value
    names = _dataclass_field_names(value)
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


# Field names by dataclass type. None marks a type that is not a dataclass.
_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _dataclass_field_names(value: Any) -> tuple[str, ...] | None:
    """Return the field names of a dataclass instance, None for anything else.

    Looking them up once per type saves ``dataclasses.fields`` on each of the
    35,000 follow-ups of a 100k-row run.
    """
    kind = type(value)
    try:
        return _FIELD_NAMES[kind]
    except KeyError:
        pass
    names = None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = tuple(field.name for field in dataclasses.fields(value))
    _FIELD_NAMES[kind] = names
    return names
