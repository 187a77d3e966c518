"""Tests of reading a Rules tab and laying it over a definition."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from config.errors import DefinitionError
from config.loader import parse_pipeline, read_definition
from config.models import Pipeline
from config.rules_tab import read_rules_tab
from config.rules_tab_problems import lay_over, parse_key_path, validate_with_rules_tab
from config.shipped import shipped_definition
from rules.grid import CellValue, SheetGrid

BASE = read_definition(shipped_definition("b2b-en"))
assert isinstance(BASE, dict)

# A Rules tab as a team would keep it: a title-free Setting table, a Stage
# table with a Notes column, blank rows between the blocks, and a Field table.
TEAM_RULES: list[list[CellValue]] = [
    ["Setting", "Value", "Notes"],
    ["based_on", "b2b-en", "the shipped English definition"],
    ["name", "Team pipeline"],
    ["timezone", "Europe/Berlin"],
    ["date_order", "mdy"],
    ["followups.due_soon_days", 5],
    ["followups.require_next_step_date", "no"],
    ["outputs.locale", "en"],
    ["outputs.group_by", "product, source"],
    ["allowed.source.values", "Website, Referral\nEvent"],
    [],
    [],
    ["Stage", "Aliases", "Probability", "Required", "Idle days", "Outcome", "Notes"],
    ["Lead", "New, Prospect", "5%", "account, owner", 10, None, "first call"],
    ["Demo", None, 0.4, "account, owner, amount", "21"],
    ["Won", "Closed Won", 1, "account, amount", None, "Won"],
    ["Lost", None, "0%", "lost_reason", None, "lost"],
    [],
    ["Field", "Headers", "Required"],
    ["owner", "Owner, Sales Rep", "yes"],
    ["next step date", "Follow-up", "no"],
    ["stage", "Stage, Deal Stage", None],
]

# The same definition written as YAML data, the way a YAML file would set it.
TEAM_YAML_CHANGES: dict[str, Any] = {
    "name": "Team pipeline",
    "timezone": "Europe/Berlin",
    "date_order": "mdy",
    "followups": {"due_soon_days": 5, "require_next_step_date": False},
    "stages": [
        {
            "name": "Lead",
            "aliases": ["New", "Prospect"],
            "probability": 0.05,
            "required": ["account", "owner"],
            "idle_days": 10,
        },
        {
            "name": "Demo",
            "probability": 0.4,
            "required": ["account", "owner", "amount"],
            "idle_days": 21,
        },
        {
            "name": "Won",
            "aliases": ["Closed Won"],
            "probability": 1,
            "required": ["account", "amount"],
            "outcome": "won",
        },
        {
            "name": "Lost",
            "probability": 0.0,
            "required": ["lost_reason"],
            "outcome": "lost",
        },
    ],
}


def team_yaml() -> Pipeline:
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(TEAM_YAML_CHANGES))
    data["outputs"]["locale"] = "en"
    data["outputs"]["group_by"] = ["product", "source"]
    data["allowed"]["source"] = {"values": ["Website", "Referral", "Event"]}
    data["columns"]["owner"] = {"aliases": ["Owner", "Sales Rep"], "required": True}
    data["columns"]["next_step_date"] = {"aliases": ["Follow-up"], "required": False}
    data["columns"]["stage"]["aliases"] = ["Stage", "Deal Stage"]
    return parse_pipeline(data, origin="team.yaml")


def laid_over(rows: list[list[CellValue]]) -> Pipeline:
    """Lay a tab of ``rows`` over the shipped English definition."""
    rules = read_rules_tab(SheetGrid("team.xlsx", "Rules", rows))
    return validate_with_rules_tab(lay_over(BASE, rules), rules, "b2b-en.yaml")


def problem_text(rows: list[list[CellValue]]) -> str:
    with pytest.raises(DefinitionError) as raised:
        laid_over(rows)
    return str(raised.value)


def test_tab_gives_the_equivalent_yaml_pipeline() -> None:
    assert laid_over(TEAM_RULES) == team_yaml()


def test_tab_keeps_base_keys_it_does_not_set() -> None:
    pipeline = laid_over([["Setting", "Value"], ["timezone", "Asia/Tokyo"]])

    assert pipeline.timezone == "Asia/Tokyo"
    assert [stage.name for stage in pipeline.stages][:2] == ["Lead", "Qualified"]
    assert pipeline.columns["owner"].aliases[0] == "Owner"


def test_field_row_keeps_base_required_flag() -> None:
    pipeline = laid_over([["Field", "Headers"], ["owner", "Rep"]])

    assert pipeline.columns["owner"].aliases == ["Rep"]
    assert pipeline.columns["owner"].required is True


@pytest.mark.parametrize(
    "cell",
    ["5%", " 5 % ", 0.05, "0.05", "５％", "5,0 %", "0,05"],
    ids=[
        "percent-text",
        "spaced",
        "fraction-cell",
        "fraction-text",
        "full-width",
        "decimal-comma-percent",
        "decimal-comma-fraction",
    ],
)
def test_probability_forms(cell: CellValue) -> None:
    rows: list[list[CellValue]] = [
        ["Stage", "Probability", "Outcome"],
        ["Lead", cell],
        ["Won", 1, "won"],
    ]

    assert laid_over(rows).stages[0].probability == 0.05


@pytest.mark.parametrize(
    "header",
    ["Idle days", "IDLE DAYS", "idle_days", " idle  days ", "IdleDays", "停留天数"],
    ids=["as-shown", "upper", "key", "spaces", "no-space", "chinese"],
)
def test_headers_match_ignoring_case_and_spaces(header: str) -> None:
    rows: list[list[CellValue]] = [["stage", header], ["Lead", 7], ["Won", None]]

    rules = read_rules_tab(SheetGrid("team.xlsx", "Rules", rows))

    assert rules.overlay["stages"] == [
        {"name": "Lead", "idle_days": 7},
        {"name": "Won"},
    ]


def test_chinese_headers_and_yes_no_words() -> None:
    rows: list[list[CellValue]] = [
        ["设置", "值"],
        ["followups.require_next_step_date", "否"],
        [],
        ["字段", "表头", "必填"],
        ["owner", "负责人", "是"],
    ]

    pipeline = laid_over(rows)

    assert pipeline.followups.require_next_step_date is False
    assert pipeline.columns["owner"].aliases == ["负责人"]
    assert pipeline.columns["owner"].required is True


def test_field_row_named_stage() -> None:
    rows: list[list[CellValue]] = [["Field", "Headers"], ["stage", "Phase"]]

    assert laid_over(rows).columns["stage"].aliases == ["Phase"]


def test_blank_setting_value_clears_optional_key() -> None:
    rows: list[list[CellValue]] = [
        ["Setting", "Value"],
        ["metrics.win_rate_days", None],
        ["allowed.owner.from_tab", None],
        ["allowed.owner.values", "Ana, Ben"],
    ]

    pipeline = laid_over(rows)

    assert pipeline.metrics.win_rate_days is None
    assert pipeline.allowed["owner"].values == ["Ana", "Ben"]
    assert pipeline.allowed["owner"].from_tab is None


@pytest.mark.parametrize(
    "key",
    ["allowed.owner.from_tab", "allowed.owner"],
    ids=["list-source", "list-entry"],
)
def test_blank_setting_clears_allowed_list(key: str) -> None:
    # The base b2b-en reads the owner list from a Lists tab.
    rows: list[list[CellValue]] = [["Setting", "Value"], [key, None]]

    pipeline = laid_over(rows)

    assert "owner" not in pipeline.allowed
    assert "product" in pipeline.allowed


def test_blank_source_keeps_allowed_options() -> None:
    # ignore_case set to its non-default value keeps the entry, which then
    # lacks a source.
    data = copy.deepcopy(BASE)
    data["allowed"]["owner"]["ignore_case"] = False
    rows: list[list[CellValue]] = [["Setting", "Value"], ["allowed.owner.from_tab"]]
    rules = read_rules_tab(SheetGrid("team.xlsx", "Rules", rows))

    with pytest.raises(DefinitionError) as error:
        validate_with_rules_tab(lay_over(data, rules), rules, "b2b-en.yaml")

    assert "got neither" in str(error.value)


def test_blank_setting_adds_no_group() -> None:
    # The base has no notifications, so clearing one of their keys is a
    # no-op instead of a notifications group without channels.
    rows: list[list[CellValue]] = [
        ["Setting", "Value"],
        ["notifications.digest_hour", None],
        ["schedule.timezone", None],
    ]

    pipeline = laid_over(rows)

    assert pipeline.notifications is None
    assert pipeline.schedule is None


def test_blank_required_setting_rejected() -> None:
    rows: list[list[CellValue]] = [["Setting", "Value"], ["outputs.tabs.funnel"]]

    with pytest.raises(DefinitionError) as error:
        laid_over(rows)

    assert str(error.value) == (
        f"{heading(1)}\n  - row 2, column B (Value), setting "
        "'outputs.tabs.funnel': no value; expected text"
    )


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (
            "source.header_row",
            "the row number of the header (1 for the first row) or 'auto' to find it",
        ),
        (
            "timezone",
            "an IANA time zone name such as 'Europe/Berlin' or 'Asia/Shanghai'",
        ),
    ],
    ids=["header-row", "timezone"],
)
def test_blank_setting_says_what_it_takes(key: str, expected: str) -> None:
    rows: list[list[CellValue]] = [["Setting", "Value"], [key]]

    with pytest.raises(DefinitionError) as error:
        laid_over(rows)

    assert str(error.value) == (
        f"{heading(1)}\n  - row 2, column B (Value), setting "
        f"{key!r}: no value; expected {expected}"
    )


def heading(count: int, kind: str = "pipeline definition") -> str:
    noun = "problem" if count == 1 else "problems"
    laid = ", laid over b2b-en.yaml" if kind == "pipeline definition" else ""
    return f"Workbook 'team.xlsx', tab 'Rules'{laid}: invalid {kind} ({count} {noun}):"


LAYOUT = "Rules tab"


@pytest.mark.parametrize(
    ("rows", "kind", "problem"),
    [
        (
            [["Setting", "Value"], ["followups.due_son_days", 5]],
            "pipeline definition",
            (
                "row 2, column A (Setting), setting 'followups.due_son_days': unknown "
                "key 'due_son_days'; did you mean 'due_soon_days'? Valid keys here: "
                "due_soon_days, require_next_step_date"
            ),
        ),
        (
            [["Setting", "Value"], ["followups.due_soon_days", "soon"]],
            "pipeline definition",
            (
                "row 2, column B (Value), setting 'followups.due_soon_days': invalid "
                "value 'soon'; expected a whole number from 0 to 36500"
            ),
        ),
        (
            [["Setting", "Value"], ["followups.require_next_step_date", None]],
            "pipeline definition",
            (
                "row 2, column B (Value), setting "
                "'followups.require_next_step_date': no value; expected true or "
                "false; write one of yes, y, true, x, ✓, ✔, 1, 是, 已确认, 已確認, "
                "确认 for true, or one of no, n, false, 0, 否, 未确认, 未確認 for "
                "false, in any case"
            ),
        ),
        (
            [["Setting", "Value"], ["timezone", "Europe/Berln"]],
            "pipeline definition",
            (
                "row 2, column B (Value), setting 'timezone': invalid value "
                "'Europe/Berln'; expected an IANA time zone name such as "
                "'Europe/Berlin' or 'Asia/Shanghai'; did you mean 'Europe/Berlin'?"
            ),
        ),
        (
            [["Stage", "Probability", "Outcome"], ["Lead", "40"], ["Won", 1, "won"]],
            "pipeline definition",
            (
                "row 2, column B (Probability), stage 'Lead': invalid value '40'; "
                "expected a number from 0 to 1 (a probability is a fraction: 0.25 "
                "means 25%); write 40% for 40 percent"
            ),
        ),
        (
            [["Stage", "Probability", "Outcome"], ["Lead", "12,5"], ["Won", 1, "won"]],
            "pipeline definition",
            (
                "row 2, column B (Probability), stage 'Lead': invalid value '12,5'; "
                "expected a number from 0 to 1; write 12,5% for 12,5 percent"
            ),
        ),
        (
            [["Stage", "Probability", "Outcome"], ["Lead", 50], ["Won", 1, "won"]],
            "pipeline definition",
            (
                "row 2, column B (Probability), stage 'Lead': invalid value 50; "
                "expected a number from 0 to 1 (a probability is a fraction: 0.25 "
                "means 25%); write 50% for 50 percent"
            ),
        ),
        (
            [
                ["Stage", "Idle days", "Outcome"],
                ["Lead", "two weeks"],
                ["Won", None, "won"],
            ],
            "pipeline definition",
            (
                "row 2, column B (Idle days), stage 'Lead': invalid value 'two weeks'; "
                "expected a whole number from 1 to 36500"
            ),
        ),
        (
            [["Stage", "Outcome"], ["Lead"], ["Won", "win"]],
            "pipeline definition",
            (
                "row 3, column B (Outcome), stage 'Won': invalid value 'win'; expected "
                "'open', 'won' or 'lost'; did you mean 'won'?"
            ),
        ),
        (
            [
                ["Stage", "Required", "Outcome"],
                ["Lead", "acount"],
                ["Won", None, "won"],
            ],
            "pipeline definition",
            (
                "row 2, column B (Required), stage 'Lead': 'acount' is neither a "
                "field nor a header of one. Required takes fields (account, "
                "acknowledged, amount, close_date, created_date, id, lost_reason, "
                "next_step and 8 more) or their headers ('Deal ID' for id). Did "
                "you mean 'account'? Fix the name, or add 'acount' to the headers "
                "of its field in a Field table."
            ),
        ),
        (
            [["Stage", "Aliases", "Outcome"], ["Lead", "Won"], ["Won", None, "won"]],
            "pipeline definition",
            (
                "row 3, column A (Stage), stage 'Won': the label 'Won' is already used "
                "by stage 'Lead' (row 2); each stage name and alias must be unique, so "
                "rename or delete one of them"
            ),
        ),
        (
            [["Stage"], ["Lead"], ["Demo"]],
            "pipeline definition",
            (
                "row 1, column A (Stage): no stage has 'outcome: won'; add it to the "
                "stage of signed deals"
            ),
        ),
        (
            [["Field", "Headers", "Required"], ["owner", "Rep", "maybe"]],
            "pipeline definition",
            (
                "row 2, column C (Required), field 'owner': invalid value 'maybe'; "
                "expected true or false; write one of yes, y, true, x, ✓, ✔, 1, 是, "
                "已确认, 已確認, 确认 for true, or one of no, n, false, 0, 否, 未确认, "
                "未確認 for false, in any case"
            ),
        ),
        (
            [["Stage", "Idel days"], ["Lead", 3]],
            LAYOUT,
            (
                "row 1, column B: 'Idel days' is not a column of a Stage table. Did "
                "you mean 'Idle days'? Its columns are Stage, Aliases, Probability, "
                "Required, Idle days, Outcome, Reached if filled, Next step required, "
                "Notes. Rename the header, or clear it and its column"
            ),
        ),
        (
            [["Pipeline rules"], ["Stage"], ["Lead"]],
            LAYOUT,
            (
                "row 1, column A: 'Pipeline rules' is above the first table. Each "
                "table starts with a header row whose first cell is Setting, Stage or "
                "Field; delete the text or put it in a Notes column"
            ),
        ),
        (
            [["Setings", "Value"]],
            LAYOUT,
            (
                "row 1, column A: 'Setings' is above the first table; did you mean "
                "'Setting'? Each table starts with a header row whose first cell is "
                "Setting, Stage or Field; delete the text or put it in a Notes column"
            ),
        ),
        (
            [["Stage", "Aliases"], ["Lead", "New", "hot"]],
            LAYOUT,
            (
                "row 2, column C: the cell holds 'hot', but its column has no header "
                "in row 1; add a header (Notes for remarks) or clear the cell"
            ),
        ),
        (
            [["Stage", "Aliases"], [None, "New"]],
            LAYOUT,
            (
                "row 2: the Stage cell is blank, but other cells of the row are "
                "filled; write the stage into it or clear the row"
            ),
        ),
        (
            [["Setting", "Value"], ["timezone", "UTC"], ["timezone", "CET"]],
            LAYOUT,
            (
                "row 3, column A (Setting): the setting 'timezone' is also on row 2; "
                "delete one"
            ),
        ),
        (
            [["Stage"], ["Lead"], [], ["Stage"], ["Won"]],
            LAYOUT,
            (
                "row 4: a second Stage table (the first starts on row 1); put its rows "
                "into the first table and delete this header row"
            ),
        ),
        (
            [["Setting", "Value"], ["source.path", "other.xlsx"]],
            LAYOUT,
            (
                "row 2, column A (Setting): the tab cannot set 'source.path', because "
                "pipesheet reads the tab from that workbook; set it in the YAML "
                "definition or with --source"
            ),
        ),
        (
            [["Setting", "Value"], ["followups", 3]],
            LAYOUT,
            (
                "row 2, column A (Setting): 'followups' is a group of settings; name "
                "one of its keys in the Setting cell, such as 'followups.due_soon_days'"
            ),
        ),
        (
            [["Setting"], ["timezone"]],
            LAYOUT,
            (
                "row 1: the Setting table has no Value column; add a header cell "
                "'Value' to this row"
            ),
        ),
        (
            [],
            LAYOUT,
            (
                "the tab has no table; start one with a header row such as 'Setting | "
                "Value', 'Stage | Aliases | Probability | Required | Idle days | "
                "Outcome' or 'Field | Headers | Required'"
            ),
        ),
    ],
    ids=[
        "misspelt-setting",
        "setting-not-a-number",
        "blank-value",
        "time-zone",
        "probability-points-text",
        "probability-points-decimal-comma",
        "probability-points",
        "idle-days-text",
        "outcome",
        "required-field",
        "repeated-label",
        "no-won-stage",
        "flag-word",
        "unknown-header",
        "title-above",
        "misspelt-block",
        "cell-without-header",
        "row-without-stage",
        "repeated-setting",
        "second-stage-table",
        "source-path",
        "group-key",
        "no-value-column",
        "empty-tab",
    ],
)
def test_bad_input_message(
    rows: list[list[CellValue]], kind: str, problem: str
) -> None:
    message = problem_text(rows)

    assert message.splitlines()[0] == heading(1, kind)
    assert message.splitlines()[1].startswith(f"  - {problem}")


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        (
            [
                ["Stage", "Probability", "Outcome", "probability "],
                ["Lead", "5%", None, "90%"],
                ["Won", 1, "won", 1],
            ],
            (
                "row 1, columns B and D: 'Probability' and 'probability ' both "
                "name the Probability column of the Stage table, and pipesheet "
                "does not pick one. Delete one of these columns, or merge their "
                "values into one"
            ),
        ),
        (
            [["Stage", "Outcome", "Stage"], ["Won", "won", "Closed"]],
            "row 1, columns A and C: 'Stage' and 'Stage' both name the Stage column",
        ),
        (
            [["Setting", "Value", "value"], ["timezone", "UTC", "CET"]],
            "row 1, columns B and C: 'Value' and 'value' both name the Value column",
        ),
        (
            [["Field", "Headers", "Aliases"], ["owner", "Owner", "Rep"]],
            (
                "row 1, columns B and C: 'Headers' and 'Aliases' both name the "
                "Headers column of the Field table"
            ),
        ),
    ],
    ids=["stage-probability", "stage-name", "setting-value", "field-headers"],
)
def test_repeated_column_header_rejected(
    rows: list[list[CellValue]], problem: str
) -> None:
    message = problem_text(rows)

    assert message.splitlines()[0] == heading(1, LAYOUT)
    assert message.splitlines()[1].startswith(f"  - {problem}")


def test_two_notes_columns_allowed() -> None:
    rows: list[list[CellValue]] = [
        ["Setting", "Notes", "Value", "Comment"],
        ["timezone", "office", "UTC", "checked"],
    ]

    rules = read_rules_tab(SheetGrid("team.xlsx", "Rules", rows))

    assert rules.overlay == {"timezone": "UTC"}


@pytest.mark.parametrize(
    ("required", "fields"),
    [
        ("Account, Sales Rep", ["account", "owner"]),
        ("account name, DEAL  VALUE", ["account", "amount"]),
        ("Account, owner, Lost Reason", ["account", "owner", "lost_reason"]),
        ("Next step date", ["next_step_date"]),
    ],
    ids=["headers", "case-and-spaces", "mixed", "field-written-as-words"],
)
def test_required_cell_takes_headers(required: str, fields: list[str]) -> None:
    rows: list[list[CellValue]] = [
        ["Stage", "Required", "Reached if filled", "Outcome"],
        ["Lead", required, None],
        ["Demo", None, "Deal Value"],
        ["Won", None, None, "won"],
    ]

    pipeline = laid_over(rows)

    assert pipeline.stages[0].required == fields
    assert pipeline.stages[1].reached_if_filled == ["amount"]


def test_required_cell_takes_field_table_headers() -> None:
    rows: list[list[CellValue]] = [
        ["Stage", "Required", "Outcome"],
        ["线索收集", "客户名称, 负责人"],
        ["赢单", None, "won"],
        [],
        ["Field", "Headers"],
        ["account", "客户名称, 客户"],
        ["owner", "负责人"],
    ]

    pipeline = laid_over(rows)

    assert pipeline.stages[0].required == ["account", "owner"]


def test_unknown_required_name_reported_with_value_problems() -> None:
    rows: list[list[CellValue]] = [
        ["Stage", "Required", "Idle days", "Outcome"],
        ["线索收集", "客户名, 负责人", "14天"],
        ["赢单", None, None, "赢单"],
        [],
        ["字段", "表头"],
        ["account", "客户名称, 客户"],
        ["owner", "负责人"],
    ]

    lines = problem_text(rows).splitlines()

    assert lines[0] == heading(3)
    assert lines[1] == (
        "  - row 2, column B (Required), stage '线索收集': '客户名' is neither a "
        "field nor a header of one. Required takes fields (account, "
        "acknowledged, amount, close_date, created_date, id, lost_reason, "
        "next_step and 8 more) or their headers ('Deal ID' for id). Did you mean "
        "'客户名称'? Fix the name, or add '客户名' to the headers of its field in "
        "the 字段 table (row 5)."
    )
    assert lines[2].startswith("  - row 2, column C (Idle days), stage '线索收集': ")
    assert lines[3].startswith("  - row 3, column D (Outcome), stage '赢单': ")


def test_required_header_of_two_fields_named() -> None:
    rows: list[list[CellValue]] = [
        ["Stage", "Required", "Outcome"],
        ["Lead", "Date"],
        ["Won", None, "won"],
        [],
        ["Field", "Headers"],
        ["created_date", "Created, Date"],
        ["close_date", "Expected Close, Date"],
    ]

    lines = problem_text(rows).splitlines()

    assert lines[1] == (
        "  - row 2, column B (Required), stage 'Lead': 'Date' is a header of the "
        "fields close_date and created_date, so it does not say which field is "
        "meant. Write the field name instead: close_date or created_date."
    )
    assert lines[2].startswith("  - row 7, column B (Headers), field 'close_date': ")


@pytest.mark.parametrize(
    ("required", "written"),
    [("Account; Owner", "Account, Owner"), ("amount / owner", "amount, owner")],
    ids=["semicolon", "slash"],
)
def test_required_names_joined_without_commas(required: str, written: str) -> None:
    rows: list[list[CellValue]] = [
        ["Stage", "Required", "Outcome"],
        ["Lead", required],
        ["Won", None, "won"],
    ]

    lines = problem_text(rows).splitlines()

    assert lines[1] == (
        f"  - row 2, column B (Required), stage 'Lead': {required!r} lists 2 "
        f"names, but the names of a list are separated with commas: write "
        f"{written!r}."
    )


def test_known_field_missing_from_base_named_by_cell() -> None:
    base = copy.deepcopy(BASE)
    del base["columns"]["lost_reason"]
    rows: list[list[CellValue]] = [
        ["Stage", "Required", "Outcome"],
        ["Lead"],
        ["Won", None, "won"],
        ["Lost", "lost_reason", "lost"],
    ]
    rules = read_rules_tab(SheetGrid("team.xlsx", "Rules", rows))

    with pytest.raises(DefinitionError) as raised:
        validate_with_rules_tab(lay_over(base, rules), rules, "b2b-en.yaml")

    problem = str(raised.value).splitlines()[1]
    assert problem.startswith(
        "  - row 4, column B (Required), stage 'Lost': the field 'lost_reason' is "
        "not in columns."
    )
    assert problem.endswith(
        "Add 'lost_reason' as a row of the Field table, or remove it from the "
        "Required cell of stage 'Lost' (row 4)"
    )


def test_problems_listed_in_row_order() -> None:
    rows: list[list[CellValue]] = [
        ["Setting", "Value"],
        ["transitions.allow_skips", "maybe"],
        ["followups.due_soon_days", "soon"],
    ]

    lines = problem_text(rows).splitlines()

    assert lines[1].startswith("  - row 2, column B (Value)")
    assert lines[2].startswith("  - row 3, column B (Value)")


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("stages[2] ('Demo').idle_days", ("stages", 2, "idle_days")),
        ("outputs.tabs.funnel", ("outputs", "tabs", "funnel")),
        (
            "notifications.owners['Ana Lima'].email",
            ("notifications", "owners", "Ana Lima", "email"),
        ),
    ],
    ids=["stage", "nested", "quoted-key"],
)
def test_parse_key_path(text: str, parts: tuple[object, ...]) -> None:
    assert parse_key_path(text) == parts
