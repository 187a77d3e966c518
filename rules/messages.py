"""Message templates of every finding code, in each output locale.

A template is filled from the finding's fields (``row``, ``column``, ``value``,
``deal_id``, ``field``), its ``params`` and a few fields derived from them
(``days_text``, ``limit_text``, ``due_when``, ``due_phrase``, ``weekday_date``,
``other_rows``, ``detail``, ``at_least``). Each code has a list of templates
per locale: the first one whose fields are all filled is used, so a finding
without a suggestion or a stage still reads well.

Params each code is rendered with:

- ``missing-required``, ``missing-id`` and ``no-next-step``: ``stage``
  (optional), ``formula_cell`` (optional, the cell, such as ``E2``, whose
  formula gives an empty result) or ``unsaved_cell`` (optional, the cell
  whose formula was saved without a result).
- ``duplicate-id``: ``rows`` (the other rows, "6, 7"), ``count``,
  ``significant_digits`` (15, only when an ID of the group is a number of 16 or
  more digits, which Excel does not keep exactly), ``full_number`` (only when
  this deal's ID is such a number and shows in exponent form: all its digits,
  as the finding's ``deal_id`` has them).
- ``lookalike-id``: ``rows`` (the rows of the IDs it looks like, "6, 7"),
  ``others`` (those IDs, quoted and comma-separated).
- ``retyped-id``: ``old_id`` (the deal's ID as earlier runs saw it), ``date``
  (the day of the run that found the ID retyped).
- ``unknown-stage``: ``stages`` (the stage names, comma-separated), ``suggestion``
  (optional, the closest stage name).
- ``unknown-value``: ``suggestion`` (optional), ``choices``, ``choice_count``,
  ``list_column`` and ``list_tab`` (when the list comes from a tab, and
  ``list_tab`` only when the source has tabs, which a CSV file has not) or
  ``list_key`` (the definition key of the list, such as ``allowed.owner.values``).
- ``bad-date``, ``bad-amount``, ``bad-number``, ``bad-probability``,
  ``bad-percent``, ``bad-flag``: ``reason`` (a :class:`rules.cell_problem.Reason`
  value) and ``detail`` (English). A ``bad-probability`` or ``bad-percent`` with
  the reason
  ``percent-scale-mismatch`` adds ``as_fraction`` (150%), ``as_points`` (1.5%)
  and ``points_fraction`` (0.015). A ``bad-date`` with the reason
  ``two-digit-year`` adds ``full_date`` (the date as typed with a four-digit
  year), one with ``weekday-mismatch`` adds ``date``, one with
  ``text-date-out-of-range`` adds ``date``, ``earliest`` and ``latest``, and
  one with ``date-order-mismatch`` adds ``date`` (the date read in the other
  day/month order), ``date_order`` (the definition's, ``dmy`` or ``mdy``) and
  ``suggested_date_order`` (the other).
- ``close-date-passed``, ``followup-overdue``: ``days`` (since), ``date``.
- ``followup-due-soon``: ``days`` (until), ``date``.
- ``no-next-step``: ``stage``.
- ``idle-in-stage``: ``days``, ``limit``, ``stage``, ``since`` (optional, the day
  the Stage log's stay began, when the row's stage-entered date was not used),
  ``log_began`` (optional, the log's first day, when the stay began before it),
  ``entered_column`` (optional, the stage-entered header, when its cell gave no
  date) and ``first_found`` (optional, the stay's start then, when known).
- ``stage-skipped``: ``from``, ``to``, ``skipped`` (optional).
- ``moved-back``: ``from``, ``to``.
- ``content-under-blank-header``: ``column`` (a letter), ``cell``.
- ``id-not-text``: ``cell_kind`` (``true-false``, ``date``, ``date-time``,
  ``time``, ``decimal`` or ``long-number``). A ``long-number`` adds
  ``digit_count`` (the digits of the ID as read), ``significant_digits`` (15)
  and ``full_number`` (the ID as read).
- ``formula-error``, ``id-from-row-number``, ``totals-row``, ``repeated-header``,
  ``section-heading``: none.
- ``continuation-value``: ``cell`` (the cell of a deal's continuation row
  that is not read, ``F3``).
- ``merged-amount``: ``cells`` (the merged block, ``E2:E4``), ``count`` (the
  deals it covers) and ``first_row`` (the row of the deal it is counted on).
- ``close-before-created``: ``created_column`` (its header), ``created`` (the date).
- ``date-in-future``: ``today`` (the run's date), ``stage`` (the closed stage, on
  a won or lost deal's close date only) and ``period_days`` (with ``stage``,
  when ``metrics.win_rate_days`` is set).
- ``old-status-column``: ``letter`` (the column's letter), ``status_header``
  (the definition's status header), ``status_letter`` (the letter of the
  status column a run writes). The finding's column is None when the column's
  header is blank.
- ``old-generated-tab``: ``tab`` (the old generated tab), ``source_tab`` (the
  pipeline tab it was generated from). The finding has no row.
- ``mixed-currency``: ``currency`` (the cell's currency sign) and either
  ``main_currency`` (the sign most amounts in the column carry) or, when two or
  more signs are equally common, ``tied_currencies`` (those signs, "$, €") and
  ``tied_count`` (the amounts each carries).
"""

from __future__ import annotations

import functools
import string
from collections.abc import Sequence

from config.models import Locale
from rules.cell_problem import Reason
from rules.findings import LIST_SEPARATOR, Code, Finding, Severity

Templates = dict[Code, dict[Locale, tuple[str, ...]]]

EN, ZH = Locale.EN, Locale.ZH_CN

_BAD_CELL: dict[Locale, tuple[str, ...]] = {
    EN: ("{column} {value!r} cannot be read: {detail}.",),
    ZH: ("{column}“{value}”无法识别：{detail}。",),
}

