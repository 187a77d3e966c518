"""Read a definition's ``Rules`` tab from its workbook and lay it over the definition.

Two ways lead here. A YAML definition that sets ``source.rules_tab`` gets
that tab's settings laid over its own. A workbook given as CONFIG, such as
``pipesheet run team.xlsx``, is its own source, and its ``Rules`` (or
``规则``) tab is laid over the definition its ``based_on`` setting names,
the shipped English one by default. pipesheet only reads the tab.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from config.errors import DefinitionError, SheetLayoutError
from config.loader import (
    build_pipeline,
    read_definition,
    resolve_source_paths,
)
from config.rules_tab import (
    RULES_TAB_NAMES,
    RULES_TAB_SUFFIXES,
    RulesTab,
    read_rules_tab,
)
from config.rules_tab_problems import lay_over, validate_with_rules_tab
from config.shipped import shipped_definition
from config.tab_names import existing_tabs_hint, find_tab_name
from rules.cells import display_value
from sync.sources.registry import open_source

if TYPE_CHECKING:
    from config.models import Pipeline
    from rules.grid import SheetGrid
    from sync.sources.base import WorkbookSource

logger = logging.getLogger(__name__)

# The definition a workbook's Rules tab is laid over without a based_on setting.
DEFAULT_BASE = "b2b-en"


def lay_rules_tab_over(
    data: object, path: Path, pipeline: Pipeline, location: str | None
) -> Pipeline:
    """Return ``pipeline`` with the Rules tab it names laid over it.

    A definition without ``source.rules_tab`` is returned as it is, and no
    workbook is opened for it.

    :param data: the definition's data, as :func:`read_definition` read it.
    :param path: the definition's YAML file.
    :param pipeline: ``data`` validated by :func:`build_pipeline`.
    :param location: the workbook from ``--source``, or None for the
        definition's own.
    :raises DefinitionError: the tab's layout or values are invalid.
    :raises SheetLayoutError: the workbook has no such tab.
    :raises SourceError: the workbook cannot be read.
    """
    tab = pipeline.source.rules_tab
    if tab is None or not isinstance(data, dict):
        return pipeline

    rules = read_rules_tab(_read_rules_grid(pipeline, location, tab))
    if rules.based_on is not None:
        logger.warning(
            "%s, %s: based_on %r is not used, because the definition %s names "
            "this tab and is the base it is laid over. Delete the based_on row, "
            "or run the workbook itself as CONFIG to use it.",
            rules.describe_location(),
            rules.based_on.describe(),
            display_value(rules.based_on.value),
            path,
        )
    merged = lay_over(data, rules)
    laid_over = validate_with_rules_tab(merged, rules, str(path))
    logger.info("Laid %s over definition %s", rules.describe_location(), path)
    return resolve_source_paths(laid_over, path.parent)


def load_workbook_definition(workbook: Path) -> Pipeline | None:
    """Return the definition that a workbook given as CONFIG carries in a Rules tab.

    The workbook is the source. Its Rules tab is laid over the definition
    that the tab's based_on setting names: a shipped name, or a YAML file
    relative to the workbook's folder. The deals are on the tab that this
    definition names, unless the Rules tab sets ``source.tab``.

    :returns: None when the file is missing, its suffix is not one of
        :data:`RULES_TAB_SUFFIXES` (such as a CSV file or a workbook renamed to
        .yaml), or it has no tab named as :data:`RULES_TAB_NAMES` lists.
    :raises DefinitionError: the tab or its base definition is invalid.
    :raises SourceError: the workbook cannot be read.
    """
    if workbook.suffix.lower() not in RULES_TAB_SUFFIXES or not workbook.is_file():
        return None
    default_path = shipped_definition(DEFAULT_BASE)
    default = build_pipeline(read_definition(default_path), default_path)
    opened = open_source(default, str(workbook), writes=False)
    tab = find_rules_tab(opened.tab_names(), workbook.name)
    if tab is None:
        return None

    rules = read_rules_tab(_read_rules_grid(default, str(workbook), tab))
    base_path = _base_definition_file(rules, workbook)
    data = read_definition(base_path)
    base = build_pipeline(data, base_path)
    assert isinstance(data, dict)  # build_pipeline rejects any other data.
    data = {**data, "source": _workbook_source(base, workbook, tab)}
    # The workbook's path is kept as given, and the source has no other path
    # to resolve against the base's folder.
    laid_over = validate_with_rules_tab(lay_over(data, rules), rules, str(base_path))
    logger.info("Laid %s over definition %s", rules.describe_location(), base_path)
    return laid_over


def _read_rules_grid(pipeline: Pipeline, location: str | None, tab: str) -> SheetGrid:
    """Read the Rules tab ``tab`` as a run reads its pipeline tab.

    A workbook source looks for what the cell values leave out, such as
    blocks of merged cells and formulas saved without a result, only in the
    pipeline tab. So the tab is read through a source whose pipeline tab it
    is: a stage limit merged over two rows then applies to both, and a
    formula without a result is named instead of read as a blank setting.
    """
    source = pipeline.source.model_copy(update={"tab": tab})
    reader = open_source(
        pipeline.model_copy(update={"source": source}), location, writes=False
    )
    return reader.read_tab(_existing_tab(reader, tab))


def find_rules_tab(tabs: list[str], workbook: str) -> str | None:
    """Return the workbook's spelling of its Rules tab, ignoring case, or None.

    :raises SheetLayoutError: the workbook has more than one such tab (such
        as ``Rules`` and ``规则``, or ``Rules`` and ``rules ``), since the
        settings of all but one would be ignored without a word.
    """
    rules_tab_names = {name.casefold() for name in RULES_TAB_NAMES}
    found = [tab for tab in tabs if tab.strip().casefold() in rules_tab_names]
    if len(found) > 1:
        names = ", ".join(repr(tab) for tab in found)
        raise SheetLayoutError(
            f"Workbook {workbook!r} has {len(found)} tabs that can hold its "
            f"rules: {names}. pipesheet reads one Rules tab; move the settings "
            "into one of them and delete or rename the others."
        )
    return found[0] if found else None


def _workbook_source(base: Pipeline, workbook: Path, tab: str) -> dict[str, object]:
    return {
        "kind": "excel",
        "path": str(workbook),
        "tab": base.source.tab,
        "header_row": base.source.header_row,
        "rules_tab": tab,
    }


def _existing_tab(workbook: WorkbookSource, tab: str) -> str:
    """Return the workbook's spelling of ``tab``, ignoring case.

    :raises SheetLayoutError: naming the existing tabs and the nearest one.
    """
    names = workbook.tab_names()
    name = find_tab_name(names, tab)
    if name is not None:
        return name
    raise SheetLayoutError(
        f"Tab {tab!r} named in source.rules_tab not found in workbook "
        f"{workbook.name!r}. {existing_tabs_hint(names, tab)} Fix "
        "source.rules_tab in the pipeline definition, or add a tab of that name "
        "with the settings and stage table."
    )


def _base_definition_file(rules: RulesTab, workbook: Path) -> Path:
    """Return the file of the definition that the tab's based_on setting names.

    :raises DefinitionError: naming the cell, when no shipped definition or
        YAML file beside the workbook has that name.
    """
    cell = rules.based_on
    name = display_value(cell.value).strip() if cell is not None else ""
    if not name:
        return shipped_definition(DEFAULT_BASE)

    beside = workbook.parent / name
    if beside.suffix.lower() in (".yaml", ".yml") or beside.is_file():
        return beside
    try:
        return shipped_definition(name)
    except DefinitionError as error:
        assert cell is not None
        raise DefinitionError(
            f"{rules.describe_location()}, {cell.describe()}: based_on {name!r} "
            f"is neither a YAML file in the workbook's folder nor a shipped "
            f"definition. {error}"
        ) from None
