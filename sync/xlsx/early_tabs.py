"""Rendering the generated tabs' sheet XML in a child process, ahead of the write.

The generated tabs of a large sheet are tens of megabytes of XML, and
rendering them was the longest step of the write. A run forks a child to
render and deflate them as soon as they are made, so that the child works
on the second core while the run plans the status cells and starts their
patch. The write then stages the child's members instead of rendering the
tabs itself.

The child renders with a copy of the workbook's styles part, to which
rendering may add cell formats. It records each format it requested and the
index it got, and the write requests the same formats from its own styles
part, in the same order. The child's members are used only when every index
matches, the tabs are the very tabs the child rendered and the compressor is
the same. Otherwise, and whenever the child failed, the write renders the tabs
itself, as it does without a child, and raises any error the child met.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sync.forked import ForkedCall, can_fork
from sync.plan import GeneratedTab
from sync.xlsx.compression import Deflater, fastest_deflater
from sync.xlsx.content_types import ContentTypes
from sync.xlsx.generated_tabs import RenderedSheet, render_sheet
from sync.xlsx.package import Package
from sync.xlsx.styles import StyleSheet, StylesPart
from sync.xlsx.workbook_parts import WorkbookParts

logger = logging.getLogger(__name__)

# The tabs are rendered in a child from this many grid cells on. The first
# run's tabs of the 10,000-row benchmark sheet have 175,389 cells and took
# 0.07 s of CPU to render, so below that size a fork saves little.
CHILD_TAB_CELLS = 300_000


@dataclass(frozen=True)
class RenderedTabs:
    """The child's result: the cell formats it requested, and each tab's sheet."""

    xf_requests: list[tuple[int, bool, int]]
    sheets: list[RenderedSheet]


class EarlyTabRender:
    """A child process that renders the generated tabs' sheet XML."""

    def __init__(
        self,
        tabs: Sequence[GeneratedTab],
        deflater: str,
        child: ForkedCall[RenderedTabs],
    ) -> None:
        self._tabs = tuple(tabs)
        self._deflater = deflater
        self._child: ForkedCall[RenderedTabs] | None = child

    def take(
        self, tabs: Sequence[GeneratedTab], styles: StyleSheet, deflater: Deflater
    ) -> list[RenderedSheet] | None:
        """Return the child's sheets for ``tabs``, in their order, or None.

        ``styles`` gets the cell formats the child added to its copy. None
        comes back when ``tabs`` are not the very tabs the child was given,
        ``deflater`` is another compressor, the child failed, or ``styles``
        gives a format another index than the child's copy did. The child is
        reaped either way; call this once.
        """
        child = self._child
        if child is None:
            return None
        same_tabs = len(tabs) == len(self._tabs) and all(
            mine is theirs for mine, theirs in zip(tabs, self._tabs, strict=False)
        )
        if not same_tabs or deflater.name != self._deflater:
            self.cancel()
            return None
        # The child stays referenced while the result is read, so that
        # cancel still kills and reaps it when a signal interrupts the read.
        rendered = child.result()
        self._child = None
        if rendered is None:
            return None
        for number_format, bold, xf_id in rendered.xf_requests:
            if styles.cell_xf_id(number_format, bold) != xf_id:
                logger.debug(
                    "Generated tabs rendered ahead use cell format %d where the "
                    "workbook's styles have another; they are rendered again",
                    xf_id,
                )
                return None
        return rendered.sheets

    def cancel(self) -> None:
        """Kill the child if it still runs, and reap it."""
        child, self._child = self._child, None
        if child is not None:
            child.cancel()


def start_tab_render(
    source: Path, data: bytes, tabs: Sequence[GeneratedTab]
) -> EarlyTabRender | None:
    """Start rendering the sheet XML of ``tabs`` in a child process.

    Returns None, and starts nothing, when the process may not fork or the
    tabs have fewer than :data:`CHILD_TAB_CELLS` cells. A child that fails,
    as on a damaged package, makes the write render the tabs itself, which
    then reports the error.

    :param data: the bytes of ``source`` as the caller read and checked them.
    """
    if not tabs or not can_fork() or _cell_count(tabs) < CHILD_TAB_CELLS:
        return None
    deflater = fastest_deflater()
    chosen = tuple(tabs)

    def render() -> RenderedTabs:
        with Package(source, eager_deflater=deflater, data=data) as package:
            workbook = WorkbookParts(package)
            styles = StylesPart(package, workbook, ContentTypes(package)).sheet
            asked = len(styles.xf_requests)
            sheets = [
                render_sheet(
                    tab,
                    styles,
                    deflater,
                    workbook=package.workbook,
                    date1904=workbook.date1904,
                )
                for tab in chosen
            ]
            return RenderedTabs(styles.xf_requests[asked:], sheets)

    return EarlyTabRender(chosen, deflater.name, ForkedCall(render))


def _cell_count(tabs: Sequence[GeneratedTab]) -> int:
    return sum(sum(map(len, tab.grid)) for tab in tabs)
