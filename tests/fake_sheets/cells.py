"""Cell values in and out: what RAW and USER_ENTERED input store, how values render.

USER_ENTERED parses strings as if typed into the UI (en_US):

- ``=4/2`` → formula; ``'0042`` → the text ``0042``;
- ``TRUE``/``false`` → booleans;
- ``42``, ``0042``, ``-1.5``, ``2,000,000.01`` → numbers (thousands separators
  set the ``#,##0.00`` pattern so the number reads back the same way);
- ``12%`` → 0.12 as PERCENT; ``$1.50`` → 1.5 as CURRENCY;
- ``2020-01-01``, ``1/2/2020``, ``2020-01-01 10:30``, ``10:30`` → serial numbers
  with a DATE, DATE_TIME or TIME format;
- anything else (``3_1_0``) stays text.

RAW stores strings as text (even ``=1+1``) and keeps JSON numbers and booleans.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from tests.fake_sheets.formulas import FormulaError, Value
from tests.fake_sheets.number_formats import (
    format_date,
    format_number,
    is_date_format,
    is_date_serial,
    is_elapsed_format,
    json_number,
    serial_from_datetime,
)

_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][+-]?\d+)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE_TIME = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$"
)
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp][Mm]))?$")


class InvalidCellInput(ValueError):
    """A value in a request's ``values`` that a cell cannot store (a list or object)."""


Parsed = tuple[dict[str, Any] | None, dict[str, Any] | None]
"""An ExtendedValue (``None`` clears the value) and a numberFormat to set, if any."""


def parse_raw(value: Any) -> Parsed:
    """Return what RAW input stores: text as text, numbers and booleans typed."""
    if isinstance(value, bool):
        return {"boolValue": value}, None
    if isinstance(value, int | float):
        return {"numberValue": float(value)}, None
    if isinstance(value, str):
        return ({"stringValue": value} if value else None), None
    raise InvalidCellInput(value)


def parse_user_entered(value: Any) -> Parsed:
    """Return what USER_ENTERED input stores, parsing text as the UI would."""
    if not isinstance(value, str):
        return parse_raw(value)
    if value == "":
        return None, None
    if value.startswith("'"):
        return {"stringValue": value[1:]}, None
    if value.startswith("=") and len(value) > 1:
        return {"formulaValue": value}, None

    text = value.strip()
    if text.upper() in ("TRUE", "FALSE"):
        return {"boolValue": text.upper() == "TRUE"}, None
    for parser in (_parse_number, _parse_percent, _parse_currency, _parse_date_time):
        parsed = parser(text)
        if parsed is not None:
            return parsed
    return {"stringValue": value}, None


def _has_digit(text: str) -> bool:
    return any(character.isdigit() for character in text)


def _parse_number(text: str) -> Parsed | None:
    if not _NUMBER.match(text) or not _has_digit(text):
        return None
    number = float(text.replace(",", ""))
    if "," not in text:
        return {"numberValue": number}, None
    decimals = len(text.partition(".")[2]) if "." in text else 0
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return {"numberValue": number}, {"type": "NUMBER", "pattern": pattern}


def _parse_percent(text: str) -> Parsed | None:
    body = text[:-1].strip()
    if not text.endswith("%") or not _NUMBER.match(body) or not _has_digit(body):
        return None
    number = float(body.replace(",", "")) / 100
    # NOTE: assumed patterns because no recording contains percent input.
    pattern = "0.00%" if "." in body else "0%"
    return {"numberValue": number}, {"type": "PERCENT", "pattern": pattern}


def _parse_currency(text: str) -> Parsed | None:
    sign = ""
    if text[:1] in "+-":
        sign, text = text[:1], text[1:]
    body = text[1:]
    if not text.startswith("$") or not _NUMBER.match(body) or not _has_digit(body):
        return None
    number = float(sign + body.replace(",", ""))
    # NOTE: assumed patterns because no recording contains currency input.
    pattern = "$#,##0.00" if "." in body else "$#,##0"
    return {"numberValue": number}, {"type": "CURRENCY", "pattern": pattern}


def _parse_date_time(text: str) -> Parsed | None:
    try:
        return _match_date_time(text)
    except ValueError:
        return None


def _match_date_time(text: str) -> Parsed | None:
    if match := _ISO_DATE.match(text):
        year, month, day = (int(part) for part in match.groups())
        return _date_value(datetime(year, month, day), "DATE", "yyyy-mm-dd")
    if match := _US_DATE.match(text):
        month, day, year = (int(part) for part in match.groups())
        return _date_value(datetime(year, month, day), "DATE", "M/d/yyyy")
    if match := _ISO_DATE_TIME.match(text):
        year, month, day, hour, minute = (int(part) for part in match.groups()[:5])
        second = int(match.group(6) or 0)
        moment = datetime(year, month, day, hour, minute, second)
        return _date_value(moment, "DATE_TIME", "yyyy-mm-dd H:mm:ss")
    if match := _TIME.match(text):
        return _time_value(match)
    return None


def _time_value(match: re.Match[str]) -> Parsed:
    hour, minute = int(match.group(1)), int(match.group(2))
    second = int(match.group(3) or 0)
    marker = (match.group(4) or "").upper()
    if marker == "PM" and hour < 12:
        hour += 12
    if marker == "AM" and hour == 12:
        hour = 0
    moment = datetime(1899, 12, 30, hour, minute, second)
    # NOTE: assumed pattern because no recording contains time-of-day input.
    return _date_value(moment, "TIME", "h:mm:ss am/pm")


def _date_value(moment: datetime, kind: str, pattern: str) -> Parsed:
    number_format = {"type": kind, "pattern": pattern}
    return {"numberValue": serial_from_datetime(moment)}, number_format


def render_value(
    value: Value,
    number_format: dict[str, Any] | None,
    value_render: str,
    date_time_render: str,
) -> Any:
    """Return a cell's computed value as a values.get response cell.

    ``value_render`` is FORMATTED_VALUE or UNFORMATTED_VALUE (FORMULA is resolved by
    the caller, which shows formula text for formula cells and otherwise renders
    UNFORMATTED_VALUE). ``date_time_render`` applies to date-formatted numbers under
    UNFORMATTED_VALUE only.
    """
    if value is None:
        return ""
    if isinstance(value, FormulaError):
        return value.code
    if isinstance(value, bool):
        if value_render == "FORMATTED_VALUE":
            return "TRUE" if value else "FALSE"
        return value
    if isinstance(value, str):
        return value

    if value_render == "FORMATTED_VALUE":
        return format_number(value, number_format)
    if (
        date_time_render == "FORMATTED_STRING"
        and is_date_format(number_format)
        and (is_date_serial(value) or is_elapsed_format(number_format))
    ):
        assert number_format is not None
        return format_date(value, number_format.get("pattern") or "M/d/yyyy")
    return json_number(value)


def extended_value_json(value: Value) -> dict[str, Any] | None:
    """Return a computed value as an ExtendedValue (``effectiveValue`` in CellData)."""
    if value is None:
        return None
    if isinstance(value, FormulaError):
        return {"errorValue": {"type": value.kind, "message": value.message}}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    return {"numberValue": json_number(value)}
