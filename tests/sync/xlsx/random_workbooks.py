"""Random pipeline workbooks, and the edits a team makes to them between syncs.

Each workbook starts as the English starter workbook that ``pipesheet init``
writes for the shipped ``b2b-en`` definition: a title in row 1, headers in row 3,
one deal per row from row 4, and a Lists tab behind the dropdowns. A seeded
:class:`random.Random` then adds deals, valid and broken, and a random choice of
the features teams use. These are a merged title, a formula column, comments,
hyperlinks, conditional formats, another dropdown, a filter, print titles,
defined names, frozen panes, column widths and a hidden column. Other tabs, one
of them hidden, have formulas and a chart that read the pipeline tab.

The edits work on whole data rows, as Excel does when a person sorts, inserts or
deletes rows. Values, styles, comments and hyperlinks move together, and the
formula column's formulas follow their row. openpyxl saves every edit, so the
workbook a sync reads has been rewritten as a whole, as after a save in Excel.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from copy import copy
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.formula.translate import Translator
from openpyxl.styles import Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from config.models import Locale
from rules.grid import CellValue
from sync.starter import (
    ENGLISH_LAYOUT,
    FIELDS,
    FIRST_DEAL_ROW,
    HEADER_ROW,
    NUMBER_FORMATS,
    build_starter_workbook,
)

DEALS_TAB = ENGLISH_LAYOUT.deals_tab
LISTS_TAB = ENGLISH_LAYOUT.lists_tab
SUMMARY_TAB = "Summary"
NOTES_TAB = "Notes"
STATUS_HEADER = "pipesheet status"
# The status header as a person may type it before the first sync.
TYPED_STATUS_HEADERS = (STATUS_HEADER, "Pipesheet Status", " pipesheet  status")
WEIGHTED_HEADER = "Weighted"
# Formulas, rules and names that read the pipeline tab cover rows up to this one.
LAST_REFERENCED_ROW = 400

STAGE_LABELS = (*ENGLISH_LAYOUT.stages, "Won", "Prospect", "Quote")
UNKNOWN_STAGES = ("Pilot", "On hold", "Closed-ish")
UNKNOWN_OWNERS = ("Zoe Quinn", "ana lima ")
BAD_DATES = ("end of Q4", "2025-02-30", "next week", "31/31/2025")
BAD_AMOUNTS = ("lots", "12k?", -500)
ACCOUNTS = (
    "Acme Tools",
    "Baltic Foods",
    "Corvid Labs",
    "Delta Freight",
    "Evergreen Schools",
    "Fjord Energy",
    "Granite Bank",
    "Harbor Clinics",
)
NEXT_STEPS = ("Call back", "Send quote", "Book demo", "Chase contract", None)

DealCells = dict[str, CellValue]


@dataclass(frozen=True)
class Features:
    """Optional features of one random workbook, beyond the starter layout."""

    merged_title: bool
    weighted_column: bool
    status_header_typed: bool
    comments: bool
    hyperlinks: bool
    user_highlights: bool
    amount_validation: bool
    defined_name: bool
    summary_tab: bool
    summary_chart: bool
    notes_hidden: bool
    filter: bool
    print_titles: bool
    hidden_column: bool
    numeric_ids: bool
    frozen_columns: int
    typed_status_header: str


def choose_features(rng: random.Random) -> Features:
    """Return random features, each flag set in 25 to 70 % of workbooks."""
    summary_tab = rng.random() < 0.7
    return Features(
        merged_title=rng.random() < 0.5,
        weighted_column=rng.random() < 0.6,
        status_header_typed=rng.random() < 0.3,
        comments=rng.random() < 0.6,
        hyperlinks=rng.random() < 0.5,
        user_highlights=rng.random() < 0.6,
        amount_validation=rng.random() < 0.5,
        defined_name=rng.random() < 0.6,
        summary_tab=summary_tab,
        summary_chart=summary_tab and rng.random() < 0.5,
        notes_hidden=rng.random() < 0.3,
        filter=rng.random() < 0.4,
        print_titles=rng.random() < 0.4,
        hidden_column=rng.random() < 0.3,
        numeric_ids=rng.random() < 0.25,
        frozen_columns=rng.randrange(3),
        typed_status_header=rng.choice(TYPED_STATUS_HEADERS),
    )


def build_random_workbook(
    path: Path, rng: random.Random, as_of: dt.date, features: Features
) -> Path:
    """Create a starter workbook at ``path`` and add random deals and features."""
    build_starter_workbook(path, Locale.EN, as_of=as_of)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[DEALS_TAB]

    _add_user_columns(sheet, features)
    first_new_row = sheet.max_row + 1
    for offset, deal in enumerate(random_deals(rng, as_of, features)):
        write_deal(sheet, first_new_row + offset, deal, features)

    _add_pipeline_features(sheet, rng, features)
    _add_user_tabs(workbook, features)
    workbook.save(path)
    return path


def random_deals(
    rng: random.Random, as_of: dt.date, features: Features
) -> list[DealCells | None]:
    """Return 10 to 30 random deals, some broken, with blank rows (None) among them."""
    deals: list[DealCells | None] = []
    for number in range(rng.randint(10, 30)):
        if rng.random() < 0.08:
            deals.append(None)
            continue
        deal = random_deal(rng, as_of, deal_id(features, 2000 + number))
        deals.append(break_deal(rng, deal, deals))
    return deals


def deal_id(features: Features, number: int) -> CellValue:
    """Return a deal ID: a number, or text such as ``D-2001``."""
    return number if features.numeric_ids else f"D-{number}"


def random_deal(rng: random.Random, as_of: dt.date, identifier: CellValue) -> DealCells:
    """Return a valid deal for the shipped definition, dated around ``as_of``."""

    def day(low: int, high: int) -> dt.date:
        return as_of + dt.timedelta(days=rng.randint(low, high))

    stage = rng.choice(ENGLISH_LAYOUT.stages[:5])
    return {
        "id": identifier,
        "account": rng.choice(ACCOUNTS),
        "owner": rng.choice(ENGLISH_LAYOUT.owners),
        "stage": stage,
        "amount": rng.randrange(1, 80) * 500,
        "probability": rng.choice([None, 0.2, 0.5]),
        "product": rng.choice(ENGLISH_LAYOUT.products),
        "source": rng.choice(ENGLISH_LAYOUT.sources),
        "created_date": day(-90, -30),
        "close_date": day(10, 120),
        "next_step": rng.choice(NEXT_STEPS),
        "next_step_date": day(-5, 10),
        "stage_entered_date": day(-29, 0),
    }


def break_deal(
    rng: random.Random, deal: DealCells, earlier: list[DealCells | None]
) -> DealCells:
    """Return the deal with one random defect, or unchanged about one time in three."""
    defect = rng.randrange(14)
    if defect == 0:
        deal[rng.choice(["account", "owner", "amount", "close_date"])] = None
    elif defect == 1:
        deal["stage"] = rng.choice(UNKNOWN_STAGES)
    elif defect == 2:
        deal[rng.choice(["close_date", "next_step_date"])] = rng.choice(BAD_DATES)
    elif defect == 3:
        deal["amount"] = rng.choice(BAD_AMOUNTS)
    elif defect == 4:
        deal["owner"] = rng.choice(UNKNOWN_OWNERS)
    elif defect == 5 and any(earlier):
        shared = rng.choice([other for other in earlier if other is not None])
        deal["id"] = shared["id"]
    elif defect == 6:
        deal["id"] = None
    elif defect == 7:
        deal["stage"] = rng.choice(["Closed Won", "Won", "Closed Lost", "Lost"])
    elif defect == 8:
        deal["id"] = f" {deal['id']} "
    return deal


def write_deal(
    sheet: Worksheet, row: int, deal: DealCells | None, features: Features
) -> None:
    """Write one deal's cells, and its formula when the tab has a formula column."""
    for column, field in enumerate(FIELDS, start=1):
        value = None if deal is None else deal.get(field)
        if value is None:
            continue
        cell = sheet.cell(row=row, column=column, value=value)
        if field in NUMBER_FORMATS:
            cell.number_format = NUMBER_FORMATS[field]

    weighted = find_header(sheet, WEIGHTED_HEADER)
    if deal is not None and weighted is not None:
        sheet.cell(row=row, column=weighted, value=weighted_formula(row))