MESSAGES: Templates = {
    Code.MISSING_REQUIRED: {
        EN: (
            (
                "{column} is required in stage {stage!r}, but the formula in "
                "{unsaved_cell} was saved without its result; open the workbook in "
                "Excel or LibreOffice, save it, and run again."
            ),
            (
                "{column} is required, but the formula in {unsaved_cell} was saved "
                "without its result; open the workbook in Excel or LibreOffice, save "
                "it, and run again."
            ),
            (
                "{column} is required in stage {stage!r}, but the formula in "
                "{formula_cell} gives an empty result; fill in the cells it reads, "
                "or correct the formula."
            ),
            (
                "{column} is required, but the formula in {formula_cell} gives an "
                "empty result; fill in the cells it reads, or correct the formula."
            ),
            "{column} is required in stage {stage!r}; fill it in.",
            "{column} is required; fill it in.",
        ),
        ZH: (
            (
                "阶段“{stage}”要求填写{column}，但 {unsaved_cell} 中的公式保存时"
                "没有计算结果；请在 Excel 或 LibreOffice 中打开并保存工作簿，再运行。"
            ),
            (
                "{column}为必填项，但 {unsaved_cell} 中的公式保存时没有计算结果；"
                "请在 Excel 或 LibreOffice 中打开并保存工作簿，再运行。"
            ),
            (
                "阶段“{stage}”要求填写{column}，但 {formula_cell} 中的公式结果为空，"
                "请补上公式引用的单元格，或更正公式。"
            ),
            (
                "{column}为必填项，但 {formula_cell} 中的公式结果为空，"
                "请补上公式引用的单元格，或更正公式。"
            ),
            "阶段“{stage}”要求填写{column}，请补上。",
            "{column}为必填项，请补上。",
        ),
    },
    Code.MISSING_ID: {
        EN: (
            (
                "Row {row} has no {column}: the formula in {unsaved_cell} was saved "
                "without its result; open the workbook in Excel or LibreOffice, save "
                "it, and run again."
            ),
            (
                "Row {row} has no {column}: the formula in {formula_cell} gives an "
                "empty result; fill in the cells it reads, or correct the formula, "
                "so that the deal has a unique ID."
            ),
            (
                "Row {row} has no {column}; give the deal a unique ID so that "
                "pipesheet can find the row again."
            ),
            "The row has no ID; give the deal a unique ID.",
        ),
        ZH: (
            (
                "第 {row} 行没有{column}：{unsaved_cell} 中的公式保存时没有计算结果；"
                "请在 Excel 或 LibreOffice 中打开并保存工作簿，再运行。"
            ),
            (
                "第 {row} 行没有{column}：{formula_cell} 中的公式结果为空，"
                "请补上公式引用的单元格，或更正公式，使该商机有唯一编号。"
            ),
            (
                "第 {row} 行没有{column}，请为该商机填写唯一编号，以便 pipesheet "
                "再次找到这一行。"
            ),
            "该行没有编号，请为该商机填写唯一编号。",
        ),
    },
    Code.DUPLICATE_ID: {
        EN: (
            (
                "{column} {value!r} (the number {full_number}) is also used on "
                "{other_rows}. Excel keeps only {significant_digits} significant "
                "digits of a number, so longer numeric IDs can become equal; type "
                "such IDs as text, with a leading apostrophe (') or in a column "
                "formatted as Text, and give each deal its own ID."
            ),
            (
                "{column} {value!r} is also used on {other_rows}. Excel keeps only "
                "{significant_digits} significant digits of a number, so longer "
                "numeric IDs can become equal; type such IDs as text, with a leading "
                "apostrophe (') or in a column formatted as Text, and give each deal "
                "its own ID."
            ),
            (
                "{column} {value!r} is also used on {other_rows}; give each deal its "
                "own ID."
            ),
            "This ID is used on more than one row; give each deal its own ID.",
        ),
        ZH: (
            (
                "{column}“{value}”（数字 {full_number}）与{other_rows}重复。"
                "Excel 只保留数字的 {significant_digits} 位有效数字，较长的数字编号"
                "可能变成相同的值；请以文本填写这类编号（开头加英文单引号 '，或先把"
                "该列设为文本格式），并为每个商机使用不同的编号。"
            ),
            (
                "{column}“{value}”与{other_rows}重复。Excel 只保留数字的 "
                "{significant_digits} 位有效数字，较长的数字编号可能变成相同的值；"
                "请以文本填写这类编号（开头加英文单引号 '，或先把该列设为文本格式），"
                "并为每个商机使用不同的编号。"
            ),
            "{column}“{value}”与{other_rows}重复，请为每个商机使用不同的编号。",
            "该编号在多行中重复，请为每个商机使用不同的编号。",
        ),
    },
    Code.LOOKALIKE_ID: {
        EN: (
            (
                "{column} {value!r} looks like {others} on {other_rows}: they "
                "differ only in case, character width or the kind of dash, so "
                "pipesheet counts them as separate deals, each with its own stage "
                "history. If they are one deal, type its ID the same way; if not, "
                "give them IDs that differ more."
            ),
            (
                "This ID differs from another row's only in case, character width "
                "or the kind of dash; type one deal's ID the same way everywhere."
            ),
        ),
        ZH: (
            (
                "{column}“{value}”与{other_rows}的{others}只差大小写、全角半角或"
                "连字符，pipesheet 会把它们当作不同的商机，分别记录阶段历史。"
                "如果是同一个商机，请用相同的写法填写编号；如果不是，请使用区别更明显的编号。"
            ),
            (
                "该编号与另一行的编号只差大小写、全角半角或连字符；同一个商机的编号"
                "请始终用相同的写法。"
            ),
        ),
    },
    Code.RETYPED_ID: {
        EN: (
            (
                "{column} {value!r} was typed {old_id!r} before the run of {date}. "
                "pipesheet treats them as one deal whose ID was retyped and keeps its "
                "stage history under {value!r}. If this row is another deal, give it "
                "an ID that differs from {old_id!r} in more than case, character "
                "width, dashes, spaces or the zeros and text around its number."
            ),
            (
                "This deal's ID was typed {old_id!r} before the run of {date}, and "
                "pipesheet keeps its stage history under the new ID. If this row is "
                "another deal, give it an ID that differs more."
            ),
        ),
        ZH: (
            (
                "{column}“{value}”在 {date} 的运行之前写作“{old_id}”。pipesheet "
                "把它们当作同一个商机的编号改写，阶段历史记在“{value}”下。"
                "如果这一行是另一个商机，请使用与“{old_id}”区别更明显的编号，"
                "而不只是大小写、全角半角、连字符、空格或数字前后的零和文字不同。"
            ),
            (
                "该商机的编号在 {date} 的运行之前写作“{old_id}”，阶段历史记在新编号下。"
                "如果这一行是另一个商机，请使用区别更明显的编号。"
            ),
        ),
    },
    Code.UNKNOWN_STAGE: {
        EN: (
            (
                "{column} {totals_label!r} is not a stage of this pipeline but the "
                "label of a totals or subtotal row, and such a row has no deal ID "
                "of its own. If this row is one, clear its deal ID cell; if it is "
                "a deal, type its stage, one of: {stages}."
            ),
            (
                "{column} {value!r} is a date, not a stage: the cell holds the date "
                "{date_cell}, as Excel makes of a stage typed like 1/2 or Mar 3. "
                "Format the column as text, then type the stage again, one of: "
                "{stages}."
            ),
            (
                "{column} {value!r} is not a stage of this pipeline; did you mean "
                "{suggestion!r}? If the team writes the stage this way, add "
                "{value!r} to that stage's aliases in the definition."
            ),
            (
                "{column} {value!r} is not a stage of this pipeline; use one of: "
                "{stages}, or add {value!r} to a stage's aliases in the definition."
            ),
            (
                "{column} {value!r} is not a stage of this pipeline; fix the "
                "spelling, add it to a stage's aliases, or add the stage to the "
                "definition."
            ),
        ),
        ZH: (
            (
                "{column}“{totals_label}”不是本漏斗的阶段，而是合计行或小计行的标签，"
                "这种行没有自己的商机编号。如果这一行是合计行，请清空它的编号单元格；"
                "如果它是商机，请填写它的阶段：{stages}之一。"
            ),
            (
                "{column}“{value}”是日期，不是阶段：单元格存的是日期 {date_cell}，"
                "Excel 会把 1/2 这样输入的阶段变成日期。请把该列设为文本格式，"
                "再重新填写阶段：{stages}之一。"
            ),
            (
                "{column}“{value}”不是本漏斗的阶段，您是否想填“{suggestion}”？"
                "如果团队习惯这样写，请在定义中把“{value}”加入该阶段的 aliases。"
            ),
            (
                "{column}“{value}”不是本漏斗的阶段，请改为以下之一：{stages}，"
                "或在定义中把“{value}”加入某个阶段的 aliases。"
            ),
            (
                "{column}“{value}”不是本漏斗的阶段，请更正拼写，"
                "把它加入某个阶段的 aliases，或在定义中添加该阶段。"
            ),
        ),
    },
    Code.UNKNOWN_VALUE: {
        EN: (
            (
                "{column} {value!r} is not in the allowed list (column {list_column!r} "
                "of tab {list_tab!r}); did you mean {suggestion!r}? If not, add it "
                "to that list."
            ),
            (
                "{column} {value!r} is not in the allowed list (column {list_column!r} "
                "of the file); did you mean {suggestion!r}? If not, add it to that "
                "list."
            ),
            (
                "{column} {value!r} is not in the allowed list ({list_key} in the "
                "pipeline definition); did you mean {suggestion!r}? If not, add it "
                "to that list."
            ),
            (
                "{column} {value!r} is not in the allowed list; did you mean "
                "{suggestion!r}?"
            ),
            (
                "{column} {value!r} is not in the allowed list (column {list_column!r} "
                "of tab {list_tab!r}); use one of: {choices}, or add it to that list."
            ),
            (
                "{column} {value!r} is not in the allowed list (column {list_column!r} "
                "of the file); use one of: {choices}, or add it to that list."
            ),
            (
                "{column} {value!r} is not in the allowed list ({list_key} in the "
                "pipeline definition); use one of: {choices}, or add it to that list."
            ),
            "{column} {value!r} is not in the allowed list; use one of: {choices}.",
            (
                "{column} {value!r} is not in the allowed list (column {list_column!r} "
                "of tab {list_tab!r}), which is empty; add the value to that column."
            ),
            (
                "{column} {value!r} is not in the allowed list (column {list_column!r} "
                "of the file), which is empty; add the value to that column."
            ),
            (
                "{column} {value!r} is not in the allowed list ({list_key} in the "
                "pipeline definition), which is empty; add the value to that list."
            ),
            (
                "{column} {value!r} is not in the allowed list, which is empty; add "
                "the value to the list."
            ),
        ),
        ZH: (
            (
                "{column}“{value}”不在允许列表中（“{list_tab}”表的“{list_column}”列），"
                "您是否想填“{suggestion}”？如果不是，请将其加入该列表。"
            ),
            (
                "{column}“{value}”不在允许列表中（本文件的“{list_column}”列），"
                "您是否想填“{suggestion}”？如果不是，请将其加入该列表。"
            ),
            (
                "{column}“{value}”不在允许列表中（定义中的 {list_key}），"
                "您是否想填“{suggestion}”？如果不是，请将其加入该列表。"
            ),
            "{column}“{value}”不在允许列表中，您是否想填“{suggestion}”？",
            (
                "{column}“{value}”不在允许列表中（“{list_tab}”表的“{list_column}”列），"
                "请改为以下之一：{choices}，或将其加入该列表。"
            ),
            (
                "{column}“{value}”不在允许列表中（本文件的“{list_column}”列），"
                "请改为以下之一：{choices}，或将其加入该列表。"
            ),
            (
                "{column}“{value}”不在允许列表中（定义中的 {list_key}），"
                "请改为以下之一：{choices}，或将其加入该列表。"
            ),
            "{column}“{value}”不在允许列表中，请改为以下之一：{choices}。",
            (
                "{column}“{value}”不在允许列表中（“{list_tab}”表的“{list_column}”列），"
                "而该列为空，请将此值加入该列。"
            ),
            (
                "{column}“{value}”不在允许列表中（本文件的“{list_column}”列），"
                "而该列为空，请将此值加入该列。"
            ),
            (
                "{column}“{value}”不在允许列表中（定义中的 {list_key}），"
                "而该列表为空，请将此值加入该列表。"
            ),
            "{column}“{value}”不在允许列表中，而该列表为空，请将此值加入列表。",
        ),
    },
    Code.BAD_DATE: _BAD_CELL,
    Code.BAD_AMOUNT: _BAD_CELL,
    Code.BAD_NUMBER: _BAD_CELL,
    Code.BAD_PROBABILITY: _BAD_CELL,
    Code.BAD_PERCENT: _BAD_CELL,
    Code.BAD_FLAG: _BAD_CELL,
    Code.CLOSE_DATE_PASSED: {
        EN: (
            (
                "{column} {date} passed {days_text} ago but the deal is still open; "
                "update the date or close the deal."
            ),
        ),
        ZH: (
            (
                "{column} {date} 已过去 {days_text}，但商机仍未关闭，"
                "请更新日期或关闭商机。"
            ),
        ),
    },
    Code.DATE_IN_FUTURE: {
        EN: (
            (
                "{column} {value} is after today ({today}), but the deal is already "
                "in the closed stage {stage!r}; correct the date. Until then the "
                "deal is left out of the average cycle and of the win rates of the "
                "last {period_days} days."
            ),
            (
                "{column} {value} is after today ({today}), but the deal is already "
                "in the closed stage {stage!r}; correct the date. Until then the "
                "deal is left out of the average cycle."
            ),
            (
                "{column} {value} is after today ({today}), so it cannot have "
                "happened yet; correct the date."
            ),
        ),
        ZH: (
            (
                "{column} {value} 晚于今天（{today}），但该商机已处于关闭阶段"
                "“{stage}”，请更正日期。更正前该商机不计入平均成交周期和最近 "
                "{period_days} 天的赢率。"
            ),
            (
                "{column} {value} 晚于今天（{today}），但该商机已处于关闭阶段"
                "“{stage}”，请更正日期。更正前该商机不计入平均成交周期。"
            ),
            "{column} {value} 晚于今天（{today}），不可能已经发生，请更正日期。",
        ),
    },
    Code.OLD_STATUS_COLUMN: {
        EN: (
            (
                "Column {letter} {column!r} contains mostly statuses pipesheet "
                "wrote, but its header is not the status header {status_header!r} "
                "(outputs.status_header), so these statuses are no longer updated. "
                "If the header cell was retyped, or renamed by Excel in a table, "
                "type {status_header!r} into {letter}{row} again and delete column "
                "{status_letter} if it has that header. If outputs.status_header "
                "changed, delete column {letter}."
            ),
            (
                "Column {letter} {column!r} contains mostly statuses pipesheet "
                "wrote, but its header is not the status header {status_header!r} "
                "(outputs.status_header), so these statuses are no longer updated. "
                "If the header cell was retyped, or renamed by Excel in a table, "
                "type {status_header!r} into {letter}{row} again. If "
                "outputs.status_header changed, delete column {letter}."
            ),
            (
                "Column {letter} has no header and contains mostly statuses "
                "pipesheet wrote, but statuses now go to the column "
                "{status_header!r} (outputs.status_header), so these are no "
                "longer updated; delete column {letter}."
            ),
        ),
        ZH: (
            (
                "第 {letter} 列“{column}”中大多是 pipesheet 写入的状态，但其表头不是"
                "状态表头“{status_header}”（outputs.status_header），这些状态不会再"
                "更新。如果表头单元格被改写，或在表格中被 Excel 重命名，请在 "
                "{letter}{row} 中重新输入“{status_header}”，并在第 {status_letter} "
                "列带有该表头时删除该列。如果 outputs.status_header 改过，请删除第 "
                "{letter} 列。"
            ),
            (
                "第 {letter} 列“{column}”中大多是 pipesheet 写入的状态，但其表头不是"
                "状态表头“{status_header}”（outputs.status_header），这些状态不会再"
                "更新。如果表头单元格被改写，或在表格中被 Excel 重命名，请在 "
                "{letter}{row} 中重新输入“{status_header}”。如果 "
                "outputs.status_header 改过，请删除第 {letter} 列。"
            ),
            (
                "第 {letter} 列没有表头，其中大多是 pipesheet 写入的状态，但状态"
                "现在写在“{status_header}”列（outputs.status_header），这些状态"
                "不会再更新；请删除第 {letter} 列。"
            ),
        ),
    },
    Code.OLD_GENERATED_TAB: {
        EN: (
            (
                "Tab {tab!r} was generated by pipesheet from tab {source_tab!r}, "
                "but it is no longer one of the definition's generated tabs "
                "(outputs.tabs), so it is no longer updated; delete tab {tab!r}."
            ),
        ),
        ZH: (
            (
                "工作表“{tab}”是 pipesheet 根据「{source_tab}」生成的，但已不是"
                "定义中的生成表（outputs.tabs），不会再更新；请删除工作表“{tab}”。"
            ),
        ),
    },
    Code.MIXED_CURRENCY: {
        EN: (
            (
                "{column} {value!r} is in {currency}, but {main_currency} is this "
                "column's most common currency; convert the amount to "
                "{main_currency} or keep each currency in its own column. Until "
                "then it is left out of the totals."
            ),
            (
                "{column} {value!r} is in {currency}, but this column has no most "
                "common currency, because {tied_text} are equally common "
                "({tied_amounts} each). Convert the amounts to one currency or "
                "keep each currency in its own column. Until then every amount "
                "with a currency mark in this column is left out of the totals."
            ),
        ),
        ZH: (
            (
                "{column}“{value}”的币种是 {currency}，而本列最常见的币种是 "
                "{main_currency}；请换算成 {main_currency}，或把不同币种分列填写。"
                "更正前该金额不计入合计。"
            ),
            (
                "{column}“{value}”的币种是 {currency}，而本列没有最常见的币种，"
                "因为 {tied_text} 各有 {tied_count} 个金额；请把金额换算成同一币种，"
                "或把不同币种分列填写。更正前本列带币种标记的金额都不计入合计。"
            ),
        ),
    },
    Code.ID_NOT_TEXT: {
        EN: (
            (
                "{column} {value!r} is a number of {digit_count} digits, more than "
                "the {significant_digits} significant digits that spreadsheets "
                "keep, so digits of the ID are lost, and the cell reads as "
                "{full_number}; type the full ID as text, for example with the "
                "column formatted as Text."
            ),
            (
                "{column} {value!r} is {cell_kind_text}, which programs show in "
                "different ways, so the ID is not reliable; type it as text or a "
                "whole number, for example with the column formatted as Text."
            ),
            (
                "{column} {value!r} is a TRUE/FALSE, date, time or decimal cell, "
                "which programs show in different ways, so the ID is not reliable; "
                "type it as text or a whole number, for example with the column "
                "formatted as Text."
            ),
        ),
        ZH: (
            (
                "{column}“{value}”是 {digit_count} 位数字，超过电子表格保留的 "
                "{significant_digits} 位有效数字，编号的部分数字已丢失，单元格读作 "
                "{full_number}；请以文本填写完整编号，例如先把该列设为文本格式。"
            ),
            (
                "{column}“{value}”是{cell_kind_text}，不同程序显示不同，编号因此"
                "不可靠；请以文本或整数填写，例如先把该列设为文本格式。"
            ),
            (
                "{column}“{value}”是 TRUE/FALSE、日期、时间或小数单元格，不同程序显示"
                "不同，编号因此不可靠；请以文本或整数填写，例如先把该列设为文本格式。"
            ),
        ),
    },
    Code.CLOSE_BEFORE_CREATED: {
        EN: (
            (
                "{column} {value} is before {created_column} {created}, but a deal "
                "cannot close before it was created; correct one of the two dates. "
                "Until then the deal is left out of the average cycle."
            ),
        ),
        ZH: (
            (
                "{column} {value} 早于{created_column} {created}，商机不可能在创建前"
                "关闭，请更正其中一个日期。更正前该商机不计入平均成交周期。"
            ),
        ),
    },
    Code.FOLLOWUP_OVERDUE: {
        EN: (
            (
                "Follow-up is {days_text} overdue (due {date}); follow up, then "
                "set the next date in {column}, or snooze the deal."
            ),
        ),
        ZH: (
            (
                "跟进已逾期 {days_text}（应于 {date}），请尽快跟进，"
                "并在{column}中填写下一次日期，或暂缓该商机。"
            ),
        ),
    },
    Code.FOLLOWUP_DUE_SOON: {
        EN: ("Follow-up is due {due_when} ({date}).",),
        ZH: ("跟进{due_phrase}到期（{date}）。",),
    },
    Code.NO_NEXT_STEP: {
        EN: (
            (
                "Open deal in stage {stage!r} has no {column}: the formula in "
                "{unsaved_cell} was saved without its result; open the workbook in "
                "Excel or LibreOffice, save it, and run again."
            ),
            (
                "Open deal in stage {stage!r} has no {column}: the formula in "
                "{formula_cell} gives an empty result; fill in the cells it reads, "
                "or correct the formula."
            ),
            (
                "Open deal in stage {stage!r} has no {column}; set the date of the "
                "next step."
            ),
            "Open deal has no {column}; set the date of the next step.",
        ),
        ZH: (
            (
                "阶段“{stage}”的进行中商机没有{column}：{unsaved_cell} 中的公式"
                "保存时没有计算结果；"
                "请在 Excel 或 LibreOffice 中打开并保存工作簿，再运行。"
            ),
            (
                "阶段“{stage}”的进行中商机没有{column}："
                "{formula_cell} 中的公式结果为空，请补上公式引用的单元格，或更正公式。"
            ),
            "阶段“{stage}”的进行中商机没有{column}，请填写下一步的日期。",
            "进行中的商机没有{column}，请填写下一步的日期。",
        ),
    },
    Code.IDLE_IN_STAGE: {
        EN: (
            (
                "Deal has been in stage {stage!r} for {days_text}, since {since}, "
                "when a run first found it there; that is more than its limit of "
                "{limit_text}. {column} ({value}) is not used because a later run "
                "still saw the deal in its previous stage. Move the deal forward, "
                "close it, or correct {column}."
            ),
            (
                "Deal has been in stage {stage!r} for {days_text}, since {first_found} "
                "by the Stage log, more than its limit of {limit_text}. "
                "{entered_column} has no date to count from: fill in the day the deal "
                "entered the stage, or move the deal forward or close it."
            ),
            (
                "Deal has been in stage {stage!r} for at least {days_text}, more than "
                "its limit of {limit_text}: it was there when the stage log began on "
                "{log_began}. {entered_column} has no date to count from: fill in the "
                "day the deal entered the stage, or move the deal forward or close it."
            ),
            (
                "Deal has been in stage {stage!r} for at least {days_text}, more than "
                "its limit of {limit_text}: it was there when the stage log began on "
                "{log_began}. Move it forward or close it."
            ),
            (
                "Deal has been in stage {stage!r} for {days_text}, more than its limit "
                "of {limit_text}; move it forward, close it, or correct {column}."
            ),
        ),
        ZH: (
            (
                "商机自 {since}（运行首次在该阶段发现它）起已在阶段“{stage}”停留 "
                "{days_text}，超过上限 {limit_text}。{column}（{value}）未被采用，"
                "因为之后的运行仍看到该商机处于上一阶段。请推进或关闭商机，或更正{column}。"
            ),
            (
                "按阶段日志，商机自 {first_found} 起已在阶段“{stage}”停留 {days_text}，"
                "超过上限 {limit_text}。{entered_column}没有可用于计算的日期："
                "请填写商机进入该阶段的日期，或推进、关闭商机。"
            ),
            (
                "商机已在阶段“{stage}”停留至少 {days_text}，超过上限 {limit_text}："
                "阶段日志于 {log_began} 开始记录时它已在该阶段。{entered_column}没有"
                "可用于计算的日期：请填写商机进入该阶段的日期，或推进、关闭商机。"
            ),
            (
                "商机已在阶段“{stage}”停留至少 {days_text}，超过上限 {limit_text}："
                "阶段日志于 {log_began} 开始记录时它已在该阶段。请推进或关闭商机。"
            ),
            (
                "商机已在阶段“{stage}”停留 {days_text}，超过上限 {limit_text}，"
                "请推进或关闭商机，或更正{column}。"
            ),
        ),
    },
    Code.STAGE_SKIPPED: {
        EN: (
            (
                "Stage moved from {from!r} to {to!r}, skipping {skipped}; check that "
                "the skipped stages were done."
            ),
            (
                "Stage moved from {from!r} to {to!r}, skipping stages in between; "
                "check that the skipped stages were done."
            ),
        ),
        ZH: (
            "阶段从“{from}”直接变为“{to}”，跳过了{skipped}，请确认被跳过的阶段已完成。",
            "阶段从“{from}”直接变为“{to}”，跳过了中间阶段，请确认被跳过的阶段已完成。",
        ),
    },
    Code.MOVED_BACK: {
        EN: (
            (
                "Stage moved back from {from!r} to {to!r}; if that was a mistake, set "
                "it back to {from!r}."
            ),
        ),
        ZH: ("阶段从“{from}”退回到“{to}”，如属误操作，请改回“{from}”。",),
    },
    Code.CONTENT_UNDER_BLANK_HEADER: {
        EN: (
            (
                "Cell {cell} contains {value!r} but its column has no header, so "
                "pipesheet ignores it; add a header or move the value."
            ),
            (
                "A column without a header contains values, so pipesheet ignores "
                "them; add a header or move the values."
            ),
        ),
        ZH: (
            (
                "单元格 {cell} 有内容“{value}”，但该列没有表头，pipesheet 会忽略它，"
                "请添加表头或移走该值。"
            ),
            "没有表头的列中有内容，pipesheet 会忽略它们，请添加表头或移走这些值。",
        ),
    },
    Code.FORMULA_ERROR: {
        EN: (
            (
                "{column} shows the formula error {value}; correct the formula, "
                "or type the value instead."
            ),
        ),
        ZH: ("{column}显示公式错误 {value}，请修正公式，或直接填写数值。",),
    },
    Code.ID_FROM_ROW_NUMBER: {
        EN: (
            (
                "{column} {value!r} is computed from the row number (ROW), so "
                "sorting the rows gives deals each other's IDs and mixes up their "
                "statuses and stage history. Replace the formulas with their "
                "values: copy the column, then Paste Special > Values."
            ),
            (
                "{column} is computed from the row number (ROW), so sorting the "
                "rows gives deals each other's IDs and mixes up their statuses and "
                "stage history. Replace the formulas with their values: copy the "
                "column, then Paste Special > Values."
            ),
        ),
        ZH: (
            (
                "{column}“{value}”是按行号（ROW）算出的，排序后各笔商机的编号会互换，"
                "状态和阶段记录也会对错行。请把公式换成固定值：复制该列，"
                "再选择性粘贴为数值。"
            ),
            (
                "{column}是按行号（ROW）算出的，排序后各笔商机的编号会互换，"
                "状态和阶段记录也会对错行。请把公式换成固定值：复制该列，"
                "再选择性粘贴为数值。"
            ),
        ),
    },
    Code.REPEATED_HEADER: {
        EN: (
            (
                "Row {row} repeats the header ({value!r}), so pipesheet does not "
                "count it as a deal. If it is the real header, below a filter or "
                "notes, set source.header_row to {row} in the Setting table of "
                "tab {rules_tab!r}; if it starts another table, move that table "
                "to another tab; else delete the row."
            ),
            (
                "Row {row} repeats the header ({value!r}), so pipesheet does not "
                "count it as a deal. If it is the real header, below a filter or "
                "notes, set source.header_row to {row} in the definition; if it "
                "starts another table, move that table to another tab; else "
                "delete the row."
            ),
        ),
        ZH: (
            (
                "第 {row} 行重复了表头（“{value}”），pipesheet 不把它算作商机。"
                "如果它才是真正的表头（上方是筛选条件或备注），请在工作表"
                "“{rules_tab}”的设置表中把 source.header_row 设为 {row}；如果它是"
                "另一张表的开头，请把这张表移到别的工作表；否则请删除该行。"
            ),
            (
                "第 {row} 行重复了表头（“{value}”），pipesheet 不把它算作商机。"
                "如果它才是真正的表头（上方是筛选条件或备注），请在定义中把 "
                "source.header_row 设为 {row}；如果它是另一张表的开头，请把这张表"
                "移到别的工作表；否则请删除该行。"
            ),
        ),
    },
    Code.TOTALS_ROW: {
        EN: (
            (
                "Row {row} looks like a totals row ({value!r}), so pipesheet does "
                "not count it as a deal. If it is a deal, give it its own deal ID "
                "and a stage."
            ),
        ),
        ZH: (
            (
                "第 {row} 行像是合计行（“{value}”），pipesheet 不把它算作商机。"
                "如果它是商机，请为它填写自己的编号和阶段。"
            ),
        ),
    },
    Code.SECTION_HEADING: {
        EN: (
            (
                "Row {row} looks like a section heading ({value!r}) above a group "
                "of deals, so pipesheet does not count it as a deal. If it is a "
                "deal, give it its own deal ID and a stage."
            ),
        ),
        ZH: (
            (
                "第 {row} 行像是一组商机上方的分组标题（“{value}”），pipesheet "
                "不把它算作商机。如果它是商机，请为它填写自己的编号和阶段。"
            ),
        ),
    },
    Code.MERGED_AMOUNT: {
        EN: (
            (
                "{column} {value} is merged over {cells}, which covers {count} "
                "deals, so pipesheet counts it once, on row {first_row}. Unmerge "
                "{cells} and give each deal its own amount."
            ),
            (
                "{column} is merged over the rows of {count} deals, so pipesheet "
                "counts it once. Unmerge it and give each deal its own amount."
            ),
        ),
        ZH: (
            (
                "{column}“{value}”合并了 {cells}，覆盖 {count} 笔商机，pipesheet "
                "只在第 {first_row} 行计算一次。请取消合并 {cells}，"
                "为每笔商机填写各自的金额。"
            ),
            (
                "{column}合并覆盖了 {count} 笔商机，pipesheet 只计算一次。"
                "请取消合并，为每笔商机填写各自的金额。"
            ),
        ),
    },
    Code.CONTINUATION_VALUE: {
        EN: (
            (
                "{cell} contains {value!r}, but its row continues the deal on row "
                "{row}, whose {column} is already filled, so pipesheet does not "
                "read it. Move the value into row {row}, or clear {cell}."
            ),
            (
                "{cell} contains {value!r}, but its row continues the deal on row "
                "{row}, whose cell in that column is already filled, so pipesheet "
                "does not read it. Move the value into row {row}, or clear {cell}."
            ),
        ),
        ZH: (
            (
                "{cell} 的值为“{value}”，但这一行是第 {row} 行商机的续行，"
                "该商机的{column}已经填写，pipesheet 不读取它。"
                "请把该值移到第 {row} 行，或清空 {cell}。"
            ),
            (
                "{cell} 的值为“{value}”，但这一行是第 {row} 行商机的续行，"
                "该商机在这一列已经填写，pipesheet 不读取它。"
                "请把该值移到第 {row} 行，或清空 {cell}。"
            ),
        ),
    },
}

