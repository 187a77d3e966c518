"""Generate a synthetic pipeline workbook in the English starter layout.

    python bench/generate.py 100000 --out bench/out/deals-100k.xlsx

The workbook has the tabs ``Deals`` (title in row 1, header in row 3, one deal per
row from row 4, the same header as the English starter workbook) and ``Lists``.
Dates are relative to :data:`AS_OF`, so a run with ``--as-of 2025-09-30`` finds
overdue and due-soon follow-ups. About 1% of the deals each have an unknown owner,
an amount typed as text, a close date that is not a date, and a blank account.
The same rows, seed and xlsxwriter version give the same file, byte for byte.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import random
from collections.abc import Sequence
from pathlib import Path

import xlsxwriter  # type: ignore[import-untyped]

from config.models import Locale
from sync.starter import STARTER_LAYOUTS

logger = logging.getLogger(__name__)

AS_OF = dt.date(2025, 9, 30)
DEFAULT_SEED = 7
# The share of deals given each kind of bad value.
BAD_VALUE_SHARE = 0.01

TITLE = "Sales pipeline"
HEADER_ROW = 3
# The English starter layout's header, so the generated workbook matches b2b-en.
HEADER = STARTER_LAYOUTS[Locale.EN].headers
# Stage name, default probability and relative frequency among the deals.
STAGES = (
    ("Lead", 0.05, 20),
    ("Qualified", 0.15, 15),
    ("Demo", 0.30, 12),
    ("Proposal", 0.50, 10),
    ("Negotiation", 0.75, 8),
    ("Closed Won", 1.0, 20),
    ("Closed Lost", 0.0, 15),
)
CLOSED_STAGES = ("Closed Won", "Closed Lost")
OWNERS = (
    "Ana Lima",
    "Ben Ortiz",
    "Chloe Park",
    "Dev Patel",
    "Elena Rossi",
    "Farid Haddad",
    "Grace Kim",
    "Hugo Meyer",
    "Ines Duarte",
    "Jonas Berg",
    "Keiko Sato",
    "Liam Walsh",
)
UNKNOWN_OWNERS = ("Maria Gomez", "Sam Okafor", "unassigned")
PRODUCTS = (
    "Starter plan",
    "Team plan",
    "Enterprise plan",
    "Onboarding package",
    "Support add-on",
    "Analytics add-on",
)
SOURCES = ("Website", "Referral", "Outbound", "Event", "Partner")
ACCOUNT_PREFIXES = (
    "Northwind",
    "Blue Harbor",
    "Summit",
    "Cedar & Pine",
    "Riverbend",
    "Lumen",
    "Greenfield",
    "Meridian",
    "Atlas",
    "Harborview",
    "Pinecrest",
    "Silverline",
    "Orbit",
    "Quarry Lane",
    "Kestrel",
    "Redwood",
    "Bluebell",
    "Ironbridge",
    "Oakmont",
    "Stonegate",
)
ACCOUNT_SUFFIXES = (
    "Traders",
    "Logistics",
    "Dental Group",
    "Interiors",
    "Clinics",
    "Analytics",
    "Farms",
    "Legal",
    "Machining",
    "Hotels",
    "Schools",
    "Retail",
    "Aerospace",
    "Bakery",
    "Foods",
)
NEXT_STEPS = (
    "Intro call",
    "Send case study",
    "Run product demo",
    "Send revised quote",
    "Legal review of contract",
    "Pricing call",
    "Answer security questionnaire",
)
LOST_REASONS = ("Chose a competitor", "No budget", "No decision", "Price too high")
NOTES = ("Champion changed jobs", "Asked for references", "Budget approved in Q4")
BAD_DATES = ("31/02/2025", "soon", "TBD", "2025-13-05", "end of Q4")

DATE_FORMAT = "yyyy-mm-dd"
AMOUNT_FORMAT = "#,##0"
PERCENT_FORMAT = "0%"


def generate_pipeline(rows: int, path: Path, *, seed: int = DEFAULT_SEED) -> None:
    """Write a pipeline workbook of ``rows`` synthetic deals to ``path``.

    :param rows: the number of deals (data rows of the Deals tab).
    :param path: the .xlsx file to write. An existing file is replaced.
    :param seed: the random seed. The same seed gives the same deals.
    """
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    # A fixed creation time keeps the file identical from run to run.
    workbook.set_properties({"created": dt.datetime(2025, 9, 30)})
    formats = {
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "header": workbook.add_format({"bold": True, "bg_color": "#DDEBF7"}),
        "date": workbook.add_format({"num_format": DATE_FORMAT}),
        "amount": workbook.add_format({"num_format": AMOUNT_FORMAT}),
        "percent": workbook.add_format({"num_format": PERCENT_FORMAT}),
    }

    _write_deals_tab(workbook, formats, rows, random.Random(seed))
    _write_lists_tab(workbook, formats["header"])
    workbook.close()


def _write_deals_tab(
    workbook: xlsxwriter.Workbook,
    formats: dict[str, object],
    rows: int,
    rng: random.Random,
) -> None:
    sheet = workbook.add_worksheet("Deals")
    sheet.freeze_panes(HEADER_ROW, 0)
    sheet.set_column(0, len(HEADER) - 1, 15)
    sheet.write(0, 0, TITLE, formats["title"])
    sheet.write_row(HEADER_ROW - 1, 0, HEADER, formats["header"])

    column_formats = {
        "Amount": formats["amount"],
        "Probability": formats["percent"],
    }
    for number in range(rows):
        deal = make_deal(rng, number)
        for column, header in enumerate(HEADER):
            value = deal[column]
            if isinstance(value, dt.date):
                sheet.write_datetime(
                    HEADER_ROW + number, column, value, formats["date"]
                )
            elif value is not None:
                cell_format = column_formats.get(header)
                sheet.write(HEADER_ROW + number, column, value, cell_format)


def make_deal(rng: random.Random, number: int) -> list[object]:
    """Return one synthetic deal as a row of values in :data:`HEADER` order.

    :param rng: the random source, whose state advances.
    :param number: the 0-based deal number, which gives the deal ID.
    """
    stage, probability, _ = rng.choices(STAGES, weights=[s[2] for s in STAGES])[0]
    is_open = stage not in CLOSED_STAGES
    created = AS_OF - dt.timedelta(days=rng.randint(5, 365))
    age = (AS_OF - created).days
    entered = AS_OF - dt.timedelta(days=rng.randint(0, min(age, 45)))
    amount = rng.randint(10, 2000) * 50

    close: object = entered
    if is_open:
        close = max(entered, AS_OF + dt.timedelta(days=rng.randint(-20, 120)))
    next_step, next_step_date = _next_step(rng, is_open)
    snoozed = AS_OF + dt.timedelta(days=rng.randint(1, 14))
    open_share = 0.02 if is_open else 0.0

    deal: list[object] = [
        f"D-{100001 + number}",
        f"{rng.choice(ACCOUNT_PREFIXES)} {rng.choice(ACCOUNT_SUFFIXES)}",
        rng.choice(OWNERS),
        stage,
        amount,
        _probability_override(rng, probability),
        rng.choice(PRODUCTS),
        rng.choice(SOURCES),
        created,
        close,
        next_step,
        next_step_date,
        entered,
        _maybe(rng, open_share, snoozed),
        _maybe(rng, open_share, "yes"),
        rng.choice(LOST_REASONS) if stage == "Closed Lost" else None,
        _maybe(rng, 0.1, rng.choice(NOTES)),
    ]
    _spoil(rng, deal, amount)
    return deal


def _next_step(rng: random.Random, is_open: bool) -> tuple[str | None, dt.date | None]:
    if not is_open:
        return None, None
    step = rng.choice(NEXT_STEPS)
    if rng.random() < 0.03:
        return step, None
    return step, AS_OF + dt.timedelta(days=rng.randint(-21, 21))


def _probability_override(rng: random.Random, probability: float) -> float | None:
    """Return, for one deal in ten, a probability 10 points off the stage default."""
    if rng.random() >= 0.1:
        return None
    shifted = probability + rng.choice((-0.1, 0.1))
    return round(min(max(shifted, 0.0), 1.0), 2)


def _maybe(rng: random.Random, share: float, value: object) -> object:
    return value if rng.random() < share else None


def _spoil(rng: random.Random, deal: list[object], amount: int) -> None:
    """Give the deal each kind of bad value with probability BAD_VALUE_SHARE."""
    if rng.random() < BAD_VALUE_SHARE:
        deal[HEADER.index("Owner")] = rng.choice(UNKNOWN_OWNERS)
    if rng.random() < BAD_VALUE_SHARE:
        deal[HEADER.index("Amount")] = f"${amount:,}"
    if rng.random() < BAD_VALUE_SHARE:
        deal[HEADER.index("Expected Close")] = rng.choice(BAD_DATES)
    if rng.random() < BAD_VALUE_SHARE:
        deal[HEADER.index("Account")] = None


def _write_lists_tab(workbook: xlsxwriter.Workbook, header_format: object) -> None:
    sheet = workbook.add_worksheet("Lists")
    sheet.set_column(0, 3, 22)
    sheet.write_row(0, 0, ("Stage", "Owner", "Product", "Lead Source"), header_format)
    columns = ([stage[0] for stage in STAGES], OWNERS, PRODUCTS, SOURCES)
    for row in range(1, 1 + max(len(values) for values in columns)):
        for column, values in enumerate(columns):
            if row <= len(values):
                sheet.write(row, column, values[row - 1])


def main(argv: Sequence[str] | None = None) -> int:
    """Write the workbook the command line describes and return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "rows", type=int, metavar="ROWS", help="number of deals to generate"
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="PATH", help="the .xlsx to write"
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="random seed (default: 7)"
    )
    arguments = parser.parse_args(argv)
    if arguments.rows < 0:
        parser.error(f"ROWS must be 0 or more, got {arguments.rows}")

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    generate_pipeline(arguments.rows, arguments.out, seed=arguments.seed)
    logger.info("Wrote %d deals to %s", arguments.rows, arguments.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
