"""A small formula evaluator, so formula cells read back a computed value.

Supported: numbers, ``"text"``, TRUE/FALSE, cell and range references (``B2``,
``A1:C3``, ``'My tab'!A:A``), the operators ``+ - * / ^ & %`` and comparisons, and
the functions SUM, AVERAGE, MIN, MAX, COUNT, COUNTA, IF, AND, OR, NOT, ABS, ROUND,
LEN, UPPER, LOWER, TRIM, CONCAT, CONCATENATE, DATE and NA. Anything else evaluates
to ``#NAME?``, which a real spreadsheet would compute; tests must not rely on it.

A date result is a :class:`DateSerial`, which carries the date format Sheets
gives the formula's cell when it has none of its own: DATE() gets the locale's
date format, and a date plus or minus a number keeps the date's format. So
``=A1+7`` over a date reads back as a date.

NOTE: these formats follow how the Sheets UI shows such results; no recording
covers them. TODAY() and NOW() are missing, because the evaluator has no clock.
Other functions that return dates (MIN or MAX of dates, EDATE) give plain
numbers, where Sheets would show dates.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard

from tests.fake_sheets.a1 import Bounds, parse_cells, split_range


@dataclass(frozen=True)
class FormulaError:
    """An error value such as ``#DIV/0!``."""

    code: str

    @property
    def kind(self) -> str:
        """The ErrorValue ``type`` the API reports, e.g. ``DIVIDE_BY_ZERO``."""
        return _ERROR_KINDS.get(self.code, "ERROR")

    @property
    def message(self) -> str:
        """A human-readable explanation, like the API's ``errorValue.message``."""
        return _ERROR_MESSAGES.get(self.code, "Formula parse error.")


_ERROR_KINDS = {
    "#DIV/0!": "DIVIDE_BY_ZERO",
    "#NAME?": "NAME",
    "#REF!": "REF",
    "#VALUE!": "VALUE",
    "#N/A": "N_A",
    "#NUM!": "NUM",
    "#ERROR!": "ERROR",
}
_ERROR_MESSAGES = {
    "#DIV/0!": "Function DIVIDE parameter 2 cannot be zero.",
    "#NAME?": "Unknown function.",
    "#REF!": "Circular dependency detected.",
    "#VALUE!": "Function expects number values.",
}


class DateSerial(float):
    """A computed serial date, with the number format Sheets shows it in."""

    pattern: str

    def __new__(cls, serial: float, pattern: str) -> DateSerial:
        value = super().__new__(cls, serial)
        value.pattern = pattern
        return value


LOCALE_DATE_PATTERN = "M/d/yyyy"
"""The en_US date format that DATE() results get (see number_formats)."""

Value = str | float | bool | FormulaError | None
"""A computed cell value; ``None`` is an empty cell."""

RangeReader = Callable[[str | None, Bounds], list[list[Value]]]
"""Return the computed values of a rectangle on a tab (``None`` = this tab)."""