SHORT_MESSAGES: Templates = {
    Code.MISSING_REQUIRED: {EN: ("missing {column}",), ZH: ("缺少{column}",)},
    Code.MISSING_ID: {EN: ("missing {column}",), ZH: ("缺少{column}",)},
    Code.DUPLICATE_ID: {
        EN: ("ID also on {other_rows}", "duplicate ID"),
        ZH: ("编号与{other_rows}重复", "编号重复"),
    },
    Code.LOOKALIKE_ID: {
        EN: ("ID looks like {others} on {other_rows}", "ID looks like another"),
        ZH: ("编号与{other_rows}的{others}相似", "编号与另一行相似"),
    },
    Code.RETYPED_ID: {
        EN: ("ID was {old_id!r} before {date}",),
        ZH: ("编号在 {date} 前为“{old_id}”",),
    },
    Code.UNKNOWN_STAGE: {
        EN: (
            "unknown stage {value!r} (did you mean {suggestion!r}?)",
            "unknown stage {value!r}",
            "unknown stage",
        ),
        ZH: (
            "未知阶段“{value}”（是否为“{suggestion}”？）",
            "未知阶段“{value}”",
            "未知阶段",
        ),
    },
    Code.UNKNOWN_VALUE: {
        EN: (
            "{column} {value!r} not allowed (did you mean {suggestion!r}?)",
            "{column} {value!r} not allowed",
        ),
        ZH: (
            "{column}“{value}”不在列表中（是否为“{suggestion}”？）",
            "{column}“{value}”不在列表中",
        ),
    },
    Code.BAD_DATE: {
        EN: (
            "{column} {value!r}: the weekday does not match {weekday_date}",
            "{column} {value!r} is not {date_order_words}",
            "{column} {value!r} is not a date",
        ),
        ZH: (
            "{column}“{value}”的星期几与 {weekday_date} 不符",
            "{column}“{value}”不是{date_order_words}格式",
            "{column}“{value}”不是有效日期",
        ),
    },
    Code.BAD_AMOUNT: {
        EN: ("{column} {value!r} is not an amount",),
        ZH: ("{column}“{value}”不是有效金额",),
    },
    Code.BAD_NUMBER: {
        EN: ("{column} {value!r} is not a number",),
        ZH: ("{column}“{value}”不是有效数字",),
    },
    Code.BAD_PROBABILITY: {
        EN: ("{column} {value!r} is not a probability",),
        ZH: ("{column}“{value}”不是有效的赢率",),
    },
    Code.BAD_PERCENT: {
        EN: ("{column} {value!r} is not a percentage",),
        ZH: ("{column}“{value}”不是有效的百分比",),
    },
    Code.BAD_FLAG: {
        EN: ("{column} {value!r} is not yes/no",),
        ZH: ("{column}“{value}”不是“是/否”",),
    },
    Code.CLOSE_DATE_PASSED: {
        EN: ("close date passed {days_text} ago",),
        ZH: ("{column}已过 {days_text}",),
    },
    Code.ID_NOT_TEXT: {
        EN: ("{column} {value!r} is not text",),
        ZH: ("{column}“{value}”不是文本",),
    },
    Code.DATE_IN_FUTURE: {
        EN: ("{column} after today",),
        ZH: ("{column}晚于今天",),
    },
    Code.OLD_STATUS_COLUMN: {
        EN: ("earlier status column {letter}",),
        ZH: ("旧的状态列 {letter}",),
    },
    Code.OLD_GENERATED_TAB: {
        EN: ("earlier generated tab {tab!r}",),
        ZH: ("旧的生成表“{tab}”",),
    },
    Code.MIXED_CURRENCY: {
        EN: (
            "{column} in {currency}, not {main_currency}",
            "{column} in {currency}, no most common currency",
        ),
        ZH: (
            "{column}币种 {currency} 与本列的 {main_currency} 不同",
            "{column}币种 {currency}，本列没有最常见的币种",
        ),
    },
    Code.CLOSE_BEFORE_CREATED: {
        EN: ("{column} before {created_column}",),
        ZH: ("{column}早于{created_column}",),
    },
    Code.FOLLOWUP_OVERDUE: {
        EN: ("follow-up {days_text} overdue",),
        ZH: ("跟进逾期 {days_text}",),
    },
    Code.FOLLOWUP_DUE_SOON: {
        EN: ("follow-up due {due_when}",),
        ZH: ("{due_when}需跟进",),
    },
    Code.NO_NEXT_STEP: {EN: ("no next-step date",), ZH: ("没有下一步日期",)},
    Code.IDLE_IN_STAGE: {
        EN: (
            "{at_least}{days_text} in {stage!r} (limit {limit})",
            "{days_text} in {stage!r} (limit {limit})",
        ),
        ZH: (
            "在“{stage}”停留{at_least}{days_text}（上限 {limit}）",
            "在“{stage}”停留 {days_text}（上限 {limit}）",
        ),
    },
    Code.STAGE_SKIPPED: {
        EN: ("skipped {skipped}", "skipped stages to {to!r}"),
        ZH: ("跳过了{skipped}", "跳过阶段直接到“{to}”"),
    },
    Code.MOVED_BACK: {
        EN: ("moved back to {to!r}",),
        ZH: ("退回到“{to}”",),
    },
    Code.CONTENT_UNDER_BLANK_HEADER: {
        EN: ("content under a blank header in {cell}", "content under a blank header"),
        ZH: ("{cell} 所在列没有表头", "有内容的列没有表头"),
    },
    Code.FORMULA_ERROR: {
        EN: ("{column} shows {value}",),
        ZH: ("{column}显示 {value}",),
    },
    Code.ID_FROM_ROW_NUMBER: {
        EN: ("{column} computed from the row number",),
        ZH: ("{column}按行号计算",),
    },
    Code.TOTALS_ROW: {EN: ("totals row, not a deal",), ZH: ("合计行，不是商机",)},
    Code.REPEATED_HEADER: {
        EN: ("repeated header, not a deal",),
        ZH: ("重复的表头，不是商机",),
    },
    Code.SECTION_HEADING: {
        EN: ("section heading, not a deal",),
        ZH: ("分组标题，不是商机",),
    },
    Code.CONTINUATION_VALUE: {
        EN: ("{cell} not read: row continues this deal", "continuation cell not read"),
        ZH: ("未读取 {cell}：该行是本商机的续行", "未读取续行的单元格"),
    },
    Code.MERGED_AMOUNT: {
        EN: ("{column} merged over {count} deals ({cells})", "{column} merged"),
        ZH: ("{column}合并覆盖 {count} 笔商机（{cells}）", "{column}被合并"),
    },
}

