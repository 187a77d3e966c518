"""Tests of a definition kept in a Rules tab, read from Excel and Google Sheets."""

from __future__ import annotations

import json
import logging
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import openpyxl
import pytest
from click.testing import CliRunner, Result

from config.loader import load_pipeline, read_definition
from config.shipped import shipped_definition
from rules.grid import CellValue
from sync.cli import cli
from sync.rules_tab import lay_rules_tab_over, load_workbook_definition
from sync.schedules import load_definition
from tests.fake_sheets import FakeSheets
from tests.sync.fake_spreadsheets import (
    DEALS_HEADER,
    TOKEN_URI,
    make_pipeline,
    upload_workbook,
    write_key_file,
)

AS_OF = "2025-09-30"
DEALS: list[list[CellValue]] = [
    ["Deal ID", "Stage", "Amount"],
    ["D-1", "Pitch", 100],
    ["D-2", "Signed", 500],
]
# Stages of the team's own, which the YAML below does not know.
TEAM_RULES: list[list[CellValue]] = [
    ["Setting", "Value"],
    ["followups.require_next_step_date", "no"],
    [],
    ["Stage", "Probability", "Required", "Outcome"],
    ["Pitch", "20%", None, None],
    ["Signed", 1, "amount", "won"],
    ["Dropped", 0, None, "lost"],
]
# The same stages over the shipped English definition, whose required
# columns the Deals tab lacks.
WORKBOOK_RULES: list[list[CellValue]] = [
    *TEAM_RULES,
    [],
    ["Field", "Required"],
    ["account", "no"],
    ["owner", "no"],
    ["close_date", "no"],
    ["next_step_date", "no"],
]
DEFINITION = """\
name: Tiny pipeline
source:
  path: team.xlsx
  tab: Deals
  rules_tab: Rules
columns:
  id: {aliases: [Deal ID]}
  stage: {aliases: [Stage]}
  amount: {aliases: [Amount]}
stages:
  - {name: Lead, probability: 0.1}
  - {name: Won, outcome: won}
"""


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def write_team_workbook(
    path: Path, rules: list[list[CellValue]] | None = WORKBOOK_RULES, tab: str = "Rules"
) -> Path:
    workbook = openpyxl.Workbook()
    deals = workbook.active
    deals.title = "Deals"
    for row in DEALS:
        deals.append(row)
    if rules is not None:
        sheet = workbook.create_sheet(tab)
        for row in rules:
            sheet.append(row)
    workbook.save(path)
    return path


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def run_json(*args: str) -> dict[str, object]:
    result = invoke(*args, "--as-of", AS_OF, "--json", "-q")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert isinstance(document, dict)
    return document


def codes(document: dict[str, object]) -> dict[str, int]:
    found = document["findings_by_code"]
    assert isinstance(found, dict)
    return found


def test_yaml_definition_takes_stages_from_named_tab() -> None:
    write_team_workbook(Path("team.xlsx"), TEAM_RULES)
    Path("team.yaml").write_text(DEFINITION, encoding="utf-8")

    document = run_json("run", "team.yaml", "--no-state", "--dry-run")

    # The YAML's stages alone would make Pitch and Signed unknown.
    assert "unknown-stage" not in codes(document)
    assert document["deals"] == 2


def test_based_on_ignored_under_yaml_warns(caplog: pytest.LogCaptureFixture) -> None:
    rules = [*TEAM_RULES[:2], ["based_on", "sales-zh"], *TEAM_RULES[2:]]
    write_team_workbook(Path("team.xlsx"), rules)
    Path("team.yaml").write_text(DEFINITION, encoding="utf-8")

    with caplog.at_level(logging.WARNING, logger="sync.rules_tab"):
        pipeline = load_definition("team.yaml")

    assert [stage.name for stage in pipeline.stages] == ["Pitch", "Signed", "Dropped"]
    assert [record.getMessage() for record in caplog.records] == [
        (
            "Workbook 'team.xlsx', tab 'Rules', row 3, column B (Value): based_on "
            "'sales-zh' is not used, because the definition team.yaml names this tab "
            "and is the base it is laid over. Delete the based_on row, or run the "
            "workbook itself as CONFIG to use it."
        )
    ]


