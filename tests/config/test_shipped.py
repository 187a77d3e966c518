"""Tests for the definitions shipped inside the package."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from config.errors import DefinitionError
from config.loader import load_pipeline
from config.models import Locale, Outcome, Pipeline
from config.shipped import shipped_definition, shipped_definitions

REPOSITORY = Path(__file__).resolve().parents[2]

ENGLISH_HEADERS = {
    "id": "Deal ID",
    "account": "Account",
    "owner": "Owner",
    "stage": "Stage",
    "amount": "Amount",
    "probability": "Probability",
    "product": "Product",
    "source": "Lead Source",
    "created_date": "Created",
    "close_date": "Expected Close",
    "next_step": "Next Step",
    "next_step_date": "Next Step Date",
    "stage_entered_date": "Stage Entered",
    "snooze_until": "Snooze Until",
    "acknowledged": "Acknowledged",
    "lost_reason": "Lost Reason",
}
CHINESE_HEADERS = {
    "id": "商机编号",
    "account": "客户名称",
    "owner": "负责人",
    "stage": "阶段",
    "amount": "预计金额",
    "probability": "赢率",
    "product": "产品",
    "source": "线索来源",
    "created_date": "创建日期",
    "close_date": "预计成交日期",
    "next_step": "下一步",
    "next_step_date": "下次跟进日期",
    "stage_entered_date": "进入阶段日期",
    "snooze_until": "暂缓至",
    "acknowledged": "已确认",
    "lost_reason": "丢单原因",
}
MAVEN_HEADERS = {
    "id": "Opportunity ID",
    "owner": "Sales Agent",
    "manager": "Manager",
    "region": "Regional Office",
    "product": "Product",
    "account": "Account",
    "stage": "Deal Stage",
    "created_date": "Engage Date",
    "close_date": "Close Date",
    "amount": "Close Value",
}


def load_shipped(name: str) -> Pipeline:
    return load_pipeline(shipped_definition(name))


def stage_table(pipeline: Pipeline) -> list[tuple[str, float | None, Outcome]]:
    return [(stage.name, stage.probability, stage.outcome) for stage in pipeline.stages]


def first_aliases(pipeline: Pipeline) -> dict[str, str]:
    return {field: spec.aliases[0] for field, spec in pipeline.columns.items()}


def list_source(pipeline: Pipeline, field: str) -> tuple[str, str] | None:
    """Return the (tab, column) an allowed-value list is read from, if any."""
    from_tab = pipeline.allowed[field].from_tab
    return (from_tab.tab, from_tab.column) if from_tab is not None else None


def test_shipped_names_listed() -> None:
    assert shipped_definitions() == ["b2b-en", "maven-crm", "sales-zh"]


@pytest.mark.parametrize(
    "name", ["b2b-en", "sales-zh", "maven-crm"], ids=["english", "chinese", "maven"]
)
def test_shipped_definition_loads(name: str) -> None:
    pipeline = load_shipped(name)

    assert pipeline.name


@pytest.mark.parametrize(
    ("name", "folder"),
    [("b2b-en", "pipelines"), ("sales-zh", "pipelines"), ("maven-crm", "examples")],
    ids=["english", "chinese", "maven"],
)
def test_shipped_file_found_in_package(name: str, folder: str) -> None:
    expected = resources.files("config").joinpath(folder, f"{name}.yaml")

    assert shipped_definition(name) == expected


def test_unknown_shipped_name_lists_names() -> None:
    with pytest.raises(DefinitionError) as raised:
        shipped_definition("b2b")

    assert str(raised.value) == (
        "No shipped pipeline definition is named 'b2b'; did you mean 'b2b-en'? "
        "Shipped definitions: b2b-en, maven-crm, sales-zh. To use your own, give "
        "the path of its YAML file."
    )


@pytest.mark.parametrize("name", ["B2B-EN", "Sales-ZH"], ids=["upper", "mixed"])
def test_shipped_name_ignores_case(name: str) -> None:
    assert shipped_definition(name) == shipped_definition(name.lower())


def test_unknown_name_in_capitals_suggests() -> None:
    with pytest.raises(DefinitionError) as raised:
        shipped_definition("B2B-EM")

    assert str(raised.value).startswith(
        "No shipped pipeline definition is named 'B2B-EM'; did you mean 'b2b-en'?"
    )


def test_english_pipeline_matches_starter_workbook() -> None:
    pipeline = load_shipped("b2b-en")

    assert pipeline.source.tab == "Deals"
    assert pipeline.source.header_row == "auto"
    assert first_aliases(pipeline) == ENGLISH_HEADERS
    assert stage_table(pipeline) == [
        ("Lead", 0.05, Outcome.OPEN),
        ("Qualified", 0.15, Outcome.OPEN),
        ("Demo", 0.30, Outcome.OPEN),
        ("Proposal", 0.50, Outcome.OPEN),
        ("Negotiation", 0.75, Outcome.OPEN),
        ("Closed Won", 1.0, Outcome.WON),
        ("Closed Lost", 0.0, Outcome.LOST),
    ]


def test_english_pipeline_aliases_from_layout() -> None:
    columns = load_shipped("b2b-en").columns

    assert columns["id"].aliases[:3] == ["Deal ID", "ID", "Opportunity ID"]
    assert columns["owner"].aliases[:3] == ["Owner", "Rep", "Sales Rep"]
    assert columns["close_date"].aliases[:2] == ["Expected Close", "Close Date"]
    assert columns["next_step_date"].aliases[:3] == [
        "Next Step Date",
        "Follow-up Date",
        "Next Follow-up",
    ]


def test_english_pipeline_lists_and_outputs() -> None:
    pipeline = load_shipped("b2b-en")

    assert list_source(pipeline, "owner") == ("Lists", "Owner")
    assert list_source(pipeline, "product") == ("Lists", "Product")
    assert pipeline.allowed["source"].values is not None
    assert pipeline.outputs.status_header == "pipesheet status"
    assert pipeline.outputs.tabs.model_dump() == {
        "funnel": "Funnel",
        "followups": "Follow-ups",
        "problems": "Problems",
        "definitions": "Definitions",
        "stage_log": "Stage log",
        "review": None,
    }
    assert pipeline.outputs.locale is Locale.EN


def test_chinese_pipeline_matches_starter_workbook() -> None:
    pipeline = load_shipped("sales-zh")

    assert pipeline.source.tab == "商机"
    assert pipeline.timezone == "Asia/Shanghai"
    assert first_aliases(pipeline) == CHINESE_HEADERS
    assert stage_table(pipeline) == [
        ("线索收集", 0.05, Outcome.OPEN),
        ("客户筛选与分级", 0.10, Outcome.OPEN),
        ("需求挖掘", 0.20, Outcome.OPEN),
        ("方案报价", 0.40, Outcome.OPEN),
        ("试用体验", 0.60, Outcome.OPEN),
        ("异议处理与谈判", 0.80, Outcome.OPEN),
        ("签约成交", 1.0, Outcome.WON),
        ("售后增购", 1.0, Outcome.WON),
        ("丢单", 0.0, Outcome.LOST),
    ]


def test_chinese_pipeline_lists_and_outputs() -> None:
    pipeline = load_shipped("sales-zh")

    assert list_source(pipeline, "owner") == ("选项", "负责人")
    assert list_source(pipeline, "product") == ("选项", "产品")
    assert list_source(pipeline, "source") == ("选项", "线索来源")
    assert pipeline.outputs.status_header == "pipesheet 状态"
    assert pipeline.outputs.tabs.model_dump() == {
        "funnel": "漏斗",
        "followups": "待跟进",
        "problems": "问题清单",
        "definitions": "指标说明",
        "stage_log": "阶段日志",
        "review": None,
    }
    assert pipeline.outputs.locale is Locale.ZH_CN


def test_maven_example_matches_sample_workbook() -> None:
    pipeline = load_shipped("maven-crm")

    assert Path(pipeline.source.path or "").name == "maven-crm.xlsx"
    assert pipeline.timezone == "UTC"
    assert first_aliases(pipeline) == MAVEN_HEADERS
    assert stage_table(pipeline) == [
        ("Prospecting", 0.1, Outcome.OPEN),
        ("Engaging", 0.5, Outcome.OPEN),
        ("Won", None, Outcome.WON),
        ("Lost", None, Outcome.LOST),
    ]


def test_maven_example_stage_rules() -> None:
    pipeline = load_shipped("maven-crm")
    required = {stage.name: stage.required for stage in pipeline.stages}

    assert required == {
        "Prospecting": ["account"],
        "Engaging": ["account"],
        "Won": ["account", "close_date", "amount"],
        "Lost": ["account", "close_date"],
    }
    assert pipeline.stages[1].reached_if_filled == ["created_date"]
    assert pipeline.followups.require_next_step_date is False
    assert pipeline.outputs.group_by == ["manager", "region"]


def test_maven_example_allowed_lists() -> None:
    pipeline = load_shipped("maven-crm")

    assert list_source(pipeline, "product") == ("Products", "Product")
    assert list_source(pipeline, "owner") == ("Team", "Sales Agent")


# Imports only the installed package, from a folder that contains no source tree.
INSTALLED_CHECK = """
import json
from config.loader import load_pipeline
from config.shipped import shipped_definition, shipped_definitions
names = shipped_definitions()
paths = {name: str(shipped_definition(name)) for name in names}
stages = {name: len(load_pipeline(shipped_definition(name)).stages) for name in names}
print(json.dumps({"names": names, "paths": paths, "stages": stages}))
"""


def test_built_package_contains_definitions(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(
        REPOSITORY / "config",
        project / "config",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(REPOSITORY / "pyproject.toml", project)
    (project / "README.md").write_text("pipesheet\n", encoding="utf-8")

    # build_py collects the modules and package data exactly as a wheel contains
    # them, without needing the wheel package or the network.
    installed = tmp_path / "installed"
    subprocess.run(
        [
            sys.executable,
            "-W",
            "ignore",
            "-c",
            "import setuptools; setuptools.setup()",
            "-q",
            "build_py",
            "--build-lib",
            str(installed),
        ],
        cwd=project,
        check=True,
        capture_output=True,
    )

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [sys.executable, "-P", "-c", INSTALLED_CHECK],
        cwd=elsewhere,
        env={"PYTHONPATH": str(installed)},
        check=True,
        capture_output=True,
        text=True,
    )
    report = json.loads(result.stdout)

    assert report["names"] == ["b2b-en", "maven-crm", "sales-zh"]
    assert all(
        Path(path).is_relative_to(installed) for path in report["paths"].values()
    )
    assert report["stages"] == {"b2b-en": 7, "maven-crm": 4, "sales-zh": 9}