def weighted_formula(row: int) -> str:
    """Return the formula column's formula on one row: amount times probability."""
    return f'=IF(ISNUMBER(E{row}),E{row}*N(F{row}),"")'


def find_header(sheet: Worksheet, header: str) -> int | None:
    """Return the 1-based column whose header is ``header``, or None.

    Headers match ignoring case and extra spaces, as pipesheet matches them.
    """
    for cell in sheet[header_row(sheet)]:
        if isinstance(cell.value, str) and _folded(cell.value) == _folded(header):
            return int(cell.column)
    return None


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def header_row(sheet: Worksheet) -> int:
    """Return the row of the column headers: the first with "Deal ID" in column A."""
    for row in range(1, 20):
        if sheet.cell(row=row, column=1).value == ENGLISH_LAYOUT.headers[0]:
            return row
    header = ENGLISH_LAYOUT.headers[0]
    raise AssertionError(
        f"tab {sheet.title!r} has no {header!r} header in column A of rows 1-19"
    )


def _add_user_columns(sheet: Worksheet, features: Features) -> None:
    """Add the typed status header and the formula column right of the fields."""
    column = len(FIELDS) + 1
    if features.status_header_typed:
        header = features.typed_status_header
        sheet.cell(row=HEADER_ROW, column=column, value=header)
        column += 1
    if features.weighted_column:
        sheet.cell(row=HEADER_ROW, column=column, value=WEIGHTED_HEADER)
        for row in range(FIRST_DEAL_ROW, sheet.max_row + 1):
            sheet.cell(row=row, column=column, value=weighted_formula(row))