def test_workbook_as_config_runs_and_writes_itself() -> None:
    write_team_workbook(Path("team.xlsx"))

    document = run_json("run", "team.xlsx")

    assert document["workbook"] == "team.xlsx"
    assert "unknown-stage" not in codes(document)
    assert "Problems" in openpyxl.load_workbook("team.xlsx").sheetnames


def write_deals_below(path: Path, blank_rows: int, header_row: object) -> None:
    """Write the team workbook with ``blank_rows`` empty rows above its deals."""
    setting = [] if header_row is None else [["source.header_row", header_row]]
    write_team_workbook(path, [WORKBOOK_RULES[0], *setting, *WORKBOOK_RULES[1:]])
    workbook = openpyxl.load_workbook(path)
    workbook["Deals"].insert_rows(1, blank_rows)
    workbook.save(path)


@pytest.mark.parametrize(
    ("blank_rows", "header_row", "fix"),
    [
        (
            40,
            None,
            (
                "Row 41 names the id and stage columns: set source.header_row to 41 "
                "in the Setting table of tab 'Rules'."
            ),
        ),
        (
            2,
            1,
            (
                "Row 3 names the id and stage columns: set source.header_row to 3, "
                "or to auto, in the Setting table of tab 'Rules'."
            ),
        ),
    ],
    ids=["below-search", "moved"],
)
def test_header_row_fix_names_rules_tab(
    blank_rows: int, header_row: int | None, fix: str
) -> None:
    write_deals_below(Path("team.xlsx"), blank_rows, header_row)

    result = invoke("check", "team.xlsx", "--as-of", AS_OF, "--no-state")

    assert result.exit_code == 1
    assert result.stderr.rstrip().endswith(fix)
    assert "in the definition" not in result.stderr


@pytest.mark.parametrize(
    ("setting", "value", "fix"),
    [
        (
            "outputs.group_by",
            "product",
            (
                "delete 'product' from outputs.group_by where it is set, in the "
                "Setting table of tab 'Rules' or in the base definition."
            ),
        ),
        (
            "metrics.win_rate_days",
            90,
            (
                "delete metrics.win_rate_days where it is set, in the Setting table "
                "of tab 'Rules' or in the base definition."
            ),
        ),
    ],
    ids=["group-by", "win-rate-days"],
)
def test_option_without_column_fix_names_rules_tab(
    setting: str, value: CellValue, fix: str, caplog: pytest.LogCaptureFixture
) -> None:
    rules = [WORKBOOK_RULES[0], [setting, value], *WORKBOOK_RULES[1:]]
    write_team_workbook(Path("team.xlsx"), rules)

    with caplog.at_level(logging.WARNING):
        invoke("check", "team.xlsx", "--as-of", AS_OF, "--no-state")

    warnings = [record.getMessage() for record in caplog.records]
    assert [message for message in warnings if message.endswith(fix)]
    assert not [message for message in warnings if "from the definition" in message]


def test_header_row_fix_in_rules_tab_works() -> None:
    write_deals_below(Path("team.xlsx"), 40, 41)

    result = invoke("check", "team.xlsx", "--as-of", AS_OF, "--no-state")

    assert result.exit_code == 0, result.stderr


def test_rules_tab_left_byte_identical_by_run() -> None:
    write_team_workbook(Path("team.xlsx"))
    member = rules_tab_member(Path("team.xlsx"))
    before = zipfile.ZipFile("team.xlsx").read(member)

    document = run_json("run", "team.xlsx")

    assert document["written"] is not None
    assert rules_tab_member(Path("team.xlsx")) == member
    assert zipfile.ZipFile("team.xlsx").read(member) == before


