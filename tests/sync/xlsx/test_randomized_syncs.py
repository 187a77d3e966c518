"""Repeated syncs of random workbooks, checking that only owned parts change.

Each case builds a workbook in the layout of the shipped ``b2b-en`` definition,
with a seeded mix of features and deals (:mod:`tests.sync.xlsx.random_workbooks`).
Then it runs rounds of a sync for an explicit day, the checks below, a second
sync, and random edits by the team saved with openpyxl. The edits sort, insert
and delete rows, change stages and IDs, and rename, move, hide and delete tabs.
After every sync:

- every zip member that pipesheet does not own is stored byte for byte as before,
- in the pipeline tab, every cell outside the status column keeps its value,
  formula and style, and the rest of the sheet except pipesheet's highlights stays,
- each status cell is on the row that contains the ID of the deal it describes,
- a second sync with no edit in between writes nothing.

Some rounds rename the pipeline tab. A new name stops the run with an error
until the definition names it, and a change of case only is still found. Other
rounds save the workbook between a sync's read and its write, which must stop
the write. Runs go through the calls behind ``pipesheet run --no-state`` or,
with a state database, ``pipesheet run``.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import random
import re
import xml.etree.ElementTree as ElementTree
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pytest
from openpyxl.utils import get_column_letter

from config.errors import SheetLayoutError, WorkbookBusyError
from config.loader import load_pipeline
from config.models import Locale, Pipeline
from config.shipped import shipped_definition
from rules.findings import Finding
from rules.grid import CellValue
from rules.status import status_text
from sync.job import RunRequest, run_recorded
from sync.run import Progress, RunResult, run_sync
from sync.sources.registry import open_source
from sync.starter import FIELDS
from sync.state.store import StateStore
from sync.status_alignment import deal_key
from tests.sync.pipeline_files import read_tab, tab_names
from tests.sync.xlsx.packages import raw_members
from tests.sync.xlsx.random_workbooks import (
    TeamEdits,
    build_random_workbook,
    choose_features,
    edit_workbook,
)

START = dt.date(2025, 9, 27)
ROUNDS = 10
# Each case is a random seed and whether runs keep a state database. Runs with a
# state database also write the Stage log tab, and a review tab in a new month.
CASES = [
    (3, False),
    (11, True),
    (29, False),
    (47, True),
    (83, False),
    (101, True),
    (137, False),
    (211, True),
]

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATIONSHIP_ID = (
    "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
)
PACKAGE_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# Parts a sync may rewrite on every run, in addition to the pipeline tab's sheet
# part and the parts of the generated tabs it writes.
ALWAYS_OWNED = {
    "[Content_Types].xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "docProps/app.xml",
    "xl/styles.xml",
    "xl/sharedStrings.xml",
    "xl/calcChain.xml",
}
# Conditional formats pipesheet writes: a status prefix test on the status column.
HIGHLIGHT_FORMULA = re.compile(r'LEFT\(\$[A-Z]{1,3}\d+,\d+\)="[^"]*"')
SHEET_PARTS_COMPARED_APART = {"sheetData", "dimension", "conditionalFormatting"}
CELL_REFERENCE = re.compile(r"([A-Z]{1,3})(\d+)")
# 0-based columns of the deal fields, which come first on the pipeline tab and
# are the cells a deal's status depends on.
DEAL_COLUMNS = range(len(FIELDS))


@dataclass
class Syncer:
    """Sync runner for one workbook, using the CLI's calls and a day the test sets."""

    path: Path
    pipeline: Pipeline
    as_of: dt.date
    store: StateStore | None = None

    def run(self, progress: Progress | None = None) -> RunResult:
        """Run one sync, recorded in the state database when there is one."""
        if self.store is None:
            source = open_source(self.pipeline, str(self.path))
            return run_sync(self.pipeline, source, self.as_of, progress=progress)
        request = RunRequest(self.pipeline, self.as_of, str(self.path))
        return run_recorded(request, self.store, progress=progress)


