"""Render a monthly review as the frozen ``Review YYYY-MM`` tab.

Percentages are numbers from 0 to 100 rounded to two places, in columns whose
header ends in ``%``, as in the other generated tabs.
"""

from __future__ import annotations

import datetime as dt

from config.models import Locale, Pipeline
from rules.grid import CellValue
from rules.review import MonthlyReview
from sync.cell_text import EXPLANATION_WIDTH, display_width, explanation_lines
from sync.labels import OUTCOME_LABELS
from sync.plan import GeneratedTab
from sync.render import as_percent

Grid = list[list[CellValue]]

REVIEW_LABELS: dict[Locale, dict[str, str]] = {
    Locale.EN: {
        "tab": "Review {month}",
        "banner": "Monthly review of {month}, frozen by pipesheet on {frozen_on} "
        "from tab {tab!r}. pipesheet writes this tab once and never changes it.",
        "funnel_title": "Funnel of {month}, from the stage log",
        "stage": "Stage",
        "outcome": "Outcome",
        "entered": "Entered",
        "moved_on": "Moved on",
        "won": "Won",
        "lost": "Lost",
        "left_sheet": "Left the sheet",
        "drop_off": "Drop-off %",
        "figure": "Figure",
        "value": "Value",
        "new_deals": "New deals",
        "won_deals": "Won deals",
        "lost_deals": "Lost deals",
        "left_deals": "Deals that left the sheet",
        "lost_reason": "Lost reason",
        "deals": "Deals",
        "blank_reason": "(blank)",
        "not_on_sheet": "(no longer on the sheet)",
        "no_lost": "No deal was lost in {month}.",
        "no_lost_no_runs": "No move into a lost stage is dated in {month}.",
        "probability": "Probability %",
        "observed": "Observed win rate %",
        "closed": "Closed deals counted",
        "how_title": "How it is counted",
        "log_started": "The stage log began on {day}; moves before that day are "
        "not counted.",
        "no_runs": "No recorded run fell in {month}: the last run before it was "
        "on {before}, the next on {after}.",
        "no_runs_dated": "Moves and new deals in {month} are counted here only "
        "where the row's '{column}' dates them in the month. Other moves and new "
        "deals, and deals that left the sheet in {month}, are counted in the "
        "month of the run that recorded them.",
        "no_runs_undated": "Moves, new deals and deals that left the sheet in "
        "{month} are counted in the month of the run that recorded them, so this "
        "review shows none of them.",
        "since": " since {day}, the first recorded run",
        "won_by_date": "Won deals with '{column}' in {month} and no recorded move",
        "lost_by_date": "Lost deals with '{column}' in {month} and no recorded move",
        "no_lost_since": "No deal was recorded as lost since {day}, the first "
        "recorded run.",
        "no_lost_by_date": "No deal in a lost stage has '{column}' in {month}.",
        "how_by_date": "Won (Lost) deals with '{column}' in {month} and no recorded "
        "move: deals in a won (lost) stage at the month's end, by the stage log, "
        "whose '{column}' on the sheet is in the month and whose move into that "
        "stage the log does not show, because it came before the log began. The "
        "Lost reason table counts them too.",
    },
    Locale.ZH_CN: {
        "tab": "月度复盘 {month}",
        "banner": "{month} 月度复盘，由 pipesheet 于 {frozen_on} 根据「{tab}」生成并"
        "冻结。pipesheet 只写入一次，之后不再修改。",
        "funnel_title": "{month} 漏斗（据阶段日志）",
        "stage": "阶段",
        "outcome": "结果",
        "entered": "进入",
        "moved_on": "推进",
        "won": "赢单",
        "lost": "丢单",
        "left_sheet": "从表中删除",
        "drop_off": "流失率 %",
        "figure": "指标",
        "value": "数值",
        "new_deals": "新增商机",
        "won_deals": "赢单数",
        "lost_deals": "丢单数",
        "left_deals": "从表中删除的商机",
        "lost_reason": "丢单原因",
        "deals": "商机数",
        "blank_reason": "（空白）",
        "not_on_sheet": "（已不在表中）",
        "no_lost": "{month} 没有丢单。",
        "no_lost_no_runs": "没有日期在 {month} 的丢单。",
        "probability": "赢率 %",
        "observed": "实际赢单率 %",
        "closed": "计入的已关闭商机",
        "how_title": "计算方法",
        "log_started": "阶段日志始于 {day}，此前的阶段变化未计入。",
        "no_runs": "{month} 没有记录的运行：此前最后一次运行在 {before}，"
        "之后第一次在 {after}。",
        "no_runs_dated": "{month} 的阶段变化和新增商机只有在该行“{column}”的日期"
        "落在当月时才计入本表。其他阶段变化和新增商机，以及从表中删除的商机，"
        "计入记录它们的运行所在的月份。",
        "no_runs_undated": "{month} 的阶段变化、新增商机和从表中删除的商机计入"
        "记录它们的运行所在的月份，因此本表不含这些数据。",
        "since": "（自 {day} 首次记录的运行起）",
        "won_by_date": "“{column}”在 {month} 且无阶段变化记录的赢单数",
        "lost_by_date": "“{column}”在 {month} 且无阶段变化记录的丢单数",
        "no_lost_since": "自 {day}（首次记录的运行）起没有记录到丢单。",
        "no_lost_by_date": "没有处于丢单阶段且“{column}”在 {month} 的商机。",
        "how_by_date": "“{column}”在 {month} 且无阶段变化记录的赢单数（丢单数）："
        "月末按阶段日志处于赢单（丢单）阶段、表中“{column}”在该月、"
        "且阶段日志未记录其进入该阶段（发生在日志开始之前）的商机。"
        "丢单原因表也计入这些商机。",
    },
}

