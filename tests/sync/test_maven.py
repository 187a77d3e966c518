"""Tests of the Maven CRM workbook built from the data set's CSV files."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from config.errors import SourceError
from sync.maven import MavenSummary, build_maven_workbook
from tests.fifo_files import released_fifo
from tests.shared_data import MAVEN_FOLDER, requires_shared

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
# Column positions in the Deals tab.
ID, AGENT, MANAGER, REGION, PRODUCT, ACCOUNT, STAGE, ENGAGE, CLOSE, VALUE = range(10)

Row = tuple[object, ...]

needs_maven_data = requires_shared(MAVEN_FOLDER)


@pytest.fixture(scope="module")
def maven(tmp_path_factory: pytest.TempPathFactory) -> tuple[MavenSummary, Path]:
    path = tmp_path_factory.mktemp("maven") / "maven-crm.xlsx"
    return build_maven_workbook(MAVEN_FOLDER, path), path


@pytest.fixture(scope="module")
def maven_tabs(maven: tuple[MavenSummary, Path]) -> dict[str, list[Row]]:
    return read_tabs(maven[1])


@pytest.fixture(scope="module")
def maven_deals(maven_tabs: dict[str, list[Row]]) -> list[Row]:
    return maven_tabs["Deals"][3:]


def read_tabs(path: Path) -> dict[str, list[Row]]:
    """Return the rows of every tab, each padded with None to its longest row."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    tabs: dict[str, list[Row]] = {}
    try:
        for sheet in workbook.worksheets:
            rows = list(sheet.iter_rows(values_only=True))
            width = max((len(row) for row in rows), default=0)
            tabs[sheet.title] = [row + (None,) * (width - len(row)) for row in rows]
    finally:
        workbook.close()
    return tabs


def write_csv(folder: Path, name: str, lines: list[str]) -> None:
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8-sig")


@pytest.fixture
def tiny_folder(tmp_path: Path) -> Path:
    """A hand-made data set: three deals, one agent missing from the team list."""
    folder = tmp_path / "csv"
    folder.mkdir()
    write_csv(
        folder,
        "sales_pipeline.csv",
        [
            (
                "opportunity_id,sales_agent,product,account,deal_stage,engage_date,"
                "close_date,close_value"
            ),
            "00123,Ana Lima,GTX Pro,Acme,Won,2017-01-05,2017-02-10,4821",
            "A2,Ben Ortiz,MG Special,,Engaging,2017-03-01,,",
            "A3,Ana Lima,GTXPro,Acme,Lost,2017-01-09,soon,12.5",
        ],
    )
    write_csv(
        folder,
        "sales_teams.csv",
        ["sales_agent,manager,regional_office", "Ana Lima,Cara Diaz,West"],
    )
    write_csv(
        folder,
        "products.csv",
        ["product,series,sales_price", "GTX Pro,GTX,4821", "MG Special,MG,55"],
    )
    write_csv(
        folder,
        "accounts.csv",
        [
            "account,sector,year_established,revenue,employees",
            "Acme,technolgy,1996,1100.04,2822",
        ],
    )
    return folder


@pytest.fixture
def tiny(
    tmp_path: Path, tiny_folder: Path
) -> tuple[MavenSummary, dict[str, list[Row]]]:
    summary = build_maven_workbook(tiny_folder, tmp_path / "tiny.xlsx")
    return summary, read_tabs(tmp_path / "tiny.xlsx")


@needs_maven_data
def test_maven_tabs_in_order(maven_tabs: dict[str, list[Row]]) -> None:
    assert list(maven_tabs) == ["Deals", "Products", "Team", "Accounts"]


@needs_maven_data
def test_maven_title_and_header(maven_tabs: dict[str, list[Row]]) -> None:
    deals = maven_tabs["Deals"]
    assert deals[0][0] == "Maven CRM pipeline (from sales_pipeline.csv)"
    assert all(value is None for value in deals[1])
    assert deals[2] == DEALS_HEADER


@needs_maven_data
def test_maven_writes_every_deal(
    maven: tuple[MavenSummary, Path], maven_deals: list[Row]
) -> None:
    assert maven[0].rows_written == 8800
    assert len(maven_deals) == 8800


