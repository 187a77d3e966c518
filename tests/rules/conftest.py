"""Pipelines shaped like the shipped English and Chinese starter definitions.

They are built from the models directly, so these tests do not depend on the
YAML loader or on the shipped files.
"""

from __future__ import annotations

import pytest

from config.models import (
    ColumnSpec,
    Locale,
    Outcome,
    Outputs,
    Pipeline,
    SourceConfig,
    Stage,
    TabNames,
)

ENGLISH_ALIASES: dict[str, list[str]] = {
    "id": ["Deal ID", "ID", "Opportunity ID"],
    "account": ["Account", "Company", "Customer"],
    "owner": ["Owner", "Rep", "Sales Rep"],
    "stage": ["Stage", "Deal Stage"],
    "amount": ["Amount", "Deal Value"],
    "probability": ["Probability", "Win Probability"],
    "product": ["Product"],
    "source": ["Lead Source", "Source"],
    "created_date": ["Created", "Created Date"],
    "close_date": ["Expected Close", "Close Date"],
    "next_step": ["Next Step"],
    "next_step_date": ["Next Step Date", "Follow-up Date", "Next Follow-up"],
    "stage_entered_date": ["Stage Entered", "Stage Entered Date"],
    "snooze_until": ["Snooze Until"],
    "acknowledged": ["Acknowledged"],
    "lost_reason": ["Lost Reason"],
}

CHINESE_ALIASES: dict[str, list[str]] = {
    "id": ["商机编号", "编号"],
    "account": ["客户名称", "客户"],
    "owner": ["负责人", "销售"],
    "stage": ["阶段", "销售阶段"],
    "amount": ["预计金额", "金额"],
    "probability": ["赢率"],
    "product": ["产品"],
    "source": ["线索来源"],
    "created_date": ["创建日期"],
    "close_date": ["预计成交日期"],
    "next_step": ["下一步"],
    "next_step_date": ["下次跟进日期"],
    "stage_entered_date": ["进入阶段日期"],
    "snooze_until": ["暂缓至"],
    "acknowledged": ["已确认"],
    "lost_reason": ["丢单原因"],
}


def build_english_pipeline() -> Pipeline:
    """Return a pipeline like ``b2b-en``: tab ``Deals``, header found automatically."""
    return Pipeline(
        name="B2B sales",
        source=SourceConfig(tab="Deals", path="Pipeline.xlsx"),
        columns={
            field: ColumnSpec(aliases=aliases)
            for field, aliases in ENGLISH_ALIASES.items()
        },
        stages=[
            Stage(name="Lead", probability=0.05),
            Stage(name="Qualified", probability=0.15),
            Stage(name="Demo", probability=0.30),
            Stage(name="Proposal", aliases=["Quote"], probability=0.50),
            Stage(name="Negotiation", probability=0.75),
            Stage(name="Closed Won", aliases=["Won"], outcome=Outcome.WON),
            Stage(name="Closed Lost", aliases=["Lost"], outcome=Outcome.LOST),
        ],
    )


def build_chinese_pipeline() -> Pipeline:
    """Return a pipeline like ``sales-zh``: tab ``商机``, amounts such as ``1.2万``."""
    return Pipeline(
        name="销售漏斗",
        source=SourceConfig(tab="商机", path="销售.xlsx"),
        columns={
            field: ColumnSpec(aliases=aliases)
            for field, aliases in CHINESE_ALIASES.items()
        },
        stages=[
            Stage(name="线索收集", probability=0.05),
            Stage(name="客户筛选与分级", aliases=["客户筛选"], probability=0.10),
            Stage(name="需求挖掘", probability=0.20),
            Stage(name="方案报价", probability=0.40),
            Stage(name="试用体验", aliases=["试用"], probability=0.60),
            Stage(name="异议处理与谈判", aliases=["谈判"], probability=0.80),
            Stage(name="签约成交", aliases=["签约"], outcome=Outcome.WON),
            Stage(name="售后增购", aliases=["售后"], outcome=Outcome.WON),
            Stage(name="丢单", outcome=Outcome.LOST),
        ],
        outputs=Outputs(
            status_header="pipesheet 状态",
            locale=Locale.ZH_CN,
            tabs=TabNames(
                funnel="漏斗",
                followups="待跟进",
                problems="问题清单",
                definitions="指标说明",
                stage_log="阶段日志",
            ),
        ),
        timezone="Asia/Shanghai",
    )


@pytest.fixture
def english_pipeline() -> Pipeline:
    return build_english_pipeline()


@pytest.fixture
def chinese_pipeline() -> Pipeline:
    return build_chinese_pipeline()
