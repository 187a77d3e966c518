"""The pipeline definitions that ship inside the package.

They are found through :mod:`importlib.resources`, so they work the same from a
source checkout and from an installed wheel: ``config/pipelines/*.yaml`` are
starter definitions and ``config/examples/*.yaml`` fit sample data sets.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from config.close_matches import closest_match
from config.errors import DefinitionError

_PACKAGE = "config"
_FOLDERS = ("pipelines", "examples")
_SUFFIX = ".yaml"


def shipped_definitions() -> list[str]:
    """Return the names of the shipped definitions, sorted (``b2b-en``, ...)."""
    return sorted(_find_shipped_files())


def shipped_definition(name: str) -> Path:
    """Return the file of the shipped definition called ``name``.

    :param name: a name from :func:`shipped_definitions`, without ``.yaml``.
    :raises DefinitionError: no shipped definition has that name, or the package
        is installed in a way that has no files on disk (such as a zip archive).
    """
    files = _find_shipped_files()
    # The shipped names are lower case, so "B2B-EN" finds b2b-en.
    found = name if name in files else name.casefold()
    if found not in files:
        raise DefinitionError(_describe_unknown_name(name, sorted(files)))

    resource = files[found]
    if not isinstance(resource, Path):
        raise DefinitionError(
            f"The shipped definition {name!r} is inside {resource!r}, which is "
            "not a folder on disk; install pipesheet as a regular (unzipped) "
            "package"
        )
    return resource


def _find_shipped_files() -> dict[str, Traversable]:
    package = resources.files(_PACKAGE)
    found: dict[str, Traversable] = {}
    for folder_name in _FOLDERS:
        folder = package.joinpath(folder_name)
        if not folder.is_dir():
            continue

        for entry in folder.iterdir():
            if entry.is_file() and entry.name.endswith(_SUFFIX):
                # A starter pipeline wins over an example of the same name.
                found.setdefault(entry.name.removesuffix(_SUFFIX), entry)
    return found


def _describe_unknown_name(name: str, names: list[str]) -> str:
    message = f"No shipped pipeline definition is named {name!r}"
    nearest = closest_match(name.casefold(), names)
    if nearest is not None:
        message += f"; did you mean {nearest!r}?"
    else:
        message += "."
    return (
        f"{message} Shipped definitions: {', '.join(names)}. To use your own, "
        "give the path of its YAML file."
    )