_SERIAL_EPOCH = dt.date(1899, 12, 30)

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
    |(?P<string>"(?:[^"]|"")*")
    |(?P<reference>(?:'(?:[^']|'')+'!|[^\W\d][\w.]*!)?
        (?:\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?
          |\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}|\$?\d+:\$?\d+)(?![\w(]))
    |(?P<name>[A-Za-z_][A-Za-z0-9_.]*)
    |(?P<operator><=|>=|<>|[-+*/^&%=<>(),:])
    )""",
    re.VERBOSE,
)


class _Unsupported(Exception):
    """The formula uses syntax or a function the evaluator does not know."""


def evaluate(formula: str, read_range: RangeReader) -> Value:
    """Return the value of a formula (``"=1+1"`` → 2.0), or a FormulaError."""
    try:
        tokens = _tokenize(formula.lstrip("="))
        parser = _Parser(tokens, read_range)
        result = parser.expression()
        if parser.position != len(tokens):
            raise _Unsupported(formula)
    except _Unsupported:
        return FormulaError("#NAME?")
    except ZeroDivisionError:
        return FormulaError("#DIV/0!")
    except _ValueProblem:
        return FormulaError("#VALUE!")
    except _NumberProblem:
        return FormulaError("#NUM!")
    except _Propagated as problem:
        return problem.error
    return _single(result)


class _ValueProblem(Exception):
    """An operand has the wrong type (text where a number is needed)."""


class _NumberProblem(Exception):
    """A number is outside what a function accepts, as a year past 9999."""


class _Propagated(Exception):
    """An error value met during evaluation, passed on unchanged."""

    def __init__(self, error: FormulaError) -> None:
        super().__init__(error.code)
        self.error = error


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise _Unsupported(text)
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _single(value: Any) -> Value:
    if isinstance(value, list):
        first = value[0][0] if value and value[0] else None
        return _single(first)
    if isinstance(value, FormulaError):
        raise _Propagated(value)
    return value  # type: ignore[no-any-return]


def _number(value: Any) -> float:
    value = _single(value)
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float | int):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        raise _ValueProblem(value) from None


def _text(value: Any) -> str:
    value = _single(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value == int(value) else repr(value)
    return str(value)


def _flatten(arguments: list[Any]) -> list[Value]:
    flat: list[Value] = []
    for argument in arguments:
        if isinstance(argument, list):
            flat.extend(cell for row in argument for cell in row)
        else:
            flat.append(argument)
    for value in flat:
        if isinstance(value, FormulaError):
            raise _Propagated(value)
    return flat


def _numbers_in(arguments: list[Any]) -> list[float]:
    return [
        float(value)
        for value in _flatten(arguments)
        if isinstance(value, float | int) and not isinstance(value, bool)
    ]


def _average(arguments: list[Any]) -> float:
    numbers = _numbers_in(arguments)
    if not numbers:
        raise ZeroDivisionError
    return sum(numbers) / len(numbers)


def _date_sum(left: Any, right: Any, total: float) -> float:
    """Return a sum or difference, as a date when exactly one side is a date.

    The difference of two dates is a number of days.
    """
    dates = [value for value in (_single(left), _single(right)) if _is_date(value)]
    if len(dates) == 1:
        return DateSerial(total, dates[0].pattern)
    return total


def _is_date(value: Any) -> TypeGuard[DateSerial]:
    return isinstance(value, DateSerial)


def _date(arguments: list[Any]) -> DateSerial:
    """Return DATE(year, month, day); months and days past their ends roll over.

    As in Sheets, a year from 0 to 1899 counts from 1900.
    """
    if len(arguments) != 3:
        raise _Unsupported("DATE")
    year, month, day = (int(_number(argument)) for argument in arguments)
    if 0 <= year < 1900:
        year += 1900
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    try:
        first = dt.date(year, month, 1)
    except ValueError:
        raise _NumberProblem("DATE") from None
    serial = (first - _SERIAL_EPOCH).days + day - 1
    return DateSerial(float(serial), LOCALE_DATE_PATTERN)


def _not_available(arguments: list[Any]) -> Value:
    raise _Propagated(FormulaError("#N/A"))


def _round(arguments: list[Any]) -> float:
    places = int(_number(arguments[1])) if len(arguments) > 1 else 0
    return float(round(_number(arguments[0]), places))


_FUNCTIONS: dict[str, Callable[[list[Any]], Value]] = {
    "SUM": lambda args: float(sum(_numbers_in(args))),
    "AVERAGE": _average,
    "MIN": lambda args: min(_numbers_in(args), default=0.0),
    "MAX": lambda args: max(_numbers_in(args), default=0.0),
    "COUNT": lambda args: float(len(_numbers_in(args))),
    "COUNTA": lambda args: float(sum(1 for v in _flatten(args) if v not in (None, ""))),
    "AND": lambda args: all(_number(v) for v in _flatten(args)),
    "OR": lambda args: any(_number(v) for v in _flatten(args)),
    "NOT": lambda args: not _number(args[0]),
    "ABS": lambda args: abs(_number(args[0])),
    "ROUND": _round,
    "LEN": lambda args: float(len(_text(args[0]))),
    "UPPER": lambda args: _text(args[0]).upper(),
    "LOWER": lambda args: _text(args[0]).lower(),
    "TRIM": lambda args: " ".join(_text(args[0]).split()),
    "CONCAT": lambda args: "".join(_text(v) for v in _flatten(args)),
    "CONCATENATE": lambda args: "".join(_text(v) for v in _flatten(args)),
    "DATE": _date,
    "NA": _not_available,
}


class _Parser:
    """Recursive descent over tokens, lowest precedence first."""

    def __init__(self, tokens: list[tuple[str, str]], read_range: RangeReader) -> None:
        self.tokens = tokens
        self.position = 0
        self.read_range = read_range

    def peek(self) -> str:
        if self.position < len(self.tokens):
            return self.tokens[self.position][1]
        return ""

    def take(self) -> tuple[str, str]:
        if self.position >= len(self.tokens):
            raise _Unsupported("unexpected end of formula")
        token = self.tokens[self.position]
        self.position += 1
        return token

    def expression(self) -> Any:
        left = self.concatenation()
        while self.peek() in ("=", "<>", "<", ">", "<=", ">="):
            operator = self.take()[1]
            left = _compare(operator, left, self.concatenation())
        return left

    def concatenation(self) -> Any:
        left = self.additive()
        while self.peek() == "&":
            self.take()
            left = _text(left) + _text(self.additive())
        return left

    def additive(self) -> Any:
        left = self.multiplicative()
        while self.peek() in ("+", "-"):
            operator = self.take()[1]
            right = self.multiplicative()
            total = _number(left) + _number(right) * (1 if operator == "+" else -1)
            left = _date_sum(left, right, total)
        return left

    def multiplicative(self) -> Any:
        left = self.power()
        while self.peek() in ("*", "/"):
            operator = self.take()[1]
            right = _number(self.power())
            left = _number(left) * right if operator == "*" else _number(left) / right
        return left

    def power(self) -> Any:
        left = self.unary()
        while self.peek() == "^":
            self.take()
            left = _number(left) ** _number(self.unary())
        return left

    def unary(self) -> Any:
        if self.peek() in ("-", "+"):
            operator = self.take()[1]
            operand = _number(self.unary())
            return -operand if operator == "-" else operand
        value = self.primary()
        while self.peek() == "%":
            self.take()
            value = _number(value) / 100
        return value

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "number":
            return float(text)
        if kind == "string":
            return text[1:-1].replace('""', '"')
        if kind == "reference":
            return self.reference(text)
        if kind == "name":
            return self.name(text)
        if text == "(":
            value = self.expression()
            self.expect(")")
            return value
        raise _Unsupported(text)

    def reference(self, text: str) -> list[list[Value]]:
        ref = split_range(text)
        assert ref.cells is not None
        bounds = parse_cells(ref.cells)
        if bounds is None:
            raise _Unsupported(text)
        return self.read_range(ref.sheet, bounds)

    def name(self, text: str) -> Any:
        upper = text.upper()
        if upper in ("TRUE", "FALSE") and self.peek() != "(":
            return upper == "TRUE"
        if self.peek() != "(":
            raise _Unsupported(text)
        self.take()
        arguments = self.arguments()
        if upper == "IF":
            return _if(arguments)
        function = _FUNCTIONS.get(upper)
        if function is None:
            raise _Unsupported(text)
        return function(arguments)

    def arguments(self) -> list[Any]:
        arguments: list[Any] = []
        if self.peek() == ")":
            self.take()
            return arguments
        while True:
            arguments.append(self.expression())
            if self.peek() != ",":
                break
            self.take()
        self.expect(")")
        return arguments

    def expect(self, text: str) -> None:
        if self.take()[1] != text:
            raise _Unsupported(text)


def _if(arguments: list[Any]) -> Any:
    if not arguments:
        raise _Unsupported("IF")
    chosen = arguments[1] if _number(arguments[0]) else None
    if not _number(arguments[0]):
        chosen = arguments[2] if len(arguments) > 2 else False
    return chosen


def _compare(operator: str, left: Any, right: Any) -> bool:
    left, right = _single(left), _single(right)
    if isinstance(left, str) or isinstance(right, str):
        left, right = _text(left).casefold(), _text(right).casefold()
    else:
        left, right = _number(left), _number(right)
    outcomes = {
        "=": left == right,
        "<>": left != right,
        "<": left < right,
        ">": left > right,
        "<=": left <= right,
        ">=": left >= right,
    }
    return bool(outcomes[operator])