# The kinds of cell an ``id-not-text`` finding names, by its ``cell_kind`` param.
CELL_KINDS: dict[Locale, dict[str, str]] = {
    EN: {
        "true-false": "a TRUE/FALSE cell",
        "date": "a date cell",
        "date-time": "a date-and-time cell",
        "time": "a time cell",
        "decimal": "a decimal number",
        "long-number": "a number of more than 15 digits",
    },
    ZH: {
        "true-false": "布尔值（TRUE/FALSE）单元格",
        "date": "日期单元格",
        "date-time": "日期时间单元格",
        "time": "时间单元格",
        "decimal": "小数",
        "long-number": "超过 15 位的数字",
    },
}

# Explanations of unreadable cells, by reason key. English messages prefer the
# parser's own detail, which can be more specific.
REASONS: dict[Locale, dict[Reason, str]] = {
    EN: {
        Reason.BLANK: "the cell is blank",
        Reason.NOT_A_DATE: "not a date; type it like 2025-09-09",
        Reason.YEAR_MISSING: "the year is missing; type the full date",
        Reason.TWO_DIGIT_YEAR: (
            "the year needs four digits; type {full_date} if that is the date, "
            "or use a date cell"
        ),
        Reason.WEEKDAY_MISMATCH: (
            "{date} falls on another weekday than the one typed; correct the date "
            "or the weekday"
        ),
        Reason.IMPOSSIBLE_DATE: (
            "not a valid calendar date; check the year, month and day"
        ),
        Reason.DATE_ORDER_MISMATCH: (
            "not a valid date when read as {date_order_words} (the definition's "
            "date_order is {date_order!r}), but it is {date} when read as "
            "{suggested_order_words}. If the sheet's dates are written that way, "
            "set date_order: {suggested_date_order} in the definition, or else "
            "type {date} or use a date cell"
        ),
        Reason.SERIAL_NOT_A_DATE: (
            "a number, not a date; type the date like 2025-09-09 or use a date cell"
        ),
        Reason.DATE_OUT_OF_RANGE: (
            "a number, not a date in range; type it like 2025-09-09 or use a date cell"
        ),
        Reason.TEXT_DATE_OUT_OF_RANGE: (
            "{date} is outside the dates pipesheet reads ({earliest} to {latest}); "
            "correct the year, or leave the cell empty if the date is not known"
        ),
        Reason.TIME_ONLY: (
            "a time of day without a date; type the date like 2025-09-09 "
            "or use a date cell"
        ),
        Reason.ZERO_DATE: (
            "the cell holds 0, which a date format shows as 00:00. If it holds a "
            "formula, the formula's saved result is 0, so check the cells it "
            "reads; otherwise type the date like 2025-09-09 or use a date cell"
        ),
        Reason.TRUE_FALSE: (
            "TRUE/FALSE, not a date or number; type the date or number in its place"
        ),
        Reason.NOT_A_NUMBER: "not a number; type digits such as 12000",
        Reason.UNKNOWN_CURRENCY: (
            "not a number, because of {unknown_text}, which is no currency code "
            "or sign that pipesheet reads; write the amount with digits only (a "
            "k, m or bn suffix is read) and its currency, if any, as an ISO 4217 "
            "code such as USD or EUR, or in a column of its own"
        ),
        Reason.CURRENCY_CODE_FORM: (
            "not a number, because of {unknown_text}: pipesheet reads a "
            "currency code in capitals beside the digits, with no brackets or other "
            "marks, as in {example}, and a code that is also a word, such as ALL or "
            "TOP, only when the cell has no other letters; write the code that way "
            "if it is the amount's currency, or remove the text"
        ),
        Reason.AMBIGUOUS_SEPARATORS: "unclear separators; type it like 1234.56",
        Reason.NOT_FINITE: "not a finite number",
        Reason.NEGATIVE_AMOUNT: (
            "a deal amount cannot be negative; enter the amount as a positive number"
        ),
        Reason.AMOUNT_TOO_LARGE: (
            "16 digits or more, too many for a deal value; check for a pasted "
            "phone or account number"
        ),
        Reason.DATE_NOT_NUMBER: (
            "a date or time, not a number; if you typed a number, the cell is "
            "formatted as a date: format it as a number"
        ),
        Reason.PERCENT_OUT_OF_RANGE: "must be between 0% and 100%",
        Reason.PERCENT_SCALE_MISMATCH: (
            "over 100% when read as a fraction like the rest of the column; "
            "type a fraction or add a % sign"
        ),
        Reason.ONE_AMONG_POINTS: (
            "1% like the rest of the column, or 100% in a cell formatted as a "
            "percentage; type 1% or 100"
        ),
        Reason.NOT_A_FLAG: "not a yes/no value; use yes or no",
        Reason.FORMULA_ERROR: "the cell shows a formula error; correct the formula",
    },
    ZH: {
        Reason.BLANK: "单元格为空",
        Reason.NOT_A_DATE: "不是日期；请使用日期单元格，或按 2025-09-09 的格式填写",
        Reason.YEAR_MISSING: "缺少年份；请填写完整日期，例如 2025-09-09",
        Reason.TWO_DIGIT_YEAR: (
            "年份需要四位数字；如果指的是 {full_date}，请填写 {full_date}，"
            "或使用日期单元格"
        ),
        Reason.WEEKDAY_MISMATCH: "{date} 与填写的星期几不符；请更正日期或星期几",
        Reason.IMPOSSIBLE_DATE: "不是有效的日历日期；请检查年、月、日",
        Reason.DATE_ORDER_MISMATCH: (
            "按{date_order_words}读取不是有效日期（定义的 date_order 为 "
            "{date_order}），按{suggested_order_words}读取则为 {date}。"
            "如果表中的日期按{suggested_order_words}填写，请在定义中设置 "
            "date_order: {suggested_date_order}，否则请填写 {date} 或使用日期单元格"
        ),
        Reason.SERIAL_NOT_A_DATE: (
            "不是真正的日期（可能是设成日期格式的数字）；"
            "请使用日期单元格，或按 2025-09-09 的格式填写"
        ),
        Reason.DATE_OUT_OF_RANGE: (
            "像是设成日期格式的数字，超出了合理的日期范围；"
            "请使用日期单元格，或按 2025-09-09 的格式填写"
        ),
        Reason.TEXT_DATE_OUT_OF_RANGE: (
            "{date} 超出可读取的日期范围（{earliest} 至 {latest}）；"
            "请更正年份，日期未知时请留空"
        ),
        Reason.TIME_ONLY: (
            "只有时间，没有日期；请使用日期单元格，或按 2025-09-09 的格式填写"
        ),
        Reason.ZERO_DATE: (
            "单元格的值为 0，日期格式显示为 00:00。如果是公式，其保存的结果为 0，"
            "请检查公式引用的单元格；否则请使用日期单元格，或按 2025-09-09 的格式填写"
        ),
        Reason.TRUE_FALSE: "是 TRUE/FALSE，不是日期或数字；请改为填写日期或数字",
        Reason.NOT_A_NUMBER: "不是数字；请填写数字，例如 12000 或 12,000.50",
        Reason.UNKNOWN_CURRENCY: (
            "不是数字，因为 {unknown_text} 不是 pipesheet 能识别的货币代码或符号；"
            "请只用数字填写金额（可带 万、亿、k、m 或 bn 后缀），货币请按 ISO 4217 "
            "代码（例如 USD 或 CNY）填写，或单独放在一列"
        ),
        Reason.CURRENCY_CODE_FORM: (
            "不是数字，因为 {unknown_text}：货币代码须用大写字母紧挨数字书写，"
            "不带括号或其他符号，例如 {example}；同时是英文单词的代码（如 ALL、"
            "TOP）只在单元格中没有其他字母时才识别。如果这是金额的货币，请按此"
            "填写，否则请删除这段文字"
        ),
        Reason.AMBIGUOUS_SEPARATORS: (
            "无法判断分隔符是千位分隔符还是小数点；请写成不会混淆的形式，"
            "例如 12500、12,500 或 12.5，或直接填写数字而不是文本"
        ),
        Reason.NOT_FINITE: "不是有限的数字",
        Reason.NEGATIVE_AMOUNT: "成交金额不能为负数；请按正数填写金额",
        Reason.AMOUNT_TOO_LARGE: (
            "16 位及以上的数字不是成交金额（表格只保留 15 位）；"
            "请检查是否误贴了电话或账号"
        ),
        Reason.DATE_NOT_NUMBER: (
            "是日期或时间，不是数字；如果输入的是数字，"
            "说明单元格设成了日期格式，请改为数字格式"
        ),
        Reason.PERCENT_OUT_OF_RANGE: "赢率必须在 0% 到 100% 之间，例如 25% 或 0.25",
        Reason.PERCENT_SCALE_MISMATCH: (
            "本列的赢率按小数填写（0.25 即 25%），此值即 {as_fraction}，超过 100%；"
            "如果指 {as_points}，请填写 {points_fraction} 或 {as_points}"
        ),
        Reason.ONE_AMONG_POINTS: (
            "本列的赢率按百分数填写（25 即 25%），此值 1 即 1%，"
            "但设为百分比格式的单元格显示 100% 时也存为 1；"
            "如果指 1%，请填写 1%，如果指 100%，请填写 100"
        ),
        Reason.NOT_A_FLAG: "不是“是/否”值；请填写 是 或 否、TRUE 或 FALSE、x 或 ✓",
        Reason.FORMULA_ERROR: "单元格显示公式错误；请修正公式",
    },
}

