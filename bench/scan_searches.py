"""Print the CPU seconds of the sheet XML scan and of its single searches.

    python bench/scan_searches.py deals-100000-seed7.xlsx --tab Deals

prints one JSON object on stdout: ``scan_sheet`` maps each variant of the tab's
sheet XML to the scan's CPU seconds, and ``find`` maps each marker the scan
may look for to the seconds of one ``bytes.find`` pass over the XML. Each is
the minimum over the repeats. The variants are the sheet as it is
(``plain``), with one ``=SUBTOTAL`` row under the header (``subtotal_row``)
and with a formula in column E of every row (``formula_column``), which only
the benchmark's layout (amounts in E, with style 3) produces. The XML is
inflated once and cut into 1 MiB pieces, outside the timing.

CPU seconds (time.process_time) vary less than wall seconds on a machine
that other work shares. To compare two checkouts, run this script with each
on PYTHONPATH in turn, several times each, interleaved.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sync.xlsx.package import Package
from sync.xlsx.sheet_scan import scan_sheet
from sync.xlsx.workbook_parts import WorkbookParts

PIECE_SIZE = 1 << 20
MARKERS = [b't="e"', b"ROW", b"<f", b"</f>", b"SUBTOTAL(", b"AGGREGATE(", b"<v></v>"]


def read_sheet_xml(path: Path, tab: str) -> bytes:
    """Return the inflated sheet XML of the worksheet ``tab``."""
    with Package(path) as package:
        sheet = WorkbookParts(package).find_sheet(tab)
        if sheet is None or sheet.part is None:
            raise SystemExit(f"{path.name} has no worksheet {tab!r}")
        return package.read(sheet.part)


def sheet_variants(xml: bytes) -> dict[str, bytes]:
    """Return the sheet XML as it is and with the formulas the scan looks for."""
    first_row = re.search(rb"<row r=\"(\d+)\"", xml)
    subtotal = b'<row r="2"><c r="E2"><f>SUBTOTAL(9,E4:E100003)</f><v>1</v></c></row>'
    with_subtotal = xml
    if first_row is not None:
        position = xml.index(b"</row>", first_row.start()) + len(b"</row>")
        with_subtotal = xml[:position] + subtotal + xml[position:]
    with_column = re.sub(
        rb'<c r="E(\d+)" s="3"><v>', rb'<c r="E\1" s="3"><f>G\1*1</f><v>', xml
    )
    return {
        "plain": xml,
        "subtotal_row": with_subtotal,
        "formula_column": with_column,
    }


def min_seconds(call: Callable[[], object], repeats: int) -> float:
    """Return the minimum CPU seconds of ``call`` over ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        started = time.process_time()
        call()
        times.append(time.process_time() - started)
    return round(min(times), 4)


def pieces_of(xml: bytes) -> list[bytes]:
    return [xml[start : start + PIECE_SIZE] for start in range(0, len(xml), PIECE_SIZE)]


def find_all(pieces: Sequence[bytes], marker: bytes) -> None:
    for piece in pieces:
        piece.find(marker)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workbook", type=Path)
    parser.add_argument("--tab", default="Deals")
    parser.add_argument("--repeats", type=int, default=11)
    args = parser.parse_args()

    xml = read_sheet_xml(args.workbook, args.tab)
    variants = {
        name: pieces_of(variant) for name, variant in sheet_variants(xml).items()
    }
    scans = {
        name: min_seconds(functools.partial(scan_sheet, pieces), args.repeats)
        for name, pieces in variants.items()
    }
    pieces = pieces_of(xml)
    finds = {
        marker.decode(): min_seconds(
            functools.partial(find_all, pieces, marker), args.repeats
        )
        for marker in MARKERS
    }
    print(json.dumps({"scan_sheet": scans, "find": finds, "repeats": args.repeats}))


if __name__ == "__main__":
    main()
