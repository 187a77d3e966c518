"""The words of a digest in each output locale: subject, plain text and chat bodies.

Before: an owner's items, such as an overdue follow-up of deal D-12. After, the
English subject and one line of the body::

    pipesheet: 1 overdue follow-up for Ana Lima (Team pipeline, 2025-09-30)
    - D-12 · Acme Tools · Proposal (row 14): follow-up 5 days overdue
      (2025-09-25): Send pricing

(one line in the real body).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from config.models import Locale, Pipeline
from rules.findings import Code, Finding
from rules.messages import render_message, render_short

EN, ZH = Locale.EN, Locale.ZH_CN

# Items shown in a chat message; the rest are counted. Chat apps cap message
# size (WeCom markdown at 4096 bytes), and a long list is read in the tabs.
CHAT_ITEM_LIMIT = 10
# Characters of one item line in a chat message.
CHAT_LINE_LIMIT = 160
# Characters of a next step that an item quotes; the rest is counted. A cell
# can hold a page of notes, which the Follow-ups tab shows whole.
NEXT_STEP_LIMIT = 200
# A line break, with the spaces around it, inside one item's text.
LINE_BREAK = re.compile(r"[^\S\n\r\v\f\x85\u2028\u2029]*[\n\r\v\f\x85\u2028\u2029]\s*")
# Items shown in each section of an e-mail ("New since the last digest",
# "Still open"); the rest are counted. Without a cap, the manager's digest of
# the 8,800-deal Maven CRM sample lists 2,905 items (about 480 KB as e-mail),
# which relays with a message size limit reject, and a reader stops long before.
EMAIL_SECTION_ITEM_LIMIT = 100

WORDS: dict[Locale, dict[str, str]] = {
    EN: {
        "subject": "pipesheet: {counts} for {owner} ({pipeline}, {date})",
        "team_subject": "pipesheet: {counts} for {pipeline} ({date})",
        "heading": "pipesheet digest for {owner}: {pipeline}, {date}",
        "team_heading": "pipesheet digest for {pipeline}: every owner, {date}",
        "new": "New since the last digest:",
        "old": "Still open:",
        "more": "… and {count} more; see the tabs {followups!r} and {problems!r}.",
        "no_owner": "(no owner)",
        "row": "row {row}",
        "label_row": "{label} (row {row})",
        "line": "{label}: {message}",
        "dated": "{phrase} ({date})",
        "next_step": "{phrase}: {step}",
        "sentence": "{counts}.",
        "hint": (
            "To leave a deal's follow-up out of the next digest, put a date in "
            "{snooze} or mark {acknowledged}."
        ),
        "hint_snooze": (
            "To leave a deal's follow-up out of the next digest, put a date in "
            "{snooze}."
        ),
        "hint_acknowledged": (
            "To leave a deal's follow-up out of the next digest, mark {acknowledged}."
        ),
    },
    ZH: {
        "subject": "pipesheet：{owner}，{counts}（{pipeline}，{date}）",
        "team_subject": "pipesheet：{pipeline}，{counts}（{date}）",
        "heading": "pipesheet 摘要：{owner}，{pipeline}，{date}",
        "team_heading": "pipesheet 摘要：{pipeline}，全部负责人，{date}",
        "new": "自上次摘要以来的新事项：",
        "old": "仍未处理：",
        "more": "……另有 {count} 项，请查看“{followups}”和“{problems}”表。",
        "no_owner": "（无负责人）",
        "row": "第 {row} 行",
        "label_row": "{label}（第 {row} 行）",
        "line": "{label}：{message}",
        "dated": "{phrase}（{date}）",
        "next_step": "{phrase}：{step}",
        "sentence": "{counts}。",
        "hint": (
            "如需在下次摘要中略过某个商机的跟进，请在“{snooze}”中填写日期，"
            "或在“{acknowledged}”中标记。"
        ),
        "hint_snooze": "如需在下次摘要中略过某个商机的跟进，请在“{snooze}”中填写日期。",
        "hint_acknowledged": (
            "如需在下次摘要中略过某个商机的跟进，请在“{acknowledged}”中标记。"
        ),
    },
}


@dataclass(frozen=True)
class DigestLine:
    """One item as a digest shows it. ``owner`` is shown only in the team digest."""

    owner: str | None
    deal_id: str | None
    row: int | None
    account: str | None
    stage: str | None
    message: str
    short_message: str
    is_new: bool


@dataclass(frozen=True)
class DigestText:
    """The content of a digest before rendering; ``owner`` is None for the team.

    ``first`` is True when no earlier digest to the owner is known, so no line
    is headed as new since the last one. ``snoozable`` is True when
    a snooze date or acknowledged mark would leave an item out of the next
    digest, which is when the digest ends with that hint. The hint names the
    columns by ``snooze_header`` and ``acknowledged_header``, and leaves out
    a column whose header is None.
    """

    owner: str | None
    pipeline: Pipeline
    digest_date: dt.date
    overdue: int
    due_soon: int
    problems: int
    lines: list[DigestLine]
    first: bool = False
    snoozable: bool = True
    snooze_header: str | None = None
    acknowledged_header: str | None = None


@dataclass(frozen=True)
class RenderedDigest:
    """A digest in words: e-mail subject and body, and two short chat bodies."""

    subject: str
    plain: str
    chat: str
    markdown: str


def render_item(
    finding: Finding, next_step: str | None, locale: Locale
) -> tuple[str, str]:
    """Render an item's full message and its short form for chat.

    A follow-up finding becomes its short phrase, due date and next step, such
    as "follow-up 5 days overdue (2025-09-25): Send pricing". Any other finding
    keeps its full message and short status text.
    """
    if finding.code not in (Code.FOLLOWUP_OVERDUE, Code.FOLLOWUP_DUE_SOON):
        return render_message(finding, locale), render_short(finding, locale)

    words = WORDS[locale]
    phrase = words["dated"].format(
        phrase=render_short(finding, locale), date=finding.params["date"]
    )
    if next_step:
        step = cut_next_step(one_line(next_step))
        phrase = words["next_step"].format(phrase=phrase, step=step)
    return phrase, phrase


def cut_next_step(text: str) -> str:
    """Return a next step of at most :data:`NEXT_STEP_LIMIT` characters.

    A longer one keeps its start and ends in a count of the characters left
    out, such as ``… (409 more characters)``, so the reader knows to open the
    sheet for the rest.
    """
    text = text.strip()
    if len(text) <= NEXT_STEP_LIMIT:
        return text
    mark = f"… ({len(text) - NEXT_STEP_LIMIT:,} more characters)"
    return text[:NEXT_STEP_LIMIT].rstrip() + mark


def one_line(text: str) -> str:
    """Return ``text`` with each line break, and the spaces around it, as one space.

    An item is one entry of a list in every format. A line break in a cell
    it quotes would end the entry, so its next lines would read as text
    outside the list.

    >>> one_line("Call Ana.\\nThen send the quote.")
    'Call Ana. Then send the quote.'
    """
    return LINE_BREAK.sub(" ", text)


def render_digest(text: DigestText) -> RenderedDigest:
    """Render the subject, the plain-text body and the two chat bodies."""
    subject = render_subject(text)
    chat_lines = _shown_in_chat(text, CHAT_ITEM_LIMIT)

    return RenderedDigest(
        subject=subject,
        plain=_render_plain(text),
        chat="\n".join([subject, "", *chat_lines]),
        markdown=_markdown_body(subject, chat_lines),
    )


def render_markdown_within(text: DigestText, max_bytes: int) -> str | None:
    """Render the Markdown chat body in at most ``max_bytes`` bytes of UTF-8.

    Items are left out whole from the end, and the last line counts them
    with the others not shown, so a reader still learns that the tabs list
    more. Return None when even the subject and that line do not fit.
    """
    subject = render_subject(text)
    for item_count in range(min(CHAT_ITEM_LIMIT, len(text.lines)), -1, -1):
        body = _markdown_body(subject, _shown_in_chat(text, item_count))
        if len(body.encode()) <= max_bytes:
            return body
    return None


def _markdown_body(subject: str, chat_lines: list[str]) -> str:
    return "\n".join([f"**{subject}**", "", *_as_markdown(chat_lines)])


def render_subject(text: DigestText) -> str:
    """Render the subject line of a digest, which chat messages use as heading.

    In English: "pipesheet: 3 overdue follow-ups for Ana Lima (Team pipeline,
    2025-09-30)". The definition's name tells apart the digests of two
    workbooks. The team digest names it in place of an owner.
    """
    locale = text.pipeline.outputs.locale
    subject = "subject" if text.owner is not None else "team_subject"
    return WORDS[locale][subject].format(
        counts=_counts_text(text, locale),
        owner=text.owner,
        pipeline=one_line(text.pipeline.name),
        date=text.digest_date.isoformat(),
    )


def _render_plain(text: DigestText) -> str:
    locale = text.pipeline.outputs.locale
    words = WORDS[locale]
    heading = words["heading" if text.owner is not None else "team_heading"]
    lines = [
        heading.format(
            owner=text.owner,
            pipeline=text.pipeline.name,
            date=text.digest_date.isoformat(),
        ),
        words["sentence"].format(counts=_counts_text(text, locale)),
    ]

    for is_new in (True, False):
        part = [line for line in text.lines if line.is_new is is_new]
        if part:
            lines += [""] if text.first else ["", words["new" if is_new else "old"]]
            lines += _plain_section(part, text.pipeline)

    hint = _hint(text) if text.snoozable else None
    return "\n".join([*lines, "", hint] if hint else lines) + "\n"


def _plain_section(part: list[DigestLine], pipeline: Pipeline) -> list[str]:
    # At most EMAIL_SECTION_ITEM_LIMIT items, then a line that counts the rest.
    locale = pipeline.outputs.locale
    shown = part[:EMAIL_SECTION_ITEM_LIMIT]
    lines = [f"- {_line_text(line, locale, short=False)}" for line in shown]

    hidden = len(part) - len(shown)
    if hidden:
        lines.append(_more_line(hidden, pipeline))
    return lines


def _more_line(hidden: int, pipeline: Pipeline) -> str:
    tabs = pipeline.outputs.tabs
    return WORDS[pipeline.outputs.locale]["more"].format(
        count=hidden, followups=tabs.followups, problems=tabs.problems
    )


def _shown_in_chat(text: DigestText, limit: int) -> list[str]:
    # The lines of a chat body: headings, at most ``limit`` items, and a line
    # that counts the items left out.
    locale = text.pipeline.outputs.locale
    words = WORDS[locale]
    shown = text.lines[:limit]

    lines: list[str] = []
    for is_new in (True, False):
        part = [line for line in shown if line.is_new is is_new]
        if part and not text.first:
            lines.append(words["new" if is_new else "old"])
        lines += [_chat_line(line, locale) for line in part]

    hidden = len(text.lines) - len(shown)
    if hidden:
        lines.append(_more_line(hidden, text.pipeline))
    return lines


def _chat_line(line: DigestLine, locale: Locale) -> str:
    text = _line_text(line, locale, short=True)
    if len(text) > CHAT_LINE_LIMIT:
        text = text[: CHAT_LINE_LIMIT - 1] + "…"
    return f"- {text}"


def _as_markdown(lines: list[str]) -> list[str]:
    # Headings in bold, with a blank line before each so that Markdown
    # renderers start a new list after them.
    converted: list[str] = []
    for line in lines:
        if line.startswith("- "):
            converted.append(line)
        else:
            converted += ["", f"**{line}**"] if converted else [f"**{line}**"]
    return converted


def _line_text(line: DigestLine, locale: Locale, short: bool) -> str:
    message = line.short_message if short else line.message
    label = _deal_label(line, locale)
    if label is None:
        return one_line(message)
    return one_line(WORDS[locale]["line"].format(label=label, message=message))


def _deal_label(line: DigestLine, locale: Locale) -> str | None:
    """Return "D-12 · Acme Tools · Proposal (row 14)", or None for no row."""
    words = WORDS[locale]
    parts: list[str] = []
    if line.owner is not None:
        parts.append(line.owner or words["no_owner"])
    if line.deal_id:
        parts.append(line.deal_id)
    elif line.row is not None:
        parts.append(words["row"].format(row=line.row))
    parts += [part for part in (line.account, line.stage) if part]

    if not parts:
        return None
    label = " · ".join(parts)
    if line.deal_id and line.row is not None:
        label = words["label_row"].format(label=label, row=line.row)
    return label


def _counts_text(text: DigestText, locale: Locale) -> str:
    if locale is ZH:
        parts = [
            f"{text.overdue} 条逾期跟进" if text.overdue else "",
            f"{text.due_soon} 条即将到期的跟进" if text.due_soon else "",
            f"{text.problems} 个问题" if text.problems else "",
        ]
        return "、".join(part for part in parts if part)

    parts = [
        _plural(text.overdue, "overdue follow-up") if text.overdue else "",
        _due_soon_text(text.due_soon, after_overdue=text.overdue > 0),
        _plural(text.problems, "problem") if text.problems else "",
    ]
    return ", ".join(part for part in parts if part)


def _due_soon_text(count: int, after_overdue: bool) -> str:
    if not count:
        return ""
    if after_overdue:
        return f"{count} due soon"
    return f"{_plural(count, 'follow-up')} due soon"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _hint(text: DigestText) -> str | None:
    words = WORDS[text.pipeline.outputs.locale]
    snooze, acknowledged = text.snooze_header, text.acknowledged_header
    if snooze and acknowledged:
        return words["hint"].format(snooze=snooze, acknowledged=acknowledged)
    if snooze:
        return words["hint_snooze"].format(snooze=snooze)
    if acknowledged:
        return words["hint_acknowledged"].format(acknowledged=acknowledged)
    return None