# Explanations that depend on the column's kind too, because the general ones
# give examples of amounts. They take precedence over REASONS.
KIND_REASONS: dict[Locale, dict[tuple[Code, Reason], str]] = {
    EN: {
        (Code.BAD_DATE, Reason.TRUE_FALSE): (
            "TRUE/FALSE, not a date; type the date like 2025-09-09 or use a date cell"
        ),
        (Code.BAD_NUMBER, Reason.NOT_A_NUMBER): (
            "not a number; type digits such as 12 or 12.5"
        ),
        (Code.BAD_AMOUNT, Reason.TRUE_FALSE): (
            "TRUE/FALSE, not an amount; type the amount, such as 12000"
        ),
        (Code.BAD_NUMBER, Reason.TRUE_FALSE): (
            "TRUE/FALSE, not a number; type digits such as 12 or 12.5"
        ),
        (Code.BAD_PROBABILITY, Reason.TRUE_FALSE): (
            "TRUE/FALSE, not a probability; type one such as 25% or 0.25"
        ),
        (Code.BAD_PERCENT, Reason.TRUE_FALSE): (
            "TRUE/FALSE, not a percentage; type one such as 25% or 0.25"
        ),
        (Code.BAD_PROBABILITY, Reason.NOT_A_NUMBER): (
            "not a number; type a probability such as 25% or 0.25"
        ),
        (Code.BAD_PROBABILITY, Reason.AMBIGUOUS_SEPARATORS): (
            "unclear separators; type a probability such as 25% or 0.25"
        ),
        (Code.BAD_PERCENT, Reason.NOT_A_NUMBER): (
            "not a number; type a percentage such as 25% or 0.25"
        ),
        (Code.BAD_PERCENT, Reason.AMBIGUOUS_SEPARATORS): (
            "unclear separators; type a percentage such as 25% or 0.25"
        ),
    },
    ZH: {
        (Code.BAD_DATE, Reason.TRUE_FALSE): (
            "是 TRUE/FALSE，不是日期；请使用日期单元格，或按 2025-09-09 的格式填写"
        ),
        (Code.BAD_NUMBER, Reason.NOT_A_NUMBER): "不是数字；请填写数字，例如 12 或 12.5",
        (Code.BAD_AMOUNT, Reason.TRUE_FALSE): (
            "是 TRUE/FALSE，不是金额；请填写金额，例如 12000"
        ),
        (Code.BAD_NUMBER, Reason.TRUE_FALSE): (
            "是 TRUE/FALSE，不是数字；请填写数字，例如 12 或 12.5"
        ),
        (Code.BAD_PROBABILITY, Reason.TRUE_FALSE): (
            "是 TRUE/FALSE，不是赢率；请按 25% 或 0.25 的格式填写赢率"
        ),
        (Code.BAD_PERCENT, Reason.TRUE_FALSE): (
            "是 TRUE/FALSE，不是百分比；请按 25% 或 0.25 的格式填写百分比"
        ),
        (Code.BAD_PROBABILITY, Reason.NOT_A_NUMBER): (
            "不是数字；请按 25% 或 0.25 的格式填写赢率"
        ),
        (Code.BAD_PROBABILITY, Reason.AMBIGUOUS_SEPARATORS): (
            "无法判断分隔符是小数点还是千位分隔符；请按 25% 或 0.25 的格式填写赢率"
        ),
        (Code.BAD_PERCENT, Reason.NOT_A_NUMBER): (
            "不是数字；请按 25% 或 0.25 的格式填写百分比"
        ),
        (Code.BAD_PERCENT, Reason.AMBIGUOUS_SEPARATORS): (
            "无法判断分隔符是小数点还是千位分隔符；请按 25% 或 0.25 的格式填写百分比"
        ),
        (Code.BAD_PERCENT, Reason.PERCENT_OUT_OF_RANGE): (
            "百分比必须在 0% 到 100% 之间，例如 25% 或 0.25"
        ),
        (Code.BAD_PERCENT, Reason.PERCENT_SCALE_MISMATCH): (
            "本列的百分比按小数填写（0.25 即 25%），此值即 {as_fraction}，超过 100%；"
            "如果指 {as_points}，请填写 {points_fraction} 或 {as_points}"
        ),
        (Code.BAD_PERCENT, Reason.ONE_AMONG_POINTS): (
            "本列的百分比按百分数填写（25 即 25%），此值 1 即 1%，"
            "但设为百分比格式的单元格显示 100% 时也存为 1；"
            "如果指 1%，请填写 1%，如果指 100%，请填写 100"
        ),
    },
}