HOW_COUNTED: dict[Locale, list[str]] = {
    Locale.EN: [
        (
            "Entered: deals whose stay in the stage began in the month, as the "
            "Stage log tab dates it: by the row's stage-entered date where the "
            "Stage log takes it, else by the run that first saw the move. Deals "
            "already in a stage at the log's first run are not counted."
        ),
        (
            "Moved on, Won, Lost, Left the sheet: deals that left the stage in the "
            "month that way. Moves back are in no column."
        ),
        (
            "Drop-off %: (Lost + Left the sheet) ÷ (Moved on + Won + Lost + Left "
            "the sheet). Blank when no deal left the stage."
        ),
        (
            "Lost reason: the Lost reason cell of deals lost in the month, as the "
            "sheet showed it when this tab was written."
        ),
        (
            "Observed win rate %: won ÷ (won + lost) over the log's deals that "
            "were ever in the stage and were closed at the month's end. A deal "
            "removed from the sheet counts in the stage it was last recorded in, "
            "so an archived won deal still counts as won. Blank when none."
        ),
        "Every count is of distinct deals.",
    ],
    Locale.ZH_CN: [
        (
            "进入：按阶段日志表的日期在当月进入该阶段的商机："
            "阶段日志采用该行进入阶段日期时按该日期，否则按首次发现该变化的运行。"
            "阶段日志首次运行时已在该阶段的商机不计入。"
        ),
        (
            "推进、赢单、丢单、从表中删除：当月以该方式离开该阶段的商机。"
            "退回之前阶段的不计入任何一列。"
        ),
        (
            "流失率 %：（丢单 + 从表中删除）÷（推进 + 赢单 + 丢单 + 从表中删除）。"
            "无商机离开时为空白。"
        ),
        "丢单原因：当月丢单商机的丢单原因单元格，以写入本表时表中的内容为准。",
        (
            "实际赢单率 %：日志中曾在该阶段、且在月末已关闭的商机中，"
            "赢单 ÷（赢单 + 丢单）。已从表中删除的商机按其最后记录的阶段计入，"
            "因此归档的赢单仍计为赢单。无此类商机时为空白。"
        ),
        "所有计数均为不重复的商机数。",
    ],
}


def review_tab_name(
    locale: Locale, first_day: dt.date, template: str | None = None
) -> str:
    """Return the name of the review tab of the month beginning on ``first_day``.

    :param template: ``outputs.tabs.review``; default the locale's name.
    """
    name = template if template is not None else REVIEW_LABELS[locale]["tab"]
    return name.format(month=f"{first_day:%Y-%m}")


def render_review(
    review: MonthlyReview,
    pipeline: Pipeline,
    tab: str,
    frozen_on: dt.date,
    close_column: str | None = None,
    entered_column: str | None = None,
) -> GeneratedTab:
    """Render the month's funnel, figures, lost reasons and win rates as one tab.

    ``tab`` is the pipeline tab the review was read from, ``frozen_on`` the
    day of the run that writes it. ``close_column`` and ``entered_column`` are
    the headers of the sheet's close date and stage-entered date columns, or
    None without them. The tab of a month no recorded run fell in states
    that, and what it could not count. When the log began within
    the month, every figure from the log states since when it counts, and with a
    close date column the deals closed before are counted by their close date.
    Before: September's review. After::

        Monthly review of 2025-09, frozen by pipesheet on 2025-10-01 …
        (blank)
        Funnel of 2025-09, from the stage log
        Stage | Outcome | Entered | Moved on | Won | Lost | Left the sheet | …
        Lead  | open    | 4       | 2        | 0   | 1   | 0              | …
        …
    """
    locale = pipeline.outputs.locale
    labels = REVIEW_LABELS[locale]
    month = f"{review.first_day:%Y-%m}"
    banner = labels["banner"].format(month=month, frozen_on=frozen_on, tab=tab)

    rows: Grid = [[banner], []]
    rows.extend(_no_runs_rows(review, labels, month, entered_column))
    scope = ""
    if review.log_started_on is not None:
        rows.extend([[labels["log_started"].format(day=review.log_started_on)], []])
        scope = labels["since"].format(day=review.log_started_on)
    by_date = _by_close_date(review, labels, month, close_column)

    rows.extend(_funnel_rows(review, locale, month + scope))
    rows.extend([[], *_figure_rows(review, labels, scope), *by_date])
    rows.extend([[], *_lost_reason_rows(review, labels, month, close_column)])
    rows.extend([[], *_win_rate_rows(review, labels)])
    rows.extend([[], [labels["how_title"]]])
    rows.extend([line] for line in HOW_COUNTED[locale])
    if by_date:
        close_date_note = labels["how_by_date"].format(column=close_column, month=month)
        rows.insert(len(rows) - 1, [close_date_note])
    return GeneratedTab(
        name=review_tab_name(locale, review.first_day, pipeline.outputs.tabs.review),
        grid=[rows[0], *_broken_sentences(rows[1:])],
        column_widths=[28, 16, 20, 22, 10, 10, 16, 14],
    )