def _add_pipeline_features(
    sheet: Worksheet, rng: random.Random, features: Features
) -> None:
    last = sheet.max_row
    if features.merged_title:
        sheet.merge_cells("A1:F1")
        sheet["G1"] = "Updated every morning"
    if features.comments:
        for row in rng.sample(range(FIRST_DEAL_ROW, last + 1), 3):
            sheet.cell(row=row, column=2).comment = Comment(
                f"Asked on row {row}", "Rep"
            )
    if features.hyperlinks:
        for row in rng.sample(range(FIRST_DEAL_ROW, last + 1), 2):
            sheet.cell(row=row, column=11).hyperlink = "https://example.com/deal"
    if features.user_highlights:
        _add_user_highlights(sheet)
    if features.amount_validation:
        amounts = DataValidation(type="decimal", operator="greaterThanOrEqual")
        amounts.formula1 = "0"
        sheet.add_data_validation(amounts)
        amounts.add(f"E{FIRST_DEAL_ROW}:E{LAST_REFERENCED_ROW}")

    if features.filter:
        sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(FIELDS))}{last}"
    if features.print_titles:
        sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    if features.hidden_column:
        sheet.column_dimensions["O"].hidden = True
    sheet.row_dimensions[2].height = 6
    sheet.freeze_panes = sheet.cell(FIRST_DEAL_ROW, 1 + features.frozen_columns)
    for letter in rng.sample("ABCDEFGHIJ", 3):
        sheet.column_dimensions[letter].width = rng.randint(8, 40)


def _add_user_highlights(sheet: Worksheet) -> None:
    cells = f"E{FIRST_DEAL_ROW}:E{LAST_REFERENCED_ROW}"
    rows = f"A{FIRST_DEAL_ROW}:Q{LAST_REFERENCED_ROW}"
    big = PatternFill(fill_type="solid", start_color="FFC6EFCE")
    won = Font(bold=True, color="FF006100")
    sheet.conditional_formatting.add(
        cells, CellIsRule(operator="greaterThan", formula=["30000"], fill=big)
    )
    sheet.conditional_formatting.add(
        rows, FormulaRule(formula=[f'$D{FIRST_DEAL_ROW}="Closed Won"'], font=won)
    )