@dataclass
class StatusMemory:
    """Statuses written next to each deal row's content, by day, across the rounds.

    Without stage history a deal's status depends only on its own cells, the
    day and whether its ID is shared. So a status written onto another deal's
    row shows up as one content with two statuses.
    """

    statuses: dict[tuple[dt.date, tuple[CellValue, ...]], CellValue] = field(
        default_factory=dict
    )

    def remember(
        self, as_of: dt.date, content: tuple[CellValue, ...], status: CellValue
    ) -> CellValue:
        """Return the status first seen for this content on this day."""
        return self.statuses.setdefault((as_of, content), status)


@pytest.mark.parametrize(
    ("seed", "with_state"),
    CASES,
    ids=[f"seed-{seed}-{'state' if state else 'no-state'}" for seed, state in CASES],
)
def test_random_syncs_change_owned_parts_only(
    tmp_path: Path, seed: int, with_state: bool
) -> None:
    rng = random.Random(seed)
    features = choose_features(rng)
    path = build_random_workbook(tmp_path / "pipeline.xlsx", rng, START, features)
    pipeline = load_pipeline(shipped_definition("b2b-en"))
    team = TeamEdits(rng, features, START, generated_tabs=generated_names(pipeline))
    memory = None if with_state else StatusMemory()

    store = StateStore.open(str(tmp_path / "state.sqlite")) if with_state else None
    syncer = Syncer(path, pipeline, START, store)
    try:
        run_rounds(syncer, team, rng, memory, f"seed {seed}, {features}")
    finally:
        if store is not None:
            store.close()


def run_rounds(
    syncer: Syncer,
    team: TeamEdits,
    rng: random.Random,
    memory: StatusMemory | None,
    case: str,
) -> None:
    """Run ROUNDS rounds of a sync, its checks, a second sync and the team's edits."""
    done = ["built"]
    for number in range(ROUNDS):
        context = f"{case}, round {number} after {done}"
        if team.tab.casefold() != syncer.pipeline.source.tab.casefold():
            check_renamed_tab_stops_run(syncer, team.tab, context)
            syncer.pipeline = with_tab(syncer.pipeline, team.tab)
        if number > 0 and rng.random() < 0.25:
            check_save_during_sync_stops_write(syncer, team, context)

        sync_and_check(syncer, memory, context)
        check_second_sync_writes_nothing(syncer, context)

        # On some days the team makes no edit, so the next sync patches the
        # file the last one wrote, and statuses change with the day alone.
        if rng.random() < 0.2:
            done = ["no edit, a day later"]
            syncer.as_of += dt.timedelta(days=rng.randint(1, 3))
        else:
            done = edit_workbook(syncer.path, *choose_edits(team, rng))
            syncer.as_of += dt.timedelta(days=rng.choice([0, 0, 1, 3]))
        team.as_of = syncer.as_of


def choose_edits(team: TeamEdits, rng: random.Random) -> list[Callable[..., str]]:
    """Return one to three random edits, now and then a rename of the pipeline tab."""
    edits = [
        team.sort_deals,
        team.sort_deals,
        team.insert_deals,
        team.delete_deal,
        team.edit_stage,
        team.share_id,
        team.format_status_column,
        team.type_in_status,
        team.rename_user_tab,
        team.insert_row_above_header,
        team.move_tab,
        team.hide_tab,
        team.delete_generated_tab,
    ]
    chosen = rng.sample(edits, rng.randint(1, 3))
    if rng.random() < 0.2:
        chosen.append(team.rename_pipeline_tab)
    return chosen


def sync_and_check(syncer: Syncer, memory: StatusMemory | None, context: str) -> None:
    """Run one sync and check the workbook it wrote against the one it read."""
    before = syncer.path.with_name("before.xlsx")
    before.write_bytes(syncer.path.read_bytes())
    result = syncer.run()

    check_unowned_members_kept(before, syncer.path, result, context)
    check_pipeline_tab_kept(before, syncer.path, result, context)
    generated = generated_names(syncer.pipeline)
    check_workbook_names_kept(before, syncer.path, generated, context)
    locale = syncer.pipeline.outputs.locale
    check_statuses_follow_ids(syncer.path, result, locale, context)
    if memory is not None:
        check_statuses_follow_content(syncer.path, result, memory, context)


