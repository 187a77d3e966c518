"""The Maven CRM workbook: the public "CRM Sales Opportunities" CSV files as a team
would keep them in one workbook.

Tab ``Deals`` contains ``sales_pipeline.csv`` with each agent's manager and
regional office joined from ``sales_teams.csv``. Tabs ``Products``, ``Team`` and
``Accounts`` contain the other files. One CSV row becomes one sheet row::

    1C1I7A6R,Moses Frase,GTX Plus Basic,Cancity,Won,2016-10-20,2017-03-01,1054
    →  1C1I7A6R | Moses Frase | Dustin Brinkmann | Central | GTX Plus Basic |
       Cancity | Won | 2016-10-20 (date) | 2017-03-01 (date) | 1054 (number)
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from config.errors import SourceError
from config.file_kinds import non_regular_kind
from sync.new_workbook import check_new_workbook_path, save_new_workbook

if TYPE_CHECKING:
    from _csv import Reader

logger = logging.getLogger(__name__)

PIPELINE_CSV = "sales_pipeline.csv"
TEAMS_CSV = "sales_teams.csv"
PRODUCTS_CSV = "products.csv"
ACCOUNTS_CSV = "accounts.csv"

PIPELINE_COLUMNS = (
    "opportunity_id",
    "sales_agent",
    "product",
    "account",
    "deal_stage",
    "engage_date",
    "close_date",
    "close_value",
)
TEAMS_COLUMNS = ("sales_agent", "manager", "regional_office")
PRODUCTS_COLUMNS = ("product", "series", "sales_price")
ACCOUNTS_COLUMNS = ("account",)
# accounts.csv columns written as numbers. Every other column stays text.
ACCOUNTS_NUMBER_COLUMNS = ("year_established", "revenue", "employees")

DEALS_TAB = "Deals"
DEALS_TITLE = "Maven CRM pipeline (from sales_pipeline.csv)"
DEALS_HEADER = (
    "Opportunity ID",
    "Sales Agent",
    "Manager",
    "Regional Office",
    "Product",
    "Account",
    "Deal Stage",
    "Engage Date",
    "Close Date",
    "Close Value",
)
DEALS_WIDTHS = (14, 20, 20, 16, 16, 22, 12, 13, 13, 12)
DEALS_HEADER_ROW = 3
PRODUCTS_TAB = "Products"
PRODUCTS_HEADER = ("Product", "Series", "Sales Price")
TEAM_TAB = "Team"
TEAM_HEADER = ("Sales Agent", "Manager", "Regional Office")
ACCOUNTS_TAB = "Accounts"

TITLE_FONT = Font(bold=True, size=14)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill(fill_type="solid", start_color="FFDDEBF7")
DATE_FORMAT = "yyyy-mm-dd"
AMOUNT_FORMAT = "#,##0"
TEXT_FORMAT = "@"

_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_WHOLE_NUMBER = re.compile(r"-?\d+")


@dataclass(frozen=True)
class MavenSummary:
    """Counts of the deals :func:`build_maven_workbook` wrote.

    ``stage_counts`` maps each deal stage, as written in the CSV, to its number
    of deals, in order of first appearance. Deals with a blank stage count under
    ``""``. ``agents_without_team`` lists, sorted, the sales agents of
    ``sales_pipeline.csv`` missing from ``sales_teams.csv``, whose deals have a
    blank manager and regional office.
    """

    path: Path
    rows_written: int
    stage_counts: dict[str, int]
    agents_without_team: tuple[str, ...]


@dataclass(frozen=True)
class CsvTable:
    """The rows of one CSV file, blank cells as None."""

    file: str
    header: list[str]
    rows: list[dict[str, str | None]]


@dataclass(frozen=True)
class TeamMember:
    manager: str | None
    region: str | None


def build_maven_workbook(csv_folder: Path, path: Path) -> MavenSummary:
    """Build the Maven CRM workbook from the data set's CSV files.

    :param csv_folder: the folder holding ``sales_pipeline.csv``,
        ``sales_teams.csv``, ``products.csv`` and ``accounts.csv``.
    :param path: the .xlsx file to create, which must not exist yet.
    :returns: the counts of what was written.
    :raises SourceError: a CSV file or one of its columns is missing or
        unreadable, a line of one is invalid CSV or has another number of
        fields than its header, or the workbook file exists or cannot be
        written.
    """
    check_new_workbook_path(path)
    pipeline = read_csv_table(csv_folder, PIPELINE_CSV, PIPELINE_COLUMNS)
    teams = read_csv_table(csv_folder, TEAMS_CSV, TEAMS_COLUMNS)
    products = read_csv_table(csv_folder, PRODUCTS_CSV, PRODUCTS_COLUMNS)
    accounts = read_csv_table(csv_folder, ACCOUNTS_CSV, ACCOUNTS_COLUMNS)

    workbook = Workbook(write_only=True)
    members = _team_members(teams)
    missing_agents = _write_deals_tab(workbook, pipeline, members)
    _write_products_tab(workbook, products)
    _write_team_tab(workbook, teams)
    _write_accounts_tab(workbook, accounts)

    if missing_agents:
        logger.warning(
            "%d sales agents of %s are missing from %s, so their deals have no "
            "manager or regional office",
            len(missing_agents),
            PIPELINE_CSV,
            TEAMS_CSV,
        )
    size = save_new_workbook(workbook, path)
    summary = MavenSummary(
        path=path,
        rows_written=len(pipeline.rows),
        stage_counts=dict(Counter(row["deal_stage"] or "" for row in pipeline.rows)),
        agents_without_team=tuple(sorted(missing_agents)),
    )
    logger.info(
        "Created Maven CRM workbook %s (%d deals, %d agents without a team, %d bytes)",
        path,
        summary.rows_written,
        len(summary.agents_without_team),
        size,
    )
    return summary


def read_csv_table(folder: Path, file: str, columns: Sequence[str]) -> CsvTable:
    """Read one CSV file of the data set, checking that it has ``columns``.

    :raises SourceError: the file is missing or unreadable, lacks a column, or
        has a line that is invalid CSV or not as many fields as the header.
    """
    path = folder / file
    try:
        kind = non_regular_kind(path)
        if kind is not None:
            raise SourceError(
                f"CSV file {str(path)!r} is {kind}, not a regular file. Put the "
                "Maven CRM CSV file itself into that folder."
            )
        with path.open(encoding="utf-8-sig", newline="") as stream:
            reader = csv.reader(stream, strict=True)
            header = _next_row(path, reader) or []
            _check_columns(path, header, columns)
            rows = _read_rows(path, reader, header)
    except FileNotFoundError:
        raise SourceError(
            f"CSV file {file!r} not found in {str(folder)!r}. Put the Maven CRM "
            "files sales_pipeline.csv, sales_teams.csv, products.csv and "
            "accounts.csv, unchanged, into that folder."
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise SourceError(
            f"Cannot read CSV file {str(path)!r}: {error}. Save it as UTF-8 CSV "
            "and try again."
        ) from error

    logger.debug("Read %d rows from %s", len(rows), path)
    return CsvTable(file=file, header=header, rows=rows)


def _check_columns(path: Path, header: list[str], columns: Sequence[str]) -> None:
    for column in columns:
        if column not in header:
            raise SourceError(
                f"CSV file {str(path)!r} has no column {column!r}. Its header is "
                f"{', '.join(header) or '(empty)'}. Use the file as published, "
                "with its original header row."
            )


def _read_rows(
    path: Path, reader: Reader, header: list[str]
) -> list[dict[str, str | None]]:
    """Read the rows after the header, rejecting any line that is not a full row.

    A file cut off during a copy ends with a short row, and a hand edit can
    leave a row short or long. Blank lines are skipped.

    :raises SourceError: a line is not valid CSV or its field count differs
        from the header's.
    """
    rows: list[dict[str, str | None]] = []
    while True:
        # A quoted field can span lines, so a row is named by its first line.
        first_line = reader.line_num + 1
        fields = _next_row(path, reader)
        if fields is None:
            return rows
        if fields:
            _check_field_count(path, first_line, fields, header)
            rows.append(_blank_to_none(fields, header))


def _next_row(path: Path, reader: Reader) -> list[str] | None:
    """Return the next row's fields, or None at the end of the file."""
    try:
        return next(reader, None)
    except csv.Error as error:
        raise SourceError(
            f"CSV file {str(path)!r} is invalid at line {reader.line_num}: "
            f"{error}. Use the file as published, or fix that line."
        ) from error