def _add_user_tabs(workbook: Workbook, features: Features) -> None:
    deals = f"{DEALS_TAB}!$A${FIRST_DEAL_ROW}:$A${LAST_REFERENCED_ROW}"
    if features.defined_name:
        name = DefinedName("DealIds", attr_text=deals)
        workbook.defined_names[name.name] = name
    if features.summary_tab:
        _add_summary_tab(workbook, features.summary_chart)

    notes = workbook.create_sheet(NOTES_TAB)
    notes.sheet_state = "hidden" if features.notes_hidden else "visible"
    notes["A1"] = "Team notes"
    notes["A2"] = "Quarter targets are in the Summary tab."
    notes["A2"].comment = Comment("Kept by the manager", "Manager")
    notes["A3"] = "Go to the deals"
    notes["A3"].hyperlink = Hyperlink(ref="A3", location=f"'{DEALS_TAB}'!A1")


def _add_summary_tab(workbook: Workbook, with_chart: bool) -> None:
    sheet = workbook.create_sheet(SUMMARY_TAB)
    last = LAST_REFERENCED_ROW
    rows = [
        ("Deals", f"=COUNTA({DEALS_TAB}!A{FIRST_DEAL_ROW}:A{last})"),
        ("Pipeline", f"=SUM({DEALS_TAB}!$E${FIRST_DEAL_ROW}:$E${last})"),
        ("Won", f'=COUNTIF({DEALS_TAB}!D{FIRST_DEAL_ROW}:D{last},"Closed Won")'),
        ("First account", f"='{DEALS_TAB}'!B{FIRST_DEAL_ROW}"),
    ]
    for row in rows:
        sheet.append(row)
    sheet.column_dimensions["A"].width = 18
    if not with_chart:
        return

    chart = BarChart()
    chart.title = "Amounts"
    deals = workbook[DEALS_TAB]
    values = Reference(deals, min_col=5, min_row=HEADER_ROW, max_row=HEADER_ROW + 10)
    chart.add_data(values, titles_from_data=True)
    sheet.add_chart(chart, "D2")


@dataclass(frozen=True)
class CellCopy:
    """One cell's value, style, comment and hyperlink, detached from the sheet."""

    value: Any
    style: StyleArray
    comment: tuple[str, str] | None
    hyperlink: str | None


@dataclass(frozen=True)
class DataRow:
    """One data row as copied: the row it was read from, and its cells."""

    source: int
    cells: list[CellCopy]

    def is_blank(self, columns: list[int], status: int | None) -> bool:
        """Return True when every cell except the status cell is empty."""
        return all(
            cell.value in (None, "")
            for column, cell in zip(columns, self.cells, strict=True)
            if column != status
        )


def copy_cell(sheet: Worksheet, row: int, column: int) -> CellCopy:
    """Return a detached copy of one cell."""
    cell = sheet.cell(row=row, column=column)
    comment = (cell.comment.text, cell.comment.author) if cell.comment else None
    hyperlink = cell.hyperlink.target if cell.hyperlink else None
    return CellCopy(cell.value, copy(cell._style), comment, hyperlink)


def paste_cell(sheet: Worksheet, row: int, column: int, source: CellCopy) -> None:
    """Put a copied cell's value, style, comment and hyperlink at a cell."""
    cell = sheet.cell(row=row, column=column)
    cell._style = copy(source.style)
    cell.value = source.value
    cell.comment = Comment(*source.comment) if source.comment else None
    cell.hyperlink = source.hyperlink


def clear_cell(sheet: Worksheet, row: int, column: int) -> None:
    """Empty a cell and give it the default style, as deleting its row does."""
    paste_cell(sheet, row, column, CellCopy(None, StyleArray(), None, None))


def read_data_rows(sheet: Worksheet, columns: list[int]) -> list[DataRow]:
    """Copy ``columns`` of every row from below the header to the last used row."""
    first = header_row(sheet) + 1
    return [
        DataRow(row, [copy_cell(sheet, row, column) for column in columns])
        for row in range(first, max(sheet.max_row, first) + 1)
    ]