@needs_maven_data
@pytest.mark.parametrize(
    ("stage", "count"),
    [("Won", 4238), ("Lost", 2473), ("Engaging", 1589), ("Prospecting", 500)],
    ids=["won", "lost", "engaging", "prospecting"],
)
def test_maven_stage_counts(
    maven: tuple[MavenSummary, Path], maven_deals: list[Row], stage: str, count: int
) -> None:
    assert maven[0].stage_counts[stage] == count
    assert Counter(row[STAGE] for row in maven_deals)[stage] == count


@needs_maven_data
def test_maven_summary_has_only_four_stages(maven: tuple[MavenSummary, Path]) -> None:
    assert set(maven[0].stage_counts) == {"Won", "Lost", "Engaging", "Prospecting"}


@needs_maven_data
def test_maven_ids_are_unique_text(maven_deals: list[Row]) -> None:
    ids = [row[ID] for row in maven_deals]
    assert all(isinstance(value, str) for value in ids)
    assert len(set(ids)) == 8800


@needs_maven_data
@pytest.mark.parametrize(
    ("column", "first", "last"),
    [
        (ENGAGE, dt.date(2016, 10, 20), dt.date(2017, 12, 27)),
        (CLOSE, dt.date(2017, 3, 1), dt.date(2017, 12, 31)),
    ],
    ids=["engage-date", "close-date"],
)
def test_maven_dates_are_date_cells(
    maven_deals: list[Row], column: int, first: dt.date, last: dt.date
) -> None:
    filled = [row[column] for row in maven_deals if row[column] is not None]
    assert all(isinstance(value, dt.datetime) for value in filled)
    dates = [value.date() for value in filled if isinstance(value, dt.datetime)]
    assert min(dates) == first
    assert max(dates) == last


@needs_maven_data
def test_maven_won_value_is_numeric(maven_deals: list[Row]) -> None:
    won = [row[VALUE] for row in maven_deals if row[STAGE] == "Won"]
    assert all(isinstance(value, int) for value in won)
    assert sum(value for value in won if isinstance(value, int)) == 10_005_534


@needs_maven_data
def test_maven_open_deals_have_blank_close(maven_deals: list[Row]) -> None:
    open_deals = [
        row for row in maven_deals if row[STAGE] in ("Engaging", "Prospecting")
    ]
    assert all(row[CLOSE] is None for row in open_deals)
    assert all(row[VALUE] is None for row in open_deals)


@needs_maven_data
def test_maven_prospecting_has_no_engage_date(maven_deals: list[Row]) -> None:
    prospecting = [row for row in maven_deals if row[STAGE] == "Prospecting"]
    assert all(row[ENGAGE] is None for row in prospecting)


@needs_maven_data
def test_maven_blank_accounts_stay_blank(maven_deals: list[Row]) -> None:
    assert sum(row[ACCOUNT] is None for row in maven_deals) == 1425


@needs_maven_data
def test_maven_keeps_gtxpro_product(maven_deals: list[Row]) -> None:
    assert sum(row[PRODUCT] == "GTXPro" for row in maven_deals) == 1480


@needs_maven_data
def test_maven_joins_manager_and_region(maven_deals: list[Row]) -> None:
    first = maven_deals[0]
    assert first[AGENT] == "Moses Frase"
    assert first[MANAGER] == "Dustin Brinkmann"
    assert first[REGION] == "Central"
    assert all(row[MANAGER] is not None for row in maven_deals)


@needs_maven_data
def test_maven_agents_all_in_team(maven: tuple[MavenSummary, Path]) -> None:
    assert maven[0].agents_without_team == ()


@needs_maven_data
@pytest.mark.parametrize(
    ("tab", "header", "rows"),
    [
        ("Products", ("Product", "Series", "Sales Price"), 7),
        ("Team", ("Sales Agent", "Manager", "Regional Office"), 35),
        (
            "Accounts",
            (
                "account",
                "sector",
                "year_established",
                "revenue",
                "employees",
                "office_location",
                "subsidiary_of",
            ),
            85,
        ),
    ],
    ids=["products", "team", "accounts"],
)
def test_maven_lookup_tabs(
    maven_tabs: dict[str, list[Row]], tab: str, header: Row, rows: int
) -> None:
    assert maven_tabs[tab][0] == header
    assert len(maven_tabs[tab]) - 1 == rows