def check_second_sync_writes_nothing(syncer: Syncer, context: str) -> None:
    """Run the sync again on the same day and check that the file stays as it is."""
    data = syncer.path.read_bytes()
    modified = syncer.path.stat().st_mtime_ns

    again = syncer.run()

    assert again.plan.status_cells == [], context
    assert [tab.name for tab in again.plan.tabs] == [], context
    assert again.report is None, context
    assert syncer.path.read_bytes() == data, context
    assert syncer.path.stat().st_mtime_ns == modified, context


def check_renamed_tab_stops_run(syncer: Syncer, tab: str, context: str) -> None:
    """Check that a pipeline tab renamed past the definition stops the run."""
    data = syncer.path.read_bytes()
    expected = tab_not_found_message(syncer, tab)

    with pytest.raises(SheetLayoutError) as error:
        syncer.run()

    assert str(error.value) == expected, context
    assert syncer.path.read_bytes() == data, context


def tab_not_found_message(syncer: Syncer, new_name: str) -> str:
    """Return the error message a run raises when the pipeline tab was renamed."""
    listed = ", ".join(repr(name) for name in tab_names(syncer.path))
    # Of the tab names these tests use, only a new name that starts with the old
    # one is similar enough for the hint (a difflib ratio of 0.6 or more).
    old = syncer.pipeline.source.tab
    near = new_name.casefold().startswith(old.casefold())
    hint = f" Did you mean {new_name!r}?" if near else ""
    return (
        f"Tab {old!r} not found in workbook {syncer.path.name!r}. Existing tabs: "
        f"{listed}.{hint} Fix source.tab in the pipeline definition or rename "
        "the tab."
    )


def check_save_during_sync_stops_write(
    syncer: Syncer, team: TeamEdits, context: str
) -> None:
    """Check that a save between a sync's read and its write stops the write.

    The team edits a stage just before the sync writes. The sync must keep the
    team's file rather than write statuses planned for the old content.
    """
    edited: list[bytes] = []

    def edit_before_writing(message: str) -> None:
        if message.startswith("Writing"):
            edit_workbook(syncer.path, team.edit_stage)
            edited.append(syncer.path.read_bytes())

    original = syncer.path.read_bytes()
    raised = None
    try:
        syncer.run(progress=edit_before_writing)
    except WorkbookBusyError as error:
        raised = str(error)

    changed = (
        f"Workbook {syncer.path.name!r} changed on disk since it was read. Nothing "
        "was written. Run again to read it anew (a scheduled run retries by itself)."
    )
    if edited:
        assert raised == changed, context
        assert syncer.path.read_bytes() == edited[0], context
    else:
        assert raised is None, context
        assert syncer.path.read_bytes() == original, context


def with_tab(pipeline: Pipeline, tab: str) -> Pipeline:
    """Return the definition with ``source.tab`` set, as a user fixes it."""
    source = pipeline.source.model_copy(update={"tab": tab})
    return pipeline.model_copy(update={"source": source})


def generated_names(pipeline: Pipeline) -> tuple[str, ...]:
    """Return the names of the generated tabs the definition sets."""
    return tuple(name for name in pipeline.outputs.tabs.model_dump().values() if name)


# Zip members


def check_unowned_members_kept(
    before: Path, after: Path, result: RunResult, context: str
) -> None:
    """Check that members pipesheet does not own are stored exactly as before."""
    written = [result.tab, *(tab.name for tab in result.plan.tabs)]
    owned = owned_members(before, result.tab, written)
    owned |= owned_members(after, result.tab, written)
    old, new = raw_members(before), raw_members(after)

    changed = [name for name in old if name not in owned and new.get(name) != old[name]]
    added = [name for name in new if name not in old and name not in owned]
    assert changed == [], context
    assert added == [], context


def owned_members(path: Path, pipeline_tab: str, written: Iterable[str]) -> set[str]:
    """Return the members a sync may change: fixed parts and those of tabs written.

    The pipeline tab owns only its sheet part, because its comments, drawings and
    links belong to the user. A generated tab owns every part it refers to.
    """
    parts = {name.casefold(): part for name, part in tab_parts(path).items()}
    owned = set(ALWAYS_OWNED)
    owned.add(parts[pipeline_tab.casefold()])
    with zipfile.ZipFile(path) as archive:
        for tab in written:
            part = parts.get(tab.casefold())
            if part is not None and tab.casefold() != pipeline_tab.casefold():
                owned |= related_parts(archive, part)
    return owned


