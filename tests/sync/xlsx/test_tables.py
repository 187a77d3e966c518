"""Tests of naming an Excel table's column after the status header."""

from __future__ import annotations

import pytest

from config.errors import FeatureLossError
from sync.xlsx.tables import _renamed_column

PLACE = "Workbook 'w.xlsx', tab 'Deals'"


def table(*names: str) -> bytes:
    columns = "".join(
        f'<tableColumn id="{number}" name={name}/>'
        for number, name in enumerate(names, start=1)
    )
    return (
        '<table xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'id="1" name="Deals" ref="A1:C5"><tableColumns count="{len(names)}">'
        f"{columns}</tableColumns></table>"
    ).encode()


def test_name_with_other_quote_is_renamed() -> None:
    xml = table('"Deal ID"', '"Stage"', '"Ann\'s notes"')

    renamed = _renamed_column(xml, 1, 2, "pipesheet status", PLACE)

    assert b'<tableColumn id="3" name="pipesheet status"/>' in renamed
    assert b"Ann's notes" not in renamed


def test_name_in_single_quotes_is_renamed() -> None:
    xml = table('"Deal ID"', '"Stage"', "'Column3'")

    renamed = _renamed_column(xml, 1, 2, "pipesheet status", PLACE)

    assert b'<tableColumn id="3" name="pipesheet status"/>' in renamed


def test_column_differing_in_case_is_renamed() -> None:
    xml = table('"Deal ID"', '"Stage"', '"Pipesheet Status"')

    renamed = _renamed_column(xml, 1, 2, "pipesheet status", PLACE)

    assert b'<tableColumn id="3" name="pipesheet status"/>' in renamed


def test_other_column_with_header_name_stops() -> None:
    xml = table('"Deal ID"', '"Pipesheet Status"', '"Column3"')

    with pytest.raises(FeatureLossError, match="already the name of another column"):
        _renamed_column(xml, 1, 2, "pipesheet status", PLACE)