@needs_maven_data
def test_maven_product_list_lacks_gtxpro(maven_tabs: dict[str, list[Row]]) -> None:
    products = [row[0] for row in maven_tabs["Products"][1:]]
    assert "GTX Pro" in products
    assert "GTXPro" not in products


def test_tiny_keeps_leading_zero_id(
    tiny: tuple[MavenSummary, dict[str, list[Row]]],
) -> None:
    assert tiny[1]["Deals"][3][ID] == "00123"


def test_tiny_agent_without_team_left_blank(
    tiny: tuple[MavenSummary, dict[str, list[Row]]],
) -> None:
    summary, tabs = tiny
    ben = tabs["Deals"][4]
    assert summary.agents_without_team == ("Ben Ortiz",)
    assert ben[MANAGER] is None
    assert ben[REGION] is None


def test_tiny_joins_team(tiny: tuple[MavenSummary, dict[str, list[Row]]]) -> None:
    ana = tiny[1]["Deals"][3]
    assert ana[MANAGER] == "Cara Diaz"
    assert ana[REGION] == "West"


def test_tiny_blank_cells_stay_blank(
    tiny: tuple[MavenSummary, dict[str, list[Row]]],
) -> None:
    engaging = tiny[1]["Deals"][4]
    assert engaging[ACCOUNT] is None
    assert engaging[CLOSE] is None
    assert engaging[VALUE] is None


def test_tiny_bad_date_kept_as_text(
    tiny: tuple[MavenSummary, dict[str, list[Row]]],
) -> None:
    assert tiny[1]["Deals"][5][CLOSE] == "soon"


def test_tiny_values_typed(tiny: tuple[MavenSummary, dict[str, list[Row]]]) -> None:
    deals = tiny[1]["Deals"]
    assert deals[3][ENGAGE] == dt.datetime(2017, 1, 5)
    assert deals[3][VALUE] == 4821
    assert deals[5][VALUE] == 12.5


def test_tiny_stage_counts(tiny: tuple[MavenSummary, dict[str, list[Row]]]) -> None:
    summary = tiny[0]
    assert summary.rows_written == 3
    assert summary.stage_counts == {"Won": 1, "Engaging": 1, "Lost": 1}


def test_tiny_accounts_numbers(tiny: tuple[MavenSummary, dict[str, list[Row]]]) -> None:
    accounts = tiny[1]["Accounts"]
    assert accounts[0][0] == "account"
    assert accounts[1] == ("Acme", "technolgy", 1996, 1100.04, 2822)


def test_missing_column_names_file_and_column(
    tmp_path: Path, tiny_folder: Path
) -> None:
    write_csv(
        tiny_folder,
        "sales_pipeline.csv",
        [
            "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date"
        ],
    )
    with pytest.raises(SourceError) as raised:
        build_maven_workbook(tiny_folder, tmp_path / "out.xlsx")
    assert str(raised.value) == (
        f"CSV file {str(tiny_folder / 'sales_pipeline.csv')!r} has no column "
        "'close_value'. Its header is opportunity_id, sales_agent, product, "
        "account, deal_stage, engage_date, close_date. Use the file as "
        "published, with its original header row."
    )
    assert not (tmp_path / "out.xlsx").exists()


def test_missing_csv_file_named(tmp_path: Path, tiny_folder: Path) -> None:
    (tiny_folder / "sales_teams.csv").unlink()
    with pytest.raises(SourceError) as raised:
        build_maven_workbook(tiny_folder, tmp_path / "out.xlsx")
    assert str(raised.value) == (
        f"CSV file 'sales_teams.csv' not found in {str(tiny_folder)!r}. Put the "
        "Maven CRM files sales_pipeline.csv, sales_teams.csv, products.csv and "
        "accounts.csv, unchanged, into that folder."
    )