def _check_field_count(
    path: Path, line: int, fields: list[str], header: list[str]
) -> None:
    if len(fields) == len(header):
        return
    text = ",".join(fields)
    excerpt = text if len(text) <= 80 else text[:77] + "..."
    raise SourceError(
        f"CSV file {str(path)!r} line {line} has {len(fields)} fields, but the "
        f"header has {len(header)}: {excerpt!r}. The file may have been cut off "
        "during a copy or edited. Use the file as published, or fix that line."
    )


def _blank_to_none(fields: list[str], header: list[str]) -> dict[str, str | None]:
    return {
        column: value if value.strip() else None
        for column, value in zip(header, fields, strict=True)
    }


def _team_members(teams: CsvTable) -> dict[str, TeamMember]:
    return {
        row["sales_agent"]: TeamMember(row["manager"], row["regional_office"])
        for row in teams.rows
        if row["sales_agent"] is not None
    }


def _write_deals_tab(
    workbook: Workbook, pipeline: CsvTable, members: dict[str, TeamMember]
) -> set[str]:
    """Write the Deals tab and return the agents missing from the team list."""
    sheet = workbook.create_sheet(DEALS_TAB)
    _set_widths(sheet, DEALS_WIDTHS)
    sheet.freeze_panes = f"A{DEALS_HEADER_ROW + 1}"
    sheet.append([_styled(sheet, DEALS_TITLE, font=TITLE_FONT)])
    sheet.append([])
    sheet.append(_header_cells(sheet, DEALS_HEADER))

    missing_agents: set[str] = set()
    for row in pipeline.rows:
        agent = row["sales_agent"]
        member = members.get(agent) if agent is not None else None
        if agent is not None and member is None:
            missing_agents.add(agent)
        sheet.append(_deal_cells(sheet, row, member or TeamMember(None, None)))
    return missing_agents


