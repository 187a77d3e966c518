"""Open the workbook a definition points at, whatever its backend."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from config.errors import DefinitionError
from config.models import Pipeline, SourceKind
from sync.sources.base import WorkbookSource


def _open_excel(
    pipeline: Pipeline, location: str | None, output: Path | None
) -> WorkbookSource:
    from sync.sources.excel import ExcelWorkbook

    path = location or pipeline.source.path
    if not path:
        raise DefinitionError(
            f"Definition {pipeline.name!r}: source.path is not set. Set it in "
            "the definition or pass --source PATH."
        )
    return ExcelWorkbook(Path(path), output=output)


OPENERS: dict[SourceKind, Callable[[Pipeline, str | None, Path | None], WorkbookSource]]
OPENERS = {SourceKind.EXCEL: _open_excel}


def open_source(
    pipeline: Pipeline, location: str | None = None, output: Path | None = None
) -> WorkbookSource:
    """Open the pipeline's workbook, or the one at ``location`` when given.

    :raises DefinitionError: the definition's source kind has no backend here.
    """
    kind = pipeline.source.kind
    opener = OPENERS.get(kind)
    if opener is None:
        available = ", ".join(sorted(OPENERS))
        raise DefinitionError(
            f"Definition {pipeline.name!r}: source.kind {kind.value!r} is not "
            f"available in this version; available kinds: {available}."
        )
    return opener(pipeline, location, output)