def test_fifo_csv_file_named(tmp_path: Path, tiny_folder: Path) -> None:
    (tiny_folder / "sales_teams.csv").unlink()
    with released_fifo(tiny_folder / "sales_teams.csv") as fifo:
        with pytest.raises(SourceError) as raised:
            build_maven_workbook(tiny_folder, tmp_path / "out.xlsx")

    assert str(raised.value) == (
        f"CSV file {str(fifo)!r} is a FIFO (named pipe), not a regular file. Put "
        "the Maven CRM CSV file itself into that folder."
    )


def test_non_utf8_csv_rejected(tmp_path: Path, tiny_folder: Path) -> None:
    (tiny_folder / "products.csv").write_bytes(b"product,series,sales_price\n\xff\n")
    with pytest.raises(SourceError) as raised:
        build_maven_workbook(tiny_folder, tmp_path / "out.xlsx")
    assert str(raised.value).startswith(
        f"Cannot read CSV file {str(tiny_folder / 'products.csv')!r}: "
    )
    assert str(raised.value).endswith("Save it as UTF-8 CSV and try again.")


PIPELINE_HEADER = (
    "opportunity_id,sales_agent,product,account,deal_stage,engage_date,"
    "close_date,close_value"
)


def test_cut_off_row_names_line(tmp_path: Path, tiny_folder: Path) -> None:
    path = tiny_folder / "sales_pipeline.csv"
    path.write_text(
        f"{PIPELINE_HEADER}\nA1,Ana Lima,GTX Pro,Acme,Won,2017-01-05,2017-02-10,1\n"
        "A2,Ana Lima,GTX Pro,Acme,Won,2017-1",
        encoding="utf-8",
    )

    with pytest.raises(SourceError) as raised:
        build_maven_workbook(tiny_folder, tmp_path / "out.xlsx")

    assert str(raised.value) == (
        f"CSV file {str(path)!r} line 3 has 6 fields, but the header has 8: "
        "'A2,Ana Lima,GTX Pro,Acme,Won,2017-1'. The file may have been cut off "
        "during a copy or edited. Use the file as published, or fix that line."
    )
    assert not (tmp_path / "out.xlsx").exists()


@pytest.mark.parametrize(
    ("file", "lines", "start"),
    [
        (
            "sales_teams.csv",
            ["sales_agent,manager,regional_office", "Ana Lima,Cara Diaz,West,extra"],
            "line 2 has 4 fields, but the header has 3: ",
        ),
        (
            "products.csv",
            ["product,series,sales_price", "", "", "GTX Pro,GTX"],
            "line 4 has 2 fields, but the header has 3: ",
        ),
        (
            "accounts.csv",
            ["account,sector", '"Acme,technology'],
            "is invalid at line 2: unexpected end of data. ",
        ),
        (
            "products.csv",
            ["product,series,sales_price", '"GTX" Pro,GTX,4821'],
            "is invalid at line 2: ',' expected after '\"'. ",
        ),
        (
            "sales_pipeline.csv",
            [PIPELINE_HEADER, 'A1,"Ana\nLima",GTX Pro,Acme,Won,,'],
            "line 2 has 7 fields, but the header has 8: ",
        ),
    ],
    ids=[
        "long-row",
        "short-after-blanks",
        "unclosed-quote",
        "text-after-quote",
        "multi-line-row",
    ],
)
def test_malformed_line_names_file_and_line(
    tmp_path: Path, tiny_folder: Path, file: str, lines: list[str], start: str
) -> None:
    write_csv(tiny_folder, file, lines)

    with pytest.raises(SourceError) as raised:
        build_maven_workbook(tiny_folder, tmp_path / "out.xlsx")

    assert str(raised.value).startswith(f"CSV file {str(tiny_folder / file)!r} {start}")
    assert str(raised.value).endswith("Use the file as published, or fix that line.")


def test_existing_workbook_not_overwritten(tmp_path: Path, tiny_folder: Path) -> None:
    path = tmp_path / "out.xlsx"
    path.write_bytes(b"keep me")
    with pytest.raises(SourceError):
        build_maven_workbook(tiny_folder, path)
    assert path.read_bytes() == b"keep me"
