"""Checking the deals in a forked child while the run applies the stage history.

The row checks read only the deals, the columns, the definition, the allowed
lists and the day, and the stages after them up to the metrics do not need
their findings. So on a large sheet a child forked before the checks (see
:mod:`sync.forked`) runs them on the second core, while the parent spells the
grouped values, applies the history and computes the follow-ups and metrics.
The parent takes the findings when it needs them, and checks the deals itself
when the child could not start or failed, so the findings are the same either
way.

The child sends the findings packed (:class:`PackedFindings`) through an
unnamed temporary file, as :mod:`sync.history_packing` does. Pickled as they
are, the 85k findings of the 100k-row benchmark workbook took the parent
0.20 s to unpickle, almost as long as checking the deals. Packed, they took
about 0.06 s, nearly all of it to build the Finding objects (2-core VM).
"""

from __future__ import annotations

import logging
import pickle
from array import array
from collections.abc import Callable, Sequence
from functools import partial
from typing import IO, NamedTuple

from rules.findings import Code, Finding, Severity
from rules.spellings import Respelling, typed_spellings
from sync.forked import ForkedFileCall, can_fork

logger = logging.getLogger(__name__)

# Minimum number of deals for which the checks run in a child. On the
# benchmark workbooks (bench/generate.py, 2-core VM, medians of 10 runs on a
# loaded machine), the child saved the parent 0.003 s of CPU at 10k rows and
# 0.03 s at 30k. So a smaller sheet is checked in the parent.
# NOTE: 20,000 is a guess between those two measured sizes.
MIN_FORKED_DEALS = 20_000

Checks = Callable[[], list[Finding]]


class ForkedChecks:
    """The findings of the row checks, computed in a child if that can pay.

    Create it where the run would check the deals. When no child starts, the
    checks run at once, in the parent. Use as a context manager: leaving the
    block ends a child whose findings were not taken.
    """

    def __init__(self, checks: Checks, deal_count: int) -> None:
        self._checks = checks
        self._findings: list[Finding] | None = None
        self._call: ForkedFileCall[int] | None = None
        if can_fork() and deal_count >= MIN_FORKED_DEALS:
            self._start()
        if self._call is None:
            self._findings = checks()

    def __enter__(self) -> ForkedChecks:
        return self

    def __exit__(self, *exception: object) -> None:
        self.cancel()

    def findings(self, respelled: Sequence[Respelling]) -> list[Finding]:
        """Take the findings from the child, or check the deals here if it failed.

        :param respelled: the values that :func:`spell_grouped_values` replaced
            since the child started. The parent checks the deals with the
            typed values put back, as the child saw them.
        """
        if self._findings is not None:
            return self._findings
        try:
            findings = self._take_findings()
        finally:
            self.cancel()
        if findings is None:
            with typed_spellings(respelled):
                findings = self._checks()
        self._findings = findings
        return findings

    def cancel(self) -> None:
        """End the child, if one runs, without taking its findings."""
        call, self._call = self._call, None
        if call is not None:
            call.cancel()

    def _start(self) -> None:
        try:
            self._call = ForkedFileCall(partial(_check_into, checks=self._checks))
        except OSError as error:
            logger.debug(
                "The deals are checked here, because no temporary file opened: %s",
                error,
            )

    def _take_findings(self) -> list[Finding] | None:
        # The findings the child wrote, or None when it failed, wrote too few
        # bytes, or was ended by cancel().
        if self._call is None:
            return None
        written = self._call.result()
        if written is None:
            return None
        size, file = written
        data = file.read(size)
        if len(data) != size:
            logger.debug("The child wrote %d of %d bytes of findings", len(data), size)
            return None
        packed: PackedFindings = pickle.loads(data)
        return unpack_findings(packed)


def _check_into(file: IO[bytes], checks: Checks) -> int:
    """Run the checks, write their findings packed, and return the size written."""
    packed = pack_findings(checks())
    pickle.dump(packed, file, protocol=pickle.HIGHEST_PROTOCOL)
    file.flush()
    return file.tell()


# The fields that many findings share: code, severity, column, value, field
# and params, in the order Finding takes them, without the row and deal ID.
FindingKind = tuple[Code, Severity, str | None, str | None, str | None, dict[str, str]]


class PackedFindings(NamedTuple):
    """Findings as a table of kinds, and the kind, row and deal ID of each.

    Before: ``[Finding(IDLE, WARNING, 4, "Entered", "2025-09-05", "D-1",
    "stage_entered_date", p)]`` and one more on row 9 of deal D-6 that differs
    only in row and deal ID. After: ``kinds=[(IDLE, WARNING, "Entered",
    "2025-09-05", "stage_entered_date", p)]``, ``kind_indexes=array("L", [0,
    0])``, ``rows=[4, 9]``, ``deal_ids=["D-1", "D-6"]``.
    """

    kinds: list[FindingKind]
    kind_indexes: array[int]
    rows: list[int | None]
    deal_ids: list[str | None]


def pack_findings(findings: Sequence[Finding]) -> PackedFindings:
    """Pack ``findings`` so that each kind is pickled and unpickled once.

    Two findings are of one kind when their params are the same dict, not an
    equal one, so the unpacked findings share params dicts as these do.
    """
    # Kinds are keyed by the params' identity, which stays valid while
    # ``findings`` keeps the dicts alive.
    indexes: dict[tuple[object, ...], int] = {}
    kinds: list[FindingKind] = []
    kind_indexes = array("L")
    for finding in findings:
        params = finding.params
        key = (
            finding.code,
            finding.severity,
            finding.column,
            finding.value,
            finding.field,
            id(params),
        )
        index = indexes.get(key)
        if index is None:
            index = indexes[key] = len(kinds)
            kinds.append(
                (
                    finding.code,
                    finding.severity,
                    finding.column,
                    finding.value,
                    finding.field,
                    params,
                )
            )
        kind_indexes.append(index)

    rows = [finding.row for finding in findings]
    deal_ids = [finding.deal_id for finding in findings]
    return PackedFindings(kinds, kind_indexes, rows, deal_ids)


def unpack_findings(packed: PackedFindings) -> list[Finding]:
    """Return the findings that :func:`pack_findings` packed, in their order."""
    kinds = packed.kinds
    findings: list[Finding] = []
    append = findings.append
    for index, row, deal_id in zip(
        packed.kind_indexes, packed.rows, packed.deal_ids, strict=True
    ):
        code, severity, column, value, field, params = kinds[index]
        append(Finding(code, severity, row, column, value, deal_id, field, params))
    return findings