def counted(number: int, noun: str) -> str:
    """Return an English count with its noun, plural unless the count is 1.

    >>> counted(1, "status cell"), counted(100000, "tab")
    ('1 status cell', '100,000 tabs')
    """
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def first_and_more(names: Sequence[str], limit: int) -> str:
    """Return the first ``limit`` names joined by commas, and a count of the rest.

    >>> first_and_more(["G2", "G3", "G4"], 2)
    'G2, G3 and 1 more'
    """
    listed = ", ".join(names[:limit])
    if len(names) > limit:
        listed += f" and {len(names) - limit:,} more"
    return listed


def render_message(finding: Finding, locale: Locale) -> str:
    """Render the full message of a finding, saying what is wrong and how to fix it.

    Before: an ``unknown-value`` finding on column Product, value 'GTXPro', with
    the suggestion 'GTX Pro'. After, in English: "Product 'GTXPro' is not in the
    allowed list; did you mean 'GTX Pro'?"
    """
    return _render(_FULL, finding, locale)


def render_short(finding: Finding, locale: Locale) -> str:
    """Render the few words a status cell shows, such as "missing Account"."""
    return _render(_SHORT, finding, locale)


def render_messages(findings: Sequence[Finding], locale: Locale) -> list[str]:
    """Render the full message of each finding, as :func:`render_message` does.

    Findings that differ only in their row or deal ID render alike unless a
    template shows those, so each such group is rendered once per call.
    """
    return _render_each(_FULL, findings, locale)


