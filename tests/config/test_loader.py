"""Tests for reading a pipeline definition from YAML and reporting its problems."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from config import loader
from config.errors import DefinitionError
from config.loader import (
    MAX_EXPANDED_NODES,
    build_pipeline,
    is_workbook_file,
    load_pipeline,
    parse_pipeline,
    peek_excel_source,
    read_definition,
)
from tests.fifo_files import released_fifo

MINIMAL_DEFINITION = """\
name: Test pipeline
source:
  path: pipeline.xlsx
  tab: Deals
columns:
  id:
    aliases: [Deal ID]
  stage:
    aliases: [Stage]
  owner:
    aliases: [Owner]
stages:
  - name: Lead
  - name: Proposal
    idle_days: 14
  - name: Won
    outcome: won
"""


def write_definition(folder: Path, text: str, name: str = "pipeline.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(DefinitionError) as raised:
        load_pipeline(path)
    return str(raised.value)


def minimal_data() -> dict[str, object]:
    return {
        "name": "Test pipeline",
        "source": {"tab": "Deals"},
        "columns": {"id": {"aliases": ["Deal ID"]}, "stage": {"aliases": ["Stage"]}},
        "stages": [
            {"name": "Lead"},
            {"name": "Proposal"},
            {"name": "Won", "outcome": "won"},
        ],
    }


def parse_error(data: object) -> str:
    with pytest.raises(DefinitionError) as raised:
        parse_pipeline(data, origin="team.yaml")
    return str(raised.value)


def test_minimal_definition_loads(tmp_path: Path) -> None:
    pipeline = load_pipeline(write_definition(tmp_path, MINIMAL_DEFINITION))

    assert pipeline.name == "Test pipeline"
    assert [stage.name for stage in pipeline.stages] == ["Lead", "Proposal", "Won"]
    assert pipeline.stages[1].idle_days == 14


def test_unknown_stage_key_suggests_nearest(tmp_path: Path) -> None:
    text = MINIMAL_DEFINITION.replace("idle_days: 14", "idel_days: 14")
    path = write_definition(tmp_path, text)

    assert load_error(path) == (
        f"{path}: invalid pipeline definition (1 problem):\n"
        "  - stages[1] ('Proposal').idel_days: unknown key 'idel_days'; did you "
        "mean 'idle_days'? Valid keys here: name, aliases, probability, outcome, "
        "required, idle_days, reached_if_filled, next_step_required"
    )


def test_unknown_top_level_key_lists_valid_keys() -> None:
    data = minimal_data() | {"email": "team@example.com"}

    assert parse_error(data) == (
        "team.yaml: invalid pipeline definition (1 problem):\n"
        "  - email: unknown key 'email'. Valid keys here: name, source, columns, "
        "stages, transitions, followups, allowed, outputs, metrics, timezone, "
        "date_order, schedule, notifications"
    )


def test_unknown_nested_key_suggests_nearest() -> None:
    data = minimal_data() | {"outputs": {"tabs": {"funel": "Funnel"}}}

    assert parse_error(data) == (
        "team.yaml: invalid pipeline definition (1 problem):\n"
        "  - outputs.tabs.funel: unknown key 'funel'; did you mean 'funnel'? "
        "Valid keys here: funnel, followups, problems, definitions, stage_log, review"
    )


@pytest.mark.parametrize(
    ("section", "value", "line"),
    [
        (
            ("stages", 1, "idle_days"),
            "ten",
            (
                "stages[1] ('Proposal').idle_days: invalid value 'ten'; expected a "
                "whole number from 1 to 36500"
            ),
        ),
        (
            ("source", "tab"),
            True,
            (
                "source.tab: invalid value true; expected text, so put it in quotes: "
                '"true"'
            ),
        ),
        (
            ("stages", 1, "idle_days"),
            -3,
            (
                "stages[1] ('Proposal').idle_days: invalid value -3; expected a "
                "whole number from 1 to 36500"
            ),
        ),
        (
            ("stages", 0, "probability"),
            50,
            (
                "stages[0] ('Lead').probability: invalid value 50; expected a number "
                "from 0 to 1 (a probability is a fraction: 0.25 means 25%)"
            ),
        ),
        (
            ("stages", 2, "outcome"),
            "win",
            (
                "stages[2] ('Won').outcome: invalid value 'win'; expected 'open', "
                "'won' or 'lost'; did you mean 'won'?"
            ),
        ),
        (
            ("source", "tab"),
            2025,
            (
                "source.tab: invalid value 2025; expected text, so put it in quotes: "
                '"2025"'
            ),
        ),
        (
            ("source", "tab"),
            None,
            "source.tab: no value; expected text",
        ),
        (
            ("source", "header_row"),
            0,
            (
                "source.header_row: invalid value 0; expected the row number of the "
                "header (1 for the first row) or 'auto' to find it"
            ),
        ),
        (
            ("columns", "id", "aliases"),
            "Deal ID",
            (
                "columns.id.aliases: invalid value 'Deal ID'; expected a list, such "
                "as ['Deal ID']"
            ),
        ),
        (
            ("columns", "id", "aliases"),
            "Nr., Chance-Nr.",
            (
                "columns.id.aliases: invalid value 'Nr., Chance-Nr.'; expected a "
                "list, such as ['Nr.', 'Chance-Nr.']"
            ),
        ),
        (
            ("followups", "require_next_step_date"),
            "maybe",
            (
                "followups.require_next_step_date: invalid value 'maybe'; expected "
                "true or false"
            ),
        ),
        (
            ("outputs", "locale"),
            "zh_CN",
            (
                "outputs.locale: invalid value 'zh_CN'; expected 'en' or 'zh-CN'; did "
                "you mean 'zh-CN'?"
            ),
        ),
        (
            ("metrics", "win_rate_days"),
            0,
            (
                "metrics.win_rate_days: invalid value 0; expected a whole number "
                "from 1 to 36500"
            ),
        ),
        (
            ("metrics", "win_rate_days"),
            1_000_000,
            (
                "metrics.win_rate_days: invalid value 1000000; expected a whole "
                "number from 1 to 36500"
            ),
        ),
        (
            ("stages", 1, "idle_days"),
            99_999_999_999,
            (
                "stages[1] ('Proposal').idle_days: invalid value 99999999999; "
                "expected a whole number from 1 to 36500"
            ),
        ),
        (
            ("followups", "due_soon_days"),
            36_501,
            (
                "followups.due_soon_days: invalid value 36501; expected a whole number "
                "from 0 to 36500"
            ),
        ),
    ],
    ids=[
        "text-for-days",
        "true-for-text",
        "negative-days",
        "percent-for-probability",
        "misspelled-outcome",
        "number-for-text",
        "empty-value",
        "header-row-zero",
        "text-for-list",
        "comma-text-for-list",
        "word-for-flag",
        "misspelled-locale",
        "zero-win-rate-days",
        "win-rate-days-before-year-one",
        "idle-days-too-large",
        "due-soon-days-too-large",
    ],
)
def test_bad_value_names_path_and_expected(
    section: tuple[str | int, ...], value: object, line: str
) -> None:
    data = minimal_data()
    set_value(data, section, value)

    assert parse_error(data) == (
        f"team.yaml: invalid pipeline definition (1 problem):\n  - {line}"
    )


def set_value(
    data: dict[str, object], section: tuple[str | int, ...], value: object
) -> None:
    node: object = data
    for part in section[:-1]:
        if isinstance(node, dict):
            node = node.setdefault(part, {})
        elif isinstance(node, list) and isinstance(part, int):
            node = node[part]
    assert isinstance(node, dict)
    node[section[-1]] = value


def test_section_given_as_text_lists_its_keys() -> None:
    data = minimal_data() | {"source": "pipeline.xlsx"}

    assert parse_error(data) == (
        "team.yaml: invalid pipeline definition (1 problem):\n"
        "  - source: invalid value 'pipeline.xlsx'; expected a mapping with the "
        "keys kind, path, spreadsheet, credentials, tab, header_row, rules_tab"
    )


def test_missing_required_key_named() -> None:
    data = minimal_data()
    del data["name"]

    assert parse_error(data) == (
        "team.yaml: invalid pipeline definition (1 problem):\n"
        "  - name: missing; this key is required"
    )


def test_every_problem_reported_once() -> None:
    data = minimal_data() | {"timezone": "Mars/Base", "date_order": "ymd"}
    set_value(data, ("stages", 0, "idle_days"), 0)

    assert parse_error(data) == (
        "team.yaml: invalid pipeline definition (3 problems):\n"
        "  - stages[0] ('Lead').idle_days: invalid value 0; expected a whole "
        "number from 1 to 36500\n"
        "  - timezone: invalid value 'Mars/Base'; expected an IANA time zone name "
        "such as 'Europe/Berlin' or 'Asia/Shanghai'\n"
        "  - date_order: invalid value 'ymd'; expected 'dmy' or 'mdy'; did you "
        "mean 'mdy'?"
    )


def test_relative_source_path_resolved_against_file(tmp_path: Path) -> None:
    folder = tmp_path / "team"
    folder.mkdir()
    path = write_definition(folder, MINIMAL_DEFINITION)

    pipeline = load_pipeline(path)

    assert pipeline.source.path == str(folder / "pipeline.xlsx")


def test_absolute_source_path_kept(tmp_path: Path) -> None:
    workbook = tmp_path / "shared" / "deals.xlsx"
    text = MINIMAL_DEFINITION.replace("pipeline.xlsx", str(workbook))

    pipeline = load_pipeline(write_definition(tmp_path, text))

    assert pipeline.source.path == str(workbook)


def test_home_folder_in_source_path_expanded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    text = MINIMAL_DEFINITION.replace("pipeline.xlsx", "~/deals.xlsx")

    pipeline = load_pipeline(write_definition(tmp_path, text))

    assert pipeline.source.path == str(tmp_path / "home" / "deals.xlsx")


def test_relative_credentials_resolved_against_file(tmp_path: Path) -> None:
    text = MINIMAL_DEFINITION.replace(
        "  path: pipeline.xlsx\n",
        "  kind: google_sheets\n  spreadsheet: abc123\n  credentials: keys/bot.json\n",
    )

    pipeline = load_pipeline(write_definition(tmp_path, text))

    assert pipeline.source.credentials == str(tmp_path / "keys" / "bot.json")
    assert pipeline.source.path is None


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    text = MINIMAL_DEFINITION.replace("  - name: Lead\n", "  - name: Lead: hot\n")
    path = write_definition(tmp_path, text)

    assert load_error(path) == (
        f"{path}, line 13, column 15: invalid YAML: mapping values are not "
        "allowed here.\n"
        "      - name: Lead: hot\n"
        "                  ^\n"
        "Put text that contains ': ' in quotes, or fix the indentation."
    )


def test_tab_indentation_error_says_use_spaces(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text("name: x\nsource:\n\ttab: Deals\n", encoding="utf-8")

    message = load_error(path)

    assert message.startswith(f"{path}, line 3, column 1: invalid YAML: ")
    assert message.endswith(
        "Indent with spaces: YAML does not allow tabs for indentation."
    )


def test_second_document_rejected(tmp_path: Path) -> None:
    path = write_definition(tmp_path, MINIMAL_DEFINITION + "---\nname: Other\n")

    assert load_error(path) == (
        f"{path}, line 18, column 1: invalid YAML: expected a single document in "
        "the stream (from line 1): found another document.\n"
        "    ---\n"
        "    ^\n"
        "Keep one definition per file: delete the '---' line and what follows."
    )


def test_unclosed_list_names_its_start(tmp_path: Path) -> None:
    text = MINIMAL_DEFINITION.replace("[Deal ID]", "[Deal ID, ID")
    path = write_definition(tmp_path, text)

    assert load_error(path) == (
        f"{path}, line 8, column 8: invalid YAML: while parsing a flow sequence "
        "(from line 7): expected ',' or ']', but got ':'.\n"
        "      stage:\n"
        "           ^\n"
        "Check the indentation and the quotes around that spot."
    )


UNCLOSED_QUOTE_HINT = "Add the closing quote where the text ends."


def test_unclosed_quote_named_at_its_line(tmp_path: Path) -> None:
    # The next quote, on line 7, closes the text, so PyYAML fails there.
    text = MINIMAL_DEFINITION.replace(
        "name: Test pipeline", 'name: "Test pipeline'
    ).replace("[Deal ID]", '["Deal ID"]')
    path = write_definition(tmp_path, text)

    assert load_error(path) == (
        f"{path}, line 1, column 7: invalid YAML: the text in quotes that starts "
        "here is not closed, so YAML read on to line 7 and found an error "
        "there.\n"
        '    name: "Test pipeline\n'
        "          ^\n" + UNCLOSED_QUOTE_HINT
    )


def test_unclosed_quote_at_end_named_at_its_line(tmp_path: Path) -> None:
    text = MINIMAL_DEFINITION.replace("[Owner]", '["Owner]')
    path = write_definition(tmp_path, text)

    assert load_error(path) == (
        f"{path}, line 11, column 15: invalid YAML: the text in quotes that "
        "starts here is not closed, so YAML read on to line 18 and found an "
        "error there.\n"
        '        aliases: ["Owner]\n'
        "                  ^\n" + UNCLOSED_QUOTE_HINT
    )


@pytest.mark.parametrize(
    ("opening_line", "changed_line"),
    [
        ("name: 'Test pipeline", ("tab: Deals", "tab: Deals")),
        ("name: 'Bob''s pipeline", ("tab: Deals", "tab: Deals")),
        # Inside the text, '' is an escaped quote, not the closing one.
        ("name: 'Test pipeline", ("tab: Deals", "tab: Bob''s")),
    ],
    ids=["plain", "escape-on-opening-line", "escape-inside-text"],
)
def test_unclosed_single_quote_named_at_its_line(
    tmp_path: Path, opening_line: str, changed_line: tuple[str, str]
) -> None:
    # The quote that opens 'Deal ID' on line 7 closes the text.
    text = (
        MINIMAL_DEFINITION.replace("name: Test pipeline", opening_line)
        .replace(*changed_line)
        .replace("[Deal ID]", "['Deal ID']")
    )
    path = write_definition(tmp_path, text)

    assert load_error(path) == (
        f"{path}, line 1, column 7: invalid YAML: the text in quotes that starts "
        "here is not closed, so YAML read on to line 7 and found an error "
        "there.\n"
        f"    {opening_line}\n"
        "          ^\n" + UNCLOSED_QUOTE_HINT
    )


@pytest.mark.parametrize(
    ("line_above", "error_line"),
    [
        ("path: '5\" screen'", 'tab: "Deals" extra'),
        ("path: Bob's deals.xlsx", "tab: 'Deals' extra"),
        ("path: pipeline.xlsx  # the team's copy", "tab: 'Deals' extra"),
    ],
    ids=["double-in-single-quotes", "apostrophe-in-text", "apostrophe-in-comment"],
)
def test_closed_quotes_not_named_unclosed(
    tmp_path: Path, line_above: str, error_line: str
) -> None:
    text = MINIMAL_DEFINITION.replace("path: pipeline.xlsx", line_above).replace(
        "tab: Deals", error_line
    )
    path = write_definition(tmp_path, text)

    assert load_error(path) == (
        f"{path}, line 4, column 16: invalid YAML: while parsing a block mapping "
        "(from line 3): expected <block end>, but found '<scalar>'.\n"
        f"      {error_line}\n"
        "                   ^\n"
        "Check the indentation and the quotes around that spot."
    )


def test_key_without_space_named_at_its_line(tmp_path: Path) -> None:
    text = MINIMAL_DEFINITION.replace("  tab: Deals", "  tab:Deals")
    path = write_definition(tmp_path, text)

    assert load_error(path) == (
        f"{path}, line 4, column 3: invalid YAML: while scanning a simple key: "
        "could not find expected ':'.\n"
        "      tab:Deals\n"
        "      ^\n"
        "Put a space after the ':' of each key, such as 'tab: Deals', or put "
        "text that contains ':' in quotes."
    )


def test_repeated_key_rejected_with_both_lines(tmp_path: Path) -> None:
    text = MINIMAL_DEFINITION.replace(
        "    idle_days: 14\n", "    idle_days: 14\n    idle_days: 30\n"
    )
    path = write_definition(tmp_path, text)

    assert load_error(path) == (
        f"{path}, line 16, column 5: invalid YAML: the key 'idle_days' appears "
        "twice in one mapping, first on line 15.\n"
        "        idle_days: 30\n"
        "        ^\n"
        "Keep one of the two entries and delete the other."
    )


def test_yes_and_no_stay_text(tmp_path: Path) -> None:
    text = MINIMAL_DEFINITION + (
        "allowed:\n  owner:\n    values: [Yes, No, On, Off]\n"
        "followups:\n  require_next_step_date: false\n"
    )

    pipeline = load_pipeline(write_definition(tmp_path, text))

    assert pipeline.allowed["owner"].values == ["Yes", "No", "On", "Off"]
    assert pipeline.followups.require_next_step_date is False


def test_date_like_text_stays_text(tmp_path: Path) -> None:
    text = MINIMAL_DEFINITION.replace("tab: Deals", "tab: 2025-09-09")

    pipeline = load_pipeline(write_definition(tmp_path, text))

    assert pipeline.source.tab == "2025-09-09"


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "# only a comment\n"],
    ids=["no-bytes", "blank-lines", "comment-only"],
)
def test_empty_file_rejected(tmp_path: Path, text: str) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text(text, encoding="utf-8")

    assert load_error(path) == (
        f"{path}: the definition is empty (or only comments); expected a mapping "
        "with at least the keys name, source, columns and stages"
    )


def test_top_level_list_rejected(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text("- name: Test pipeline\n- source: {tab: Deals}\n", encoding="utf-8")

    assert load_error(path) == (
        f"{path}: the top level is a list; expected a mapping with at least the "
        "keys name, source, columns and stages, so remove the leading '- '"
    )


def test_top_level_text_rejected() -> None:
    assert parse_error("pipeline.xlsx") == (
        "team.yaml: the top level is the single value 'pipeline.xlsx'; expected a "
        "mapping with at least the keys name, source, columns and stages"
    )


def test_top_level_true_shown_as_yaml() -> None:
    assert parse_error(True) == (
        "team.yaml: the top level is the single value true; expected a "
        "mapping with at least the keys name, source, columns and stages"
    )


def test_missing_file_names_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"

    assert load_error(path) == (
        f"{path}: pipeline definition file not found; check the path or create the file"
    )


def test_fifo_instead_of_file_rejected(tmp_path: Path) -> None:
    with released_fifo(tmp_path / "pipeline.yaml") as path:
        message = load_error(path)

    assert message == (
        f"{path}: is a FIFO (named pipe), not a regular file; give the path of "
        "the definition's YAML file"
    )


def test_folder_instead_of_file_rejected(tmp_path: Path) -> None:
    assert load_error(tmp_path) == (
        f"{tmp_path}: is a folder; give the path of the definition's YAML file"
    )


def test_non_utf8_file_names_line(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_bytes("name: x\nsource:\n  tab: 商机\n".encode("gbk"))

    assert load_error(path) == (
        f"{path}, line 3: the file is not UTF-8 text (byte b'\\xc9' at offset "
        "23); save it with UTF-8 encoding, for example by converting it from GBK "
        "or Windows-1252"
    )


def test_utf8_byte_order_mark_accepted(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL_DEFINITION.encode("utf-8"))

    pipeline = load_pipeline(path)

    assert pipeline.name == "Test pipeline"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"], ids=["le", "be"])
def test_utf16_with_byte_order_mark_read(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "pipeline.yaml"
    text = MINIMAL_DEFINITION.replace("Test pipeline", "Pipeline 商机")
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path.write_bytes(data)

    pipeline = load_pipeline(path)

    assert pipeline.name == "Pipeline 商机"


def test_utf16_without_bom_rejected(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_bytes(MINIMAL_DEFINITION.encode("utf-16-le"))

    assert load_error(path) == (
        f"{path}: the file looks like UTF-16 text without a byte order mark (it "
        "contains NUL bytes); save it with UTF-8 encoding"
    )


WORKBOOK_AS_DEFINITION = (
    ": this is a workbook, not a pipeline definition; give a definition's YAML "
    "file or a shipped definition's name (see 'pipesheet definitions'), and set "
    "the workbook as source.path in the definition or pass it with --source"
)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("deals.xlsx", b"PK\x03\x04 zipped parts"),
        ("deals.csv", b"Deal ID,Stage\nD-1,Lead\n"),
        ("renamed.yaml", b"PK\x03\x04 zipped parts"),
        ("encrypted.yml", bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 64),
    ],
    ids=["xlsx", "csv", "zip-renamed", "ole-renamed"],
)
def test_workbook_as_definition_rejected(
    tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    assert load_error(path) == f"{path}{WORKBOOK_AS_DEFINITION}"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("Deals.XLSX", b"", True),
        ("deals.tsv", b"Deal ID\tStage\n", True),
        ("book", b"PK\x03\x04", True),
        ("book.yaml", bytes.fromhex("d0cf11e0a1b11ae1"), True),
        ("pipeline.yaml", MINIMAL_DEFINITION.encode(), False),
        ("missing.yaml", None, False),
        ("folder.d", None, False),
    ],
    ids=[
        "upper-case-suffix",
        "tsv",
        "zip-no-suffix",
        "ole",
        "yaml",
        "missing",
        "folder",
    ],
)
def test_is_workbook_file(
    tmp_path: Path, name: str, content: bytes | None, expected: bool
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    if name.endswith(".d"):
        path.mkdir()

    assert is_workbook_file(path) is expected


def nested_aliases(levels: int, repeats: int) -> str:
    """Return YAML whose name repeats each level's alias ``repeats`` times."""
    lines = [f"l0: &l0 [{', '.join(['x'] * repeats)}]"]
    for level in range(1, levels):
        items = ", ".join([f"*l{level - 1}"] * repeats)
        lines.append(f"l{level}: &l{level} [{items}]")
    lines.append(f"name: *l{levels - 1}")
    return "\n".join(lines) + "\n"