def rules_tab_member(path: Path) -> str:
    """Return the zip member of the Rules tab's sheet XML."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    index = workbook.sheetnames.index("Rules")
    workbook.close()
    return f"xl/worksheets/sheet{index + 1}.xml"


def test_chinese_rules_tab_name_is_found() -> None:
    write_team_workbook(Path("team.xlsx"), tab="规则")

    pipeline = load_workbook_definition(Path("team.xlsx"))

    assert pipeline is not None
    assert pipeline.source.rules_tab == "规则"
    assert [stage.name for stage in pipeline.stages] == ["Pitch", "Signed", "Dropped"]


@pytest.mark.parametrize("second", ["规则", "rules "])
def test_two_rules_tabs_stop_the_run(second: str) -> None:
    path = write_team_workbook(Path("team.xlsx"))
    workbook = openpyxl.load_workbook(path)
    workbook.create_sheet(second).append(["Setting", "Value"])
    workbook.save(path)

    result = invoke("check", "team.xlsx", "--no-state", "--as-of", AS_OF)

    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: Workbook 'team.xlsx' has 2 tabs that can hold its rules: 'Rules', "
        f"{second!r}. pipesheet reads one Rules tab; move the settings into one "
        "of them and delete or rename the others."
    )


def test_stage_cell_merged_down_applies_to_each_stage() -> None:
    rules = [*WORKBOOK_RULES]
    rules[3] = ["Stage", "Probability", "Required", "Outcome", "Idle days"]
    rules[4] = ["Pitch", "20%", None, None, 7]
    rules.insert(5, ["Demo", "30%", None, None, None])
    path = write_team_workbook(Path("team.xlsx"), rules)
    workbook = openpyxl.load_workbook(path)
    workbook["Rules"].merge_cells("E5:E6")
    workbook.save(path)

    pipeline = load_workbook_definition(path)

    assert pipeline is not None
    idle = {stage.name: stage.idle_days for stage in pipeline.stages}
    assert idle == {"Pitch": 7, "Demo": 7, "Signed": None, "Dropped": None}


def test_formula_without_result_in_stage_table_is_reported() -> None:
    rules = [*WORKBOOK_RULES]
    rules[4] = ["Pitch", "=1/5", None, None]
    write_team_workbook(Path("team.xlsx"), rules)

    result = invoke("check", "team.xlsx", "--no-state", "--as-of", AS_OF)

    assert result.exit_code == 1
    assert (
        "  - row 5, column B: the cell holds a formula saved without its result "
        "(a script or a program that does not calculate wrote it); open the "
        "workbook in Excel or LibreOffice and save it, or type the value"
    ) in result.stderr.splitlines()


def test_based_on_names_shipped_definition() -> None:
    rules = [["Setting", "Value"], ["based_on", "sales-zh"], ["source.tab", "Deals"]]
    write_team_workbook(Path("team.xlsx"), rules)

    pipeline = load_workbook_definition(Path("team.xlsx"))

    assert pipeline is not None
    assert pipeline.name == load_pipeline(shipped_definition("sales-zh")).name
    assert pipeline.source.tab == "Deals"
    assert pipeline.source.path == "team.xlsx"


def test_based_on_unknown_name_names_the_cell() -> None:
    write_team_workbook(
        Path("team.xlsx"), [["Setting", "Value"], ["based_on", "b2b-em"]]
    )

    result = invoke("check", "team.xlsx", "--as-of", AS_OF)

    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: Workbook 'team.xlsx', tab 'Rules', row 2, column B (Value): "
        "based_on 'b2b-em' is neither a YAML file in the workbook's folder nor a "
        "shipped definition."
    )


def test_check_reports_bad_rules_tab_with_exit_1() -> None:
    rules = [
        ["Stage", "Idle days", "Outcome"],
        ["Pitch", "soon"],
        ["Signed", None, "won"],
    ]
    write_team_workbook(Path("team.xlsx"), rules)

    result = invoke("check", "team.xlsx", "--as-of", AS_OF)

    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        (
            "Error: Workbook 'team.xlsx', tab 'Rules', laid over "
            f"{shipped_definition('b2b-en')}: invalid pipeline definition (1 problem):"
        ),
        (
            "  - row 2, column B (Idle days), stage 'Pitch': invalid value 'soon'; "
            "expected a whole number from 1 to 36500"
        ),
    ]
    assert result.stdout == ""


def test_missing_named_tab_is_reported() -> None:
    write_team_workbook(Path("team.xlsx"), TEAM_RULES, tab="Rulez")
    Path("team.yaml").write_text(DEFINITION, encoding="utf-8")

    result = invoke("check", "team.yaml", "--as-of", AS_OF)

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: Tab 'Rules' named in source.rules_tab not found in workbook "
        "'team.xlsx'. Existing tabs: 'Deals', 'Rulez'. Did you mean 'Rulez'? Fix "
        "source.rules_tab in the pipeline definition, or add a tab of that name "
        "with the settings and stage table."
    )


def test_doctor_checks_the_rules_tab() -> None:
    write_team_workbook(Path("team.xlsx"))

    result = invoke("doctor", "team.xlsx")

    assert result.output.splitlines()[0] == (
        "✓ Definition    'B2B sales pipeline', source.kind excel, with tab 'Rules' "
        "laid over it"
    )


def test_doctor_fails_on_bad_rules_tab() -> None:
    write_team_workbook(Path("team.xlsx"), [["Setting", "Value"], ["timezone", "Mars"]])

    result = invoke("doctor", "team.xlsx")

    assert result.exit_code == 1
    assert result.output.startswith(
        "✗ Definition  Workbook 'team.xlsx', tab 'Rules', laid over "
    )


def test_serve_definition_reads_rules_tab() -> None:
    write_team_workbook(Path("team.xlsx"), TEAM_RULES)
    Path("team.yaml").write_text(DEFINITION, encoding="utf-8")

    pipeline = load_definition("team.yaml")

    assert [stage.name for stage in pipeline.stages] == ["Pitch", "Signed", "Dropped"]


def test_init_rules_tab_restates_shipped_definition() -> None:
    result = invoke("init", "starter.xlsx", "--rules-tab", "--as-of", AS_OF)

    pipeline = load_workbook_definition(Path("starter.xlsx"))
    shipped = load_pipeline(shipped_definition("b2b-en"))
    assert (
        result.stdout.splitlines()[-1]
        == f"Next: pipesheet run starter.xlsx --as-of {AS_OF}"
    )
    assert pipeline is not None
    assert pipeline.model_dump(exclude={"source"}) == shipped.model_dump(
        exclude={"source"}
    )


def test_init_zh_rules_tab_restates_chinese_definition() -> None:
    invoke("init", "销售.xlsx", "--lang", "zh", "--rules-tab", "--as-of", AS_OF)

    pipeline = load_workbook_definition(Path("销售.xlsx"))
    shipped = load_pipeline(shipped_definition("sales-zh"))
    assert pipeline is not None
    assert pipeline.source.rules_tab == "规则"
    assert pipeline.model_dump(exclude={"source"}) == shipped.model_dump(
        exclude={"source"}
    )


def test_init_without_option_adds_no_rules_tab() -> None:
    invoke("init", "starter.xlsx", "--as-of", AS_OF)

    assert openpyxl.load_workbook("starter.xlsx").sheetnames == ["Deals", "Lists"]


def test_init_workbook_runs_like_shipped_definition() -> None:
    invoke("init", "rules.xlsx", "--rules-tab", "--as-of", AS_OF)
    invoke("init", "plain.xlsx", "--as-of", AS_OF)

    with_tab = run_json("run", "rules.xlsx", "--no-state", "--dry-run")
    shipped = run_json(
        "run", "b2b-en", "--source", "plain.xlsx", "--no-state", "--dry-run"
    )

    for key in ("deals", "findings_by_code", "findings", "metrics", "followups"):
        assert with_tab[key] == shipped[key], key


# Google Sheets, on the fake API.

TOKEN = {"access_token": "test-token", "expires_in": 3600, "token_type": "Bearer"}
GOOGLE_DEALS: list[list[CellValue]] = [
    DEALS_HEADER,
    ["D-1", "Acme", "Pitch", 100, None],
    ["D-2", "Beta", "Signed", 500, None],
]


@pytest.fixture
def fake() -> Iterator[FakeSheets]:
    served = FakeSheets()
    with served.responses() as mock:
        mock.add("POST", TOKEN_URI, json=TOKEN)
        yield served


def google_definition(tmp_path: Path, spreadsheet_id: str, rules_tab: bool) -> Path:
    source = {"rules_tab": "Rules"} if rules_tab else {}
    pipeline = make_pipeline(spreadsheet_id)
    data = pipeline.model_dump(mode="json", exclude_defaults=True)
    data["source"].update(source, credentials=str(write_key_file(tmp_path / "k.json")))
    path = tmp_path / "google.yaml"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def batch_get_ranges(fake: FakeSheets) -> list[str]:
    """Return the ranges of every values.batchGet the fake served."""
    return [
        value
        for request in fake.requests
        if request.operation == "values.batchGet"
        for value in parse_qs(request.query).get("ranges", [])
    ]


def test_google_definition_takes_stages_from_tab(
    fake: FakeSheets, tmp_path: Path
) -> None:
    tabs = {"Deals": GOOGLE_DEALS, "Rules": TEAM_RULES}
    spreadsheet_id = upload_workbook(fake, "Pipeline", tabs)
    path = google_definition(tmp_path, spreadsheet_id, rules_tab=True)
    before = len(fake.requests)

    pipeline = lay_rules_tab_over(
        read_definition(path), path, load_pipeline(path), None
    )

    assert [stage.name for stage in pipeline.stages] == ["Pitch", "Signed", "Dropped"]
    assert pipeline.stages[0].probability == 0.2
    # The tab is read as a pipeline tab is: its values, then its formulas.
    assert [request.operation for request in fake.requests[before:]] == [
        "spreadsheets.get",
        "values.batchGet",
        "values.batchGet",
    ]
    assert batch_get_ranges(fake) == ["'Rules'", "'Rules'"]


def test_google_definition_without_tab_reads_nothing(
    fake: FakeSheets, tmp_path: Path
) -> None:
    tabs = {"Deals": GOOGLE_DEALS, "Rules": TEAM_RULES}
    spreadsheet_id = upload_workbook(fake, "Pipeline", tabs)
    path = google_definition(tmp_path, spreadsheet_id, rules_tab=False)
    before = len(fake.requests)

    pipeline = lay_rules_tab_over(
        read_definition(path), path, load_pipeline(path), None
    )

    assert [stage.name for stage in pipeline.stages][0] == "Lead"
    assert len(fake.requests) == before


def test_google_check_reports_bad_tab(fake: FakeSheets, tmp_path: Path) -> None:
    rules: list[list[CellValue]] = [
        ["Setting", "Value"],
        ["followups.due_soon_days", "x"],
    ]
    spreadsheet_id = upload_workbook(
        fake, "Pipeline", {"Deals": GOOGLE_DEALS, "Rules": rules}
    )
    path = google_definition(tmp_path, spreadsheet_id, rules_tab=True)

    result = invoke("check", str(path), "--as-of", AS_OF)

    assert result.exit_code == 1
    assert result.stderr.splitlines()[1] == (
        "  - row 2, column B (Value), setting 'followups.due_soon_days': invalid "
        "value 'x'; expected a whole number from 0 to 36500"
    )