def render_shorts(findings: Sequence[Finding], locale: Locale) -> list[str]:
    """Render the status words of each finding, as :func:`render_short` does."""
    return _render_each(_SHORT, findings, locale)


_FULL, _SHORT = "full", "short"
_TEMPLATE_SETS = {_FULL: MESSAGES, _SHORT: SHORT_MESSAGES}

# Maximum number of rendered messages cached, because the findings of one code
# repeat a few texts on many rows. The 86k findings of the 100k-row workbook
# that bench/generate.py makes render to fewer than 1,000 distinct texts.
RENDER_CACHE_SIZE = 8192


class _Context(dict[str, str]):
    # A field the finding lacks renders as "?" instead of raising KeyError.
    def __missing__(self, key: str) -> str:
        return "?"


# Rendered texts keyed by a finding's fields and the identity of its params
# dict, which many findings share. This key is quicker to build and hash than
# one with the params' items. Rendering the 86k findings of the 100k-row
# benchmark workbook took 0.018 s with it, against 0.040 s with the items alone
# (2-core VM). Each entry keeps its params dict alive, so no other dict can
# take that id while the entry exists. The text is None where a template shows
# the row or the deal ID. The cache is emptied when it is full.
_RenderKey = tuple[str, Locale, Code, str | None, str | None, str | None, int]
_rendered: dict[_RenderKey, tuple[dict[str, str], str | None]] = {}