def write_data_rows(
    sheet: Worksheet, columns: list[int], rows: list[DataRow | None], clear_to: int
) -> None:
    """Write rows from below the header, then clear the rest of ``clear_to`` rows.

    A row that moves takes its formulas along, translated as Excel does. None
    leaves an empty row for a new deal.
    """
    first = header_row(sheet) + 1
    for offset, data in enumerate(rows):
        target = first + offset
        for index, column in enumerate(columns):
            if data is None:
                clear_cell(sheet, target, column)
                continue
            cell = data.cells[index]
            letter = get_column_letter(column)
            origin, destination = f"{letter}{data.source}", f"{letter}{target}"
            value = moved_formula(cell.value, origin, destination)
            paste_cell(sheet, target, column, replace(cell, value=value))

    for row in range(first + len(rows), first + clear_to):
        for column in columns:
            clear_cell(sheet, row, column)


def moved_formula(value: Any, origin: str, destination: str) -> Any:
    """Return a formula translated from one cell to another, other values unchanged."""
    if isinstance(value, str) and value.startswith("="):
        return Translator(value, origin=origin).translate_formula(destination)
    return value


def sort_key(value: Any) -> tuple[int, Any]:
    """Return a key that sorts as Excel does: numbers and dates, text, then blanks."""
    if value is None or value == "":
        return (2, 0)
    if isinstance(value, dt.datetime | dt.date):
        return (0, float(value.toordinal()))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, float(value))
    return (1, str(value).casefold())


def rename_tab(workbook: Workbook, old: str, new: str) -> None:
    """Rename a tab and the references to it in formulas and defined names."""
    sheet = workbook[old]
    # openpyxl adds a number to a title that matches any tab's title ignoring
    # case, its own included, so a change of case goes through another title.
    sheet.title = "renaming"
    sheet.title = new
    quoted = "'" + new.replace("'", "''") + "'!"
    references = (f"'{old}'!", f"{old}!")
    for worksheet in workbook.worksheets:
        for row in worksheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.value = _replace_all(cell.value, references, quoted)
    for name in workbook.defined_names.values():
        name.attr_text = _replace_all(name.attr_text, references, quoted)


def _replace_all(text: str, olds: tuple[str, ...], new: str) -> str:
    for old in olds:
        text = text.replace(old, new)
    return text


