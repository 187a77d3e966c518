"""The status cell of one deal row: OK, or its worst finding in a few words."""

from __future__ import annotations

from collections.abc import Sequence

from config.models import Locale
from rules.findings import Finding, Severity
from rules.messages import render_short

# A status with errors or warnings starts with one of these prefixes, separator
# included, so conditional formats can match it with LEFT(cell, len(prefix)).
STATUS_PREFIXES: dict[Locale, dict[Severity, str]] = {
    Locale.EN: {Severity.ERROR: "ERROR: ", Severity.WARNING: "WARN: "},
    Locale.ZH_CN: {Severity.ERROR: "错误：", Severity.WARNING: "提醒："},
}
OK_TEXT: dict[Locale, str] = {Locale.EN: "OK", Locale.ZH_CN: "正常"}
MORE_TEXT: dict[Locale, str] = {
    Locale.EN: " (+{count} more)",
    Locale.ZH_CN: "（另有 {count} 项）",
}

# Maximum characters of a status cell, so it stays readable in a narrow column.
MAX_STATUS_LENGTH = 120


def status_text(findings: Sequence[Finding], locale: Locale) -> str:
    """Return the status of one row from its findings.

    Info findings alone leave the row OK. Otherwise the first error (or, with
    no error, the first warning) is shown, with a count of the other errors and
    warnings: ``ERROR: missing Account (+2 more)``.
    """
    problems = [item for item in findings if item.severity is not Severity.INFO]
    if not problems:
        return OK_TEXT[locale]

    errors = [item for item in problems if item.severity is Severity.ERROR]
    worst = errors[0] if errors else problems[0]
    prefix = STATUS_PREFIXES[locale][worst.severity]
    more = (
        MORE_TEXT[locale].format(count=len(problems) - 1) if len(problems) > 1 else ""
    )

    room = MAX_STATUS_LENGTH - len(prefix) - len(more)
    return prefix + _shorten(render_short(worst, locale), room) + more


def _shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