def tab_parts(path: Path) -> dict[str, str]:
    """Return each tab's sheet part by tab name, as the workbook part lists them."""
    workbook = part_root(path, "xl/workbook.xml")
    with zipfile.ZipFile(path) as archive:
        targets = relationship_targets(archive, "xl/workbook.xml")
    sheets = workbook.iter(f"{MAIN}sheet")
    return {
        sheet.get("name", ""): targets[sheet.get(RELATIONSHIP_ID, "")]
        for sheet in sheets
    }


def relationship_targets(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Return the internal targets of a part's relationships by id, as member names."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels not in archive.namelist():
        return {}
    root = ElementTree.fromstring(archive.read(rels))

    targets = {}
    for relationship in root.iter(f"{PACKAGE_RELATIONSHIP}Relationship"):
        if relationship.get("TargetMode") == "External":
            continue
        target = relationship.get("Target", "")
        if target.startswith("/"):
            member = target.lstrip("/")
        else:
            member = posixpath.join(folder, target)
        targets[relationship.get("Id", "")] = posixpath.normpath(member)
    return targets


def related_parts(archive: zipfile.ZipFile, part: str) -> set[str]:
    """Return a part, its rels part and every part reachable through rels."""
    found: set[str] = set()
    pending = [part]
    while pending:
        current = pending.pop()
        if current in found:
            continue
        folder, name = posixpath.split(current)
        found |= {current, posixpath.join(folder, "_rels", f"{name}.rels")}
        pending.extend(relationship_targets(archive, current).values())
    return found


# The pipeline tab and the workbook part


@dataclass(frozen=True)
class CellXml:
    """One cell of a sheet part: style index, type, formula and value as shown."""

    style: str | None
    kind: str | None
    formula: tuple[str | None, tuple[tuple[str, str], ...]] | None
    value: str | None


def check_pipeline_tab_kept(
    before: Path, after: Path, result: RunResult, context: str
) -> None:
    """Check that a sync changed the pipeline tab only in the status cells it planned.

    Every cell outside the status column keeps its style index, type, formula and
    value (shared strings resolved). The status column changes only on planned
    rows, and a status cell that existed keeps its style index. The existing
    styles keep their place, and every part of the sheet but its cells, its
    dimension and pipesheet's conditional formats is as before.
    """
    part = tab_parts(before)[result.tab]
    old, new = sheet_cells(before, part), sheet_cells(after, part)
    status = get_column_letter(result.plan.status_column + 1)
    planned = {(status, write.row) for write in result.plan.status_cells}
    if result.plan.write_status_header:
        planned.add((status, result.plan.header_row))

    changed = sorted(
        ref
        for ref in old.keys() | new.keys()
        if old.get(ref) != new.get(ref) and ref not in planned
    )
    restyled = sorted(
        ref
        for ref in old.keys() & new.keys()
        if ref[0] == status and old[ref].style != new[ref].style
    )
    assert changed == [], context
    assert restyled == [], context
    assert style_lists_kept(before, after), context
    assert sheet_layout(before, part) == sheet_layout(after, part), context
    assert user_highlights(before, part) == user_highlights(after, part), context
    assert len(pipesheet_highlights(after, part)) <= 1, context


def sheet_cells(path: Path, part: str) -> dict[tuple[str, int], CellXml]:
    """Return every cell of a sheet part by (column letters, row)."""
    with zipfile.ZipFile(path) as archive:
        root = ElementTree.fromstring(archive.read(part))
        strings = shared_strings(archive)

    cells = {}
    for cell in root.iter(f"{MAIN}c"):
        match = CELL_REFERENCE.fullmatch(cell.get("r", ""))
        assert match is not None, f"{path.name}: cell without a reference in {part}"
        key = (match.group(1), int(match.group(2)))
        cells[key] = read_cell(cell, strings)
    return cells


def read_cell(cell: ElementTree.Element, strings: list[str]) -> CellXml:
    """Return a cell's style, type, formula and shown value."""
    formula = cell.find(f"{MAIN}f")
    kind = cell.get("t")
    value = cell.findtext(f"{MAIN}v")
    if kind == "s" and value is not None:
        value = strings[int(value)]
    elif kind == "inlineStr":
        value = "".join(text.text or "" for text in cell.iter(f"{MAIN}t"))
    written = None
    if formula is not None:
        written = (formula.text, tuple(sorted(formula.attrib.items())))
    return CellXml(cell.get("s"), kind, written, value)


def shared_strings(archive: zipfile.ZipFile) -> list[str]:
    """Return the shared strings table's texts in order."""
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    root = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))
    return [
        "".join(text.text or "" for text in item.iter(f"{MAIN}t"))
        for item in root.iter(f"{MAIN}si")
    ]