@dataclass
class TeamEdits:
    """The edits a team makes between two syncs, on the pipeline tab ``tab``.

    Each edit changes an openpyxl workbook and returns a short description of
    what it did, for assertion messages.
    """

    rng: random.Random
    features: Features
    as_of: dt.date
    tab: str = DEALS_TAB
    generated_tabs: tuple[str, ...] = ()
    next_number: int = 3000

    def sort_deals(self, workbook: Workbook) -> str:
        """Sort the deal rows by a column, with or without the status column."""
        sheet = workbook[self.tab]
        status = find_header(sheet, STATUS_HEADER)
        keep_status = status is not None and self.rng.random() < 0.6
        fixed = status if keep_status else None
        columns = self._columns(sheet, fixed)
        rows = read_data_rows(sheet, columns)

        field = self.rng.choice(["id", "account", "stage", "amount", "close_date"])
        index = columns.index(FIELDS.index(field) + 1)
        descending = self.rng.random() < 0.5
        deals = [row for row in rows if not row.is_blank(columns, status)]
        blanks = [row for row in rows if row.is_blank(columns, status)]
        filled = [row for row in deals if sort_key(row.cells[index].value)[0] < 2]
        empty = [row for row in deals if sort_key(row.cells[index].value)[0] == 2]
        filled.sort(
            key=lambda row: sort_key(row.cells[index].value), reverse=descending
        )

        ordered: list[DataRow | None] = [*filled, *empty, *blanks]
        write_data_rows(sheet, columns, ordered, len(rows))
        moved = "status kept in place" if keep_status else "status moved along"
        order = "descending" if descending else "ascending"
        return f"sorted by {field} {order}, {moved}"

    def insert_deals(self, workbook: Workbook) -> str:
        """Insert one to three new deals at random rows."""
        sheet = workbook[self.tab]
        columns = self._columns(sheet, None)
        rows: list[DataRow | None] = list(read_data_rows(sheet, columns))
        positions = []
        for _ in range(self.rng.randint(1, 3)):
            position = self.rng.randint(0, len(rows))
            rows.insert(position, None)
            positions.append(position)

        write_data_rows(sheet, columns, rows, len(rows))
        first = header_row(sheet) + 1
        for offset, data in enumerate(rows):
            if data is None:
                write_deal(sheet, first + offset, self._new_deal(), self.features)
        return f"inserted deals at row offsets {sorted(positions)}"

    def delete_deal(self, workbook: Workbook) -> str:
        """Delete one data row, moving the rows below it up."""
        sheet = workbook[self.tab]
        columns = self._columns(sheet, None)
        rows: list[DataRow | None] = list(read_data_rows(sheet, columns))
        removed = rows.pop(self.rng.randrange(len(rows)))
        assert removed is not None
        write_data_rows(sheet, columns, rows, len(rows) + 1)
        return f"deleted row {removed.source}"

    def edit_stage(self, workbook: Workbook) -> str:
        """Set one row's stage to another stage, an alias or an unknown stage."""
        sheet = workbook[self.tab]
        row = self.rng.randint(header_row(sheet) + 1, sheet.max_row)
        cell = sheet.cell(row=row, column=FIELDS.index("stage") + 1)
        stages = [*STAGE_LABELS, *UNKNOWN_STAGES]
        stage = self.rng.choice([label for label in stages if label != cell.value])
        cell.value = stage
        return f"set the stage of row {row} to {stage!r}"

    def share_id(self, workbook: Workbook) -> str:
        """Copy one row's deal ID onto another row, or clear a row's ID."""
        sheet = workbook[self.tab]
        rows = range(header_row(sheet) + 1, sheet.max_row + 1)
        target = self.rng.choice(rows)
        source = self.rng.choice(rows)
        value = sheet.cell(row=source, column=1).value
        if self.rng.random() < 0.3:
            value = None
        sheet.cell(row=target, column=1).value = value
        return f"set the ID of row {target} to {value!r}"

    def format_status_column(self, workbook: Workbook) -> str:
        """Widen the status column and colour its cells, as a manager might."""
        sheet = workbook[self.tab]
        status = find_header(sheet, STATUS_HEADER)
        if status is None:
            return "found no status column to format"
        fill = PatternFill(fill_type="solid", start_color="FFF2F2F2")
        for row in range(header_row(sheet) + 1, sheet.max_row + 1):
            sheet.cell(row=row, column=status).fill = fill
        sheet.column_dimensions[get_column_letter(status)].width = 48
        return "formatted the status column"

    def type_in_status(self, workbook: Workbook) -> str:
        """Type a note into one or two status cells, which the next sync replaces."""
        sheet = workbook[self.tab]
        status = find_header(sheet, STATUS_HEADER)
        if status is None:
            return "found no status column to type in"
        rows = range(header_row(sheet) + 1, sheet.max_row + 1)
        typed = self.rng.sample(rows, min(2, len(rows)))
        for row in typed:
            sheet.cell(row=row, column=status, value="Checked by Ana")
        return f"typed a note into the status cells of rows {sorted(typed)}"

    def rename_user_tab(self, workbook: Workbook) -> str:
        """Rename one of the user's own tabs, or a generated tab to keep a copy."""
        fixed = {self.tab, LISTS_TAB, *self.generated_tabs}
        tabs = [name for name in workbook.sheetnames if name not in fixed]
        generated = [name for name in self.generated_tabs if name in workbook]
        if generated and self.rng.random() < 0.3:
            tabs = generated
        old = self.rng.choice(tabs)
        new = f"{old[:20]} {self.rng.randrange(100)}"
        if new in workbook.sheetnames:
            return f"left tab {old!r} as it was, because {new!r} exists"
        rename_tab(workbook, old, new)
        return f"renamed tab {old!r} to {new!r}"

    def insert_row_above_header(self, workbook: Workbook) -> str:
        """Insert a row of notes above the header, moving the table down a row.

        Like Excel, the edit moves formulas, links, the filter, the print titles
        and the frozen panes along. Conditional formats, dropdowns and other
        tabs' references to the table stay as they were, and they still cover
        the deal rows.
        """
        sheet = workbook[self.tab]
        header = header_row(sheet) + 1  # the header row after the insert
        frozen_column = sheet[sheet.freeze_panes or "A1"].column
        sheet.insert_rows(2)
        for row in sheet.iter_rows(min_row=3):
            for cell in row:
                self._move_down(cell)
        sheet.cell(row=2, column=2, value=f"Reviewed on {self.as_of.isoformat()}")

        last = get_column_letter(len(FIELDS))
        if sheet.auto_filter.ref:
            sheet.auto_filter.ref = f"A{header}:{last}{sheet.max_row}"
        if sheet.print_title_rows:
            sheet.print_title_rows = f"{header}:{header}"
        sheet.freeze_panes = sheet.cell(header + 1, frozen_column)
        return f"inserted a row above the header, now on row {header}"

    def move_tab(self, workbook: Workbook) -> str:
        """Move a tab, generated and pipeline tabs included, to another place."""
        names = workbook.sheetnames
        name = self.rng.choice(names)
        index = names.index(name)
        offset = self.rng.randint(-index, len(names) - 1 - index)
        workbook.move_sheet(name, offset)
        workbook.active = workbook.sheetnames.index(self.tab)
        return f"moved tab {name!r} by {offset}"

    def hide_tab(self, workbook: Workbook) -> str:
        """Hide a tab other than the pipeline tab, or show it again if hidden."""
        names = [name for name in workbook.sheetnames if name != self.tab]
        sheet = workbook[self.rng.choice(names)]
        if sheet.sheet_state == "visible":
            sheet.sheet_state = "hidden"
            action = "hid"
        else:
            sheet.sheet_state = "visible"
            action = "showed"
        workbook.active = workbook.sheetnames.index(self.tab)
        return f"{action} tab {sheet.title!r}"

    def delete_generated_tab(self, workbook: Workbook) -> str:
        """Delete a generated tab, which the next sync writes again."""
        names = [name for name in self.generated_tabs if name in workbook.sheetnames]
        if not names:
            return "found no generated tab to delete"
        name = self.rng.choice(names)
        workbook.remove(workbook[name])
        workbook.active = workbook.sheetnames.index(self.tab)
        return f"deleted tab {name!r}"

    def rename_pipeline_tab(self, workbook: Workbook) -> str:
        """Rename the pipeline tab: to another case, or to another name."""
        choices = [
            self.tab.lower(),
            self.tab.upper(),
            "Pipeline",
            "Deals 2025",
            "Ventes – été",
            "Team's deals",
        ]
        new = self.rng.choice([name for name in choices if name != self.tab])
        rename_tab(workbook, self.tab, new)
        self.tab = new
        return f"renamed the pipeline tab to {new!r}"

    def _move_down(self, cell: Any) -> None:
        """Translate the formula of a cell openpyxl moved down a row, and its link."""
        origin = f"{cell.column_letter}{cell.row - 1}"
        cell.value = moved_formula(cell.value, origin, cell.coordinate)
        if cell.hyperlink is not None:
            cell.hyperlink = cell.hyperlink.target

    def _columns(self, sheet: Worksheet, fixed: int | None) -> list[int]:
        return [c for c in range(1, sheet.max_column + 1) if c != fixed]

    def _new_deal(self) -> DealCells:
        self.next_number += 1
        identifier = deal_id(self.features, self.next_number)
        deal = random_deal(self.rng, self.as_of, identifier)
        return break_deal(self.rng, deal, [])


def edit_workbook(path: Path, *edits: Callable[[Workbook], str]) -> list[str]:
    """Apply edits to the workbook with openpyxl, save it and return their notes."""
    workbook = openpyxl.load_workbook(path)
    done = [edit(workbook) for edit in edits]
    workbook.save(path)
    return done