def _deal_cells(
    sheet: WriteOnlyWorksheet, row: dict[str, str | None], member: TeamMember
) -> list[object]:
    return [
        _text_cell(sheet, row["opportunity_id"]),
        row["sales_agent"],
        member.manager,
        member.region,
        row["product"],
        row["account"],
        row["deal_stage"],
        _date_cell(sheet, row["engage_date"]),
        _date_cell(sheet, row["close_date"]),
        _number_cell(sheet, row["close_value"], AMOUNT_FORMAT),
    ]


def _write_products_tab(workbook: Workbook, products: CsvTable) -> None:
    sheet = workbook.create_sheet(PRODUCTS_TAB)
    _set_widths(sheet, (18, 10, 12))
    sheet.append(_header_cells(sheet, PRODUCTS_HEADER))
    for row in products.rows:
        price = _number_cell(sheet, row["sales_price"], AMOUNT_FORMAT)
        sheet.append([row["product"], row["series"], price])


def _write_team_tab(workbook: Workbook, teams: CsvTable) -> None:
    sheet = workbook.create_sheet(TEAM_TAB)
    _set_widths(sheet, (20, 20, 16))
    sheet.append(_header_cells(sheet, TEAM_HEADER))
    for row in teams.rows:
        sheet.append([row[column] for column in TEAMS_COLUMNS])


def _write_accounts_tab(workbook: Workbook, accounts: CsvTable) -> None:
    sheet = workbook.create_sheet(ACCOUNTS_TAB)
    _set_widths(sheet, [18] * len(accounts.header))
    sheet.append(_header_cells(sheet, accounts.header))
    for row in accounts.rows:
        sheet.append([_account_cell(sheet, column, row) for column in accounts.header])


def _account_cell(
    sheet: WriteOnlyWorksheet, column: str, row: dict[str, str | None]
) -> object:
    if column in ACCOUNTS_NUMBER_COLUMNS:
        return _number_cell(sheet, row[column], None)
    return row[column]


def _set_widths(sheet: WriteOnlyWorksheet, widths: Iterable[float]) -> None:
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width


def _header_cells(sheet: WriteOnlyWorksheet, header: Iterable[str]) -> list[object]:
    return [_styled(sheet, text, font=HEADER_FONT, fill=HEADER_FILL) for text in header]


def _styled(
    sheet: WriteOnlyWorksheet,
    value: object,
    *,
    font: Font | None = None,
    fill: PatternFill | None = None,
    number_format: str | None = None,
) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if number_format is not None:
        cell.number_format = number_format
    return cell


def _text_cell(sheet: WriteOnlyWorksheet, value: str | None) -> object:
    """Return a text-formatted cell, so IDs such as ``00123`` stay text."""
    if value is None:
        return None
    return _styled(sheet, value, number_format=TEXT_FORMAT)


def _date_cell(sheet: WriteOnlyWorksheet, value: str | None) -> object:
    """Return a date cell for ISO text, or the text itself if it is not a date.

    A value that is not an ISO date is kept as written, as a team's sheet would
    hold it, so that a run reports it as a bad date.
    """
    if value is None:
        return None
    try:
        date = dt.date.fromisoformat(value.strip())
    except ValueError:
        return value
    return _styled(sheet, date, number_format=DATE_FORMAT)


def _number_cell(
    sheet: WriteOnlyWorksheet, value: str | None, number_format: str | None
) -> object:
    """Return a number cell for plain decimal text, or the text itself otherwise."""
    if value is None:
        return None
    text = value.strip()
    if not _PLAIN_NUMBER.fullmatch(text):
        return value

    number = int(text) if _WHOLE_NUMBER.fullmatch(text) else float(text)
    return _styled(sheet, number, number_format=number_format)