def sheet_layout(path: Path, part: str) -> list[bytes]:
    """Return the sheet's children except cells, dimension and highlights, as XML.

    Rows are listed by their attributes, so a changed row height or hidden flag
    counts, but the cells in them are compared by :func:`sheet_cells`.
    """
    root = part_root(path, part)
    layout = [
        ElementTree.tostring(child)
        for child in root
        if local_name(child) not in SHEET_PARTS_COMPARED_APART
    ]
    for row in root.iter(f"{MAIN}row"):
        layout.append(repr(sorted(row.attrib.items())).encode())
    return layout


def user_highlights(path: Path, part: str) -> list[bytes]:
    """Return the conditional-format blocks that are not pipesheet's, as XML."""
    blocks = part_root(path, part).iter(f"{MAIN}conditionalFormatting")
    return [ElementTree.tostring(b) for b in blocks if not is_pipesheet_block(b)]


def pipesheet_highlights(path: Path, part: str) -> list[bytes]:
    """Return pipesheet's own conditional-format blocks, as XML."""
    blocks = part_root(path, part).iter(f"{MAIN}conditionalFormatting")
    return [ElementTree.tostring(b) for b in blocks if is_pipesheet_block(b)]


def is_pipesheet_block(block: ElementTree.Element) -> bool:
    """Return True when every rule of a block tests a status prefix."""
    rules = block.findall(f"{MAIN}cfRule")
    if not rules:
        return False
    for rule in rules:
        if rule.get("type") != "expression":
            return False
        formula = (rule.findtext(f"{MAIN}formula") or "").strip()
        if not HIGHLIGHT_FORMULA.fullmatch(formula):
            return False
    return True


def style_lists_kept(before: Path, after: Path) -> bool:
    """Return True when every style list of ``after`` starts with that of ``before``.

    pipesheet may append formats, but an existing one that changed or moved
    would restyle the user's cells that refer to it by index.
    """
    old, new = style_lists(before), style_lists(after)
    return all(new.get(tag, [])[: len(items)] == items for tag, items in old.items())


def style_lists(path: Path) -> dict[str, list[bytes]]:
    """Return each list of the styles part (fonts, fills, cellXfs...) as XML items."""
    root = part_root(path, "xl/styles.xml")
    return {child.tag: [ElementTree.tostring(item) for item in child] for child in root}


def part_root(path: Path, part: str) -> ElementTree.Element:
    """Return the parsed root element of one part of a workbook."""
    with zipfile.ZipFile(path) as archive:
        return ElementTree.fromstring(archive.read(part))


def local_name(element: ElementTree.Element) -> str:
    """Return an element's tag without its namespace."""
    return element.tag.rsplit("}", 1)[-1]


def check_workbook_names_kept(
    before: Path, after: Path, generated: tuple[str, ...], context: str
) -> None:
    """Check that the workbook part keeps the user's tabs, their order and names.

    The workbook part is pipesheet's to rewrite, because it registers generated
    tabs there, but the tabs and defined names already in it must stay. The
    filter names of generated tabs are pipesheet's.
    """
    old_tabs, new_tabs = workbook_tabs(before), workbook_tabs(after)
    surviving = [tab for tab in new_tabs if tab in old_tabs]
    assert surviving == old_tabs, context
    old_names = user_defined_names(before, generated)
    assert old_names == user_defined_names(after, generated), context


def workbook_tabs(path: Path) -> list[tuple[str | None, ...]]:
    """Return each tab's name, sheet id, relationship id and state, in order."""
    root = part_root(path, "xl/workbook.xml")
    return [
        (
            sheet.get("name"),
            sheet.get("sheetId"),
            sheet.get(RELATIONSHIP_ID),
            sheet.get("state"),
        )
        for sheet in root.iter(f"{MAIN}sheet")
    ]


