"""Bar chart parts: references to the tab's cells and cached values."""

from __future__ import annotations

import re

from sync.plan import BarChart, GeneratedTab
from sync.xlsx.chart_xml import render_chart, render_drawing

FUNNEL = GeneratedTab(
    "Q3 funnel's",
    [
        ["Stage", "Deals", "Amount"],
        ["Lead", 5, 1000.5],
        ["Won", None, 20],
        ["Lost", 1, "n/a"],
    ],
    BarChart("Funnel & <more>", 0, [1, 2], 1, 2, 4, "E2"),
)


def chart_text() -> str:
    assert FUNNEL.chart is not None
    return render_chart(FUNNEL, FUNNEL.chart).decode()


def test_series_refer_to_tab_cells() -> None:
    formulas = re.findall(r"<c:f>(.*?)</c:f>", chart_text())

    assert formulas == [
        "'Q3 funnel''s'!$B$1",
        "'Q3 funnel''s'!$A$2:$A$4",
        "'Q3 funnel''s'!$B$2:$B$4",
        "'Q3 funnel''s'!$C$1",
        "'Q3 funnel''s'!$A$2:$A$4",
        "'Q3 funnel''s'!$C$2:$C$4",
    ]


def test_caches_hold_current_values() -> None:
    caches = re.findall(r"<c:(?:str|num)Cache>(.*?)</c:(?:str|num)Cache>", chart_text())

    assert caches[:3] == [
        '<c:ptCount val="1"/><c:pt idx="0"><c:v>Deals</c:v></c:pt>',
        (
            '<c:ptCount val="3"/><c:pt idx="0"><c:v>Lead</c:v></c:pt><c:pt '
            'idx="1"><c:v>Won'
            '</c:v></c:pt><c:pt idx="2"><c:v>Lost</c:v></c:pt>'
        ),
        (
            '<c:formatCode>General</c:formatCode><c:ptCount val="3"/><c:pt '
            'idx="0"><c:v>5.0'
            '</c:v></c:pt><c:pt idx="2"><c:v>1.0</c:v></c:pt>'
        ),
    ]


def test_text_values_left_out_of_number_cache() -> None:
    caches = re.findall(r"<c:numCache>(.*?)</c:numCache>", chart_text())

    assert caches[1] == (
        '<c:formatCode>General</c:formatCode><c:ptCount val="3"/><c:pt idx="0"><c:v>'
        '1000.5</c:v></c:pt><c:pt idx="1"><c:v>20.0</c:v></c:pt>'
    )


def test_title_escaped() -> None:
    assert "<a:t>Funnel &amp; &lt;more&gt;</a:t>" in chart_text()


def test_legend_only_with_several_series() -> None:
    single = GeneratedTab("T", FUNNEL.grid, BarChart("One", 0, [1], 1, 2, 4, "E2"))
    assert single.chart is not None

    assert "<c:legend>" not in render_chart(single, single.chart).decode()
    assert "<c:legend>" in chart_text()


def test_drawing_anchored_at_cell() -> None:
    assert FUNNEL.chart is not None

    drawing = render_drawing(FUNNEL.chart, "rId1").decode()

    assert re.findall(
        r"<xdr:(from|to)><xdr:col>(\d+)</xdr:col>.*?<xdr:row>(\d+)<", drawing
    ) == [
        ("from", "4", "1"),
        ("to", "12", "17"),
    ]