def _broken_sentences(rows: Grid) -> Grid:
    """Return ``rows`` with each long sentence on a row of its own broken into lines.

    A sentence alone in its row spills into the empty cells to its right, but
    past the screen's edge it cannot be read, so it goes on as many rows as
    :func:`~sync.cell_text.explanation_lines` gives.
    """
    broken: Grid = []
    for row in rows:
        text = row[0] if len(row) == 1 else None
        if isinstance(text, str) and display_width(text) > EXPLANATION_WIDTH:
            broken.extend([line] for line in explanation_lines(text))
        else:
            broken.append(row)
    return broken


def _no_runs_rows(
    review: MonthlyReview, labels: dict[str, str], month: str, column: str | None
) -> Grid:
    if review.run_before is None:
        return []
    after = review.run_after or review.last_day
    runs = labels["no_runs"].format(month=month, before=review.run_before, after=after)
    if column is None:
        return [[runs], [labels["no_runs_undated"].format(month=month)], []]
    dated = labels["no_runs_dated"].format(month=month, column=column)
    return [[runs], [dated], []]


def _funnel_rows(review: MonthlyReview, locale: Locale, month: str) -> Grid:
    labels = REVIEW_LABELS[locale]
    outcomes = OUTCOME_LABELS[locale]
    keys = ("stage", "outcome", "entered", "moved_on", "won", "lost", "left_sheet")
    rows: Grid = [
        [labels["funnel_title"].format(month=month)],
        [*(labels[key] for key in keys), labels["drop_off"]],
    ]
    for stage in review.stages:
        rows.append(
            [
                stage.name,
                outcomes[stage.outcome.value],
                stage.entered,
                stage.moved_on,
                stage.won,
                stage.lost,
                stage.left_sheet,
                as_percent(stage.drop_off),
            ]
        )
    return rows


def _figure_rows(review: MonthlyReview, labels: dict[str, str], scope: str) -> Grid:
    # ``scope`` states since when the log counts, when it began within the month.
    return [
        [labels["figure"], labels["value"]],
        [labels["new_deals"] + scope, review.new_deals],
        [labels["won_deals"] + scope, review.won],
        [labels["lost_deals"] + scope, review.lost],
        [labels["left_deals"] + scope, review.left_sheet],
    ]


def _by_close_date(
    review: MonthlyReview, labels: dict[str, str], month: str, column: str | None
) -> Grid:
    """Return the figure rows of the closed deals the log missed, if counted."""
    won, lost = review.won_by_close_date, review.lost_by_close_date
    if column is None or won is None or lost is None:
        return []
    return [
        [labels["won_by_date"].format(column=column, month=month), won],
        [labels["lost_by_date"].format(column=column, month=month), lost],
    ]


def _lost_reason_rows(
    review: MonthlyReview, labels: dict[str, str], month: str, column: str | None
) -> Grid:
    rows: Grid = [[labels["lost_reason"], labels["deals"]]]
    for reason in review.lost_reasons:
        rows.append([reason.reason or labels["blank_reason"], reason.deals])
    if review.lost_not_on_sheet:
        rows.append([labels["not_on_sheet"], review.lost_not_on_sheet])
    if review.lost or review.lost_by_close_date:
        return rows

    started_on = review.log_started_on
    if started_on is None:
        # Without runs in the month, only moves dated by the sheet are known.
        key = "no_lost" if review.run_before is None else "no_lost_no_runs"
        rows.append([labels[key].format(month=month)])
        return rows
    # Moves before the log began are unknown, so the sentence states what it
    # covers instead of claiming that no deal was lost in the whole month.
    rows.append([labels["no_lost_since"].format(day=started_on)])
    if column is not None:
        rows.append([labels["no_lost_by_date"].format(column=column, month=month)])
    return rows


def _win_rate_rows(review: MonthlyReview, labels: dict[str, str]) -> Grid:
    header = ("stage", "probability", "observed", "closed", "won")
    rows: Grid = [[labels[key] for key in header]]
    for rate in review.win_rates:
        rows.append(
            [
                rate.name,
                as_percent(rate.probability),
                as_percent(rate.observed),
                rate.closed,
                rate.won,
            ]
        )
    return rows