def user_defined_names(
    path: Path, generated: tuple[str, ...]
) -> list[tuple[str | None, ...]]:
    """Return the defined names that are not pipesheet's, in order.

    pipesheet's names start with ``_pipesheet`` or are the
    ``_xlnm._FilterDatabase`` name of a tab in ``generated``.
    """
    root = part_root(path, "xl/workbook.xml")
    tabs = [sheet.get("name") for sheet in root.iter(f"{MAIN}sheet")]
    generated_positions = {
        str(position) for position, tab in enumerate(tabs) if tab in generated
    }
    return [
        (name.get("name"), name.get("localSheetId"), name.get("hidden"), name.text)
        for name in root.iter(f"{MAIN}definedName")
        if not (name.get("name") or "").startswith("_pipesheet")
        and not (
            name.get("name") == "_xlnm._FilterDatabase"
            and name.get("localSheetId") in generated_positions
        )
    ]


# Statuses


def check_statuses_follow_ids(
    path: Path, result: RunResult, locale: Locale, context: str
) -> None:
    """Check that each deal's status is on the row that contains its ID now.

    The status a deal should show comes from the run's findings for the row it
    was read on. A deal with a unique ID is looked up by that ID in the file
    written. A deal with a blank or shared ID has nothing to be found by, so its
    status must be on the row it was read from.
    """
    grid = read_tab(path, result.tab)
    plan = result.plan
    expected = expected_statuses(result, locale)
    ids = Counter(deal_key(deal.deal_id) for deal in result.deals)
    rows_by_id = deal_rows(grid, plan.header_row, plan.id_column)

    misplaced = []
    for deal in result.deals:
        key = deal_key(deal.deal_id)
        if key is not None and ids[key] == 1:
            rows = rows_by_id.get(key, [])
        else:
            rows = [deal.row]
        found = [cell_value(grid, row, plan.status_column) for row in rows]
        if found != [expected[deal.row]]:
            misplaced.append((key, deal.row, rows, found, expected[deal.row]))
    assert misplaced == [], context


def check_statuses_follow_content(
    path: Path, result: RunResult, memory: StatusMemory, context: str
) -> None:
    """Check that rows with the same cells on the same day show the same status.

    This reads only the file written, so it does not rely on the rows the run
    reports reading. A status written by position after a sort lands next to
    content that showed another status in an earlier round. Rows whose ID is
    shared are left out, because their status names the other rows.
    """
    grid = read_tab(path, result.tab)
    plan = result.plan
    rows_by_id = deal_rows(grid, plan.header_row, plan.id_column)

    conflicts = []
    for row in range(plan.header_row + 1, len(grid) + 1):
        key = deal_key(cell_value(grid, row, plan.id_column))
        content = tuple(cell_value(grid, row, column) for column in DEAL_COLUMNS)
        shared = key is not None and len(rows_by_id[key]) > 1
        if shared or all(value is None for value in content):
            continue
        status = cell_value(grid, row, plan.status_column)
        first = memory.remember(result.as_of, content, status)
        if first != status:
            conflicts.append((row, key, status, first))
    assert conflicts == [], context


def expected_statuses(result: RunResult, locale: Locale) -> dict[int, str]:
    """Return the status each deal row should show, by the row the run read it on."""
    findings: dict[int, list[Finding]] = defaultdict(list)
    for finding in result.findings:
        if finding.row is not None:
            findings[finding.row].append(finding)
    return {deal.row: status_text(findings[deal.row], locale) for deal in result.deals}


def deal_rows(
    grid: list[list[object]], header_row: int, id_column: int
) -> dict[str, list[int]]:
    """Return the rows below the header by deal ID, as IDs are matched."""
    rows: dict[str, list[int]] = defaultdict(list)
    for row in range(header_row + 1, len(grid) + 1):
        key = deal_key(cell_value(grid, row, id_column))
        if key is not None:
            rows[key].append(row)
    return rows


def cell_value(grid: list[list[object]], row: int, column: int) -> CellValue:
    """Return a cell of a grid read by :func:`read_tab`, None past its edges."""
    if not 0 < row <= len(grid):
        return None
    values = grid[row - 1]
    if column >= len(values):
        return None
    return cast(CellValue, values[column])
