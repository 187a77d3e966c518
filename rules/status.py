"""The status cell of one deal row: OK, or its worst finding in a few words."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import islice
from typing import cast

from config.models import Locale
from rules.findings import LAYOUT_CODES, Finding, Severity
from rules.grid import CellValue, is_blank
from rules.messages import render_short, render_shorts

# A status with errors or warnings starts with one of these prefixes, separator
# included, so conditional formats can match it with LEFT(cell, len(prefix)).
STATUS_PREFIXES: dict[Locale, dict[Severity, str]] = {
    Locale.EN: {Severity.ERROR: "ERROR: ", Severity.WARNING: "WARN: "},
    Locale.ZH_CN: {Severity.ERROR: "错误：", Severity.WARNING: "提醒："},
}
OK_TEXT: dict[Locale, str] = {Locale.EN: "OK", Locale.ZH_CN: "正常"}
# The count of a row's other problems. "(+1 more)" read as one more row after
# "ID also on row 3", so the English text names what it counts.
MORE_TEXT: dict[Locale, str] = {
    Locale.EN: " (+{count} more {problems})",
    Locale.ZH_CN: "（另有 {count} 项）",
}

# Maximum characters of a status cell, so it stays readable in a narrow column.
MAX_STATUS_LENGTH = 120


# The texts a status cell gets from pipesheet, in every output language: the
# OK text and the starts of error and warning statuses.
STATUS_OK_TEXTS = frozenset(OK_TEXT.values())
STATUS_TEXT_PREFIXES = tuple(
    prefix.strip()
    for prefixes in STATUS_PREFIXES.values()
    for prefix in prefixes.values()
)

# How many filled cells of a column are read to rule it out as a status column
# before all of them are counted. Data columns fail within a few cells.
STATUS_SAMPLE_CELLS = 20


def status_text(findings: Sequence[Finding], locale: Locale) -> str:
    """Return the status of one row from its findings.

    Info findings alone leave the row OK. Otherwise the first error (or, with
    no error, the first warning) is shown, with a count of the other errors and
    warnings: ``ERROR: missing Account (+2 more problems)``. Findings about
    the sheet's layout (``LAYOUT_CODES``) are left out, because they are not
    about the deal on the row.
    """
    problems = [
        item
        for item in findings
        if item.severity is not Severity.INFO and item.code not in LAYOUT_CODES
    ]
    if not problems:
        return OK_TEXT[locale]
    return _problem_status(_worst_problem(problems), len(problems), locale)


def row_statuses(findings: Iterable[Finding], locale: Locale) -> dict[int, str]:
    """Return the status of every row that has an error or a warning, by row.

    A row left out is OK. Each status is the one :func:`status_text` returns
    for the row's findings in their given order. Findings without a row are
    left out, and so are findings about the sheet's layout.

    Before: ``[WARN overdue on row 5, ERROR missing Account on row 5, INFO on
    row 6]``. After: ``{5: "ERROR: missing Account (+1 more problem)"}``.
    """
    # Counter counts the rows and dict() picks each row's worst problem, mostly
    # in C: 0.055 s for 86k findings, against 0.063 s with a loop per finding.
    info = Severity.INFO
    problems = [
        item
        for item in findings
        if item.severity is not info
        and item.row is not None
        and item.code not in LAYOUT_CODES
    ]
    # The filter above leaves no problem without a row.
    rows = cast(list[int], [item.row for item in problems])
    worst = _worst_by_row(rows, problems)

    # The shown problems' words are rendered in one batch, which renders each
    # repeated text once instead of making three calls per row.
    counts = Counter(rows)
    shown_problems = [worst[row] for row in counts]
    shorts = render_shorts(shown_problems, locale)
    pairs = zip(shown_problems, shorts, strict=True)
    return {
        row: _status_line(short, item.severity, count, locale)
        for (row, count), (item, short) in zip(counts.items(), pairs, strict=True)
    }


def _worst_problem(problems: Sequence[Finding]) -> Finding:
    """Return the first error, or the first problem when none is an error."""
    error = Severity.ERROR
    for item in problems:
        if item.severity is error:
            return item
    return problems[0]


def _worst_by_row(rows: list[int], problems: list[Finding]) -> dict[int, Finding]:
    """Return :func:`_worst_problem` of each row's problems, for all rows at once."""
    # Building a dict keeps the last value given for a key, so pairs given in
    # reverse order keep each row's first problem, then its first error.
    worst = dict(zip(reversed(rows), reversed(problems), strict=True))
    error = Severity.ERROR
    errors = [
        (row, item)
        for row, item in zip(rows, problems, strict=True)
        if item.severity is error
    ]
    worst.update(reversed(errors))
    return worst


def _problem_status(worst: Finding, problems: int, locale: Locale) -> str:
    """Return the status of a row with ``problems`` errors and warnings.

    ``worst`` is the problem the status shows.
    """
    return _status_line(render_short(worst, locale), worst.severity, problems, locale)


# Many rows share a status, so each distinct one is assembled once.
@functools.lru_cache(maxsize=4096)
def _status_line(short: str, severity: Severity, problems: int, locale: Locale) -> str:
    """Return the status showing ``short`` and a count of the other problems."""
    prefix = STATUS_PREFIXES[locale][severity]
    others = problems - 1
    noun = "problem" if others == 1 else "problems"
    more = MORE_TEXT[locale].format(count=others, problems=noun) if others else ""

    room = MAX_STATUS_LENGTH - len(prefix) - len(more)
    return prefix + _shorten(short, room) + more


def _shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def is_status_text(value: CellValue) -> bool:
    """Return True for a text a status cell gets from pipesheet."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    return text in STATUS_OK_TEXTS or text.startswith(STATUS_TEXT_PREFIXES)


def contains_mostly_statuses(cells: Iterable[CellValue]) -> bool:
    """Return True when most filled cells of a column are status texts.

    Blank cells are left out, so a column without a filled cell gives False.
    """
    filled = (cell for cell in cells if not is_blank(cell))
    sample = list(islice(filled, STATUS_SAMPLE_CELLS))
    if not sample or _count_other_texts(sample) * 2 >= len(sample):
        return False

    every = [*sample, *filled]
    return _count_other_texts(every) * 2 < len(every)


def _count_other_texts(cells: Sequence[CellValue]) -> int:
    return sum(1 for cell in cells if not is_status_text(cell))
