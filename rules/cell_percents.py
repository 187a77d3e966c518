"""Read probability cells into fractions between 0 and 1.

A probability column contains fractions (0.25, which a cell formatted ``0%``
shows as 25%) or percent points (25). :func:`choose_percent_scale` picks one
scale per column from its numbers. So 1 is 100% in a column of fractions,
and in a column of percent points it is a problem, since a cell formatted as a
percentage that shows 100% stores 1 too. A number between 0 and 1 is a
fraction in both, and text ending in ``%`` reads the same in both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum

from rules.cell_numbers import decimal_from_cell, with_advice
from rules.cell_problem import CellProblem, Reason
from rules.grid import CellValue
from rules.text_forms import fold_text


class PercentQuantity(StrEnum):
    """The quantity a percent column contains, which its problems name."""

    PROBABILITY = "probability"
    PERCENTAGE = "percentage"


_PLURALS = {
    PercentQuantity.PROBABILITY: "probabilities",
    PercentQuantity.PERCENTAGE: "percentages",
}


class PercentScale(StrEnum):
    """The scale of the numbers in a probability column."""

    FRACTION = "fraction"
    POINTS = "points"


def choose_percent_scale(cells: Sequence[CellValue]) -> PercentScale:
    """Return the scale of a probability column: fractions when most numbers are.

    Each number cell (text without ``%`` included) counts once: one between 0
    and 1 for fractions, any other for percent points. Zero reads alike on
    both scales and does not count. A tie, or a column without numbers, is
    percent points.

    >>> choose_percent_scale([0.6, 1, 1.5]), choose_percent_scale([1, 1.5, 50])
    (<PercentScale.FRACTION: 'fraction'>, <PercentScale.POINTS: 'points'>)
    """
    fractions = points = 0
    for cell, count in _count_cells(cells).items():
        number = _number_of(cell)
        if number is None or number == 0:
            continue
        if 0 < number <= 1:
            fractions += count
        else:
            points += count
    return PercentScale.FRACTION if fractions > points else PercentScale.POINTS


def _count_cells(cells: Sequence[CellValue]) -> Counter[CellValue]:
    """Count each distinct cell, keeping TRUE apart from the 1 it equals."""
    if bool not in set(map(type, cells)):
        return Counter(cells)
    pairs = Counter(zip(map(type, cells), cells, strict=True))
    counts: Counter[CellValue] = Counter()
    for (_kind, cell), count in pairs.items():
        # TRUE is no number, so it needs no count of its own.
        if not isinstance(cell, bool):
            counts[cell] += count
    return counts


def _number_of(cell: CellValue) -> Decimal | None:
    if cell is None or (isinstance(cell, str) and fold_text(cell).endswith("%")):
        return None
    number = decimal_from_cell(cell)
    return None if isinstance(number, CellProblem) else number


def parse_percent(
    value: CellValue,
    scale: PercentScale | None = None,
    quantity: PercentQuantity = PercentQuantity.PROBABILITY,
) -> float | CellProblem:
    """Parse a probability cell into a fraction between 0 and 1.

    ``"25%"`` is 0.25 on either scale. A number is read on the column's
    ``scale``: 25 is 0.25 among percent points, and a number between 1 and 100
    among fractions, such as 1.5 (150%), is a problem naming both readings.
    A number strictly between 0 and 1 is a fraction on both scales: a cell
    formatted ``0%`` that shows 60% stores 0.6, and a sales probability of
    0.6% is not meant. A 1 among percent points is a problem: 1% or, in a
    cell formatted as a percentage, 100%. Without a ``scale``, a number up to
    1 is a fraction and a larger one is percent points, as in a one-cell
    column. A problem's advice names ``quantity``, such as a percentage for a
    discount column.
    """
    # Fast path: a float fraction comes back unchanged from the Decimal route.
    if type(value) is float and 0 <= value < 1:
        return value
    if type(value) is float and value == 1 and scale is not PercentScale.POINTS:
        return value

    if isinstance(value, str) and fold_text(value).endswith("%"):
        number = decimal_from_cell(fold_text(value)[:-1])
        if isinstance(number, CellProblem):
            return _advised(number, quantity)
        return _check_fraction(number / 100, quantity)

    number = decimal_from_cell(value)
    if isinstance(number, CellProblem):
        return _advised(number, quantity)
    if scale is None:
        scale = PercentScale.FRACTION if number <= 1 else PercentScale.POINTS
    if scale is PercentScale.POINTS:
        if 0 < number < 1:
            return float(number)
        if number == 1:
            return _one_among_points(quantity)
        return _check_fraction(number / 100, quantity)
    if 1 < number <= 100:
        return _points_among_fractions(number, quantity)
    return _check_fraction(number, quantity)


def _advised(problem: CellProblem, quantity: PercentQuantity) -> CellProblem:
    """Return ``problem`` with a percent's example in place of an amount's."""
    if problem.reason is Reason.AMBIGUOUS_SEPARATORS:
        return CellProblem(
            problem.reason,
            "cannot tell whether a mark separates decimals or thousands; type a "
            f"{quantity} such as {_EXAMPLE}",
        )
    return with_advice(problem, f"a {quantity} such as {_EXAMPLE}")


_EXAMPLE = "25% or 0.25"


def _check_fraction(
    fraction: Decimal, quantity: PercentQuantity
) -> float | CellProblem:
    if 0 <= fraction <= 1:
        return float(fraction)
    return CellProblem(
        Reason.PERCENT_OUT_OF_RANGE,
        f"a {quantity} must be between 0% and 100%, such as 25% or 0.25",
    )


def _points_among_fractions(number: Decimal, quantity: PercentQuantity) -> CellProblem:
    """Return the problem of a percent-point number in a column of fractions."""
    typed = _plain(number)
    as_fraction = f"{_plain(number * 100)}%"
    as_points = f"{typed}%"
    points_fraction = _plain(number / 100)
    return CellProblem(
        Reason.PERCENT_SCALE_MISMATCH,
        f"the column gives {_PLURALS[quantity]} as fractions (0.25 is 25%), so "
        f"{typed} reads as {as_fraction}, over 100%; if {as_points} is meant, "
        f"type {points_fraction} or {as_points}",
        params=(
            ("as_fraction", as_fraction),
            ("as_points", as_points),
            ("points_fraction", points_fraction),
        ),
    )


def _one_among_points(quantity: PercentQuantity) -> CellProblem:
    """Return the problem of a 1 in a column of percent points.

    A cell formatted as a percentage that shows 100% stores 1, and pipesheet
    does not read number formats, so 1 may mean 1% or 100%.
    """
    return CellProblem(
        Reason.ONE_AMONG_POINTS,
        f"the column gives {_PLURALS[quantity]} as percent points (25 is 25%), so 1 "
        "reads as 1%, but a cell formatted as a percentage that shows 100% "
        "stores 1 too; type 1% if 1% is meant, or 100 for 100%",
    )


def _plain(number: Decimal) -> str:
    """Return a number without exponent or trailing zeros: 150, not 1.5E+2."""
    return format(number.normalize(), "f")
