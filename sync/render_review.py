"""Render a monthly review as the frozen ``Review YYYY-MM`` tab.

Percentages are numbers from 0 to 100 rounded to two places, in columns whose
header ends in ``%``, as in the other generated tabs.
"""

from __future__ import annotations

import datetime as dt

from config.models import Locale, Pipeline
from rules.grid import CellValue
from rules.review import MonthlyReview
from sync.labels import OUTCOME_LABELS
from sync.plan import GeneratedTab

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
        "probability": "Probability %",
        "observed": "Observed win rate %",
        "closed": "Closed deals counted",
        "how_title": "How it is counted",
        "log_started": "The stage log began on {day}; moves before that day are "
        "not counted.",
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
        "probability": "赢率 %",
        "observed": "实际赢单率 %",
        "closed": "计入的已关闭商机",
        "how_title": "计算方法",
        "log_started": "阶段日志始于 {day}，此前的阶段变化未计入。",
    },
}

HOW_COUNTED: dict[Locale, list[str]] = {
    Locale.EN: [
        (
            "Entered: deals whose move into the stage was first seen by a run in "
            "the month. Deals already in a stage at the log's first run are not "
            "counted."
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
            "were ever in the stage and were closed at the month's end. Blank "
            "when none."
        ),
        "Every count is of distinct deals.",
    ],
    Locale.ZH_CN: [
        (
            "进入：当月运行首次发现进入该阶段的商机。"
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
            "赢单 ÷（赢单 + 丢单）。无此类商机时为空白。"
        ),
        "所有计数均为不重复的商机数。",
    ],
}


def review_tab_name(locale: Locale, first_day: dt.date) -> str:
    """Return the name of the review tab of the month beginning on ``first_day``."""
    return REVIEW_LABELS[locale]["tab"].format(month=f"{first_day:%Y-%m}")


def render_review(
    review: MonthlyReview, pipeline: Pipeline, tab: str, frozen_on: dt.date
) -> GeneratedTab:
    """Render the month's funnel, figures, lost reasons and win rates as one tab.

    ``tab`` is the pipeline tab the review was read from, ``frozen_on`` the
    day of the run that writes it. Before: September's review. After::

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
    if review.log_started_on is not None:
        rows.extend([[labels["log_started"].format(day=review.log_started_on)], []])
    rows.extend(_funnel_rows(review, locale, month))
    rows.extend([[], *_figure_rows(review, labels)])
    rows.extend([[], *_lost_reason_rows(review, labels, month)])
    rows.extend([[], *_win_rate_rows(review, labels)])
    rows.extend([[], [labels["how_title"]]])
    rows.extend([line] for line in HOW_COUNTED[locale])
    return GeneratedTab(
        name=review_tab_name(locale, review.first_day),
        grid=rows,
        column_widths=[28, 16, 20, 22, 10, 10, 16, 14],
    )


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
                _percent(stage.drop_off),
            ]
        )
    return rows


def _figure_rows(review: MonthlyReview, labels: dict[str, str]) -> Grid:
    return [
        [labels["figure"], labels["value"]],
        [labels["new_deals"], review.new_deals],
        [labels["won_deals"], review.won],
        [labels["lost_deals"], review.lost],
        [labels["left_deals"], review.left_sheet],
    ]


def _lost_reason_rows(
    review: MonthlyReview, labels: dict[str, str], month: str
) -> Grid:
    rows: Grid = [[labels["lost_reason"], labels["deals"]]]
    for reason in review.lost_reasons:
        rows.append([reason.reason or labels["blank_reason"], reason.deals])
    if review.lost_not_on_sheet:
        rows.append([labels["not_on_sheet"], review.lost_not_on_sheet])
    if not review.lost:
        rows.append([labels["no_lost"].format(month=month)])
    return rows


def _win_rate_rows(review: MonthlyReview, labels: dict[str, str]) -> Grid:
    header = ("stage", "probability", "observed", "closed", "won")
    rows: Grid = [[labels[key] for key in header]]
    for rate in review.win_rates:
        rows.append(
            [
                rate.name,
                _percent(rate.probability),
                _percent(rate.observed),
                rate.closed,
                rate.won,
            ]
        )
    return rows


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 2)
