"""Tests for building daily digests from hand-built follow-ups and findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pytest

from config.models import Locale, Outputs, Pipeline
from rules.deals import Deal
from rules.digest import (
    DigestItemKind,
    OwnerDigest,
    build_digests,
    build_team_digest,
    item_identity,
    list_digest_owners,
    mark_sent_items,
)
from rules.digest_text import EMAIL_SECTION_ITEM_LIMIT
from rules.findings import Code, Finding, Severity
from rules.followups import Followup, FollowupState
from rules.grid import CellValue
from tests.rules.builders import build_columns, build_deal, build_pipeline

AS_OF = dt.date(2025, 9, 30)
PIPELINE = build_pipeline()
ZH_PIPELINE = build_pipeline(outputs=Outputs(locale=Locale.ZH_CN))


def deal(
    row: int, owner: str | None, stage: str = "Qualified", **cells: CellValue
) -> Deal:
    return build_deal(PIPELINE, row, f"D-{row}", stage, owner=owner, **cells)


def followup(
    row: int, owner: str, days_overdue: int, next_step: str | None = None
) -> Followup:
    state = FollowupState.OVERDUE if days_overdue > 0 else FollowupState.DUE_SOON
    return Followup(
        owner=owner,
        deal_id=f"D-{row}",
        row=row,
        account=None,
        stage="Qualified",
        next_step=next_step,
        due=AS_OF - dt.timedelta(days=days_overdue),
        days_overdue=days_overdue,
        state=state,
    )


def missing_account(row: int) -> Finding:
    return Finding(
        code=Code.MISSING_REQUIRED,
        severity=Severity.ERROR,
        row=row,
        column="Account",
        deal_id=f"D-{row}",
        field="account",
        params={"stage": "Qualified"},
    )


def finding(row: int, code: Code, severity: Severity, field: str) -> Finding:
    return Finding(
        code=code, severity=severity, row=row, deal_id=f"D-{row}", field=field
    )


def digests_of(
    followups: list[Followup],
    findings: list[Finding],
    deals: list[Deal],
    pipeline: Pipeline = PIPELINE,
    already_sent: Mapping[str, set[str]] | None = None,
) -> list[OwnerDigest]:
    return build_digests(
        followups, findings, deals, pipeline, AS_OF, already_sent or {}
    )


def only_digest(
    followups: list[Followup],
    findings: list[Finding],
    deals: list[Deal],
    pipeline: Pipeline = PIPELINE,
    already_sent: Mapping[str, set[str]] | None = None,
) -> OwnerDigest:
    digests = digests_of(followups, findings, deals, pipeline, already_sent)
    assert len(digests) == 1
    return digests[0]


def test_digest_per_owner_with_their_items() -> None:
    deals = [deal(5, "Ana Lima"), deal(6, "Bo Chen"), deal(7, "Ana Lima")]
    followups = [followup(5, "Ana Lima", 3), followup(6, "Bo Chen", -1)]

    digests = digests_of(followups, [missing_account(7)], deals)

    assert [digest.owner for digest in digests] == ["Ana Lima", "Bo Chen"]
    assert [(item.row, item.kind) for item in digests[0].items] == [
        (5, DigestItemKind.OVERDUE),
        (7, DigestItemKind.PROBLEM),
    ]
    assert [(item.row, item.kind) for item in digests[1].items] == [
        (6, DigestItemKind.DUE_SOON)
    ]


def test_no_digest_without_items() -> None:
    assert digests_of([], [], [deal(5, "Ana Lima")]) == []


@pytest.mark.parametrize(
    ("pipeline", "owner", "days_overdue", "problem_rows", "subject"),
    [
        (
            PIPELINE,
            "Ana Lima",
            [3, 5, 9],
            [],
            "pipesheet: 3 overdue follow-ups for Ana Lima (Test pipeline, 2025-09-30)",
        ),
        (
            PIPELINE,
            "Ana Lima",
            [3],
            [],
            "pipesheet: 1 overdue follow-up for Ana Lima (Test pipeline, 2025-09-30)",
        ),
        (
            PIPELINE,
            "Ana Lima",
            [0, -2],
            [],
            "pipesheet: 2 follow-ups due soon for Ana Lima (Test pipeline, 2025-09-30)",
        ),
        (
            PIPELINE,
            "Ana Lima",
            [3, -1],
            [7],
            (
                "pipesheet: 1 overdue follow-up, 1 due soon, 1 problem for Ana Lima "
                "(Test pipeline, 2025-09-30)"
            ),
        ),
        (
            PIPELINE,
            "Ana Lima",
            [],
            [7, 8],
            "pipesheet: 2 problems for Ana Lima (Test pipeline, 2025-09-30)",
        ),
        (
            ZH_PIPELINE,
            "Ana Lima",
            [3, 5, 9],
            [],
            "pipesheet：Ana Lima，3 条逾期跟进（Test pipeline，2025-09-30）",
        ),
        (
            ZH_PIPELINE,
            "张伟",
            [3, -1],
            [7],
            (
                "pipesheet：张伟，1 条逾期跟进、1 条即将到期的跟进、1 个问题"
                "（Test pipeline，2025-09-30）"
            ),
        ),
    ],
    ids=[
        "en-overdue",
        "en-one-overdue",
        "en-due-soon",
        "en-mixed",
        "en-problems",
        "zh-overdue",
        "zh-mixed",
    ],
)
def test_digest_subject_counts_items(
    pipeline: Pipeline,
    owner: str,
    days_overdue: list[int],
    problem_rows: list[int],
    subject: str,
) -> None:
    followups = [
        followup(10 + index, owner, days) for index, days in enumerate(days_overdue)
    ]
    deals = [deal(row, owner) for row in problem_rows]
    findings = [missing_account(row) for row in problem_rows]

    digest = only_digest(followups, findings, deals, pipeline)

    assert digest.subject == subject


def test_new_items_listed_first() -> None:
    deals = [deal(5, "Ana Lima"), deal(6, "Ana Lima"), deal(7, "Ana Lima")]
    followups = [followup(5, "Ana Lima", 9), followup(6, "Ana Lima", 2)]
    old = item_identity("D-5", 5, Code.FOLLOWUP_OVERDUE, "next_step_date", AS_OF)
    sent_before = {
        item_identity(
            "D-5", 5, Code.FOLLOWUP_OVERDUE, "next_step_date", followups[0].due
        )
    }

    digest = only_digest(
        followups,
        [missing_account(7)],
        deals,
        already_sent={"Ana Lima": sent_before | {old}},
    )

    assert [(item.row, item.is_new) for item in digest.items] == [
        (6, True),
        (7, True),
        (5, False),
    ]


def test_moved_due_date_makes_item_new() -> None:
    first = followup(5, "Ana Lima", 2)
    sent = {"Ana Lima": set(only_digest([first], [], [deal(5, "Ana Lima")]).identities)}
    moved = followup(5, "Ana Lima", 1)

    digest = only_digest([moved], [], [deal(5, "Ana Lima")], already_sent=sent)

    assert digest.items[0].is_new is True


def test_problem_keeps_identity_across_days() -> None:
    deals = [deal(7, "Ana Lima")]
    yesterday = only_digest([], [missing_account(7)], deals)
    sent = {"Ana Lima": set(yesterday.identities)}

    today = only_digest([], [missing_account(7)], deals, already_sent=sent)

    assert today.items[0].is_new is False


def test_overdue_followup_finding_not_listed_twice() -> None:
    overdue = Finding(
        code=Code.FOLLOWUP_OVERDUE,
        severity=Severity.WARNING,
        row=5,
        deal_id="D-5",
        field="next_step_date",
        params={"days": "3", "date": "2025-09-27"},
    )

    digest = only_digest([followup(5, "Ana Lima", 3)], [overdue], [deal(5, "Ana Lima")])

    assert [item.kind for item in digest.items] == [DigestItemKind.OVERDUE]


@pytest.mark.parametrize(
    ("snooze_until", "acknowledged"),
    [(dt.date(2025, 10, 3), None), (AS_OF, None), (None, True)],
    ids=["snoozed", "snoozed-until-today", "acknowledged"],
)
def test_silenced_deal_leaves_out_next_step_problem(
    snooze_until: dt.date | None, acknowledged: bool | None
) -> None:
    silenced = deal(5, "Ana Lima", snooze_until=snooze_until, acknowledged=acknowledged)
    no_next_step = finding(5, Code.NO_NEXT_STEP, Severity.WARNING, "next_step_date")

    digests = digests_of([], [no_next_step, missing_account(5)], [silenced])

    assert [item.code for item in digests[0].items] == [Code.MISSING_REQUIRED]


def test_snooze_in_past_keeps_next_step_problem() -> None:
    lapsed = deal(5, "Ana Lima", snooze_until=dt.date(2025, 9, 29))
    no_next_step = finding(5, Code.NO_NEXT_STEP, Severity.WARNING, "next_step_date")

    digest = only_digest([], [no_next_step], [lapsed])

    assert [item.code for item in digest.items] == [Code.NO_NEXT_STEP]


def test_info_findings_left_out() -> None:
    due_soon = finding(5, Code.FOLLOWUP_DUE_SOON, Severity.INFO, "next_step_date")

    assert digests_of([], [due_soon], [deal(5, "Ana Lima")]) == []


def test_layout_finding_only_in_team_digest() -> None:
    label = Finding(
        Code.CONTENT_UNDER_BLANK_HEADER,
        Severity.WARNING,
        5,
        value="EMEA",
        params={"column": "A", "cell": "A5"},
    )
    deals = [deal(5, "Ana Lima")]

    team = build_team_digest([], [label], deals, PIPELINE, AS_OF, set())

    assert digests_of([], [label], deals) == []
    assert team is not None
    assert [(item.row, item.owner) for item in team.items] == [(5, "")]


def test_owner_spellings_share_one_digest() -> None:
    deals = [deal(5, "Ana Lima"), deal(6, "ana  lima")]
    followups = [followup(5, "Ana Lima", 3), followup(6, "ana  lima", 1)]

    digest = only_digest(followups, [], deals)

    assert digest.owner == "Ana Lima"
    assert [item.row for item in digest.items] == [5, 6]


def test_padded_owner_greeted_as_typed() -> None:
    deals = [deal(5, "王\u3000芳"), deal(6, "王\u3000芳"), deal(7, "王芳")]
    followups = [
        followup(5, "王\u3000芳", 3),
        followup(6, "王\u3000芳", 2),
        followup(7, "王芳", 1),
    ]

    digest = only_digest(followups, [], deals)

    assert digest.greeted == "王\u3000芳"
    assert [item.row for item in digest.items] == [5, 6, 7]


@pytest.mark.parametrize("reverse", [False, True], ids=["as-typed", "reversed"])
def test_owner_spelling_same_when_rows_sorted(reverse: bool) -> None:
    deals = [deal(5, "AnaLima"), deal(6, "Ana Lima")]
    followups = [followup(5, "AnaLima", 3), followup(6, "Ana Lima", 3)]
    if reverse:
        followups.reverse()

    digest = only_digest(followups, [], deals)

    assert digest.owner == "Ana Lima"


def test_blank_owner_only_in_team_digest() -> None:
    deals = [deal(5, None), deal(6, "Bo Chen")]
    followups = [followup(5, "", 3), followup(6, "Bo Chen", 1)]

    owners = list_digest_owners(followups, [], deals, PIPELINE, AS_OF)
    team = build_team_digest(followups, [], deals, PIPELINE, AS_OF, set())

    assert owners == ["bochen"]
    assert team is not None
    assert team.owner is None
    assert [item.owner for item in team.items] == ["Bo Chen", ""]


def test_team_digest_lines_name_owners() -> None:
    deals = [deal(5, None), deal(6, "Bo Chen")]
    followups = [followup(5, "", 3), followup(6, "Bo Chen", 1)]

    team = build_team_digest(followups, [], deals, PIPELINE, AS_OF, set())

    assert team is not None
    assert team.subject == (
        "pipesheet: 2 overdue follow-ups for Test pipeline (2025-09-30)"
    )
    assert team.text.splitlines()[3:5] == [
        "- Bo Chen · D-6 · Qualified (row 6): follow-up 1 day overdue (2025-09-29)",
        "- (no owner) · D-5 · Qualified (row 5): follow-up 3 days overdue (2025-09-27)",
    ]


def test_no_team_digest_without_items() -> None:
    assert build_team_digest([], [], [], PIPELINE, AS_OF, set()) is None


def test_english_plain_text_in_full() -> None:
    deals = [deal(5, "Ana Lima", account="Acme Tools"), deal(7, "Ana Lima")]
    followups = [followup(5, "Ana Lima", 5, next_step="Send pricing")]
    sent = {"Ana Lima": set(only_digest(followups, [], deals).identities)}

    digest = only_digest(followups, [missing_account(7)], deals, already_sent=sent)

    assert digest.text == (
        "pipesheet digest for Ana Lima: Test pipeline, 2025-09-30\n"
        "1 overdue follow-up, 1 problem.\n"
        "\n"
        "New since the last digest:\n"
        "- D-7 · Qualified (row 7): Account is required in stage 'Qualified'; "
        "fill it in.\n"
        "\n"
        "Still open:\n"
        "- D-5 · Qualified (row 5): follow-up 5 days overdue (2025-09-25): "
        "Send pricing\n"
        "\n"
        "To leave a deal's follow-up out of the next digest, put a date in "
        "Snooze Until or mark Acknowledged.\n"
    )


def test_chinese_plain_text_in_full() -> None:
    deals = [deal(5, "张伟"), deal(7, "张伟")]
    followups = [followup(5, "张伟", -1, next_step="发送报价")]

    digest = only_digest(followups, [missing_account(7)], deals, ZH_PIPELINE)

    assert digest.text == (
        "pipesheet 摘要：张伟，Test pipeline，2025-09-30\n"
        "1 条即将到期的跟进、1 个问题。\n"
        "\n"
        "- D-5 · Qualified（第 5 行）：明天需跟进（2025-10-01）：发送报价\n"
        "- D-7 · Qualified（第 7 行）：阶段“Qualified”要求填写Account，请补上。\n"
        "\n"
        "如需在下次摘要中略过某个商机的跟进，请在“Snooze Until”中填写日期，"
        "或在“Acknowledged”中标记。\n"
    )


def test_next_step_with_line_breaks_stays_one_item() -> None:
    deals = [deal(5, "Ana Lima")]
    step = "Call the lead.\nSend the quote. \r\n\n  Book a demo." + " More." * 100
    followups = [followup(5, "Ana Lima", 5, next_step=step)]

    digest = only_digest(followups, [], deals)

    item = (
        "- D-5 · Qualified (row 5): follow-up 5 days overdue (2025-09-25): "
        "Call the lead. Send the quote. Book a demo. More."
    )
    [plain_item] = [line for line in digest.text.splitlines() if "D-5" in line]
    assert plain_item.startswith(item)
    assert plain_item.endswith("… (443 more characters)")
    for body in (digest.text, digest.chat_text, digest.markdown):
        lines = body.splitlines()
        assert not any(line.startswith(("Send", "Book", " More")) for line in lines)
        assert [line for line in lines if "D-5" in line][0].startswith(item[:40])


def test_markdown_body_short_and_bold_headings() -> None:
    deals = [deal(5, "Ana Lima"), deal(7, "Ana Lima")]
    followups = [followup(5, "Ana Lima", 2)]
    sent = {"Ana Lima": set(only_digest(followups, [], deals).identities)}

    digest = only_digest(followups, [missing_account(7)], deals, already_sent=sent)

    assert digest.markdown == (
        "**pipesheet: 1 overdue follow-up, 1 problem for Ana Lima "
        "(Test pipeline, 2025-09-30)**\n"
        "\n"
        "**New since the last digest:**\n"
        "- D-7 · Qualified (row 7): missing Account\n"
        "\n"
        "**Still open:**\n"
        "- D-5 · Qualified (row 5): follow-up 2 days overdue (2025-09-28)"
    )


def test_first_digest_has_no_new_heading() -> None:
    deals = [deal(5, "Ana Lima"), deal(7, "Ana Lima")]
    followups = [followup(5, "Ana Lima", 2)]

    digest = only_digest(followups, [missing_account(7)], deals)

    assert "New since the last digest" not in digest.text
    assert "New since the last digest" not in digest.chat_text
    assert digest.markdown == (
        "**pipesheet: 1 overdue follow-up, 1 problem for Ana Lima "
        "(Test pipeline, 2025-09-30)**\n"
        "\n"
        "- D-5 · Qualified (row 5): follow-up 2 days overdue (2025-09-28)\n"
        "- D-7 · Qualified (row 7): missing Account"
    )


def test_problems_only_digest_has_no_snooze_hint() -> None:
    deals = [deal(7, "Ana Lima")]

    digest = only_digest([], [missing_account(7)], deals)

    assert digest.text == (
        "pipesheet digest for Ana Lima: Test pipeline, 2025-09-30\n"
        "1 problem.\n"
        "\n"
        "- D-7 · Qualified (row 7): Account is required in stage 'Qualified'; "
        "fill it in.\n"
    )


def test_no_next_step_digest_has_snooze_hint() -> None:
    deals = [deal(7, "Ana Lima")]
    no_step = finding(7, Code.NO_NEXT_STEP, Severity.WARNING, "next_step_date")

    digest = only_digest([], [no_step], deals)

    assert digest.text.endswith(
        "To leave a deal's follow-up out of the next digest, put a date in "
        "Snooze Until or mark Acknowledged.\n"
    )


@pytest.mark.parametrize(
    ("missing", "hint"),
    [
        (
            (),
            (
                "To leave a deal's follow-up out of the next digest, put a date "
                "in Snooze Until or mark Acknowledged."
            ),
        ),
        (
            ("acknowledged",),
            (
                "To leave a deal's follow-up out of the next digest, put a date "
                "in Snooze Until."
            ),
        ),
        (
            ("snooze_until",),
            "To leave a deal's follow-up out of the next digest, mark Acknowledged.",
        ),
        (
            ("snooze_until", "acknowledged"),
            "- D-5 · Qualified (row 5): follow-up 3 days overdue (2025-09-27)",
        ),
    ],
    ids=["both", "no-acknowledged", "no-snooze", "neither"],
)
def test_snooze_hint_names_sheet_columns(missing: tuple[str, ...], hint: str) -> None:
    columns = build_columns(PIPELINE, missing=missing)

    (digest,) = build_digests(
        [followup(5, "Ana Lima", 3)],
        [],
        [deal(5, "Ana Lima")],
        PIPELINE,
        AS_OF,
        {},
        columns=columns,
    )

    assert digest.text.splitlines()[-1] == hint


def test_snooze_hint_uses_sheet_header() -> None:
    columns = build_columns(PIPELINE)
    columns.headers[columns.fields["snooze_until"]] = "暂缓 至"
    followups = [followup(5, "", 3)]

    team = build_team_digest(
        followups, [], [deal(5, None)], PIPELINE, AS_OF, set(), columns=columns
    )

    assert team is not None
    assert team.text.splitlines()[-1] == (
        "To leave a deal's follow-up out of the next digest, put a date in "
        "暂缓 至 or mark Acknowledged."
    )


def test_marked_digest_keeps_sheet_hint() -> None:
    columns = build_columns(PIPELINE, missing=("snooze_until", "acknowledged"))
    (digest,) = build_digests(
        [followup(5, "Ana Lima", 3)],
        [],
        [deal(5, "Ana Lima")],
        PIPELINE,
        AS_OF,
        {},
        columns=columns,
    )

    marked = mark_sent_items(digest, PIPELINE, digest.identities)

    assert "Snooze Until" not in marked.text
    assert (
        marked.text.splitlines()[-1]
        == "- D-5 · Qualified (row 5): follow-up 3 days overdue (2025-09-27)"
    )


def test_chat_body_lists_first_ten_items() -> None:
    deals = [deal(row, "Ana Lima") for row in range(5, 17)]
    followups = [followup(row, "Ana Lima", row) for row in range(5, 17)]

    digest = only_digest(followups, [], deals)

    lines = digest.chat_text.splitlines()
    assert len(lines) == 2 + 10 + 1
    assert lines[-1] == ("… and 2 more; see the tabs 'Follow-ups' and 'Problems'.")
    assert digest.text.count("\n- ") == 12


LONG_STEP = (
    "与客户采购部和信息部负责人一起确认报价单中的实施范围、付款节点以及售后服务条款，"
    "并约定下次会议时间；同时请法务审核合同模板中的违约责任条款，财务确认开票信息与回款计划，"
    "并在周五前把会议纪要发给客户项目经理确认"
)


def long_chinese_digest(count: int) -> OwnerDigest:
    deals = [deal(row, "陈刚") for row in range(5, 5 + count)]
    followups = [followup(row, "陈刚", 5, LONG_STEP) for row in range(5, 5 + count)]
    return only_digest(followups, [], deals, pipeline=ZH_PIPELINE)


@pytest.mark.parametrize(
    ("count", "max_bytes", "shown"),
    [(12, 3000, 7), (12, 2000, 4), (9, 2000, 4), (3, 600, 1), (3, 300, 0)],
    ids=["over-ten", "smaller-limit", "under-ten", "one-item", "only-count-line"],
)
def test_markdown_within_cuts_whole_items(
    count: int, max_bytes: int, shown: int
) -> None:
    digest = long_chinese_digest(count)

    markdown = digest.markdown_within(max_bytes)

    assert markdown is not None
    assert len(markdown.encode()) <= max_bytes
    lines = markdown.splitlines()
    assert (
        lines[0]
        == f"**pipesheet：陈刚，{count} 条逾期跟进（Test pipeline，2025-09-30）**"
    )
    items = [line for line in lines if line.startswith("- ")]
    assert items == digest.markdown.splitlines()[2 : 2 + shown]
    assert lines[-1] == (
        f"**……另有 {count - shown} 项，请查看“Follow-ups”和“Problems”表。**"
    )


def test_markdown_within_keeps_body_that_fits() -> None:
    digest = long_chinese_digest(12)

    assert digest.markdown_within(4096) == digest.markdown


def test_markdown_within_none_when_count_line_too_long() -> None:
    digest = long_chinese_digest(3)

    assert digest.markdown_within(100) is None


def test_email_sections_capped_at_limit() -> None:
    rows = range(5, 5 + EMAIL_SECTION_ITEM_LIMIT + 3)
    deals = [deal(row, "Ana Lima") for row in rows]
    old_followups = [followup(row, "Ana Lima", row) for row in rows]
    sent = {"Ana Lima": set(only_digest(old_followups, [], deals).identities)}
    problems = [missing_account(row) for row in rows]

    digest = only_digest(old_followups, problems, deals, already_sent=sent)

    lines = digest.text.splitlines()
    more = "… and 3 more; see the tabs 'Follow-ups' and 'Problems'."
    assert digest.text.count("\n- ") == 2 * EMAIL_SECTION_ITEM_LIMIT
    assert lines.count(more) == 2
    assert lines[lines.index("Still open:") - 2] == more
    assert lines[1] == "103 overdue follow-ups, 103 problems."


def test_chinese_email_section_capped() -> None:
    rows = range(5, 5 + EMAIL_SECTION_ITEM_LIMIT + 1)
    deals = [deal(row, "张伟") for row in rows]

    digest = only_digest([], [missing_account(row) for row in rows], deals, ZH_PIPELINE)

    assert digest.text.count("\n- ") == EMAIL_SECTION_ITEM_LIMIT
    assert digest.text.endswith("\n……另有 1 项，请查看“Follow-ups”和“Problems”表。\n")


def test_content_hash_follows_content() -> None:
    deals = [deal(5, "Ana Lima")]
    first = only_digest([followup(5, "Ana Lima", 2)], [], deals)
    again = only_digest([followup(5, "Ana Lima", 2)], [], deals)
    later = only_digest([followup(5, "Ana Lima", 3)], [], deals)

    assert first.content_hash == again.content_hash
    assert first.content_hash != later.content_hash
    assert len(first.content_hash) == 64


def test_deal_without_id_identified_by_row() -> None:
    no_id = build_deal(PIPELINE, 9, None, "Qualified", owner="Ana Lima")
    problem = Finding(
        code=Code.MISSING_REQUIRED, severity=Severity.ERROR, row=9, field="account"
    )

    digest = only_digest([], [problem], [no_id])

    assert digest.items[0].identity == item_identity(
        None, 9, Code.MISSING_REQUIRED, "account", None
    )
    assert digest.text.splitlines()[3].startswith("- row 9 · Qualified: ")
