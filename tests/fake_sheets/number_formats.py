"""Number formats: how a number cell reads back as FORMATTED_VALUE.

Covers the common Sheets patterns: ``#,##0.00``, ``0%``, ``$#,##0.00``,
``0.00E+00``, literal text, ``pos;neg;zero`` sections, and date/time tokens
(``yyyy-mm-dd``, ``M/d/yyyy``, ``h:mm:ss am/pm``), and elapsed time
(``[h]:mm:ss``, ``[m]:ss``, ``[s]``). Dates are serial numbers: days since
1899-12-30, the fraction being the time of day.

NOTE: output always follows en_US conventions (``.`` decimals, ``,`` thousands),
whatever the spreadsheet's locale; the real API follows the spreadsheet's locale.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Any

SERIAL_EPOCH = datetime(1899, 12, 30)
DATE_TYPES = frozenset({"DATE", "TIME", "DATE_TIME"})

DEFAULT_PATTERNS = {
    "NUMBER": "#,##0.00",
    "PERCENT": "0.00%",
    "CURRENCY": "$#,##0.00",
    "DATE": "M/d/yyyy",
    "TIME": "h:mm:ss am/pm",
    "DATE_TIME": "M/d/yyyy H:mm:ss",
    "SCIENTIFIC": "0.00E+00",
    "TEXT": "@",
}
"""Patterns the en_US locale uses when a numberFormat names only its type."""

_DATE_TOKEN = re.compile(
    r"\[h+\]|\[m+\]|\[s+\]"
    r"|yyyy|yy|mmmmm|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|am/pm|a/p|\.0+",
    re.IGNORECASE,
)
_ELAPSED_TOKEN = re.compile(r"\[(?:h+|m+|s+)\]", re.IGNORECASE)

_NUMERIC_CORE = re.compile(r"[#0?][#0?,]*(?:\.[#0?]*)?(?:[Ee][+-][#0]+)?|\.[#0?]+")


def serial_from_datetime(moment: datetime) -> float:
    """Return the serial number of a date and time: 2020-01-01 → 43831."""
    delta = moment - SERIAL_EPOCH
    return delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000


def datetime_from_serial(serial: float) -> datetime:
    """Return the date and time of a serial number, to the millisecond."""
    milliseconds = round(serial * 86_400_000)
    return SERIAL_EPOCH + timedelta(milliseconds=milliseconds)


def is_date_serial(value: float) -> bool:
    """Return whether a number is the serial of a date in the years 1 to 9999."""
    try:
        datetime_from_serial(value)
    except OverflowError:
        return False
    return True


def is_elapsed_format(number_format: dict[str, Any] | None) -> bool:
    """Return whether a numberFormat shows elapsed time, as ``[h]:mm:ss`` does."""
    pattern = (number_format or {}).get("pattern") or ""
    return bool(_ELAPSED_TOKEN.search(pattern))


def is_date_format(number_format: dict[str, Any] | None) -> bool:
    """Return whether a numberFormat shows numbers as dates or times."""
    if not number_format:
        return False
    return number_format.get("type") in DATE_TYPES


def json_number(value: float) -> int | float:
    """Return a number as the API writes it: whole numbers as JSON integers."""
    if math.isfinite(value) and value == int(value) and abs(value) < 2**63:
        return int(value)
    return value


def format_general(value: float) -> str:
    """Format a number with no numberFormat (Sheets' automatic format).

    NOTE: this approximates Sheets' automatic format with up to 15 significant
    digits and exponent form for very large or small numbers. Only the recorded
    values (``2``, ``1.45``, ``0.0009765625``) confirm it.
    """
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.15g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}E{exponent[0]}{exponent[1:].zfill(2)}"
    return text


def format_number(value: float, number_format: dict[str, Any] | None) -> str:
    """Return the FORMATTED_VALUE of a number under a numberFormat (or none)."""
    if not number_format:
        return format_general(value)
    kind = number_format.get("type", "NUMBER")
    pattern = number_format.get("pattern") or DEFAULT_PATTERNS.get(kind, "")
    if not pattern or pattern == "@" or pattern.lower() == "general":
        return format_general(value)
    if kind in DATE_TYPES:
        if not is_date_serial(value) and not is_elapsed_format(number_format):
            # NOTE: no recording shows Google's text for a date format on a
            # number past 9999-12-31 (or before year 1); the plain number
            # is assumed.
            return format_general(value)
        return format_date(value, pattern)
    return format_with_pattern(value, pattern)


def _split_sections(pattern: str) -> list[str]:
    sections = [""]
    quoted = False
    for character in pattern:
        if character == '"':
            quoted = not quoted
        if character == ";" and not quoted:
            sections.append("")
            continue
        sections[-1] += character
    return sections


def _literal_text(part: str) -> str:
    text = ""
    position = 0
    while position < len(part):
        character = part[position]
        if character == '"':
            end = part.find('"', position + 1)
            end = len(part) if end == -1 else end
            text += part[position + 1 : end]
            position = end + 1
            continue
        if character == "\\" and position + 1 < len(part):
            text += part[position + 1]
        elif character == "_" and position + 1 < len(part):
            text += " "
        elif character == "*" and position + 1 < len(part):
            pass
        else:
            text += character
            position += 1
            continue
        position += 2
    return text


def format_with_pattern(value: float, pattern: str) -> str:
    """Format a number with a numeric pattern: ``#,##0.00`` of 1234.5 → ``1,234.50``."""
    sections = _split_sections(pattern)
    section = sections[0]
    sign = "-" if value < 0 else ""
    if value < 0 and len(sections) > 1:
        section, sign = sections[1], ""
    elif value == 0 and len(sections) > 2:
        section = sections[2]
    magnitude = abs(value)

    core_match = _NUMERIC_CORE.search(section)
    if core_match is None:
        return _literal_text(section)
    prefix = _literal_text(section[: core_match.start()])
    suffix = _literal_text(section[core_match.end() :])
    magnitude *= 100 ** (prefix + suffix).count("%")
    return f"{sign}{prefix}{_format_core(magnitude, core_match.group())}{suffix}"


def _format_core(magnitude: float, core: str) -> str:
    exponent_digits = 0
    exponent = 0
    if "E" in core.upper():
        core, exponent_part = re.split("[Ee]", core)
        exponent_digits = len(exponent_part) - 1
        if magnitude:
            exponent = math.floor(math.log10(magnitude))
            magnitude /= 10**exponent

    integer_part, _, decimal_part = core.partition(".")
    required = decimal_part.count("0")
    allowed = len(decimal_part)
    text = f"{magnitude:.{allowed}f}"
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0").ljust(required, "0")

    minimum_digits = integer_part.count("0")
    whole = "" if whole == "0" and minimum_digits == 0 else whole.zfill(minimum_digits)
    if "," in integer_part and whole:
        whole = f"{int(whole):,}"
    number = f"{whole}.{fraction}" if fraction else whole
    if exponent_digits:
        exponent_sign = "-" if exponent < 0 else "+"
        number += f"E{exponent_sign}{str(abs(exponent)).zfill(exponent_digits)}"
    return number or "0"


def format_date(serial: float, pattern: str) -> str:
    """Format a serial date: 43831 with ``yyyy-mm-dd`` gives ``2020-01-01``.

    A pattern with an elapsed-time token counts time from zero: 1.5 with
    ``[h]:mm:ss`` gives ``36:00:00``.

    :raises OverflowError: the serial is outside the years 1 to 9999 and the
        pattern shows a calendar date (see :func:`is_date_serial`).
    """
    pieces = _date_pieces(pattern)
    if any(token.startswith("[") for kind, token in pieces if kind == "token"):
        return _format_elapsed(serial, pieces)
    moment = datetime_from_serial(serial)
    twelve_hour = bool(re.search("am/pm|a/p", pattern, re.IGNORECASE))
    text = ""
    for position, (kind, token) in enumerate(pieces):
        if kind == "literal":
            text += token
            continue
        minutes = _is_minutes_token(pieces, position)
        text += _render_date_token(
            token, moment, twelve_hour=twelve_hour, minutes=minutes
        )
    return text


def _format_elapsed(serial: float, pieces: list[tuple[str, str]]) -> str:
    """Format a duration: the bracketed token counts whole units from zero.

    The tokens after it count within the next larger unit, so 1.5 days with
    ``[h]:mm:ss`` gives ``36:00:00`` and with ``[m]:ss`` gives ``2160:00``.
    NOTE: a negative duration is shown with a leading minus; no recording
    shows Google's output for one.
    """
    milliseconds = round(abs(serial) * 86_400_000)
    seconds = milliseconds // 1000
    text = "-" if serial < 0 and milliseconds else ""
    for position, (kind, token) in enumerate(pieces):
        lower = token.lower()
        if kind == "literal":
            text += token
        elif lower.startswith("["):
            unit = {"h": 3600, "m": 60, "s": 1}[lower[1]]
            text += str(seconds // unit).zfill(len(lower) - 2)
        elif lower in ("s", "ss"):
            text += str(seconds % 60).zfill(len(lower))
        elif _is_minutes_token(pieces, position) or lower in ("m", "mm"):
            text += str(seconds // 60 % 60).zfill(len(lower))
        elif lower in ("h", "hh"):
            text += str(seconds // 3600 % 24).zfill(len(lower))
        elif lower.startswith("."):
            fraction = (milliseconds % 1000) / 1000
            text += f"{fraction:.{len(lower) - 1}f}"[1:]
        else:
            text += token
    return text


def _date_pieces(pattern: str) -> list[tuple[str, str]]:
    pieces: list[tuple[str, str]] = []
    position = 0
    while position < len(pattern):
        if pattern[position] in '"\\':
            end = _literal_end(pattern, position)
            pieces.append(("literal", _literal_text(pattern[position:end])))
            position = end
            continue
        match = _DATE_TOKEN.match(pattern, position)
        if match:
            pieces.append(("token", match.group()))
            position = match.end()
            continue
        pieces.append(("literal", pattern[position]))
        position += 1
    return pieces


def _literal_end(pattern: str, position: int) -> int:
    if pattern[position] == "\\":
        return position + 2
    end = pattern.find('"', position + 1)
    return len(pattern) if end == -1 else end + 1


def _is_minutes_token(pieces: list[tuple[str, str]], position: int) -> bool:
    token = pieces[position][1]
    if token not in ("m", "mm"):
        return False
    tokens = [piece[1].lower() for piece in pieces if piece[0] == "token"]
    index = [i for i, piece in enumerate(pieces) if piece[0] == "token"].index(position)
    before = tokens[index - 1] if index > 0 else ""
    after = tokens[index + 1] if index + 1 < len(tokens) else ""
    return before in ("h", "hh") or after in ("s", "ss")


def _render_date_token(
    token: str, moment: datetime, *, twelve_hour: bool, minutes: bool
) -> str:
    lower = token.lower()
    if minutes:
        return str(moment.minute).zfill(len(token))
    if lower.startswith("."):
        return f"{moment.microsecond / 1_000_000:.{len(lower) - 1}f}"[1:]
    if lower in ("am/pm", "a/p"):
        marker = "AM" if moment.hour < 12 else "PM"
        marker = marker if token[0].isupper() else marker.lower()
        return marker if lower == "am/pm" else marker[0]
    if lower in ("h", "hh"):
        hour = moment.hour
        if twelve_hour:
            hour = hour % 12 or 12
        return str(hour).zfill(len(token))
    return _render_calendar_token(lower, moment)


def _render_calendar_token(token: str, moment: datetime) -> str:
    renderings = {
        "yyyy": f"{moment.year:04d}",
        "yy": f"{moment.year % 100:02d}",
        "mmmmm": moment.strftime("%B")[0],
        "mmmm": moment.strftime("%B"),
        "mmm": moment.strftime("%b"),
        "mm": f"{moment.month:02d}",
        "m": str(moment.month),
        "dddd": moment.strftime("%A"),
        "ddd": moment.strftime("%a"),
        "dd": f"{moment.day:02d}",
        "d": str(moment.day),
        "ss": f"{moment.second:02d}",
        "s": str(moment.second),
    }
    return renderings[token]