def test_alias_bomb_rejected_before_expanding(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    # 9**9 (387 million) strings once expanded, which takes gigabytes to build.
    path.write_text(nested_aliases(levels=9, repeats=9), encoding="utf-8")

    assert load_error(path) == (
        f"{path}: through its aliases (*name), the definition expands to more "
        f"than {MAX_EXPANDED_NODES:,} keys and values, far more than any "
        "definition needs; remove the aliases that repeat other aliases and "
        "write the values out"
    )


def test_aliases_below_cap_expand(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    # 10**4 strings plus 1,111 lists: below the cap, though far above a real
    # definition.
    path.write_text(nested_aliases(levels=4, repeats=10), encoding="utf-8")

    data = read_definition(path)

    assert isinstance(data, dict)
    assert len(data["name"]) == 10
    assert data["name"][0][0][0] == ["x"] * 10


def test_recursive_alias_read_as_recursive_list(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text("name: &a [x, *a]\n", encoding="utf-8")

    data = read_definition(path)

    assert isinstance(data, dict)
    assert data["name"][1] is data["name"]


def test_control_character_rejected_with_line(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text("name: x\nsource:\n  tab: Deals\x00\n", encoding="utf-8")

    assert load_error(path) == (
        f"{path}, line 3: invalid YAML: the character '\\x00' is not allowed in "
        "YAML text; delete it"
    )


DEFINITION_FILE = Path("/srv/pipelines/pipeline.yaml")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            {"path": "deals.xlsx", "tab": "Deals"},
            ("/srv/pipelines/deals.xlsx", "Deals"),
        ),
        ({"path": "/data/deals.xlsx", "tab": "Deals"}, ("/data/deals.xlsx", "Deals")),
        ({"kind": "excel", "tab": "Deals"}, (None, "Deals")),
        ({"path": " ", "tab": "Deals"}, (None, "Deals")),
        ({"kind": "google_sheets", "tab": "Deals"}, None),
        ({"path": "deals.xlsx"}, None),
        ({"path": "deals.xlsx", "tab": 7}, None),
        ("deals.xlsx", None),
    ],
    ids=[
        "relative",
        "absolute",
        "no-path",
        "blank-path",
        "google-sheets",
        "no-tab",
        "number-tab",
        "source-not-mapping",
    ],
)
def test_peek_excel_source(source: object, expected: object) -> None:
    assert peek_excel_source({"source": source}, DEFINITION_FILE) == expected


@pytest.mark.parametrize(
    "data", [None, ["source"], "text"], ids=["empty", "list", "text"]
)
def test_peek_excel_source_of_non_mapping(data: object) -> None:
    assert peek_excel_source(data, DEFINITION_FILE) is None


def test_peek_matches_loaded_source(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text(MINIMAL_DEFINITION, encoding="utf-8")

    source = load_pipeline(path).source

    assert peek_excel_source(read_definition(path), path) == (source.path, source.tab)


def test_build_pipeline_equals_load(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text(MINIMAL_DEFINITION, encoding="utf-8")

    assert build_pipeline(read_definition(path), path) == load_pipeline(path)


def test_unquoted_numbers_quoted_as_typed(tmp_path: Path) -> None:
    values = "[001, 010, 1.10, 7, TRUE]"
    text = MINIMAL_DEFINITION + f"allowed:\n  owner: {{values: {values}}}\n"
    path = write_definition(tmp_path, text)

    assert load_error(path).splitlines()[1:] == [
        (
            "  - allowed.owner.values[0]: invalid value 001, which YAML reads as 1; "
            'expected text, so put it in quotes: "001"'
        ),
        (
            "  - allowed.owner.values[1]: invalid value 010, which YAML reads as 8; "
            'expected text, so put it in quotes: "010"'
        ),
        (
            "  - allowed.owner.values[2]: invalid value 1.10, which YAML reads as "
            '1.1; expected text, so put it in quotes: "1.10"'
        ),
        (
            "  - allowed.owner.values[3]: invalid value 7; expected text, so put it "
            'in quotes: "7"'
        ),
        (
            "  - allowed.owner.values[4]: invalid value TRUE; expected text, so put "
            'it in quotes: "TRUE"'
        ),
    ]


def test_typed_texts_survive_anchors_and_merges(tmp_path: Path) -> None:
    # An alias repeats a node, and a merge key copies a mapping's entries.
    text = MINIMAL_DEFINITION + textwrap.dedent(
        """\
        allowed:
          owner: &codes {values: [010]}
          region: *codes
          product: {<<: *codes}
        """
    )
    path = write_definition(tmp_path, text)

    lines = load_error(path).splitlines()[1:]

    assert [line.split(":")[0] for line in lines] == [
        "  - allowed.owner.values[0]",
        "  - allowed.region.values[0]",
        "  - allowed.product.values[0]",
    ]
    assert all(line.endswith('put it in quotes: "010"') for line in lines)


# Documents on which libyaml and the pure-Python parser must build the same
# data and the same scalar texts.
SAME_DATA_DOCUMENTS = {
    "booleans": "a: [true, True, FALSE, yes, No, on, OFF, y, n]\n",
    "numbers": "a: [010, 0o10, 0x1F, 1.10, 1e3, .inf, -.Inf, .nan, 1_000, +5]\n",
    "dates": "a: 2025-09-09\nb: 2025-09-09 10:00:00\n",
    "nulls": "a: ~\nb: null\nc:\nd: ''\n",
    "anchors": "base: &b {x: 1, y: [a, b]}\nc: *b\nd:\n  <<: *b\n  x: 2\n",
    "block-texts": "a: |\n  one\n  two\nb: >-\n  folded\n  text\n",
    "quoted": "'a: b': \"tab\\there\"\nc: 'it''s'\n",
    "chinese": "阶段: [线索收集, 客户筛选]\n说明: 试用 → 谈判\n",
    "top-level-list": "- a\n- b\n",
    "scalar": "just text\n",
    "empty": "# nothing\n",
}


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml")
@pytest.mark.parametrize(
    "text", SAME_DATA_DOCUMENTS.values(), ids=SAME_DATA_DOCUMENTS.keys()
)
def test_libyaml_builds_same_data(text: str) -> None:
    fast = loader._load_document_with(loader._LIBYAML_LOADER, text, "team.yaml")
    pure = loader._load_document_with(loader._DefinitionYamlLoader, text, "team.yaml")

    assert fast == pure
    assert type(fast) is type(pure)
    assert getattr(fast, "scalar_texts", None) == getattr(pure, "scalar_texts", None)


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml")
def test_valid_definition_parsed_by_libyaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(_loader: object) -> None:
        raise AssertionError("the pure-Python parser ran")

    monkeypatch.setattr(loader._DefinitionYamlLoader, "get_single_node", fail)

    data = read_definition(write_definition(tmp_path, MINIMAL_DEFINITION))

    assert isinstance(data, dict)
    assert data["name"] == "Test pipeline"


def test_definition_read_without_libyaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loader, "_LIBYAML_LOADER", None)
    text = MINIMAL_DEFINITION + (
        "allowed:\n  owner:\n    values: [Yes, Off]\n"
        "followups:\n  require_next_step_date: false\n"
    )

    pipeline = load_pipeline(write_definition(tmp_path, text))

    assert pipeline.allowed["owner"].values == ["Yes", "Off"]
    assert pipeline.followups.require_next_step_date is False


def test_repeated_key_rejected_without_libyaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loader, "_LIBYAML_LOADER", None)
    path = write_definition(tmp_path, "name: a\nname: b\n")

    assert load_error(path) == (
        f"{path}, line 2, column 1: invalid YAML: the key 'name' appears twice "
        "in one mapping, first on line 1.\n"
        "    name: b\n"
        "    ^\n"
        "Keep one of the two entries and delete the other."
    )


def test_valid_definition_skips_error_module(tmp_path: Path) -> None:
    path = write_definition(tmp_path, MINIMAL_DEFINITION)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from config.loader import load_pipeline\n"
        f"load_pipeline(Path({str(path)!r}))\n"
        "print('config.validation' in sys.modules)\n"
    )

    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )

    assert loaded.stdout == "False\n"