def _render(kind: str, finding: Finding, locale: Locale) -> str:
    params = finding.params
    key = (
        kind,
        locale,
        finding.code,
        finding.column,
        finding.value,
        finding.field,
        id(params),
    )
    entry = _rendered.get(key)
    if entry is None:
        if len(_rendered) >= RENDER_CACHE_SIZE:
            _rendered.clear()
        entry = _rendered[key] = (params, _render_rowless(kind, finding, locale))
    text = entry[1]
    return text if text is not None else _render_by_content(kind, finding, locale)


def _render_each(kind: str, findings: Sequence[Finding], locale: Locale) -> list[str]:
    # The key is that of _render without the kind and locale, kept in a dict
    # of this call, so a repeated text costs one lookup and no function call.
    # Its params dicts stay alive in ``findings`` while the call runs, so no
    # other dict can take their ids.
    texts: list[str] = []
    append = texts.append
    known: dict[tuple[Code, str | None, str | None, str | None, int], str] = {}
    for finding in findings:
        key = (
            finding.code,
            finding.column,
            finding.value,
            finding.field,
            id(finding.params),
        )
        text = known.get(key)
        if text is None:
            text = _render(kind, finding, locale)
            if not any(_shown_attributes(kind, finding.code, locale)):
                known[key] = text
        append(text)
    return texts


def _render_rowless(kind: str, finding: Finding, locale: Locale) -> str | None:
    # The text of a finding whose templates show neither the row nor the deal
    # ID, else None.
    if any(_shown_attributes(kind, finding.code, locale)):
        return None
    return _render_by_content(kind, finding, locale)


def _render_by_content(kind: str, finding: Finding, locale: Locale) -> str:
    # The row and the deal ID are left out of the cache key unless a template
    # shows them, because they differ on every row.
    shows_row, shows_deal_id = _shown_attributes(kind, finding.code, locale)
    return _render_fields(
        kind,
        locale,
        finding.code,
        finding.row if shows_row else None,
        finding.column,
        finding.value,
        finding.deal_id if shows_deal_id else None,
        finding.field,
        tuple(finding.params.items()),
    )


@functools.cache
def _shown_attributes(kind: str, code: Code, locale: Locale) -> tuple[bool, bool]:
    templates = _TEMPLATE_SETS[kind][code][locale]
    fields = {name for template in templates for name in _fields_of(template)}
    return "row" in fields, "deal_id" in fields


@functools.lru_cache(maxsize=RENDER_CACHE_SIZE)
def _render_fields(
    kind: str,
    locale: Locale,
    code: Code,
    row: int | None,
    column: str | None,
    value: str | None,
    deal_id: str | None,
    field: str | None,
    params: tuple[tuple[str, str], ...],
) -> str:
    # The finding is rebuilt from the cache key. No template shows the severity,
    # so any severity will do.
    context = _context(
        Finding(code, Severity.INFO, row, column, value, deal_id, field, dict(params)),
        locale,
    )

    # A template is used only when all its fields are filled, so only the
    # fallback needs _Context to show "?". A plain dict is quicker to build.
    templates = _TEMPLATE_SETS[kind][code][locale]
    for template in templates:
        if all(map(context.get, _fields_of(template))):
            return template.format_map(context)
    return templates[-1].format_map(_Context(context))


def _context(finding: Finding, locale: Locale) -> dict[str, str]:
    context = {
        "row": "" if finding.row is None else str(finding.row),
        "column": finding.column or finding.field or "",
        "value": finding.value or "",
        "deal_id": finding.deal_id or "",
        "field": finding.field or "",
        **finding.params,
    }
    joiner = _ITEM_JOINERS[locale]
    for key, text in finding.params.items():
        if LIST_SEPARATOR in text:
            context[key] = text.replace(LIST_SEPARATOR, joiner)
    context.update(_derived_fields(finding, locale))
    return context


# The text between the items of a list param in each locale (see join_items).
_ITEM_JOINERS = {EN: ", ", ZH: "、"}


def _derived_fields(finding: Finding, locale: Locale) -> dict[str, str]:
    params = finding.params
    derived: dict[str, str] = {}
    if "days" in params:
        derived["days_text"] = _days_text(params["days"], locale)
        derived["due_when"] = _due_when(params["days"], locale)
        derived["due_phrase"] = _due_phrase(params["days"], locale)
    if "limit" in params:
        derived["limit_text"] = _days_text(params["limit"], locale)
    if "rows" in params:
        derived["other_rows"] = _rows_text(params["rows"], locale)
    if "date_order" in params:
        derived["date_order_words"] = _order_words(params["date_order"], locale)
    if "suggested_date_order" in params:
        suggested = params["suggested_date_order"]
        derived["suggested_order_words"] = _order_words(suggested, locale)
    if "reason" in params or "detail" in params:
        derived["detail"] = _reason_text(finding.code, {**params, **derived}, locale)
    if params.get("reason") == Reason.WEEKDAY_MISMATCH:
        derived["weekday_date"] = params.get("date", "")
    if "cell_kind" in params:
        kinds = CELL_KINDS[locale]
        derived["cell_kind_text"] = kinds.get(params["cell_kind"], "")
    if "tied_currencies" in params:
        derived["tied_text"] = _listed_text(params["tied_currencies"], locale)
    if "tied_count" in params:
        derived["tied_amounts"] = counted(int(params["tied_count"]), "amount")
    if "log_began" in params:
        # The days of a stay that began before the stage log are a lower bound.
        derived["at_least"] = "至少 " if locale is Locale.ZH_CN else "at least "
    return derived


@functools.cache
def _fields_of(template: str) -> tuple[str, ...]:
    parsed = string.Formatter().parse(template)
    return tuple(name for _text, name, _spec, _conversion in parsed if name)


def _days_text(days: str, locale: Locale) -> str:
    if locale is ZH:
        return f"{days} 天"
    return f"{days} day" if days == "1" else f"{days} days"


_DUE_WORDS = {EN: {"0": "today", "1": "tomorrow"}, ZH: {"0": "今天", "1": "明天"}}


def _due_when(days: str, locale: Locale) -> str:
    if days in _DUE_WORDS[locale]:
        return _DUE_WORDS[locale][days]
    return f"{days} 天后" if locale is ZH else f"in {days} days"


def _due_phrase(days: str, locale: Locale) -> str:
    # "将于明天" or "将于 2 天后" in Chinese, with the space that the texts put
    # between Chinese words and a number.
    when = _due_when(days, locale)
    if locale is not ZH:
        return when
    return f"将于{when}" if days in _DUE_WORDS[locale] else f"将于 {when}"


# The day/month orders of date_order, in the words of each locale.
_ORDER_WORDS = {
    EN: {"dmy": "day/month/year", "mdy": "month/day/year"},
    ZH: {"dmy": "日/月/年", "mdy": "月/日/年"},
}


def _order_words(date_order: str, locale: Locale) -> str:
    return _ORDER_WORDS[locale].get(date_order, date_order)


def _rows_text(rows: str, locale: Locale) -> str:
    numbers = [number.strip() for number in rows.split(",") if number.strip()]
    if not numbers:
        return ""
    if locale is ZH:
        return f"第 {'、'.join(numbers)} 行"
    return f"row {numbers[0]}" if len(numbers) == 1 else f"rows {', '.join(numbers)}"


def _listed_text(items: str, locale: Locale) -> str:
    # "$, €, £" becomes "$, € and £", or "$、€、£" in Chinese.
    names = [name.strip() for name in items.split(",") if name.strip()]
    if locale is ZH:
        return "、".join(names)
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _reason_text(code: Code, params: dict[str, str], locale: Locale) -> str:
    detail = params.get("detail", "")
    try:
        reason = Reason(params.get("reason", ""))
    except ValueError:
        return detail
    translated = KIND_REASONS[locale].get((code, reason)) or REASONS[locale][reason]
    if locale is EN and detail:
        return detail
    # Some texts show values of the cell, such as its reading as a percentage.
    return translated.format_map(_Context(params)) if "{" in translated else translated
